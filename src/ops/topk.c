/* Top-k along one axis (ONNX TopK, torch.topk) and cumulative sums (ONNX CumSum). A node has one output, so
 * top-k's indices are a second node, fv_topk_indices, that copies what the top-k node's forward saved in its
 * aux slot 0 (the same indices backward scatters the gradient to). */
#include <string.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

/* One axis of rank r, negative from the end (a scalar takes 0 and -1); -1 if out of range. */
static int resolve_axis(int axis, int r)
{
    int span = r ? r : 1;
    if (axis < -span || axis >= span) return -1;
    return axis < 0 ? axis + span : axis;
}

static void split(const fv_tensor *x, int ax, int64_t *outer, int64_t *C, int64_t *inner)
{
    *outer = *inner = *C = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < ax) *outer *= x->shape[d];
        else if (d == ax) *C = x->shape[d];
        else *inner *= x->shape[d];
    }
}

/* ---- top-k ---------------------------------------------------------------------------------------- */

typedef struct {
    int64_t k;
    int axis;
    bool largest, sorted;
} topk_attr;

static fv_status topk_infer(fv_graph *g, fv_node *n)
{
    const topk_attr *a = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    int ax = resolve_axis(a->axis, x->ndim);
    if (ax < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range for input %s with %d dimensions", a->axis,
                             fv_dims(x), x->ndim);
    int64_t C = x->ndim ? x->shape[ax] : 1;
    if (a->k < 0 || a->k > C)
        return fv_node_error(g, n, FV_ERR_ARG, "k %lld is out of range for axis %d of size %lld of input %s (0 to %lld)",
                             (long long)a->k, a->axis, (long long)C, fv_dims(x), (long long)C);
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shape[d] = d == ax ? a->k : x->shape[d];
    fv_node_set_shape(n, FV_F32, x->ndim, shape);
    return FV_OK;
}

static fv_status topk_forward(fv_graph *g, fv_node *n)
{
    const topk_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    fv_status s = fv_node_aux(g, n, 0, FV_I64, n->value.ndim, n->value.shape);
    if (s) return s;
    int64_t outer, C, inner;
    split(x, resolve_axis(a->axis, x->ndim), &outer, &C, &inner);
    fv_topk_forward(g->ctx, fv_f32(&n->value), fv_i64(&n->aux[0]), fv_f32(x), outer, C, inner, a->k, a->largest);
    return FV_OK;
}

static void topk_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, 0)) return;
    const topk_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t outer, C, inner;
    split(x, resolve_axis(a->axis, x->ndim), &outer, &C, &inner);
    fv_topk_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_i64(&n->aux[0]), outer, C, inner, a->k);
}

const fv_op_def fv_op_topk = {"topk", topk_infer, topk_forward, topk_backward, false};

fv_node *fv_topk(fv_graph *g, fv_node *x, int64_t k, int axis, bool largest, bool sorted)
{
    topk_attr a = {k, axis, largest, sorted};
    return fv_graph_add(g, FV_OP_TOPK, &x, 1, 1, &a, sizeof a);
}

/* The indices node: its input is the top-k node, whose forward runs first and leaves the indices in aux 0. */
static fv_status topk_indices_infer(fv_graph *g, fv_node *n)
{
    const fv_node *t = n->in[0];
    if (t->op != FV_OP_TOPK)
        return fv_node_error(g, n, FV_ERR_ARG, "input '%s' is a %s node, not a topk node", t->name,
                             fv_op_get(t->op)->name);
    fv_node_set_shape(n, FV_I64, t->value.ndim, t->value.shape);
    return FV_OK;
}

static fv_status topk_indices_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    const fv_tensor *idx = &n->in[0]->aux[0];
    if (n->value.size) memcpy(n->value.data, idx->data, (size_t)n->value.size * sizeof(int64_t));
    return FV_OK;
}

static void topk_indices_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    (void)n;
}

const fv_op_def fv_op_topk_indices = {"topk_indices", topk_indices_infer, topk_indices_forward, topk_indices_backward,
                                      false};

fv_node *fv_topk_indices(fv_graph *g, fv_node *topk)
{
    return fv_graph_add(g, FV_OP_TOPK_INDICES, &topk, 1, 1, NULL, 0);
}

/* ---- cumulative sum ------------------------------------------------------------------------------- */

typedef struct {
    int axis;
    bool exclusive, reverse;
} cumsum_attr;

static fv_status cumsum_infer(fv_graph *g, fv_node *n)
{
    const cumsum_attr *a = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    if (resolve_axis(a->axis, x->ndim) < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range for input %s with %d dimensions", a->axis,
                             fv_dims(x), x->ndim);
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

static fv_status cumsum_forward(fv_graph *g, fv_node *n)
{
    const cumsum_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t outer, C, inner;
    split(x, resolve_axis(a->axis, x->ndim), &outer, &C, &inner);
    fv_cumsum_forward(g->ctx, fv_f32(&n->value), fv_f32(x), outer, C, inner, a->exclusive, a->reverse, false);
    return FV_OK;
}

/* y_i = sum of x_j over j before i (in the sum's direction), so dx_j = sum of dy_i over i after j: the same
 * kind of sum in the other direction. */
static void cumsum_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, 0)) return;
    const cumsum_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t outer, C, inner;
    split(x, resolve_axis(a->axis, x->ndim), &outer, &C, &inner);
    fv_cumsum_forward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), outer, C, inner, a->exclusive, !a->reverse,
                      true);
}

const fv_op_def fv_op_cumsum = {"cumsum", cumsum_infer, cumsum_forward, cumsum_backward, false};

fv_node *fv_cumsum(fv_graph *g, fv_node *x, int axis, bool exclusive, bool reverse)
{
    cumsum_attr a = {axis, exclusive, reverse};
    return fv_graph_add(g, FV_OP_CUMSUM, &x, 1, 1, &a, sizeof a);
}
