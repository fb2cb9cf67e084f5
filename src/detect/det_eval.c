/* The detection evaluator's store: images added one by one, their true boxes and detections kept in order
 * (the scorers break score ties by that order, as the references do). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "det_eval_internal.h"

fv_det_eval *fv_det_eval_new(fv_ctx *ctx, int k)
{
    if (k < 1 || k > 1000000) {
        fv_error(ctx, FV_ERR_ARG, "detection evaluation: %d classes", k);
        return NULL;
    }
    fv_det_eval *e = calloc(1, sizeof *e);
    if (e) e->gt_start = calloc(16, sizeof *e->gt_start), e->det_start = calloc(16, sizeof *e->det_start);
    if (!e || !e->gt_start || !e->det_start) {
        fv_det_eval_free(e);
        fv_error(ctx, FV_ERR_NOMEM, "detection evaluation: out of memory");
        return NULL;
    }
    e->ctx = ctx, e->k = k, e->cap_images = 16; /* entries of gt_start and det_start */
    return e;
}

void fv_det_eval_free(fv_det_eval *e)
{
    if (!e) return;
    free(e->gt), free(e->det), free(e->gt_start), free(e->det_start);
    free(e);
}

int64_t fv_det_eval_images(const fv_det_eval *e) { return e ? e->n_images : 0; }

double fv_det_iou(const float *a, const float *b, bool crowd)
{
    double w = fmin(a[2], b[2]) - fmax(a[0], b[0]), h = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (w <= 0.0 || h <= 0.0) return 0.0;
    double inter = w * h, area_a = ((double)a[2] - a[0]) * ((double)a[3] - a[1]);
    double uni = crowd ? area_a : area_a + ((double)b[2] - b[0]) * ((double)b[3] - b[1]) - inter;
    return inter / uni;
}

static fv_status check(fv_det_eval *e, const char *what, const float *boxes, const int32_t *classes,
                       const float *scores, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (classes[i] < 0 || classes[i] >= e->k)
            return fv_error(e->ctx, FV_ERR_ARG, "detection evaluation: image %lld, %s %lld has class %d (of %d)",
                            (long long)e->n_images, what, (long long)i, classes[i], e->k);
        if (scores && isnan(scores[i]))
            return fv_error(e->ctx, FV_ERR_ARG, "detection evaluation: image %lld, %s %lld has a NaN score",
                            (long long)e->n_images, what, (long long)i);
        for (int c = 0; c < 4; c++)
            if (!isfinite(boxes[4 * i + c]))
                return fv_error(e->ctx, FV_ERR_ARG, "detection evaluation: image %lld, %s %lld has a box corner %g",
                                (long long)e->n_images, what, (long long)i, (double)boxes[4 * i + c]);
    }
    return FV_OK;
}

/* Room for `more` items in an array of `have` of `cap`, each `size` bytes. */
static bool grow(void **items, int64_t *cap, int64_t have, int64_t more, size_t size)
{
    if (have + more <= *cap) return true;
    int64_t want = *cap ? *cap : 64;
    while (want < have + more) want *= 2;
    void *p = realloc(*items, (size_t)want * size);
    if (!p) return false;
    *items = p, *cap = want;
    return true;
}

/* Room for one more image in the per-image start arrays (n_images + 2 entries: the next image's end too). */
static bool grow_images(fv_det_eval *e)
{
    if (e->n_images + 2 <= e->cap_images) return true;
    int64_t cap = 2 * e->cap_images;
    int64_t *g = realloc(e->gt_start, (size_t)cap * sizeof *g);
    if (g) e->gt_start = g;
    int64_t *d = g ? realloc(e->det_start, (size_t)cap * sizeof *d) : NULL;
    if (d) e->det_start = d;
    if (!g || !d) return false; /* both keep their old contents either way */
    e->cap_images = cap;
    return true;
}

fv_status fv_det_eval_add(fv_det_eval *e, const float *gt_boxes, const int32_t *gt_classes, const uint8_t *gt_crowd,
                          int64_t n_gt, const float *det_boxes, const float *det_scores, const int32_t *det_classes,
                          int64_t n_det)
{
    if (!e) return FV_ERR_ARG;
    if (n_gt < 0 || n_det < 0)
        return fv_error(e->ctx, FV_ERR_ARG, "detection evaluation: %lld true boxes, %lld detections", (long long)n_gt,
                        (long long)n_det);
    fv_status s = check(e, "true box", gt_boxes, gt_classes, NULL, n_gt);
    if (s == FV_OK) s = check(e, "detection", det_boxes, det_classes, det_scores, n_det);
    if (s != FV_OK) return s;
    if (!grow((void **)&e->gt, &e->cap_gt, e->n_gt, n_gt, sizeof *e->gt) ||
        !grow((void **)&e->det, &e->cap_det, e->n_det, n_det, sizeof *e->det) || !grow_images(e))
        return fv_error(e->ctx, FV_ERR_NOMEM, "detection evaluation: out of memory at image %lld",
                        (long long)e->n_images);
    for (int64_t i = 0; i < n_gt; i++) {
        fv_det_truth *t = &e->gt[e->n_gt + i];
        memcpy(t->box, gt_boxes + 4 * i, sizeof t->box);
        t->cls = gt_classes[i], t->crowd = gt_crowd && gt_crowd[i];
    }
    for (int64_t i = 0; i < n_det; i++) {
        fv_det_found *d = &e->det[e->n_det + i];
        memcpy(d->box, det_boxes + 4 * i, sizeof d->box);
        d->score = det_scores[i], d->cls = det_classes[i];
    }
    e->gt_start[e->n_images] = e->n_gt, e->det_start[e->n_images] = e->n_det;
    e->n_gt += n_gt, e->n_det += n_det, e->n_images++;
    e->gt_start[e->n_images] = e->n_gt, e->det_start[e->n_images] = e->n_det;
    return FV_OK;
}
