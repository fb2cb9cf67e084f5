/* Reference batch normalization kernels: plain loops over (N, C, HW), channel sums in double so they can
 * serve as the oracle for faster kernels. */
#include "batch_norm.h"

void fv_ref_batch_norm_stats(double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW)
{
    for (int64_t c = 0; c < C; c++) fv_ref_batch_norm_stats_channel(mean, var, x, c, N, C, HW);
}

void fv_ref_batch_norm_stats_channel(double *mean, double *var, const float *x, int64_t c, int64_t N, int64_t C,
                                     int64_t HW)
{
    double count = (double)(N * HW);
    double sum = 0.0;
    for (int64_t n = 0; n < N; n++) {
        const float *p = x + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i++) sum += p[i];
    }
    double m = sum / count, ss = 0.0;
    /* Second pass around the mean: no cancellation when the mean is large against the spread. */
    for (int64_t n = 0; n < N; n++) {
        const float *p = x + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i++) ss += (p[i] - m) * (p[i] - m);
    }
    mean[c] = m;
    var[c] = ss / count;
}

void fv_ref_batch_norm_apply(float *out, const float *x, const float *mean, const float *invstd,
                             const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW)
{
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            double scale = (double)invstd[c] * (gamma ? gamma[c] : 1.0f);
            double shift = beta ? beta[c] : 0.0f;
            const float *p = x + (n * C + c) * HW;
            float *o = out + (n * C + c) * HW;
            for (int64_t i = 0; i < HW; i++) o[i] = (float)((p[i] - (double)mean[c]) * scale + shift);
        }
}

/* Per channel: sum of dy and sum of dy * xhat, with xhat = (x - mean) * invstd. */
static void channel_sums(double *sum_dy, double *sum_dy_xhat, const float *dy, const float *x, double mean,
                         double invstd, int64_t c, int64_t N, int64_t C, int64_t HW)
{
    double s = 0.0, sx = 0.0;
    for (int64_t n = 0; n < N; n++) {
        const float *d = dy + (n * C + c) * HW, *p = x + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i++) {
            s += d[i];
            sx += d[i] * ((p[i] - mean) * invstd);
        }
    }
    *sum_dy = s;
    *sum_dy_xhat = sx;
}

void fv_ref_batch_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                int64_t N, int64_t C, int64_t HW)
{
    for (int64_t c = 0; c < C; c++)
        fv_ref_batch_norm_backward_channel(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, batch_stats, c, N, C, HW);
}

void fv_ref_batch_norm_backward_channel(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                        const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                        int64_t c, int64_t N, int64_t C, int64_t HW)
{
    double count = (double)(N * HW);
    double m = mean[c], is = invstd[c], g = gamma ? gamma[c] : 1.0;
    double sum_dy, sum_dy_xhat;
    channel_sums(&sum_dy, &sum_dy_xhat, dy, x, m, is, c, N, C, HW);
    if (dgamma) dgamma[c] += (float)sum_dy_xhat;
    if (dbeta) dbeta[c] += (float)sum_dy;
    if (!dx) return;
    /* With batch statistics, mean and variance depend on x too: subtract dy's mean and its projection
     * on xhat (dx = g * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))). */
    double mean_dy = batch_stats ? sum_dy / count : 0.0;
    double mean_dy_xhat = batch_stats ? sum_dy_xhat / count : 0.0;
    for (int64_t n = 0; n < N; n++) {
        const float *d = dy + (n * C + c) * HW, *p = x + (n * C + c) * HW;
        float *o = dx + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i++) {
            double xhat = (p[i] - m) * is;
            o[i] += (float)(g * is * (d[i] - mean_dy - xhat * mean_dy_xhat));
        }
    }
}
