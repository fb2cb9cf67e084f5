/* Reshape with ONNX semantics (0 copies the input's dimension, one -1 is inferred) and flatten, which is a
 * reshape to (0, -1). The requested shape is kept with its 0 and -1 and resolved at every shape inference,
 * so a reshape follows a batch size changed through fv_graph_set_input. */
#include <stdio.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "fovea/ops.h"

typedef struct {
    int ndim;                  /* as requested; checked by infer */
    bool null_shape;           /* the builder got no shape array */
    int64_t shape[FV_MAX_DIMS]; /* as requested, with 0 and -1 */
} reshape_attr;

/* The requested shape as text, "(0,-1)", for messages. */
static const char *requested(const reshape_attr *a, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < a->ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%lld" : "%lld", (long long)a->shape[i]);
    if (used < len) snprintf(buf + used, len - used, ")");
    return buf;
}

/* Resolve 0 and -1 against x into out; returns an error naming the input and the requested shape. */
static fv_status resolve(fv_graph *g, fv_node *n, const fv_tensor *x, int64_t *out)
{
    const reshape_attr *a = n->attr;
    char req[128];
    int infer_at = -1;
    int64_t known = 1; /* product of the given sizes, stopped before it could overflow */
    bool too_big = false;
    for (int i = 0; i < a->ndim; i++) {
        int64_t d = a->shape[i];
        if (d == -1 && infer_at >= 0)
            return fv_node_error(g, n, FV_ERR_ARG, "shape %s has more than one -1", requested(a, req, sizeof req));
        if (d < -1)
            return fv_node_error(g, n, FV_ERR_ARG, "shape %s has negative size %lld (only -1 is allowed)",
                                 requested(a, req, sizeof req), (long long)d);
        if (d == 0 && i >= x->ndim)
            return fv_node_error(g, n, FV_ERR_ARG,
                                 "shape %s has 0 at position %d but input %s has only %d dimensions",
                                 requested(a, req, sizeof req), i, fv_dims(x), x->ndim);
        if (d == -1) infer_at = i;
        out[i] = d == 0 ? x->shape[i] : d;
        if (d != -1 && out[i] > x->size / known) too_big = true;
        else if (d != -1) known *= out[i];
    }
    bool fits = !too_big && (infer_at >= 0 ? x->size % known == 0 : known == x->size);
    if (fits && infer_at >= 0) out[infer_at] = x->size / known;
    if (!fits)
        return fv_node_error(g, n, FV_ERR_SHAPE, "cannot reshape input %s (%lld elements) to %s", fv_dims(x),
                             (long long)x->size, requested(a, req, sizeof req));
    return FV_OK;
}

static fv_status reshape_infer(fv_graph *g, fv_node *n)
{
    const reshape_attr *a = n->attr;
    if (a->null_shape) return fv_node_error(g, n, FV_ERR_ARG, "shape is NULL for %d dimensions", a->ndim);
    if (a->ndim < 0 || a->ndim > FV_MAX_DIMS)
        return fv_node_error(g, n, FV_ERR_ARG, "%d dimensions requested (0 to %d allowed)", a->ndim, FV_MAX_DIMS);
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    int64_t shape[FV_MAX_DIMS];
    if ((s = resolve(g, n, &n->in[0]->value, shape))) return s;
    fv_node_set_shape(n, FV_F32, a->ndim, shape);
    return FV_OK;
}

/* Row-major data is unchanged by a reshape: the output is a view of the input's buffer (the graph points it
 * there, fv_op_def.view), so forward below only runs when a caller asks the op directly; backward adds
 * elementwise. */
static fv_status reshape_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    memcpy(n->value.data, n->in[0]->value.data, (size_t)n->value.size * sizeof(float));
    return FV_OK;
}

static void reshape_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    if (!fv_wants_grad(n, 0)) return;
    float *dx = fv_f32(&n->in[0]->grad);
    const float *dy = fv_f32(&n->grad);
    for (int64_t i = 0; i < n->value.size; i++) dx[i] += dy[i];
}

const fv_op_def fv_op_reshape = {"reshape", reshape_infer, reshape_forward, reshape_backward, .view = true};

fv_node *fv_reshape(fv_graph *g, fv_node *x, int ndim, const int64_t *shape)
{
    reshape_attr a = {.ndim = ndim, .null_shape = !shape && ndim > 0};
    for (int i = 0; shape && i < ndim && i < FV_MAX_DIMS; i++) a.shape[i] = shape[i];
    return fv_graph_add(g, FV_OP_RESHAPE, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_flatten(fv_graph *g, fv_node *x)
{
    return fv_reshape(g, x, 2, (const int64_t[]){0, -1});
}
