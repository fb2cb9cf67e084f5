/* Packing functions (fv_gemm_pack_fn) that give the fast GEMM a convolution's column operand straight from the
 * images, so that the unrolled matrix never exists in memory: the columns of a product are the output
 * positions of several images side by side (image-major), its rows the taps (channel, kh, kw) of one group. */
#ifndef FV_FAST_CONV_PACK_H
#define FV_FAST_CONV_PACK_H

#include <stdint.h>

#include "../ref/conv.h"

/* Where the columns come from: images [n0, ...) of x, channels [c0, c0 + rows) of each; pre (NULL: none) maps
 * x as it is read (fv_conv_pack_pointwise_affine). */
typedef struct {
    const float *x;
    const fv_conv_geom *g;
    int64_t n0, c0;
    const fv_conv_affine *pre;
} fv_conv_cols;

/* x is the input (N, C, H, W): rows are the taps (c, kh, kw) of channels c0..; columns the output positions:
 * the implicit im2col. Taps that fall in the padding are 0. */
void fv_conv_pack_im2col(const void *src, float *bp, int nr, int64_t j0, int cols, int64_t p0, int64_t kc);

/* A pointwise convolution's columns (1x1, stride 1, no padding: the image planes themselves) with x mapped by
 * pre on the way: the map costs no pass of its own over x. */
void fv_conv_pack_pointwise_affine(const void *src, float *bp, int nr, int64_t j0, int cols, int64_t p0, int64_t kc);

/* x is an (N, C, OH, OW) map (dout): rows are its channels c0.., columns the positions of images n0.. in turn. */
void fv_conv_pack_planes(const void *src, float *bp, int nr, int64_t j0, int cols, int64_t p0, int64_t kc);

#endif
