/* The zoo's fcn32s, fcn16s and fcn8s (src/nn/zoo_fcn.c): PyTorch's forward of FCN-VGG16 with the paper's crops on
 * the same small-width nets with the same weights (tests/reference/gen_fcn.py), the real nets' parameter counts,
 * logits of the input's size for any size, Caffe's layer names, the upsampling layers starting as bilinear
 * kernels (init=bilinear, kept through a description round trip), and 21 classes by default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "model_run.h"
#include "test.h"

static fv_zoo_options fcn_options(int classes, int h, int w, double alpha)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.num_classes = classes, o.height = h, o.width = w, o.alpha = alpha;
    return o;
}

static void against_pytorch(fv_ctx *ctx, const fx_file *fx, int stride)
{
    char name[16], key[32];
    snprintf(name, sizeof name, "fcn%ds", stride);
    fv_zoo_options o = fcn_options(3, 37, 45, 1.0 / 32);
    fv_model *m = fv_zoo_build(ctx, name, &o);
    if (!CHECK(m != NULL, "%s builds at width 1/32: %s", name, m ? "" : fv_errmsg(ctx))) return;
    CHECK(load_params_by_name(m, fx) == 0, "%s: every parameter has PyTorch's by name", name);
    snprintf(key, sizeof key, "small_count_%s", name);
    CHECK(fv_model_param_totals(m).trainable == fx_int(fx, key, 0, -1), "%s: %lld parameters, PyTorch %d", name,
          (long long)fv_model_param_totals(m).trainable, fx_int(fx, key, 0, -1));
    snprintf(key, sizeof key, "y%d", stride);
    const fv_tensor *want = fx_get(fx, key);
    fv_tensor *y = run_model(m, fx_get(fx, "x"), false);
    if (CHECK(y && want && y->size == want->size && y->shape[2] == 37 && y->shape[3] == 45,
              "%s: logits (2, 3, 37, 45) as PyTorch's", name)) {
        double err = rel_error(fv_f32(y), fv_f32(want), y->size);
        CHECK(err < 1e-4, "%s: eval forward = PyTorch's within 1e-4 (relative error %.3g)", name, err);
    }
    fv_tensor_free(y);
    fv_model_free(m);
}

/* The paper's nets (width 1, 21 classes, 3x224x224) have the reference's parameter counts and Caffe's names. */
static void real_nets(fv_ctx *ctx, const fx_file *fx)
{
    static const char *const names[] = {"conv1_1", "relu1_1", "pool1", "conv5_3", "pool5", "fc6", "drop6", "fc7",
                                        "score_fr", "score_pool4", "score_pool3", "upscore2", "upscore_pool4",
                                        "upscore8", "score"};
    for (int stride = 32; stride >= 8; stride /= 2) {
        char name[16], key[32];
        snprintf(name, sizeof name, "fcn%ds", stride);
        snprintf(key, sizeof key, "count_%s", name);
        fv_model *m = fv_model_by_name(ctx, name, 0, 0, 0, 0);
        if (!CHECK(m != NULL, "%s builds with its defaults: %s", name, m ? "" : fv_errmsg(ctx))) continue;
        CHECK(fv_model_param_totals(m).trainable == fx_int(fx, key, 0, -1), "%s: %lld parameters, PyTorch's %d",
              name, (long long)fv_model_param_totals(m).trainable, fx_int(fx, key, 0, -1));
        int64_t s[FV_MAX_DIMS];
        int n = fv_model_layer_shape(m, fv_model_output_layer(m, 0), s);
        CHECK(n == 3 && s[0] == 21 && s[1] == 224 && s[2] == 224, "%s: 21 classes by default, logits 21x224x224",
              name);
        if (stride == 8) {
            int missing = 0;
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (fv_model_find_layer(m, names[i]) < 0) printf("  no layer %s\n", names[i]), missing++;
            CHECK(missing == 0, "fcn8s has Caffe's layer names");
        }
        fv_model_free(m);
    }
}

/* The output has the input's size whatever it is: the pad of 100 and the crops see to it. */
static void any_size(fv_ctx *ctx)
{
    static const int hw[][2] = {{1, 1}, {5, 300}, {31, 33}, {64, 64}, {97, 65}};
    int bad = 0;
    for (int i = 0; i < 5; i++)
        for (int stride = 32; stride >= 8; stride /= 2) {
            char name[16];
            snprintf(name, sizeof name, "fcn%ds", stride);
            fv_zoo_options o = fcn_options(4, hw[i][0], hw[i][1], 1.0 / 64);
            fv_model *m = fv_zoo_build(ctx, name, &o);
            int64_t s[FV_MAX_DIMS];
            int n = m ? fv_model_layer_shape(m, fv_model_output_layer(m, 0), s) : 0;
            if (n != 3 || s[0] != 4 || s[1] != hw[i][0] || s[2] != hw[i][1]) {
                printf("  %s at %dx%d: %s\n", name, hw[i][0], hw[i][1], m ? "another size" : fv_errmsg(ctx));
                bad++;
            }
            fv_model_free(m);
        }
    CHECK(bad == 0, "fcn32s, 16s and 8s: logits of the input's size from 1x1 to 97x65");
}

static bool same_values(const fv_param *p, const fv_tensor *want)
{
    return p && want && p->value.size == want->size && rel_error(fv_f32(&p->value), fv_f32(want), want->size) < 1e-6;
}

/* fv_model_init writes Caffe's bilinear kernels into the upsampling layers, also after a description round trip
 * (init=bilinear is part of the description), and draws the others. */
static void bilinear_init(fv_ctx *ctx, const fx_file *fx)
{
    fv_zoo_options o = fcn_options(3, 37, 45, 1.0 / 32);
    fv_model *m = fv_zoo_build(ctx, "fcn8s", &o);
    if (!CHECK(m != NULL, "fcn8s builds")) return;
    char *text = fv_model_describe(m);
    fv_model *copy = text ? fv_model_parse(ctx, text, "fcn8s.fvd") : NULL;
    CHECK(text && strstr(text, "conv_transpose2d upscore8 filters=3 kernel=16 stride=8 bias=false init=bilinear"),
          "the description says init=bilinear");
    fv_model *models[2] = {m, copy};
    for (int i = 0; i < 2; i++) {
        if (!CHECK(models[i] && fv_model_init(models[i]) == FV_OK, "%s initializes", i ? "the parsed copy" : "fcn8s"))
            continue;
        CHECK(same_values(fv_model_find_param(models[i], "upscore2.weight"), fx_get(fx, "bilinear4")) &&
                  same_values(fv_model_find_param(models[i], "upscore_pool4.weight"), fx_get(fx, "bilinear4")) &&
                  same_values(fv_model_find_param(models[i], "upscore8.weight"), fx_get(fx, "bilinear16")),
              "%s: upscore2, upscore_pool4 (4x4) and upscore8 (16x16) hold Caffe's bilinear kernels",
              i ? "the parsed copy" : "fcn8s");
        const fv_param *fc6 = fv_model_find_param(models[i], "fc6.weight");
        CHECK(fc6 && fv_f32(&fc6->value)[0] != 0.0f && fv_f32(&fc6->value)[1] != fv_f32(&fc6->value)[2],
              "the other weights are drawn");
    }
    free(text);
    fv_model_free(copy);
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(5);
    fx_file *fx = fx_load(FIXTURE_DIR "/fcn_forward.fvx");
    if (CHECK(fx != NULL, "fcn_forward.fvx loads")) {
        for (int stride = 32; stride >= 8; stride /= 2) against_pytorch(ctx, fx, stride);
        real_nets(ctx, fx);
        bilinear_init(ctx, fx);
    }
    any_size(ctx);
    fx_free(fx);
    fv_ctx_free(ctx);
    return test_finish();
}
