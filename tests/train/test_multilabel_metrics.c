/* Multi-label metrics against scikit-learn (tests/reference/gen_multilabel_metrics.py): per-label precision,
 * recall and F1 with micro, macro and weighted averages (zero_division=0) and subset accuracy, at thresholds 0.5
 * and 0.3, with a label never true and one never predicted; targets other than 0 and 1, shapes and thresholds
 * refused before anything is counted. */
#include <math.h>
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

/* got (precision, recall, f1 of n entries) against want (3, n) */
static double diff(const fv_class_scores *got, int n, const fv_tensor *want)
{
    double d = 0;
    for (int c = 0; c < n; c++) {
        d = fmax(d, fabs(got[c].precision - fv_f32(want)[c]));
        d = fmax(d, fabs(got[c].recall - fv_f32(want)[n + c]));
        d = fmax(d, fabs(got[c].f1 - fv_f32(want)[2 * n + c]));
    }
    return d;
}

static void against_sklearn(fx_file *fx, const char *tag, float threshold)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const fv_tensor *x = fx_get(fx, "in:logits"), *t = fx_get(fx, "in:targets");
    int k = (int)x->shape[1];
    fv_multilabel *ml = fv_multilabel_new(ctx, k);
    CHECK(fv_multilabel_add(ml, x, t, threshold) == FV_OK, "%s: counted (%s)", tag, fv_errmsg(ctx));
    fv_class_scores per[16], micro, macro, weighted;
    fv_multilabel_scores(ml, per, &micro, &macro, &weighted);
    char key[64];
    snprintf(key, sizeof key, "%s:per_label", tag);
    double d = diff(per, k, fx_get(fx, key));
    snprintf(key, sizeof key, "%s:support", tag);
    const fv_tensor *sup = fx_get(fx, key);
    bool same_support = true;
    for (int c = 0; c < k; c++) same_support = same_support && per[c].support == fx_int_of(sup, c);
    CHECK(d < 1e-6 && same_support, "%s: per-label precision, recall, F1 and support equal scikit-learn's (%.1e)", tag, d);
    snprintf(key, sizeof key, "%s:micro", tag);
    double dm = diff(&micro, 1, fx_get(fx, key));
    snprintf(key, sizeof key, "%s:macro", tag);
    dm = fmax(dm, diff(&macro, 1, fx_get(fx, key)));
    snprintf(key, sizeof key, "%s:weighted", tag);
    dm = fmax(dm, diff(&weighted, 1, fx_get(fx, key)));
    CHECK(dm < 1e-6, "%s: micro, macro and weighted averages equal scikit-learn's (%.1e)", tag, dm);
    snprintf(key, sizeof key, "%s:subset_accuracy", tag);
    CHECK(fabs(fv_multilabel_subset_accuracy(ml) - fv_f32(fx_get(fx, key))[0]) < 1e-7, "%s: subset accuracy %.4f", tag,
          fv_multilabel_subset_accuracy(ml));
    fv_multilabel_free(ml);
    fv_ctx_free(ctx);
}

static void bad_input(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_multilabel *ml = fv_multilabel_new(ctx, 2);
    fv_tensor *x = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){2, 2}, (float[]){1, -1, NAN, 2});
    fv_tensor *t = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){2, 2}, (float[]){1, 0, 0.5f, 1});
    fv_tensor *t3 = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){1, 3}, (float[]){1, 0, 0});
    CHECK(fv_multilabel_add(ml, x, t, 0.5f) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "target 0.5 of sample 1, label 0") &&
              ml->samples == 0, "a target of 0.5 is refused before counting: %s", fv_errmsg(ctx));
    CHECK(fv_multilabel_add(ml, x, t3, 0.5f) == FV_ERR_SHAPE && strstr(fv_errmsg(ctx), "(1,3)"),
          "targets of another shape are refused: %s", fv_errmsg(ctx));
    fv_f32(t)[2] = 0.0f;
    CHECK(fv_multilabel_add(ml, x, t, 1.0f) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "threshold 1"),
          "a threshold of 1 is refused: %s", fv_errmsg(ctx));
    CHECK(fv_multilabel_add(ml, x, t, 0.5f) == FV_OK && ml->tn[0] == 1 && ml->tp[1] == 1 && ml->fn[1] == 0,
          "a NaN logit predicts 0");
    CHECK(!fv_multilabel_new(ctx, 0) && strstr(fv_errmsg(ctx), "0 labels"), "0 labels are refused");
    fv_tensor_free(x), fv_tensor_free(t), fv_tensor_free(t3);
    fv_multilabel_free(ml);
    fv_ctx_free(ctx);
}

int main(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/multilabel_metrics_basic.fvx");
    if (CHECK(fx != NULL, "multilabel_metrics_basic.fvx loads")) {
        against_sklearn(fx, "t50", 0.5f);
        against_sklearn(fx, "t30", 0.3f);
        fx_free(fx);
    }
    bad_input();
    return test_finish();
}
