/* Threaded global average pooling, (P planes of S elements) -> P values, as ref/pool.h's kernels. Each plane
 * is summed by one thread, in double over 8 fixed interleaved lanes (within double rounding of the
 * reference's single chain; the same on any thread count). The gradient equals the reference bit for bit. */
#ifndef FV_FAST_GLOBAL_POOL_H
#define FV_FAST_GLOBAL_POOL_H

#include <stdint.h>

void fv_fast_global_avg_pool2d_forward(int threads, float *out, const float *inp, int64_t P, int64_t S);
/* dinp (P, S) += dout (P) / S */
void fv_fast_global_avg_pool2d_backward(int threads, float *dinp, const float *dout, int64_t P, int64_t S);

#endif
