/* The real Fashion-MNIST as Debian installs it (dataset-fashion-mnist): found by name (in any case), 10000 test and 60000
 * training images of 28x28 in 10 named classes, 1000 and 6000 of each. Skipped with a note when absent. */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "test.h"

#define DIR "/usr/share/datasets/fashion-mnist"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void check_split(fv_ctx *ctx, bool train)
{
    int64_t n = train ? 60000 : 10000;
    double t0 = seconds();
    fv_dataset *ds = fv_dataset_find(ctx, train ? "Fashion-MNIST" : "fashion-mnist", train);
    double took = seconds() - t0;
    int64_t shape[3] = {0}, counts[10] = {0};
    if (ds) fv_dataset_shape(ds, shape);
    CHECK(ds && fv_dataset_count(ds) == n && shape[0] == 1 && shape[1] == 28 && shape[2] == 28 &&
              fv_dataset_classes(ds) == 10, "%s split: %lld images of (1,28,28) in 10 classes, loaded in %.2f s (%s)",
          train ? "training" : "test", (long long)n, took, fv_errmsg(ctx));
    if (!ds) return;
    fv_dataset_class_counts(ds, counts);
    bool even = true;
    for (int k = 0; k < 10; k++) even = even && counts[k] == n / 10;
    CHECK(even, "%lld images of each class", (long long)(n / 10));
    CHECK(strcmp(fv_dataset_class_name(ds, 0), "T-shirt/top") == 0 && strcmp(fv_dataset_class_name(ds, 9), "Ankle boot") == 0,
          "class names T-shirt/top ... Ankle boot");
    /* a batch of the first 64: pixels within [0, 1], the first test image is an ankle boot (label 9) */
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){64, 1, 28, 28});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){64});
    int64_t idx[64];
    for (int i = 0; i < 64; i++) idx[i] = i;
    bool ok = fv_dataset_batch(ds, idx, 64, x, y) == FV_OK;
    float lo = 1, hi = 0;
    for (int64_t i = 0; ok && i < x->size; i++) {
        if (fv_f32(x)[i] < lo) lo = fv_f32(x)[i];
        if (fv_f32(x)[i] > hi) hi = fv_f32(x)[i];
    }
    CHECK(ok && lo == 0.0f && hi == 1.0f && fv_i32(y)[0] == 9, "batch of 64: pixels span [0, 1], first label %d",
          fv_i32(y)[0]);
    fv_tensor_free(x);
    fv_tensor_free(y);
    fv_dataset_free(ds);
}

int main(void)
{
    struct stat sb;
    if (stat(DIR "/t10k-images-idx3-ubyte.gz", &sb) != 0) {
        printf("skip: Fashion-MNIST is not installed at " DIR " (apt install dataset-fashion-mnist)\n");
        return test_finish();
    }
    unsetenv("FOVEA_DATA_DIR"); /* the installed copy, whatever the environment points at */
    fv_ctx *ctx = fv_ctx_new(1);
    check_split(ctx, false);
    check_split(ctx, true);
    fv_ctx_free(ctx);
    return test_finish();
}
