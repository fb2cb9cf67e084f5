/* Activation memory. In inference mode a value lives only until its last reader has run: its buffer then
 * goes to a pool that later nodes draw from (the smallest buffer that fits), so a deep network needs about
 * as much memory as its widest few layers rather than the sum of all. Outputs (nodes nobody reads) are kept.
 * Training keeps every value, since backward reads them. The graph counts live and peak bytes either way. */
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

static bool leaf(const fv_node *n) { return n->op == FV_OP_INPUT || n->op == FV_OP_PARAM || n->op == FV_OP_CONSTANT; }

/* Elements of a value's current shape (inference sets the shape, not the size). */
static int64_t elements(const fv_tensor *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

void fv_graph_set_inference(fv_graph *g, bool on)
{
    if (!g) return;
    g->inference = on;
    if (on) g->training = false;
    g->forward_done = false;
}

void fv_node_keep_value(fv_node *n)
{
    if (n) n->keep_value = true;
}

int64_t fv_graph_peak_bytes(const fv_graph *g) { return g ? g->peak_bytes : 0; }

fv_node *fv_view_root(fv_node *n)
{
    while (n && fv_op_get(n->op)->view && n->in[0]) n = n->in[0];
    return n;
}

void fv_view_attach(fv_node *n)
{
    fv_node *src = n->in[0];
    if (n->value.owns) free(n->value.data);
    n->value.data = src->value.data;
    n->value.owns = false;
    n->value_cap = 0;
}

/* The last node that reads each node (-1: none, an output). A view's readers read its root's buffer, so the
 * root lives until the last of them (and forever when the view is an output or kept). */
fv_status fv_memory_plan(fv_graph *g)
{
    int *last = realloc(g->last_use, (size_t)(g->n_nodes ? g->n_nodes : 1) * sizeof *last);
    if (!last) return fv_error(g->ctx, FV_ERR_NOMEM, "out of memory planning activation memory");
    g->last_use = last;
    for (int i = 0; i < g->n_nodes; i++) last[i] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i]->n_in; k++)
            if (g->nodes[i]->in[k]) last[g->nodes[i]->in[k]->id] = i;
    for (int i = g->n_nodes - 1; i >= 0; i--) { /* reverse order: a view of a view passes its span down */
        fv_node *n = g->nodes[i];
        if (!fv_op_get(n->op)->view || !n->in[0]) continue;
        int src = n->in[0]->id;
        if (last[i] < 0 || n->keep_value) last[src] = -1;
        else if (last[src] >= 0 && last[i] > last[src]) last[src] = last[i];
    }
    return FV_OK;
}

/* Give n->value a buffer for its current shape: its own if it fits, else one from the pool, else new. */
fv_status fv_memory_acquire(fv_graph *g, fv_node *n)
{
    fv_tensor *v = &n->value;
    int64_t size = elements(v), need = size * (int64_t)fv_dtype_size(v->dtype);
    if (v->data && n->value_cap >= need) {
        v->size = size;
        return FV_OK;
    }
    int best = -1;
    for (int i = 0; g->inference && i < g->n_pool; i++)
        if (g->pool[i].bytes >= need && (best < 0 || g->pool[i].bytes < g->pool[best].bytes)) best = i;
    if (best >= 0) {
        if (v->owns) free(v->data), g->live_bytes -= n->value_cap;
        v->data = g->pool[best].data;
        v->owns = true;
        n->value_cap = g->pool[best].bytes;
        v->size = size;
        g->pool[best] = g->pool[--g->n_pool];
        g->live_bytes += n->value_cap;
    } else {
        fv_tensor fresh = {0};
        fv_status s = fv_tensor_ensure(g->ctx, &fresh, v->dtype, v->ndim, v->shape);
        if (s != FV_OK) return s;
        if (v->data && v->owns) g->live_bytes -= n->value_cap;
        fv_tensor_release(v);
        *v = fresh;
        n->value_cap = need;
        g->live_bytes += need;
    }
    if (g->live_bytes > g->peak_bytes) g->peak_bytes = g->live_bytes;
    return FV_OK;
}

/* After node i ran: return the buffers of the values it was the last to read. */
void fv_memory_release_inputs(fv_graph *g, int i)
{
    if (!g->inference) return;
    fv_node *n = g->nodes[i];
    for (int k = 0; k < n->n_in; k++) {
        fv_node *in = fv_view_root(n->in[k]);
        if (!in || leaf(in) || in->keep_value || g->last_use[in->id] != i || !in->value.data || !in->value.owns) continue;
        if (g->n_pool == g->cap_pool) {
            int cap = g->cap_pool ? 2 * g->cap_pool : 16;
            fv_pooled *p = realloc(g->pool, (size_t)cap * sizeof *p);
            if (!p) continue; /* keep the buffer where it is: correct, only less frugal */
            g->pool = p, g->cap_pool = cap;
        }
        g->pool[g->n_pool++] = (fv_pooled){in->value.data, in->value_cap};
        g->live_bytes -= in->value_cap;
        in->value.data = NULL;
        in->value_cap = 0;
    }
}

void fv_memory_free(fv_graph *g)
{
    for (int i = 0; i < g->n_pool; i++) free(g->pool[i].data);
    free(g->pool);
    free(g->last_use);
}
