/* Constant padding of H and W of an NCHW tensor (PyTorch's F.pad with mode 'constant' on the last two
 * dimensions), with separate top, left, bottom and right amounts. */
#include "../graph/graph_internal.h"
#include "../kernels/ref/pad.h"
#include "fovea/ops.h"

typedef struct {
    int pad[4]; /* top, left, bottom, right */
    float value;
} pad2d_attr;

static fv_status pad2d_infer(fv_graph *g, fv_node *n)
{
    const pad2d_attr *at = n->attr;
    const int *p = at->pad;
    fv_status s = fv_expect(g, n, 0, 4, "input x (N, C, H, W)");
    if (s) return s;
    if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "pad (top %d, left %d, bottom %d, right %d) must be >= 0", p[0], p[1],
                             p[2], p[3]);
    const fv_tensor *x = &n->in[0]->value;
    fv_node_set_shape(n, FV_F32, 4,
                      (int64_t[]){x->shape[0], x->shape[1], x->shape[2] + p[0] + p[2], x->shape[3] + p[1] + p[3]});
    return FV_OK;
}

static fv_status pad2d_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    const pad2d_attr *at = n->attr;
    const int64_t *xs = n->in[0]->value.shape;
    fv_ref_pad2d_forward(fv_f32(&n->value), fv_f32(&n->in[0]->value), xs[0] * xs[1], xs[2], xs[3], at->pad[0],
                         at->pad[1], at->pad[2], at->pad[3], at->value);
    return FV_OK;
}

static void pad2d_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    const pad2d_attr *at = n->attr;
    const int64_t *xs = n->in[0]->value.shape;
    if (!fv_wants_grad(n, 0)) return;
    fv_ref_pad2d_backward(fv_f32(&n->in[0]->grad), fv_f32(&n->grad), xs[0] * xs[1], xs[2], xs[3], at->pad[0],
                          at->pad[1], at->pad[2], at->pad[3]);
}

const fv_op_def fv_op_pad2d = {"pad2d", pad2d_infer, pad2d_forward, pad2d_backward, false};

fv_node *fv_pad2d(fv_graph *g, fv_node *x, const int pad[4], float value)
{
    if (!g) return NULL;
    if (!pad) {
        fv_error(g->ctx, FV_ERR_ARG, "pad2d: pad is NULL");
        return NULL;
    }
    pad2d_attr at = {{pad[0], pad[1], pad[2], pad[3]}, value};
    return fv_graph_add(g, FV_OP_PAD2D, (fv_node *[]){x}, 1, 1, &at, sizeof at);
}
