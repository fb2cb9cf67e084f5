/* Reference kernels of 2-D convolution (NCHW, PyTorch's weight layout), forward and the three gradients.
 * Transposed convolution needs no kernels of its own: its forward is this convolution's input gradient and
 * its input gradient is this forward, with the roles of input and output swapped (see ops/conv_transpose2d.c). */
#ifndef FV_REF_CONV_H
#define FV_REF_CONV_H

#include <stdint.h>

/* The sizes of one convolution: input (N, C, H, W), weight (OC, C/groups, KH, KW), output (N, OC, OH, OW).
 * Output pixel (oh, ow) reads input rows oh*sh - pt + kh*dh and columns ow*sw - pl + kw*dw; reads outside
 * the input are zero (the padding). Bottom and right padding only show as the output size. */
typedef struct {
    int64_t N, C, H, W;
    int64_t OC, OH, OW;
    int64_t KH, KW;
    int64_t sh, sw; /* stride */
    int64_t pt, pl; /* top and left padding */
    int64_t dh, dw; /* dilation */
    int64_t groups; /* divides C and OC */
} fv_conv_geom;

/* A per-channel map applied to a convolution's input before it is read, in inference graphs (a batch norm and its
 * ReLU in front of a convolution, folded): x -> x * scale[c] + shift[c], then clamped to [0, hi] when hi > 0. */
typedef struct {
    const float *scale, *shift;
    float hi;
} fv_conv_affine;

/* x (N, C, HW) mapped into y, plane by plane (y may be x). */
void fv_ref_conv_affine_apply(float *y, const float *x, const fv_conv_affine *a, int64_t N, int64_t C, int64_t HW);

/* out (N, C, HW) = bias[c] for every n and pixel, or 0 where bias (C) is NULL. */
void fv_ref_conv2d_fill_bias(float *out, const float *bias, int64_t N, int64_t C, int64_t HW);
/* out (N, OC, OH, OW) += conv(inp (N, C, H, W), weight (OC, C/groups, KH, KW)). */
void fv_ref_conv2d_forward_add(float *out, const float *inp, const float *weight, const fv_conv_geom *g);
/* dinp (N, C, H, W) += d(conv)/d(inp) applied to dout (N, OC, OH, OW); weight (OC, C/groups, KH, KW). */
void fv_ref_conv2d_backward_input(float *dinp, const float *dout, const float *weight, const fv_conv_geom *g);
/* dweight (OC, C/groups, KH, KW) += d(conv)/d(weight) applied to dout (N, OC, OH, OW); inp (N, C, H, W). */
void fv_ref_conv2d_backward_weight(float *dweight, const float *dout, const float *inp, const fv_conv_geom *g);
/* dbias (C) += dout (N, C, HW) summed over n and pixels. */
void fv_ref_conv2d_backward_bias(float *dbias, const float *dout, int64_t N, int64_t C, int64_t HW);

#endif
