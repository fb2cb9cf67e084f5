/* fovea detectors: YOLO models (their outputs are yolo layers: docs/MODELS.md) trained through a detection task
 * and read into boxes. A model's yolo outputs are its heads; fv_yolo_info gathers what each carries (classes,
 * anchors) and where it sits (the grid's stride in input pixels), fv_yolo_task trains them all with
 * fv_yolo_loss (fovea/ops_loss.h), and fv_yolo_detect turns their raw maps into scored, suppressed boxes. */
#ifndef FOVEA_DETECT_H
#define FOVEA_DETECT_H

#include "core.h"
#include "model.h"
#include "ops_loss.h"
#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FV_YOLO_MAX_HEADS 8

typedef struct {
    int heads, classes;
    int n_anchors;                          /* every head's anchors, head by head */
    float anchors[2 * FV_YOLO_MAX_ANCHORS]; /* (w, h) in input pixels */
    int first[FV_YOLO_MAX_HEADS], count[FV_YOLO_MAX_HEADS]; /* each head's anchors in that list */
    int layer[FV_YOLO_MAX_HEADS];           /* each head's layer (the model's outputs, in order) */
    int64_t grid[FV_YOLO_MAX_HEADS][2];     /* each head's cells down and across */
    float stride[FV_YOLO_MAX_HEADS][2];     /* pixels per cell down and across */
    int64_t input_h, input_w;
} fv_yolo_info;

/* The heads of m: every output must be a yolo layer, all of one class count, with at most FV_YOLO_MAX_ANCHORS
 * anchors in all and a grid that divides the input; else FV_ERR_ARG naming the output. */
fv_status fv_yolo_info_of(fv_ctx *ctx, const fv_model *m, fv_yolo_info *info);

/* A detection task training every head of m (fv_yolo_loss on each, summed), with tuning's ignore_thresh,
 * lambda_coord and lambda_noobj (NULL: fv_yolo_loss_defaults'); targets carry up to max_boxes boxes an image.
 * NULL with the reason in ctx. */
fv_task *fv_yolo_task(fv_ctx *ctx, const fv_model *m, int max_boxes, const fv_yolo_loss_args *tuning);

typedef struct {
    float conf;          /* a detection's score sigmoid(to) sigmoid(t_class) at least this (0.25) */
    float iou;           /* NMS within a class: IoU above this suppresses (0.45) */
    int max_det;         /* at most this many an image, best first (100) */
} fv_yolo_detect_options;

fv_yolo_detect_options fv_yolo_detect_defaults(void);

/* The detections of image `image` of a batch from the heads' outputs (outputs[h]: head h's (N, A (5 + C), H, W)
 * map): each anchor and cell predicts one box (fv_yolo_decode's parameterisation), scored by its best class,
 * kept above conf, suppressed per class (fv_batched_nms), best first, clipped to the input. boxes (4 max_det
 * floats, xyxy in input pixels), scores and classes (max_det each) receive *n detections. */
fv_status fv_yolo_detect(fv_ctx *ctx, const fv_yolo_info *info, const fv_tensor *const *outputs, int64_t image,
                         const fv_yolo_detect_options *o, float *boxes, float *scores, int32_t *classes, int64_t *n);

/* Detector m (whose heads info describes) on the images x (N, C, H, W) in eval mode: image i's detections in
 * boxes[i * max_det ...] (4 floats each), scores and classes likewise, counts[i] of them. */
fv_status fv_yolo_run(fv_model *m, const fv_yolo_info *info, const fv_tensor *x, const fv_yolo_detect_options *o,
                      float *boxes, float *scores, int32_t *classes, int64_t *counts);

struct fv_det_eval; /* fovea/metrics.h */
struct fv_tensor_set;
/* Every image of a detection set (images and (N, B, 5) boxes, fv_det_load's) through the detector in batches,
 * its true boxes and detections added to e (whose classes must cover the detector's). */
fv_status fv_yolo_evaluate(fv_model *m, const fv_yolo_info *info, const struct fv_tensor_set *set, int batch,
                           const fv_yolo_detect_options *o, struct fv_det_eval *e);

#ifdef __cplusplus
}
#endif

#endif
