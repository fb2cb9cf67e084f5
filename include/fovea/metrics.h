/* fovea metrics: running means (the loss of an epoch), accuracy and top-k accuracy from logits, and the
 * confusion matrix with per-class precision, recall and F1 and their macro and weighted averages, defined
 * as scikit-learn defines them (zero_division=0). */
#ifndef FOVEA_METRICS_H
#define FOVEA_METRICS_H

#include <stdio.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- running mean ---------------------------------------------------------------------------------- */

/* A weighted running mean, as Keras' Mean metric: add each batch's mean loss with the batch size as
 * weight, and the value is the mean over samples seen (0 when nothing was added). Zero-initialize or reset. */
typedef struct {
    double sum, weight;
} fv_mean;

void fv_mean_reset(fv_mean *m);
void fv_mean_add(fv_mean *m, double value, double weight);
double fv_mean_value(const fv_mean *m);

/* ---- accuracy from logits -------------------------------------------------------------------------- */

/* The predicted class of each of the n rows of logits (n, k): the index of the largest value, the first
 * one on ties, a NaN counting as largest (numpy's argmax). */
void fv_argmax_rows(int32_t *pred, const float *logits, int64_t n, int k);

/* How many rows of logits (N, K) (float32) have their label (int32 tensor of N values in [0, K)) as the
 * argmax (top_k 1, fv_argmax_rows: the same predictions as the confusion matrix) or among the top_k largest
 * values (2 <= top_k). For top_k >= 2 ties count in favour, as TensorFlow's in_top_k: the label is in when
 * fewer than top_k classes score strictly higher (or are NaN); a NaN logit for the label is never in. FV_ERR_SHAPE or FV_ERR_ARG (a label out of range, naming the row) in ctx. */
fv_status fv_count_correct(fv_ctx *ctx, const fv_tensor *logits, const fv_tensor *labels, int top_k, int64_t *correct);

/* ---- confusion matrix ------------------------------------------------------------------------------ */

/* counts[t * k + p]: how many samples of true class t were predicted as p (scikit-learn's layout: rows are
 * the truth, columns the prediction). */
typedef struct fv_confusion {
    fv_ctx *ctx;
    int k;
    int64_t *counts;
} fv_confusion;

/* A zeroed k x k matrix (k >= 1). NULL with an error in ctx. */
fv_confusion *fv_confusion_new(fv_ctx *ctx, int k);
void fv_confusion_free(fv_confusion *cm);
void fv_confusion_reset(fv_confusion *cm);
/* Count n (label, prediction) pairs; all are checked to be in [0, k) before any is counted. */
fv_status fv_confusion_add(fv_confusion *cm, const int32_t *labels, const int32_t *preds, int64_t n);
/* Count a batch: the prediction of each row of logits (N, K) is its argmax. */
fv_status fv_confusion_add_logits(fv_confusion *cm, const fv_tensor *logits, const fv_tensor *labels);
int64_t fv_confusion_total(const fv_confusion *cm);
/* Trace over total (0 when empty). */
double fv_confusion_accuracy(const fv_confusion *cm);

typedef struct {
    double precision, recall, f1;
    int64_t support; /* true samples of the class (for averages: of all classes) */
} fv_class_scores;

/* scikit-learn's precision_recall_fscore_support with zero_division=0: precision tp/(tp+fp), recall
 * tp/(tp+fn), F1 2tp/(2tp+fp+fn), each 0 where its denominator is 0. per_class (k entries, may be NULL) has
 * every class. The macro average is the unweighted mean over all k classes (scikit-learn given
 * labels=range(k): a class absent from both truth and predictions counts as 0), the weighted average weights
 * each class by its support. macro and weighted may be NULL. */
void fv_confusion_scores(const fv_confusion *cm, fv_class_scores *per_class, fv_class_scores *macro,
                         fv_class_scores *weighted);

/* The matrix as an aligned table, rows the true class and columns the prediction; names (k, may be NULL
 * for class numbers) are cut to max_name characters (0: 12) with a trailing '~' when cut:
 *   true\pred  cat  dog
 *   cat         12    3
 *   dog          1   14 */
void fv_confusion_print(const fv_confusion *cm, FILE *f, const char *const *names, int max_name);
/* scikit-learn's classification_report(labels=range(k), target_names=names, digits=4, zero_division=0),
 * character for character when no name is cut: per class precision, recall, F1 and support, then accuracy,
 * macro avg and weighted avg. */
void fv_confusion_print_report(const fv_confusion *cm, FILE *f, const char *const *names, int max_name);

/* ---- multi-label and binary classification ------------------------------------------------------------ */

/* Per label (K of them; binary classification is K = 1): true and false positives and negatives, the
 * prediction being sigmoid(logit) >= threshold (a NaN logit predicts 0); samples and those with every label
 * right. Zero-initialized by fv_multilabel_new. */
typedef struct {
    fv_ctx *ctx;
    int k;
    int64_t *tp, *fp, *fn, *tn;
    int64_t samples, exact;
} fv_multilabel;
/* NULL with an error in ctx (k < 1, no memory). */
fv_multilabel *fv_multilabel_new(fv_ctx *ctx, int k);
void fv_multilabel_free(fv_multilabel *ml);
void fv_multilabel_reset(fv_multilabel *ml);
/* Count a batch: logits and targets (N, K) float32, every target 0 or 1 (checked before anything is counted;
 * the error names the sample and the label), threshold in (0, 1) (0.5 is the logit's sign). */
fv_status fv_multilabel_add(fv_multilabel *ml, const fv_tensor *logits, const fv_tensor *targets, float threshold);
/* scikit-learn's precision_recall_fscore_support on the indicator matrices with zero_division=0: per label
 * (k entries, or NULL), the micro average (the counts of all labels pooled), the macro average (the unweighted
 * mean over the labels) and the weighted one (by each label's support, its true positives and false negatives);
 * any of them may be NULL. */
void fv_multilabel_scores(const fv_multilabel *ml, fv_class_scores *per_label, fv_class_scores *micro,
                          fv_class_scores *macro, fv_class_scores *weighted);
/* scikit-learn's accuracy_score on indicator matrices: the share of samples with every label right (0 when
 * empty). */
double fv_multilabel_subset_accuracy(const fv_multilabel *ml);

/* ---- regression --------------------------------------------------------------------------------------- */

/* Running sums over every element of the batches added; zero-initialize or reset. */
typedef struct {
    double abs_sum, sq_sum, t_sum, t_sq_sum;
    int64_t n;
} fv_regression;
void fv_regression_reset(fv_regression *r);
/* Add a batch: predictions and targets float32 of one shape (any), compared element by element. */
fv_status fv_regression_add(fv_ctx *ctx, fv_regression *r, const fv_tensor *pred, const fv_tensor *target);
/* scikit-learn's mean_absolute_error, mean_squared_error and r2_score on the flattened elements (NaN when
 * nothing was added; R^2 of constant targets: 1 if every prediction is exact, else 0). */
double fv_regression_mae(const fv_regression *r);
double fv_regression_mse(const fv_regression *r);
double fv_regression_r2(const fv_regression *r);

/* ---- dense prediction (segmentation) on the confusion matrix ----------------------------------------- */

/* Count the positions of a batch of masks: labels (N, d1, ...) of int32 or int64 class indices, the
 * prediction at each position the argmax over axis 1 of logits (N, K, d1, ...) (fv_argmax_rows' rule), K the
 * matrix's k. Positions labelled ignore_index are skipped (pass a value no label has, such as -1, to skip
 * none). Every label is checked (in [0, k) or ignore_index) before any is counted; the error names the
 * position and the value. */
fv_status fv_confusion_add_masks(fv_confusion *cm, const fv_tensor *logits, const fv_tensor *labels,
                                 int64_t ignore_index);
/* Per class c (iou and dice: k entries each, or NULL): IoU tp / (tp + fp + fn) and Dice 2 tp / (2 tp + fp +
 * fn), NaN for a class that is neither true nor predicted anywhere; mean_iou and mean_dice (or NULL) average
 * the classes that are not NaN (NumPy's nanmean; NaN when none). Pixel accuracy is fv_confusion_accuracy. */
void fv_confusion_overlap(const fv_confusion *cm, double *iou, double *dice, double *mean_iou, double *mean_dice);

/* ---- detection: average precision ------------------------------------------------------------------ */

/* The ground truth and detections of a set of images, accumulated image by image, then scored as Pascal VOC
 * and COCO score them. Boxes are (x1, y1, x2, y2) in pixels, classes in [0, k). */
typedef struct fv_det_eval fv_det_eval;

fv_det_eval *fv_det_eval_new(fv_ctx *ctx, int k);
void fv_det_eval_free(fv_det_eval *e);
/* One image: n_gt true boxes with their classes, crowd flags (COCO's iscrowd, VOC's "difficult": matched
 * without counting; may be NULL for none), and n_det detections with scores and classes. A class out of
 * range, a NaN score or a box that is not finite is refused (naming which) before anything is added. */
fv_status fv_det_eval_add(fv_det_eval *e, const float *gt_boxes, const int32_t *gt_classes, const uint8_t *gt_crowd,
                          int64_t n_gt, const float *det_boxes, const float *det_scores, const int32_t *det_classes,
                          int64_t n_det);
int64_t fv_det_eval_images(const fv_det_eval *e);

/* Pascal VOC's AP at one IoU threshold (0.5 in the challenge), per class as the devkit's VOCevaldet computes
 * it on continuous coordinates (no +1 pixel): detections of a class by score (equal scores: in the order
 * added), each matched to the unmatched true box of its image it overlaps most, if that IoU exceeds the
 * threshold (a crowd box matched: neither true nor false positive); AP the area under the precision envelope
 * (all-point, VOC 2010 on) or the mean of the envelope at recalls 0, 0.1, ..., 1 (eleven_point, VOC 2007).
 * ap (k entries, may be NULL): NaN for a class without true boxes; *map the mean over the others (NaN when
 * none). */
fv_status fv_det_eval_voc(fv_det_eval *e, double iou_threshold, bool eleven_point, double *ap, double *map);

/* COCO's summary (pycocotools' COCOeval on bounding boxes): AP averaged over IoU 0.50:0.05:0.95 and the classes
 * (map), at IoU 0.5 and 0.75, over small (area < 32^2), medium and large (>= 96^2) true boxes, and average
 * recall with at most 1, 10 and 100 detections an image and by size; -1 where nothing was there to score, as
 * COCOeval prints. */
typedef struct {
    double map, map50, map75, map_small, map_medium, map_large;
    double ar1, ar10, ar100, ar_small, ar_medium, ar_large;
} fv_coco_summary;

/* The summary, and ap (k entries, may be NULL): each class's AP over the ten IoU thresholds, all areas, 100
 * detections (-1 for a class without true boxes). */
fv_status fv_det_eval_coco(fv_det_eval *e, fv_coco_summary *summary, double *ap);

#ifdef __cplusplus
}
#endif
#endif
