/* The graph: building nodes, shape inference, forward execution in construction (topological) order. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

fv_graph *fv_graph_new(fv_ctx *ctx)
{
    if (!ctx) return NULL;
    fv_graph *g = calloc(1, sizeof *g);
    if (!g) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory creating a graph");
        return NULL;
    }
    g->ctx = ctx;
    g->training = true;
    return g;
}

static void node_free(fv_node *n)
{
    if (!n) return;
    if (n->param) fv_param_free(n->param);
    fv_tensor_release(&n->value);
    fv_tensor_release(&n->grad);
    for (int k = 0; k < FV_NODE_AUX; k++) fv_tensor_release(&n->aux[k]);
    if (n->kernel_cache_free) n->kernel_cache_free(n->kernel_cache);
    free(n->in);
    free(n->attr);
    free(n);
}

void fv_graph_free(fv_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_nodes; i++) node_free(g->nodes[i]);
    free(g->nodes);
    free(g->param_slots);
    fv_memory_free(g);
    free(g);
}

fv_ctx *fv_graph_ctx(const fv_graph *g) { return g ? g->ctx : NULL; }

fv_status fv_node_error(fv_graph *g, const fv_node *n, fv_status code, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return fv_error(g->ctx, code, "%s '%s': %s", fv_op_get(n->op)->name, n->name, detail);
}

const char *fv_dims(const fv_tensor *t)
{
    static char bufs[4][64];
    static int next;
    char *b = bufs[next++ & 3];
    return fv_shape_str(t, b, 64);
}

void fv_node_set_shape(fv_node *n, fv_dtype dtype, int ndim, const int64_t *shape)
{
    n->value.dtype = dtype;
    n->value.ndim = ndim;
    int64_t size = 1;
    for (int i = 0; i < FV_MAX_DIMS; i++) {
        n->value.shape[i] = i < ndim ? shape[i] : 0;
        if (i < ndim) size *= shape[i];
    }
    n->value.size = size; /* the buffer follows at the next forward (see value_cap) */
}

fv_status fv_expect(fv_graph *g, const fv_node *n, int i, int ndim, const char *what)
{
    const fv_tensor *t = &n->in[i]->value;
    if (t->dtype != FV_F32)
        return fv_node_error(g, n, FV_ERR_ARG, "%s must be float32, got %s %s", what, fv_dtype_name(t->dtype),
                             fv_dims(t));
    if (ndim >= 0 && t->ndim != ndim)
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s must have %d dimensions, got %s", what, ndim, fv_dims(t));
    return FV_OK;
}

static fv_status grow(fv_graph *g)
{
    if (g->n_nodes < g->cap_nodes) return FV_OK;
    int cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
    fv_node **nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return fv_error(g->ctx, FV_ERR_NOMEM, "out of memory growing the graph");
    g->nodes = nodes;
    g->cap_nodes = cap;
    return FV_OK;
}

static fv_status infer(fv_graph *g, fv_node *n)
{
    fv_status s = fv_op_get(n->op)->infer(g, n);
    if (s != FV_OK) return s;
    if (n->op == FV_OP_PARAM || n->op == FV_OP_INPUT || n->op == FV_OP_CONSTANT) return FV_OK;
    const fv_tensor *v = &n->value;
    char what[96];
    snprintf(what, sizeof what, "%s '%s' output", fv_op_get(n->op)->name, n->name);
    if (fv_shape_check_empty(g->ctx, what, v->dtype, v->ndim, v->shape) < 0) return fv_errcode(g->ctx);
    return FV_OK;
}

fv_node *fv_graph_add(fv_graph *g, fv_op_kind op, fv_node *const *in, int n_in, int n_required,
                      const void *attr, size_t attr_size)
{
    if (!g) return NULL;
    const char *opname = fv_op_get(op)->name;
    for (int i = 0; i < n_in; i++) {
        if (!in[i] && i < n_required) {
            if (fv_errcode(g->ctx) == FV_OK)
                fv_error(g->ctx, FV_ERR_ARG, "%s: input %d is NULL", opname, i);
            return NULL; /* an earlier builder failed: keep its message */
        }
        if (in[i] && in[i]->graph != g) {
            fv_error(g->ctx, FV_ERR_ARG, "%s: input %d ('%s') belongs to another graph", opname, i, in[i]->name);
            return NULL;
        }
    }
    if (grow(g) != FV_OK) return NULL;
    fv_node *n = calloc(1, sizeof *n);
    if (!n) goto nomem;
    n->in = n_in ? calloc((size_t)n_in, sizeof *n->in) : NULL;
    n->attr = attr_size ? malloc(attr_size) : NULL;
    if ((n_in && !n->in) || (attr_size && !n->attr)) goto nomem;
    n->id = g->n_nodes;
    n->op = op;
    n->graph = g;
    n->n_in = n_in;
    if (n_in) memcpy(n->in, in, (size_t)n_in * sizeof *in);
    if (attr_size) memcpy(n->attr, attr, attr_size);
    bool leaf = op == FV_OP_INPUT || op == FV_OP_PARAM || op == FV_OP_CONSTANT;
    if (g->next_name[0] && !leaf) {
        snprintf(n->name, sizeof n->name, "%s", g->next_name);
        g->next_name[0] = '\0';
    } else {
        snprintf(n->name, sizeof n->name, "%s_%d", opname, n->id);
    }
    if (infer(g, n) != FV_OK) {
        node_free(n);
        return NULL;
    }
    g->nodes[g->n_nodes++] = n;
    g->forward_done = false;
    return n;
nomem:
    node_free(n);
    fv_error(g->ctx, FV_ERR_NOMEM, "out of memory adding a %s node", opname);
    return NULL;
}

uint64_t fv_graph_train_passes(const fv_graph *g) { return g ? g->train_passes : 0; }
void fv_graph_set_train_passes(fv_graph *g, uint64_t passes)
{
    if (g) g->train_passes = passes;
}

void fv_graph_set_next_name(fv_graph *g, const char *name)
{
    if (g) snprintf(g->next_name, sizeof g->next_name, "%s", name ? name : "");
}

fv_status fv_node_aux(fv_graph *g, fv_node *n, int k, fv_dtype dtype, int ndim, const int64_t *shape)
{
    return fv_tensor_ensure(g->ctx, &n->aux[k], dtype, ndim, shape);
}

/* ---- leaves -------------------------------------------------------------------------------------------- */

/* Inputs, parameters and constants are leaves: their values are set from outside the graph, so their
 * shape inference, forward and backward do nothing. */
static fv_status leaf_infer(fv_graph *g, fv_node *n)
{
    (void)g;
    (void)n;
    return FV_OK;
}

static fv_status leaf_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    (void)n;
    return FV_OK;
}

static void leaf_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    (void)n;
}

const fv_op_def fv_op_input = {"input", leaf_infer, leaf_forward, leaf_backward, false};
const fv_op_def fv_op_param = {"param", leaf_infer, leaf_forward, leaf_backward, false};
const fv_op_def fv_op_constant = {"constant", leaf_infer, leaf_forward, leaf_backward, false};


fv_node *fv_input(fv_graph *g, const char *name, fv_dtype dtype, int ndim, const int64_t *shape)
{
    if (!g) return NULL;
    char what[96];
    snprintf(what, sizeof what, "input '%s'", name ? name : "");
    if (fv_shape_check_empty(g->ctx, what, dtype, ndim, shape) < 0) return NULL;
    fv_node *n = fv_graph_add(g, FV_OP_INPUT, NULL, 0, 0, NULL, 0);
    if (!n) return NULL;
    if (name) snprintf(n->name, sizeof n->name, "%s", name);
    if (g->shapes_only) fv_node_set_shape(n, dtype, ndim, shape);
    else if (fv_tensor_ensure(g->ctx, &n->value, dtype, ndim, shape) != FV_OK) return NULL; /* freed with g */
    return n;
}

/* The graph's node of each parameter, hashed by address: a graph of n parameters is built in O(n). */
static size_t param_slot(const fv_param *p, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (cap - 1);
}

static fv_node *param_node(const fv_graph *g, const fv_param *p)
{
    if (!g->param_cap) return NULL;
    for (size_t j = param_slot(p, g->param_cap); g->param_slots[j]; j = (j + 1) & (g->param_cap - 1))
        if (g->nodes[g->param_slots[j] - 1]->param == p) return g->nodes[g->param_slots[j] - 1];
    return NULL;
}

static void param_put(int *slots, size_t cap, const fv_node *n)
{
    size_t j = param_slot(n->param, cap);
    while (slots[j]) j = (j + 1) & (cap - 1);
    slots[j] = n->id + 1;
}

/* Room for one more parameter node; the table doubles when half full. */
static fv_status param_reserve(fv_graph *g)
{
    if (2 * (g->n_param_nodes + 1) <= g->param_cap) return FV_OK;
    size_t cap = g->param_cap ? 2 * g->param_cap : 64;
    int *slots = calloc(cap, sizeof *slots);
    if (!slots) return fv_error(g->ctx, FV_ERR_NOMEM, "out of memory adding a parameter to the graph");
    for (size_t j = 0; j < g->param_cap; j++)
        if (g->param_slots[j]) param_put(slots, cap, g->nodes[g->param_slots[j] - 1]);
    free(g->param_slots);
    g->param_slots = slots, g->param_cap = cap;
    return FV_OK;
}

fv_node *fv_use_param(fv_graph *g, fv_param *p)
{
    if (!g) return NULL;
    if (!p) {
        if (fv_errcode(g->ctx) == FV_OK) fv_error(g->ctx, FV_ERR_ARG, "param: parameter is NULL");
        return NULL;
    }
    fv_node *n = param_node(g, p);
    if (n) return n;
    if (param_reserve(g) != FV_OK || !(n = fv_graph_add(g, FV_OP_PARAM, NULL, 0, 0, NULL, 0))) return NULL;
    p->refs++;
    n->param = p;
    param_put(g->param_slots, g->param_cap, n);
    g->n_param_nodes++;
    snprintf(n->name, sizeof n->name, "%s", p->name);
    n->value = fv_tensor_view(&p->value);
    n->grad = fv_tensor_view(&p->grad);
    return n;
}

fv_node *fv_constant(fv_graph *g, const fv_tensor *value)
{
    if (!g) return NULL;
    if (!value) {
        fv_error(g->ctx, FV_ERR_ARG, "constant: value is NULL");
        return NULL;
    }
    fv_node *n = fv_graph_add(g, FV_OP_CONSTANT, NULL, 0, 0, NULL, 0);
    if (!n) return NULL;
    if (fv_tensor_ensure(g->ctx, &n->value, value->dtype, value->ndim, value->shape) != FV_OK) return NULL;
    memcpy(n->value.data, value->data, (size_t)value->size * fv_dtype_size(value->dtype));
    return n;
}

fv_status fv_graph_set_input(fv_graph *g, fv_node *input, const fv_tensor *data)
{
    if (!g || !input || !data) return fv_error(g ? g->ctx : NULL, FV_ERR_ARG, "set_input: NULL argument");
    if (input->graph != g || input->op != FV_OP_INPUT)
        return fv_error(g->ctx, FV_ERR_ARG, "set_input: '%s' is not an input of this graph", input->name);
    if (data->dtype != input->value.dtype)
        return fv_error(g->ctx, FV_ERR_ARG, "input '%s': expected %s data, got %s", input->name,
                        fv_dtype_name(input->value.dtype), fv_dtype_name(data->dtype));
    if (!fv_same_shape(data, &input->value)) {
        if (fv_tensor_ensure(g->ctx, &input->value, data->dtype, data->ndim, data->shape) != FV_OK)
            return fv_errcode(g->ctx);
        g->shapes_dirty = true;
    }
    memcpy(input->value.data, data->data, (size_t)data->size * fv_dtype_size(data->dtype));
    g->forward_done = false;
    return FV_OK;
}

void fv_graph_set_training(fv_graph *g, bool training)
{
    if (g) g->training = training;
}

bool fv_graph_training(const fv_graph *g) { return g && g->training; }

/* ---- forward ------------------------------------------------------------------------------------------- */

static fv_status reinfer_all(fv_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        fv_status s = infer(g, g->nodes[i]);
        if (s != FV_OK) return s;
    }
    g->shapes_dirty = false;
    return FV_OK;
}

void fv_graph_set_shapes_only(fv_graph *g)
{
    if (g) g->shapes_only = true;
}

fv_status fv_graph_forward(fv_graph *g)
{
    if (!g) return FV_ERR_ARG;
    if (g->shapes_only) return fv_error(g->ctx, FV_ERR_STATE, "this graph is for shape inference only");
    if (g->shapes_dirty && reinfer_all(g) != FV_OK) return fv_errcode(g->ctx);
    if (g->training) g->train_passes++;
    if (g->inference && fv_memory_plan(g) != FV_OK) return fv_errcode(g->ctx);
    fv_graph_fuse_training(g);
    for (int i = 0; i < g->n_nodes; i++) {
        fv_node *n = g->nodes[i];
        if (n->op == FV_OP_INPUT || n->op == FV_OP_PARAM || n->op == FV_OP_CONSTANT) continue;
        const fv_op_def *def = fv_op_get(n->op);
        if (def->view || n->fused_view) {
            if (n->value.owns && n->value.data) g->live_bytes -= n->value_cap; /* a pass before, unfused */
            fv_view_attach(n);
            fv_memory_release_inputs(g, i);
            continue;
        }
        fv_status s = fv_memory_acquire(g, n);
        if (s == FV_OK) s = def->forward(g, n);
        if (s != FV_OK) return s;
        fv_memory_release_inputs(g, i);
    }
    g->forward_done = !g->inference; /* inference dropped what backward would read */
    return FV_OK;
}

/* ---- accessors ------------------------------------------------------------------------------------------ */

const fv_tensor *fv_node_value(const fv_node *n) { return n ? &n->value : NULL; }
/* Gradients of other nodes are scratch space of the backward pass: only kept ones are shown. */
const fv_tensor *fv_node_grad(const fv_node *n)
{
    return n && n->grad.data && (n->keep_grad || n->param) ? &n->grad : NULL;
}
const char *fv_node_name(const fv_node *n) { return n ? n->name : ""; }
const char *fv_node_op_name(const fv_node *n) { return n ? fv_op_get(n->op)->name : ""; }
fv_param *fv_node_param(const fv_node *n) { return n ? n->param : NULL; }
void fv_node_set_name(fv_node *n, const char *name)
{
    if (n && name) snprintf(n->name, sizeof n->name, "%s", name);
}
int fv_graph_node_count(const fv_graph *g) { return g ? g->n_nodes : 0; }
fv_node *fv_graph_node(const fv_graph *g, int i) { return g && i >= 0 && i < g->n_nodes ? g->nodes[i] : NULL; }
int fv_node_input_count(const fv_node *n) { return n ? n->n_in : 0; }
fv_node *fv_node_input(const fv_node *n, int i) { return n && i >= 0 && i < n->n_in ? n->in[i] : NULL; }

fv_node *fv_graph_find(const fv_graph *g, const char *name)
{
    for (int i = 0; g && name && i < g->n_nodes; i++)
        if (strcmp(g->nodes[i]->name, name) == 0) return g->nodes[i];
    return NULL;
}
