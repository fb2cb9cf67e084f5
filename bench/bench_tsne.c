/* t-SNE on Fashion-MNIST embeddings: an MLP trained for one epoch on 6,000 images gives 128-d penultimate
 * features of 2,000 test images; t-SNE maps them to 2-D. Prints the 5-NN accuracy in both spaces and the time.
 * Needs Debian's dataset-fashion-mnist. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fovea.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_dataset *train = fv_dataset_find(ctx, "fashion-mnist", true), *test = fv_dataset_find(ctx, "fashion-mnist", false);
    fv_model *m = fv_model_by_name(ctx, "mlp", 0, 0, 0, 0);
    if (!train || !test || !m) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_model_init(m);
    fv_fit_config c = fv_fit_defaults();
    c.batch_size = 64;
    c.verbose = FV_VERBOSE_QUIET;
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_data_source tr = {6000, fv_dataset_fetch, train, NULL, NULL}, te = {2000, fv_dataset_fetch, test, NULL, NULL};
    if (fv_trainer_fit(t, &tr) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_tensor *labels = NULL, *f = fv_extract_features(m, &te, NULL, 256, &labels);
    if (!f) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    int64_t n = f->shape[0], d = f->shape[1];
    float *y = malloc((size_t)n * 2 * sizeof *y);
    double t0 = now();
    if (fv_tsne(ctx, fv_f32(f), n, d, 2, 30.0f, y) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    double secs = now() - t0;
    double a_orig = fv_knn_accuracy(fv_f32(f), n, d, fv_i32(labels), 5), a_map = fv_knn_accuracy(y, n, 2, fv_i32(labels), 5);
    printf("fovea t-SNE: %lld points x %lld features -> 2-D in %.2f s, %d threads; 5-NN accuracy %.4f in the "
           "original space, %.4f in the map\n", (long long)n, (long long)d, secs, fv_ctx_threads(ctx), a_orig, a_map);
    free(y);
    fv_tensor_free(f), fv_tensor_free(labels);
    fv_trainer_free(t);
    fv_model_free(m);
    fv_dataset_free(train), fv_dataset_free(test);
    fv_ctx_free(ctx);
    return 0;
}
