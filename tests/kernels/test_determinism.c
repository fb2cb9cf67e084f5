/* Training is bit-identical whatever the thread count (DESIGN.md: determinism): FMNIST-CNN and a model with
 * strided, depthwise, pointwise and transposed convolutions, trained a few steps with Adam on 1, 2 and 3
 * threads, end with the same weights bit for bit. And the fast kernels move the weights as the reference
 * kernels do, within rounding, over a few steps of SGD (Adam's normalized steps would turn rounding noise in
 * gradients near zero into full-size steps of either sign). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "test.h"

static const char mixed[] = "model mixed\n"
                            "input input shape=3x17x17\n"
                            "conv2d c1 filters=12 kernel=3 stride=2 padding=1\n"
                            "batch_norm bn1\n"
                            "relu6 r1\n"
                            "conv2d dw filters=12 kernel=3 padding=1 groups=12\n"
                            "leaky_relu r2\n"
                            "conv2d pw filters=8 kernel=1\n"
                            "conv_transpose2d up filters=6 kernel=3 stride=2 groups=2\n"
                            "max_pool pool kernel=2\n"
                            "flatten flat\n"
                            "dense fc units=5\n";

static int64_t sample_size;

/* Synthetic samples: a counter-based image per index, label index % classes. */
static fv_status fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    (void)epoch;
    int classes = *(const int *)data;
    for (int i = 0; i < n; i++) {
        for (int64_t p = 0; p < sample_size; p++)
            fv_f32(x)[i * sample_size + p] = fv_rng_uniform(3, 4, (uint64_t)(idx[i] * sample_size + p));
        fv_i32(y)[i] = (int32_t)(idx[i] % classes);
    }
    return FV_OK;
}

/* Every parameter and buffer of the model after `steps` steps, concatenated; NULL on failure. */
static float *train(const char *text, const char *name, int threads, bool reference, fv_optim_kind opt, int steps,
                    int64_t *count)
{
    fv_ctx *ctx = fv_ctx_new(7);
    fv_ctx_set_threads(ctx, threads);
    fv_ctx_use_reference_kernels(ctx, reference);
    fv_model *m = text ? fv_model_parse(ctx, text, "mixed") : fv_model_by_name(ctx, name, 1, 28, 28, 10);
    float *out = NULL;
    int classes = text ? 5 : 10;
    int64_t shape[4] = {1, 1, 1, 1};
    if (m && fv_model_init(m) == FV_OK && fv_model_input_shape(m, shape) > 0) {
        sample_size = shape[0] * shape[1] * shape[2]; /* (C, H, W) */
        fv_fit_config c = fv_fit_defaults();
        c.batch_size = 16;
        c.epochs = 1;
        c.verbose = FV_VERBOSE_QUIET;
        c.optim = fv_optim_defaults(opt);
        if (opt == FV_OPT_SGD) c.optim.lr = 0.1;
        fv_trainer *t = fv_trainer_new(m, &c);
        fv_data_source src = {(int64_t)steps * 16, fetch, &classes, NULL, NULL};
        if (t && (steps == 0 || fv_trainer_fit(t, &src) == FV_OK)) {
            int64_t total = 0;
            for (int i = 0; i < fv_model_param_count(m); i++) total += fv_model_param(m, i)->value.size;
            out = malloc((size_t)total * sizeof(float));
            *count = 0;
            for (int i = 0; i < fv_model_param_count(m); i++) {
                const fv_tensor *v = &fv_model_param(m, i)->value;
                memcpy(out + *count, fv_f32(v), (size_t)v->size * sizeof(float));
                *count += v->size;
            }
        }
        fv_trainer_free(t);
    }
    if (!out) fprintf(stderr, "%s: %s\n", text ? "mixed" : name, fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
    return out;
}

static void check_model(const char *text, const char *name, int steps)
{
    const char *label = text ? "mixed" : name;
    int64_t n[6] = {0, 0, 0, 0, 0, 0};
    float *w[6];
    for (int t = 0; t < 3; t++) w[t] = train(text, name, t + 1, false, FV_OPT_ADAM, steps, &n[t]);
    w[3] = train(text, name, 2, false, FV_OPT_SGD, steps, &n[3]);
    w[4] = train(text, name, 1, true, FV_OPT_SGD, steps, &n[4]);
    w[5] = train(text, name, 1, true, FV_OPT_SGD, 0, &n[5]); /* the initial weights */
    bool ok = true;
    for (int i = 0; i < 6; i++) ok &= w[i] && n[i] == n[0];
    if (CHECK(ok, "%s: trains on 1, 2 and 3 threads and on the reference kernels", label)) {
        CHECK(memcmp(w[0], w[1], (size_t)n[0] * 4) == 0 && memcmp(w[0], w[2], (size_t)n[0] * 4) == 0,
              "%s: %lld weights after %d Adam steps bit-identical on 1, 2 and 3 threads", label, (long long)n[0],
              steps);
        for (int64_t i = 0; i < n[0]; i++) w[3][i] -= w[5][i], w[4][i] -= w[5][i]; /* what the steps changed */
        double e = rel_error(w[3], w[4], n[0]);
        CHECK(e < 1e-4, "%s: SGD's change to the weights within %.2e of the reference kernels'", label, e);
    }
    for (int t = 0; t < 6; t++) free(w[t]);
}

int main(void)
{
    check_model(NULL, "fmnist-cnn", 3);
    check_model(mixed, NULL, 4);
    return test_finish();
}
