/* Global average and max pooling: each (H, W) plane of an NCHW tensor to one value, (N, C, H, W) ->
 * (N, C, 1, 1), as PyTorch's adaptive pools with output size 1. */
#include <limits.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "../kernels/ref/pool.h"
#include "fovea/ops.h"

enum { AUX_ARGMAX }; /* global max: int32 (N, C), index of each plane's maximum */

static fv_status global_pool2d_infer(fv_graph *g, fv_node *n)
{
    fv_status s = fv_expect(g, n, 0, 4, "input x (N, C, H, W)");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    if (x->shape[2] * x->shape[3] > INT32_MAX) /* the argmax is an int32 index into one plane */
        return fv_node_error(g, n, FV_ERR_SHAPE, "input planes of x %s have more than 2^31 elements", fv_dims(x));
    fv_node_set_shape(n, FV_F32, 4, (int64_t[]){x->shape[0], x->shape[1], 1, 1});
    return FV_OK;
}

/* Planes (N*C) and elements per plane (H*W) of the input. */
static int64_t planes(const fv_node *n) { return n->in[0]->value.shape[0] * n->in[0]->value.shape[1]; }
static int64_t plane_size(const fv_node *n) { return n->in[0]->value.shape[2] * n->in[0]->value.shape[3]; }

static fv_status global_avg_pool2d_forward(fv_graph *g, fv_node *n)
{
    fv_global_avg_pool2d_forward(g->ctx, fv_f32(&n->value), fv_f32(&n->in[0]->value), planes(n), plane_size(n));
    return FV_OK;
}

static void global_avg_pool2d_backward(fv_graph *g, fv_node *n)
{
    if (fv_wants_grad(n, 0))
        fv_global_avg_pool2d_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), planes(n), plane_size(n));
}

static fv_status global_max_pool2d_forward(fv_graph *g, fv_node *n)
{
    fv_status s = fv_node_aux(g, n, AUX_ARGMAX, FV_I32, 2, n->value.shape);
    if (s) return s;
    fv_ref_global_max_pool2d_forward(fv_f32(&n->value), fv_i32(&n->aux[AUX_ARGMAX]), fv_f32(&n->in[0]->value),
                                     planes(n), plane_size(n));
    return FV_OK;
}

static void global_max_pool2d_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    if (fv_wants_grad(n, 0))
        fv_ref_global_max_pool2d_backward(fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_i32(&n->aux[AUX_ARGMAX]),
                                          planes(n), plane_size(n));
}

const fv_op_def fv_op_global_avg_pool2d = {"global_avg_pool2d", global_pool2d_infer, global_avg_pool2d_forward,
                                           global_avg_pool2d_backward, false};
const fv_op_def fv_op_global_max_pool2d = {"global_max_pool2d", global_pool2d_infer, global_max_pool2d_forward,
                                           global_max_pool2d_backward, false};

fv_node *fv_global_avg_pool2d(fv_graph *g, fv_node *x)
{
    return fv_graph_add(g, FV_OP_GLOBAL_AVG_POOL2D, (fv_node *[]){x}, 1, 1, NULL, 0);
}

fv_node *fv_global_max_pool2d(fv_graph *g, fv_node *x)
{
    return fv_graph_add(g, FV_OP_GLOBAL_MAX_POOL2D, (fv_node *[]){x}, 1, 1, NULL, 0);
}
