/* The zoo's unet: PyTorch's forward on the same net with the same weights (tests/reference/gen_unet.py), the
 * issue's reference parameter count, output size = input size, the refusal of sizes the pools cannot halve, the
 * bilinear, no-batch-norm and headless variants, and other models refusing unet's options. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "model_run.h"
#include "test.h"

static fv_zoo_options unet_options(int channels, int classes, int h, int w)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.channels = channels, o.num_classes = classes, o.height = h, o.width = w;
    return o;
}

static void against_pytorch(fv_ctx *ctx)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/unet_forward.fvx");
    if (!CHECK(fx != NULL, "unet_forward.fvx loads")) return;
    fv_zoo_options o = unet_options(1, 4, 32, 32);
    o.base_width = 8;
    fv_model *m = fv_zoo_build(ctx, "unet", &o);
    if (CHECK(m != NULL, "unet builds at base width 8: %s", m ? "" : fv_errmsg(ctx))) {
        CHECK(load_params_by_name(m, fx) == 0, "every parameter and buffer has PyTorch's by name");
        CHECK(fv_model_param_totals(m).trainable == fx_int(fx, "param_count", 0, -1), "%lld parameters, PyTorch %d",
              (long long)fv_model_param_totals(m).trainable, fx_int(fx, "param_count", 0, -1));
        const fv_tensor *want = fx_get(fx, "y");
        fv_tensor *y = run_model(m, fx_get(fx, "x"), false);
        if (CHECK(y && want && y->size == want->size, "forward gives PyTorch's shape")) {
            double err = rel_error(fv_f32(y), fv_f32(want), y->size);
            CHECK(err < 1e-4, "eval forward = PyTorch's within 1e-4 (relative error %.3g)", err);
        }
        fv_tensor_free(y);
    }
    fv_model_free(m);
    fx_free(fx);
}

static void reference_count(fv_ctx *ctx)
{
    fv_zoo_options o = unet_options(1, 11, 64, 64);
    fv_model *m = fv_zoo_build(ctx, "unet", &o);
    if (CHECK(m != NULL, "the reference unet builds: %s", m ? "" : fv_errmsg(ctx)))
        CHECK(fv_model_param_totals(m).trainable == 482619, "1 channel, 11 classes: %lld parameters (482,619)",
              (long long)fv_model_param_totals(m).trainable);
    fv_model_free(m);
}

/* unet with o builds and its output is (channels, h, w) of o's input size. */
static void check_size(fv_ctx *ctx, const fv_zoo_options *o, int channels, const char *what)
{
    fv_model *m = fv_zoo_build(ctx, "unet", o);
    if (CHECK(m != NULL, "%s at %dx%d builds: %s", what, o->height, o->width, m ? "" : fv_errmsg(ctx))) {
        int64_t s[FV_MAX_DIMS];
        int n = fv_model_layer_shape(m, fv_model_output_layer(m, 0), s);
        CHECK(n == 3 && s[0] == channels && s[1] == o->height && s[2] == o->width,
              "%s at %dx%d: output (%lld, %lld, %lld)", what, o->height, o->width, (long long)s[0],
              (long long)s[1], (long long)s[2]);
    }
    fv_model_free(m);
}

static void sizes(fv_ctx *ctx)
{
    static const int hw[][2] = {{8, 8}, {16, 48}, {64, 64}, {96, 40}};
    for (int i = 0; i < 4; i++) {
        fv_zoo_options o = unet_options(3, 5, hw[i][0], hw[i][1]);
        check_size(ctx, &o, 5, "depth 3");
    }
    fv_zoo_options o = unet_options(1, 2, 20, 12);
    o.depth = 2;
    check_size(ctx, &o, 2, "depth 2");
    o = unet_options(1, 11, 30, 64);
    fv_model *m = fv_zoo_build(ctx, "unet", &o);
    CHECK(m == NULL && strstr(fv_errmsg(ctx), "height 30") && strstr(fv_errmsg(ctx), "multiples of 2^depth = 8"),
          "30x64 at depth 3 refused, naming the size: %s", fv_errmsg(ctx));
    fv_model_free(m);
}

/* The bilinear and no-batch-norm variants build, have the layers they say, and run. */
static void variants(fv_ctx *ctx)
{
    fv_zoo_options o = unet_options(1, 3, 16, 16);
    o.upsample = FV_ZOO_UP_BILINEAR, o.no_batch_norm = true;
    check_size(ctx, &o, 3, "bilinear, no batch norm");
    fv_model *m = fv_zoo_build(ctx, "unet", &o);
    if (CHECK(m != NULL, "bilinear unet builds")) {
        int up = fv_model_find_layer(m, "up1");
        CHECK(up >= 0 && strcmp(fv_model_layer_type(m, up), "upsample") == 0, "up1 is an upsample");
        CHECK(fv_model_find_layer(m, "enc1.bn1") < 0 && fv_model_find_param(m, "enc1.conv1.bias"),
              "no batch norm: convolutions with bias");
        CHECK(fv_model_init(m) == FV_OK, "initializes");
        fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 1, 16, 16});
        for (int64_t i = 0; x && i < x->size; i++) fv_f32(x)[i] = (float)(i % 7) / 7.0f;
        fv_tensor *y = x ? run_model(m, x, false) : NULL;
        CHECK(y && y->ndim == 4 && y->shape[0] == 2 && y->shape[1] == 3 && y->shape[2] == 16 && y->shape[3] == 16,
              "forward gives (2, 3, 16, 16)");
        fv_tensor_free(y);
        fv_tensor_free(x);
    }
    fv_model_free(m);
    o = unet_options(1, 3, 16, 16);
    o.include_top = false;
    check_size(ctx, &o, 16, "headless (dec1's 16 channels)");
}

static void options_refused(fv_ctx *ctx)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.depth = 4;
    fv_model *m = fv_zoo_build(ctx, "resnet18", &o);
    CHECK(m == NULL && strstr(fv_errmsg(ctx), "unet's options"), "resnet18 refuses depth: %s", fv_errmsg(ctx));
    fv_model_free(m);
    o = unet_options(1, 11, 64, 64);
    o.depth = 9;
    m = fv_zoo_build(ctx, "unet", &o);
    CHECK(m == NULL && strstr(fv_errmsg(ctx), "depth=9"), "depth 9 refused: %s", fv_errmsg(ctx));
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(5);
    against_pytorch(ctx);
    reference_count(ctx);
    sizes(ctx);
    variants(ctx);
    options_refused(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
