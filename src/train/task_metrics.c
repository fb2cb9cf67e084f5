/* The built-in tasks' metrics, accumulated batch by batch over an epoch or an evaluation:
 *   classify    accuracy
 *   binary      accuracy, precision, recall, f1, auc (scikit-learn's, for the positive class)
 *   multilabel  accuracy (every label right), precision, recall, f1 (micro), macro_f1, auc (macro over labels)
 *   regress     mae, mse, r2
 *   segment     pixel_accuracy, mean_iou, mean_dice (one confusion matrix over every pixel of the epoch or
 *               evaluation; means over the classes present in the truth or the prediction)
 *   embed       nn_accuracy (identities: the nearest other embedding in the batch shares the identity),
 *               pos_distance and neg_distance (pairs), accuracy (triplets: d(a, p) < d(a, n))
 * AUC is the Mann-Whitney statistic with mid-ranks for ties, which equals the area under scikit-learn's ROC
 * curve; it is computed on logits (monotone in the probabilities, without float ties from a saturated sigmoid). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "task_internal.h"

static void names(fv_builtin_task *b, int running, int n, const char *const *list)
{
    for (int i = 0; i < n; i++) b->base.metric_names[i] = list[i];
    b->base.n_metrics = n, b->base.n_running = running;
}

void fv_task_metrics_setup(fv_builtin_task *b)
{
    static const char *const cls[] = {"accuracy"};
    static const char *const bin[] = {"accuracy", "precision", "recall", "f1", "auc"};
    static const char *const ml[] = {"accuracy", "precision", "recall", "f1", "macro_f1", "auc"};
    static const char *const reg[] = {"mae", "mse", "r2"};
    static const char *const seg[] = {"pixel_accuracy", "mean_iou", "mean_dice"};
    switch (b->o.kind) {
    case FV_TASK_CLASSIFY: names(b, 1, 1, cls); break;
    case FV_TASK_BINARY: names(b, 1, 5, bin); break;
    case FV_TASK_MULTILABEL: names(b, 1, 6, ml); break;
    case FV_TASK_REGRESS: names(b, 2, 3, reg); break;
    case FV_TASK_SEGMENT: names(b, 1, 3, seg); break;
    default: break; /* embed: by form, once target_spec has seen the outputs; detect: none */
    }
}

/* The embedding metrics depend on the form, known after target_spec. */
static void embed_names(fv_builtin_task *b)
{
    static const char *const mined[] = {"nn_accuracy"};
    static const char *const pairs[] = {"pos_distance", "neg_distance"};
    static const char *const triplets[] = {"accuracy"};
    if (b->embed_form == FV_EMBED_MINED) names(b, 1, 1, mined);
    if (b->embed_form == FV_EMBED_PAIRS) names(b, 2, 2, pairs);
    if (b->embed_form == FV_EMBED_TRIPLETS) names(b, 1, 1, triplets);
}

void fv_task_metrics_reset(fv_task *t)
{
    fv_builtin_task *b = fv_builtin(t);
    if (b->o.kind == FV_TASK_EMBED) embed_names(b);
    b->seen = b->correct = 0;
    b->n_scores = 0;
    b->pos_dist = b->neg_dist = 0, b->n_pos = b->n_neg = 0;
    fv_regression_reset(&b->reg);
    if (b->ml) fv_multilabel_reset(b->ml);
    if (b->cm) fv_confusion_reset(b->cm);
}

void fv_task_metrics_free(fv_builtin_task *b)
{
    free(b->scores);
    free(b->truth);
    fv_multilabel_free(b->ml);
    fv_confusion_free(b->cm);
}

/* ---- per kind ---------------------------------------------------------------------------------------- */

static void add_classify(fv_builtin_task *b, const fv_tensor *logits, const fv_tensor *labels, int n)
{
    int64_t k = logits->shape[1];
    const float *z = fv_f32(logits);
    const int32_t *y = fv_i32(labels);
    for (int64_t i = 0; i < n; i++) {
        int64_t best = 0;
        for (int64_t c = 1; c < k; c++)
            if (z[i * k + c] > z[i * k + best]) best = c;
        b->correct += best == y[i];
    }
    b->seen += n;
}

/* Keep every score with its truth for the AUC. */
static fv_status keep_scores(fv_builtin_task *b, fv_ctx *ctx, const float *z, const float *t, int64_t count)
{
    if (b->n_scores + count > b->cap_scores) {
        int64_t cap = b->cap_scores ? b->cap_scores : 1024;
        while (cap < b->n_scores + count) cap *= 2;
        float *s = realloc(b->scores, (size_t)cap * sizeof *s);
        if (s) b->scores = s;
        uint8_t *u = s ? realloc(b->truth, (size_t)cap) : NULL;
        if (!s || !u) return fv_error(ctx, FV_ERR_NOMEM, "out of memory keeping %lld scores for the AUC", (long long)cap);
        b->truth = u, b->cap_scores = cap;
    }
    for (int64_t i = 0; i < count; i++) b->scores[b->n_scores + i] = z[i], b->truth[b->n_scores + i] = t[i] == 1.0f;
    b->n_scores += count;
    return FV_OK;
}

static fv_status add_decisions(fv_builtin_task *b, fv_ctx *ctx, const fv_tensor *logits, const fv_tensor *targets, int n)
{
    int64_t k = b->classes;
    if (!b->ml && !(b->ml = fv_multilabel_new(ctx, (int)k))) return fv_errcode(ctx);
    int64_t shape[2] = {n, k};
    fv_tensor z = *logits, t = *targets; /* (N) binary logits seen as (N, 1) */
    z.ndim = t.ndim = 2, z.size = t.size = n * k;
    memcpy(z.shape, shape, sizeof shape), memcpy(t.shape, shape, sizeof shape);
    fv_status s = fv_multilabel_add(b->ml, &z, &t, b->o.threshold);
    return s ? s : keep_scores(b, ctx, fv_f32(logits), fv_f32(targets), n * k);
}

static double sq_distance(const float *a, const float *c, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += ((double)a[j] - c[j]) * ((double)a[j] - c[j]);
    return s;
}

/* Each embedding's nearest other one in the batch: does it share the identity? */
static void add_mined(fv_builtin_task *b, const fv_tensor *e, const fv_tensor *ids, int n)
{
    int64_t d = e->shape[1];
    const float *x = fv_f32(e);
    for (int i = 0; i < n; i++) {
        int best = -1;
        double bd = INFINITY;
        for (int j = 0; j < n; j++) {
            double v = j == i ? INFINITY : sq_distance(x + i * d, x + j * d, d);
            if (j != i && (best < 0 || v < bd)) best = j, bd = v;
        }
        if (best >= 0) b->correct += fv_i32(ids)[best] == fv_i32(ids)[i], b->seen++;
    }
}

static void add_pairs(fv_builtin_task *b, const fv_tensor *e1, const fv_tensor *e2, const fv_tensor *t, int n)
{
    int64_t d = e1->shape[1];
    for (int i = 0; i < n; i++) {
        double dist = sqrt(sq_distance(fv_f32(e1) + i * d, fv_f32(e2) + i * d, d));
        if (fv_f32(t)[i] == 1.0f) b->pos_dist += dist, b->n_pos++;
        else b->neg_dist += dist, b->n_neg++;
    }
}

static void add_triplets(fv_builtin_task *b, const fv_tensor *const *o, int n)
{
    int64_t d = o[0]->shape[1];
    for (int i = 0; i < n; i++) {
        const float *a = fv_f32(o[0]) + i * d;
        b->correct += sq_distance(a, fv_f32(o[1]) + i * d, d) < sq_distance(a, fv_f32(o[2]) + i * d, d);
    }
    b->seen += n;
}

fv_status fv_task_metrics_add(fv_task *t, fv_ctx *ctx, const fv_tensor *const *outputs, int n_outputs,
                              const fv_tensor *target, int n)
{
    fv_builtin_task *b = fv_builtin(t);
    (void)n_outputs;
    switch (b->o.kind) {
    case FV_TASK_CLASSIFY: add_classify(b, outputs[0], target, n); return FV_OK;
    case FV_TASK_BINARY: case FV_TASK_MULTILABEL: return add_decisions(b, ctx, outputs[0], target, n);
    case FV_TASK_REGRESS: return fv_regression_add(ctx, &b->reg, outputs[0], target);
    case FV_TASK_SEGMENT:
        if (!b->cm && !(b->cm = fv_confusion_new(ctx, (int)b->classes))) return fv_errcode(ctx);
        return fv_confusion_add_masks(b->cm, outputs[0], target, b->o.ignore_index);
    case FV_TASK_EMBED:
        if (b->embed_form == FV_EMBED_MINED) add_mined(b, outputs[0], target, n);
        if (b->embed_form == FV_EMBED_PAIRS) add_pairs(b, outputs[0], outputs[1], target, n);
        if (b->embed_form == FV_EMBED_TRIPLETS) add_triplets(b, outputs, n);
        return FV_OK;
    default: return FV_OK;
    }
}

/* ---- values ------------------------------------------------------------------------------------------ */

typedef struct {
    float s;
    uint8_t t;
} scored;

static int by_score(const void *a, const void *b)
{
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

/* The AUC of n scores with their truths (every stride-th from first): NaN without both classes. */
static double auc(const float *s, const uint8_t *t, int64_t n, int64_t first, int64_t stride, scored *work)
{
    int64_t m = 0, pos = 0;
    for (int64_t i = first; i < n; i += stride)
        if (!isnan(s[i])) work[m].s = s[i], work[m].t = t[i], pos += t[i], m++;
    if (pos == 0 || pos == m) return NAN;
    qsort(work, (size_t)m, sizeof *work, by_score);
    double rank_sum = 0;
    for (int64_t i = 0; i < m;) {
        int64_t j = i, tied_pos = 0;
        while (j < m && work[j].s == work[i].s) tied_pos += work[j].t, j++;
        rank_sum += (double)tied_pos * ((double)(i + 1) + (double)j) / 2.0; /* mid-rank of ranks i+1 .. j */
        i = j;
    }
    double neg = (double)(m - pos);
    return (rank_sum - (double)pos * ((double)pos + 1) / 2.0) / ((double)pos * neg);
}

/* Macro AUC over the labels that have both classes (NaN when none has). */
static double macro_auc(const fv_builtin_task *b)
{
    int64_t k = b->classes;
    scored *work = malloc((size_t)(b->n_scores / (k ? k : 1) + 1) * sizeof *work);
    double sum = 0;
    int used = 0;
    for (int64_t c = 0; work && c < k; c++) {
        double a = auc(b->scores, b->truth, b->n_scores, c, k, work);
        if (!isnan(a)) sum += a, used++;
    }
    free(work);
    return used ? sum / used : NAN;
}

static void decisions_values(const fv_builtin_task *b, double *v, int n)
{
    fv_class_scores micro, macro;
    fv_multilabel_scores(b->ml, NULL, &micro, &macro, NULL);
    v[0] = fv_multilabel_subset_accuracy(b->ml);
    v[1] = micro.precision, v[2] = micro.recall, v[3] = micro.f1;
    if (b->o.kind == FV_TASK_MULTILABEL) v[4] = macro.f1;
    if (n == b->base.n_metrics) v[n - 1] = macro_auc(b); /* the costly one: at an epoch's end alone */
}

void fv_task_metrics_values(fv_task *t, double *out, int n)
{
    fv_builtin_task *b = fv_builtin(t);
    double v[FV_TASK_MAX_METRICS];
    for (int i = 0; i < FV_TASK_MAX_METRICS; i++) v[i] = NAN;
    switch (b->o.kind) {
    case FV_TASK_CLASSIFY: if (b->seen) v[0] = (double)b->correct / (double)b->seen; break;
    case FV_TASK_BINARY: case FV_TASK_MULTILABEL: if (b->ml && b->ml->samples) decisions_values(b, v, n); break;
    case FV_TASK_REGRESS:
        v[0] = fv_regression_mae(&b->reg), v[1] = fv_regression_mse(&b->reg), v[2] = fv_regression_r2(&b->reg);
        break;
    case FV_TASK_SEGMENT:
        if (b->cm && fv_confusion_total(b->cm)) {
            v[0] = fv_confusion_accuracy(b->cm);
            fv_confusion_overlap(b->cm, NULL, NULL, &v[1], &v[2]);
        }
        break;
    case FV_TASK_EMBED:
        if (b->embed_form == FV_EMBED_PAIRS) {
            if (b->n_pos) v[0] = b->pos_dist / (double)b->n_pos;
            if (b->n_neg) v[1] = b->neg_dist / (double)b->n_neg;
        } else if (b->seen) {
            v[0] = (double)b->correct / (double)b->seen;
        }
        break;
    default: break;
    }
    for (int i = 0; i < n && i < t->n_metrics; i++) out[i] = v[i];
}
