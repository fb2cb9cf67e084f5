/* Grad-CAM against PyTorch (tests/reference/gen_gradcam.py): FMNIST-CNN with random weights and batch-norm
 * statistics away from their defaults, two Fashion-MNIST images, the default layer and relu1, the predicted
 * class and class 3; the same on a small ResNet imported from ONNX (gen_gradcam_resnet.py); and its errors (unknown layer, class out of range, no spatial map). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

/* fovea's Grad-CAM of m against the fixture's, for two images, two layers (the first one fovea's default, asked
 * for by NULL once) and the predicted class and class 3. ref names the layers as the fixture does. */
static void compare_cams(const fx_file *fx, fv_model *m, const char *const layers[2], const char *const ref[2])
{
    fv_ctx *ctx = fv_model_ctx(m);
    for (int img = 0; img < 2; img++)
        for (int l = 0; l < 2; l++)
            for (int t = 0; t < 2; t++) {
                char tag[64], key[96];
                snprintf(tag, sizeof tag, "image%d:%s:%s", img, ref[l], t ? "3" : "pred");
                snprintf(key, sizeof key, "image%d", img);
                const fv_tensor *x = fx_get(fx, key);
                snprintf(key, sizeof key, "cam:%s", tag);
                const fv_tensor *want = fx_get(fx, key);
                snprintf(key, sizeof key, "class:%s", tag);
                const fv_tensor *want_cls = fx_get(fx, key);
                int cls = -1;
                fv_tensor *cam = fv_gradcam(m, x, t ? 3 : -1, l == 0 && t == 0 ? NULL : layers[l], &cls);
                double d = 0;
                for (int64_t k = 0; cam && want && k < want->size; k++) d = fmax(d, fabs(fv_f32(cam)[k] - fv_f32(want)[k]));
                CHECK(cam && want && want_cls && cam->size == want->size && cls == fv_i32(want_cls)[0] && d < 1e-4,
                      "%s (%s): class %d, map within %.1e of PyTorch's (%s)", tag, layers[l], cls, d, fv_errmsg(ctx));
                fv_tensor_free(cam);
            }
}

/* A ResNet imported from ONNX (tests/reference/gen_gradcam_resnet.py): PyTorch folded its batch norms into the
 * convolutions; the blocks' outputs are the ReLUs after the residual adds. */
static void resnet_from_onnx(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_onnx_load(ctx, FIXTURE_DIR "/gradcam_resnet.onnx");
    fx_file *fx = fx_load(FIXTURE_DIR "/gradcam_resnet.fvx");
    if (CHECK(m && fx, "the ONNX ResNet and its Grad-CAM fixture load (%s)", fv_errmsg(ctx))) {
        CHECK(fv_gradcam_default_layer(m) == fv_model_find_layer(m, "layer3.1.relu_1"),
              "the default layer is the last block's output");
        static const char *const layers[] = {"layer3.1.relu_1", "layer2.1.relu_1"}, *const ref[] = {"layer3", "layer2"};
        compare_cams(fx, m, layers, ref);
    }
    fx_free(fx);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void against_pytorch(const fx_file *fx)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_by_name(ctx, "fmnist-cnn", 0, 0, 0, 0);
    for (int i = 0; m && i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        char key[96];
        snprintf(key, sizeof key, "param:%s", p->name);
        const fv_tensor *t = fx_get(fx, key);
        if (CHECK(t && t->size == p->value.size, "%s in the fixture", key))
            memcpy(p->value.data, t->data, (size_t)t->size * sizeof(float));
    }
    CHECK(fv_gradcam_default_layer(m) == fv_model_find_layer(m, "pool2"), "the default layer is pool2");
    static const char *const layers[] = {"pool2", "relu1"};
    compare_cams(fx, m, layers, layers);
    bool clean = true;
    for (int i = 0; i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        for (int64_t k = 0; k < p->grad.size; k++) clean = clean && fv_f32(&p->grad)[k] == 0.0f;
        clean = clean && (p->kind == FV_PARAM_BUFFER || p->trainable);
    }
    CHECK(clean, "the model's gradients and trainable flags are untouched");
    const fv_tensor *x = fx_get(fx, "image0");
    CHECK(!fv_gradcam(m, x, -1, "pool9", NULL) && strstr(fv_errmsg(ctx), "'pool9' does not exist in model") &&
              strstr(fv_errmsg(ctx), "relu1, pool1"),
          "unknown layer lists the valid ones: %s", fv_errmsg(ctx));
    CHECK(!fv_gradcam(m, x, -1, "fc1", NULL) && strstr(fv_errmsg(ctx), "not a spatial feature map"),
          "a dense layer is refused: %s", fv_errmsg(ctx));
    CHECK(!fv_gradcam(m, x, 10, NULL, NULL) && strstr(fv_errmsg(ctx), "class 10 is out of range"),
          "class out of range: %s", fv_errmsg(ctx));
    fv_data_source empty = {0, NULL, NULL, NULL, NULL};
    fv_report_options ro = {NULL, false, 2, NULL, 0};
    CHECK(!fv_extract_features(m, &(fv_data_source){0, fv_dataset_fetch, NULL, NULL, NULL}, NULL, 8, NULL) &&
              strstr(fv_errmsg(ctx), "empty"),
          "features of an empty data set: %s", fv_errmsg(ctx));
    CHECK(fv_report_write(m, &empty, &ro, "/tmp/fovea_never.html") == FV_ERR_ARG && strstr(fv_errmsg(ctx), "empty"),
          "report of an empty data set: %s", fv_errmsg(ctx));
    fv_receptive_field rf = {{0, 0}, {0, 0}, {0, 0}};
    fv_status rs = fv_receptive_field_of(m, fv_model_find_layer(m, "relu2"), &rf); /* before CHECK reads rf */
    CHECK(rs == FV_OK && rf.size[0] == 8 && rf.jump[0] == 2 &&
              rf.start[0] == -3 && rf.size[1] == 8,
          "relu2 of fmnist-cnn sees 8x8 input pixels, 2 apart, from -3 (%lld, %lld, %lld)", (long long)rf.size[0],
          (long long)rf.jump[0], (long long)rf.start[0]);
    int gw = 0, gh = 0;
    uint8_t *grid = fv_feature_map_grid(m, x, "relu1", &gw, &gh);
    CHECK(grid && gw == 6 * 29 - 1 && gh == 6 * 29 - 1, "32 maps of 28x28 tile a 6x6 grid (%dx%d)", gw, gh);
    free(grid);
    fv_model_free(m);
    fv_model *mlp = fv_model_by_name(ctx, "mlp", 0, 0, 0, 0);
    CHECK(!fv_gradcam(mlp, x, -1, NULL, NULL) && strstr(fv_errmsg(ctx), "no spatial feature map"),
          "a dense-only model: %s", fv_errmsg(ctx));
    fv_model_free(mlp);
    fv_ctx_free(ctx);
}

int main(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/gradcam_fmnist.fvx");
    if (CHECK(fx != NULL, "gradcam fixture loads")) against_pytorch(fx);
    fx_free(fx);
    resnet_from_onnx();
    return test_finish();
}
