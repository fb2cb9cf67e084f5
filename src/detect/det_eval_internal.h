/* The store behind fv_det_eval (include/fovea/metrics.h): every image's true boxes and detections, in the order
 * added, read by the VOC (ap_voc.c) and COCO (ap_coco.c) scorers. */
#ifndef FV_DET_EVAL_INTERNAL_H
#define FV_DET_EVAL_INTERNAL_H

#include "../core/internal.h"
#include "fovea/metrics.h"

typedef struct {
    float box[4];
    int32_t cls;
    bool crowd;
} fv_det_truth;

typedef struct {
    float box[4];
    float score;
    int32_t cls;
} fv_det_found;

struct fv_det_eval {
    fv_ctx *ctx;
    int k;
    fv_det_truth *gt;
    fv_det_found *det;
    int64_t n_gt, n_det, cap_gt, cap_det;
    int64_t *gt_start, *det_start; /* per image: where its boxes start; n_images + 1 entries */
    int64_t n_images, cap_images;
};

/* Intersection over union of two corner boxes in double, 0 where they do not overlap; crowd: over the first
 * box's area alone (COCO's rule for a crowd region). */
double fv_det_iou(const float *a, const float *b, bool crowd);

#endif
