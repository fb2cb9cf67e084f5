/* Training and evaluation metrics: running means, accuracy and top-k accuracy from logits, and a confusion
 * matrix from which per-class precision, recall and F1 follow scikit-learn's definitions; printers for the
 * matrix and for a classification report laid out as scikit-learn's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/metrics.h"

/* ---- running mean --------------------------------------------------------------------------------- */

void fv_mean_reset(fv_mean *m) { m->sum = m->weight = 0; }

void fv_mean_add(fv_mean *m, double value, double weight)
{
    m->sum += value * weight;
    m->weight += weight;
}

double fv_mean_value(const fv_mean *m) { return m->weight > 0 ? m->sum / m->weight : 0; }

/* ---- accuracy ------------------------------------------------------------------------------------- */

void fv_argmax_rows(int32_t *pred, const float *logits, int64_t n, int k)
{
    for (int64_t i = 0; i < n; i++) {
        const float *row = logits + i * k;
        int best = 0;
        for (int j = 1; j < k && !isnan(row[best]); j++)
            if (isnan(row[j]) || row[j] > row[best]) best = j;
        pred[i] = best;
    }
}

/* Logits (N, K) float32 and labels (N) int32 with every label in [0, K). */
static fv_status check_batch(fv_ctx *ctx, const char *what, const fv_tensor *logits, const fv_tensor *labels, int k_max)
{
    char a[64], b[64];
    if (!logits || !labels) return fv_error(ctx, FV_ERR_ARG, "%s: missing logits or labels", what);
    if (logits->dtype != FV_F32 || logits->ndim != 2 || labels->dtype != FV_I32 || labels->ndim != 1 ||
        labels->shape[0] != logits->shape[0])
        return fv_error(ctx, FV_ERR_SHAPE, "%s: expected float32 logits (N,K) and int32 labels (N), got %s and %s",
                        what, fv_shape_str(logits, a, sizeof a), fv_shape_str(labels, b, sizeof b));
    int64_t k = logits->shape[1];
    if (k_max > 0 && k != k_max)
        return fv_error(ctx, FV_ERR_SHAPE, "%s: logits %s have %lld classes, expected %d", what,
                        fv_shape_str(logits, a, sizeof a), (long long)k, k_max);
    const int32_t *y = fv_i32(labels);
    for (int64_t i = 0; i < labels->size; i++)
        if (y[i] < 0 || y[i] >= k)
            return fv_error(ctx, FV_ERR_ARG, "%s: label %d of sample %lld is outside [0, %lld)", what, y[i],
                            (long long)i, (long long)k);
    return FV_OK;
}

/* TensorFlow's in_top_k: fewer than top_k classes score strictly above the label's logit. */
static bool in_top_k(const float *row, int k, int label, int top_k)
{
    float v = row[label];
    if (isnan(v)) return false;
    int above = 0;
    for (int j = 0; j < k; j++)
        if (row[j] > v || isnan(row[j])) above++;
    return above < top_k;
}

fv_status fv_count_correct(fv_ctx *ctx, const fv_tensor *logits, const fv_tensor *labels, int top_k, int64_t *correct)
{
    *correct = 0;
    fv_status st = check_batch(ctx, "accuracy", logits, labels, 0);
    if (st != FV_OK) return st;
    if (top_k < 1) return fv_error(ctx, FV_ERR_ARG, "accuracy: top_k %d must be at least 1", top_k);
    int64_t n = logits->shape[0];
    int k = (int)logits->shape[1];
    const float *x = fv_f32(logits);
    const int32_t *y = fv_i32(labels);
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *row = x + i * k;
        if (top_k == 1) {
            int32_t p;
            fv_argmax_rows(&p, row, 1, k);
            count += p == y[i];
        } else {
            count += in_top_k(row, k, y[i], top_k);
        }
    }
    *correct = count;
    return FV_OK;
}

/* ---- confusion matrix ----------------------------------------------------------------------------- */

fv_confusion *fv_confusion_new(fv_ctx *ctx, int k)
{
    if (k < 1 || k > 65536) {
        fv_error(ctx, FV_ERR_ARG, "confusion matrix: %d classes (expected 1 to 65536)", k);
        return NULL;
    }
    fv_confusion *cm = calloc(1, sizeof *cm);
    if (cm) cm->counts = calloc((size_t)k * (size_t)k, sizeof *cm->counts);
    if (!cm || !cm->counts) {
        free(cm);
        fv_error(ctx, FV_ERR_NOMEM, "confusion matrix: out of memory for %d classes", k);
        return NULL;
    }
    cm->ctx = ctx;
    cm->k = k;
    return cm;
}

void fv_confusion_free(fv_confusion *cm)
{
    if (!cm) return;
    free(cm->counts);
    free(cm);
}

void fv_confusion_reset(fv_confusion *cm) { memset(cm->counts, 0, (size_t)cm->k * (size_t)cm->k * sizeof *cm->counts); }

fv_status fv_confusion_add(fv_confusion *cm, const int32_t *labels, const int32_t *preds, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= cm->k)
            return fv_error(cm->ctx, FV_ERR_ARG, "confusion matrix: label %d of sample %lld is outside [0, %d)",
                            labels[i], (long long)i, cm->k);
        if (preds[i] < 0 || preds[i] >= cm->k)
            return fv_error(cm->ctx, FV_ERR_ARG, "confusion matrix: prediction %d of sample %lld is outside [0, %d)",
                            preds[i], (long long)i, cm->k);
    }
    for (int64_t i = 0; i < n; i++) cm->counts[(size_t)labels[i] * (size_t)cm->k + (size_t)preds[i]]++;
    return FV_OK;
}

fv_status fv_confusion_add_logits(fv_confusion *cm, const fv_tensor *logits, const fv_tensor *labels)
{
    fv_status st = check_batch(cm->ctx, "confusion matrix", logits, labels, cm->k);
    if (st != FV_OK) return st;
    int64_t n = logits->shape[0];
    const float *x = fv_f32(logits);
    const int32_t *y = fv_i32(labels);
    for (int64_t i = 0; i < n; i++) {
        int32_t p;
        fv_argmax_rows(&p, x + i * cm->k, 1, cm->k);
        cm->counts[(size_t)y[i] * (size_t)cm->k + (size_t)p]++;
    }
    return FV_OK;
}

int64_t fv_confusion_total(const fv_confusion *cm)
{
    int64_t t = 0;
    for (size_t i = 0; i < (size_t)cm->k * (size_t)cm->k; i++) t += cm->counts[i];
    return t;
}

double fv_confusion_accuracy(const fv_confusion *cm)
{
    int64_t total = fv_confusion_total(cm), diag = 0;
    for (int i = 0; i < cm->k; i++) diag += cm->counts[(size_t)i * (size_t)cm->k + (size_t)i];
    return total > 0 ? (double)diag / (double)total : 0;
}

static double ratio0(int64_t num, int64_t den) { return den > 0 ? (double)num / (double)den : 0; }

static fv_class_scores class_scores(const fv_confusion *cm, int c)
{
    int64_t tp = cm->counts[(size_t)c * (size_t)cm->k + (size_t)c], row = 0, col = 0;
    for (int j = 0; j < cm->k; j++) {
        row += cm->counts[(size_t)c * (size_t)cm->k + (size_t)j];
        col += cm->counts[(size_t)j * (size_t)cm->k + (size_t)c];
    }
    fv_class_scores s;
    s.precision = ratio0(tp, col);
    s.recall = ratio0(tp, row);
    s.f1 = ratio0(2 * tp, 2 * tp + (col - tp) + (row - tp));
    s.support = row;
    return s;
}

void fv_confusion_scores(const fv_confusion *cm, fv_class_scores *per_class, fv_class_scores *macro,
                         fv_class_scores *weighted)
{
    fv_class_scores m = {0, 0, 0, 0}, w = {0, 0, 0, 0};
    for (int c = 0; c < cm->k; c++) {
        fv_class_scores s = class_scores(cm, c);
        if (per_class) per_class[c] = s;
        m.precision += s.precision;
        m.recall += s.recall;
        m.f1 += s.f1;
        w.precision += s.precision * (double)s.support;
        w.recall += s.recall * (double)s.support;
        w.f1 += s.f1 * (double)s.support;
        m.support += s.support;
    }
    w.support = m.support;
    m.precision /= cm->k;
    m.recall /= cm->k;
    m.f1 /= cm->k;
    double total = (double)w.support;
    if (total > 0) {
        w.precision /= total;
        w.recall /= total;
        w.f1 /= total;
    }
    if (macro) *macro = m;
    if (weighted) *weighted = w;
}

/* ---- printing ------------------------------------------------------------------------------------- */

/* A class's label cut to max characters, ending in '~' when cut. */
static void class_label(char *buf, size_t len, const char *const *names, int c, int max)
{
    char full[32], shown[256];
    const char *name = names && names[c] ? fv_printable(names[c], shown, sizeof shown) : full; /* from files */
    if (!(names && names[c])) snprintf(full, sizeof full, "%d", c);
    size_t n = strlen(name);
    if ((int)n <= max) {
        snprintf(buf, len, "%s", name);
        return;
    }
    snprintf(buf, len, "%.*s~", max - 1, name);
}

static int label_width(const fv_confusion *cm, const char *const *names, int max)
{
    int w = 0;
    char buf[256];
    for (int c = 0; c < cm->k; c++) {
        class_label(buf, sizeof buf, names, c, max);
        if ((int)strlen(buf) > w) w = (int)strlen(buf);
    }
    return w;
}

static int clamp_name(int max_name) { return max_name <= 0 ? 12 : max_name > 200 ? 200 : max_name < 2 ? 2 : max_name; }

void fv_confusion_print(const fv_confusion *cm, FILE *f, const char *const *names, int max_name)
{
    int max = clamp_name(max_name);
    static const char corner[] = "true\\pred";
    int row_w = label_width(cm, names, max);
    if (row_w < (int)strlen(corner)) row_w = (int)strlen(corner);
    int64_t biggest = 0;
    for (size_t i = 0; i < (size_t)cm->k * (size_t)cm->k; i++)
        if (cm->counts[i] > biggest) biggest = cm->counts[i];
    char buf[256];
    int col_w = snprintf(buf, sizeof buf, "%lld", (long long)biggest);
    int name_w = label_width(cm, names, max);
    if (name_w > col_w) col_w = name_w;
    fprintf(f, "%-*s", row_w, corner);
    for (int c = 0; c < cm->k; c++) {
        class_label(buf, sizeof buf, names, c, max);
        fprintf(f, "  %*s", col_w, buf);
    }
    fputc('\n', f);
    for (int t = 0; t < cm->k; t++) {
        class_label(buf, sizeof buf, names, t, max);
        fprintf(f, "%-*s", row_w, buf);
        for (int p = 0; p < cm->k; p++) fprintf(f, "  %*lld", col_w, (long long)cm->counts[(size_t)t * (size_t)cm->k + (size_t)p]);
        fputc('\n', f);
    }
}

void fv_confusion_print_report(const fv_confusion *cm, FILE *f, const char *const *names, int max_name)
{
    enum { DIGITS = 4 };
    int max = clamp_name(max_name);
    int width = label_width(cm, names, max);
    if (width < (int)strlen("weighted avg")) width = (int)strlen("weighted avg");
    fv_class_scores *s = malloc((size_t)cm->k * sizeof *s);
    if (!s) return;
    fv_class_scores macro, weighted;
    fv_confusion_scores(cm, s, &macro, &weighted);
    fprintf(f, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support");
    char buf[256];
    for (int c = 0; c < cm->k; c++) {
        class_label(buf, sizeof buf, names, c, max);
        fprintf(f, "%*s  %9.*f %9.*f %9.*f %9lld\n", width, buf, DIGITS, s[c].precision, DIGITS, s[c].recall, DIGITS,
                s[c].f1, (long long)s[c].support);
    }
    fputc('\n', f);
    fprintf(f, "%*s  %9s %9s %9.*f %9lld\n", width, "accuracy", "", "", DIGITS, fv_confusion_accuracy(cm),
            (long long)macro.support);
    const fv_class_scores *avg[2] = {&macro, &weighted};
    const char *heading[2] = {"macro avg", "weighted avg"};
    for (int i = 0; i < 2; i++)
        fprintf(f, "%*s  %9.*f %9.*f %9.*f %9lld\n", width, heading[i], DIGITS, avg[i]->precision, DIGITS,
                avg[i]->recall, DIGITS, avg[i]->f1, (long long)avg[i]->support);
    free(s);
}
