/* t-SNE keeps separated clusters apart (5-NN accuracy in the map), gives the same map on 1 and 2 threads, and
 * refuses bad sizes; the k-NN accuracy itself on a case worked by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "test.h"

int main(void)
{
    int64_t n = 90, d = 10;
    float *x = malloc((size_t)(n * d) * sizeof *x), *y1 = malloc((size_t)(n * 2) * sizeof *y1),
          *y2 = malloc((size_t)(n * 2) * sizeof *y2);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    for (int64_t i = 0; i < n; i++) { /* three clusters, 4 units apart, unit spread */
        labels[i] = (int32_t)(i % 3);
        for (int64_t j = 0; j < d; j++)
            x[i * d + j] = (j == labels[i] ? 4.0f : 0.0f) + 2.0f * (fv_rng_uniform(3, 1, (uint64_t)(i * d + j)) - 0.5f);
    }
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, 1);
    CHECK(fv_tsne(ctx, x, n, d, 2, 20.0f, y1) == FV_OK, "t-SNE runs (%s)", fv_errmsg(ctx));
    fv_ctx_set_threads(ctx, 2);
    CHECK(fv_tsne(ctx, x, n, d, 2, 20.0f, y2) == FV_OK && memcmp(y1, y2, (size_t)(n * 2) * sizeof *y1) == 0,
          "the same map on 1 and 2 threads");
    double orig = fv_knn_accuracy(x, n, d, labels, 5), map = fv_knn_accuracy(y1, n, 2, labels, 5);
    CHECK(orig == 1.0 && map >= 0.95, "clusters stay apart: 5-NN accuracy %.3f in the map, %.3f before", map, orig);
    CHECK(fv_tsne(ctx, x, 3, d, 2, 1.0f, y1) == FV_ERR_ARG && fv_tsne(ctx, x, n, d, 4, 20.0f, y1) == FV_ERR_ARG &&
              fv_tsne(ctx, x, n, d, 2, 200.0f, y1) == FV_ERR_ARG,
          "too few points, 4 dimensions, perplexity above the point count: refused (%s)", fv_errmsg(ctx));
    float line[5] = {0, 1, 2, 10, 11};
    int32_t lab[5] = {0, 0, 1, 1, 1};
    /* 1-NN: 0->1 (0 ok), 1->0 or 2 (tie at distance 1: the first found, 0, ok), 2->1 (label 0, wrong), 10->11 ok, 11->10 ok */
    CHECK(fabs(fv_knn_accuracy(line, 5, 1, lab, 1) - 0.8) < 1e-12, "1-NN accuracy on a line: %.2f", fv_knn_accuracy(line, 5, 1, lab, 1));
    free(x), free(y1), free(y2), free(labels);
    fv_ctx_free(ctx);
    return test_finish();
}
