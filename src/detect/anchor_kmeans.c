/* YOLOv2's dimension clusters (Redmon and Farhadi, YOLO9000, section 2): anchor sizes chosen by k-means over a
 * data set's box sizes with the distance 1 - IoU, a box and a centroid compared as if they shared a centre,
 * so that big boxes do not dominate as they do under Euclidean distance. Seeded as k-means++ (each new seed
 * drawn with probability proportional to its squared distance to the nearest seed so far) from fovea's
 * counter-based generator, so that a seed gives the same anchors on every machine; the best of RESTARTS runs
 * (by mean IoU) is kept, as scikit-learn's KMeans keeps the best of n_init, since one seeding can still put two
 * centroids in one cluster and leave two clusters to share one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/boxes.h"
#include "fovea/init.h"

#define RESTARTS 5

/* IoU of two sizes sharing a centre. */
static double shared_iou(const float *a, const float *b)
{
    double inter = fmin(a[0], b[0]) * fmin(a[1], b[1]);
    return inter / ((double)a[0] * a[1] + (double)b[0] * b[1] - inter);
}

/* The nearest anchor of box i (highest IoU, the first on ties) and that IoU. */
static int nearest(const float *box, const float *anchors, int k, double *best_iou)
{
    int best = 0;
    double top = -1.0;
    for (int c = 0; c < k; c++) {
        double iou = shared_iou(box, anchors + 2 * c);
        if (iou > top) top = iou, best = c;
    }
    *best_iou = top;
    return best;
}

/* k-means++: the first seed uniformly, each next with probability proportional to its squared distance
 * (1 - IoU)^2 to the nearest seed so far (a box equal to a seed is never drawn again); run r draws from its
 * own stream. */
static void seed_centroids(float *anchors, int k, const float *wh, int64_t n, uint64_t seed, int run, double *dist)
{
    int64_t first = (int64_t)(fv_rng_uniform(seed, (uint64_t)run, 0) * (double)n);
    memcpy(anchors, wh + 2 * (first < n ? first : n - 1), 2 * sizeof(float));
    for (int c = 1; c < k; c++) {
        double total = 0.0;
        for (int64_t i = 0; i < n; i++) {
            double iou;
            nearest(wh + 2 * i, anchors, c, &iou);
            dist[i] = (1.0 - iou) * (1.0 - iou), total += dist[i];
        }
        double target = fv_rng_uniform(seed, (uint64_t)run, (uint64_t)c) * total, sum = 0.0;
        int64_t pick = n - 1;
        for (int64_t i = 0; i < n; i++)
            if (dist[i] > 0.0 && (sum += dist[i]) > target) {
                pick = i;
                break;
            }
        memcpy(anchors + 2 * c, wh + 2 * pick, 2 * sizeof(float));
    }
}

/* One assignment pass; how many boxes changed cluster. */
static int64_t assign(int *owner, const float *anchors, int k, const float *wh, int64_t n, double *mean_iou)
{
    int64_t moved = 0;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double iou;
        int c = nearest(wh + 2 * i, anchors, k, &iou);
        moved += owner[i] != c, owner[i] = c, sum += iou;
    }
    *mean_iou = sum / (double)n;
    return moved;
}

/* Each centroid moves to the mean size of its boxes (YOLOv2 averages the sizes); an empty one stays. */
static void update(float *anchors, int k, const int *owner, const float *wh, int64_t n, double *acc)
{
    memset(acc, 0, (size_t)k * 3 * sizeof *acc);
    for (int64_t i = 0; i < n; i++)
        acc[3 * owner[i]] += wh[2 * i], acc[3 * owner[i] + 1] += wh[2 * i + 1], acc[3 * owner[i] + 2] += 1.0;
    for (int c = 0; c < k; c++)
        if (acc[3 * c + 2] > 0.0)
            anchors[2 * c] = (float)(acc[3 * c] / acc[3 * c + 2]), anchors[2 * c + 1] = (float)(acc[3 * c + 1] / acc[3 * c + 2]);
}

static int by_area(const void *pa, const void *pb)
{
    const float *a = pa, *b = pb;
    double x = (double)a[0] * a[1], y = (double)b[0] * b[1];
    return (x > y) - (x < y);
}

fv_status fv_anchor_kmeans(fv_ctx *ctx, float *anchors, int k, const float *wh, int64_t n, uint64_t seed,
                           int max_iter, double *mean_iou)
{
    if (k < 1 || n < k)
        return fv_error(ctx, FV_ERR_ARG, "anchor k-means: %d anchors from %lld boxes (need at least as many boxes)", k,
                        (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (!(isfinite(wh[2 * i]) && wh[2 * i] > 0.0f && isfinite(wh[2 * i + 1]) && wh[2 * i + 1] > 0.0f))
            return fv_error(ctx, FV_ERR_ARG, "anchor k-means: box %lld has size %g x %g", (long long)i,
                            (double)wh[2 * i], (double)wh[2 * i + 1]);
    int *owner = malloc((size_t)n * sizeof *owner);
    double *scratch = malloc((size_t)(n > 3 * k ? n : 3 * k) * sizeof *scratch), iou = 0.0;
    if (!owner || !scratch) {
        free(owner), free(scratch);
        return fv_error(ctx, FV_ERR_NOMEM, "anchor k-means: no memory for %lld boxes", (long long)n);
    }
    float *trial = malloc((size_t)k * 2 * sizeof *trial);
    double best = -1.0;
    for (int run = 0; trial && run < RESTARTS; run++) {
        seed_centroids(trial, k, wh, n, seed, run, scratch);
        for (int64_t i = 0; i < n; i++) owner[i] = -1;
        for (int it = 0; assign(owner, trial, k, wh, n, &iou) > 0 && it < (max_iter > 0 ? max_iter : 300); it++)
            update(trial, k, owner, wh, n, scratch);
        assign(owner, trial, k, wh, n, &iou); /* with the final centroids */
        if (iou > best) best = iou, memcpy(anchors, trial, (size_t)k * 2 * sizeof *trial);
    }
    if (!trial) {
        free(owner), free(scratch);
        return fv_error(ctx, FV_ERR_NOMEM, "anchor k-means: no memory for %d anchors", k);
    }
    qsort(anchors, (size_t)k, 2 * sizeof(float), by_area);
    if (mean_iou) *mean_iou = best;
    free(trial);
    free(owner), free(scratch);
    return FV_OK;
}
