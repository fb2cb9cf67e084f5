/* fv_model_copy_weights: weights paired by structure. A zoo resnet18 into another (names equal) and into a
 * renamed copy gives the same outputs bit for bit; a convolution whose batch norm was folded into its bias
 * (PyTorch's ONNX export) carried into a model that keeps the batch norm apart, and back, gives the same
 * outputs within float rounding; mismatched architectures are refused by name and leave the target as it was.
 * The torchvision ONNX exports into zoo models are checked by tests/onnx/test_onnx_torchvision.sh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "model_run.h"
#include "test.h"

/* Random weights and batch-norm statistics away from the defaults (variance in [0.5, 1.5]). */
static void randomize(fv_model *m, uint64_t seed)
{
    for (int i = 0; i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        bool var = strstr(p->name, "running_var") != NULL;
        for (int64_t k = 0; k < p->value.size; k++) {
            float u = fv_rng_uniform(seed, (uint64_t)i, (uint64_t)k);
            fv_f32(&p->value)[k] = var ? 0.5f + u : 0.4f * (u - 0.5f);
        }
    }
}

static fv_tensor *random_input(fv_ctx *ctx, int64_t n, int64_t c, int64_t h, int64_t w)
{
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){n, c, h, w});
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = 2.0f * fv_rng_uniform(7, 0, (uint64_t)i) - 1.0f;
    return x;
}

/* Largest |a - b| over the largest |b|. */
static double rel_diff(const fv_tensor *a, const fv_tensor *b)
{
    if (!a || !b || a->size != b->size) return INFINITY;
    double d = 0, big = 0;
    for (int64_t i = 0; i < a->size; i++) {
        d = fmax(d, fabs((double)fv_f32(a)[i] - fv_f32(b)[i]));
        big = fmax(big, fabs((double)fv_f32(b)[i]));
    }
    return big > 0 ? d / big : d;
}

static fv_model *small_resnet(fv_ctx *ctx, const char *name, int classes)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.height = o.width = 40, o.num_classes = classes;
    return fv_zoo_build(ctx, name, &o);
}

static void test_zoo_to_zoo(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *a = small_resnet(ctx, "resnet18", 10), *b = small_resnet(ctx, "resnet18", 10);
    randomize(a, 1), randomize(b, 2);
    fv_tensor *x = random_input(ctx, 2, 3, 40, 40), *ya = run_model(a, x, false);
    fv_status s = fv_model_copy_weights(b, a);
    fv_tensor *yb = run_model(b, x, false);
    CHECK(s == FV_OK && rel_diff(yb, ya) == 0.0, "resnet18 into resnet18: the same outputs bit for bit (%s)",
          s ? fv_errmsg(ctx) : "ok");
    fv_tensor_free(yb);

    /* a copy of the architecture under other names pairs by structure alone */
    char *text = fv_model_describe(a);
    for (char *p = strstr(text, "layer"); p; p = strstr(p + 1, "layer")) p[0] = 'L'; /* layer1.0 -> Layer1.0 */
    fv_model *c = fv_model_parse(ctx, text, "renamed");
    s = c ? fv_model_copy_weights(c, a) : FV_ERR_ARG;
    fv_tensor *yc = c ? run_model(c, x, false) : NULL;
    CHECK(c && s == FV_OK && rel_diff(yc, ya) == 0.0, "into a renamed copy: the same outputs bit for bit");
    free(text), fv_tensor_free(yc), fv_model_free(c);
    fv_tensor_free(x), fv_tensor_free(ya);
    fv_model_free(a), fv_model_free(b);
    fv_ctx_free(ctx);
}

static const char *with_bn = "input in shape=3x12x12\n"
                             "conv2d c1 filters=8 kernel=3 padding=1 bias=false\nbatch_norm b1 eps=0.001\nrelu r1\n"
                             "conv2d c2 filters=8 kernel=3 stride=2 groups=8\nbatch_norm b2\nrelu r2\n"
                             "batch_norm b3\nglobal_avg_pool g\nflatten f\ndense fc units=5\n";
/* the same network as PyTorch's ONNX export writes it: the batch norms that follow convolutions folded */
static const char *folded = "input in shape=3x12x12\n"
                            "conv2d c1 filters=8 kernel=3 padding=1\nrelu r1\n"
                            "conv2d c2 filters=8 kernel=3 stride=2 groups=8\nrelu r2\n"
                            "batch_norm b3 eps=0.01\nglobal_avg_pool g\nflatten f\ndense fc units=5\n";

static void test_folded_batch_norm(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *f = fv_model_parse(ctx, folded, "folded"), *k = fv_model_parse(ctx, with_bn, "with_bn"),
             *f2 = fv_model_parse(ctx, folded, "folded");
    if (!CHECK(f && k && f2, "models parse (%s)", fv_errmsg(ctx))) return;
    randomize(f, 3), randomize(k, 4), randomize(f2, 5);
    fv_tensor *x = random_input(ctx, 3, 3, 12, 12), *yf = run_model(f, x, false);
    fv_status s = fv_model_copy_weights(k, f);
    fv_tensor *yk = run_model(k, x, false);
    double e = rel_diff(yk, yf);
    CHECK(s == FV_OK && e < 1e-6, "a folded export into batch norms kept apart: the same outputs (%.2g)", e);
    s = fv_model_copy_weights(f2, k);
    fv_tensor *y2 = run_model(f2, x, false);
    e = rel_diff(y2, yk);
    CHECK(s == FV_OK && e < 1e-5, "and back, folding the batch norms into the biases (%.2g)", e);
    fv_tensor_free(x), fv_tensor_free(yf), fv_tensor_free(yk), fv_tensor_free(y2);
    fv_model_free(f), fv_model_free(k), fv_model_free(f2);
    fv_ctx_free(ctx);
}

/* Whether every parameter of m still holds what it held (weights compared with a snapshot). */
static float *snapshot(fv_model *m, int64_t *n)
{
    *n = 0;
    for (int i = 0; i < fv_model_param_count(m); i++) *n += fv_model_param(m, i)->value.size;
    float *s = malloc((size_t)*n * sizeof *s), *at = s;
    for (int i = 0; s && i < fv_model_param_count(m); i++) {
        const fv_param *p = fv_model_param(m, i);
        memcpy(at, p->value.data, (size_t)p->value.size * sizeof *at);
        at += p->value.size;
    }
    return s;
}

static void test_refusals(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *r18 = small_resnet(ctx, "resnet18", 10), *r34 = small_resnet(ctx, "resnet34", 10),
             *r18b = small_resnet(ctx, "resnet18", 7);
    randomize(r18, 1), randomize(r34, 2), randomize(r18b, 3);
    int64_t n0, n1;
    float *before = snapshot(r34, &n0);
    fv_status s = fv_model_copy_weights(r34, r18);
    const char *msg = fv_errmsg(ctx);
    CHECK(s == FV_ERR_SHAPE && strstr(msg, "resnet34") && strstr(msg, "resnet18") && strstr(msg, "weighted layers"),
          "resnet18 into resnet34: refused (%s)", msg);
    float *after = snapshot(r34, &n1);
    CHECK(n0 == n1 && memcmp(before, after, (size_t)n0 * sizeof *before) == 0, "and resnet34 is unchanged");
    free(before), free(after);

    before = snapshot(r18b, &n0);
    s = fv_model_copy_weights(r18b, r18);
    msg = fv_errmsg(ctx);
    CHECK(s == FV_ERR_SHAPE && strstr(msg, "'fc'") && strstr(msg, "7x512") && strstr(msg, "10x512"),
          "10 classes into 7: refused naming fc and both shapes (%s)", msg);
    after = snapshot(r18b, &n1);
    CHECK(memcmp(before, after, (size_t)n0 * sizeof *before) == 0,
          "nothing is written when the last pair does not fit");
    free(before), free(after);

    fv_model *a = fv_model_parse(ctx, "input in shape=3x8x8\nconv2d c filters=4 kernel=3 stride=1\n", "a");
    fv_model *b = fv_model_parse(ctx, "input in shape=3x8x8\nconv2d c filters=4 kernel=3 stride=2\n", "b");
    s = fv_model_copy_weights(b, a);
    msg = fv_errmsg(ctx);
    CHECK(s == FV_ERR_SHAPE && strstr(msg, "stride 2x2") && strstr(msg, "stride 1x1"),
          "a different stride: refused (%s)", msg);
    CHECK(fv_model_copy_weights(a, NULL) == FV_ERR_ARG, "no source: FV_ERR_ARG");
    fv_model_free(a), fv_model_free(b);
    fv_model_free(r18), fv_model_free(r34), fv_model_free(r18b);
    fv_ctx_free(ctx);
}

int main(void)
{
    test_zoo_to_zoo();
    test_folded_batch_norm();
    test_refusals();
    return test_finish();
}
