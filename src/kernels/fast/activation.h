/* Fast activations of the kinds that need more than a select: ELU, sigmoid, tanh, SiLU in float with a
 * vectorized exp (within a few ulps of the reference's double arithmetic), hard sigmoid and hard swish in the
 * reference's own double arithmetic (bit for bit). Threaded over fixed element ranges, so results do not
 * depend on the thread count. Same arguments as the reference kernels (ref/activation.h) plus a thread
 * count; they return false, having touched nothing, for a kind they leave to the caller (relu, leaky relu,
 * relu6, and the hard kinds without AVX2). */
#ifndef FV_FAST_ACTIVATION_H
#define FV_FAST_ACTIVATION_H

#include <stdbool.h>
#include <stdint.h>

bool fv_fast_smooth_activation_forward(int threads, float *out, const float *inp, int64_t n, int kind, float alpha);
/* dinp += dout * f'(inp) */
bool fv_fast_smooth_activation_backward(int threads, float *dinp, const float *dout, const float *inp, int64_t n,
                                        int kind, float alpha);

/* The same at a given vector level (an fv_simd_level, lowered to what the CPU has), so tests reach every path. */
bool fv_fast_smooth_activation_forward_at(int level, int threads, float *out, const float *inp, int64_t n, int kind,
                                          float alpha);
bool fv_fast_smooth_activation_backward_at(int level, int threads, float *dinp, const float *dout, const float *inp,
                                           int64_t n, int kind, float alpha);

#endif
