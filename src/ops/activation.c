/* Elementwise activation op (relu, leaky relu, relu6, ELU, sigmoid, tanh, SiLU, hard sigmoid, hard swish):
 * one node kind whose attribute picks the function, and a convenience builder per function. */
#include <math.h>
#include <stdio.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "../kernels/ref/activation.h"
#include "fovea/ops.h"

typedef struct {
    int kind;    /* fv_activation_kind, kept as int so an out-of-range value can be reported */
    float alpha; /* leaky relu's negative slope or ELU's alpha */
} act_attr;

static const char *const act_names[FV_ACT_COUNT] = {
    [FV_ACT_RELU] = "relu",       [FV_ACT_LEAKY_RELU] = "leaky_relu",     [FV_ACT_RELU6] = "relu6",
    [FV_ACT_ELU] = "elu",         [FV_ACT_SIGMOID] = "sigmoid",           [FV_ACT_TANH] = "tanh",
    [FV_ACT_SILU] = "silu",       [FV_ACT_HARD_SIGMOID] = "hard_sigmoid", [FV_ACT_HARD_SWISH] = "hard_swish",
};

const char *fv_activation_name(fv_activation_kind kind)
{
    return (int)kind >= 0 && kind < FV_ACT_COUNT ? act_names[kind] : "unknown";
}

static fv_status act_infer(fv_graph *g, fv_node *n)
{
    const act_attr *a = n->attr;
    if (a->kind < 0 || a->kind >= FV_ACT_COUNT)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown activation kind %d (valid kinds are 0 to %d)", a->kind,
                             FV_ACT_COUNT - 1);
    if ((a->kind == FV_ACT_LEAKY_RELU || a->kind == FV_ACT_ELU) && !isfinite(a->alpha))
        return fv_node_error(g, n, FV_ERR_ARG, "%s alpha %g is not finite", act_names[a->kind], a->alpha);
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

static fv_status act_forward(fv_graph *g, fv_node *n)
{
    const act_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    fv_activation_forward(g->ctx, fv_f32(&n->value), fv_f32(x), x->size, a->kind, a->alpha);
    return FV_OK;
}

static void act_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, 0)) return;
    const act_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    fv_activation_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_f32(x), x->size, a->kind, a->alpha,
                           fv_grad_fresh(n, 0));
}

float fv_activation_clamp(const fv_node *n)
{
    const act_attr *a = n->attr;
    return a->kind == FV_ACT_RELU ? INFINITY : a->kind == FV_ACT_RELU6 ? 6.0f : 0.0f;
}

const fv_op_def fv_op_activation = {"activation", act_infer, act_forward, act_backward, false};

fv_node *fv_activation(fv_graph *g, fv_node *x, fv_activation_kind kind, float alpha)
{
    act_attr a = {(int)kind, alpha};
    fv_node *n = fv_graph_add(g, FV_OP_ACTIVATION, &x, 1, 1, &a, sizeof a);
    /* Name the node after its function ("relu_4"), which reads better in summaries than "activation_4". */
    if (n) snprintf(n->name, sizeof n->name, "%s_%d", act_names[a.kind], n->id);
    return n;
}

fv_node *fv_relu(fv_graph *g, fv_node *x) { return fv_activation(g, x, FV_ACT_RELU, 0.0f); }
fv_node *fv_leaky_relu(fv_graph *g, fv_node *x, float slope) { return fv_activation(g, x, FV_ACT_LEAKY_RELU, slope); }
fv_node *fv_relu6(fv_graph *g, fv_node *x) { return fv_activation(g, x, FV_ACT_RELU6, 0.0f); }
fv_node *fv_elu(fv_graph *g, fv_node *x, float alpha) { return fv_activation(g, x, FV_ACT_ELU, alpha); }
fv_node *fv_sigmoid(fv_graph *g, fv_node *x) { return fv_activation(g, x, FV_ACT_SIGMOID, 0.0f); }
fv_node *fv_tanh(fv_graph *g, fv_node *x) { return fv_activation(g, x, FV_ACT_TANH, 0.0f); }
fv_node *fv_silu(fv_graph *g, fv_node *x) { return fv_activation(g, x, FV_ACT_SILU, 0.0f); }
fv_node *fv_hard_sigmoid(fv_graph *g, fv_node *x) { return fv_activation(g, x, FV_ACT_HARD_SIGMOID, 0.0f); }
fv_node *fv_hard_swish(fv_graph *g, fv_node *x) { return fv_activation(g, x, FV_ACT_HARD_SWISH, 0.0f); }
