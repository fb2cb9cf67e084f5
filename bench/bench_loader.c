/* Does the loader keep up? Batches of 64 per second that the loader makes from a folder of 28x28 PNG files
 * (Fashion-MNIST when installed, else synthetic images) with augmentation on (rotation, shift, zoom, flip),
 * against the batches per second that FMNIST-CNN training consumes (Adam, batch 64), on the same machine.
 * Usage: bench_loader [batches [threads [loader_threads]]] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fovea.h"
#include "fovea/augment.h"

#define N_IMAGES 2048
#define BATCH 64

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A plain write (fv_png_write's sync per file would dominate the setup). */
static int write_png(fv_ctx *ctx, const char *path, const uint8_t *px)
{
    uint8_t *png;
    size_t len;
    if (fv_png_encode(ctx, px, 28, 28, 1, &png, &len) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(png, 1, len, f) != len;
    if (f && fclose(f) != 0) bad = 1;
    free(png);
    if (bad) fprintf(stderr, "cannot write %s\n", path);
    return bad;
}

/* dir/<class>/<i>.png from Fashion-MNIST's training images, or from smooth synthetic ones. */
static int write_folder(fv_ctx *ctx, const char *dir)
{
    fv_dataset *fm = fv_dataset_find(ctx, "fashion-mnist", true);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, 28, 28});
    uint8_t px[784];
    char path[512];
    for (int k = 0; k < 10; k++) {
        snprintf(path, sizeof path, "%s/%d", dir, k);
        mkdir(path, 0755);
    }
    for (int64_t i = 0; i < N_IMAGES; i++) {
        int label = (int)(i % 10);
        if (fm) {
            fv_dataset_batch(fm, &i, 1, x, NULL);
            for (int p = 0; p < 784; p++) px[p] = (uint8_t)(fv_f32(x)[p] * 255.0f + 0.5f);
            label = fv_dataset_label(fm, i);
        } else {
            for (int p = 0; p < 784; p++) px[p] = (uint8_t)(((p % 28) * (p / 28) + i * 7) & 255);
        }
        snprintf(path, sizeof path, "%s/%d/%05lld.png", dir, label, (long long)i);
        if (write_png(ctx, path, px)) return 1;
    }
    fv_tensor_free(x);
    fv_dataset_free(fm);
    return 0;
}

/* Loader batches per second over `batches` shuffled batches of one epoch (after 4 to warm up). */
static double loader_rate(fv_ctx *ctx, const fv_dataset *ds, int batches, int threads)
{
    fv_augment *aug = fv_augment_new(ctx);
    fv_affine_range r = {.rotation = 10, .shift_x = 0.1, .shift_y = 0.1, .zoom_lo = 0.9, .zoom_hi = 1.1};
    fv_augment_add_affine(aug, &r, 1.0);
    fv_augment_add_flip(aug, true, 0.5);
    fv_loader_options o = fv_loader_defaults();
    o.threads = threads, o.augment = aug;
    fv_loader *l = fv_loader_new(ctx, ds, &o);
    fv_data_source src = fv_loader_source(l);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){BATCH, 1, 28, 28});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){BATCH});
    int64_t *order = malloc(sizeof *order * (size_t)(batches + 5) * BATCH);
    for (int64_t i = 0; i < (int64_t)(batches + 5) * BATCH; i++) order[i] = (i * 7919) % N_IMAGES;
    double t0 = 0;
    for (int b = 0; b < batches + 4; b++) {
        if (b == 4) t0 = now();
        src.prefetch(src.data, 0, order + (int64_t)(b + 1) * BATCH, BATCH);
        if (src.fetch(src.data, 0, order + (int64_t)b * BATCH, BATCH, x, y) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 0;
    }
    double rate = batches / (now() - t0);
    free(order);
    fv_tensor_free(x), fv_tensor_free(y);
    fv_loader_free(l);
    fv_augment_free(aug);
    return rate;
}

static fv_status fetch_synthetic(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    (void)data, (void)epoch;
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < 784; p++) fv_f32(x)[i * 784 + p] = fv_rng_uniform(1, 2, (uint64_t)idx[i] * 784 + p);
        fv_i32(y)[i] = (int32_t)(idx[i] % 10);
    }
    return FV_OK;
}

/* FMNIST-CNN training steps per second (data made in memory, so only the step is timed). */
static double training_rate(fv_ctx *ctx, int steps)
{
    fv_model *m = fv_model_by_name(ctx, "fmnist-cnn", 0, 0, 0, 0);
    fv_model_init(m);
    fv_fit_config c = fv_fit_defaults();
    c.batch_size = BATCH, c.verbose = FV_VERBOSE_QUIET, c.shuffle = false;
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_data_source warm = {3 * BATCH, fetch_synthetic, NULL, NULL, NULL}, timed = {(int64_t)steps * BATCH, fetch_synthetic, NULL, NULL, NULL};
    if (!t || fv_trainer_fit(t, &warm) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 0;
    fv_trainer_free(t);
    t = fv_trainer_new(m, &c); /* a fresh trainer: the first has done its epoch */
    double t0 = now();
    if (!t || fv_trainer_fit(t, &timed) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 0;
    double rate = steps / (now() - t0);
    fv_trainer_free(t);
    fv_model_free(m);
    return rate;
}

int main(int argc, char **argv)
{
    int batches = argc > 1 ? atoi(argv[1]) : 60, threads = argc > 2 ? atoi(argv[2]) : 0;
    int loader_threads = argc > 3 ? atoi(argv[3]) : 0;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, threads);
    char dir[] = "/tmp/fovea_bench_loader_XXXXXX";
    if (!mkdtemp(dir) || write_folder(ctx, dir)) return 1;
    fv_dataset *ds = fv_dataset_load_images(ctx, dir, NULL, NULL);
    if (!ds) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    double load = loader_rate(ctx, ds, batches, loader_threads), train = training_rate(ctx, batches);
    printf("fovea loader: %.1f batches/s (decode + augment, %s loader threads), training consumes %.1f batches/s "
           "(%d threads): ratio %.2f x\n", load, argc > 3 ? argv[3] : "default", train, fv_ctx_threads(ctx),
           train > 0 ? load / train : 0);
    fv_dataset_free(ds);
    fv_ctx_free(ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) != 0;
}
