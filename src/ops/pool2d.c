/* Max and average 2-D pooling (PyTorch's max_pool2d / avg_pool2d) with asymmetric padding, ceil mode and
 * count_include_pad. Both ops share the attributes (fv_pool2d_args), the checks and the output size rule. */
#include <limits.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "../kernels/ref/pool.h"
#include "fovea/ops.h"

enum { AUX_ARGMAX }; /* max pool: int32 (N, C, OH, OW), flat index in the input plane of each maximum */

fv_pool2d_args fv_pool2d_defaults(int kernel)
{
    fv_pool2d_args a = {{kernel, kernel}, {kernel, kernel}, {0, 0, 0, 0}, false, true};
    return a;
}

/* Output length along one axis, PyTorch's rule extended to unequal padding: floor (or ceil) of
 * (in + pads - k) / s, plus one; in ceil mode a last window that would start in the trailing padding (or past
 * it) is dropped. The caller has checked in + pads >= k. */
static int64_t pooled_size(int64_t in, int k, int s, int pad_lo, int pad_hi, bool ceil_mode)
{
    int64_t span = in + pad_lo + pad_hi - k;
    int64_t out = (ceil_mode ? span + s - 1 : span) / s + 1;
    if (ceil_mode && (out - 1) * s >= in + pad_lo) out--;
    return out;
}

/* The attributes alone: positive kernel and stride, padding in [0, kernel/2]. */
static fv_status check_args(fv_graph *g, const fv_node *n, const fv_pool2d_args *a)
{
    const int *k = a->kernel, *s = a->stride, *p = a->pad;
    if (k[0] <= 0 || k[1] <= 0)
        return fv_node_error(g, n, FV_ERR_ARG, "kernel %dx%d must be at least 1x1", k[0], k[1]);
    if (s[0] <= 0 || s[1] <= 0)
        return fv_node_error(g, n, FV_ERR_ARG, "stride %dx%d must be at least 1x1", s[0], s[1]);
    if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0)
        return fv_node_error(g, n, FV_ERR_ARG, "pad (top %d, left %d, bottom %d, right %d) must be >= 0", p[0], p[1],
                             p[2], p[3]);
    /* PyTorch's limit; it also guarantees that every window overlaps the real input. */
    if (p[0] > k[0] / 2 || p[2] > k[0] / 2 || p[1] > k[1] / 2 || p[3] > k[1] / 2)
        return fv_node_error(g, n, FV_ERR_ARG,
                             "pad (top %d, left %d, bottom %d, right %d) is more than half the kernel %dx%d "
                             "(at most %d rows, %d columns)",
                             p[0], p[1], p[2], p[3], k[0], k[1], k[0] / 2, k[1] / 2);
    return FV_OK;
}

static fv_status pool2d_infer(fv_graph *g, fv_node *n)
{
    const fv_pool2d_args *a = n->attr;
    fv_status s;
    if ((s = fv_expect(g, n, 0, 4, "input x (N, C, H, W)")) || (s = check_args(g, n, a))) return s;
    const fv_tensor *x = &n->in[0]->value;
    int64_t ph = x->shape[2] + a->pad[0] + a->pad[2], pw = x->shape[3] + a->pad[1] + a->pad[3];
    if (a->kernel[0] > ph || a->kernel[1] > pw)
        return fv_node_error(g, n, FV_ERR_SHAPE,
                             "kernel %dx%d larger than padded input %lldx%lld of x %s: output size would be < 1",
                             a->kernel[0], a->kernel[1], (long long)ph, (long long)pw, fv_dims(x));
    if (x->shape[2] * x->shape[3] > INT32_MAX) /* the argmax is an int32 index into one plane */
        return fv_node_error(g, n, FV_ERR_SHAPE, "input planes of x %s have more than 2^31 elements", fv_dims(x));
    int64_t oh = pooled_size(x->shape[2], a->kernel[0], a->stride[0], a->pad[0], a->pad[2], a->ceil_mode);
    int64_t ow = pooled_size(x->shape[3], a->kernel[1], a->stride[1], a->pad[1], a->pad[3], a->ceil_mode);
    if (oh < 1 || ow < 1) /* excluded by the checks above; kept as a guard */
        return fv_node_error(g, n, FV_ERR_SHAPE, "output size %lldx%lld of x %s is < 1", (long long)oh,
                             (long long)ow, fv_dims(x));
    fv_node_set_shape(n, FV_F32, 4, (int64_t[]){x->shape[0], x->shape[1], oh, ow});
    return FV_OK;
}

static fv_ref_pool2d_geom geometry(const fv_node *n)
{
    const fv_pool2d_args *a = n->attr;
    const int64_t *xs = n->in[0]->value.shape, *ys = n->value.shape;
    fv_ref_pool2d_geom p = {xs[0], xs[1], xs[2], xs[3], ys[2], ys[3], a->kernel[0], a->kernel[1], a->stride[0],
                            a->stride[1], a->pad[0], a->pad[1], a->pad[2], a->pad[3]};
    return p;
}

/* Inference graphs never run backward: they keep no argmax, and the kernel computes the maxima alone. */
static fv_status max_pool2d_forward(fv_graph *g, fv_node *n)
{
    fv_status s = g->inference ? FV_OK : fv_node_aux(g, n, AUX_ARGMAX, FV_I32, n->value.ndim, n->value.shape);
    if (s) return s;
    fv_ref_pool2d_geom p = geometry(n);
    fv_max_pool2d_forward(g->ctx, fv_f32(&n->value), g->inference ? NULL : fv_i32(&n->aux[AUX_ARGMAX]),
                          fv_f32(&n->in[0]->value), &p);
    return FV_OK;
}

static void max_pool2d_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, 0)) return;
    fv_ref_pool2d_geom p = geometry(n);
    fv_max_pool2d_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_i32(&n->aux[AUX_ARGMAX]), &p,
                           fv_grad_fresh(n, 0));
}

static fv_status avg_pool2d_forward(fv_graph *g, fv_node *n)
{
    const fv_pool2d_args *a = n->attr;
    fv_ref_pool2d_geom p = geometry(n);
    fv_avg_pool2d_forward(g->ctx, fv_f32(&n->value), fv_f32(&n->in[0]->value), &p, a->count_include_pad);
    return FV_OK;
}

static void avg_pool2d_backward(fv_graph *g, fv_node *n)
{
    const fv_pool2d_args *a = n->attr;
    if (!fv_wants_grad(n, 0)) return;
    fv_ref_pool2d_geom p = geometry(n);
    fv_avg_pool2d_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), &p, a->count_include_pad);
}

const fv_op_def fv_op_max_pool2d = {"max_pool2d", pool2d_infer, max_pool2d_forward, max_pool2d_backward, false};
const fv_op_def fv_op_avg_pool2d = {"avg_pool2d", pool2d_infer, avg_pool2d_forward, avg_pool2d_backward, false};

static fv_node *add_pool(fv_graph *g, fv_op_kind op, fv_node *x, const fv_pool2d_args *a)
{
    if (!g) return NULL;
    if (!a) {
        fv_error(g->ctx, FV_ERR_ARG, "%s: args is NULL", fv_op_get(op)->name);
        return NULL;
    }
    return fv_graph_add(g, op, (fv_node *[]){x}, 1, 1, a, sizeof *a);
}

fv_node *fv_max_pool2d(fv_graph *g, fv_node *x, const fv_pool2d_args *a) { return add_pool(g, FV_OP_MAX_POOL2D, x, a); }
fv_node *fv_avg_pool2d(fv_graph *g, fv_node *x, const fv_pool2d_args *a) { return add_pool(g, FV_OP_AVG_POOL2D, x, a); }
