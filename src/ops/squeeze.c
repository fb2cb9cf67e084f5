/* Squeeze, unsqueeze and flatten at any axis (ONNX semantics, any dtype): they only rename the dimensions of
 * row-major data, so each is a view of its input's buffer (fv_op_def.view, as reshape). Axes are kept as
 * requested and resolved at every shape inference. */
#include "../graph/graph_internal.h"
#include "fovea/ops.h"
#include "layout_map.h"

typedef struct {
    int n;       /* axes given (squeeze: 0 removes every dimension of size 1) */
    int64_t axes[FV_MAX_DIMS];
} axes_attr;

/* The axes resolved against rank into a mask; an error names the list, the input and the bad axis. */
static fv_status axis_mask(fv_graph *g, fv_node *n, int rank, bool *mask)
{
    const axes_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char buf[128];
    if (a->n < 0 || a->n > FV_MAX_DIMS)
        return fv_node_error(g, n, FV_ERR_ARG, "%d axes given for input %s (0 to %d allowed)", a->n, fv_dims(x),
                             FV_MAX_DIMS);
    for (int d = 0; d < FV_MAX_DIMS; d++) mask[d] = false;
    for (int i = 0; i < a->n; i++) {
        int ax = fv_layout_axis(a->axes[i], rank);
        if (ax < 0)
            return fv_node_error(g, n, FV_ERR_ARG, "axes %s: axis %lld is out of range for %d dimensions (input %s)",
                                 fv_layout_list(a->axes, a->n, buf, sizeof buf), (long long)a->axes[i], rank,
                                 fv_dims(x));
        if (mask[ax])
            return fv_node_error(g, n, FV_ERR_ARG, "axes %s repeat axis %d (input %s)",
                                 fv_layout_list(a->axes, a->n, buf, sizeof buf), ax, fv_dims(x));
        mask[ax] = true;
    }
    return FV_OK;
}

static fv_status squeeze_infer(fv_graph *g, fv_node *n)
{
    const axes_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    bool mask[FV_MAX_DIMS];
    fv_status s = axis_mask(g, n, x->ndim, mask);
    if (s) return s;
    int64_t shape[FV_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (a->n == 0 ? x->shape[d] == 1 : mask[d]) {
            if (x->shape[d] != 1)
                return fv_node_error(g, n, FV_ERR_SHAPE, "cannot squeeze axis %d of input %s: its size is %lld, not 1",
                                     d, fv_dims(x), (long long)x->shape[d]);
            continue;
        }
        shape[k++] = x->shape[d];
    }
    fv_node_set_shape(n, x->dtype, k, shape);
    return FV_OK;
}

static fv_status unsqueeze_infer(fv_graph *g, fv_node *n)
{
    const axes_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int rank = x->ndim + a->n;
    if (rank > FV_MAX_DIMS)
        return fv_node_error(g, n, FV_ERR_ARG, "%d new axes on input %s make %d dimensions (at most %d)", a->n,
                             fv_dims(x), rank, FV_MAX_DIMS);
    bool mask[FV_MAX_DIMS];
    fv_status s = axis_mask(g, n, rank, mask);
    if (s) return s;
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0, k = 0; d < rank; d++) shape[d] = mask[d] ? 1 : x->shape[k++];
    fv_node_set_shape(n, x->dtype, rank, shape);
    return FV_OK;
}

static fv_status flatten_infer(fv_graph *g, fv_node *n)
{
    const axes_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t axis = a->axes[0];
    if (axis < -x->ndim || axis > x->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %lld is out of range [%d, %d] for input %s", (long long)axis,
                             -x->ndim, x->ndim, fv_dims(x));
    int ax = (int)(axis < 0 ? axis + x->ndim : axis);
    int64_t shape[2] = {1, 1};
    for (int d = 0; d < x->ndim; d++) shape[d >= ax] *= x->shape[d]; /* sizes fit: their product is x's size */
    fv_node_set_shape(n, x->dtype, 2, shape);
    return FV_OK;
}

const fv_op_def fv_op_squeeze = {"squeeze", squeeze_infer, fv_layout_view_forward, fv_layout_view_backward, .view = true};
const fv_op_def fv_op_unsqueeze = {"unsqueeze", unsqueeze_infer, fv_layout_view_forward, fv_layout_view_backward,
                                   .view = true};
const fv_op_def fv_op_flatten = {"flatten", flatten_infer, fv_layout_view_forward, fv_layout_view_backward, .view = true};

static fv_node *add(fv_graph *g, fv_op_kind op, fv_node *x, int n, const int64_t *axes)
{
    if (!g) return NULL;
    if (n > 0 && !axes) {
        fv_error(g->ctx, FV_ERR_ARG, "%s: axes is NULL for %d axes", fv_op_get(op)->name, n);
        return NULL;
    }
    axes_attr a = {.n = n};
    for (int i = 0; i < n && i < FV_MAX_DIMS; i++) a.axes[i] = axes[i];
    return fv_graph_add(g, op, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_squeeze(fv_graph *g, fv_node *x, int n, const int64_t *axes)
{
    return add(g, FV_OP_SQUEEZE, x, n, axes);
}

fv_node *fv_unsqueeze(fv_graph *g, fv_node *x, int n, const int64_t *axes)
{
    return add(g, FV_OP_UNSQUEEZE, x, n, axes);
}

fv_node *fv_flatten_axis(fv_graph *g, fv_node *x, int axis)
{
    axes_attr a = {.n = 1, .axes = {axis}};
    return fv_graph_add(g, FV_OP_FLATTEN, &x, 1, 1, &a, sizeof a);
}
