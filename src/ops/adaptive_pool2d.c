/* Adaptive average pooling (PyTorch's adaptive_avg_pool2d): the output size is fixed and the windows follow
 * from the input size, which is how torchvision's AlexNet and VGG take inputs other than 224x224. */
#include "../graph/graph_internal.h"
#include "../kernels/ref/adaptive_pool.h"
#include "fovea/ops.h"

typedef struct {
    int out_h, out_w;
} adaptive_attr;

static fv_status adaptive_avg_pool2d_infer(fv_graph *g, fv_node *n)
{
    const adaptive_attr *at = n->attr;
    fv_status s = fv_expect(g, n, 0, 4, "input x (N, C, H, W)");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    if (at->out_h <= 0 || at->out_w <= 0)
        return fv_node_error(g, n, FV_ERR_ARG, "output size %dx%d for x %s must be at least 1x1", at->out_h,
                             at->out_w, fv_dims(x));
    if (x->shape[2] < 1 || x->shape[3] < 1)
        return fv_node_error(g, n, FV_ERR_SHAPE, "x %s has an empty plane", fv_dims(x));
    fv_node_set_shape(n, FV_F32, 4, (int64_t[]){x->shape[0], x->shape[1], at->out_h, at->out_w});
    return FV_OK;
}

static fv_status adaptive_avg_pool2d_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    const int64_t *xs = n->in[0]->value.shape;
    fv_ref_adaptive_avg_pool2d_forward(fv_f32(&n->value), fv_f32(&n->in[0]->value), xs[0] * xs[1], xs[2], xs[3],
                                       n->value.shape[2], n->value.shape[3]);
    return FV_OK;
}

static void adaptive_avg_pool2d_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    if (!fv_wants_grad(n, 0)) return;
    const int64_t *xs = n->in[0]->value.shape;
    fv_ref_adaptive_avg_pool2d_backward(fv_f32(&n->in[0]->grad), fv_f32(&n->grad), xs[0] * xs[1], xs[2], xs[3],
                                        n->value.shape[2], n->value.shape[3]);
}

const fv_op_def fv_op_adaptive_avg_pool2d = {"adaptive_avg_pool2d", adaptive_avg_pool2d_infer,
                                             adaptive_avg_pool2d_forward, adaptive_avg_pool2d_backward, false};

fv_node *fv_adaptive_avg_pool2d(fv_graph *g, fv_node *x, int out_h, int out_w)
{
    adaptive_attr at = {out_h, out_w};
    return fv_graph_add(g, FV_OP_ADAPTIVE_AVG_POOL2D, (fv_node *[]){x}, 1, 1, &at, sizeof at);
}
