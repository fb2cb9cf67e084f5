/* Gather (ONNX Gather, torch.index_select generalized to indices of any rank), gather_elements (ONNX
 * GatherElements, torch.gather / take_along_dim) and scatter_elements (ONNX ScatterElements with reduction
 * none or add, torch.scatter / scatter_add). Data of any dtype; indices int32 or int64, negative ones count
 * from the end. Indices are data (graph inputs), so their range is checked at every forward, naming the
 * offending value and its position; they are normalized into aux slot 0 as int64. */
#include <stdio.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"
#include "layout_map.h"

enum { IN_DATA, IN_INDICES, IN_UPDATES };
enum { AUX_INDEX, AUX_HIT };

typedef struct {
    int axis;
    fv_scatter_reduction reduction; /* scatter_elements only */
} gather_attr;

static int64_t outer_of(const fv_tensor *t, int axis)
{
    int64_t s = 1;
    for (int d = 0; d < axis; d++) s *= t->shape[d];
    return s;
}

static int64_t inner_of(const fv_tensor *t, int axis)
{
    int64_t s = 1;
    for (int d = axis + 1; d < t->ndim; d++) s *= t->shape[d];
    return s;
}

/* Data of rank >= 1, int32/int64 indices, the axis in range; *axis gets it non-negative. */
static fv_status check_common(fv_graph *g, fv_node *n, int *axis)
{
    const gather_attr *a = n->attr;
    const fv_tensor *x = &n->in[IN_DATA]->value, *idx = &n->in[IN_INDICES]->value;
    if (idx->dtype != FV_I32 && idx->dtype != FV_I64)
        return fv_node_error(g, n, FV_ERR_ARG, "indices must be int32 or int64, got %s %s", fv_dtype_name(idx->dtype),
                             fv_dims(idx));
    if (x->ndim < 1) return fv_node_error(g, n, FV_ERR_SHAPE, "data %s must have at least 1 dimension", fv_dims(x));
    *axis = fv_layout_axis(a->axis, x->ndim);
    if (*axis < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range for data %s", a->axis, fv_dims(x));
    return FV_OK;
}

/* Index i of idx (any integer dtype) as an int64. */
static int64_t index_at(const fv_tensor *idx, int64_t i)
{
    return idx->dtype == FV_I64 ? fv_i64(idx)[i] : fv_i32(idx)[i];
}

/* The coordinates of element i of t as "(a,b)", for messages. */
static const char *position(const fv_tensor *t, int64_t i, char *buf, size_t len)
{
    int64_t c[FV_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        c[d] = t->shape[d] ? i % t->shape[d] : 0;
        i = t->shape[d] ? i / t->shape[d] : 0;
    }
    return fv_layout_list(c, t->ndim, buf, len);
}

/* Indices into aux slot 0 as int64 in [0, K), or an error naming the first one out of [-K, K). */
static fv_status normalize(fv_graph *g, fv_node *n, int axis, const int64_t **out)
{
    const fv_tensor *x = &n->in[IN_DATA]->value, *idx = &n->in[IN_INDICES]->value;
    int64_t K = x->shape[axis], count = idx->size > 0 ? idx->size : 1;
    fv_status s = fv_node_aux(g, n, AUX_INDEX, FV_I64, 1, &count);
    if (s) return s;
    int64_t *dst = fv_i64(&n->aux[AUX_INDEX]);
    char buf[128];
    for (int64_t i = 0; i < idx->size; i++) {
        int64_t v = index_at(idx, i);
        if (v < -K || v >= K)
            return fv_node_error(g, n, FV_ERR_ARG,
                                 "index %lld at position %s of indices %s is out of range [%lld, %lld) for axis %d of "
                                 "data %s",
                                 (long long)v, position(idx, i, buf, sizeof buf), fv_dims(idx), (long long)-K,
                                 (long long)K, axis, fv_dims(x));
        dst[i] = v < 0 ? v + K : v;
    }
    *out = dst;
    return FV_OK;
}

/* ---- gather ----------------------------------------------------------------------------------------- */

static fv_status gather_infer(fv_graph *g, fv_node *n)
{
    int axis;
    fv_status s = check_common(g, n, &axis);
    if (s) return s;
    const fv_tensor *x = &n->in[IN_DATA]->value, *idx = &n->in[IN_INDICES]->value;
    int rank = x->ndim - 1 + idx->ndim;
    if (rank > FV_MAX_DIMS)
        return fv_node_error(g, n, FV_ERR_SHAPE, "data %s gathered by indices %s would have %d dimensions (at most %d)",
                             fv_dims(x), fv_dims(idx), rank, FV_MAX_DIMS);
    int64_t shape[FV_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < axis; d++) shape[k++] = x->shape[d];
    for (int d = 0; d < idx->ndim; d++) shape[k++] = idx->shape[d];
    for (int d = axis + 1; d < x->ndim; d++) shape[k++] = x->shape[d];
    return fv_layout_set_shape(g, n, x->dtype, rank, shape, "gather");
}

static fv_status gather_forward(fv_graph *g, fv_node *n)
{
    const fv_tensor *x = &n->in[IN_DATA]->value;
    int axis = fv_layout_axis(((const gather_attr *)n->attr)->axis, x->ndim);
    const int64_t *idx;
    fv_status s = normalize(g, n, axis, &idx);
    if (s) return s;
    fv_gather_rows(g->ctx, n->value.data, x->data, fv_dtype_size(x->dtype), idx, outer_of(x, axis), x->shape[axis],
                   n->in[IN_INDICES]->value.size, inner_of(x, axis));
    return FV_OK;
}

static void gather_backward(fv_graph *g, fv_node *n)
{
    if (!fv_layout_wants_grad(n, IN_DATA)) return;
    const fv_tensor *x = &n->in[IN_DATA]->value;
    int axis = fv_layout_axis(((const gather_attr *)n->attr)->axis, x->ndim);
    fv_gather_rows_backward(g->ctx, fv_f32(&n->in[IN_DATA]->grad), fv_f32(&n->grad), fv_i64(&n->aux[AUX_INDEX]),
                            outer_of(x, axis), x->shape[axis], n->in[IN_INDICES]->value.size, inner_of(x, axis));
}

/* ---- gather_elements, scatter_elements ---------------------------------------------------------------- */

/* Indices of the data's rank, no larger than the data outside the axis. */
static fv_status check_elements(fv_graph *g, fv_node *n, int axis)
{
    const fv_tensor *x = &n->in[IN_DATA]->value, *idx = &n->in[IN_INDICES]->value;
    bool fits = idx->ndim == x->ndim;
    for (int d = 0; fits && d < x->ndim; d++) fits = d == axis || idx->shape[d] <= x->shape[d];
    if (!fits)
        return fv_node_error(g, n, FV_ERR_SHAPE,
                             "indices %s must have the rank of data %s and be no larger outside axis %d",
                             fv_dims(idx), fv_dims(x), axis);
    return FV_OK;
}

static fv_status gather_elements_infer(fv_graph *g, fv_node *n)
{
    int axis;
    fv_status s = check_common(g, n, &axis);
    if (s || (s = check_elements(g, n, axis))) return s;
    const fv_tensor *idx = &n->in[IN_INDICES]->value;
    fv_node_set_shape(n, n->in[IN_DATA]->value.dtype, idx->ndim, idx->shape);
    return FV_OK;
}

static fv_status gather_elements_forward(fv_graph *g, fv_node *n)
{
    const fv_tensor *x = &n->in[IN_DATA]->value, *ix = &n->in[IN_INDICES]->value;
    int axis = fv_layout_axis(((const gather_attr *)n->attr)->axis, x->ndim);
    const int64_t *idx;
    fv_status s = normalize(g, n, axis, &idx);
    if (s) return s;
    fv_gather_elements_forward(g->ctx, n->value.data, x->data, fv_dtype_size(x->dtype), idx, x->ndim, ix->shape,
                               x->shape, axis);
    return FV_OK;
}

static void gather_elements_backward(fv_graph *g, fv_node *n)
{
    if (!fv_layout_wants_grad(n, IN_DATA)) return;
    const fv_tensor *x = &n->in[IN_DATA]->value, *ix = &n->in[IN_INDICES]->value;
    int axis = fv_layout_axis(((const gather_attr *)n->attr)->axis, x->ndim);
    fv_gather_elements_backward(g->ctx, fv_f32(&n->in[IN_DATA]->grad), fv_f32(&n->grad), fv_i64(&n->aux[AUX_INDEX]),
                                x->ndim, ix->shape, x->shape, axis);
}

static fv_status scatter_infer(fv_graph *g, fv_node *n)
{
    const gather_attr *a = n->attr;
    int axis;
    fv_status s = check_common(g, n, &axis);
    if (s || (s = check_elements(g, n, axis))) return s;
    const fv_tensor *x = &n->in[IN_DATA]->value, *idx = &n->in[IN_INDICES]->value, *u = &n->in[IN_UPDATES]->value;
    if (a->reduction != FV_SCATTER_NONE && a->reduction != FV_SCATTER_ADD)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown reduction %d (data %s)", (int)a->reduction, fv_dims(x));
    if (u->dtype != x->dtype || !fv_same_shape(u, idx))
        return fv_node_error(g, n, FV_ERR_SHAPE, "updates %s %s must have the dtype of data %s %s and the shape of "
                             "indices %s", fv_dtype_name(u->dtype), fv_dims(u), fv_dtype_name(x->dtype), fv_dims(x),
                             fv_dims(idx));
    fv_node_set_shape(n, x->dtype, x->ndim, x->shape);
    return FV_OK;
}

static fv_status scatter_forward(fv_graph *g, fv_node *n)
{
    const gather_attr *a = n->attr;
    const fv_tensor *x = &n->in[IN_DATA]->value, *ix = &n->in[IN_INDICES]->value;
    int axis = fv_layout_axis(a->axis, x->ndim);
    const int64_t *idx;
    fv_status s = normalize(g, n, axis, &idx);
    if (s) return s;
    uint8_t *hit = NULL;
    if (a->reduction == FV_SCATTER_NONE && x->dtype == FV_F32) { /* backward: overwritten data gets no gradient */
        int64_t count = x->size > 0 ? x->size : 1;
        if ((s = fv_node_aux(g, n, AUX_HIT, FV_BOOL, 1, &count))) return s;
        hit = fv_bool(&n->aux[AUX_HIT]);
        memset(hit, 0, (size_t)count);
    }
    if (x->size) memcpy(n->value.data, x->data, (size_t)x->size * fv_dtype_size(x->dtype));
    fv_scatter_elements_forward(g->ctx, n->value.data, hit, n->in[IN_UPDATES]->value.data, x->dtype,
                                a->reduction == FV_SCATTER_ADD, idx, x->ndim, ix->shape, x->shape, axis);
    return FV_OK;
}

static void scatter_backward(fv_graph *g, fv_node *n)
{
    const gather_attr *a = n->attr;
    const fv_tensor *x = &n->in[IN_DATA]->value, *ix = &n->in[IN_INDICES]->value;
    const float *dy = fv_f32(&n->grad);
    int axis = fv_layout_axis(a->axis, x->ndim);
    if (fv_layout_wants_grad(n, IN_DATA)) {
        float *dx = fv_f32(&n->in[IN_DATA]->grad);
        const uint8_t *hit = a->reduction == FV_SCATTER_NONE ? fv_bool(&n->aux[AUX_HIT]) : NULL;
        for (int64_t i = 0; i < x->size; i++)
            if (!hit || !hit[i]) dx[i] += dy[i];
    }
    if (fv_layout_wants_grad(n, IN_UPDATES))
        fv_gather_elements_add(g->ctx, fv_f32(&n->in[IN_UPDATES]->grad), dy, fv_i64(&n->aux[AUX_INDEX]), x->ndim,
                               ix->shape, x->shape, axis);
}

const fv_op_def fv_op_gather = {"gather", gather_infer, gather_forward, gather_backward, false};
const fv_op_def fv_op_gather_elements = {"gather_elements", gather_elements_infer, gather_elements_forward,
                                         gather_elements_backward, false};
const fv_op_def fv_op_scatter_elements = {"scatter_elements", scatter_infer, scatter_forward, scatter_backward, false};

fv_node *fv_gather(fv_graph *g, fv_node *data, fv_node *indices, int axis)
{
    gather_attr a = {axis, FV_SCATTER_NONE};
    return fv_graph_add(g, FV_OP_GATHER, (fv_node *[]){data, indices}, 2, 2, &a, sizeof a);
}

fv_node *fv_gather_elements(fv_graph *g, fv_node *data, fv_node *indices, int axis)
{
    gather_attr a = {axis, FV_SCATTER_NONE};
    return fv_graph_add(g, FV_OP_GATHER_ELEMENTS, (fv_node *[]){data, indices}, 2, 2, &a, sizeof a);
}

fv_node *fv_scatter_elements(fv_graph *g, fv_node *data, fv_node *indices, fv_node *updates, int axis,
                             fv_scatter_reduction reduction)
{
    gather_attr a = {axis, reduction};
    return fv_graph_add(g, FV_OP_SCATTER_ELEMENTS, (fv_node *[]){data, indices, updates}, 3, 3, &a, sizeof a);
}
