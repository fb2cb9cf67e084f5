/* Reverse-mode automatic differentiation: one reverse walk over the nodes, from the differentiated output
 * back to the leaves, each op adding its inputs' gradients (or assigning them, when it writes first). */
#include <string.h>

#include "../kernels/fast/threaded.h"
#include "graph_internal.h"

static bool is_leaf(const fv_node *n)
{
    return n->op == FV_OP_INPUT || n->op == FV_OP_PARAM || n->op == FV_OP_CONSTANT;
}

/* needs_grad: a gradient must reach this node, because it is a trainable parameter, because the user asked
 * for it, or because one of its inputs needs one. on_path: the node feeds `out`. */
static void mark(fv_graph *g, const fv_node *out)
{
    for (int i = 0; i < g->n_nodes; i++) {
        fv_node *n = g->nodes[i];
        n->on_path = false;
        if (n->op == FV_OP_PARAM) {
            n->needs_grad = n->param->trainable && n->param->kind == FV_PARAM_WEIGHT;
            continue;
        }
        n->needs_grad = n->keep_grad;
        for (int k = 0; k < n->n_in && !n->needs_grad; k++)
            if (n->in[k] && n->in[k]->needs_grad) n->needs_grad = true;
    }
    g->nodes[out->id]->on_path = true;
    for (int i = out->id; i >= 0; i--) {
        fv_node *n = g->nodes[i];
        if (!n->on_path) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k]) n->in[k]->on_path = true;
    }
}

/* Gradient buffers for the nodes that will receive one, marked fresh (no values yet) instead of zeroed: the
 * reverse walk zeroes each one just before its first writer runs, or lets that writer assign it (see
 * fv_grad_fresh). Parameters keep accumulating. */
/* A fused activation (fuse.c) whose gradient may live in its batch norm's buffer: neither gradient was asked
 * for, so nobody reads the unclamped values the buffer then holds between the two backward steps. */
static bool may_share_grad(const fv_node *n)
{
    const fv_node *src = n->n_in ? n->in[0] : NULL;
    return n->fused_view && src && src->fused_clamp > 0.0f && src->op == FV_OP_BATCH_NORM && !n->keep_grad &&
           !src->keep_grad && src->needs_grad && src->on_path;
}

static fv_status prepare_grads(fv_graph *g, const fv_node *out)
{
    for (int i = 0; i <= out->id; i++) g->nodes[i]->grad_shared = g->nodes[i]->grad_unclamped = false;
    for (int i = 0; i <= out->id; i++) {
        fv_node *n = g->nodes[i];
        n->grad_fresh = false;
        if (!n->on_path || !n->needs_grad || n->op == FV_OP_PARAM) continue;
        if (may_share_grad(n)) { /* the batch norm, earlier in the order, has its buffer already */
            if (n->grad.owns) fv_tensor_release(&n->grad);
            n->grad = fv_tensor_view(&n->in[0]->grad);
            n->grad_shared = n->in[0]->grad_unclamped = true;
            n->grad_fresh = true;
            continue;
        }
        fv_status s = fv_tensor_ensure(g->ctx, &n->grad, FV_F32, n->value.ndim, n->value.shape);
        if (s != FV_OK) return s;
        n->grad_fresh = true;
    }
    return FV_OK;
}

/* The inputs whose fresh gradient op's backward assigns (bit i: input i); it must then write every element.
 * An op not listed here gets its inputs' gradients zeroed before its backward runs. */
static unsigned assigned_inputs(fv_op_kind op)
{
    switch (op) {
    case FV_OP_BATCH_NORM: return 1u << 0; /* x */
    case FV_OP_MAX_POOL2D: return 1u << 0;
    case FV_OP_DROPOUT: return 1u << 0;
    case FV_OP_ACTIVATION: return 1u << 0;
    case FV_OP_CONCAT: return ~0u; /* every input: its slice copied (a U-Net's skips: no zeroing pass) */
    case FV_OP_CONV2D: return 1u << 0; /* x: the direct tiles store it (the other paths zero it themselves) */
    case FV_OP_CONV_TRANSPOSE2D: return 1u << 0; /* x: a convolution's forward */
    default: return 0;
    }
}

/* Zeroes a fresh gradient on the kernels' threads (the biggest buffers are several MB). */
static void zero_fresh(fv_graph *g, fv_node *n)
{
    fv_fast_zero(fv_ctx_reference_kernels(g->ctx) ? 1 : fv_ctx_threads(g->ctx), fv_f32(&n->grad), n->grad.size);
    n->grad_fresh = false;
}

static bool appears_twice(const fv_node *n, int i)
{
    for (int k = 0; k < n->n_in; k++)
        if (k != i && n->in[k] == n->in[i]) return true;
    return false;
}

/* Before n's backward: zero the fresh gradients it will not assign. A node given twice to one op is zeroed
 * too, since the op's second write must add to its first. */
static void before_backward(fv_graph *g, fv_node *n)
{
    unsigned assigns = assigned_inputs(n->op);
    for (int i = 0; i < n->n_in; i++) {
        fv_node *in = n->in[i];
        if (!in || !in->grad_fresh) continue;
        bool assigned = i < 32 && (assigns >> i & 1u);
        if (!assigned || appears_twice(n, i)) zero_fresh(g, in);
    }
}

/* After n's backward every input gradient it wanted holds values; later writers add to them. */
static void after_backward(fv_node *n)
{
    for (int i = 0; i < n->n_in; i++)
        if (fv_wants_grad(n, i)) n->in[i]->grad_fresh = false;
}

static fv_status check_ready(fv_graph *g, const fv_node *out)
{
    if (!out || out->graph != g) return fv_error(g->ctx, FV_ERR_ARG, "backward: the output is not a node of this graph");
    if (!g->forward_done) return fv_error(g->ctx, FV_ERR_STATE, "backward: run forward first (values are stale)");
    if (out->value.dtype != FV_F32)
        return fv_error(g->ctx, FV_ERR_ARG, "backward: '%s' is an integer tensor and has no gradient", out->name);
    return FV_OK;
}

/* Inference-only ops (the classical heads: no backward) refuse a gradient through them before anything moves. */
static fv_status check_differentiable(fv_graph *g, const fv_node *out)
{
    for (int i = 0; i <= out->id; i++) {
        const fv_node *n = g->nodes[i];
        if (n->on_path && n->needs_grad && !is_leaf(n) && !fv_op_get(n->op)->backward)
            return fv_error(g->ctx, FV_ERR_ARG, "backward: %s '%s' is inference only and has no gradient (a classical "
                            "head: fit it again on new features rather than train through it)", fv_op_get(n->op)->name,
                            n->name);
    }
    return FV_OK;
}

/* Ops' backward in reverse order. Every fresh gradient has a consumer on the path that zeroes or assigns it;
 * the last loop only guards that promise, so that no buffer can be left holding an earlier pass's values. */
static void reverse_walk(fv_graph *g, const fv_node *out)
{
    for (int i = out->id; i >= 0; i--) {
        fv_node *n = g->nodes[i];
        if (!n->on_path || !n->needs_grad || is_leaf(n)) continue;
        if (n->grad_shared) { /* its gradient already lies in the batch norm's buffer, which clamps it */
            after_backward(n);
            continue;
        }
        before_backward(g, n);
        fv_op_get(n->op)->backward(g, n);
        after_backward(n);
    }
    for (int i = 0; i <= out->id; i++)
        if (g->nodes[i]->grad_fresh) zero_fresh(g, g->nodes[i]);
}

fv_status fv_graph_backward_seed(fv_graph *g, fv_node *out, const fv_tensor *seed)
{
    if (!g) return FV_ERR_ARG;
    fv_status s = check_ready(g, out);
    if (s != FV_OK) return s;
    if (!seed || seed->dtype != FV_F32 || !fv_same_shape(seed, &out->value))
        return fv_error(g->ctx, FV_ERR_SHAPE, "backward: seed gradient %s does not match '%s' %s",
                        seed ? fv_dims(seed) : "NULL", out->name, fv_dims(&out->value));
    mark(g, out);
    if (!out->needs_grad) return FV_OK; /* nothing trainable or requested depends on it */
    if ((s = check_differentiable(g, out)) != FV_OK) return s;
    s = prepare_grads(g, out);
    if (s != FV_OK) return s;
    if (out->grad_fresh) zero_fresh(g, out); /* a parameter's gradient keeps accumulating */
    float *dst = fv_f32(&out->grad);
    const float *src = fv_f32(seed);
    for (int64_t i = 0; i < seed->size; i++) dst[i] += src[i];
    reverse_walk(g, out);
    return FV_OK;
}

fv_status fv_graph_backward(fv_graph *g, fv_node *loss)
{
    if (!g) return FV_ERR_ARG;
    fv_status s = check_ready(g, loss);
    if (s != FV_OK) return s;
    if (loss->value.size != 1)
        return fv_error(g->ctx, FV_ERR_SHAPE, "backward: '%s' %s is not a scalar; give a seed gradient",
                        loss->name, fv_dims(&loss->value));
    float one = 1.0f;
    fv_tensor seed = loss->value;
    seed.data = &one;
    seed.owns = false;
    return fv_graph_backward_seed(g, loss, &seed);
}

fv_status fv_node_keep_grad(fv_graph *g, fv_node *n)
{
    if (!g || !n || n->graph != g) return fv_error(g ? g->ctx : NULL, FV_ERR_ARG, "keep_grad: not a node of this graph");
    if (n->value.dtype != FV_F32)
        return fv_error(g->ctx, FV_ERR_ARG, "keep_grad: '%s' is an integer tensor and has no gradient", n->name);
    n->keep_grad = true;
    return FV_OK;
}

void fv_graph_zero_grad(fv_graph *g)
{
    for (int i = 0; g && i < g->n_nodes; i++)
        if (g->nodes[i]->param) fv_param_zero_grad(g->nodes[i]->param);
}
