/* Batch normalization (PyTorch's BatchNorm1d on (N, C) and BatchNorm2d on (N, C, H, W)): batch statistics
 * and a running-statistics update in train mode, the running statistics in eval mode. */
#include <math.h>
#include <stdlib.h>

#include "../graph/graph_internal.h"
#include "../kernels/clamp.h"
#include "../kernels/dispatch.h"
#include "../kernels/ref/batch_norm.h"
#include "fovea/ops.h"

enum { IN_X, IN_GAMMA, IN_BETA, IN_RMEAN, IN_RVAR };
enum { AUX_MEAN, AUX_INVSTD }; /* the statistics the last forward normalized with, (C) each */

typedef struct {
    fv_batch_norm_args args;
    bool batch_stats; /* the last forward used batch statistics (train mode): backward must know */
    float hi;         /* fv_batch_norm_clamped's bound, 0 for none */
} bn_attr;

fv_batch_norm_args fv_batch_norm_defaults(void) { return (fv_batch_norm_args){.eps = 1e-5f, .momentum = 0.1f}; }

/* Elements per sample and channel: H*W, or 1 for (N, C). */
static int64_t spatial(const fv_tensor *x) { return x->ndim == 4 ? x->shape[2] * x->shape[3] : 1; }

static fv_status check_vector(fv_graph *g, fv_node *n, int i, const char *what)
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

static fv_status bn_infer(fv_graph *g, fv_node *n)
{
    const bn_attr *at = n->attr;
    fv_status s = fv_expect(g, n, IN_X, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[IN_X]->value;
    if (x->ndim != 2 && x->ndim != 4)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input x must be (N, C) or (N, C, H, W), got %s", fv_dims(x));
    if (!(at->args.eps >= 0.0f) || !isfinite(at->args.eps))
        return fv_node_error(g, n, FV_ERR_ARG, "eps %g must be finite and >= 0", (double)at->args.eps);
    if (!(at->args.momentum >= 0.0f && at->args.momentum <= 1.0f))
        return fv_node_error(g, n, FV_ERR_ARG, "momentum %g must be in [0, 1]", (double)at->args.momentum);
    if ((s = check_vector(g, n, IN_GAMMA, "gamma")) || (s = check_vector(g, n, IN_BETA, "beta")) ||
        (s = check_vector(g, n, IN_RMEAN, "running_mean")) || (s = check_vector(g, n, IN_RVAR, "running_var")))
        return s;
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

/* Train mode: normalize with the batch's mean and biased variance (statistics and output in one kernel, which
 * reads x once); move the running statistics toward the batch's mean and unbiased variance, as PyTorch does. */
/* The clamp the output gets: the node's own (fv_batch_norm_clamped), the ReLU fused into it for this training
 * pass (graph/fuse.c), the tighter of both, or none (0). Its backward masks by its own clamp alone, unless the
 * fused ReLU's gradient was left to it (grad_unclamped): then by this one, which is both slopes in one. */
static float clamp_of(const fv_node *n)
{
    const bn_attr *at = n->attr;
    float own = at->hi, fused = n->fused_clamp;
    if (!(fused > 0.0f)) return own;
    return own > 0.0f && own < fused ? own : fused;
}

static fv_status train_forward(fv_graph *g, fv_node *n, float *mean, float *invstd, const float *gamma,
                               const float *beta)
{
    const bn_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value;
    int64_t N = x->shape[0], C = x->shape[1], HW = spatial(x), count = N * HW;
    if (count == 1)
        return fv_node_error(g, n, FV_ERR_SHAPE, "expected more than 1 value per channel when training, got x %s",
                             fv_dims(x));
    double *m = malloc((size_t)C * 2 * sizeof *m);
    if (!m) return fv_node_error(g, n, FV_ERR_NOMEM, "out of memory for the statistics of %lld channels", (long long)C);
    double *var = m + C, mom = at->args.momentum;
    fv_batch_norm_train(g->ctx, fv_f32(&n->value), mean, invstd, m, var, fv_f32(x), gamma, beta, at->args.eps, N, C,
                        HW, clamp_of(n));
    float *rm = fv_f32(&n->in[IN_RMEAN]->value), *rv = fv_f32(&n->in[IN_RVAR]->value);
    for (int64_t c = 0; c < C; c++) {
        rm[c] = (float)((1.0 - mom) * rm[c] + mom * m[c]);
        rv[c] = (float)((1.0 - mom) * rv[c] + mom * var[c] * (double)count / (double)(count - 1));
    }
    free(m);
    return FV_OK;
}

/* Eval mode: the running statistics. */
static void running_stats(const fv_node *n, float *mean, float *invstd)
{
    const bn_attr *at = n->attr;
    const float *rm = fv_f32(&n->in[IN_RMEAN]->value), *rv = fv_f32(&n->in[IN_RVAR]->value);
    for (int64_t c = 0; c < n->in[IN_RMEAN]->value.size; c++) {
        mean[c] = rm[c];
        invstd[c] = (float)(1.0 / sqrt((double)rv[c] + at->args.eps));
    }
}

static fv_status bn_forward(fv_graph *g, fv_node *n)
{
    bn_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value;
    int64_t C = x->shape[1];
    fv_status s;
    if ((s = fv_node_aux(g, n, AUX_MEAN, FV_F32, 1, &C)) || (s = fv_node_aux(g, n, AUX_INVSTD, FV_F32, 1, &C)))
        return s;
    float *mean = fv_f32(&n->aux[AUX_MEAN]), *invstd = fv_f32(&n->aux[AUX_INVSTD]);
    /* Keras' rule for fine-tuning: a frozen batch norm (its gamma a parameter that is not trainable) runs in
     * inference mode even in a training pass, neither using nor updating batch statistics */
    const fv_param *gp = n->in[IN_GAMMA] ? fv_node_param(n->in[IN_GAMMA]) : NULL;
    at->batch_stats = g->training && !(gp && !gp->trainable);
    const float *gamma = n->in[IN_GAMMA] ? fv_f32(&n->in[IN_GAMMA]->value) : NULL;
    const float *beta = n->in[IN_BETA] ? fv_f32(&n->in[IN_BETA]->value) : NULL;
    if (at->batch_stats) return train_forward(g, n, mean, invstd, gamma, beta);
    running_stats(n, mean, invstd);
    fv_batch_norm_apply(g->ctx, fv_f32(&n->value), fv_f32(x), mean, invstd, gamma, beta, x->shape[0], C, spatial(x),
                        clamp_of(n));
    return FV_OK;
}

static float *grad_of(fv_node *n, int i) { return fv_wants_grad(n, i) ? fv_f32(&n->in[i]->grad) : NULL; }

static void bn_backward(fv_graph *g, fv_node *n)
{
    const bn_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value;
    const float *gamma = n->in[IN_GAMMA] ? fv_f32(&n->in[IN_GAMMA]->value) : NULL;
    if (n->grad_unclamped) { /* the fused activation's gradient: through the clamp (its own too) in the kernel */
        const float *beta = n->in[IN_BETA] ? fv_f32(&n->in[IN_BETA]->value) : NULL;
        fv_batch_norm_backward_clamped(g->ctx, grad_of(n, IN_X), grad_of(n, IN_GAMMA), grad_of(n, IN_BETA),
                                       fv_f32(&n->grad), fv_f32(x), fv_f32(&n->aux[AUX_MEAN]),
                                       fv_f32(&n->aux[AUX_INVSTD]), gamma, beta, clamp_of(n), at->batch_stats,
                                       fv_grad_fresh(n, IN_X), x->shape[0], x->shape[1], spatial(x));
        return;
    }
    if (at->hi > 0.0f) { /* through the clamp first: its derivative is 1 strictly inside (0, hi), read off the output */
        const float *y = fv_f32(&n->value);
        float *d = fv_f32(&n->grad);
        for (int64_t i = 0; i < n->value.size; i++) d[i] *= y[i] > 0.0f && y[i] < at->hi ? 1.0f : 0.0f;
    }
    fv_batch_norm_backward(g->ctx, grad_of(n, IN_X), grad_of(n, IN_GAMMA), grad_of(n, IN_BETA), fv_f32(&n->grad),
                               fv_f32(x), fv_f32(&n->aux[AUX_MEAN]), fv_f32(&n->aux[AUX_INVSTD]), gamma,
                               at->batch_stats, fv_grad_fresh(n, IN_X), x->shape[0], x->shape[1], spatial(x));
}

const fv_op_def fv_op_batch_norm = {"batch_norm", bn_infer, bn_forward, bn_backward, false};

fv_node *fv_batch_norm(fv_graph *g, fv_node *x, fv_node *gamma, fv_node *beta, fv_node *running_mean,
                       fv_node *running_var, const fv_batch_norm_args *a)
{
    if (!g) return NULL;
    /* gamma and beta may be NULL (no affine part); a NULL running statistic is an earlier builder's failure,
     * whose message is kept, or a missing buffer. */
    if (x && (!running_mean || !running_var)) {
        if (fv_errcode(g->ctx) == FV_OK)
            fv_error(g->ctx, FV_ERR_ARG, "batch_norm: running_mean and running_var are required");
        return NULL;
    }
    bn_attr at = {.args = a ? *a : fv_batch_norm_defaults(), .batch_stats = false};
    return fv_graph_add(g, FV_OP_BATCH_NORM, (fv_node *[]){x, gamma, beta, running_mean, running_var}, 5, 1, &at,
                        sizeof at);
}

fv_node *fv_batch_norm_clamped(fv_graph *g, fv_node *x, fv_node *gamma, fv_node *beta, fv_node *running_mean,
                               fv_node *running_var, const fv_batch_norm_args *a, float hi)
{
    if (!g) return NULL;
    if (!(hi > 0.0f)) { /* also NaN */
        fv_error(g->ctx, FV_ERR_ARG, "batch_norm: clamp bound %g must be > 0", (double)hi);
        return NULL;
    }
    fv_node *n = fv_batch_norm(g, x, gamma, beta, running_mean, running_var, a);
    if (n) ((bn_attr *)n->attr)->hi = hi;
    return n;
}
