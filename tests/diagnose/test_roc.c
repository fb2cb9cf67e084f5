/* ROC and precision-recall curves, AUC (per class, micro, macro), average precision, log-loss and top-k
 * accuracy against scikit-learn (tests/reference/gen_roc.py): tied scores and a class without positives. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

/* Curves equal point by point (NaN where scikit-learn has NaN); thresholds too (n_thr of them). */
static bool same(const double *got, const fv_tensor *want, int64_t n)
{
    if (!want || want->size != n) return false;
    for (int64_t i = 0; i < n; i++) {
        double w = fv_f32(want)[i];
        if (isnan(w) ? !isnan(got[i]) : fabs(got[i] - w) > 1e-6 * fmax(1, fabs(w))) return false;
    }
    return true;
}

static double one(const fx_file *fx, const char *key) { return fx_get(fx, key) ? fv_f32(fx_get(fx, key))[0] : NAN; }

int main(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/roc_basic.fvx");
    if (!CHECK(fx != NULL, "roc fixture loads")) return test_finish();
    fv_ctx *ctx = fv_ctx_new(1);
    const fv_tensor *probs = fx_get(fx, "probs"), *labels = fx_get(fx, "labels");
    int64_t n = probs->shape[0];
    int k = (int)probs->shape[1];
    float col[256];
    uint8_t pos[256];
    for (int c = 0; c < k; c++) {
        for (int64_t i = 0; i < n; i++) col[i] = fv_f32(probs)[i * k + c], pos[i] = fv_i32(labels)[i] == c;
        fv_curve roc, pr;
        char key[64];
        CHECK(fv_roc_curve(ctx, col, pos, n, &roc) == FV_OK && fv_pr_curve(ctx, col, pos, n, &pr) == FV_OK, "curves of class %d", c);
        snprintf(key, sizeof key, "roc_fpr:%d", c);
        bool ok = same(roc.x, fx_get(fx, key), roc.n);
        snprintf(key, sizeof key, "roc_tpr:%d", c);
        ok = ok && same(roc.y, fx_get(fx, key), roc.n);
        snprintf(key, sizeof key, "roc_thr:%d", c);
        ok = ok && same(roc.thresholds, fx_get(fx, key), roc.n);
        CHECK(ok, "class %d: all %lld ROC points and thresholds equal scikit-learn's", c, (long long)roc.n);
        snprintf(key, sizeof key, "pr_p:%d", c);
        ok = same(pr.y, fx_get(fx, key), pr.n);
        snprintf(key, sizeof key, "pr_r:%d", c);
        ok = ok && same(pr.x, fx_get(fx, key), pr.n);
        snprintf(key, sizeof key, "pr_thr:%d", c);
        ok = ok && same(pr.thresholds, fx_get(fx, key), pr.n - 1);
        CHECK(ok, "class %d: all %lld precision-recall points equal scikit-learn's", c, (long long)pr.n);
        snprintf(key, sizeof key, "ap:%d", c);
        double ap = fv_average_precision(&pr), want = one(fx, key);
        CHECK(fabs(ap - want) < 1e-6, "class %d: average precision %.6f, scikit-learn %.6f", c, ap, want);
        if (c == 3)
            CHECK(strstr(roc.warning, "No positive samples") && strstr(pr.warning, "No positive class"),
                  "class 3 without positives warns: '%s'", roc.warning);
        fv_curve_free(&roc), fv_curve_free(&pr);
    }
    double per[8], micro, macro;
    char warning[200];
    CHECK(fv_roc_auc_ovr(ctx, fv_f32(probs), fv_i32(labels), n, k, per, &micro, &macro, warning, sizeof warning) == FV_OK,
          "one-vs-rest AUC");
    for (int c = 0; c < k; c++) {
        char key[32];
        snprintf(key, sizeof key, "auc:%d", c);
        double want = one(fx, key);
        CHECK(isnan(want) ? isnan(per[c]) : fabs(per[c] - want) < 1e-6, "class %d AUC %.6f, scikit-learn %.6f", c, per[c], want);
    }
    CHECK(fabs(micro - one(fx, "auc:micro")) < 1e-6 && fabs(macro - one(fx, "auc:macro")) < 1e-6,
          "micro AUC %.6f (%.6f), macro %.6f (%.6f)", micro, one(fx, "auc:micro"), macro, one(fx, "auc:macro"));
    CHECK(strstr(warning, "class 3 has no positive sample") != NULL, "warning: %s", warning);
    double ll = fv_log_loss(fv_f32(probs), fv_i32(labels), n, k), top2 = fv_top_k_accuracy(fv_f32(probs), fv_i32(labels), n, k, 2);
    CHECK(fabs(ll - one(fx, "log_loss")) < 1e-6, "log-loss %.6f, scikit-learn %.6f", ll, one(fx, "log_loss"));
    CHECK(fabs(top2 - one(fx, "top2")) < 1e-6, "top-2 accuracy %.4f, scikit-learn %.4f", top2, one(fx, "top2"));
    fv_curve empty;
    CHECK(fv_roc_curve(ctx, col, pos, 0, &empty) == FV_ERR_ARG, "an empty set is refused: %s", fv_errmsg(ctx));
    fv_ctx_free(ctx);
    fx_free(fx);
    return test_finish();
}
