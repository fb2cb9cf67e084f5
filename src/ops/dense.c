/* Dense (fully connected) op: y = x w^T + b, PyTorch's nn.Linear layout. */
#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

enum { IN_X, IN_W, IN_B };

static fv_status dense_infer(fv_graph *g, fv_node *n)
{
    fv_status s;
    if ((s = fv_expect(g, n, IN_X, 2, "input x (N, in)")) || (s = fv_expect(g, n, IN_W, 2, "weight (out, in)")))
        return s;
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value;
    if (x->shape[1] != w->shape[1])
        return fv_node_error(g, n, FV_ERR_SHAPE, "input %s has %lld features but weight %s expects %lld", fv_dims(x),
                             (long long)x->shape[1], fv_dims(w), (long long)w->shape[1]);
    if (n->in[IN_B]) {
        if ((s = fv_expect(g, n, IN_B, 1, "bias (out)"))) return s;
        const fv_tensor *b = &n->in[IN_B]->value;
        if (b->shape[0] != w->shape[0])
            return fv_node_error(g, n, FV_ERR_SHAPE, "bias %s does not match weight %s", fv_dims(b), fv_dims(w));
    }
    fv_node_set_shape(n, FV_F32, 2, (int64_t[]){x->shape[0], w->shape[0]});
    return FV_OK;
}

static fv_status dense_forward(fv_graph *g, fv_node *n)
{
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value;
    const float *b = n->in[IN_B] ? fv_f32(&n->in[IN_B]->value) : NULL;
    fv_dense_forward(g->ctx, fv_f32(&n->value), fv_f32(x), fv_f32(w), b, x->shape[0], x->shape[1], w->shape[0]);
    return FV_OK;
}

static void dense_backward(fv_graph *g, fv_node *n)
{
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value;
    fv_dense_backward(g->ctx, fv_wants_grad(n, IN_X) ? fv_f32(&n->in[IN_X]->grad) : NULL,
                          fv_wants_grad(n, IN_W) ? fv_f32(&n->in[IN_W]->grad) : NULL,
                          fv_wants_grad(n, IN_B) ? fv_f32(&n->in[IN_B]->grad) : NULL, fv_f32(&n->grad), fv_f32(x),
                          fv_f32(w), x->shape[0], x->shape[1], w->shape[0]);
}

const fv_op_def fv_op_dense = {"dense", dense_infer, dense_forward, dense_backward, false};

fv_node *fv_dense(fv_graph *g, fv_node *x, fv_node *w, fv_node *b)
{
    return fv_graph_add(g, FV_OP_DENSE, (fv_node *[]){x, w, b}, 3, 2, NULL, 0);
}
