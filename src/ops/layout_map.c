/* The per-axis map machinery of the layout operators (see layout_map.h) and their small shared helpers. */
#include <stdio.h>
#include <string.h>

#include "../kernels/dispatch.h"
#include "layout_map.h"

fv_status fv_layout_map_init(fv_graph *g, fv_node *n, fv_layout_map *m, int ndim, const int64_t *shape)
{
    int64_t entries = 0;
    m->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        m->shape[d] = shape[d];
        entries += shape[d];
    }
    if (entries < 1) entries = 1; /* a scalar still gets a slot */
    fv_status s = fv_node_aux(g, n, FV_LAYOUT_MAP_AUX, FV_I64, 1, &entries);
    if (s) return s;
    int64_t *p = fv_i64(&n->aux[FV_LAYOUT_MAP_AUX]);
    for (int d = 0; d < ndim; d++) {
        m->map[d] = p;
        p += shape[d];
    }
    return FV_OK;
}

fv_status fv_layout_map_forward(fv_graph *g, fv_node *n, fv_layout_map_fn fn, const void *fill)
{
    fv_layout_map m;
    fv_status s = fn(g, n, &m);
    if (s) return s;
    static const int64_t zero = 0;
    fv_map_gather(g->ctx, n->value.data, n->in[0]->value.data, fv_dtype_size(n->value.dtype), m.ndim, m.shape,
                  (const int64_t *const *)m.map, fill ? fill : &zero);
    return FV_OK;
}

void fv_layout_map_backward(fv_graph *g, fv_node *n, fv_layout_map_fn fn)
{
    if (!fv_layout_wants_grad(n, 0)) return;
    fv_layout_map m;
    if (fn(g, n, &m)) return; /* cannot fail: forward sized the same slot */
    fv_map_scatter_add(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), m.ndim, m.shape,
                       (const int64_t *const *)m.map);
}

void fv_layout_strides(const fv_tensor *t, int64_t *strides)
{
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        strides[d] = s;
        s *= t->shape[d];
    }
}

fv_status fv_layout_expect_input(fv_graph *g, const fv_node *n, int i, const char *what)
{
    if (i >= n->n_in || !n->in[i]) return fv_node_error(g, n, FV_ERR_ARG, "%s is missing", what);
    return FV_OK;
}

const char *fv_layout_list(const int64_t *v, int n, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%lld" : "%lld", (long long)v[i]);
    if (used < len) snprintf(buf + used, len - used, ")");
    return buf;
}

fv_status fv_layout_view_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    size_t bytes = (size_t)n->value.size * fv_dtype_size(n->value.dtype);
    if (bytes && n->value.data != n->in[0]->value.data) memcpy(n->value.data, n->in[0]->value.data, bytes);
    return FV_OK;
}

void fv_layout_view_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    if (!fv_layout_wants_grad(n, 0)) return;
    float *dx = fv_f32(&n->in[0]->grad);
    const float *dy = fv_f32(&n->grad);
    for (int64_t i = 0; i < n->value.size; i++) dx[i] += dy[i];
}

fv_status fv_layout_set_shape(fv_graph *g, fv_node *n, fv_dtype dtype, int ndim, const int64_t *shape,
                              const char *what)
{
    char buf[160];
    if (fv_size_product(ndim, shape, FV_MAX_TENSOR_BYTES) < 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "output %s from %s is negative or too large",
                             fv_layout_list(shape, ndim, buf, sizeof buf), what);
    fv_node_set_shape(n, dtype, ndim, shape);
    return FV_OK;
}
