/* Reference kernels of the layout operators (transpose, slice, expand, tile, pad, depth/space, gather,
 * scatter). They move elements of any type: `elem` is the size of one element in bytes (1, 4 or 8), and
 * gradients, which exist only for float32, are accumulated (+=). */
#ifndef FV_REF_LAYOUT_H
#define FV_REF_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "fovea/core.h"

/* A gather by per-axis maps, the common form of every op that only rearranges elements: the output
 * (oshape, ndim <= FV_MAX_DIMS dims, row-major) takes at position (i0, ..., ik) the input element at offset
 * map[0][i0] + ... + map[k][ik], or *fill when any of those entries is negative (padding). map[d] has
 * oshape[d] entries. A transpose's maps are i * stride, a slice's (start + i * step) * stride, an expand's 0,
 * a tile's (i % size) * stride, a reflect pad's the reflected coordinate times the stride. */
void fv_ref_map_gather(void *out, const void *inp, size_t elem, int ndim, const int64_t *oshape,
                       const int64_t *const *map, const void *fill);
/* dinp += the gradient of fv_ref_map_gather: dout (oshape) added at each mapped input offset (positions that
 * read the fill add nothing; several outputs reading one input element add up). */
void fv_ref_map_scatter_add(float *dinp, const float *dout, int ndim, const int64_t *oshape,
                            const int64_t *const *map);

/* ONNX Gather with indices already in [0, K): data viewed as (outer, K, inner), out (outer, n_idx, inner),
 * out[o, j, i] = data[o, idx[j], i]. */
void fv_ref_gather(void *out, const void *data, size_t elem, const int64_t *idx, int64_t outer, int64_t K,
                   int64_t n_idx, int64_t inner);
/* ddata (outer, K, inner) += dout (outer, n_idx, inner) at the gathered rows. */
void fv_ref_gather_backward(float *ddata, const float *dout, const int64_t *idx, int64_t outer, int64_t K,
                            int64_t n_idx, int64_t inner);

/* The element-wise forms (ONNX GatherElements / ScatterElements): indices (ishape, ndim dims, each <= dshape's
 * but along axis) in [0, dshape[axis]); position p of the indices names the data element at p with its axis
 * coordinate replaced by idx[p].
 * gather_elements: out (ishape)[p] = data (dshape)[that element]. */
void fv_ref_gather_elements(void *out, const void *data, size_t elem, const int64_t *idx, int ndim,
                            const int64_t *ishape, const int64_t *dshape, int axis);
/* ddata (dshape)[element of p] += dout (ishape)[p]: the gradient of gather_elements, and the updates'
 * gradient of a scatter read the other way round (see fv_ref_gather_elements with dout as data). */
void fv_ref_gather_elements_backward(float *ddata, const float *dout, const int64_t *idx, int ndim,
                                     const int64_t *ishape, const int64_t *dshape, int axis);
/* out (ishape)[p] += data (dshape)[element of p] in float: the updates' gradient of a scatter. */
void fv_ref_gather_elements_add(float *out, const float *data, const int64_t *idx, int ndim, const int64_t *ishape,
                                const int64_t *dshape, int axis);
/* out (dshape, already a copy of data)[element of p] = upd (ishape)[p] (add: += in the dtype's arithmetic, bool
 * as logical or); positions in written order, so with repeated indices and no add the last one wins.
 * hit (dshape bytes, or NULL) gets 1 at every element written. */
void fv_ref_scatter_elements(void *out, uint8_t *hit, const void *upd, fv_dtype dtype, bool add,
                             const int64_t *idx, int ndim, const int64_t *ishape, const int64_t *dshape, int axis);

#endif
