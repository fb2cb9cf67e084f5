/* Fast float binary operators (add ... fmod, the FV_MK_* kinds of ref/math.h) on any broadcast of shapes padded
 * to FV_BCAST_DIMS dimensions: the same results as fv_ref_binary_f32, bit for bit, on `threads` threads. */
#ifndef FV_FAST_BINARY_H
#define FV_FAST_BINARY_H

#include <stdint.h>

#include "../ref/broadcast.h"
#include "../ref/math.h"

void fv_fast_binary_f32(int threads, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                        const float *b, const int64_t *bshape, int op);

#endif
