/* Reference kernels of the reduce family: reductions over any set of axes, arg-max/min, top-k and cumulative
 * sums. A reduction sees its input as kept dimensions (the output's, in order) and reduced ones, each with
 * its stride in the input; one-axis kernels see it as (outer, C, inner) around the axis. */
#ifndef FV_REF_REDUCE_H
#define FV_REF_REDUCE_H

#include <stdbool.h>
#include <stdint.h>

#define FV_REDUCE_MAX_DIMS 6

typedef struct {
    int nk, nr;                                  /* kept and reduced dimensions (after merging neighbours) */
    int64_t kshape[FV_REDUCE_MAX_DIMS], kstride[FV_REDUCE_MAX_DIMS];
    int64_t rshape[FV_REDUCE_MAX_DIMS], rstride[FV_REDUCE_MAX_DIMS];
    int64_t out_size, red_size;                  /* output elements, elements reduced into each */
} fv_reduce_geom;

/* The geometry of reducing a row-major tensor of ndim (<= 6) dims over the axes whose bit is set in mask.
 * Neighbouring dimensions of the same kind are merged, so a reduction over the last axes walks memory in
 * order. */
void fv_reduce_geom_init(fv_reduce_geom *g, int ndim, const int64_t *shape, unsigned mask);

/* out (out_size) = the reduction `kind` (fv_reduce_kind) of x over the reduced dimensions, summed in double. */
void fv_ref_reduce_forward(float *out, const float *x, const fv_reduce_geom *g, int kind);
/* dx += the gradient of that reduction, from dout and the forward's out (both out_size). */
void fv_ref_reduce_backward(float *dx, const float *dout, const float *x, const float *out, const fv_reduce_geom *g,
                            int kind);

/* out (outer, inner) = the index along C of the largest (or, min, smallest) of x (outer, C, inner); ties pick
 * the first index, or the last with last; NaN counts as beyond any number. C >= 1. */
void fv_ref_argmax(int64_t *out, const float *x, int64_t outer, int64_t C, int64_t inner, bool min, bool last);
/* out (outer, C, inner) = 1 at the first largest element of each line along C (NaN beats any number), 0
 * elsewhere. */
void fv_ref_hardmax(float *out, const float *x, int64_t outer, int64_t C, int64_t inner);

/* values and indices (outer, k, inner) = the k largest (or smallest) of x (outer, C, inner) along C, in order,
 * ties by lower index, NaN beyond any number on the large side. Needs no scratch: O(k C) per line. */
void fv_ref_topk(float *values, int64_t *indices, const float *x, int64_t outer, int64_t C, int64_t inner, int64_t k,
                 bool largest);
/* dx (outer, C, inner) += dvalues (outer, k, inner) at indices. */
void fv_ref_topk_backward(float *dx, const float *dvalues, const int64_t *indices, int64_t outer, int64_t C,
                          int64_t inner, int64_t k);

/* out (outer, C, inner) = the cumulative sum of x along C (exclusive: without the element itself; reverse:
 * from the end), in double; with accumulate it adds into out instead (backward: dx += cumsum of dout in the
 * other direction). */
void fv_ref_cumsum(float *out, const float *x, int64_t outer, int64_t C, int64_t inner, bool exclusive, bool reverse,
                   bool accumulate);

#endif
