/* Reference kernels of softmax and log-softmax along one axis. The tensor is viewed as (outer, C, inner):
 * C is the axis' size, outer the product of the dimensions before it, inner of those after it. */
#ifndef FV_REF_SOFTMAX_H
#define FV_REF_SOFTMAX_H

#include <stdbool.h>
#include <stdint.h>

/* out (outer, C, inner) = softmax, or log_softmax when log_out is true, of inp (outer, C, inner) along C. */
void fv_ref_softmax_forward(float *out, const float *inp, int64_t outer, int64_t C, int64_t inner, bool log_out);
/* dinp (outer, C, inner) += the gradient through the forward that produced out (outer, C, inner) from
 * dout (outer, C, inner). */
void fv_ref_softmax_backward(float *dinp, const float *dout, const float *out, int64_t outer, int64_t C,
                             int64_t inner, bool log_out);

#endif
