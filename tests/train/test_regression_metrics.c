/* Regression metrics against scikit-learn (tests/reference/gen_regression_metrics.py): MAE, MSE and R^2 over a
 * map given in two batches; R^2's conventions for constant targets; NaN when empty; shapes refused. */
#include <math.h>

#include "fixture.h"
#include "test.h"

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fx_file *fx = fx_load(FIXTURE_DIR "/regression_metrics_basic.fvx");
    if (CHECK(fx != NULL, "regression_metrics_basic.fvx loads")) {
        const fv_tensor *p = fx_get(fx, "in:pred"), *t = fx_get(fx, "in:target");
        int64_t half[3] = {3, 2, 3};
        fv_regression r = {0};
        bool ok = true;
        for (int k = 0; k < 2; k++) { /* two batches of 3 samples */
            fv_tensor *pb = fv_tensor_from(ctx, FV_F32, 3, half, fv_f32(p) + k * 18);
            fv_tensor *tb = fv_tensor_from(ctx, FV_F32, 3, half, fv_f32(t) + k * 18);
            ok = ok && fv_regression_add(ctx, &r, pb, tb) == FV_OK;
            fv_tensor_free(pb), fv_tensor_free(tb);
        }
        double mae = fv_f32(fx_get(fx, "mae"))[0], mse = fv_f32(fx_get(fx, "mse"))[0], r2 = fv_f32(fx_get(fx, "r2"))[0];
        CHECK(ok && fabs(fv_regression_mae(&r) - mae) < 1e-6 * fmax(1, mae) &&
                  fabs(fv_regression_mse(&r) - mse) < 1e-6 * fmax(1, mse) && fabs(fv_regression_r2(&r) - r2) < 1e-6,
              "MAE %.6f, MSE %.6f and R^2 %.6f over two batches equal scikit-learn's", fv_regression_mae(&r),
              fv_regression_mse(&r), fv_regression_r2(&r));
        fx_free(fx);
    }
    fv_regression r = {0};
    CHECK(isnan(fv_regression_mae(&r)) && isnan(fv_regression_r2(&r)), "nothing added: NaN");
    fv_tensor *c = fv_tensor_from(ctx, FV_F32, 1, (int64_t[]){3}, (float[]){2, 2, 2});
    fv_tensor *q = fv_tensor_from(ctx, FV_F32, 1, (int64_t[]){3}, (float[]){2, 2, 2.5f});
    fv_regression_add(ctx, &r, c, c);
    double exact = fv_regression_r2(&r);
    fv_regression_reset(&r);
    fv_regression_add(ctx, &r, q, c);
    CHECK(exact == 1.0 && fv_regression_r2(&r) == 0.0, "constant targets: R^2 1 when exact, 0 otherwise");
    fv_tensor *w = fv_tensor_from(ctx, FV_F32, 1, (int64_t[]){2}, (float[]){1, 2});
    CHECK(fv_regression_add(ctx, &r, w, c) == FV_ERR_SHAPE && strstr(fv_errmsg(ctx), "(2)") && strstr(fv_errmsg(ctx), "(3)"),
          "predictions of another shape are refused naming both: %s", fv_errmsg(ctx));
    fv_tensor_free(c), fv_tensor_free(q), fv_tensor_free(w);
    fv_ctx_free(ctx);
    return test_finish();
}
