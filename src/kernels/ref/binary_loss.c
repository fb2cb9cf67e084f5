/* Reference binary-decision losses and the soft Dice loss (binary_loss.h), in double. */
#include "binary_loss.h"

#include <math.h>
#include <stddef.h>

/* log(1 + e^-|x|) + max(-x, 0) = -log sigmoid(x), without overflow */
static double softplus_neg(double x) { return log1p(exp(-fabs(x))) + (x < 0 ? -x : 0.0); }
static double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

void fv_ref_bce_weighted_forward(float *l, const float *x, const float *t, const float *pos_weight, int64_t M,
                                 int64_t K)
{
    for (int64_t i = 0; i < M; i++) {
        double w = pos_weight ? pos_weight[i % K] : 1.0, lw = 1.0 + (w - 1.0) * t[i];
        l[i] = (float)((1.0 - t[i]) * x[i] + lw * softplus_neg(x[i]));
    }
}

void fv_ref_bce_weighted_backward(float *dx, float *dt, const float *dl, int64_t dl_step, const float *x, const float *t,
                                  const float *pos_weight, int64_t M, int64_t K)
{
    for (int64_t i = 0; i < M; i++) {
        double w = pos_weight ? pos_weight[i % K] : 1.0, lw = 1.0 + (w - 1.0) * t[i];
        /* d softplus(-x) / dx = -sigmoid(-x) */
        double g = dl[i * dl_step];
        if (dx) dx[i] += (float)(g * ((1.0 - t[i]) - lw * sigmoid(-(double)x[i])));
        if (dt) dt[i] += (float)(g * (-(double)x[i] + (w - 1.0) * softplus_neg(x[i])));
    }
}

/* ---- focal ---- */

typedef struct {
    double ce, p, pt, at;
} focal_terms;

static focal_terms focal_at(double x, double t, float alpha)
{
    focal_terms f;
    f.p = sigmoid(x);
    f.ce = (1.0 - t) * x + softplus_neg(x); /* BCE on logits, pos_weight 1 */
    f.pt = f.p * t + (1.0 - f.p) * (1.0 - t);
    f.at = alpha >= 0.0f ? alpha * t + (1.0 - alpha) * (1.0 - t) : 1.0;
    return f;
}

void fv_ref_focal_forward(float *l, const float *x, const float *t, int64_t M, float alpha, float gamma)
{
    for (int64_t i = 0; i < M; i++) {
        focal_terms f = focal_at(x[i], t[i], alpha);
        l[i] = (float)(f.at * f.ce * pow(1.0 - f.pt, gamma));
    }
}

void fv_ref_focal_backward(float *dx, const float *dl, int64_t dl_step, const float *x, const float *t, int64_t M, float alpha,
                           float gamma)
{
    for (int64_t i = 0; i < M; i++) {
        focal_terms f = focal_at(x[i], t[i], alpha);
        double q = 1.0 - f.pt, g = (f.p - t[i]) * pow(q, gamma); /* ce' (1 - p_t)^gamma */
        /* + ce d(1 - p_t)^gamma / dx, with dp_t / dx = p (1 - p) (2 t - 1); 0 where 1 - p_t is 0 */
        if (gamma != 0.0f && q > 0.0)
            g -= f.ce * gamma * pow(q, gamma - 1.0) * f.p * (1.0 - f.p) * (2.0 * t[i] - 1.0);
        dx[i] += (float)(dl[i * dl_step] * f.at * g);
    }
}

/* ---- Dice ---- */

static double target_at(const float *t, const int32_t *labels, int64_t n, int64_t c, int64_t C, int64_t S, int64_t s)
{
    return t ? t[(n * C + c) * S + s] : labels[n * S + s] == c ? 1.0 : 0.0;
}

/* sum p t, sum p, sum t of class c over the batch */
static void class_sums(double *sums, const float *p, const float *t, const int32_t *labels, int64_t N, int64_t C,
                       int64_t S, int64_t c)
{
    sums[0] = sums[1] = sums[2] = 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t s = 0; s < S; s++) {
            double pv = p[(n * C + c) * S + s], tv = target_at(t, labels, n, c, C, S, s);
            sums[0] += pv * tv, sums[1] += pv, sums[2] += tv;
        }
}

double fv_ref_dice_forward(const float *p, const float *t, const int32_t *labels, int64_t N, int64_t C, int64_t S,
                           float smooth)
{
    double total = 0.0, sums[3];
    for (int64_t c = 0; c < C; c++) {
        class_sums(sums, p, t, labels, N, C, S, c);
        total += (2.0 * sums[0] + smooth) / (sums[1] + sums[2] + smooth);
    }
    return 1.0 - total / (double)C;
}

void fv_ref_dice_backward(float *dp, float dl, const float *p, const float *t, const int32_t *labels, int64_t N,
                          int64_t C, int64_t S, float smooth)
{
    double sums[3];
    for (int64_t c = 0; c < C; c++) {
        class_sums(sums, p, t, labels, N, C, S, c);
        double num = 2.0 * sums[0] + smooth, den = sums[1] + sums[2] + smooth;
        for (int64_t n = 0; n < N; n++)
            for (int64_t s = 0; s < S; s++) { /* d dice_c / dp = (2 t den - num) / den^2 */
                double tv = target_at(t, labels, n, c, C, S, s);
                dp[(n * C + c) * S + s] += (float)(-dl / (double)C * (2.0 * tv * den - num) / (den * den));
            }
    }
}

/* ---- KL divergence ---- */

void fv_ref_kl_div_forward(float *l, const float *x, const float *t, int64_t M, bool log_target)
{
    for (int64_t i = 0; i < M; i++) {
        double ti = t[i];
        if (log_target) l[i] = (float)(exp(ti) * (ti - x[i]));
        else l[i] = (float)(ti == 0.0 ? -0.0 * x[i] : ti * (log(ti) - x[i])); /* xlogy(0, 0) = 0; a negative t: NaN */
    }
}

void fv_ref_kl_div_backward(float *dx, const float *dl, int64_t dl_step, const float *t, int64_t M, bool log_target)
{
    for (int64_t i = 0; i < M; i++)
        dx[i] += (float)(-(double)dl[i * dl_step] * (log_target ? exp((double)t[i]) : t[i]));
}
