/* U-Net training step (issue 17's segmentation row): the zoo's unet with its defaults (1 channel, 64x64, 11
 * classes, 482,619 parameters), Adam lr 1e-3, batch 32, pixel cross-entropy through the segment task, on a fixed
 * synthetic batch (the bench times the step, not the loader); milliseconds per step over `steps` timed steps
 * after `warmup` warm-up steps, seconds per epoch of 4,000 canvases, and peak RSS.
 * Usage: bench_train_unet [steps [threads [warmup]]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fovea.h"

#define B 32
#define SIDE 64
#define PIXELS (SIDE * SIDE)
#define CLASSES 11

static float images[B * PIXELS];
static int32_t masks[B * PIXELS];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* When each batch was fetched: the gaps are the steps (the fastest tells the machine's quiet moments). */
static double fetched[4096];
static int n_fetched;

static fv_status fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    (void)data, (void)epoch;
    if (n_fetched < 4096) fetched[n_fetched++] = now();
    for (int i = 0; i < n; i++) {
        size_t at = (size_t)(idx[i] % B) * PIXELS;
        memcpy(fv_f32(x) + (size_t)i * PIXELS, images + at, sizeof(float) * PIXELS);
        memcpy(fv_i32(y) + (size_t)i * PIXELS, masks + at, sizeof(int32_t) * PIXELS);
    }
    return FV_OK;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 10, threads = argc > 2 ? atoi(argv[2]) : 0;
    int warmup = argc > 3 ? atoi(argv[3]) : 3;
    for (int i = 0; i < B * PIXELS; i++) {
        images[i] = fv_rng_uniform(3, 0, (uint64_t)i);
        masks[i] = (int32_t)(fv_rng_uniform(4, 0, (uint64_t)i) * CLASSES) % CLASSES;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, threads);
    fv_model *m = fv_model_by_name(ctx, "unet", 1, SIDE, SIDE, CLASSES);
    if (!m || fv_model_init(m) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_task_options to = fv_task_defaults(FV_TASK_SEGMENT);
    fv_task *task = fv_task_new(ctx, &to);
    if (!task) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_fit_config c = fv_fit_defaults();
    c.batch_size = B;
    c.verbose = FV_VERBOSE_QUIET;
    c.shuffle = false;
    c.task = task;
    c.optim = fv_optim_defaults(FV_OPT_ADAM);
    c.optim.lr = 1e-3f;
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_data_source warm = {(int64_t)warmup * B, fetch, NULL, NULL, NULL}, timed = {(int64_t)steps * B, fetch, NULL, NULL, NULL};
    if (!t || fv_trainer_fit(t, &warm) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_trainer_free(t);
    t = fv_trainer_new(m, &c);
    n_fetched = 0;
    double t0 = now();
    if (!t || fv_trainer_fit(t, &timed) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    double secs = now() - t0;
    double fastest = secs;
    for (int i = 1; i < n_fetched; i++)
        if (fetched[i] - fetched[i - 1] < fastest) fastest = fetched[i] - fetched[i - 1];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("fovea unet 64x64 b32 train step: %.2f ms/step (fastest %.2f), %.1f s/epoch of 4000, %d threads, %s, "
           "peak RSS %.1f MiB\n", secs / steps * 1e3, fastest * 1e3, secs / steps * 4000.0 / B, fv_ctx_threads(ctx), fv_simd_name(), ru.ru_maxrss / 1024.0);
    fv_trainer_free(t);
    fv_task_free(task);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return 0;
}
