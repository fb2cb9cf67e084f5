/* Direct 3x3 (padding 0 to 2) and 1x1 (no padding) stride-1 convolution for layers of few channels (up to 128
 * each side, fewer on wide maps) on maps at least 16 wide, with AVX-512: no unrolled columns and no Winograd
 * transforms, whose cost there exceeds the arithmetic (the layers of a U-Net at 64x64 down to 16x16, its 1x1
 * head). Forward, input and weight gradients; every result is bit-identical for any thread count. */
#ifndef FV_FAST_CONV_DIRECT_H
#define FV_FAST_CONV_DIRECT_H

#include <stdbool.h>

#include "../ref/conv.h"

/* The geometries this path takes (false without AVX-512). */
bool fv_direct_conv_applies(const fv_conv_geom *g);

/* out = clamp(bias + conv(inp, weight)) (bias NULL: 0; clamp_hi 0: none), or out += conv when add. False,
 * before out changes, when scratch memory cannot be had. */
bool fv_direct_conv_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, bool add, const fv_conv_geom *g);

/* dinp += the input gradient of dout (add), or dinp = it, where both g and its gradient's convolution apply. */
bool fv_direct_conv_backward_input_applies(const fv_conv_geom *g);
bool fv_direct_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool add,
                                   const fv_conv_geom *g);

/* dweight += the weight gradient of dout, for geometries where fv_direct_conv_applies; the dispatch takes it
 * only where fv_direct_conv_backward_weight_applies (where it is measured faster). */
bool fv_direct_conv_backward_weight_applies(const fv_conv_geom *g);
bool fv_direct_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g);

#endif
