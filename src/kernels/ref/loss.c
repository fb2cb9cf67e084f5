/* Reference loss kernels: plain loops, per-position work and the final sums in double, so they can serve
 * as the oracle for faster kernels. */
#include <math.h>

#include "loss.h"

/* ---- softmax cross-entropy ----------------------------------------------------------------------------- */

/* log sum_c exp(z_c) for the C logits at z[0], z[S], ..., shifted by the largest for stability. */
static double log_sum_exp(const float *z, int64_t C, int64_t S)
{
    double m = z[0];
    for (int64_t c = 1; c < C; c++) m = fmax(m, z[c * S]);
    double sum = 0.0;
    for (int64_t c = 0; c < C; c++) sum += exp(z[c * S] - m);
    return m + log(sum);
}

static double class_weight(const float *weights, int64_t c) { return weights ? weights[c] : 1.0; }

/* sum_c w[c]: the total mass the uniform (smoothing) part of the target puts on a position, times C. */
static double weight_total(const float *weights, int64_t C)
{
    double s = 0.0;
    for (int64_t c = 0; c < C; c++) s += class_weight(weights, c);
    return s;
}

/* sum over positions of w[y]: PyTorch's denominator of the weighted mean, for both loss terms. */
static double label_weight_sum(const int32_t *labels, const float *weights, int64_t count)
{
    double s = 0.0;
    for (int64_t i = 0; i < count; i++) s += class_weight(weights, labels[i]);
    return s;
}

void fv_ref_cross_entropy_forward(float *out, const float *logits, const int32_t *labels, const float *weights,
                                  float eps, int64_t N, int64_t C, int64_t S)
{
    double total = 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t s = 0; s < S; s++) {
            const float *z = logits + n * C * S + s;
            int32_t y = labels[n * S + s];
            double lse = log_sum_exp(z, C, S);
            double smooth = 0.0; /* sum_c w[c] (-log p_c) */
            for (int64_t c = 0; c < C; c++) smooth += class_weight(weights, c) * (lse - z[c * S]);
            total += (1.0 - eps) * class_weight(weights, y) * (lse - z[y * S]) + eps / (double)C * smooth;
        }
    *out = (float)(total / label_weight_sum(labels, weights, N * S));
}

void fv_ref_cross_entropy_backward(float *dlogits, float dout, const float *logits, const int32_t *labels,
                                   const float *weights, float eps, int64_t N, int64_t C, int64_t S)
{
    double scale = dout / label_weight_sum(labels, weights, N * S);
    double uniform_mass = eps / (double)C * weight_total(weights, C);
    for (int64_t n = 0; n < N; n++)
        for (int64_t s = 0; s < S; s++) {
            const float *z = logits + n * C * S + s;
            float *dz = dlogits + n * C * S + s;
            int32_t y = labels[n * S + s];
            double lse = log_sum_exp(z, C, S);
            double onehot_mass = (1.0 - eps) * class_weight(weights, y);
            double mass = onehot_mass + uniform_mass; /* sum_c q_c */
            for (int64_t c = 0; c < C; c++) {
                double q = eps / (double)C * class_weight(weights, c) + (c == y ? onehot_mass : 0.0);
                dz[c * S] += (float)(scale * (mass * exp(z[c * S] - lse) - q));
            }
        }
}

/* ---- regression losses --------------------------------------------------------------------------------- */

static double sign(double d) { return (d > 0) - (d < 0); }

static double elem_loss(double d, fv_ref_regression_kind kind, double beta)
{
    double a = fabs(d);
    switch (kind) {
    case FV_REF_MSE: return d * d;
    case FV_REF_L1: return a;
    case FV_REF_SMOOTH_L1: return a < beta ? 0.5 * d * d / beta : a - 0.5 * beta;
    }
    return 0.0;
}

/* d loss / d d. At d = 0, L1 takes PyTorch's sign(0) = 0, and so does smooth L1 with beta 0 (it is L1 then).
 * PyTorch's smooth_l1_backward gives -1 there for both pred and target, an artifact of its comparison
 * order that is not the gradient of any one loss; we keep L1's subgradient instead. */
static double elem_grad(double d, fv_ref_regression_kind kind, double beta)
{
    switch (kind) {
    case FV_REF_MSE: return 2.0 * d;
    case FV_REF_L1: return sign(d);
    case FV_REF_SMOOTH_L1: return fabs(d) < beta ? d / beta : sign(d);
    }
    return 0.0;
}

void fv_ref_regression_loss_forward(float *out, const float *pred, const float *target, int64_t M,
                                    fv_ref_regression_kind kind, float beta)
{
    double total = 0.0;
    for (int64_t i = 0; i < M; i++) total += elem_loss((double)pred[i] - target[i], kind, beta);
    *out = (float)(total / (double)M);
}

void fv_ref_regression_loss_backward(float *dpred, float *dtarget, float dout, const float *pred, const float *target,
                                     int64_t M, fv_ref_regression_kind kind, float beta)
{
    double scale = dout / (double)M;
    for (int64_t i = 0; i < M; i++) {
        double gd = scale * elem_grad((double)pred[i] - target[i], kind, beta);
        if (dpred) dpred[i] += (float)gd;
        if (dtarget) dtarget[i] -= (float)gd;
    }
}
