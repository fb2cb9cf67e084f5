/* fovea operators of the loss family: the negative log-likelihood of class indices (PyTorch's F.nll_loss,
 * ONNX's NegativeLogLikelihoodLoss) and softmax cross-entropy built on it (F.cross_entropy without label
 * smoothing, ONNX's SoftmaxCrossEntropyLoss), for classification (N, C) and per-pixel (N, C, d1, ..., dk)
 * segmentation alike. Included by fovea/ops.h. */
#ifndef FOVEA_OPS_LOSS_H
#define FOVEA_OPS_LOSS_H

#include <stdbool.h>
#include <stdint.h>

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the per-target losses combine (ONNX's reduction attribute, in its default-first order). */
typedef enum {
    FV_LOSS_MEAN = 0, /* weighted mean: sum w[t] l / sum w[t] over the targets not ignored (0 / 0 = NaN if none) */
    FV_LOSS_SUM = 1,
    FV_LOSS_NONE = 2, /* one loss per target: the output has the target's shape */
    FV_LOSS_BATCHMEAN = 3 /* the sum divided by the batch (axis 0): fv_kl_div only, as PyTorch's 'batchmean' */
} fv_loss_reduction;

/* PyTorch's default ignore_index: never a class index, so it ignores nothing that would not be an error. */
#define FV_NLL_IGNORE_DEFAULT (-100)
/* An ignore_index that matches no target (ONNX's absent attribute): every target must be a class. */
#define FV_NLL_IGNORE_NONE INT64_MIN

/* Negative log-likelihood: input (N, C) or (N, C, d1, ..., dk) of log-probabilities (float32), target (N) or
 * (N, d1, ..., dk) of class indices (int32 or int64: input's shape without axis 1), weight (C) or NULL (all 1).
 * The loss of target t at a position is -w[t] * input[n, t, ...]; targets equal to ignore_index give 0 and do
 * not count in the mean's denominator (pass FV_NLL_IGNORE_DEFAULT or any negative value to ignore nothing
 * valid). Output: the target's shape for FV_LOSS_NONE, a scalar (rank 0) otherwise. Refuses an input of rank
 * under 2, a non-float input or weight, a float target, a target of another shape, a weight of another length
 * than C; forward fails on a target outside [0, C) that is not ignore_index, naming its value and position.
 * Only the input gets a gradient (not the target nor the weight). */
fv_node *fv_nll_loss(fv_graph *g, fv_node *input, fv_node *target, fv_node *weight, fv_loss_reduction reduction,
                     int64_t ignore_index);

/* Softmax cross-entropy: fv_nll_loss(fv_log_softmax(logits, 1), ...), logits (N, C, d1, ..., dk), the rest as
 * fv_nll_loss. If log_prob is not NULL it receives the log-softmax node (ONNX's second output). */
fv_node *fv_softmax_cross_entropy(fv_graph *g, fv_node *logits, fv_node *target, fv_node *weight,
                                  fv_loss_reduction reduction, int64_t ignore_index, fv_node **log_prob);

/* ---- metric learning: embeddings (N, D), one loss per row, then the reduction (FV_LOSS_NONE: shape (N)) ----
 * The embeddings get gradients, the targets none. A reduction over N = 0 rows is NaN for the mean, 0 for the
 * sum, as in PyTorch. */

/* Contrastive loss (Hadsell, Chopra and LeCun, 2006) on pairs: target (N) is 1 for a pair of the same identity
 * and 0 for different ones, l = t d^2 / 2 + (1 - t) max(0, margin - d)^2 / 2 with d = ||a - b||_2. Pairs at
 * distance 0 get a zero gradient, not NaN. */
fv_node *fv_contrastive_loss(fv_graph *g, fv_node *a, fv_node *b, fv_node *target, float margin,
                             fv_loss_reduction reduction);
/* Triplet margin loss, PyTorch's F.triplet_margin_loss: max(0, d(a, p) - d(a, n) + margin) with
 * d(x, z) = ||x - z + eps||_p (p > 0; PyTorch's defaults: margin 1, p 2, eps 1e-6); swap uses min(d(a, n),
 * d(p, n)) for the negative's distance (Balntas et al. 2016). */
fv_node *fv_triplet_margin_loss(fv_graph *g, fv_node *anchor, fv_node *positive, fv_node *negative, float margin,
                                float p, float eps, bool swap, fv_loss_reduction reduction);
/* How the triplet loss picks its triplets inside a batch. */
typedef enum {
    FV_TRIPLET_BATCH_HARD = 0, /* each anchor's farthest positive and nearest negative (Hermans et al. 2017) */
    FV_TRIPLET_BATCH_ALL = 1,  /* every valid triplet; the mean over those with a positive hinge */
    FV_TRIPLET_SEMI_HARD = 2   /* each positive pair with the nearest negative farther than the positive, or the
                                * farthest negative when none is (FaceNet; TensorFlow Addons' semi-hard loss) */
} fv_triplet_mining;

/* The triplet loss mined inside the batch: embeddings (N, D) with identities labels (N) (int32 or int64),
 * Euclidean distances between all pairs, hinges max(0, d_ap - d_an + margin). Batch-hard averages over the
 * anchors that have both a positive and a negative; batch-all sums every valid triplet's hinge over the number
 * that are positive (0 when none); semi-hard averages over the positive pairs whose anchor has a negative.
 * A scalar; the embeddings get the gradient (none through a pair at distance 0). */
fv_node *fv_triplet_mined_loss(fv_graph *g, fv_node *embeddings, fv_node *labels, float margin,
                               fv_triplet_mining mining);
/* Cosine embedding loss, PyTorch's F.cosine_embedding_loss: target (N) of +1 (similar: 1 - cos) or -1
 * (dissimilar: max(0, cos - margin)); any other target gives 0. */
fv_node *fv_cosine_embedding_loss(fv_graph *g, fv_node *x1, fv_node *x2, fv_node *target, float margin,
                                  fv_loss_reduction reduction);

/* ---- binary decisions on logits, and masks ---- */

/* BCE on logits (PyTorch's BCEWithLogitsLoss) with targets in [0, 1] of the logits' shape and pos_weight (K)
 * along the last axis (NULL: 1), which weighs the positive term: l = -[w t log s(x) + (1 - t) log(1 - s(x))].
 * Logits and targets get gradients. */
fv_node *fv_bce_with_logits_weighted(fv_graph *g, fv_node *logits, fv_node *targets, fv_node *pos_weight,
                                     fv_loss_reduction reduction);
/* Sigmoid focal loss (Lin et al., 2017; torchvision.ops.sigmoid_focal_loss): the BCE on logits times
 * (1 - p_t)^gamma and alpha_t = alpha t + (1 - alpha)(1 - t) (alpha < 0: no alpha), gamma >= 0; the usual
 * alpha 0.25, gamma 2. Only the logits get a gradient. */
fv_node *fv_sigmoid_focal_loss(fv_graph *g, fv_node *logits, fv_node *targets, float alpha, float gamma,
                               fv_loss_reduction reduction);
/* Soft Dice loss over probabilities (N, C, d1, ...) (a softmax or sigmoid of logits): per class over the batch,
 * dice_c = (2 sum p t + smooth) / (sum p + sum t + smooth), and the loss 1 - mean over classes of dice_c (a
 * scalar). targets: float32 of the probabilities' shape (one-hot or soft), or int32/int64 class indices
 * (N, d1, ...) standing for one-hot targets (an index outside [0, C) belongs to no class). Only the
 * probabilities get a gradient. */
fv_node *fv_dice_loss(fv_graph *g, fv_node *probs, fv_node *targets, float smooth);

/* ---- divergence ---- */

/* Kullback-Leibler divergence as PyTorch's F.kl_div: input holds log-probabilities, target probabilities
 * (or log-probabilities when log_target) of the same shape; l = target (log target - input), 0 where target
 * is 0 (log_target: exp(target) (target - input)). Reductions: mean over all elements, FV_LOSS_BATCHMEAN (the
 * mathematically right one: the sum over the batch's size), sum, none. Only the input gets a gradient. */
fv_node *fv_kl_div(fv_graph *g, fv_node *input, fv_node *target, fv_loss_reduction reduction, bool log_target);

/* ---- detection ---- */

/* The most anchors a YOLO detector has over all its heads (YOLOv3: 9). */
#define FV_YOLO_MAX_ANCHORS 16

/* One YOLOv3-style head's loss (Redmon and Farhadi 2018, as Darknet's [yolo] layer trains it). */
typedef struct {
    int classes;
    int n_anchors;                          /* the detector's anchors, every head's */
    float anchors[2 * FV_YOLO_MAX_ANCHORS]; /* (w, h) in pixels */
    int n_mask;                             /* this head's anchors: indices into anchors */
    int mask[FV_YOLO_MAX_ANCHORS];
    float stride[2];                        /* pixels per cell down and across: the input's size over the grid's */
    float ignore_thresh;                    /* 0.5: a prediction overlapping a true box by more is no negative */
    float lambda_coord, lambda_noobj;       /* 1, 1 */
} fv_yolo_loss_args;

fv_yolo_loss_args fv_yolo_loss_defaults(void);

/* pred (N, A (5 + classes), H, W) holds, per anchor a of the head (A = n_mask) and cell, (tx, ty, tw, th, to)
 * and the classes' logits; boxes (N, B, 5) float32 the true boxes as (class, x0, y0, x1, y1) in pixels, class
 * -1 padding. Each true box goes to the anchor of the whole detector whose size overlaps its own best (IoU of
 * the two sizes on one centre; the first on ties), and, if this head owns that anchor, to the cell holding its
 * centre (a later box taking a cell and anchor replaces an earlier one, as in Darknet). With s the sigmoid:
 *   positives: lambda_coord (2 - w h / (W_img H_img)) [(s(tx) - (cx / stride - i))^2 + (s(ty) - (cy / stride -
 *              j))^2 + (tw - log(w / aw))^2 + (th - log(h / ah))^2] + BCE(s(to), 1) + sum_c BCE(s(t_c), [c == class]);
 *   others:    lambda_noobj BCE(s(to), 0), unless the box they predict (centre (s(tx) + i) stride, size aw e^tw x
 *              ah e^th) overlaps some true box of the image by IoU > ignore_thresh: then nothing.
 * The loss is the sum over the batch divided by N. Only pred gets a gradient. A true class outside [0, classes)
 * is an error naming the image and the box. */
fv_node *fv_yolo_loss(fv_graph *g, fv_node *pred, fv_node *boxes, const fv_yolo_loss_args *a);

#ifdef __cplusplus
}
#endif
#endif
