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

#endif
