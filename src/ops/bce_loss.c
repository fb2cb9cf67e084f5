/* Binary cross-entropy on logits (PyTorch's BCEWithLogitsLoss, reduction 'mean'), in the stable form
 * max(x, 0) - x t + log(1 + exp(-|x|)); gradients for the logits and the targets. A scalar node. */
#include "../graph/graph_internal.h"
#include "../kernels/ref/loss.h"
#include "fovea/ops.h"

enum { IN_X, IN_T };

static fv_status bce_infer(fv_graph *g, fv_node *n)
{
    fv_status s;
    if ((s = fv_expect(g, n, IN_X, -1, "logits")) || (s = fv_expect(g, n, IN_T, -1, "targets"))) return s;
    const fv_tensor *x = &n->in[IN_X]->value, *t = &n->in[IN_T]->value;
    if (!fv_same_shape(x, t))
        return fv_node_error(g, n, FV_ERR_SHAPE, "logits %s and targets %s must have the same shape", fv_dims(x),
                             fv_dims(t));
    fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

static fv_status bce_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    const fv_tensor *x = &n->in[IN_X]->value;
    fv_ref_bce_with_logits_forward(fv_f32(&n->value), fv_f32(x), fv_f32(&n->in[IN_T]->value), x->size);
    return FV_OK;
}

static void bce_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    const fv_tensor *x = &n->in[IN_X]->value;
    fv_ref_bce_with_logits_backward(fv_wants_grad(n, IN_X) ? fv_f32(&n->in[IN_X]->grad) : NULL,
                                    fv_wants_grad(n, IN_T) ? fv_f32(&n->in[IN_T]->grad) : NULL, fv_f32(&n->grad)[0],
                                    fv_f32(x), fv_f32(&n->in[IN_T]->value), x->size);
}

const fv_op_def fv_op_bce_with_logits = {"bce_with_logits", bce_infer, bce_forward, bce_backward, false};

fv_node *fv_bce_with_logits(fv_graph *g, fv_node *logits, fv_node *targets)
{
    return fv_graph_add(g, FV_OP_BCE_WITH_LOGITS, (fv_node *[]){logits, targets}, 2, 2, NULL, 0);
}
