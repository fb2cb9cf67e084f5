/* Reference kernels of the loss functions: softmax cross-entropy and the
 * elementwise regression losses. Each reduces to one mean (a scalar); gradients are added (+=). BCE on logits
 * is binary_loss.h's. */
#ifndef FV_REF_LOSS_H
#define FV_REF_LOSS_H

#include <stdint.h>

/* ---- softmax cross-entropy ----------------------------------------------------------------------------- */

/* out (scalar) = PyTorch's mean cross-entropy with class weights and label smoothing:
 *   q_c = (1 - eps) w[y] [c == y] + eps/C w[c],  out = sum_pos sum_c q_c (-log softmax(z)_c) / sum_pos w[y].
 * logits (N, C, S) with the classes at stride S (S = 1 for (N, C); S = H*W for (N, C, H, W));
 * labels (N, S), each in [0, C) (checked by the caller); weights (C) or NULL for all ones. */
void fv_ref_cross_entropy_forward(float *out, const float *logits, const int32_t *labels, const float *weights,
                                  float eps, int64_t N, int64_t C, int64_t S);
/* dlogits (N, C, S) += dout * (sum_c q_c * softmax(z) - q) / sum_pos w[y]; arguments as in forward. */
void fv_ref_cross_entropy_backward(float *dlogits, float dout, const float *logits, const int32_t *labels,
                                   const float *weights, float eps, int64_t N, int64_t C, int64_t S);

/* ---- regression losses on d = pred - target ------------------------------------------------------------ */

typedef enum {
    FV_REF_MSE = 0,   /* d^2 */
    FV_REF_L1,        /* |d|, subgradient sign(d) with sign(0) = 0 */
    FV_REF_SMOOTH_L1  /* 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; beta 0 gives L1's value */
} fv_ref_regression_kind;

/* out (scalar) = mean of the elementwise loss; pred, target (M); beta >= 0 (smooth L1 only). */
void fv_ref_regression_loss_forward(float *out, const float *pred, const float *target, int64_t M,
                                    fv_ref_regression_kind kind, float beta);
/* dpred (M) += dout loss'(d) / M and dtarget (M) -= the same; either may be NULL. */
void fv_ref_regression_loss_backward(float *dpred, float *dtarget, float dout, const float *pred, const float *target,
                                     int64_t M, fv_ref_regression_kind kind, float beta);

#endif
