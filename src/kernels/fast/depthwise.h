/* Direct depthwise convolution kernels (groups that each read one input channel and write fewer than 4), with
 * the reference kernels' sizes and meaning (ref/conv.h) plus a thread count; bit-identical for any thread count.
 * The weight gradient returns false, before changing anything, when its scratch memory cannot be had. */
#ifndef FV_FAST_DEPTHWISE_H
#define FV_FAST_DEPTHWISE_H

#include <stdbool.h>

#include "../ref/conv.h"

/* out (N, OC, OH, OW) += conv(inp, weight) */
void fv_fast_depthwise_forward(int threads, float *out, const float *inp, const float *weight, const fv_conv_geom *g);
/* out (N, OC, OH, OW) = clamp(bias + conv(inp, weight)): bias (OC) or NULL for 0, clamped to [0, clamp_hi]
 * (NaN to 0, as conv.c's clamp) when clamp_hi > 0. One pass per plane instead of three over the tensor. */
void fv_fast_depthwise_forward_fused(int threads, float *out, const float *inp, const float *weight,
                                     const float *bias, float clamp_hi, const fv_conv_geom *g);
/* The same at a vector level (an fv_simd_level, lowered to the CPU's), so tests reach every path. */
void fv_fast_depthwise_forward_fused_at(int level, int threads, float *out, const float *inp, const float *weight,
                                        const float *bias, float clamp_hi, const fv_conv_geom *g);
/* dinp (N, C, H, W) += the input gradient of dout */
void fv_fast_depthwise_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                      const fv_conv_geom *g);
void fv_fast_depthwise_backward_input_at(int level, int threads, float *dinp, const float *dout,
                                         const float *weight, const fv_conv_geom *g);
/* dweight (OC, 1, KH, KW) += the weight gradient of dout */
bool fv_fast_depthwise_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                       const fv_conv_geom *g);
bool fv_fast_depthwise_backward_weight_at(int level, int threads, float *dweight, const float *dout,
                                          const float *inp, const fv_conv_geom *g);

#endif
