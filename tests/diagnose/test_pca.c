/* PCA against scikit-learn (tests/reference/gen_pca.py): components, explained variance and ratio, projections,
 * with scikit-learn's signs; bad sizes refused. */
#include <math.h>
#include <stdio.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

static double max_diff(const float *a, const fv_tensor *b)
{
    double d = 0;
    for (int64_t i = 0; b && i < b->size; i++) d = fmax(d, fabs(a[i] - fv_f32(b)[i]));
    return b ? d : INFINITY;
}

int main(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/pca_basic.fvx");
    if (!CHECK(fx != NULL, "pca fixture loads")) return test_finish();
    fv_ctx *ctx = fv_ctx_new(1);
    const fv_tensor *x = fx_get(fx, "x");
    int64_t n = x->shape[0], d = x->shape[1];
    for (int k = 2; k <= 3; k++) {
        float comp[3 * 12], var[3], ratio[3], proj[120 * 3];
        char key[64];
        CHECK(fv_pca(ctx, fv_f32(x), n, d, k, comp, var, ratio, proj) == FV_OK, "PCA to %d components", k);
        snprintf(key, sizeof key, "components:%d", k);
        double dc = max_diff(comp, fx_get(fx, key));
        snprintf(key, sizeof key, "variance:%d", k);
        double dv = max_diff(var, fx_get(fx, key)) / fv_f32(fx_get(fx, key))[0];
        snprintf(key, sizeof key, "ratio:%d", k);
        double dr = max_diff(ratio, fx_get(fx, key));
        snprintf(key, sizeof key, "transformed:%d", k);
        double dp = max_diff(proj, fx_get(fx, key));
        CHECK(dc < 1e-5 && dv < 1e-5 && dr < 1e-6 && dp < 1e-4,
              "%d components: loadings %.1e, variance %.1e, ratio %.1e, projections %.1e from scikit-learn's", k, dc,
              dv, dr, dp);
    }
    CHECK(fv_pca(ctx, fv_f32(x), 1, d, 2, NULL, NULL, NULL, NULL) == FV_ERR_ARG, "one sample is refused: %s", fv_errmsg(ctx));
    CHECK(fv_pca(ctx, fv_f32(x), n, d, 13, NULL, NULL, NULL, NULL) == FV_ERR_ARG, "more components than features");
    fv_ctx_free(ctx);
    fx_free(fx);
    return test_finish();
}
