/* Reference kernels of the dense (fully connected) layer. */
#ifndef FV_REF_DENSE_H
#define FV_REF_DENSE_H

#include <stdint.h>

/* out (N, OC) = inp (N, C) weight^T + bias; weight (OC, C), bias (OC) or NULL. */
void fv_ref_dense_forward(float *out, const float *inp, const float *weight, const float *bias, int64_t N,
                          int64_t C, int64_t OC);
/* Accumulate (+=) into dinp (N, C), dweight (OC, C), dbias (OC); any of them may be NULL. */
void fv_ref_dense_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                           const float *weight, int64_t N, int64_t C, int64_t OC);

#endif
