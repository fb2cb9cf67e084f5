/* PCA against scikit-learn (tests/reference/gen_pca.py): components, explained variance and ratio, projections,
 * with scikit-learn's signs; bad sizes refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
    /* many features take the subspace-iteration path: unit, orthogonal components whose projections have the
     * variances reported, in decreasing order */
    int64_t n2 = 150, d2 = 90;
    float *big = malloc((size_t)(n2 * d2) * sizeof *big), comp2[3 * 90], var2[3], proj2[150 * 3];
    for (int64_t i = 0; i < n2; i++)
        for (int64_t j = 0; j < d2; j++)
            big[i * d2 + j] = (float)((j % 3 + 1) * (fv_rng_uniform(4, 1, (uint64_t)i) - 0.5) + 0.05 * fv_rng_uniform(4, 2, (uint64_t)(i * d2 + j)));
    CHECK(fv_pca(ctx, big, n2, d2, 3, comp2, var2, NULL, proj2) == FV_OK, "PCA of 90 features");
    double worst = 0;
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            double dot = 0;
            for (int64_t j = 0; j < d2; j++) dot += (double)comp2[a * d2 + j] * comp2[b * d2 + j];
            worst = fmax(worst, fabs(dot - (a == b)));
        }
        double pv = 0;
        for (int64_t i = 0; i < n2; i++) pv += (double)proj2[i * 3 + a] * proj2[i * 3 + a];
        worst = fmax(worst, fabs(pv / (n2 - 1) - var2[a]) / var2[0]);
    }
    CHECK(worst < 1e-4 && var2[0] >= var2[1] && var2[1] >= var2[2], "orthonormal components, consistent variances (%.1e)", worst);
    free(big);
    CHECK(fv_pca(ctx, fv_f32(x), 1, d, 2, NULL, NULL, NULL, NULL) == FV_ERR_ARG, "one sample is refused: %s", fv_errmsg(ctx));
    CHECK(fv_pca(ctx, fv_f32(x), n, d, 13, NULL, NULL, NULL, NULL) == FV_ERR_ARG, "more components than features");
    fv_ctx_free(ctx);
    fx_free(fx);
    return test_finish();
}
