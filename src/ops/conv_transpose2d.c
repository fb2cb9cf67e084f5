/* Transposed 2-D convolution op (PyTorch's ConvTranspose2d), with asymmetric padding removed from the full
 * output. It is the adjoint of conv2d, so it runs conv2d's kernels with input and output swapped: its forward
 * is conv2d's input gradient, its input gradient is conv2d's forward. */
#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "../kernels/ref/conv.h"
#include "fovea/ops.h"

enum { IN_X, IN_W, IN_B };

fv_conv_transpose2d_args fv_conv_transpose2d_defaults(void)
{
    return (fv_conv_transpose2d_args){.stride = {1, 1}, .dilation = {1, 1}, .groups = 1};
}

static fv_status check_args(fv_graph *g, fv_node *n, const fv_conv_transpose2d_args *a)
{
    if (a->groups < 1) return fv_node_error(g, n, FV_ERR_ARG, "groups %d must be >= 1", a->groups);
    if (a->stride[0] < 1 || a->stride[1] < 1)
        return fv_node_error(g, n, FV_ERR_ARG, "stride %dx%d must be >= 1", a->stride[0], a->stride[1]);
    if (a->dilation[0] < 1 || a->dilation[1] < 1)
        return fv_node_error(g, n, FV_ERR_ARG, "dilation %dx%d must be >= 1", a->dilation[0], a->dilation[1]);
    if (a->pad[0] < 0 || a->pad[1] < 0 || a->pad[2] < 0 || a->pad[3] < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "padding (top %d, left %d, bottom %d, right %d) must be >= 0",
                             a->pad[0], a->pad[1], a->pad[2], a->pad[3]);
    for (int i = 0; i < 2; i++) {
        int op = a->output_padding[i];
        /* PyTorch's rule: the extra rows must fall where no stride step or dilated tap would reach */
        if (op < 0 || (op >= a->stride[i] && op >= a->dilation[i]))
            return fv_node_error(g, n, FV_ERR_ARG,
                                 "output_padding %dx%d must be >= 0 and smaller than stride %dx%d or dilation %dx%d",
                                 a->output_padding[0], a->output_padding[1], a->stride[0], a->stride[1],
                                 a->dilation[0], a->dilation[1]);
    }
    return FV_OK;
}

/* w (Cin, Cout/groups, kH, kW): Cin matches x and groups divides it. */
static fv_status check_channels(fv_graph *g, fv_node *n, int groups)
{
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value;
    if (w->shape[0] < 1 || w->shape[1] < 1 || w->shape[2] < 1 || w->shape[3] < 1)
        return fv_node_error(g, n, FV_ERR_SHAPE, "weight %s has an empty dimension", fv_dims(w));
    if (x->shape[1] != w->shape[0])
        return fv_node_error(g, n, FV_ERR_SHAPE, "x %s has %lld channels but weight %s expects %lld", fv_dims(x),
                             (long long)x->shape[1], fv_dims(w), (long long)w->shape[0]);
    if (x->shape[1] % groups)
        return fv_node_error(g, n, FV_ERR_SHAPE, "groups %d do not divide the %lld input channels of x %s", groups,
                             (long long)x->shape[1], fv_dims(x));
    return FV_OK;
}

static fv_status check_bias(fv_graph *g, fv_node *n, int64_t cout)
{
    if (!n->in[IN_B]) return FV_OK;
    fv_status s = fv_expect(g, n, IN_B, 1, "bias (Cout)");
    if (s) return s;
    const fv_tensor *b = &n->in[IN_B]->value;
    if (b->shape[0] != cout)
        return fv_node_error(g, n, FV_ERR_SHAPE, "bias %s does not match the %lld output channels of weight %s",
                             fv_dims(b), (long long)cout, fv_dims(&n->in[IN_W]->value));
    return FV_OK;
}

/* Output size along one axis: the full output, less the padding, plus output_padding. */
static int64_t out_size(int64_t in, int64_t k, int stride, int before, int after, int dil, int extra)
{
    return (in - 1) * stride - before - after + (int64_t)dil * (k - 1) + extra + 1;
}

static fv_status convt_infer(fv_graph *g, fv_node *n)
{
    const fv_conv_transpose2d_args *a = n->attr;
    fv_status s;
    if ((s = fv_expect(g, n, IN_X, 4, "input x (N, C, H, W)")) ||
        (s = fv_expect(g, n, IN_W, 4, "weight (Cin, Cout/groups, kH, kW)")) || (s = check_args(g, n, a)) ||
        (s = check_channels(g, n, a->groups)))
        return s;
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value;
    int64_t cout = w->shape[1] * a->groups;
    if ((s = check_bias(g, n, cout))) return s;
    int64_t oh = out_size(x->shape[2], w->shape[2], a->stride[0], a->pad[0], a->pad[2], a->dilation[0],
                          a->output_padding[0]);
    int64_t ow = out_size(x->shape[3], w->shape[3], a->stride[1], a->pad[1], a->pad[3], a->dilation[1],
                          a->output_padding[1]);
    if (x->shape[2] < 1 || x->shape[3] < 1)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input x %s has no pixels", fv_dims(x));
    if (oh < 1 || ow < 1)
        return fv_node_error(g, n, FV_ERR_SHAPE,
                             "output would be %lldx%lld: padding (top %d, left %d, bottom %d, right %d) too large "
                             "for x %s and kernel %lldx%lld",
                             (long long)oh, (long long)ow, a->pad[0], a->pad[1], a->pad[2], a->pad[3], fv_dims(x),
                             (long long)w->shape[2], (long long)w->shape[3]);
    fv_node_set_shape(n, FV_F32, 4, (int64_t[]){x->shape[0], cout, oh, ow});
    return FV_OK;
}

/* The conv2d this op is the transpose of: its input has our output's shape and its output our input's. */
static fv_conv_geom geometry(const fv_node *n)
{
    const fv_conv_transpose2d_args *a = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value, *y = &n->value;
    return (fv_conv_geom){.N = y->shape[0], .C = y->shape[1], .H = y->shape[2], .W = y->shape[3],
                          .OC = x->shape[1], .OH = x->shape[2], .OW = x->shape[3],
                          .KH = w->shape[2], .KW = w->shape[3],
                          .sh = a->stride[0], .sw = a->stride[1],
                          .pt = a->pad[0], .pl = a->pad[1],
                          .dh = a->dilation[0], .dw = a->dilation[1],
                          .groups = a->groups};
}

static fv_status convt_forward(fv_graph *g, fv_node *n)
{
    fv_conv_geom geo = geometry(n);
    const float *b = n->in[IN_B] ? fv_f32(&n->in[IN_B]->value) : NULL;
    float *y = fv_f32(&n->value);
    if (b) fv_conv2d_fill_bias(g->ctx, y, b, geo.N, geo.C, geo.H * geo.W);
    fv_conv2d_backward_input(g->ctx, y, fv_f32(&n->in[IN_X]->value), fv_f32(&n->in[IN_W]->value), !b, &geo);
    return FV_OK;
}

static void convt_backward(fv_graph *g, fv_node *n)
{
    fv_conv_geom geo = geometry(n);
    const float *dy = fv_f32(&n->grad);
    if (fv_grad_fresh(n, IN_X))
        fv_conv2d_forward(g->ctx, fv_f32(&n->in[IN_X]->grad), dy, fv_f32(&n->in[IN_W]->value), NULL, 0.0f, &geo, NULL);
    else if (fv_wants_grad(n, IN_X))
        fv_conv2d_forward_add(g->ctx, fv_f32(&n->in[IN_X]->grad), dy, fv_f32(&n->in[IN_W]->value), &geo);
    if (fv_wants_grad(n, IN_W))
        fv_conv2d_backward_weight(g->ctx, fv_f32(&n->in[IN_W]->grad), fv_f32(&n->in[IN_X]->value), dy, &geo);
    if (fv_wants_grad(n, IN_B))
        fv_conv2d_backward_bias(g->ctx, fv_f32(&n->in[IN_B]->grad), dy, geo.N, geo.C, geo.H * geo.W);
}

const fv_op_def fv_op_conv_transpose2d = {"conv_transpose2d", convt_infer, convt_forward, convt_backward, false};

fv_node *fv_conv_transpose2d(fv_graph *g, fv_node *x, fv_node *w, fv_node *b, const fv_conv_transpose2d_args *a)
{
    fv_conv_transpose2d_args at = a ? *a : fv_conv_transpose2d_defaults();
    return fv_graph_add(g, FV_OP_CONV_TRANSPOSE2D, (fv_node *[]){x, w, b}, 3, 2, &at, sizeof at);
}
