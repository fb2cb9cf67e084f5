/* Reference kernels of the negative log-likelihood loss (PyTorch's F.nll_loss, ONNX's
 * NegativeLogLikelihoodLoss): log-probabilities x (N, C, inner) against class indices target (N, inner), int32
 * or int64, optional class weights w (C). Targets equal to ignore contribute nothing; the caller has checked
 * that every other target is in [0, C). reduction: 0 mean (divided by the sum of the weights of the targets
 * not ignored), 1 sum, 2 none (one loss per target). */
#ifndef FV_REF_NLL_H
#define FV_REF_NLL_H

#include <stdbool.h>
#include <stdint.h>

/* out: (N, inner) for none, else one value. */
void fv_ref_nll_forward(float *out, const float *x, const void *target, bool t64, const float *w, int64_t ignore,
                        int reduction, int64_t N, int64_t C, int64_t inner);
/* dx (N, C, inner) += the gradient for dout ((N, inner) for none, else one value). */
void fv_ref_nll_backward(float *dx, const float *dout, const float *x, const void *target, bool t64, const float *w,
                         int64_t ignore, int reduction, int64_t N, int64_t C, int64_t inner);

#endif
