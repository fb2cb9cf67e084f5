/* Layer normalization over the trailing axes (ONNX LayerNormalization, PyTorch F.layer_norm). The statistics
 * come from the kernels shared with instance and group norm (kernels/ref/group_norm.h) with one group of all
 * normalized elements per slice; a scale or bias that broadcasts to the normalized shape is expanded for the
 * kernel and its gradient summed back. */
#include <math.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

enum { IN_X, IN_SCALE, IN_BIAS };
enum { AUX_AFFINE, AUX_DAFFINE }; /* expanded scale and bias (2, P) and their gradients, when they broadcast */

typedef struct {
    int axis; /* as requested: negative counts from the end */
    float eps;
} ln_attr;

static int resolved_axis(const fv_node *n)
{
    int axis = ((const ln_attr *)n->attr)->axis;
    return axis < 0 ? axis + n->in[IN_X]->value.ndim : axis;
}

/* A scale or bias must broadcast to x.shape[axis:], right-aligned. */
static fv_status check_affine(fv_graph *g, fv_node *n, int i, const char *what)
{
    if (!n->in[i]) return FV_OK;
    fv_status s = fv_expect(g, n, i, -1, what);
    if (s) return s;
    const fv_tensor *v = &n->in[i]->value, *x = &n->in[IN_X]->value;
    int axis = resolved_axis(n), nd = x->ndim - axis;
    if (v->ndim > nd)
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s %s has more dimensions than the normalized shape of x %s from axis %d",
                             what, fv_dims(v), fv_dims(x), axis);
    for (int d = 0; d < v->ndim; d++) {
        int64_t want = x->shape[x->ndim - v->ndim + d];
        if (v->shape[d] != 1 && v->shape[d] != want)
            return fv_node_error(g, n, FV_ERR_SHAPE,
                                 "%s %s does not broadcast to the normalized shape of x %s from axis %d (%lld vs %lld)",
                                 what, fv_dims(v), fv_dims(x), axis, (long long)v->shape[d], (long long)want);
    }
    return FV_OK;
}

static fv_status ln_infer(fv_graph *g, fv_node *n)
{
    const ln_attr *at = n->attr;
    fv_status s = fv_expect(g, n, IN_X, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[IN_X]->value;
    if (x->ndim < 1) return fv_node_error(g, n, FV_ERR_SHAPE, "input x %s must have at least 1 dimension", fv_dims(x));
    if (at->axis < -x->ndim || at->axis >= x->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range for input x %s with %d dimensions", at->axis,
                             fv_dims(x), x->ndim);
    if (!(at->eps >= 0.0f) || !isfinite(at->eps))
        return fv_node_error(g, n, FV_ERR_ARG, "eps %g must be finite and >= 0", (double)at->eps);
    if ((s = check_affine(g, n, IN_SCALE, "scale")) || (s = check_affine(g, n, IN_BIAS, "bias"))) return s;
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

static fv_ref_group_norm_geom geometry(const fv_node *n)
{
    const fv_tensor *x = &n->in[IN_X]->value;
    int axis = resolved_axis(n);
    fv_ref_group_norm_geom p = {1, 1, 1, 1, ((const ln_attr *)n->attr)->eps};
    for (int d = 0; d < x->ndim; d++) *(d < axis ? &p.A : &p.P) *= x->shape[d];
    return p;
}

/* Index into a right-aligned broadcast parameter v of element q of the normalized shape (x's last nd dims). */
static int64_t param_index(const fv_tensor *v, const fv_tensor *x, int nd, int64_t q)
{
    int64_t idx = 0, stride = 1;
    for (int d = 1; d <= nd; d++) {
        int64_t dim = x->shape[x->ndim - d], i = q % dim;
        q /= dim;
        if (d <= v->ndim) {
            int64_t vd = v->shape[v->ndim - d];
            idx += (vd == 1 ? 0 : i) * stride;
            stride *= vd;
        }
    }
    return idx;
}

/* Whether input i is given with a shape other than the full normalized one (so it needs expanding). */
static bool broadcast(const fv_node *n, int i, int64_t P)
{
    return n->in[i] && n->in[i]->value.size != P;
}

static fv_status ln_forward(fv_graph *g, fv_node *n)
{
    fv_ref_group_norm_geom p = geometry(n);
    const fv_tensor *x = &n->in[IN_X]->value;
    int nd = x->ndim - resolved_axis(n);
    fv_status s = FV_OK;
    const float *scale = n->in[IN_SCALE] ? fv_f32(&n->in[IN_SCALE]->value) : NULL;
    const float *bias = n->in[IN_BIAS] ? fv_f32(&n->in[IN_BIAS]->value) : NULL;
    bool bs = broadcast(n, IN_SCALE, p.P), bb = broadcast(n, IN_BIAS, p.P);
    if (bs || bb) {
        if ((s = fv_node_aux(g, n, AUX_AFFINE, FV_F32, 2, (int64_t[]){2, p.P})) ||
            (s = fv_node_aux(g, n, AUX_DAFFINE, FV_F32, 2, (int64_t[]){2, p.P})))
            return s;
        float *es = fv_f32(&n->aux[AUX_AFFINE]), *eb = es + p.P;
        for (int64_t q = 0; q < p.P; q++) {
            if (bs) es[q] = scale[param_index(&n->in[IN_SCALE]->value, x, nd, q)];
            if (bb) eb[q] = bias[param_index(&n->in[IN_BIAS]->value, x, nd, q)];
        }
        if (bs) scale = es;
        if (bb) bias = eb;
    }
    fv_group_norm_forward(g->ctx, fv_f32(&n->value), NULL, NULL, fv_f32(x), scale, bias, &p);
    return FV_OK;
}

/* Sum the expanded gradient dfull (P) into the parameter's gradient. */
static void reduce_param_grad(fv_node *n, int i, const float *dfull, int64_t P)
{
    const fv_tensor *x = &n->in[IN_X]->value;
    int nd = x->ndim - resolved_axis(n);
    float *dv = fv_f32(&n->in[i]->grad);
    for (int64_t q = 0; q < P; q++) dv[param_index(&n->in[i]->value, x, nd, q)] += dfull[q];
}

static void ln_backward(fv_graph *g, fv_node *n)
{
    fv_ref_group_norm_geom p = geometry(n);
    bool ws = fv_wants_grad(n, IN_SCALE), wb = fv_wants_grad(n, IN_BIAS);
    bool bs = broadcast(n, IN_SCALE, p.P), bb = broadcast(n, IN_BIAS, p.P);
    const float *scale = n->in[IN_SCALE] ? fv_f32(&n->in[IN_SCALE]->value) : NULL;
    if (bs) scale = fv_f32(&n->aux[AUX_AFFINE]);
    float *dscale = ws ? fv_f32(&n->in[IN_SCALE]->grad) : NULL, *dbias = wb ? fv_f32(&n->in[IN_BIAS]->grad) : NULL;
    float *tmp = (bs && ws) || (bb && wb) ? fv_f32(&n->aux[AUX_DAFFINE]) : NULL;
    if (tmp) fv_tensor_zero(&n->aux[AUX_DAFFINE]);
    if (bs && ws) dscale = tmp;
    if (bb && wb) dbias = tmp + p.P;
    float *dx = fv_wants_grad(n, IN_X) ? fv_f32(&n->in[IN_X]->grad) : NULL;
    fv_group_norm_backward(g->ctx, dx, dscale, dbias, fv_f32(&n->grad), fv_f32(&n->in[IN_X]->value), scale, &p);
    if (bs && ws) reduce_param_grad(n, IN_SCALE, tmp, p.P);
    if (bb && wb) reduce_param_grad(n, IN_BIAS, tmp + p.P, p.P);
}

const fv_op_def fv_op_layer_norm = {"layer_norm", ln_infer, ln_forward, ln_backward, false};

fv_node *fv_layer_norm(fv_graph *g, fv_node *x, fv_node *scale, fv_node *bias, int axis, float eps)
{
    ln_attr a = {axis, eps};
    return fv_graph_add(g, FV_OP_LAYER_NORM, (fv_node *[]){x, scale, bias}, 3, 1, &a, sizeof a);
}
