/* Reference kernels of elementwise arithmetic with NumPy broadcasting. Every shape here is given as
 * FV_BCAST_DIMS sizes, padded on the left with 1s (so ranks are aligned on the right); an input dimension
 * of size 1 is repeated along the output's. */
#ifndef FV_REF_BROADCAST_H
#define FV_REF_BROADCAST_H

#include <stdint.h>

/* fovea's largest rank (FV_MAX_DIMS in fovea/core.h; the ops check the two agree). */
#define FV_BCAST_DIMS 6

typedef enum { FV_BCAST_ADD, FV_BCAST_MUL } fv_bcast_op;

/* Pad a shape of ndim <= FV_BCAST_DIMS dimensions on the left with 1s into out[FV_BCAST_DIMS]. */
void fv_bcast_pad(int64_t out[FV_BCAST_DIMS], int ndim, const int64_t *shape);

/* out (oshape) = a (ashape) op b (bshape), broadcast to oshape. */
void fv_ref_bcast_forward(float *out, const int64_t *oshape, const float *a, const int64_t *ashape, const float *b,
                          const int64_t *bshape, fv_bcast_op op);

/* dst (dshape) += sum over the broadcast dimensions of dout (oshape) times other (othshape, broadcast to oshape;
 * NULL for 1), the sums in double. With other NULL it is add's gradient; with the other factor, mul's. */
void fv_ref_bcast_grad(float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                       const float *other, const int64_t *othshape);

#endif
