/* fovea layout operators: builders that rearrange, select or repeat elements without arithmetic (ONNX
 * Transpose, Squeeze, Unsqueeze, Flatten, Expand, Tile, Slice, Split, Gather, GatherElements,
 * ScatterElements, Pad, DepthToSpace, SpaceToDepth; concat is fv_concat in ops.h). Every one takes tensors of
 * rank 0 to 6 (where the operation has a meaning) and any dtype (float32, int32, int64, bool); only float32
 * gets gradients. Axes may be negative (counted from the end, as PyTorch and ONNX). Builders check shapes and
 * attributes at once and return NULL with a message naming the op, the node and the shapes. Included by ops.h. */
#ifndef FOVEA_OPS_LAYOUT_H
#define FOVEA_OPS_LAYOUT_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Permute dimensions: output dimension d is input dimension perm[d] (torch.permute, ONNX Transpose). perm NULL
 * (n ignored) reverses the dimensions (ONNX's default). Refuses a perm whose length is not the rank, repeats
 * an axis or names one out of range. Always copies (the batch dimension may change size later). */
fv_node *fv_transpose(fv_graph *g, fv_node *x, int n, const int64_t *perm);

/* Views of the input's buffer (no copy; the graph keeps the input alive while they are read).
 * squeeze: remove the n listed axes, each of size 1 (n = 0: every dimension of size 1), ONNX Squeeze; refuses
 *   an axis of another size, out of range or repeated.
 * unsqueeze: insert dimensions of size 1 at the n listed axes, which index the output (rank + n dims, at most
 *   6), ONNX Unsqueeze; refuses axes out of range or repeated.
 * flatten_axis: (prod of dims before axis, prod of dims from axis), axis in [-rank, rank], ONNX Flatten
 *   (a scalar gives (1, 1)). fv_flatten (ops.h) is the axis-1 reshape. */
fv_node *fv_squeeze(fv_graph *g, fv_node *x, int n, const int64_t *axes);
fv_node *fv_unsqueeze(fv_graph *g, fv_node *x, int n, const int64_t *axes);
fv_node *fv_flatten_axis(fv_graph *g, fv_node *x, int axis);

/* ONNX Expand: x and shape (ndim entries, each >= 0) broadcast against each other, ranks aligned on the
 * right; the output has the larger rank, and size 1 on either side takes the other's (so a requested 1 keeps
 * x's size, unlike torch.expand's -1). The gradient sums over the repeats. Refuses sizes that do not broadcast. */
fv_node *fv_expand(fv_graph *g, fv_node *x, int ndim, const int64_t *shape);
/* ONNX Tile / torch.tile with one count (>= 0) per axis: output size d * repeats[d]. The gradient sums over the
 * copies. Refuses a count list of another length than the rank, or negative counts. */
fv_node *fv_tile(fv_graph *g, fv_node *x, int n, const int64_t *repeats);

/* ONNX Slice: for each of the n entries, axis axes[i] (NULL: axis i) takes start, start + step, ... before end;
 * negative starts and ends count from the end, out-of-range ones are clamped (INT64_MAX / INT64_MIN: to the
 * end), steps (NULL: all 1) may be negative (start from the end, end at INT64_MIN to include element 0). Axes
 * not named are kept whole. The result may be empty. Refuses a step of 0, repeated or out-of-range axes. */
fv_node *fv_slice(fv_graph *g, fv_node *x, int n, const int64_t *starts, const int64_t *ends, const int64_t *axes,
                  const int64_t *steps);
/* ONNX Split: n slices of x along axis, stored in out[0..n-1]; sizes (n entries, >= 0, summing to the axis'
 * size) or NULL for equal parts (ceil(size / n) each, the last one smaller: ONNX's num_outputs). The parts are
 * fixed when built (they do not follow a later change of that axis' size). Returns 0, or -1 with the error in
 * the context (sizes that do not sum to the axis, an equal split leaving a part empty). */
int fv_split(fv_graph *g, fv_node *x, int axis, int n, const int64_t *sizes, fv_node **out);

/* ONNX Gather: data (d0..d_axis..dr) and int32/int64 indices of any shape q give
 * (d0..d_axis-1, q..., d_axis+1..dr) (rank r - 1 + rank(q) <= 6): out[.., j.., ..] = data[.., indices[j..], ..].
 * torch.index_select for 1-D indices. Indices in [-d_axis, d_axis), negative counting from the end; one out of
 * range makes forward fail naming its value and position. Gradient for data only. */
fv_node *fv_gather(fv_graph *g, fv_node *data, fv_node *indices, int axis);
/* ONNX GatherElements / torch.gather: indices of data's rank (no larger than data outside axis) give an output
 * of their shape, out[p] = data[p with its axis coordinate replaced by indices[p]]. Range checked as gather. */
fv_node *fv_gather_elements(fv_graph *g, fv_node *data, fv_node *indices, int axis);

typedef enum { FV_SCATTER_NONE = 0, FV_SCATTER_ADD = 1 } fv_scatter_reduction;
/* ONNX ScatterElements / torch.scatter (none) and scatter_add (add): a copy of data where the element named by
 * each position p of indices (as gather_elements) is replaced by (or added) updates[p]; updates has indices'
 * shape and data's dtype. With none and repeated indices the last write wins (ONNX leaves it undefined).
 * Gradients: data gets dout except where overwritten (none) or all of it (add); updates get dout gathered. */
fv_node *fv_scatter_elements(fv_graph *g, fv_node *data, fv_node *indices, fv_node *updates, int axis,
                             fv_scatter_reduction reduction);

typedef enum { FV_PAD_CONSTANT = 0, FV_PAD_REFLECT = 1, FV_PAD_EDGE = 2 } fv_pad_kind;
/* ONNX Pad of any rank: pads has n = 2 * rank entries, the begin amounts of every axis then the end amounts
 * (x1_begin, x2_begin, ..., x1_end, x2_end, ...); negative amounts crop (first, before reflect/edge mirror or
 * repeat what remains). constant fills with value (exact in the dtype: an int32 pad refuses 0.5 or 1e10, bool
 * takes 0 or 1); reflect mirrors without repeating the border (F.pad 'reflect', each pad smaller than the
 * kept size); edge repeats the border (F.pad 'replicate'). The gradient sums what each element was copied to. */
fv_node *fv_pad(fv_graph *g, fv_node *x, int n, const int64_t *pads, fv_pad_kind mode, double value);

/* Channel orders of depth/space rearrangements: DCR, ONNX's default (channel = (by * b + bx) * C' + c) and CRD
 * (channel = c * b * b + by * b + bx, PyTorch's pixel shuffle). */
typedef enum { FV_DEPTH_DCR = 0, FV_DEPTH_CRD = 1 } fv_depth_mode;
/* ONNX DepthToSpace: (..., C, H, W) -> (..., C / b^2, H b, W b), rank >= 3 (leading dims are batch); refuses C
 * not a multiple of b^2 and b < 1. */
fv_node *fv_depth_to_space(fv_graph *g, fv_node *x, int block, fv_depth_mode mode);
/* The inverse: (..., C, H, W) -> (..., C b^2, H / b, W / b); DCR is ONNX SpaceToDepth, CRD is
 * F.pixel_unshuffle. Refuses H or W not a multiple of b. */
fv_node *fv_space_to_depth(fv_graph *g, fv_node *x, int block, fv_depth_mode mode);
/* F.pixel_shuffle / F.pixel_unshuffle: depth_to_space / space_to_depth in CRD order. */
fv_node *fv_pixel_shuffle(fv_graph *g, fv_node *x, int factor);
fv_node *fv_pixel_unshuffle(fv_graph *g, fv_node *x, int factor);

#ifdef __cplusplus
}
#endif
#endif
