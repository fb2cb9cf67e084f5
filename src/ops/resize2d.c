/* Spatial resizing of NCHW tensors, PyTorch's F.interpolate with mode 'nearest' or 'bilinear': to a given
 * size (fv_resize2d) or by integer factors (fv_upsample2d). One op serves both; the factors are kept because
 * PyTorch maps coordinates with 1/scale when a scale factor is given, and so that a new input size rescales. */
#include <limits.h>

#include "../graph/graph_internal.h"
#include "../kernels/ref/resize.h"
#include "fovea/ops.h"

typedef struct {
    int out_h, out_w;     /* the output size (fv_resize2d) */
    int scale_h, scale_w; /* the factors (fv_upsample2d) */
    bool upsample;        /* sized by scale_h, scale_w rather than out_h, out_w */
    fv_resize_mode mode;
    bool align_corners;   /* bilinear only; nearest ignores it */
} resize_attr;

static fv_status resize2d_infer(fv_graph *g, fv_node *n)
{
    const resize_attr *at = n->attr;
    fv_status s = fv_expect(g, n, 0, 4, "input x (N, C, H, W)");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    if (at->mode != FV_RESIZE_NEAREST && at->mode != FV_RESIZE_BILINEAR)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown mode %d (nearest %d or bilinear %d)", (int)at->mode,
                             FV_RESIZE_NEAREST, FV_RESIZE_BILINEAR);
    int64_t oh = at->out_h, ow = at->out_w;
    if (at->upsample) {
        if (at->scale_h <= 0 || at->scale_w <= 0)
            return fv_node_error(g, n, FV_ERR_ARG, "scale %dx%d for x %s must be at least 1x1", at->scale_h,
                                 at->scale_w, fv_dims(x));
        if (x->shape[2] > INT32_MAX || x->shape[3] > INT32_MAX) /* keeps the products below from overflowing */
            return fv_node_error(g, n, FV_ERR_SHAPE, "x %s is too large to upsample", fv_dims(x));
        oh = x->shape[2] * at->scale_h;
        ow = x->shape[3] * at->scale_w;
    } else if (oh <= 0 || ow <= 0) {
        return fv_node_error(g, n, FV_ERR_ARG, "output size %lldx%lld for x %s must be at least 1x1", (long long)oh,
                             (long long)ow, fv_dims(x));
    }
    fv_node_set_shape(n, FV_F32, 4, (int64_t[]){x->shape[0], x->shape[1], oh, ow});
    return FV_OK;
}

static fv_ref_resize_geom geometry(const fv_node *n)
{
    const resize_attr *at = n->attr;
    const int64_t *xs = n->in[0]->value.shape, *ys = n->value.shape;
    double sh = at->upsample ? at->scale_h : 0.0, sw = at->upsample ? at->scale_w : 0.0;
    fv_ref_resize_geom p = {xs[0] * xs[1], xs[2], xs[3], ys[2], ys[3], sh, sw};
    return p;
}

static fv_status resize2d_forward(fv_graph *g, fv_node *n)
{
    (void)g;
    const resize_attr *at = n->attr;
    fv_ref_resize_geom p = geometry(n);
    if (at->mode == FV_RESIZE_NEAREST)
        fv_ref_resize_nearest_forward(fv_f32(&n->value), fv_f32(&n->in[0]->value), &p);
    else
        fv_ref_resize_bilinear_forward(fv_f32(&n->value), fv_f32(&n->in[0]->value), &p, at->align_corners);
    return FV_OK;
}

static void resize2d_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    const resize_attr *at = n->attr;
    if (!fv_wants_grad(n, 0)) return;
    fv_ref_resize_geom p = geometry(n);
    if (at->mode == FV_RESIZE_NEAREST)
        fv_ref_resize_nearest_backward(fv_f32(&n->in[0]->grad), fv_f32(&n->grad), &p);
    else
        fv_ref_resize_bilinear_backward(fv_f32(&n->in[0]->grad), fv_f32(&n->grad), &p, at->align_corners);
}

const fv_op_def fv_op_resize2d = {"resize2d", resize2d_infer, resize2d_forward, resize2d_backward, false};

fv_node *fv_resize2d(fv_graph *g, fv_node *x, int out_h, int out_w, fv_resize_mode mode, bool align_corners)
{
    resize_attr at = {out_h, out_w, 0, 0, false, mode, align_corners};
    return fv_graph_add(g, FV_OP_RESIZE2D, (fv_node *[]){x}, 1, 1, &at, sizeof at);
}

fv_node *fv_upsample2d(fv_graph *g, fv_node *x, int scale_h, int scale_w, fv_resize_mode mode, bool align_corners)
{
    resize_attr at = {0, 0, scale_h, scale_w, true, mode, align_corners};
    return fv_graph_add(g, FV_OP_RESIZE2D, (fv_node *[]){x}, 1, 1, &at, sizeof at);
}
