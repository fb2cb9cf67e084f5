/* Elementwise regression losses, mean over all elements (PyTorch's MSELoss, L1Loss, SmoothL1Loss): one
 * scalar node, with gradients for both the prediction and the target. */
#include <math.h>

#include "../graph/graph_internal.h"
#include "../kernels/ref/loss.h"
#include "fovea/ops.h"

enum { IN_PRED, IN_TARGET };

typedef struct {
    fv_ref_regression_kind kind;
    float beta; /* smooth L1 only */
} reg_attr;

static fv_status reg_infer(fv_graph *g, fv_node *n)
{
    const reg_attr *at = n->attr;
    fv_status s;
    if ((s = fv_expect(g, n, IN_PRED, -1, "pred")) || (s = fv_expect(g, n, IN_TARGET, -1, "target"))) return s;
    const fv_tensor *p = &n->in[IN_PRED]->value, *t = &n->in[IN_TARGET]->value;
    if (!fv_same_shape(p, t))
        return fv_node_error(g, n, FV_ERR_SHAPE, "pred %s and target %s must have the same shape", fv_dims(p),
                             fv_dims(t));
    if (at->kind == FV_REF_SMOOTH_L1 && !(at->beta >= 0.0f && isfinite(at->beta)))
        return fv_node_error(g, n, FV_ERR_ARG, "beta %g must be finite and >= 0", (double)at->beta);
    fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

static fv_status reg_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    const reg_attr *at = n->attr;
    const fv_tensor *p = &n->in[IN_PRED]->value;
    fv_ref_regression_loss_forward(fv_f32(&n->value), fv_f32(p), fv_f32(&n->in[IN_TARGET]->value), p->size, at->kind,
                                   at->beta);
    return FV_OK;
}

static void reg_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    const reg_attr *at = n->attr;
    const fv_tensor *p = &n->in[IN_PRED]->value;
    fv_ref_regression_loss_backward(fv_wants_grad(n, IN_PRED) ? fv_f32(&n->in[IN_PRED]->grad) : NULL,
                                    fv_wants_grad(n, IN_TARGET) ? fv_f32(&n->in[IN_TARGET]->grad) : NULL,
                                    fv_f32(&n->grad)[0], fv_f32(p), fv_f32(&n->in[IN_TARGET]->value), p->size,
                                    at->kind, at->beta);
}

const fv_op_def fv_op_mse_loss = {"mse_loss", reg_infer, reg_forward, reg_backward, false};
const fv_op_def fv_op_l1_loss = {"l1_loss", reg_infer, reg_forward, reg_backward, false};
const fv_op_def fv_op_smooth_l1_loss = {"smooth_l1_loss", reg_infer, reg_forward, reg_backward, false};

static fv_node *add(fv_graph *g, fv_op_kind op, fv_node *pred, fv_node *target, fv_ref_regression_kind kind,
                    float beta)
{
    reg_attr at = {kind, beta};
    return fv_graph_add(g, op, (fv_node *[]){pred, target}, 2, 2, &at, sizeof at);
}

fv_node *fv_mse_loss(fv_graph *g, fv_node *pred, fv_node *target)
{
    return add(g, FV_OP_MSE_LOSS, pred, target, FV_REF_MSE, 0.0f);
}

fv_node *fv_l1_loss(fv_graph *g, fv_node *pred, fv_node *target)
{
    return add(g, FV_OP_L1_LOSS, pred, target, FV_REF_L1, 0.0f);
}

fv_node *fv_smooth_l1_loss(fv_graph *g, fv_node *pred, fv_node *target, float beta)
{
    return add(g, FV_OP_SMOOTH_L1_LOSS, pred, target, FV_REF_SMOOTH_L1, beta);
}
