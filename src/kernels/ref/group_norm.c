/* Reference normalization over groups of channels (layer, instance and group norm; see group_norm.h). Each
 * row's sums run in double in element order, so results do not depend on how callers split the work. */
#include "group_norm.h"

#include <math.h>

/* Mean and 1 / sqrt(biased variance + eps) of one row of len elements, in double (two passes). */
static void row_stats(const float *xr, int64_t len, float eps, double *mean, double *invstd)
{
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < len; i++) sum += xr[i];
    double m = len ? sum / (double)len : 0.0;
    for (int64_t i = 0; i < len; i++) sq += ((double)xr[i] - m) * ((double)xr[i] - m);
    *mean = m;
    *invstd = 1.0 / sqrt((len ? sq / (double)len : 0.0) + (double)eps);
}

void fv_ref_group_norm_forward(float *out, float *mean, float *invstd, const float *x, const float *scale,
                               const float *bias, const fv_ref_group_norm_geom *g)
{
    int64_t cpg = g->G > 0 ? g->P / g->G : 0, len = cpg * g->S; /* channels per group, elements per row */
    for (int64_t a = 0; a < g->A; a++)
        for (int64_t k = 0; k < g->G; k++) {
            int64_t row = a * g->G + k;
            const float *xr = x + row * len;
            float *yr = out + row * len;
            double m, is;
            row_stats(xr, len, g->eps, &m, &is);
            if (mean) mean[row] = (float)m;
            if (invstd) invstd[row] = (float)is;
            for (int64_t c = 0; c < cpg; c++) {
                int64_t p = k * cpg + c;
                double sc = scale ? scale[p] : 1.0, sh = bias ? bias[p] : 0.0;
                for (int64_t s = 0; s < g->S; s++) {
                    int64_t i = c * g->S + s;
                    yr[i] = (float)(((double)xr[i] - m) * is * sc + sh);
                }
            }
        }
}

/* dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) with dxhat = dy * scale, per row. The
 * statistics are computed again in double: float32 ones lose digits that the cancellation in dx needs. */
void fv_ref_group_norm_backward(float *dx, float *dscale, float *dbias, const float *dy, const float *x,
                                const float *scale, const fv_ref_group_norm_geom *g)
{
    int64_t cpg = g->G > 0 ? g->P / g->G : 0, len = cpg * g->S;
    for (int64_t a = 0; a < g->A; a++)
        for (int64_t k = 0; k < g->G; k++) {
            int64_t row = a * g->G + k;
            const float *xr = x + row * len, *dyr = dy + row * len;
            double m, is, sum_d = 0, sum_dx = 0;
            row_stats(xr, len, g->eps, &m, &is);
            for (int64_t c = 0; c < cpg; c++) {
                int64_t p = k * cpg + c;
                double sc = scale ? scale[p] : 1.0, ds = 0, db = 0;
                for (int64_t s = 0; s < g->S; s++) {
                    int64_t i = c * g->S + s;
                    double xhat = ((double)xr[i] - m) * is;
                    ds += dyr[i] * xhat;
                    db += dyr[i];
                    sum_d += dyr[i] * sc;
                    sum_dx += dyr[i] * sc * xhat;
                }
                if (dscale) dscale[p] += (float)ds;
                if (dbias) dbias[p] += (float)db;
            }
            if (!dx || !len) continue;
            double md = sum_d / (double)len, mdx = sum_dx / (double)len;
            float *dxr = dx + row * len;
            for (int64_t c = 0; c < cpg; c++) {
                double sc = scale ? scale[k * cpg + c] : 1.0;
                for (int64_t s = 0; s < g->S; s++) {
                    int64_t i = c * g->S + s;
                    double xhat = ((double)xr[i] - m) * is;
                    dxr[i] += (float)(is * (dyr[i] * sc - md - xhat * mdx));
                }
            }
        }
}
