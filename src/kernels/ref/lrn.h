/* Reference kernels of local response normalization across channels (PyTorch's LocalResponseNorm) over
 * (N, C, S) data, S being the product of the spatial dimensions. */
#ifndef FV_REF_LRN_H
#define FV_REF_LRN_H

#include <stdint.h>

/* out (N, C, S) = x / den^beta with den (N, C, S) = k + alpha/size * sum of x^2 over the channel window
 * [c - size/2, c + (size-1)/2] clipped to [0, C); den is kept for the backward pass. x (N, C, S). */
void fv_ref_lrn_forward(float *out, float *den, const float *x, int64_t N, int64_t C, int64_t S, int size,
                        float alpha, float beta, float k);

/* Accumulate (+=) into dx (N, C, S) the gradient from dy (N, C, S), given x and forward's den (N, C, S). */
void fv_ref_lrn_backward(float *dx, const float *dy, const float *x, const float *den, int64_t N, int64_t C,
                         int64_t S, int size, float alpha, float beta);

#endif
