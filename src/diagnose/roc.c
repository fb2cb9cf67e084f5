/* ROC and precision-recall curves with scikit-learn's exact conventions (so that every point compares):
 * scores sorted in decreasing order, one point per distinct score, ROC points that lie on a straight line
 * between their neighbours dropped, an extra first ROC point at threshold max + 1, NaN rates and a warning
 * when a class has no positive or no negative sample; and the summaries built on them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/diagnose.h"

void fv_curve_free(fv_curve *c)
{
    if (!c) return;
    free(c->x), free(c->y), free(c->thresholds);
    c->x = c->y = c->thresholds = NULL;
    c->n = 0;
}

typedef struct {
    float score;
    int64_t index;
} ranked;

/* Decreasing score, then decreasing index: numpy's stable argsort reversed, the order scikit-learn's
 * _binary_clf_curve uses. */
static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->index < y->index) - (x->index > y->index);
}

/* Cumulative true and false positives at each distinct score (scikit-learn's _binary_clf_curve). */
static int64_t binary_counts(const float *scores, const uint8_t *is_pos, int64_t n, double **tps, double **fps,
                             double **thr)
{
    ranked *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    *tps = malloc((size_t)(n ? n : 1) * sizeof **tps);
    *fps = malloc((size_t)(n ? n : 1) * sizeof **fps);
    *thr = malloc((size_t)(n ? n : 1) * sizeof **thr);
    if (!order || !*tps || !*fps || !*thr) {
        free(order);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) order[i] = (ranked){scores[i], i};
    qsort(order, (size_t)n, sizeof *order, by_score);
    int64_t m = 0;
    double tp = 0;
    for (int64_t i = 0; i < n; i++) {
        tp += is_pos[order[i].index] ? 1 : 0;
        if (i + 1 == n || order[i + 1].score != order[i].score) {
            (*tps)[m] = tp;
            (*fps)[m] = (double)(i + 1) - tp;
            (*thr)[m] = order[i].score;
            m++;
        }
    }
    free(order);
    return m;
}

static fv_status alloc_curve(fv_ctx *ctx, fv_curve *c, int64_t n)
{
    c->n = n;
    c->x = malloc((size_t)n * sizeof *c->x);
    c->y = malloc((size_t)n * sizeof *c->y);
    c->thresholds = malloc((size_t)n * sizeof *c->thresholds);
    if (c->x && c->y && c->thresholds) return FV_OK;
    fv_curve_free(c);
    return fv_error(ctx, FV_ERR_NOMEM, "out of memory for a curve of %lld points", (long long)n);
}

fv_status fv_roc_curve(fv_ctx *ctx, const float *scores, const uint8_t *is_pos, int64_t n, fv_curve *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1) return fv_error(ctx, FV_ERR_ARG, "ROC curve of an empty set of samples");
    double *tps, *fps, *thr;
    int64_t m = binary_counts(scores, is_pos, n, &tps, &fps, &thr);
    if (m < 0) {
        free(tps), free(fps), free(thr);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory for a ROC curve");
    }
    /* keep the corners: points where the second difference of fps or tps is non-zero, and both ends */
    int64_t k = 0;
    for (int64_t i = 0; i < m; i++) {
        bool keep = m <= 2 || i == 0 || i == m - 1 || fps[i + 1] - 2 * fps[i] + fps[i - 1] != 0 ||
                    tps[i + 1] - 2 * tps[i] + tps[i - 1] != 0;
        if (keep) tps[k] = tps[i], fps[k] = fps[i], thr[k] = thr[i], k++;
    }
    fv_status s = alloc_curve(ctx, out, k + 1);
    if (!s) {
        double P = tps[k - 1], N = fps[k - 1];
        out->x[0] = N > 0 ? 0 : NAN, out->y[0] = P > 0 ? 0 : NAN, out->thresholds[0] = thr[0] + 1;
        for (int64_t i = 0; i < k; i++) {
            out->x[i + 1] = N > 0 ? fps[i] / N : NAN;
            out->y[i + 1] = P > 0 ? tps[i] / P : NAN;
            out->thresholds[i + 1] = thr[i];
        }
        if (P <= 0) snprintf(out->warning, sizeof out->warning, "No positive samples in y_true, true positive value should be meaningless");
        if (N <= 0) snprintf(out->warning, sizeof out->warning, "No negative samples in y_true, false positive value should be meaningless");
    }
    free(tps), free(fps), free(thr);
    return s;
}

fv_status fv_pr_curve(fv_ctx *ctx, const float *scores, const uint8_t *is_pos, int64_t n, fv_curve *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1) return fv_error(ctx, FV_ERR_ARG, "precision-recall curve of an empty set of samples");
    double *tps, *fps, *thr;
    int64_t m = binary_counts(scores, is_pos, n, &tps, &fps, &thr);
    if (m < 0) {
        free(tps), free(fps), free(thr);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory for a precision-recall curve");
    }
    fv_status s = alloc_curve(ctx, out, m + 1);
    if (!s) {
        double P = tps[m - 1];
        /* reversed, so that recall decreases; then the point (recall 0, precision 1) */
        for (int64_t i = 0; i < m; i++) {
            int64_t j = m - 1 - i;
            double ps = tps[j] + fps[j];
            out->y[i] = ps != 0 ? tps[j] / ps : 0;
            out->x[i] = P > 0 ? tps[j] / P : 1;
            out->thresholds[i] = thr[j];
        }
        out->y[m] = 1, out->x[m] = 0, out->thresholds[m] = NAN; /* n - 1 thresholds; the last slot unused */
        if (P <= 0) snprintf(out->warning, sizeof out->warning, "No positive class found in y_true, recall is set to one for all thresholds.");
    }
    free(tps), free(fps), free(thr);
    return s;
}

double fv_curve_auc(const fv_curve *c)
{
    double a = 0;
    for (int64_t i = 1; i < c->n; i++) a += (c->x[i] - c->x[i - 1]) * (c->y[i] + c->y[i - 1]) / 2;
    return a;
}

double fv_average_precision(const fv_curve *pr)
{
    double a = 0;
    for (int64_t i = 1; i < pr->n; i++) a -= (pr->x[i] - pr->x[i - 1]) * pr->y[i - 1];
    return a;
}

fv_status fv_roc_auc_ovr(fv_ctx *ctx, const float *probs, const int32_t *labels, int64_t n, int k, double *auc_per_class,
                         double *micro, double *macro, char *warning, size_t warning_size)
{
    uint8_t *pos = calloc((size_t)(n * k > 0 ? n * k : 1), 1);
    float *col = malloc((size_t)(n ? n : 1) * sizeof *col);
    if (!pos || !col) {
        free(pos), free(col);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory for ROC AUC");
    }
    if (warning && warning_size) warning[0] = '\0';
    double sum = 0;
    int defined = 0;
    fv_status s = FV_OK;
    for (int c = 0; c < k && !s; c++) {
        bool any = false;
        for (int64_t i = 0; i < n; i++) col[i] = probs[i * k + c], pos[i] = labels[i] == c, any = any || pos[i];
        auc_per_class[c] = NAN;
        if (!any) {
            if (warning && !warning[0])
                snprintf(warning, warning_size, "class %d has no positive sample: its ROC AUC is undefined (NaN) and left "
                         "out of the macro average", c);
            continue;
        }
        fv_curve roc;
        if ((s = fv_roc_curve(ctx, col, pos, n, &roc)) != FV_OK) break;
        auc_per_class[c] = fv_curve_auc(&roc);
        fv_curve_free(&roc);
        sum += auc_per_class[c], defined++;
    }
    for (int64_t i = 0; i < n * k; i++) pos[i] = labels[i / k] == (int32_t)(i % k);
    fv_curve all;
    if (!s && (s = fv_roc_curve(ctx, probs, pos, n * k, &all)) == FV_OK) {
        *micro = fv_curve_auc(&all);
        fv_curve_free(&all);
    }
    *macro = defined ? sum / defined : NAN;
    free(pos), free(col);
    return s;
}

double fv_log_loss(const float *probs, const int32_t *labels, int64_t n, int k)
{
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        double row = 0, p = 0;
        for (int c = 0; c < k; c++) {
            double v = fmin(fmax(probs[i * k + c], 1e-15), 1 - 1e-15);
            row += v;
            if (c == labels[i]) p = v;
        }
        total -= log(p / row);
    }
    return n ? total / (double)n : NAN;
}

double fv_top_k_accuracy(const float *scores, const int32_t *labels, int64_t n, int k, int k_top)
{
    int64_t hits = 0;
    for (int64_t i = 0; i < n; i++) {
        float own = scores[i * k + labels[i]];
        int above = 0;
        for (int c = 0; c < k; c++) above += scores[i * k + c] > own || (scores[i * k + c] == own && c > labels[i]);
        hits += above < k_top;
    }
    return n ? (double)hits / (double)n : NAN;
}
