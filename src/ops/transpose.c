/* Transpose / permute of any rank and dtype (ONNX Transpose, torch.permute): output dimension d is input
 * dimension perm[d]; no perm reverses the dimensions, as ONNX's default. Always a copy: whether a perm keeps
 * the data order depends on which dimensions are 1, and a batch of 1 may grow after the graph is built. */
#include "../graph/graph_internal.h"
#include "fovea/ops.h"
#include "layout_map.h"

typedef struct {
    int n;        /* entries given (-1: none, reverse) */
    int64_t perm[FV_MAX_DIMS];
} transpose_attr;

/* perm made non-negative in p, or an error naming the perm and the input. */
static fv_status resolve(fv_graph *g, fv_node *n, int *p)
{
    const transpose_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char buf[128];
    if (a->n < 0) {
        for (int d = 0; d < x->ndim; d++) p[d] = x->ndim - 1 - d;
        return FV_OK;
    }
    if (a->n != x->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "perm has %d entries for input %s with %d dimensions", a->n,
                             fv_dims(x), x->ndim);
    bool seen[FV_MAX_DIMS] = {false};
    for (int d = 0; d < a->n; d++) {
        p[d] = fv_layout_axis(a->perm[d], x->ndim);
        if (p[d] < 0)
            return fv_node_error(g, n, FV_ERR_ARG, "perm %s has axis %lld out of range for input %s",
                                 fv_layout_list(a->perm, a->n, buf, sizeof buf), (long long)a->perm[d], fv_dims(x));
        if (seen[p[d]])
            return fv_node_error(g, n, FV_ERR_ARG, "perm %s repeats axis %d for input %s",
                                 fv_layout_list(a->perm, a->n, buf, sizeof buf), p[d], fv_dims(x));
        seen[p[d]] = true;
    }
    return FV_OK;
}

static fv_status transpose_infer(fv_graph *g, fv_node *n)
{
    int p[FV_MAX_DIMS];
    fv_status s = resolve(g, n, p);
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[p[d]];
    fv_node_set_shape(n, x->dtype, x->ndim, shape);
    return FV_OK;
}

static fv_status maps(fv_graph *g, fv_node *n, fv_layout_map *m)
{
    int p[FV_MAX_DIMS];
    int64_t st[FV_MAX_DIMS];
    fv_status s = resolve(g, n, p);
    if (s || (s = fv_layout_map_init(g, n, m, n->value.ndim, n->value.shape))) return s;
    fv_layout_strides(&n->in[0]->value, st);
    for (int d = 0; d < m->ndim; d++)
        for (int64_t i = 0; i < m->shape[d]; i++) m->map[d][i] = i * st[p[d]];
    return FV_OK;
}

static fv_status transpose_forward(fv_graph *g, fv_node *n) { return fv_layout_map_forward(g, n, maps, NULL); }
static void transpose_backward(fv_graph *g, fv_node *n) { fv_layout_map_backward(g, n, maps); }

const fv_op_def fv_op_transpose = {"transpose", transpose_infer, transpose_forward, transpose_backward, false};

fv_node *fv_transpose(fv_graph *g, fv_node *x, int n, const int64_t *perm)
{
    transpose_attr a = {.n = perm ? n : -1};
    if (perm && (n < 0 || n > FV_MAX_DIMS)) a.n = n < 0 ? 0 : n; /* infer reports the count */
    for (int d = 0; perm && d < n && d < FV_MAX_DIMS; d++) a.perm[d] = perm[d];
    return fv_graph_add(g, FV_OP_TRANSPOSE, &x, 1, 1, &a, sizeof a);
}
