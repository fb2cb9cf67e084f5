/* Non-maximum suppression: torchvision's greedy NMS (per image and per class) and OpenCV's soft-NMS. The
 * overlap is computed as each reference computes it (torchvision: corners' intersection over the sum of the
 * two areas less it; OpenCV: the same on its rectangles), so that the kept indices are the same ones. */
#include <math.h>
#include <stdlib.h>

#include "../core/internal.h"
#include "fovea/boxes.h"
#include "ranked.h"

/* The greedy pass's overlap test: areas precomputed, as torchvision's CPU kernel does. */
static float overlap(const float *a, float area_a, const float *b, float area_b)
{
    float w = fmaxf(0.0f, fminf(a[2], b[2]) - fmaxf(a[0], b[0]));
    float h = fmaxf(0.0f, fminf(a[3], b[3]) - fmaxf(a[1], b[1]));
    float inter = w * h;
    return inter / (area_a + area_b - inter);
}

static fv_status check_scores(fv_ctx *ctx, const char *who, const float *scores, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (isnan(scores[i])) return fv_error(ctx, FV_ERR_ARG, "%s: score %lld is NaN", who, (long long)i);
    return FV_OK;
}

/* The greedy pass over the members of one group (all boxes, or one class), members sorted by score: kept
 * indices appended to keep. suppressed and area are scratch of n. */
static int64_t greedy(const float *boxes, const fv_ranked *order, int64_t count, float threshold, const float *area,
                      unsigned char *suppressed, int64_t *keep)
{
    int64_t kept = 0;
    for (int64_t a = 0; a < count; a++) {
        int64_t i = order[a].index;
        if (suppressed[i]) continue;
        keep[kept++] = i;
        for (int64_t b = a + 1; b < count; b++) {
            int64_t j = order[b].index;
            if (!suppressed[j] && overlap(boxes + 4 * i, area[i], boxes + 4 * j, area[j]) > threshold) suppressed[j] = 1;
        }
    }
    return kept;
}

/* Scratch for a pass over n boxes; false (error in ctx) when it cannot be had. */
typedef struct {
    fv_ranked *order;
    float *area;
    unsigned char *suppressed;
} scratch;

static bool scratch_take(fv_ctx *ctx, scratch *s, int64_t n, const char *who)
{
    size_t count = n > 0 ? (size_t)n : 1;
    s->order = malloc(count * sizeof *s->order), s->area = malloc(count * sizeof *s->area);
    s->suppressed = calloc(count, 1);
    if (s->order && s->area && s->suppressed) return true;
    fv_error(ctx, FV_ERR_NOMEM, "%s: no memory for %lld boxes", who, (long long)n);
    return false;
}

static void scratch_give(scratch *s) { free(s->order), free(s->area), free(s->suppressed); }

static fv_status check_call(fv_ctx *ctx, const char *who, const float *scores, int64_t n, float threshold,
                            int64_t *kept)
{
    if (kept) *kept = 0;
    if (n < 0 || !kept) return fv_error(ctx, FV_ERR_ARG, "%s: %lld boxes", who, (long long)n);
    if (isnan(threshold)) return fv_error(ctx, FV_ERR_ARG, "%s: the IoU threshold is NaN", who);
    return check_scores(ctx, who, scores, n);
}

fv_status fv_nms(fv_ctx *ctx, const float *boxes, const float *scores, int64_t n, float iou_threshold,
                 int64_t *keep, int64_t *kept)
{
    fv_status st = check_call(ctx, "nms", scores, n, iou_threshold, kept);
    scratch s;
    if (st != FV_OK) return st;
    if (!scratch_take(ctx, &s, n, "nms")) return scratch_give(&s), FV_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) s.order[i] = (fv_ranked){scores[i], i};
    qsort(s.order, (size_t)n, sizeof *s.order, fv_by_score);
    fv_box_area(s.area, boxes, n);
    *kept = greedy(boxes, s.order, n, iou_threshold, s.area, s.suppressed, keep);
    scratch_give(&s);
    return FV_OK;
}

/* Classes, then scores: each class's members lie together, each by score. */
typedef struct {
    int32_t cls;
    fv_ranked r;
} classed;

static int by_class(const void *pa, const void *pb)
{
    const classed *a = pa, *b = pb;
    if (a->cls != b->cls) return a->cls < b->cls ? -1 : 1;
    return fv_by_score(&a->r, &b->r);
}

fv_status fv_batched_nms(fv_ctx *ctx, const float *boxes, const float *scores, const int32_t *classes, int64_t n,
                         float iou_threshold, int64_t *keep, int64_t *kept)
{
    fv_status st = check_call(ctx, "batched_nms", scores, n, iou_threshold, kept);
    scratch s;
    if (st != FV_OK) return st;
    classed *all = malloc((size_t)(n > 0 ? n : 1) * sizeof *all);
    if (!all || !scratch_take(ctx, &s, n, "batched_nms")) {
        free(all), scratch_give(&s);
        return fv_error(ctx, FV_ERR_NOMEM, "batched_nms: no memory for %lld boxes", (long long)n);
    }
    for (int64_t i = 0; i < n; i++) all[i] = (classed){classes[i], {scores[i], i}};
    qsort(all, (size_t)n, sizeof *all, by_class);
    for (int64_t i = 0; i < n; i++) s.order[i] = all[i].r;
    fv_box_area(s.area, boxes, n);
    int64_t total = 0;
    for (int64_t g0 = 0, g1; g0 < n; g0 = g1) { /* one class at a time: never across two */
        for (g1 = g0 + 1; g1 < n && all[g1].cls == all[g0].cls; g1++) continue;
        total += greedy(boxes, s.order + g0, g1 - g0, iou_threshold, s.area, s.suppressed, keep + total);
    }
    for (int64_t i = 0; i < total; i++) s.order[i] = (fv_ranked){scores[keep[i]], keep[i]};
    qsort(s.order, (size_t)total, sizeof *s.order, fv_by_score); /* every class's kept boxes by score */
    for (int64_t i = 0; i < total; i++) keep[i] = s.order[i].index;
    *kept = total;
    free(all), scratch_give(&s);
    return FV_OK;
}

fv_status fv_soft_nms(fv_ctx *ctx, const float *boxes, const float *scores, int64_t n, fv_soft_nms_method method,
                      float sigma, float iou_threshold, float score_threshold, int64_t top_k, int64_t *keep,
                      int64_t *kept, float *scores_out)
{
    fv_status st = check_call(ctx, "soft_nms", scores, n, iou_threshold, kept);
    if (st != FV_OK) return st;
    if (!(iou_threshold >= 0.0f) || !(score_threshold >= 0.0f) || !(sigma >= 0.0f) ||
        (method == FV_SOFT_NMS_GAUSSIAN && sigma == 0.0f))
        return fv_error(ctx, FV_ERR_ARG, "soft_nms: thresholds (%g, %g) must be >= 0 and sigma %g > 0",
                        (double)iou_threshold, (double)score_threshold, (double)sigma);
    scratch s;
    if (!scratch_take(ctx, &s, n, "soft_nms")) return scratch_give(&s), FV_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) s.order[i] = (fv_ranked){scores[i], i};
    fv_box_area(s.area, boxes, n);
    int64_t limit = top_k > 0 && top_k < n ? top_k : n, count = 0;
    /* s.order[0, start) are kept; the best of the rest is found anew after every decay, as OpenCV does */
    for (int64_t start = 0; count < limit; start++) {
        int64_t best = start;
        for (int64_t i = start + 1; i < n; i++)
            if (fv_by_score(&s.order[i], &s.order[best]) < 0) best = i;
        if (s.order[best].score < score_threshold) break;
        fv_ranked top = s.order[best];
        s.order[best] = s.order[start], s.order[start] = top;
        keep[count] = top.index;
        if (scores_out) scores_out[count] = top.score;
        count++;
        const float *b = boxes + 4 * top.index;
        for (int64_t i = start + 1; i < n; i++) {
            fv_ranked *r = &s.order[i];
            if (r->score < score_threshold) continue;
            float o = overlap(b, s.area[top.index], boxes + 4 * r->index, s.area[r->index]);
            if (!(s.area[top.index] + s.area[r->index] > 0.0f)) o = 1.0f; /* two empty boxes: OpenCV's overlap */
            if (method == FV_SOFT_NMS_GAUSSIAN) r->score *= expf(-(o * o) / sigma);
            else if (o > iou_threshold) r->score *= 1.0f - o;
        }
    }
    *kept = count;
    scratch_give(&s);
    return FV_OK;
}
