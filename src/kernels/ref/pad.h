/* Reference kernels of constant padding of the two spatial dimensions of NCHW data. */
#ifndef FV_REF_PAD_H
#define FV_REF_PAD_H

#include <stdint.h>

/* out (P, H + pt + pb, W + pl + pr) = inp (P, H, W) surrounded by value; P = N*C planes. */
void fv_ref_pad2d_forward(float *out, const float *inp, int64_t P, int64_t H, int64_t W, int pt, int pl, int pb,
                          int pr, float value);
/* Accumulate (+=) into dinp (P, H, W) the interior of dout (P, H + pt + pb, W + pl + pr). */
void fv_ref_pad2d_backward(float *dinp, const float *dout, int64_t P, int64_t H, int64_t W, int pt, int pl, int pb,
                           int pr);

#endif
