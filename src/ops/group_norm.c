/* Instance normalization (ONNX InstanceNormalization) and group normalization (PyTorch F.group_norm) of
 * (N, C, spatial...) tensors: one op definition each over the shared kernels (kernels/ref/group_norm.h), an
 * instance norm being a group norm with one channel per group. Scale and bias are per channel. */
#include <math.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

enum { IN_X, IN_SCALE, IN_BIAS };

typedef struct {
    int groups; /* 0: one per channel (instance norm) */
    float eps;
} gn_attr;

static int64_t groups_of(const fv_node *n)
{
    int groups = ((const gn_attr *)n->attr)->groups;
    return groups > 0 ? groups : n->in[IN_X]->value.shape[1];
}

static fv_status check_channels(fv_graph *g, fv_node *n, int i, const char *what)
{
    if (!n->in[i]) return FV_OK;
    fv_status s = fv_expect(g, n, i, -1, what);
    if (s) return s;
    const fv_tensor *v = &n->in[i]->value, *x = &n->in[IN_X]->value;
    if (v->ndim != 1 || v->shape[0] != x->shape[1])
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s %s does not match the %lld channels of x %s", what, fv_dims(v),
                             (long long)x->shape[1], fv_dims(x));
    return FV_OK;
}

static fv_status gn_infer(fv_graph *g, fv_node *n)
{
    const gn_attr *at = n->attr;
    fv_status s = fv_expect(g, n, IN_X, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[IN_X]->value;
    if (x->ndim < 2)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input x %s must be (N, C, ...) with at least 2 dimensions",
                             fv_dims(x));
    if (!(at->eps >= 0.0f) || !isfinite(at->eps))
        return fv_node_error(g, n, FV_ERR_ARG, "eps %g must be finite and >= 0", (double)at->eps);
    if (at->groups < 0 || (n->op == FV_OP_GROUP_NORM && at->groups == 0))
        return fv_node_error(g, n, FV_ERR_ARG, "num_groups %d must be at least 1 (x %s)", at->groups, fv_dims(x));
    if (at->groups > 0 && x->shape[1] % at->groups != 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "num_groups %d does not divide the %lld channels of x %s", at->groups,
                             (long long)x->shape[1], fv_dims(x));
    if ((s = check_channels(g, n, IN_SCALE, "scale")) || (s = check_channels(g, n, IN_BIAS, "bias"))) return s;
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

static fv_ref_group_norm_geom geometry(const fv_node *n)
{
    const fv_tensor *x = &n->in[IN_X]->value;
    fv_ref_group_norm_geom p = {x->shape[0], x->shape[1], 1, groups_of(n), ((const gn_attr *)n->attr)->eps};
    for (int d = 2; d < x->ndim; d++) p.S *= x->shape[d];
    return p;
}

static const float *data_or_null(const fv_node *n, int i) { return n->in[i] ? fv_f32(&n->in[i]->value) : NULL; }

/* Backward recomputes the statistics from x, so forward keeps nothing. */
static fv_status gn_forward(fv_graph *g, fv_node *n)
{
    fv_ref_group_norm_geom p = geometry(n);
    fv_group_norm_forward(g->ctx, fv_f32(&n->value), NULL, NULL, fv_f32(&n->in[IN_X]->value),
                          data_or_null(n, IN_SCALE), data_or_null(n, IN_BIAS), &p);
    return FV_OK;
}

static void gn_backward(fv_graph *g, fv_node *n)
{
    fv_ref_group_norm_geom p = geometry(n);
    float *dx = fv_wants_grad(n, IN_X) ? fv_f32(&n->in[IN_X]->grad) : NULL;
    float *dscale = fv_wants_grad(n, IN_SCALE) ? fv_f32(&n->in[IN_SCALE]->grad) : NULL;
    float *dbias = fv_wants_grad(n, IN_BIAS) ? fv_f32(&n->in[IN_BIAS]->grad) : NULL;
    fv_group_norm_backward(g->ctx, dx, dscale, dbias, fv_f32(&n->grad), fv_f32(&n->in[IN_X]->value),
                           data_or_null(n, IN_SCALE), &p);
}

const fv_op_def fv_op_instance_norm = {"instance_norm", gn_infer, gn_forward, gn_backward, false};
const fv_op_def fv_op_group_norm = {"group_norm", gn_infer, gn_forward, gn_backward, false};

fv_node *fv_instance_norm(fv_graph *g, fv_node *x, fv_node *scale, fv_node *bias, float eps)
{
    gn_attr a = {0, eps};
    return fv_graph_add(g, FV_OP_INSTANCE_NORM, (fv_node *[]){x, scale, bias}, 3, 1, &a, sizeof a);
}

fv_node *fv_group_norm(fv_graph *g, fv_node *x, fv_node *scale, fv_node *bias, int num_groups, float eps)
{
    gn_attr a = {num_groups, eps};
    return fv_graph_add(g, FV_OP_GROUP_NORM, (fv_node *[]){x, scale, bias}, 3, 1, &a, sizeof a);
}
