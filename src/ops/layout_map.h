/* What the layout operators share (src/ops/transpose.c, expand.c, slice.c, pad.c, depth_space.c, squeeze.c,
 * gather.c, concat.c): their output is a gather of the input through per-axis maps (ref/layout.h), built
 * by each op at every forward and reused by its backward; helpers for axes and messages. Internal. */
#ifndef FV_OPS_LAYOUT_MAP_H
#define FV_OPS_LAYOUT_MAP_H

#include "../graph/graph_internal.h"

/* The aux slot that holds the maps' entries. */
#define FV_LAYOUT_MAP_AUX 2

/* The output viewed as ndim dims (at most FV_MAX_DIMS; depth_to_space views its 4 as 6), with map[d] the input
 * offset (or -1: padding) of each coordinate along d. */
typedef struct {
    int ndim;
    int64_t shape[FV_MAX_DIMS];
    int64_t *map[FV_MAX_DIMS];
} fv_layout_map;

/* Point m's maps at n's aux slot, sized for this shape (the slot keeps its buffer while the size holds, so
 * backward gets the same one again without allocating). */
fv_status fv_layout_map_init(fv_graph *g, fv_node *n, fv_layout_map *m, int ndim, const int64_t *shape);

/* Fills m for node n (calls fv_layout_map_init). */
typedef fv_status (*fv_layout_map_fn)(fv_graph *g, fv_node *n, fv_layout_map *m);

/* forward: n->value = input 0 gathered through the maps; fill (bytes of the output's dtype, or NULL for
 * zeros) where a map is negative. backward: input 0's gradient += n->grad scattered back (float only). */
fv_status fv_layout_map_forward(fv_graph *g, fv_node *n, fv_layout_map_fn fn, const void *fill);
void fv_layout_map_backward(fv_graph *g, fv_node *n, fv_layout_map_fn fn);

/* The views (squeeze, unsqueeze, flatten): the graph points their value at input 0's buffer, so forward only
 * runs when called directly (a copy of any dtype); backward adds the gradient elementwise. */
fv_status fv_layout_view_forward(fv_graph *g, fv_node *n);
void fv_layout_view_backward(fv_graph *g, fv_node *n);

/* fv_node_set_shape after checking that the sizes are >= 0 and their product fits (so that it cannot overflow);
 * the error names the output shape and what: "input (2,3) with repeats (4,5)". */
fv_status fv_layout_set_shape(fv_graph *g, fv_node *n, fv_dtype dtype, int ndim, const int64_t *shape,
                              const char *what);

/* Row-major strides of a tensor's shape. */
void fv_layout_strides(const fv_tensor *t, int64_t *strides);

/* Input i must exist with any dtype (the layout ops move every dtype). */
fv_status fv_layout_expect_input(fv_graph *g, const fv_node *n, int i, const char *what);

/* An axis in [-rank, rank) made non-negative, or -1 when out of range. */
static inline int fv_layout_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank) return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

/* A list of integers as "(a,b,c)" for messages, in buf. */
const char *fv_layout_list(const int64_t *v, int n, char *buf, size_t len);

/* Whether backward has a gradient to give input i: float data that needs one. */
static inline bool fv_layout_wants_grad(const fv_node *n, int i)
{
    return fv_wants_grad(n, i) && n->value.dtype == FV_F32 && n->in[i]->value.dtype == FV_F32;
}

#endif
