/* Slice (ONNX Slice: starts, ends, axes and steps; negative indices count from the end, out-of-range ones are
 * clamped, steps may be negative, INT64_MAX / INT64_MIN mean "to the end") and split, a helper that adds one
 * slice per part (ONNX Split). Any dtype. The requested indices are kept and clamped at every shape
 * inference, so a slice follows a batch size changed through fv_graph_set_input. */
#include <stdio.h>
#include <stdlib.h>

#include "../graph/graph_internal.h"
#include "fovea/ops.h"
#include "layout_map.h"

typedef struct {
    int n;                       /* entries given */
    bool has_axes;               /* else the axes are 0 .. n-1 */
    int64_t starts[FV_MAX_DIMS], ends[FV_MAX_DIMS], axes[FV_MAX_DIMS], steps[FV_MAX_DIMS];
} slice_attr;

/* What a slice takes along each input axis: count elements from start, step apart. */
typedef struct {
    int64_t start[FV_MAX_DIMS], step[FV_MAX_DIMS], count[FV_MAX_DIMS];
} span;

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ONNX's clamping of one axis of size dim: start in [0, dim] ([0, dim-1] stepping back), end in [0, dim]
 * ([-1, dim-1] stepping back); the count is computed without overflow for any step, INT64_MIN included. */
static void clamp_axis(int64_t dim, int64_t start, int64_t end, int64_t step, span *sp, int d)
{
    if (start < 0) start += dim; /* INT64_MIN + dim cannot overflow: dim >= 0 */
    if (end < 0) end += dim;
    start = step > 0 ? clamp(start, 0, dim) : clamp(start, 0, dim - 1);
    end = step > 0 ? clamp(end, 0, dim) : clamp(end, -1, dim - 1);
    int64_t diff = step > 0 ? end - start : start - end; /* elements between them, in stepping order */
    uint64_t mag = step > 0 ? (uint64_t)step : (uint64_t)0 - (uint64_t)step;
    sp->start[d] = dim > 0 ? start : 0;
    sp->step[d] = step;
    sp->count[d] = diff > 0 && dim > 0 ? (int64_t)((uint64_t)(diff - 1) / mag) + 1 : 0;
}

static fv_status resolve(fv_graph *g, fv_node *n, span *sp)
{
    const slice_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char buf[128];
    if (a->n < 0 || a->n > x->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "%d axes given for input %s with %d dimensions", a->n, fv_dims(x),
                             x->ndim);
    for (int d = 0; d < x->ndim; d++) { /* axes not named keep everything */
        sp->start[d] = 0;
        sp->step[d] = 1;
        sp->count[d] = x->shape[d];
    }
    bool seen[FV_MAX_DIMS] = {false};
    for (int i = 0; i < a->n; i++) {
        int64_t want = a->has_axes ? a->axes[i] : i;
        int ax = fv_layout_axis(want, x->ndim);
        if (ax < 0)
            return fv_node_error(g, n, FV_ERR_ARG, "axes %s: axis %lld is out of range for input %s",
                                 fv_layout_list(a->axes, a->n, buf, sizeof buf), (long long)want, fv_dims(x));
        if (seen[ax])
            return fv_node_error(g, n, FV_ERR_ARG, "axes %s repeat axis %d (input %s)",
                                 fv_layout_list(a->axes, a->n, buf, sizeof buf), ax, fv_dims(x));
        if (a->steps[i] == 0)
            return fv_node_error(g, n, FV_ERR_ARG, "steps %s has a step of 0 for axis %d (input %s)",
                                 fv_layout_list(a->steps, a->n, buf, sizeof buf), ax, fv_dims(x));
        seen[ax] = true;
        clamp_axis(x->shape[ax], a->starts[i], a->ends[i], a->steps[i], sp, ax);
    }
    return FV_OK;
}

static fv_status slice_infer(fv_graph *g, fv_node *n)
{
    span sp;
    fv_status s = resolve(g, n, &sp);
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    fv_node_set_shape(n, x->dtype, x->ndim, sp.count);
    return FV_OK;
}

static fv_status maps(fv_graph *g, fv_node *n, fv_layout_map *m)
{
    span sp;
    int64_t st[FV_MAX_DIMS];
    fv_status s = resolve(g, n, &sp);
    if (s || (s = fv_layout_map_init(g, n, m, n->value.ndim, n->value.shape))) return s;
    fv_layout_strides(&n->in[0]->value, st);
    for (int d = 0; d < m->ndim; d++)
        for (int64_t i = 0; i < m->shape[d]; i++) m->map[d][i] = (sp.start[d] + i * sp.step[d]) * st[d];
    return FV_OK;
}

static fv_status slice_forward(fv_graph *g, fv_node *n) { return fv_layout_map_forward(g, n, maps, NULL); }
static void slice_backward(fv_graph *g, fv_node *n) { fv_layout_map_backward(g, n, maps); }

const fv_op_def fv_op_slice = {"slice", slice_infer, slice_forward, slice_backward, false};

fv_node *fv_slice(fv_graph *g, fv_node *x, int n, const int64_t *starts, const int64_t *ends, const int64_t *axes,
                  const int64_t *steps)
{
    if (!g) return NULL;
    if (n > 0 && (!starts || !ends)) {
        fv_error(g->ctx, FV_ERR_ARG, "slice: starts or ends is NULL for %d axes", n);
        return NULL;
    }
    slice_attr a = {.n = n, .has_axes = axes != NULL};
    if (n > FV_MAX_DIMS) a.n = FV_MAX_DIMS + 1; /* infer reports it; only FV_MAX_DIMS entries are kept */
    for (int i = 0; i < n && i < FV_MAX_DIMS; i++) {
        a.starts[i] = starts[i];
        a.ends[i] = ends[i];
        a.axes[i] = axes ? axes[i] : i;
        a.steps[i] = steps ? steps[i] : 1;
    }
    return fv_graph_add(g, FV_OP_SLICE, &x, 1, 1, &a, sizeof a);
}

/* The parts' sizes: given (each >= 0, summing to the axis' size) or equal, as ONNX Split with num_outputs
 * (ceil(dim / n) each, the last one smaller); an error when they do not fit. */
static bool part_sizes(fv_graph *g, const fv_tensor *x, int axis, int n, const int64_t *sizes, int64_t *out)
{
    int64_t dim = x->shape[axis], sum = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", fv_dims(x));
    for (int i = 0; i < n; i++) {
        if (sizes) {
            out[i] = sizes[i];
        } else {
            int64_t each = (dim + n - 1) / n, left = dim - sum;
            out[i] = left < each ? left : each;
        }
        if (out[i] < 0 || (!sizes && out[i] == 0 && dim > 0) || out[i] > dim - sum) {
            if (sizes)
                fv_error(g->ctx, FV_ERR_SHAPE, "split: sizes do not fit axis %d of input %s (size %lld): part %d is %lld",
                         axis, buf, (long long)dim, i, (long long)out[i]);
            else
                fv_error(g->ctx, FV_ERR_SHAPE, "split: %d equal parts of axis %d of input %s (size %lld) leave part %d empty",
                         n, axis, buf, (long long)dim, i);
            return false;
        }
        sum += out[i];
    }
    if (sum != dim) {
        fv_error(g->ctx, FV_ERR_SHAPE, "split: sizes sum to %lld but axis %d of input %s has size %lld",
                 (long long)sum, axis, buf, (long long)dim);
        return false;
    }
    return true;
}

int fv_split(fv_graph *g, fv_node *x, int axis, int n, const int64_t *sizes, fv_node **out)
{
    if (!g) return -1;
    if (!x) return -1; /* an earlier builder failed: keep its message */
    if (!out || n < 1) {
        fv_error(g->ctx, FV_ERR_ARG, "split: needs n >= 1 parts and an output array (n = %d)", n);
        return -1;
    }
    const fv_tensor *v = fv_node_value(x);
    int ax = fv_layout_axis(axis, v->ndim);
    if (ax < 0) {
        fv_error(g->ctx, FV_ERR_ARG, "split: axis %d is out of range for input %s", axis, fv_dims(v));
        return -1;
    }
    int64_t *part = calloc((size_t)n, sizeof *part);
    if (!part) return fv_error(g->ctx, FV_ERR_NOMEM, "split: out of memory"), -1;
    bool ok = part_sizes(g, v, ax, n, sizes, part);
    int64_t start = 0;
    for (int i = 0; ok && i < n; i++) {
        int64_t s0 = start, e0 = start + part[i], a0 = ax;
        out[i] = fv_slice(g, x, 1, &s0, &e0, &a0, NULL);
        ok = out[i] != NULL;
        start += part[i];
    }
    free(part);
    return ok ? 0 : -1;
}
