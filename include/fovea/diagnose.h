/* Looking inside a model: Grad-CAM (and, to come, feature maps, embeddings, maximally activating patches). */
#ifndef FOVEA_DIAGNOSE_H
#define FOVEA_DIAGNOSE_H

#include <stdio.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layer Grad-CAM uses by default: the input of the last flatten or global pooling layer (the last spatial
 * feature map before the classifier), else the last layer with a spatial (C, H, W) output larger than 1x1;
 * -1 with a message when the model has none. */
int fv_gradcam_default_layer(fv_model *m);

/* Grad-CAM (Selvaraju et al.) of one image x (1, C, H, W) for class cls (< 0: the predicted class) at layer
 * (NULL: the default): ReLU(sum_k alpha_k A^k) with alpha_k the spatial mean of d y_c / d A^k, y_c the class
 * score before softmax, at the layer's resolution and divided by its maximum when that is positive. Returns
 * the map (h, w) and, if wanted, the class used. The model's weights and their gradients are left as they
 * were. Errors name the layer (listing the valid ones) or the class. */
fv_tensor *fv_gradcam(fv_model *m, const fv_tensor *x, int cls, const char *layer, int *cls_used);

/* ---- ROC and precision-recall, as scikit-learn computes them --------------------------------------- */

/* A curve of n points: ROC (x = false positive rate, y = true positive rate) or precision-recall (x = recall,
 * y = precision), with the score threshold of each point (a precision-recall curve has n - 1 thresholds, as in
 * scikit-learn). Arrays are malloc'd; fv_curve_free releases them. warning is set when scikit-learn would warn
 * (no positive or no negative sample: the undefined rates are NaN, as there). */
typedef struct {
    int64_t n;
    double *x, *y, *thresholds;
    char warning[160];
} fv_curve;

void fv_curve_free(fv_curve *c);
/* scikit-learn's roc_curve (drop_intermediate on) for scores of n samples, is_pos[i] nonzero for positives. */
fv_status fv_roc_curve(fv_ctx *ctx, const float *scores, const uint8_t *is_pos, int64_t n, fv_curve *out);
/* scikit-learn's precision_recall_curve. */
fv_status fv_pr_curve(fv_ctx *ctx, const float *scores, const uint8_t *is_pos, int64_t n, fv_curve *out);
/* Area under a curve by the trapezoidal rule (NaN when any point is NaN). */
double fv_curve_auc(const fv_curve *roc);
/* scikit-learn's average_precision_score from a precision-recall curve: -sum(diff(recall) * precision[:-1]). */
double fv_average_precision(const fv_curve *pr);

/* One-vs-rest over probabilities (n, k) and labels: per-class ROC AUC (NaN for a class without positives, with
 * a warning naming it), the micro average (all n*k decisions pooled) and the macro average (over the classes
 * that have positives). auc_per_class has k entries; warning (may be NULL) gets a message or "". */
fv_status fv_roc_auc_ovr(fv_ctx *ctx, const float *probs, const int32_t *labels, int64_t n, int k, double *auc_per_class,
                         double *micro, double *macro, char *warning, size_t warning_size);
/* Mean negative log of the true class's probability, probabilities clipped to [1e-15, 1 - 1e-15] and each row
 * renormalized as scikit-learn's log_loss does. */
double fv_log_loss(const float *probs, const int32_t *labels, int64_t n, int k);
/* Share of samples whose label is among the k_top highest scores; among tied scores the higher class index
 * ranks first, as in scikit-learn's top_k_accuracy_score. */
double fv_top_k_accuracy(const float *scores, const int32_t *labels, int64_t n, int k, int k_top);

/* ---- features ------------------------------------------------------------------------------------------ */

/* The layer whose outputs are a model's penultimate features: the input of the last dense layer (the classifier
 * head), else the last layer before the output; -1 with a message for a model of one layer. */
int fv_features_default_layer(fv_model *m);

struct fv_data_source;
/* The outputs of `layer` (NULL: the default above) for every sample of data, flattened: a tensor (n, features),
 * and the samples' labels in *labels (n, int32) when wanted. Eval mode, batches of batch_size. */
fv_tensor *fv_extract_features(fv_model *m, const struct fv_data_source *data, const char *layer, int batch_size,
                               fv_tensor **labels);

/* ---- embeddings ----------------------------------------------------------------------------------------- */

/* Principal components of x (n samples, d features; d <= 1024), as scikit-learn's PCA computes them:
 * components (k, d) with unit rows, each signed so that the sample farthest along it projects positively
 * (scikit-learn's svd_flip); explained variance (k) with n - 1 in the denominator and its ratio to the total;
 * the projection of x (n, k). Any output may be NULL. */
fv_status fv_pca(fv_ctx *ctx, const float *x, int64_t n, int64_t d, int k, float *components, float *variance,
                 float *ratio, float *projected);

/* t-SNE (van der Maaten and Hinton; exact gradients, as scikit-learn's method="exact" with its defaults:
 * perplexity 30, early exaggeration 12 for 250 iterations, learning rate max(n / 48, 50), momentum 0.5 then
 * 0.8, 1000 iterations, initialization by PCA scaled to a standard deviation of 1e-4) of x (n, d) into dims
 * (2 or 3) dimensions: out (n, dims). Deterministic for any thread count. O(n^2) memory and time per
 * iteration: meant for up to some thousands of points. */
fv_status fv_tsne(fv_ctx *ctx, const float *x, int64_t n, int64_t d, int dims, float perplexity, float *out);

/* Share of points whose k nearest neighbours (Euclidean, the point itself excluded) vote for its label (ties:
 * the smallest label): how well an embedding keeps classes apart. */
double fv_knn_accuracy(const float *x, int64_t n, int64_t d, const int32_t *labels, int k);

/* ---- plots (SVG, for the report or alone) ---------------------------------------------------------------- */

/* Lines: n_series series of counts[s] points (xs[s], ys[s]) with a legend of names; non-finite points skipped. */
void fv_svg_lines(FILE *f, const char *title, const char *xlabel, const char *ylabel, int n_series,
                  const char *const *names, const double *const *xs, const double *const *ys, const int64_t *counts);
/* Points (n, 2) coloured by label, with the class names (or NULL) as legend. */
void fv_svg_scatter(FILE *f, const char *title, const float *points, const int32_t *labels, int64_t n,
                    const char *const *class_names, int k);
/* A confusion matrix (k x k counts, rows true) as a heat map with the counts written in (from 100000 on in
 * thousands, "205k", from 10^8 in millions, so that they fit their cells). */
void fv_svg_confusion(FILE *f, const int64_t *counts, int k, const char *const *class_names);

/* ---- feature maps and maximally activating patches ---------------------------------------------------------- */

/* The channels of layer's output (C, H, W) for one image x (1, ...), each scaled to [0, 1] on its own and tiled
 * in a near-square grid with 1-pixel gaps: gray bytes (*height, *width), malloc'd; NULL with a message naming
 * the layer (and listing the spatial ones) on error. */
uint8_t *fv_feature_map_grid(fv_model *m, const fv_tensor *x, const char *layer, int *width, int *height);

/* The receptive field of one output pixel of a layer, along the path through each layer's first input:
 * size (in input pixels), the stride between neighbouring outputs (jump) and the input coordinate of output 0's
 * field start (negative where padding lies). */
typedef struct {
    int64_t size[2], jump[2], start[2];
} fv_receptive_field;
fv_status fv_receptive_field_of(fv_model *m, int layer, fv_receptive_field *rf);

/* The n input patches (the channel's receptive field around its strongest activations) over the data set that
 * most activate channel `channel` of `layer`, strongest first, as a grid of gray or RGB bytes (*channels_out 1
 * or 3), malloc'd. values (n, may be NULL) receives the activations. */
uint8_t *fv_top_patches(fv_model *m, const struct fv_data_source *data, const char *layer, int channel, int n,
                        float *values, int *width, int *height, int *channels_out);

/* ---- the HTML report --------------------------------------------------------------------------------------- */

typedef struct {
    const char *history; /* a history CSV for the training curves, or NULL */
    bool tsne;           /* the embedding by t-SNE (slower) instead of PCA */
    int dims;            /* 2 (default) or 3: a 3-D embedding shown as its three projections */
    const char *const *class_names; /* segmentation: n_class_names names (a folder's classes.txt), or NULL */
    int n_class_names;
} fv_report_options;

/* One self-contained HTML page (inline SVG plots, PNG images as data URIs) about model m on data: summary,
 * training curves, confusion matrix and per-class metrics, ROC curves and AUC, confident and unconfident samples,
 * Grad-CAM examples, the embedding of the penultimate features. Written atomically; every name in it is escaped and
 * a Content-Security-Policy lets only the page's own script run. A history that cannot be read is an error (the
 * file and line), found before the data is evaluated. A segmentation model's page is
 * fv_report_write_segmentation's. */
fv_status fv_report_write(fv_model *m, const struct fv_data_source *data, const fv_report_options *o, const char *path);

/* Whether m segments: its task line names the segment task, or its output for one input (zeros of its input
 * shape) is (1, K, H, W) logits. Errors of that forward count as no (and are cleared). */
bool fv_model_segments(fv_model *m);

#define FV_REPORT_SEG_SHOWN 4 /* best and worst images each on a segmentation page */
/* The page for a segmentation model m on images (N, C, H, W) float in [0, 1] with their masks (N, H, W) int32
 * (fv_tensor_set_load_segmentation's; pixels of the ignored value count nowhere: the ignore_index of m's task
 * line when it has a segment one, as evaluate reads it, else 255): summary, training curves, then
 * pixel_accuracy, mean_iou and mean_dice from one confusion matrix over every pixel (fv_confusion_overlap's
 * conventions), per-class IoU and Dice (named by o->class_names, else the model's names, else numbers), the
 * matrix itself, and the FV_REPORT_SEG_SHOWN best and worst images by their own mean IoU, each as the image, the
 * truth and the prediction drawn over it (fv_class_overlay). Written atomically, like fv_report_write; the
 * model's output must be (N, K, H, W) at the masks' size. */
fv_status fv_report_write_segmentation(fv_model *m, const fv_tensor *images, const fv_tensor *masks,
                                       const fv_report_options *o, const char *path);

#ifdef __cplusplus
}
#endif
#endif
