/* Reference broadcasting kernels: plain index arithmetic over a multi-index of FV_BCAST_DIMS dimensions.
 * An input's offset takes index 0 wherever its size is 1, which is what repeats it along that dimension. */
#include "broadcast.h"

void fv_bcast_pad(int64_t out[FV_BCAST_DIMS], int ndim, const int64_t *shape)
{
    int lead = FV_BCAST_DIMS - ndim;
    for (int d = 0; d < FV_BCAST_DIMS; d++) out[d] = d < lead ? 1 : shape[d - lead];
}

/* Row-major offset of multi-index idx in a tensor of shape, repeating its size-1 dimensions. */
static int64_t offset(const int64_t *idx, const int64_t *shape)
{
    int64_t off = 0;
    for (int d = 0; d < FV_BCAST_DIMS; d++) off = off * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
    return off;
}

/* Advance idx to the next multi-index within shape (last dimension fastest). */
static void next(int64_t *idx, const int64_t *shape)
{
    for (int d = FV_BCAST_DIMS - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) return;
        idx[d] = 0;
    }
}

static int64_t count(const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < FV_BCAST_DIMS; d++) n *= shape[d];
    return n;
}

void fv_ref_bcast_forward(float *out, const int64_t *oshape, const float *a, const int64_t *ashape, const float *b,
                          const int64_t *bshape, fv_bcast_op op)
{
    int64_t idx[FV_BCAST_DIMS] = {0}, n = count(oshape);
    for (int64_t i = 0; i < n; i++, next(idx, oshape)) {
        float x = a[offset(idx, ashape)], y = b[offset(idx, bshape)];
        out[i] = op == FV_BCAST_MUL ? x * y : x + y;
    }
}

void fv_ref_bcast_grad(float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                       const float *other, const int64_t *othshape)
{
    /* The output positions that fold into one dst element span the dimensions where dst has size 1. */
    int64_t rshape[FV_BCAST_DIMS];
    for (int d = 0; d < FV_BCAST_DIMS; d++) rshape[d] = dshape[d] == 1 ? oshape[d] : 1;
    int64_t didx[FV_BCAST_DIMS] = {0}, nd = count(dshape), nr = count(rshape);
    for (int64_t i = 0; i < nd; i++, next(didx, dshape)) {
        int64_t ridx[FV_BCAST_DIMS] = {0}, oidx[FV_BCAST_DIMS];
        double acc = 0.0;
        for (int64_t r = 0; r < nr; r++, next(ridx, rshape)) {
            for (int d = 0; d < FV_BCAST_DIMS; d++) oidx[d] = dshape[d] == 1 ? ridx[d] : didx[d];
            double g = dout[offset(oidx, oshape)];
            acc += other ? g * other[offset(oidx, othshape)] : g;
        }
        dst[i] += (float)acc;
    }
}
