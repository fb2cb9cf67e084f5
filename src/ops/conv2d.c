/* 2-D convolution op (PyTorch's Conv2d): strides, explicit asymmetric padding or TensorFlow's 'same' and
 * 'valid', dilation and groups (depthwise when groups == channels). The kernels are in kernels/ref/conv.c.
 * Inference graphs may also give it a per-channel map of its input (fused.h). */
#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "../kernels/ref/conv.h"
#include "fovea/ops.h"
#include "fused.h"

enum { IN_X, IN_W, IN_B, IN_SCALE, IN_SHIFT };

typedef struct {
    fv_conv2d_args args;
    int64_t pad[4]; /* the padding in use (top, left, bottom, right): 'same' depends on the input size */
    bool clamped;   /* fused activation: the output is clamped to [0, hi] (ReLU: hi infinite; ReLU6: 6) */
    float hi;
    bool mapped;    /* the input is mapped by scale and shift, clamped to [0, in_hi] when in_hi > 0 (fused.h) */
    float in_hi;
} conv_attr;

fv_conv2d_args fv_conv2d_defaults(void)
{
    return (fv_conv2d_args){.stride = {1, 1}, .pad_mode = FV_PAD_EXPLICIT, .dilation = {1, 1}, .groups = 1};
}

static fv_status check_args(fv_graph *g, fv_node *n, const fv_conv2d_args *a)
{
    if (a->groups < 1) return fv_node_error(g, n, FV_ERR_ARG, "groups %d must be >= 1", a->groups);
    if (a->stride[0] < 1 || a->stride[1] < 1)
        return fv_node_error(g, n, FV_ERR_ARG, "stride %dx%d must be >= 1", a->stride[0], a->stride[1]);
    if (a->dilation[0] < 1 || a->dilation[1] < 1)
        return fv_node_error(g, n, FV_ERR_ARG, "dilation %dx%d must be >= 1", a->dilation[0], a->dilation[1]);
    if (a->pad_mode != FV_PAD_EXPLICIT && a->pad_mode != FV_PAD_SAME && a->pad_mode != FV_PAD_VALID)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown pad_mode %d", (int)a->pad_mode);
    if (a->pad_mode == FV_PAD_EXPLICIT && (a->pad[0] < 0 || a->pad[1] < 0 || a->pad[2] < 0 || a->pad[3] < 0))
        return fv_node_error(g, n, FV_ERR_ARG, "padding (top %d, left %d, bottom %d, right %d) must be >= 0",
                             a->pad[0], a->pad[1], a->pad[2], a->pad[3]);
    return FV_OK;
}

/* Cin == w.shape[1] * groups, and groups divides both channel counts. */
static fv_status check_channels(fv_graph *g, fv_node *n, int groups)
{
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value;
    if (w->shape[0] < 1 || w->shape[1] < 1 || w->shape[2] < 1 || w->shape[3] < 1)
        return fv_node_error(g, n, FV_ERR_SHAPE, "weight %s has an empty dimension", fv_dims(w));
    if (x->shape[1] % groups)
        return fv_node_error(g, n, FV_ERR_SHAPE, "groups %d do not divide the %lld input channels of x %s", groups,
                             (long long)x->shape[1], fv_dims(x));
    if (w->shape[0] % groups)
        return fv_node_error(g, n, FV_ERR_SHAPE, "groups %d do not divide the %lld output channels of weight %s",
                             groups, (long long)w->shape[0], fv_dims(w));
    if (x->shape[1] != w->shape[1] * groups)
        return fv_node_error(g, n, FV_ERR_SHAPE,
                             "x %s has %lld channels but weight %s with %d group(s) expects %lld", fv_dims(x),
                             (long long)x->shape[1], fv_dims(w), groups, (long long)(w->shape[1] * groups));
    return FV_OK;
}

static fv_status check_bias(fv_graph *g, fv_node *n)
{
    if (!n->in[IN_B]) return FV_OK;
    fv_status s = fv_expect(g, n, IN_B, 1, "bias (Cout)");
    if (s) return s;
    const fv_tensor *b = &n->in[IN_B]->value, *w = &n->in[IN_W]->value;
    if (b->shape[0] != w->shape[0])
        return fv_node_error(g, n, FV_ERR_SHAPE, "bias %s does not match the %lld output channels of weight %s",
                             fv_dims(b), (long long)w->shape[0], fv_dims(w));
    return FV_OK;
}

/* 'same' along one axis, TensorFlow's rule: out = ceil(in / stride); the total padding that gives it, with
 * the odd one at the end (bottom or right). */
static void same_pad(int64_t in, int64_t k, int64_t stride, int64_t dil, int64_t *before, int64_t *after)
{
    int64_t out = (in + stride - 1) / stride;
    int64_t total = (out - 1) * stride + dil * (k - 1) + 1 - in;
    if (total < 0) total = 0;
    *before = total / 2;
    *after = total - total / 2;
}

static void resolve_pad(conv_attr *at, const fv_tensor *x, const fv_tensor *w)
{
    const fv_conv2d_args *a = &at->args;
    for (int i = 0; i < 4; i++) at->pad[i] = a->pad_mode == FV_PAD_EXPLICIT ? a->pad[i] : 0;
    if (a->pad_mode != FV_PAD_SAME) return;
    same_pad(x->shape[2], w->shape[2], a->stride[0], a->dilation[0], &at->pad[0], &at->pad[2]);
    same_pad(x->shape[3], w->shape[3], a->stride[1], a->dilation[1], &at->pad[1], &at->pad[3]);
}

/* The input map's scale and shift: one value per input channel. */
static fv_status check_map(fv_graph *g, fv_node *n)
{
    const conv_attr *at = n->attr;
    if (!at->mapped) return FV_OK;
    fv_status s;
    if ((s = fv_expect(g, n, IN_SCALE, 1, "input scale (Cin)")) || (s = fv_expect(g, n, IN_SHIFT, 1, "input shift (Cin)")))
        return s;
    int64_t C = n->in[IN_X]->value.shape[1];
    for (int i = IN_SCALE; i <= IN_SHIFT; i++)
        if (n->in[i]->value.shape[0] != C)
            return fv_node_error(g, n, FV_ERR_SHAPE, "input %s %s does not match the %lld channels of x %s",
                                 i == IN_SCALE ? "scale" : "shift", fv_dims(&n->in[i]->value), (long long)C,
                                 fv_dims(&n->in[IN_X]->value));
    return FV_OK;
}

static fv_status conv_infer(fv_graph *g, fv_node *n)
{
    conv_attr *at = n->attr;
    const fv_conv2d_args *a = &at->args;
    fv_status s;
    if ((s = fv_expect(g, n, IN_X, 4, "input x (N, C, H, W)")) ||
        (s = fv_expect(g, n, IN_W, 4, "weight (Cout, Cin/groups, kH, kW)")) || (s = check_args(g, n, a)) ||
        (s = check_channels(g, n, a->groups)) || (s = check_bias(g, n)) || (s = check_map(g, n)))
        return s;
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value;
    resolve_pad(at, x, w);
    int64_t ph = x->shape[2] + at->pad[0] + at->pad[2], pw = x->shape[3] + at->pad[1] + at->pad[3];
    int64_t kh = (int64_t)a->dilation[0] * (w->shape[2] - 1) + 1, kw = (int64_t)a->dilation[1] * (w->shape[3] - 1) + 1;
    if (kh > ph || kw > pw)
        return fv_node_error(g, n, FV_ERR_SHAPE,
                             "kernel %lldx%lld (dilated %lldx%lld) larger than padded input %lldx%lld of x %s",
                             (long long)w->shape[2], (long long)w->shape[3], (long long)kh, (long long)kw,
                             (long long)ph, (long long)pw, fv_dims(x));
    int64_t oh = (ph - kh) / a->stride[0] + 1, ow = (pw - kw) / a->stride[1] + 1;
    fv_node_set_shape(n, FV_F32, 4, (int64_t[]){x->shape[0], w->shape[0], oh, ow});
    return FV_OK;
}

static fv_conv_geom geometry(const fv_node *n)
{
    const conv_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value, *w = &n->in[IN_W]->value, *y = &n->value;
    return (fv_conv_geom){.N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3],
                          .OC = y->shape[1], .OH = y->shape[2], .OW = y->shape[3],
                          .KH = w->shape[2], .KW = w->shape[3],
                          .sh = at->args.stride[0], .sw = at->args.stride[1],
                          .pt = at->pad[0], .pl = at->pad[1],
                          .dh = at->args.dilation[0], .dw = at->args.dilation[1],
                          .groups = at->args.groups};
}

static void free_cache(void *c) { fv_conv_cache_free(c); }

/* Inference graphs let the kernels keep the weights arranged for them when the graph alone owns the weights
 * (the folded or copied ones of nn/inference.c): nothing else can change those while the graph lives. */
static bool may_cache(const fv_graph *g, const fv_node *n)
{
    const fv_node *w = n->in[IN_W];
    return g->inference && w->op == FV_OP_PARAM && w->param && w->param->refs == 1;
}

static fv_status conv_forward(fv_graph *g, fv_node *n)
{
    fv_conv_geom geo = geometry(n);
    const conv_attr *at = n->attr;
    const float *b = n->in[IN_B] ? fv_f32(&n->in[IN_B]->value) : NULL;
    fv_conv_cache *cache = n->kernel_cache;
    bool keep = may_cache(g, n);
    const float *x = fv_f32(&n->in[IN_X]->value), *w = fv_f32(&n->in[IN_W]->value);
    float hi = at->clamped ? at->hi : 0.0f;
    if (at->mapped) {
        if (!g->inference) /* no backward through the map: fused.h */
            return fv_node_error(g, n, FV_ERR_STATE, "a convolution with a mapped input runs in inference graphs only");
        fv_conv_affine pre = {fv_f32(&n->in[IN_SCALE]->value), fv_f32(&n->in[IN_SHIFT]->value), at->in_hi};
        if (!fv_conv2d_forward_affine(g->ctx, fv_f32(&n->value), x, &pre, w, b, hi, &geo, keep ? &cache : NULL))
            return fv_node_error(g, n, FV_ERR_NOMEM, "no memory for the mapped input of x %s",
                                 fv_dims(&n->in[IN_X]->value));
    } else {
        fv_conv2d_forward(g->ctx, fv_f32(&n->value), x, w, b, hi, &geo, keep ? &cache : NULL);
    }
    if (keep) n->kernel_cache = cache, n->kernel_cache_free = free_cache;
    return FV_OK;
}

static void conv_backward(fv_graph *g, fv_node *n)
{
    fv_conv_geom geo = geometry(n);
    const conv_attr *at = n->attr;
    if (at->clamped) { /* through the clamp first: its derivative is 1 strictly inside (0, hi), read off the output */
        const float *y = fv_f32(&n->value);
        float *d = fv_f32(&n->grad);
        for (int64_t i = 0; i < n->value.size; i++) d[i] *= y[i] > 0.0f && y[i] < at->hi ? 1.0f : 0.0f;
    }
    const float *dy = fv_f32(&n->grad);
    if (fv_wants_grad(n, IN_X))
        fv_conv2d_backward_input(g->ctx, fv_f32(&n->in[IN_X]->grad), dy, fv_f32(&n->in[IN_W]->value),
                                 fv_grad_fresh(n, IN_X), &geo);
    if (fv_wants_grad(n, IN_W))
        fv_conv2d_backward_weight(g->ctx, fv_f32(&n->in[IN_W]->grad), dy, fv_f32(&n->in[IN_X]->value), &geo);
    if (fv_wants_grad(n, IN_B))
        fv_conv2d_backward_bias(g->ctx, fv_f32(&n->in[IN_B]->grad), dy, geo.N, geo.OC, geo.OH * geo.OW);
}

const fv_op_def fv_op_conv2d = {"conv2d", conv_infer, conv_forward, conv_backward, false};

fv_node *fv_conv2d(fv_graph *g, fv_node *x, fv_node *w, fv_node *b, const fv_conv2d_args *a)
{
    conv_attr at = {.args = a ? *a : fv_conv2d_defaults()};
    return fv_graph_add(g, FV_OP_CONV2D, (fv_node *[]){x, w, b}, 3, 2, &at, sizeof at);
}

fv_node *fv_conv2d_clamped(fv_graph *g, fv_node *x, fv_node *w, fv_node *b, const fv_conv2d_args *a, float hi)
{
    conv_attr at = {.args = a ? *a : fv_conv2d_defaults(), .clamped = true, .hi = hi};
    if (!(hi > 0.0f)) { /* also NaN */
        if (g) fv_error(fv_graph_ctx(g), FV_ERR_ARG, "conv2d: clamp bound %g must be > 0", (double)hi);
        return NULL;
    }
    return fv_graph_add(g, FV_OP_CONV2D, (fv_node *[]){x, w, b}, 3, 2, &at, sizeof at);
}

fv_node *fv_conv2d_mapped_input(fv_graph *g, fv_node *x, fv_node *scale, fv_node *shift, float in_hi, fv_node *w,
                                fv_node *b, const fv_conv2d_args *a, float hi)
{
    conv_attr at = {.args = a ? *a : fv_conv2d_defaults(), .clamped = hi > 0.0f, .hi = hi, .mapped = true,
                    .in_hi = in_hi > 0.0f ? in_hi : 0.0f};
    if (!scale || !shift) {
        if (g) fv_error(fv_graph_ctx(g), FV_ERR_ARG, "conv2d: the input map needs a scale and a shift");
        return NULL;
    }
    return fv_graph_add(g, FV_OP_CONV2D, (fv_node *[]){x, w, b, scale, shift}, 5, 2, &at, sizeof at);
}
