/* ResNet-18 training step (../shared/BENCHMARKS.md, "Training step"): the zoo's resnet18 with 10 classes at
 * 3x32x32, batch 64, SGD lr 0.01 momentum 0.9, through fovea's trainer (forward, loss, backward, update) on a
 * fixed synthetic batch; milliseconds per step over `steps` timed steps after `warmup` warm-up steps, and peak RSS.
 * Usage: bench_train_resnet [steps [threads [warmup]]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fovea.h"

#define B 64
#define PIXELS (3 * 32 * 32)

static float images[B * PIXELS];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static fv_status fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    (void)data, (void)epoch;
    for (int i = 0; i < n; i++) {
        memcpy(fv_f32(x) + (size_t)i * PIXELS, images + (size_t)(idx[i] % B) * PIXELS, sizeof(float) * PIXELS);
        fv_i32(y)[i] = (int32_t)(idx[i] % 10);
    }
    return FV_OK;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 10, threads = argc > 2 ? atoi(argv[2]) : 0;
    int warmup = argc > 3 ? atoi(argv[3]) : 3;
    for (int i = 0; i < B * PIXELS; i++) images[i] = fv_rng_uniform(3, 0, (uint64_t)i);
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, threads);
    fv_model *m = fv_model_by_name(ctx, "resnet18", 3, 32, 32, 10);
    if (!m || fv_model_init(m) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_fit_config c = fv_fit_defaults();
    c.batch_size = B;
    c.verbose = FV_VERBOSE_QUIET;
    c.shuffle = false;
    c.optim = fv_optim_defaults(FV_OPT_SGD);
    c.optim.lr = 0.01f;
    c.optim.momentum = 0.9f;
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_data_source warm = {(int64_t)warmup * B, fetch, NULL, NULL, NULL}, timed = {(int64_t)steps * B, fetch, NULL, NULL, NULL};
    if (!t || fv_trainer_fit(t, &warm) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_trainer_free(t); /* a trainer fits its epochs once: a new one (the model keeps its warmed-up weights) */
    t = fv_trainer_new(m, &c);
    double t0 = now();
    if (!t || fv_trainer_fit(t, &timed) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    double secs = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("fovea resnet18 32x32 train step: %.2f ms/step, %.1f images/s, %d threads, %s, peak RSS %.1f MiB\n",
           secs / steps * 1e3, steps * B / secs, fv_ctx_threads(ctx), fv_simd_name(), ru.ru_maxrss / 1024.0);
    fv_trainer_free(t);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return 0;
}
