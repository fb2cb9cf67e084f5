/* Expand (ONNX Expand: the input and the requested shape broadcast against each other, ranks aligned on the
 * right) and tile (ONNX Tile: repeats per axis), any dtype. Both read input elements several times, so their
 * gradients sum over the copies. */
#include <stdio.h>

#include "../graph/graph_internal.h"
#include "fovea/ops.h"
#include "layout_map.h"

typedef struct {
    int n;
    int64_t v[FV_MAX_DIMS]; /* expand: the shape; tile: the repeats */
} dims_attr;

static fv_status expand_infer(fv_graph *g, fv_node *n)
{
    const dims_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char buf[128], what[200];
    if (a->n < 0 || a->n > FV_MAX_DIMS)
        return fv_node_error(g, n, FV_ERR_ARG, "shape has %d dimensions (0 to %d allowed), input %s", a->n,
                             FV_MAX_DIMS, fv_dims(x));
    int rank = x->ndim > a->n ? x->ndim : a->n;
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0; d < rank; d++) {
        int dx = d - (rank - x->ndim), ds = d - (rank - a->n);
        int64_t xs = dx >= 0 ? x->shape[dx] : 1, ss = ds >= 0 ? a->v[ds] : 1;
        if (ss < 0)
            return fv_node_error(g, n, FV_ERR_ARG, "shape %s has negative size %lld (input %s)",
                                 fv_layout_list(a->v, a->n, buf, sizeof buf), (long long)ss, fv_dims(x));
        if (xs != ss && xs != 1 && ss != 1)
            return fv_node_error(g, n, FV_ERR_SHAPE,
                                 "input %s does not broadcast to shape %s (%lld vs %lld, dimension %d from the end)",
                                 fv_dims(x), fv_layout_list(a->v, a->n, buf, sizeof buf), (long long)xs,
                                 (long long)ss, rank - d);
        shape[d] = xs == 1 ? ss : xs;
    }
    snprintf(what, sizeof what, "input %s and shape %s", fv_dims(x), fv_layout_list(a->v, a->n, buf, sizeof buf));
    return fv_layout_set_shape(g, n, x->dtype, rank, shape, what);
}

static fv_status expand_maps(fv_graph *g, fv_node *n, fv_layout_map *m)
{
    const fv_tensor *x = &n->in[0]->value;
    int64_t st[FV_MAX_DIMS];
    fv_status s = fv_layout_map_init(g, n, m, n->value.ndim, n->value.shape);
    if (s) return s;
    fv_layout_strides(x, st);
    for (int d = 0; d < m->ndim; d++) {
        int dx = d - (m->ndim - x->ndim);
        bool repeated = dx < 0 || x->shape[dx] == 1; /* every output coordinate reads coordinate 0 */
        for (int64_t i = 0; i < m->shape[d]; i++) m->map[d][i] = repeated ? 0 : i * st[dx];
    }
    return FV_OK;
}

static fv_status tile_infer(fv_graph *g, fv_node *n)
{
    const dims_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char buf[128], what[200];
    if (a->n != x->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "%d repeats given for input %s with %d dimensions", a->n, fv_dims(x),
                             x->ndim);
    int64_t shape[FV_MAX_DIMS];
    snprintf(what, sizeof what, "input %s with repeats %s", fv_dims(x), fv_layout_list(a->v, a->n, buf, sizeof buf));
    for (int d = 0; d < x->ndim; d++) {
        if (a->v[d] < 0)
            return fv_node_error(g, n, FV_ERR_ARG, "repeats %s has a negative count %lld (input %s)",
                                 fv_layout_list(a->v, a->n, buf, sizeof buf), (long long)a->v[d], fv_dims(x));
        if (!fv_size_mul(x->shape[d], a->v[d], FV_MAX_TENSOR_BYTES, &shape[d]))
            return fv_node_error(g, n, FV_ERR_SHAPE, "%s: axis %d is too large", what, d);
    }
    return fv_layout_set_shape(g, n, x->dtype, x->ndim, shape, what);
}

static fv_status tile_maps(fv_graph *g, fv_node *n, fv_layout_map *m)
{
    const fv_tensor *x = &n->in[0]->value;
    int64_t st[FV_MAX_DIMS];
    fv_status s = fv_layout_map_init(g, n, m, n->value.ndim, n->value.shape);
    if (s) return s;
    fv_layout_strides(x, st);
    for (int d = 0; d < m->ndim; d++)
        for (int64_t i = 0; i < m->shape[d]; i++) m->map[d][i] = (i % x->shape[d]) * st[d];
    return FV_OK;
}

static fv_status expand_forward(fv_graph *g, fv_node *n) { return fv_layout_map_forward(g, n, expand_maps, NULL); }
static void expand_backward(fv_graph *g, fv_node *n) { fv_layout_map_backward(g, n, expand_maps); }
static fv_status tile_forward(fv_graph *g, fv_node *n) { return fv_layout_map_forward(g, n, tile_maps, NULL); }
static void tile_backward(fv_graph *g, fv_node *n) { fv_layout_map_backward(g, n, tile_maps); }

const fv_op_def fv_op_expand = {"expand", expand_infer, expand_forward, expand_backward, false};
const fv_op_def fv_op_tile = {"tile", tile_infer, tile_forward, tile_backward, false};

static fv_node *add(fv_graph *g, fv_op_kind op, fv_node *x, int n, const int64_t *v, const char *what)
{
    if (!g) return NULL;
    if (n > 0 && !v) {
        fv_error(g->ctx, FV_ERR_ARG, "%s: %s is NULL for %d entries", fv_op_get(op)->name, what, n);
        return NULL;
    }
    dims_attr a = {.n = n};
    for (int i = 0; i < n && i < FV_MAX_DIMS; i++) a.v[i] = v[i];
    return fv_graph_add(g, op, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_expand(fv_graph *g, fv_node *x, int ndim, const int64_t *shape)
{
    return add(g, FV_OP_EXPAND, x, ndim, shape, "shape");
}

fv_node *fv_tile(fv_graph *g, fv_node *x, int n, const int64_t *repeats)
{
    return add(g, FV_OP_TILE, x, n, repeats, "repeats");
}
