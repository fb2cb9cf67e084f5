/* Metrics of multi-label (and binary) classification: each of K labels decided on its own by the sigmoid of its
 * logit against a threshold, counted per label as true/false positives and negatives, and scored as
 * scikit-learn's precision_recall_fscore_support on indicator matrices (zero_division=0) and accuracy_score
 * (every label of a sample right). See include/fovea/metrics.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/metrics.h"

fv_multilabel *fv_multilabel_new(fv_ctx *ctx, int k)
{
    if (k < 1) {
        fv_error(ctx, FV_ERR_ARG, "multi-label metrics: %d labels (at least 1)", k);
        return NULL;
    }
    fv_multilabel *ml = calloc(1, sizeof *ml);
    int64_t *counts = calloc((size_t)k * 4, sizeof *counts);
    if (!ml || !counts) {
        free(ml), free(counts);
        fv_error(ctx, FV_ERR_NOMEM, "multi-label metrics: out of memory for %d labels", k);
        return NULL;
    }
    *ml = (fv_multilabel){ctx, k, counts, counts + k, counts + 2 * k, counts + 3 * k, 0, 0};
    return ml;
}

void fv_multilabel_free(fv_multilabel *ml)
{
    if (ml) free(ml->tp);
    free(ml);
}

void fv_multilabel_reset(fv_multilabel *ml)
{
    memset(ml->tp, 0, (size_t)ml->k * 4 * sizeof *ml->tp);
    ml->samples = ml->exact = 0;
}

fv_status fv_multilabel_add(fv_multilabel *ml, const fv_tensor *logits, const fv_tensor *targets, float threshold)
{
    char a[64], b[64];
    if (!logits || !targets) return fv_error(ml->ctx, FV_ERR_ARG, "multi-label metrics: missing logits or targets");
    if (logits->dtype != FV_F32 || targets->dtype != FV_F32 || logits->ndim != 2 || !fv_same_shape(logits, targets) ||
        logits->shape[1] != ml->k)
        return fv_error(ml->ctx, FV_ERR_SHAPE, "multi-label metrics: expected float32 logits and targets (N, %d), got "
                        "%s and %s", ml->k, fv_shape_str(logits, a, sizeof a), fv_shape_str(targets, b, sizeof b));
    if (!(threshold > 0.0f && threshold < 1.0f))
        return fv_error(ml->ctx, FV_ERR_ARG, "multi-label metrics: threshold %g must be in (0, 1)", (double)threshold);
    const float *x = fv_f32(logits), *t = fv_f32(targets);
    for (int64_t i = 0; i < targets->size; i++)
        if (t[i] != 0.0f && t[i] != 1.0f)
            return fv_error(ml->ctx, FV_ERR_ARG, "multi-label metrics: target %g of sample %lld, label %lld is not 0 "
                            "or 1", (double)t[i], (long long)(i / ml->k), (long long)(i % ml->k));
    for (int64_t n = 0; n < logits->shape[0]; n++) {
        bool all = true;
        for (int c = 0; c < ml->k; c++) {
            double v = x[n * ml->k + c];
            bool pred = 1.0 / (1.0 + exp(-v)) >= threshold, truth = t[n * ml->k + c] == 1.0f; /* NaN: predicted 0 */
            if (pred && truth) ml->tp[c]++;
            else if (pred) ml->fp[c]++;
            else if (truth) ml->fn[c]++;
            else ml->tn[c]++;
            all = all && pred == truth;
        }
        ml->samples++, ml->exact += all;
    }
    return FV_OK;
}

static double ratio0(int64_t num, int64_t den) { return den > 0 ? (double)num / (double)den : 0.0; }

static fv_class_scores scores_of(int64_t tp, int64_t fp, int64_t fn)
{
    return (fv_class_scores){ratio0(tp, tp + fp), ratio0(tp, tp + fn), ratio0(2 * tp, 2 * tp + fp + fn), tp + fn};
}

void fv_multilabel_scores(const fv_multilabel *ml, fv_class_scores *per_label, fv_class_scores *micro,
                          fv_class_scores *macro, fv_class_scores *weighted)
{
    int64_t tp = 0, fp = 0, fn = 0;
    fv_class_scores m = {0, 0, 0, 0}, w = {0, 0, 0, 0};
    for (int c = 0; c < ml->k; c++) {
        fv_class_scores s = scores_of(ml->tp[c], ml->fp[c], ml->fn[c]);
        if (per_label) per_label[c] = s;
        tp += ml->tp[c], fp += ml->fp[c], fn += ml->fn[c];
        m.precision += s.precision, m.recall += s.recall, m.f1 += s.f1, m.support += s.support;
        w.precision += s.precision * (double)s.support, w.recall += s.recall * (double)s.support;
        w.f1 += s.f1 * (double)s.support;
    }
    m.precision /= ml->k, m.recall /= ml->k, m.f1 /= ml->k, w.support = m.support;
    if (w.support > 0) w.precision /= (double)w.support, w.recall /= (double)w.support, w.f1 /= (double)w.support;
    if (micro) *micro = scores_of(tp, fp, fn);
    if (macro) *macro = m;
    if (weighted) *weighted = w;
}

double fv_multilabel_subset_accuracy(const fv_multilabel *ml)
{
    return ml->samples > 0 ? (double)ml->exact / (double)ml->samples : 0.0;
}
