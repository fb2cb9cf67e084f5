/* The zoo's torchvision segmentation models (src/nn/zoo_segmentation.c): lraspp_mobilenet_v3_large at width 0.25
 * against torchvision's own LR-ASPP with the same weights (tests/reference/gen_seg_zoo.py), logits of the input's
 * size for fcn_resnet50, deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large at odd sizes, torchvision's
 * dilation (the backbones keep output strides 8 and 16), 21 classes by default, the headless builds. Their
 * parameter counts and names are in test_zoo.c; the full-width forwards through ONNX exports in
 * tests/onnx/test_onnx_segmentation.sh. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "model_run.h"
#include "test.h"

static const char *const models[] = {"fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"};

static fv_zoo_options seg_options(int classes, int h, int w)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.num_classes = classes, o.height = h, o.width = w;
    return o;
}

static void lraspp_against_torchvision(fv_ctx *ctx)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/seg_zoo_forward.fvx");
    if (!CHECK(fx != NULL, "seg_zoo_forward.fvx loads")) return;
    fv_zoo_options o = seg_options(3, 67, 59);
    o.alpha = 0.25;
    fv_model *m = fv_zoo_build(ctx, "lraspp_mobilenet_v3_large", &o);
    if (CHECK(m != NULL, "lraspp_mobilenet_v3_large builds at width 0.25: %s", m ? "" : fv_errmsg(ctx))) {
        CHECK(load_params_by_name(m, fx) == 0, "every parameter and buffer has torchvision's by name");
        CHECK(fv_model_param_totals(m).trainable == fx_int(fx, "param_count", 0, -1), "%lld parameters, PyTorch %d",
              (long long)fv_model_param_totals(m).trainable, fx_int(fx, "param_count", 0, -1));
        const fv_tensor *want = fx_get(fx, "y");
        fv_tensor *y = run_model(m, fx_get(fx, "x"), false);
        if (CHECK(y && want && y->size == want->size, "forward gives torchvision's shape (2, 3, 67, 59)")) {
            double err = rel_error(fv_f32(y), fv_f32(want), y->size);
            CHECK(err < 1e-4, "eval forward = torchvision's result['out'] within 1e-4 (relative error %.3g)", err);
        }
        fv_tensor_free(y);
        fv_tensor *z = run_model(m, fx_get(fx, "x"), true);
        if (CHECK(z && want && z->size == want->size, "the inference graph (batch norms folded) runs")) {
            double err = rel_error(fv_f32(z), fv_f32(want), z->size);
            CHECK(err < 1e-4, "inference forward = torchvision's within 1e-4 (relative error %.3g)", err);
        }
        fv_tensor_free(z);
    }
    fv_model_free(m);
    fx_free(fx);
}

/* The shape of layer `layer` of m as (C, H, W); false if it has none. */
static bool shape_of(const fv_model *m, const char *layer, int64_t s[3])
{
    int64_t d[FV_MAX_DIMS];
    int i = fv_model_find_layer(m, layer);
    if (i < 0 || fv_model_layer_shape(m, i, d) != 3) return false;
    memcpy(s, d, 3 * sizeof *s);
    return true;
}

/* Each model at odd sizes: logits of the input's size, and the backbone's output at torchvision's stride. */
static void sizes(fv_ctx *ctx)
{
    static const char *const features[] = {"backbone.layer4.2.relu", "backbone.16.2", "backbone.16.2"};
    static const int strides[] = {8, 16, 16}, hw[][2] = {{64, 64}, {67, 59}, {33, 100}};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 3; i++) {
            fv_zoo_options o = seg_options(5, hw[i][0], hw[i][1]);
            fv_model *m = fv_zoo_build(ctx, models[k], &o);
            int64_t out[3] = {0}, f[3] = {0};
            int want_h = (hw[i][0] - 1) / strides[k] + 1, want_w = (hw[i][1] - 1) / strides[k] + 1;
            bool ok = m && shape_of(m, "out", out) && shape_of(m, features[k], f); /* before CHECK reads f */
            CHECK(ok && out[0] == 5 && out[1] == hw[i][0] && out[2] == hw[i][1] && f[1] == want_h && f[2] == want_w,
                  "%s at %dx%d: logits 5x%dx%d, features at stride %d (%lldx%lld) %s", models[k], hw[i][0],
                  hw[i][1], hw[i][0], hw[i][1], strides[k], (long long)f[1], (long long)f[2], m ? "" : fv_errmsg(ctx));
            fv_model_free(m);
        }
}

/* 21 classes (Pascal VOC's) unless told; without the top, the backbone's features. */
static void defaults_and_headless(fv_ctx *ctx)
{
    static const int64_t channels[] = {2048, 960, 960};
    for (int k = 0; k < 3; k++) {
        fv_model *m = fv_model_by_name(ctx, models[k], 0, 96, 96, 0);
        int64_t out[3];
        CHECK(m && shape_of(m, "out", out) && out[0] == 21, "%s: 21 classes by default", models[k]);
        fv_model_free(m);
        fv_zoo_options o = seg_options(0, 96, 96);
        o.include_top = false;
        m = fv_zoo_build(ctx, models[k], &o);
        int64_t s[FV_MAX_DIMS];
        int n = m ? fv_model_layer_shape(m, fv_model_output_layer(m, 0), s) : 0;
        CHECK(n == 3 && s[0] == channels[k] && fv_model_find_layer(m, "classifier.0") < 0 &&
                  fv_model_find_layer(m, "classifier.cbr.0") < 0,
              "%s without the top: the backbone's %lld channels", models[k], (long long)channels[k]);
        fv_model_free(m);
    }
}

/* ASPP concatenates its five branches in torchvision's order (convs.0 .. convs.4: the pooling branch last). */
static void aspp_branches(fv_ctx *ctx)
{
    fv_zoo_options o = seg_options(0, 64, 64);
    fv_model *m = fv_zoo_build(ctx, "deeplabv3_mobilenet_v3_large", &o);
    fv_layer_spec s;
    int cat = m ? fv_model_find_layer(m, "classifier.0.cat") : -1;
    bool ok = cat >= 0 && fv_model_layer_spec(m, cat, &s) == FV_OK && s.n_in == 5;
    for (int i = 0; ok && i < 5; i++) {
        char want[64];
        snprintf(want, sizeof want, "classifier.0.convs.%d.%s", i, i < 4 ? "2" : "upsample");
        ok = strcmp(fv_model_layer_name(m, s.in[i]), want) == 0;
    }
    CHECK(ok, "deeplabv3's ASPP concatenates convs.0.2, .1.2, .2.2, .3.2 and convs.4.upsample");
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(7);
    lraspp_against_torchvision(ctx);
    sizes(ctx);
    defaults_and_headless(ctx);
    aspp_branches(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
