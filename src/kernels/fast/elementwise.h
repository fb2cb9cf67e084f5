/* Fast broadcasting add and mul for the shapes networks use: equal shapes (residual connections), one operand
 * repeated along leading and trailing dimensions of the other (squeeze-and-excitation's (N, C, 1, 1) scale,
 * a (1, C, 1, 1) or (C) bias, a scalar), and their gradients. Same arguments and results as the reference
 * kernels (ref/broadcast.h) plus a thread count: the forward and the full-size gradients bit for bit; the
 * gradients summed over broadcast dimensions in double over 8 fixed lanes (the same for any thread count).
 * Each returns false, having written nothing, for shapes it leaves to the reference kernel. */
#ifndef FV_FAST_ELEMENTWISE_H
#define FV_FAST_ELEMENTWISE_H

#include <stdbool.h>
#include <stdint.h>

#include "../ref/broadcast.h"

bool fv_fast_bcast_forward(int threads, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                           const float *b, const int64_t *bshape, fv_bcast_op op);
bool fv_fast_bcast_grad(int threads, float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                        const float *other, const int64_t *othshape);

#endif
