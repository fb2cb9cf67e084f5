/* 2x2 convolutions at stride 2 without padding, direct with AVX-512: each input pixel lies in one window, so
 * the forward pass, the input gradient (a 2x2 stride-2 transposed convolution's forward: a U-Net's
 * up-convolution) and the weight gradient are products over channels with the map split into, or woven from,
 * its even and odd rows and columns; the GEMM path unrolls columns and folds them back instead. Every result is
 * bit-identical for any thread count. */
#ifndef FV_FAST_CONV_PATCH2_H
#define FV_FAST_CONV_PATCH2_H

#include <stdbool.h>

#include "../ref/conv.h"

/* 2x2, stride 2, no padding or dilation, one group, the input exactly twice the output, the output's width a
 * multiple of 8 and its pixels of 32; false without AVX-512. */
bool fv_patch2_conv_applies(const fv_conv_geom *g);

/* out = clamp(bias + conv) (bias NULL: 0; clamp_hi 0: none), or out += conv when add. False, before out
 * changes, when scratch memory cannot be had. */
bool fv_patch2_conv_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, bool add, const fv_conv_geom *g);
/* dinp += the input gradient of dout (add), or dinp = it. */
bool fv_patch2_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool add,
                                   const fv_conv_geom *g);
/* dweight += the weight gradient of dout; the dispatch takes it where fv_patch2_conv_backward_weight_applies
 * (small maps of 256 pixels or more: on an 8x8 map the GEMM's is faster, 0.83 against 1.07 ms for 64 -> 128
 * channels, batch 32, on the Xeon). */
bool fv_patch2_conv_backward_weight_applies(const fv_conv_geom *g);
bool fv_patch2_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g);

#endif
