/* fovea boxes: the geometry of object detection. Box formats, areas and clipping, the IoU family (IoU, GIoU,
 * DIoU, CIoU) and its losses, non-maximum suppression (plain, per class, soft), anchors on a grid and chosen
 * from a data set's boxes, and the two box encodings detectors regress (R-CNN's deltas against an anchor,
 * YOLO's offsets in a grid cell). Every function computes what torchvision.ops (0.14) computes, in float32,
 * where torchvision has it; soft-NMS follows OpenCV's softNMSBoxes; the tests hold fixtures of both.
 *
 * A box is 4 floats; n boxes are n rows of 4. Unless a function names another format, boxes are (x1, y1, x2,
 * y2), corners in pixels, x1 <= x2 and y1 <= y2 (torchvision's convention; a box with x2 < x1 has no area and
 * overlaps nothing). Functions that can meet bad data (NaN scores, absurd thresholds) or need memory take a
 * context and report in it; the purely arithmetic ones carry NaN through as the formulas do. */
#ifndef FOVEA_BOXES_H
#define FOVEA_BOXES_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- formats, areas, clipping ------------------------------------------------------------------------- */

typedef enum {
    FV_BOX_XYXY,   /* corners (x1, y1, x2, y2) */
    FV_BOX_XYWH,   /* top-left corner and size (x, y, w, h): COCO's */
    FV_BOX_CXCYWH, /* centre and size (cx, cy, w, h): YOLO's */
} fv_box_format;

/* out = in converted from one format to another, as torchvision.ops.box_convert; out may be in. */
void fv_box_convert(float *out, const float *in, int64_t n, fv_box_format from, fv_box_format to);
/* area[i] = (x2 - x1) * (y2 - y1) (torchvision.ops.box_area: negative for an inverted box). */
void fv_box_area(float *area, const float *boxes, int64_t n);
/* Clamp x to [0, width] and y to [0, height] in place (torchvision.ops.clip_boxes_to_image). */
void fv_box_clip(float *boxes, int64_t n, float height, float width);
/* The indices of the boxes whose width and height are both >= min_size, in order, into keep (n at most); the
 * count (torchvision.ops.remove_small_boxes). */
int64_t fv_box_remove_small(int64_t *keep, const float *boxes, int64_t n, float min_size);

/* ---- the IoU family ------------------------------------------------------------------------------------- */

typedef enum {
    FV_IOU,  /* intersection over union */
    FV_GIOU, /* IoU - (enclosing area - union) / enclosing area (Rezatofighi et al. 2019) */
    FV_DIOU, /* IoU - centre distance^2 / enclosing diagonal^2 (Zheng et al. 2020) */
    FV_CIOU, /* DIoU - alpha v, v measuring the aspect ratios' difference (Zheng et al. 2020) */
} fv_iou_kind;

/* out (n, m): the IoU of kind between every box of a (n) and every box of b (m), as torchvision's box_iou,
 * generalized_box_iou, distance_box_iou and complete_box_iou (eps 1e-7 in the last two). Two boxes without
 * area give NaN (0 / 0), as there. */
void fv_box_iou(float *out, const float *a, int64_t n, const float *b, int64_t m, fv_iou_kind kind);
/* loss[i] = 1 - the IoU of kind between a[i] and b[i] (plus CIoU's alpha v), as torchvision's
 * generalized_box_iou_loss, distance_box_iou_loss and complete_box_iou_loss with reduction "none" (eps
 * guards each division there: 1e-7 is theirs); FV_IOU gives 1 - intersection / (union + eps). */
void fv_box_iou_loss(float *loss, const float *a, const float *b, int64_t n, fv_iou_kind kind, float eps);

/* ---- non-maximum suppression ------------------------------------------------------------------------- */

/* torchvision.ops.nms: visit the boxes by score, highest first (equal scores: lower index first), keep each
 * box that no kept box overlaps with IoU > iou_threshold. keep (n at most) gets the kept indices in that
 * order, *kept their count. FV_ERR_ARG for a NaN score (naming its index) or a NaN threshold; nothing is
 * kept then. */
fv_status fv_nms(fv_ctx *ctx, const float *boxes, const float *scores, int64_t n, float iou_threshold,
                 int64_t *keep, int64_t *kept);
/* The same within each class (classes[i]), never across two (torchvision.ops.batched_nms), the kept indices
 * of all classes by score, highest first (equal scores: lower index first). */
fv_status fv_batched_nms(fv_ctx *ctx, const float *boxes, const float *scores, const int32_t *classes, int64_t n,
                         float iou_threshold, int64_t *keep, int64_t *kept);

typedef enum {
    FV_SOFT_NMS_LINEAR,   /* a box overlapping the kept one by IoU > iou_threshold: score *= 1 - IoU */
    FV_SOFT_NMS_GAUSSIAN, /* every box: score *= exp(-IoU^2 / sigma) */
} fv_soft_nms_method;

/* Soft-NMS (Bodla et al. 2017), as OpenCV's dnn::softNMSBoxes: repeatedly the highest-scoring box not yet
 * kept (equal scores: lower index first) is kept, unless its score is under score_threshold (then nothing
 * more is), and every box not yet kept has its score decayed by its overlap with it. keep gets the kept
 * indices in the order kept, scores_out (may be NULL; as many floats as kept) their scores when kept;
 * top_k > 0 stops after top_k boxes. FV_ERR_ARG for a NaN score, a negative threshold or sigma, or sigma 0
 * with the Gaussian decay. */
fv_status fv_soft_nms(fv_ctx *ctx, const float *boxes, const float *scores, int64_t n, fv_soft_nms_method method,
                      float sigma, float iou_threshold, float score_threshold, int64_t top_k, int64_t *keep,
                      int64_t *kept, float *scores_out);

/* ---- anchors ----------------------------------------------------------------------------------------- */

/* torchvision's AnchorGenerator for one feature map: a cell anchor for each (ratio, size) pair (ratio outer;
 * ratio = height / width, width = size / sqrt(ratio), corners rounded half to even), placed at every cell of
 * a grid_h x grid_w map whose cells lie stride_h and stride_w pixels apart: out holds grid_h * grid_w *
 * n_ratios * n_sizes boxes, cells row-major, each cell's anchors in the order above. FV_ERR_ARG for a size or
 * ratio that is not finite and positive, or an empty or absurd grid. */
fv_status fv_anchor_grid(fv_ctx *ctx, float *out, int64_t grid_h, int64_t grid_w, int64_t stride_h, int64_t stride_w,
                         const float *sizes, int n_sizes, const float *ratios, int n_ratios);
/* The number of anchors fv_anchor_grid writes (0 when that count would overflow). */
int64_t fv_anchor_grid_count(int64_t grid_h, int64_t grid_w, int n_sizes, int n_ratios);

/* YOLOv2's dimension clusters: k anchor sizes (w, h) for n boxes' sizes wh (n rows of 2) by k-means under
 * the distance 1 - IoU of a box and a centroid sharing one centre; seeded as k-means++ from `seed` (the same
 * seed, the same anchors), iterated until no box changes cluster or max_iter. anchors (k rows of 2) come out
 * by area, smallest first; *mean_iou (may be NULL) is the mean over boxes of the best IoU with an anchor.
 * FV_ERR_ARG for k < 1, fewer boxes than k, or a size that is not finite and positive (naming the row). */
fv_status fv_anchor_kmeans(fv_ctx *ctx, float *anchors, int k, const float *wh, int64_t n, uint64_t seed,
                           int max_iter, double *mean_iou);

/* ---- box encodings ------------------------------------------------------------------------------------- */

/* R-CNN's parameterisation (torchvision's BoxCoder): a box against a reference box (an anchor or a proposal)
 * as dx = wx (cx - cx_ref) / w_ref, dy likewise, dw = ww log(w / w_ref), dh likewise. Decoding clamps dw
 * and dh at clip (log(1000 / 16) by default: no box wider than 62.5x its anchor). */
typedef struct {
    float wx, wy, ww, wh; /* Faster R-CNN's RPN: 1, 1, 1, 1; its box head: 10, 10, 5, 5 */
    float clip;
} fv_box_coder;

fv_box_coder fv_box_coder_defaults(void);
/* deltas[i] = the encoding of boxes[i] against refs[i] (all xyxy). */
void fv_box_encode(float *deltas, const float *boxes, const float *refs, int64_t n, const fv_box_coder *c);
/* boxes[i] = deltas[i] applied to refs[i]. */
void fv_box_decode(float *boxes, const float *deltas, const float *refs, int64_t n, const fv_box_coder *c);

/* YOLOv2/v3's parameterisation: the raw outputs t = (tx, ty, tw, th) of the cell at column cx, row cy of a
 * grid whose cells are stride_w pixels wide and stride_h high, for an anchor of size (aw, ah) pixels, give the
 * box of centre ((sigmoid(tx) + cx) stride_w, (sigmoid(ty) + cy) stride_h) and size (aw e^tw, ah e^th). cells
 * holds (cx, cy) and anchors (aw, ah) per box; boxes come out xyxy. */
void fv_yolo_decode(float *boxes, const float *t, const float *cells, const float *anchors, int64_t n,
                    float stride_h, float stride_w);
/* The targets a YOLO head is trained toward for boxes (xyxy) in those cells and anchors: the centre's offset
 * in its cell (sigmoid(tx)'s target, in [0, 1) for the cell holding the centre) and tw = log(w / aw), th
 * likewise. */
void fv_yolo_encode(float *targets, const float *boxes, const float *cells, const float *anchors, int64_t n,
                    float stride_h, float stride_w);

#ifdef __cplusplus
}
#endif

#endif
