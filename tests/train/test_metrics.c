/* Metrics against scikit-learn (tests/reference/gen_metrics.py): confusion matrix, per-class precision,
 * recall and F1 with macro and weighted averages, accuracy, top-k accuracy and the classification report's
 * text; plus running means, tie and NaN rules, bad input, and the confusion matrix's table. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

static char *printed(void (*print)(const fv_confusion *, FILE *, const char *const *, int), const fv_confusion *cm,
                     const char *const *names, int max_name)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    print(cm, f, names, max_name);
    fclose(f);
    return buf;
}

static int same_text(const char *got, const char *want, const char *what)
{
    int ok = strcmp(got, want) == 0;
    CHECK(ok, "%s", what);
    if (!ok) printf("  got:\n%s\n  want:\n%s\n", got, want);
    return ok;
}

static double max_diff(const fv_class_scores *s, int k, const fv_tensor *p, const fv_tensor *r, const fv_tensor *f)
{
    double d = 0;
    for (int c = 0; c < k; c++) {
        d = fmax(d, fabs(s[c].precision - fv_f32(p)[c]));
        d = fmax(d, fabs(s[c].recall - fv_f32(r)[c]));
        d = fmax(d, fabs(s[c].f1 - fv_f32(f)[c]));
    }
    return d;
}

static void test_against_sklearn(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/metrics_basic.fvx");
    CHECK(fx != NULL, "fixture metrics_basic.fvx loaded");
    if (!fx) return;
    fv_ctx *ctx = fv_ctx_new(1);
    const fv_tensor *logits = fx_get(fx, "in:logits"), *labels = fx_get(fx, "in:labels");
    int k = (int)logits->shape[1];
    int64_t n = logits->shape[0];

    fv_confusion *cm = fv_confusion_new(ctx, k);
    /* two batches, to check that counts accumulate */
    int64_t half = n / 2, shape_a[2] = {half, k}, shape_b[2] = {n - half, k}, la[1] = {half}, lb[1] = {n - half};
    fv_tensor *xa = fv_tensor_from(ctx, FV_F32, 2, shape_a, fv_f32(logits));
    fv_tensor *xb = fv_tensor_from(ctx, FV_F32, 2, shape_b, fv_f32(logits) + half * k);
    fv_tensor *ya = fv_tensor_from(ctx, FV_I32, 1, la, fv_i32(labels));
    fv_tensor *yb = fv_tensor_from(ctx, FV_I32, 1, lb, fv_i32(labels) + half);
    CHECK(fv_confusion_add_logits(cm, xa, ya) == FV_OK && fv_confusion_add_logits(cm, xb, yb) == FV_OK,
          "confusion from two batches of logits");
    const fv_tensor *want = fx_get(fx, "confusion");
    bool same = true;
    for (int i = 0; i < k * k; i++) same &= cm->counts[i] == fv_i32(want)[i];
    CHECK(same, "confusion matrix equals sklearn's (%dx%d, %lld samples)", k, k, (long long)fv_confusion_total(cm));

    fv_class_scores *s = calloc((size_t)k, sizeof *s), macro, weighted;
    fv_confusion_scores(cm, s, &macro, &weighted);
    double d = max_diff(s, k, fx_get(fx, "precision"), fx_get(fx, "recall"), fx_get(fx, "f1"));
    CHECK(d < 1e-6, "per-class precision, recall, F1 (max diff %.2e)", d);
    bool support = true;
    for (int c = 0; c < k; c++) support &= s[c].support == fv_i32(fx_get(fx, "support"))[c];
    CHECK(support, "per-class support");
    const float *m = fv_f32(fx_get(fx, "macro")), *w = fv_f32(fx_get(fx, "weighted"));
    d = fmax(fmax(fabs(macro.precision - m[0]), fabs(macro.recall - m[1])), fabs(macro.f1 - m[2]));
    CHECK(d < 1e-6, "macro averages (max diff %.2e)", d);
    d = fmax(fmax(fabs(weighted.precision - w[0]), fabs(weighted.recall - w[1])), fabs(weighted.f1 - w[2]));
    CHECK(d < 1e-6, "weighted averages (max diff %.2e)", d);
    CHECK(macro.support == n && weighted.support == n, "average support is the total");

    for (int top = 1; top <= 3; top++) {
        char key[24];
        snprintf(key, sizeof key, "correct%d", top);
        int64_t correct = -1;
        fv_status st = fv_count_correct(ctx, logits, labels, top, &correct);
        CHECK(st == FV_OK && correct == fx_int(fx, key, 0, -1), "top-%d correct %lld (sklearn %d)", top,
              (long long)correct, fx_int(fx, key, 0, -1));
    }
    CHECK(fabs(fv_confusion_accuracy(cm) - fx_int(fx, "correct1", 0, -1) / (double)n) < 1e-12, "accuracy = trace/total");

    /* the report, with the fixture's class names */
    char *names_buf = strdup(fx_str(fx, "names")), *names[16];
    int nn = 0;
    for (char *t = strtok(names_buf, "\n"); t && nn < 16; t = strtok(NULL, "\n")) names[nn++] = t;
    CHECK(nn == k, "%d class names", nn);
    char *rep = printed(fv_confusion_print_report, cm, (const char *const *)names, 40);
    same_text(rep, fx_str(fx, "report"), "classification report identical to sklearn's");
    free(rep);

    free(names_buf);
    free(s);
    fv_tensor_free(xa);
    fv_tensor_free(xb);
    fv_tensor_free(ya);
    fv_tensor_free(yb);
    fv_confusion_free(cm);
    fv_ctx_free(ctx);
    fx_free(fx);
}

static void test_mean(void)
{
    fv_mean m = {0, 0};
    CHECK(fv_mean_value(&m) == 0, "empty mean is 0");
    fv_mean_add(&m, 0.5, 32);
    fv_mean_add(&m, 0.25, 16);
    CHECK(fabs(fv_mean_value(&m) - (0.5 * 32 + 0.25 * 16) / 48) < 1e-15, "weighted by batch size");
    fv_mean_reset(&m);
    CHECK(m.weight == 0 && fv_mean_value(&m) == 0, "reset");
}

static void test_ties_and_nan(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    /* row 0: tie between 1 and 2; row 1: label's logit NaN; row 2: NaN elsewhere; row 3: 3-way tie */
    float x[4 * 4] = {0, 5, 5, 1, /**/ 1, NAN, 0, 2, /**/ 3, NAN, 1, 0, /**/ 2, 2, 2, 9};
    int32_t y[4] = {2, 1, 0, 2};
    int32_t pred[4];
    fv_argmax_rows(pred, x, 4, 4);
    CHECK(pred[0] == 1 && pred[1] == 1 && pred[2] == 1 && pred[3] == 3, "argmax: first of ties, NaN largest");
    int64_t shx[2] = {4, 4}, shy[1] = {4};
    fv_tensor *tx = fv_tensor_from(ctx, FV_F32, 2, shx, x), *ty = fv_tensor_from(ctx, FV_I32, 1, shy, y);
    int64_t c1, c2, c3;
    fv_count_correct(ctx, tx, ty, 1, &c1);
    fv_count_correct(ctx, tx, ty, 2, &c2);
    fv_count_correct(ctx, tx, ty, 3, &c3);
    /* top-1 is the argmax: only row 1, whose NaN is "largest" as in numpy. top-2: row 0 in (one class above),
     * row 1 never (the label's logit is NaN), row 2 in (only the NaN above), row 3 in (only 9 above) */
    CHECK(c1 == 1 && c2 == 3 && c3 == 3, "top-k counts ties in favour: %lld %lld %lld", (long long)c1,
          (long long)c2, (long long)c3);

    y[3] = 7;
    memcpy(ty->data, y, sizeof y);
    int64_t c;
    CHECK(fv_count_correct(ctx, tx, ty, 1, &c) == FV_ERR_ARG, "label out of range refused");
    CHECK(!strcmp(fv_errmsg(ctx), "accuracy: label 7 of sample 3 is outside [0, 4)"), "message: %s", fv_errmsg(ctx));
    CHECK(fv_count_correct(ctx, tx, tx, 1, &c) == FV_ERR_SHAPE, "float labels refused: %s", fv_errmsg(ctx));
    CHECK(fv_count_correct(ctx, tx, ty, 0, &c) == FV_ERR_ARG, "top_k 0 refused");

    fv_confusion *cm = fv_confusion_new(ctx, 3);
    CHECK(fv_confusion_add_logits(cm, tx, ty) == FV_ERR_SHAPE, "4 classes of logits into a 3-class matrix: %s",
          fv_errmsg(ctx));
    int32_t t3[2] = {0, 3}, p3[2] = {1, 1};
    CHECK(fv_confusion_add(cm, t3, p3, 2) == FV_ERR_ARG && fv_confusion_total(cm) == 0,
          "an invalid pair counts nothing: %s", fv_errmsg(ctx));
    CHECK(!fv_confusion_new(ctx, 0), "0 classes refused");
    fv_confusion_free(cm);
    fv_tensor_free(tx);
    fv_tensor_free(ty);
    fv_ctx_free(ctx);
}

static void test_print(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_confusion *cm = fv_confusion_new(ctx, 3);
    int64_t counts[9] = {12, 3, 0, 1, 14, 2, 0, 0, 100};
    memcpy(cm->counts, counts, sizeof counts);
    const char *const names[] = {"cat", "dog", "elephant_seal"};
    char *s = printed(fv_confusion_print, cm, names, 8);
    same_text(s,
              "true\\pred       cat       dog  elephan~\n"
              "cat              12         3         0\n"
              "dog               1        14         2\n"
              "elephan~          0         0       100\n",
              "confusion table with a cut name");
    free(s);
    s = printed(fv_confusion_print, cm, NULL, 0);
    same_text(s,
              "true\\pred    0    1    2\n"
              "0           12    3    0\n"
              "1            1   14    2\n"
              "2            0    0  100\n",
              "confusion table with class numbers");
    free(s);
    s = printed(fv_confusion_print_report, cm, names, 20);
    same_text(s,
              "               precision    recall  f1-score   support\n\n"
              "          cat     0.9231    0.8000    0.8571        15\n"
              "          dog     0.8235    0.8235    0.8235        17\n"
              "elephant_seal     0.9804    1.0000    0.9901       100\n\n"
              "     accuracy                         0.9545       132\n"
              "    macro avg     0.9090    0.8745    0.8903       132\n"
              " weighted avg     0.9537    0.9545    0.9535       132\n",
              "report with a long name (text from sklearn)");
    free(s);
    fv_confusion_reset(cm);
    CHECK(fv_confusion_total(cm) == 0 && fv_confusion_accuracy(cm) == 0, "reset");
    fv_confusion_free(cm);
    fv_ctx_free(ctx);
}

int main(void)
{
    test_against_sklearn();
    test_mean();
    test_ties_and_nan();
    test_print();
    return test_finish();
}
