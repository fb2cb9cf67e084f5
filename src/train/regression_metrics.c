/* Regression metrics accumulated over batches (include/fovea/metrics.h): mean absolute and squared error and
 * the coefficient of determination over every element seen, as scikit-learn's mean_absolute_error,
 * mean_squared_error and r2_score compute them on the flattened arrays. Sums in double. */
#include <math.h>

#include "../core/internal.h"
#include "fovea/metrics.h"

void fv_regression_reset(fv_regression *r) { *r = (fv_regression){0, 0, 0, 0, 0}; }

fv_status fv_regression_add(fv_ctx *ctx, fv_regression *r, const fv_tensor *pred, const fv_tensor *target)
{
    char a[64], b[64];
    if (!pred || !target || pred->dtype != FV_F32 || target->dtype != FV_F32 || !fv_same_shape(pred, target))
        return fv_error(ctx, FV_ERR_SHAPE, "regression metrics: expected float32 predictions and targets of one shape, "
                        "got %s and %s", pred ? fv_shape_str(pred, a, sizeof a) : "none",
                        target ? fv_shape_str(target, b, sizeof b) : "none");
    const float *p = fv_f32(pred), *t = fv_f32(target);
    for (int64_t i = 0; i < pred->size; i++) {
        double d = (double)p[i] - t[i];
        r->abs_sum += fabs(d), r->sq_sum += d * d, r->t_sum += t[i], r->t_sq_sum += (double)t[i] * t[i];
    }
    r->n += pred->size;
    return FV_OK;
}

double fv_regression_mae(const fv_regression *r) { return r->n ? r->abs_sum / (double)r->n : NAN; }
double fv_regression_mse(const fv_regression *r) { return r->n ? r->sq_sum / (double)r->n : NAN; }

/* 1 - SS_res / SS_tot; scikit-learn's conventions for constant targets: 1 when the predictions are exact, else
 * 0. SS_tot from the running sums (sum t^2 - (sum t)^2 / n), clamped at 0 against rounding. */
double fv_regression_r2(const fv_regression *r)
{
    if (!r->n) return NAN;
    double ss_tot = r->t_sq_sum - r->t_sum * r->t_sum / (double)r->n;
    if (ss_tot < 0) ss_tot = 0;
    if (ss_tot == 0) return r->sq_sum == 0 ? 1.0 : 0.0;
    return 1.0 - r->sq_sum / ss_tot;
}
