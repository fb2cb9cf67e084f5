/* FMNIST-CNN training throughput (../shared/BENCHMARKS.md recipe: Adam lr 1e-3, batch 64) on synthetic
 * Fashion-MNIST-shaped data: images/s over `steps` timed steps after 5 warm-up steps, and peak RSS.
 * Usage: bench_train [steps [threads]] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "fovea.h"

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
        for (int p = 0; p < 784; p++) fv_f32(x)[i * 784 + p] = fv_rng_uniform(1, 2, (uint64_t)idx[i] * 784 + p);
        fv_i32(y)[i] = (int32_t)(idx[i] % 10);
    }
    return FV_OK;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 60, threads = argc > 2 ? atoi(argv[2]) : 0;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, threads);
    fv_model *m = fv_model_by_name(ctx, "fmnist-cnn", 0, 0, 0, 0);
    fv_model_init(m);
    fv_fit_config c = fv_fit_defaults();
    c.batch_size = 64;
    c.verbose = FV_VERBOSE_QUIET;
    c.shuffle = false;
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_data_source warm = {5 * 64, fetch, NULL, NULL, NULL}, timed = {(int64_t)steps * 64, fetch, NULL, NULL, NULL};
    if (!t || fv_trainer_fit(t, &warm) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_trainer_free(t);
    t = fv_trainer_new(m, &c);
    double t0 = now();
    if (!t || fv_trainer_fit(t, &timed) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    double secs = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("fovea fmnist-cnn train: %.1f images/s, %.2f ms/step, %d threads, %s, peak RSS %.1f MiB\n",
           steps * 64 / secs, secs / steps * 1e3, fv_ctx_threads(ctx), fv_simd_name(), ru.ru_maxrss / 1024.0);
    fv_trainer_free(t);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return 0;
}
