/* 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3): each 2x2 block of outputs costs 16
 * multiplications per input channel instead of 36, as 16 matrix products (one per point of the transformed
 * 4x4 tile) between transformed weights and transformed input tiles. */
#ifndef FV_FAST_WINOGRAD_H
#define FV_FAST_WINOGRAD_H

#include <stdbool.h>

#include "../ref/conv.h"
#include "conv_cache.h"

/* The geometries this path takes: 3x3 kernel, stride 1, no dilation, one group, and enough channels on both
 * sides for the transforms to pay (a first layer on RGB stays with im2col). */
bool fv_winograd_applies(const fv_conv_geom *g);

/* out = clamp(bias + conv(inp, weight)) as fv_fast_conv2d_forward, or out += conv(inp, weight) when add. False,
 * before out is changed, when its scratch memory cannot be had. Bit-identical for any thread count. With a
 * cache (conv_cache.h; NULL: none) the transformed weights are made once and kept there. */
bool fv_winograd_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                         float clamp_hi, bool add, const fv_conv_geom *g, fv_conv_cache **cache);

/* dinp += the input gradient of dout, for geometries where both this and the gradient's convolution apply. */
bool fv_winograd_backward_input_applies(const fv_conv_geom *g);
bool fv_winograd_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                const fv_conv_geom *g);

/* dweight += the weight gradient of dout, where fv_winograd_applies. False, before dweight is changed, when its
 * scratch memory cannot be had. */
bool fv_winograd_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                 const fv_conv_geom *g);

#endif
