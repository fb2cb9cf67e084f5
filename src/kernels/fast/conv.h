/* Fast 2-D convolution kernels (im2col + GEMM, or direct for one-channel groups), with the reference kernels'
 * sizes and meaning (ref/conv.h) plus a thread count. Those returning bool return false, before changing
 * anything, when their scratch memory cannot be had: the caller then runs the reference kernel, which needs
 * none. Results are bit-identical for any thread count. */
#ifndef FV_FAST_CONV_H
#define FV_FAST_CONV_H

#include <stdbool.h>

#include "../ref/conv.h"
#include "conv_cache.h"

/* out (N, OC, OH, OW) += conv(inp, weight) */
bool fv_fast_conv2d_forward_add(int threads, float *out, const float *inp, const float *weight, const fv_conv_geom *g);
/* out (N, OC, OH, OW) = clamp(bias + conv(inp, weight)): bias NULL adds nothing; clamp_hi > 0 clamps to
 * [0, clamp_hi] (relu, relu6; NaN becomes 0), 0 leaves the sum as it is. cache (NULL: none) keeps the weights
 * arranged for the kernels from one call to the next: only for weights that do not change (conv_cache.h). */
bool fv_fast_conv2d_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, const fv_conv_geom *g, fv_conv_cache **cache);
/* The same over inp mapped by pre (ref/conv.h), for pointwise convolutions (1x1, stride 1, no padding, not
 * depthwise), where the map rides on the packing of the input; false for any other geometry (and on no memory):
 * the caller maps a copy of the input instead. */
bool fv_fast_conv2d_forward_affine(int threads, float *out, const float *inp, const fv_conv_affine *pre,
                                   const float *weight, const float *bias, float clamp_hi, const fv_conv_geom *g,
                                   fv_conv_cache **cache);
/* dinp (N, C, H, W) += the input gradient of dout, or = it when assign (a fresh gradient: where a path stores
 * its tiles, no zeroing pass and no read of dinp). False, before dinp changes, on no memory. */
bool fv_fast_conv2d_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool assign,
                                   const fv_conv_geom *g);
/* dweight (OC, C/groups, KH, KW) += the weight gradient of dout */
bool fv_fast_conv2d_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g);

/* out (N, C, HW) = bias[c], or 0 where bias is NULL */
void fv_fast_conv2d_fill_bias(int threads, float *out, const float *bias, int64_t N, int64_t C, int64_t HW);
/* dbias (C) += dout (N, C, HW) summed over images and pixels */
void fv_fast_conv2d_backward_bias(int threads, float *dbias, const float *dout, int64_t N, int64_t C, int64_t HW);

#endif
