/* Pieces of convolution geometry shared by the fast convolution kernels. */
#ifndef FV_FAST_CONV_GEOM_H
#define FV_FAST_CONV_GEOM_H

#include "../ref/conv.h"

/* The outputs o in [lo, hi) of an axis whose input index o * stride + off lies in [0, in). */
typedef struct {
    int64_t lo, hi;
} range;

static inline range valid(int64_t off, int64_t stride, int64_t in, int64_t out)
{
    range r = {off >= 0 ? 0 : (-off + stride - 1) / stride, 0};
    r.hi = in - 1 - off < 0 ? 0 : (in - 1 - off) / stride + 1;
    if (r.hi > out) r.hi = out;
    if (r.lo > r.hi) r.lo = r.hi;
    return r;
}

/* For a 3x3 stride-1 convolution g, the input gradient is a convolution of dout by the weights turned by 180
 * degrees with input and output channels swapped, padded by 2 - pad (a negative padding crops), whose output
 * is the input's size. */
static inline fv_conv_geom fv_conv3x3_input_gradient_geometry(const fv_conv_geom *g)
{
    return (fv_conv_geom){.N = g->N, .C = g->OC, .H = g->OH, .W = g->OW, .OC = g->C, .OH = g->H, .OW = g->W,
                          .KH = 3, .KW = 3, .sh = 1, .sw = 1, .pt = 2 - g->pt, .pl = 2 - g->pl, .dh = 1, .dw = 1,
                          .groups = 1};
}

#endif
