/* YOLO training step (issue 19's detection row): the zoo's yolo-fmnist (1 channel, 64x64, 11 classes, one
 * stride-8 head of three anchors) trained by fv_yolo_task, Adam lr 2e-3, batch 32, on a fixed synthetic batch of
 * three boxes an image of the composed items' sizes (the bench times the step, not the loader); milliseconds per
 * step, images per second and peak RSS, beside bench/torch_yolo.py's step mode.
 * Usage: bench_train_yolo [steps [threads [warmup]]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fovea.h"

#define B 32
#define SIDE 64
#define PIXELS (SIDE * SIDE)
#define OBJECTS 4

static float images[B * PIXELS], boxes[B * OBJECTS * 5];

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
        size_t at = (size_t)(idx[i] % B);
        memcpy(fv_f32(x) + (size_t)i * PIXELS, images + at * PIXELS, sizeof(float) * PIXELS);
        memcpy(fv_f32(y) + (size_t)i * OBJECTS * 5, boxes + at * OBJECTS * 5, sizeof(float) * OBJECTS * 5);
    }
    return FV_OK;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 10, threads = argc > 2 ? atoi(argv[2]) : 0;
    int warmup = argc > 3 ? atoi(argv[3]) : 3;
    for (int i = 0; i < B * PIXELS; i++) images[i] = fv_rng_uniform(3, 0, (uint64_t)i);
    for (int n = 0; n < B; n++)
        for (int b = 0; b < OBJECTS; b++) {
            float *r = boxes + (n * OBJECTS + b) * 5;
            if (b == OBJECTS - 1) { /* padding, as a set's batch has */
                r[0] = -1, r[1] = r[2] = r[3] = r[4] = 0;
                continue;
            }
            float x0 = 36 * fv_rng_uniform(4, 0, (uint64_t)(n * 8 + b)), y0 = 36 * fv_rng_uniform(4, 1, (uint64_t)(n * 8 + b));
            float w = 8 + 20 * fv_rng_uniform(4, 2, (uint64_t)(n * 8 + b)), h = 8 + 20 * fv_rng_uniform(4, 3, (uint64_t)(n * 8 + b));
            r[0] = (float)((n + b) % 11), r[1] = x0, r[2] = y0, r[3] = x0 + w, r[4] = y0 + h;
        }
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, threads);
    fv_model *m = fv_model_by_name(ctx, "yolo-fmnist", 1, SIDE, SIDE, 11);
    if (!m || fv_model_init(m) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_task *task = fv_yolo_task(ctx, m, OBJECTS, NULL);
    if (!task) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_fit_config c = fv_fit_defaults();
    c.batch_size = B, c.verbose = FV_VERBOSE_QUIET, c.shuffle = false, c.task = task;
    c.optim = fv_optim_defaults(FV_OPT_ADAM);
    c.optim.lr = 2e-3f;
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_data_source warm = {(int64_t)warmup * B, fetch, NULL, NULL, NULL}, timed = {(int64_t)steps * B, fetch, NULL, NULL, NULL};
    if (!t || fv_trainer_fit(t, &warm) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_trainer_free(t);
    t = fv_trainer_new(m, &c);
    double t0 = now();
    if (!t || fv_trainer_fit(t, &timed) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    double secs = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("fovea yolo-fmnist 64x64 b32 train step: %.2f ms/step, %.1f images/s, %d threads, %s, peak RSS %.1f MiB\n",
           secs / steps * 1e3, B * steps / secs, fv_ctx_threads(ctx), fv_simd_name(), ru.ru_maxrss / 1024.0);
    fv_trainer_free(t);
    fv_task_free(task);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return 0;
}
