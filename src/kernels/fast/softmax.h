/* Fast softmax and log-softmax: along a contiguous axis (inner = 1: the last axis, as attention's scores and
 * classifiers' logits have it), the maximum, the exponentials (float, vexp.h) and their sum in one vector
 * pass each; along a strided axis (the class axis of (N, K, H, W) logits), eight lines at once, one a lane.
 * Within a few ulps of the reference (ref/softmax.h). Lines are shared out whole, so the thread count changes
 * no result. False, having touched nothing, below AVX2. */
#ifndef FV_FAST_SOFTMAX_H
#define FV_FAST_SOFTMAX_H

#include <stdbool.h>
#include <stdint.h>

bool fv_fast_softmax_forward(int threads, float *out, const float *inp, int64_t outer, int64_t C, int64_t inner,
                             bool log_out);
bool fv_fast_softmax_forward_at(int level, int threads, float *out, const float *inp, int64_t outer, int64_t C,
                                int64_t inner, bool log_out);

/* dinp += the gradient through the forward's output out, for strided axes (inner >= 8); false otherwise. */
bool fv_fast_softmax_backward(int threads, float *dinp, const float *dout, const float *out, int64_t outer,
                              int64_t C, int64_t inner, bool log_out);

#endif
