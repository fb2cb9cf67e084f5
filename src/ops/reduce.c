/* Reductions over any set of axes (sum, mean, max, min, prod, L1, L2, sum of squares, log-sum-exp; one op per
 * kind so that messages and ONNX names say which) and arg-max/arg-min along one axis. Axes are kept as given
 * (negative from the end) and resolved at every shape inference, since an input's shape may change. */
#include <stdio.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

typedef struct {
    fv_reduce_kind kind;
    int n_axes;              /* as requested: 0 reduces all */
    bool null_axes, too_many;
    int axes[FV_MAX_DIMS];
    bool keepdims;
} reduce_attr;

static const char *const kind_names[FV_REDUCE_COUNT] = {"sum", "mean", "max", "min", "prod",
                                                        "l1", "l2", "sum_square", "log_sum_exp",
                                                        "log_sum"};

const char *fv_reduce_name(fv_reduce_kind kind)
{
    return (unsigned)kind < FV_REDUCE_COUNT ? kind_names[kind] : NULL;
}

/* The requested axes as text, "(1,-1)", for messages. */
static const char *axes_text(const int *axes, int n, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < n && used < len; i++) used += (size_t)snprintf(buf + used, len - used, i ? ",%d" : "%d", axes[i]);
    if (used < len) snprintf(buf + used, len - used, ")");
    return buf;
}

/* Resolve one axis against rank r (a scalar takes 0 and -1, as PyTorch's dim on 0-d tensors); -1 if out of
 * range. */
static int resolve_axis(int axis, int r)
{
    int span = r ? r : 1;
    if (axis < -span || axis >= span) return -1;
    return axis < 0 ? axis + span : axis;
}

/* The bit mask of reduced axes, or an error naming the axes and the input. */
static fv_status reduced_mask(fv_graph *g, fv_node *n, unsigned *mask)
{
    const reduce_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char buf[96];
    if (a->null_axes) return fv_node_error(g, n, FV_ERR_ARG, "axes is NULL for %d axes", a->n_axes);
    if (a->too_many || a->n_axes < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "%d axes given (0 to %d allowed) for input %s", a->n_axes,
                             FV_MAX_DIMS, fv_dims(x));
    if (a->n_axes == 0) {
        *mask = (1u << x->ndim) - 1u;
        return FV_OK;
    }
    *mask = 0;
    for (int i = 0; i < a->n_axes; i++) {
        int ax = resolve_axis(a->axes[i], x->ndim);
        if (ax < 0)
            return fv_node_error(g, n, FV_ERR_ARG, "axis %d of axes %s is out of range for input %s with %d dimensions",
                                 a->axes[i], axes_text(a->axes, a->n_axes, buf, sizeof buf), fv_dims(x), x->ndim);
        if (*mask >> ax & 1u)
            return fv_node_error(g, n, FV_ERR_ARG, "axes %s repeat axis %d for input %s",
                                 axes_text(a->axes, a->n_axes, buf, sizeof buf), ax, fv_dims(x));
        *mask |= 1u << ax;
    }
    if (x->ndim == 0) *mask = 0; /* axis 0 of a scalar: nothing to reduce */
    return FV_OK;
}

static fv_status reduce_infer(fv_graph *g, fv_node *n)
{
    const reduce_attr *a = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    unsigned mask = 0;
    if ((s = reduced_mask(g, n, &mask))) return s;
    const fv_tensor *x = &n->in[0]->value;
    int64_t shape[FV_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++) {
        bool red = mask >> d & 1u;
        if (red && x->shape[d] == 0 && (a->kind == FV_REDUCE_MAX || a->kind == FV_REDUCE_MIN))
            return fv_node_error(g, n, FV_ERR_SHAPE,
                                 "reduce_%s over axis %d of size 0 of input %s has no identity (as in PyTorch)",
                                 kind_names[a->kind], d, fv_dims(x));
        if (!red) shape[nd++] = x->shape[d];
        else if (a->keepdims) shape[nd++] = 1;
    }
    fv_node_set_shape(n, FV_F32, nd, shape);
    return FV_OK;
}

static void geom(const fv_node *n, fv_reduce_geom *rg)
{
    unsigned mask = 0;
    const reduce_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    if (a->n_axes == 0) mask = (1u << x->ndim) - 1u;
    for (int i = 0; i < a->n_axes && x->ndim; i++) mask |= 1u << resolve_axis(a->axes[i], x->ndim);
    fv_reduce_geom_init(rg, x->ndim, x->shape, mask);
}

static fv_status reduce_forward(fv_graph *g, fv_node *n)
{
    fv_reduce_geom rg;
    geom(n, &rg);
    fv_reduce_forward(g->ctx, fv_f32(&n->value), fv_f32(&n->in[0]->value), &rg, ((const reduce_attr *)n->attr)->kind);
    return FV_OK;
}

static void reduce_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, 0)) return;
    fv_reduce_geom rg;
    geom(n, &rg);
    fv_reduce_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_f32(&n->in[0]->value),
                       fv_f32(&n->value), &rg, ((const reduce_attr *)n->attr)->kind);
}

#define REDUCE_DEF(stem) const fv_op_def fv_op_##stem = {#stem, reduce_infer, reduce_forward, reduce_backward, false};
REDUCE_DEF(reduce_sum)
REDUCE_DEF(reduce_mean)
REDUCE_DEF(reduce_max)
REDUCE_DEF(reduce_min)
REDUCE_DEF(reduce_prod)
REDUCE_DEF(reduce_l1)
REDUCE_DEF(reduce_l2)
REDUCE_DEF(reduce_sum_square)
REDUCE_DEF(reduce_log_sum_exp)
REDUCE_DEF(reduce_log_sum)
#undef REDUCE_DEF

static const fv_op_kind reduce_ops[FV_REDUCE_COUNT] = {
    FV_OP_REDUCE_SUM, FV_OP_REDUCE_MEAN, FV_OP_REDUCE_MAX,        FV_OP_REDUCE_MIN,        FV_OP_REDUCE_PROD,
    FV_OP_REDUCE_L1,  FV_OP_REDUCE_L2,   FV_OP_REDUCE_SUM_SQUARE, FV_OP_REDUCE_LOG_SUM_EXP,
    FV_OP_REDUCE_LOG_SUM};

fv_node *fv_reduce(fv_graph *g, fv_node *x, fv_reduce_kind kind, const int *axes, int n_axes, bool keepdims)
{
    if (!g) return NULL;
    if ((unsigned)kind >= FV_REDUCE_COUNT) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "reduce: kind %d is not a reduction (0 to %d)", (int)kind,
                 FV_REDUCE_COUNT - 1);
        return NULL;
    }
    reduce_attr a = {.kind = kind, .n_axes = n_axes, .keepdims = keepdims, .null_axes = !axes && n_axes > 0,
                     .too_many = n_axes > FV_MAX_DIMS};
    for (int i = 0; axes && i < n_axes && i < FV_MAX_DIMS; i++) a.axes[i] = axes[i];
    return fv_graph_add(g, reduce_ops[kind], &x, 1, 1, &a, sizeof a);
}

/* ---- arg-max / arg-min ---------------------------------------------------------------------------- */

typedef struct {
    int axis;
    bool keepdims, last;
} arg_attr;

static fv_status arg_infer(fv_graph *g, fv_node *n)
{
    const arg_attr *a = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    int ax = resolve_axis(a->axis, x->ndim);
    if (ax < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range for input %s with %d dimensions", a->axis,
                             fv_dims(x), x->ndim);
    if (x->ndim && x->shape[ax] == 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "axis %d of input %s is empty: no element to pick (as in PyTorch)",
                             a->axis, fv_dims(x));
    int64_t shape[FV_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != ax) shape[nd++] = x->shape[d];
        else if (a->keepdims) shape[nd++] = 1;
    fv_node_set_shape(n, FV_I64, nd, shape);
    return FV_OK;
}

/* x viewed as (outer, C, inner) around a resolved axis (a scalar is (1, 1, 1)). */
static void split(const fv_tensor *x, int ax, int64_t *outer, int64_t *C, int64_t *inner)
{
    *outer = *inner = *C = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < ax) *outer *= x->shape[d];
        else if (d == ax) *C = x->shape[d];
        else *inner *= x->shape[d];
    }
}

static fv_status arg_forward(fv_graph *g, fv_node *n, bool min)
{
    const arg_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t outer, C, inner;
    split(x, resolve_axis(a->axis, x->ndim), &outer, &C, &inner);
    fv_argmax_forward(g->ctx, fv_i64(&n->value), fv_f32(x), outer, C, inner, min, a->last);
    return FV_OK;
}

static fv_status argmax_forward(fv_graph *g, fv_node *n) { return arg_forward(g, n, false); }
static fv_status argmin_forward(fv_graph *g, fv_node *n) { return arg_forward(g, n, true); }

/* Indices are piecewise constant: nothing flows back. */
static void arg_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    (void)n;
}

const fv_op_def fv_op_argmax = {"argmax", arg_infer, argmax_forward, arg_backward, false};
const fv_op_def fv_op_argmin = {"argmin", arg_infer, argmin_forward, arg_backward, false};

fv_node *fv_argmax(fv_graph *g, fv_node *x, int axis, bool keepdims, bool select_last_index)
{
    arg_attr a = {axis, keepdims, select_last_index};
    return fv_graph_add(g, FV_OP_ARGMAX, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_argmin(fv_graph *g, fv_node *x, int axis, bool keepdims, bool select_last_index)
{
    arg_attr a = {axis, keepdims, select_last_index};
    return fv_graph_add(g, FV_OP_ARGMIN, &x, 1, 1, &a, sizeof a);
}

/* ---- hardmax ------------------------------------------------------------------------------------------ */

typedef struct {
    int axis;
    bool flat; /* before opset 13: x as 2-D around the axis */
} hardmax_attr;

static fv_status hardmax_infer(fv_graph *g, fv_node *n)
{
    const hardmax_attr *a = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    int r = x->ndim;
    bool bad = a->flat ? a->axis < -r || a->axis > r : resolve_axis(a->axis, r) < 0;
    if (bad)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range for input %s with %d dimensions%s", a->axis,
                             fv_dims(x), r, a->flat ? " (flattened at the axis)" : "");
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

static fv_status hardmax_forward(fv_graph *g, fv_node *n)
{
    const hardmax_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t outer = 1, C = 1, inner = 1;
    if (a->flat) {
        int ax = a->axis < 0 ? a->axis + x->ndim : a->axis;
        for (int d = 0; d < x->ndim; d++) *(d < ax ? &outer : &C) *= x->shape[d];
    } else {
        split(x, resolve_axis(a->axis, x->ndim), &outer, &C, &inner);
    }
    fv_hardmax_forward(g->ctx, fv_f32(&n->value), fv_f32(x), outer, C, inner);
    return FV_OK;
}

static void hardmax_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    (void)n; /* piecewise constant: the gradient is zero */
}

const fv_op_def fv_op_hardmax = {"hardmax", hardmax_infer, hardmax_forward, hardmax_backward, false};

fv_node *fv_hardmax(fv_graph *g, fv_node *x, int axis, bool flat)
{
    hardmax_attr a = {axis, flat};
    return fv_graph_add(g, FV_OP_HARDMAX, &x, 1, 1, &a, sizeof a);
}
