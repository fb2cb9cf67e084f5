/* Concatenation of n >= 1 tensors of one dtype (any) and rank (1 to 6) along one axis (ONNX Concat, torch.cat;
 * channels for Inception and DenseNet style blocks). Inputs may be empty, along the axis or elsewhere. The
 * axis is kept as requested (negative counts from the end) and resolved at every shape inference. */
#include <stdlib.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"
#include "layout_map.h"

typedef struct {
    int axis; /* as requested */
    int n;    /* number of inputs requested (kept to report n < 1, when the node gets none) */
} concat_attr;

static int resolve_axis(const concat_attr *a, int ndim) { return a->axis < 0 ? a->axis + ndim : a->axis; }

/* Input i must agree with input 0 everywhere but along the axis. */
static fv_status check_input(fv_graph *g, fv_node *n, int i, int axis)
{
    const fv_tensor *x0 = &n->in[0]->value, *x = &n->in[i]->value;
    if (x->dtype != x0->dtype)
        return fv_node_error(g, n, FV_ERR_ARG, "input %d %s is %s but input 0 %s is %s", i, fv_dims(x),
                             fv_dtype_name(x->dtype), fv_dims(x0), fv_dtype_name(x0->dtype));
    bool same = x->ndim == x0->ndim;
    for (int d = 0; same && d < x->ndim; d++) same = d == axis || x->shape[d] == x0->shape[d];
    if (!same)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input %d %s does not match input 0 %s outside axis %d", i,
                             fv_dims(x), fv_dims(x0), ((const concat_attr *)n->attr)->axis);
    return FV_OK;
}

static fv_status concat_infer(fv_graph *g, fv_node *n)
{
    const concat_attr *a = n->attr;
    if (n->n_in < 1 && a->n > 0) return fv_node_error(g, n, FV_ERR_ARG, "%d inputs requested but xs is NULL", a->n);
    if (n->n_in < 1) return fv_node_error(g, n, FV_ERR_ARG, "needs at least one input, got %d", a->n);
    fv_status s;
    const fv_tensor *x0 = &n->in[0]->value;
    if (x0->ndim < 1)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input 0 %s is a scalar: concatenation needs at least 1 dimension",
                             fv_dims(x0));
    if (a->axis < -x0->ndim || a->axis >= x0->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range for input 0 %s with %d dimensions", a->axis,
                             fv_dims(x0), x0->ndim);
    int axis = resolve_axis(a, x0->ndim);
    int64_t shape[FV_MAX_DIMS], total = 0;
    for (int i = 0; i < n->n_in; i++) {
        if ((s = check_input(g, n, i, axis))) return s;
        total += n->in[i]->value.shape[axis];
        if (total > FV_MAX_TENSOR_BYTES) break; /* reported below, before the sum could overflow */
    }
    memcpy(shape, x0->shape, sizeof shape);
    shape[axis] = total;
    return fv_layout_set_shape(g, n, x0->dtype, x0->ndim, shape, "concat");
}

/* The output viewed as (outer, Ctot, inner) around the axis. */
static int split(const fv_node *n, int64_t *outer, int64_t *inner)
{
    const fv_tensor *y = &n->value;
    int axis = resolve_axis(n->attr, y->ndim);
    *outer = *inner = 1;
    for (int d = 0; d < axis; d++) *outer *= y->shape[d];
    for (int d = axis + 1; d < y->ndim; d++) *inner *= y->shape[d];
    return axis;
}

static fv_status concat_forward(fv_graph *g, fv_node *n)
{
    int64_t outer, inner, c0 = 0;
    int axis = split(n, &outer, &inner);
    int64_t Ctot = n->value.shape[axis];
    const void **inputs = malloc((size_t)n->n_in * sizeof *inputs);
    int64_t *C = malloc((size_t)n->n_in * sizeof *C);
    if (inputs && C) { /* all inputs as one copy (threaded) */
        for (int i = 0; i < n->n_in; i++) inputs[i] = n->in[i]->value.data, C[i] = n->in[i]->value.shape[axis];
        fv_concat_forward_all(g->ctx, n->value.data, inputs, C, n->n_in, fv_dtype_size(n->value.dtype), outer, inner,
                              Ctot);
        free(inputs), free(C);
        return FV_OK;
    }
    free(inputs), free(C);
    for (int i = 0; i < n->n_in; i++) {
        const fv_tensor *x = &n->in[i]->value;
        fv_concat_forward(g->ctx, n->value.data, x->data, fv_dtype_size(x->dtype), outer, x->shape[axis], inner, Ctot,
                          c0);
        c0 += x->shape[axis];
    }
    return FV_OK;
}

static void concat_backward(fv_graph *g, fv_node *n)
{
    int64_t outer, inner, c0 = 0;
    int axis = split(n, &outer, &inner);
    int64_t Ctot = n->value.shape[axis];
    for (int i = 0; i < n->n_in; i++) {
        const fv_tensor *x = &n->in[i]->value;
        if (fv_layout_wants_grad(n, i))
            fv_concat_backward(g->ctx, fv_f32(&n->in[i]->grad), fv_f32(&n->grad), outer, x->shape[axis], inner, Ctot,
                               c0, fv_grad_fresh(n, i));
        c0 += x->shape[axis];
    }
}

const fv_op_def fv_op_concat = {"concat", concat_infer, concat_forward, concat_backward, false};

fv_node *fv_concat(fv_graph *g, fv_node *const *xs, int n, int axis)
{
    concat_attr a = {axis, n};
    /* With no inputs (or no array) the node gets none, and its shape inference reports it by name. */
    int n_in = xs && n > 0 ? n : 0;
    return fv_graph_add(g, FV_OP_CONCAT, xs, n_in, n_in, &a, sizeof a);
}
