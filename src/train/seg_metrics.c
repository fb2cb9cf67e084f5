/* Metrics of dense prediction on the confusion matrix (include/fovea/metrics.h): pixels of a batch of masks
 * counted as (true class, predicted class) pairs, skipping an ignored label; per-class IoU and Dice from the
 * counts, with NumPy's nanmean over the classes that occur. */
#include <math.h>

#include "../core/internal.h"
#include "fovea/metrics.h"

/* The label at flat position i (N, d1, ...) as int64. */
static int64_t label_at(const fv_tensor *labels, int64_t i)
{
    return labels->dtype == FV_I32 ? fv_i32(labels)[i] : ((const int64_t *)labels->data)[i];
}

/* Logits (N, K, d1, ...) float32 with K = k, labels (N, d1, ...) int32 or int64, every label in [0, k) or the
 * ignored one. */
static fv_status check_masks(fv_confusion *cm, const fv_tensor *logits, const fv_tensor *labels, int64_t ignore)
{
    char a[64], b[64];
    if (!logits || !labels) return fv_error(cm->ctx, FV_ERR_ARG, "masks: missing logits or labels");
    bool fits = logits->dtype == FV_F32 && logits->ndim >= 2 && (labels->dtype == FV_I32 || labels->dtype == FV_I64) &&
                labels->ndim == logits->ndim - 1;
    for (int d = 0; fits && d < labels->ndim; d++) fits = labels->shape[d] == logits->shape[d ? d + 1 : 0];
    if (!fits)
        return fv_error(cm->ctx, FV_ERR_SHAPE, "masks: expected float32 logits (N, K, ...) and int32/int64 labels of "
                        "their shape without K, got %s and %s", fv_shape_str(logits, a, sizeof a),
                        fv_shape_str(labels, b, sizeof b));
    if (logits->shape[1] != cm->k)
        return fv_error(cm->ctx, FV_ERR_SHAPE, "masks: logits %s have %lld classes, the matrix %d",
                        fv_shape_str(logits, a, sizeof a), (long long)logits->shape[1], cm->k);
    for (int64_t i = 0; i < labels->size; i++) {
        int64_t y = label_at(labels, i);
        if (y != ignore && (y < 0 || y >= cm->k))
            return fv_error(cm->ctx, FV_ERR_ARG, "masks: label %lld at position %lld is outside [0, %d) and not the "
                            "ignored %lld", (long long)y, (long long)i, cm->k, (long long)ignore);
    }
    return FV_OK;
}

fv_status fv_confusion_add_masks(fv_confusion *cm, const fv_tensor *logits, const fv_tensor *labels,
                                 int64_t ignore_index)
{
    fv_status st = check_masks(cm, logits, labels, ignore_index);
    if (st != FV_OK) return st;
    int64_t N = logits->shape[0], K = cm->k, S = N ? labels->size / N : 0;
    const float *x = fv_f32(logits);
    for (int64_t n = 0; n < N; n++)
        for (int64_t s = 0; s < S; s++) {
            int64_t y = label_at(labels, n * S + s);
            if (y == ignore_index) continue;
            const float *v = x + n * K * S + s; /* the K scores of this position, S apart */
            int64_t best = 0;
            for (int64_t c = 1; c < K && !isnan(v[best * S]); c++) /* fv_argmax_rows' rule: the first max, NaN first */
                if (isnan(v[c * S]) || v[c * S] > v[best * S]) best = c;
            cm->counts[y * K + best]++;
        }
    return FV_OK;
}

void fv_confusion_overlap(const fv_confusion *cm, double *iou, double *dice, double *mean_iou, double *mean_dice)
{
    int k = cm->k, present = 0;
    double iou_sum = 0.0, dice_sum = 0.0;
    for (int c = 0; c < k; c++) {
        int64_t tp = cm->counts[(size_t)c * (size_t)k + (size_t)c], fp = 0, fn = 0;
        for (int o = 0; o < k; o++)
            if (o != c) fp += cm->counts[(size_t)o * (size_t)k + (size_t)c], fn += cm->counts[(size_t)c * (size_t)k + (size_t)o];
        double u = (double)(tp + fp + fn), i = u > 0 ? (double)tp / u : NAN, d = u > 0 ? 2.0 * (double)tp / (u + (double)tp) : NAN;
        if (iou) iou[c] = i;
        if (dice) dice[c] = d;
        if (u > 0) iou_sum += i, dice_sum += d, present++; /* NumPy's nanmean: the classes that occur */
    }
    if (mean_iou) *mean_iou = present ? iou_sum / present : NAN;
    if (mean_dice) *mean_dice = present ? dice_sum / present : NAN;
}
