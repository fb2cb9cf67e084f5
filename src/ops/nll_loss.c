/* Negative log-likelihood loss of class indices (PyTorch's F.nll_loss, ONNX's NegativeLogLikelihoodLoss):
 * log-probabilities (N, C, d1, ..., dk) against int32/int64 targets (N, d1, ..., dk), optional class weights,
 * an ignored index and a reduction (mean, sum, none); and softmax cross-entropy, a log-softmax over axis 1
 * feeding it. */
#include <stdio.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

enum { IN_X, IN_TARGET, IN_WEIGHT };

typedef struct {
    int reduction; /* fv_loss_reduction */
    int64_t ignore_index;
} nll_attr;


/* The input viewed as (N, C, inner): inner is the product of the dimensions after the class axis. */
static void split(const fv_tensor *x, int64_t *N, int64_t *C, int64_t *inner)
{
    *N = x->shape[0], *C = x->shape[1], *inner = 1;
    for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
}

/* target must be int32/int64 of the input's shape without axis 1. */
static fv_status check_target(fv_graph *g, fv_node *n)
{
    const fv_tensor *x = &n->in[IN_X]->value, *t = &n->in[IN_TARGET]->value;
    if (t->dtype != FV_I32 && t->dtype != FV_I64)
        return fv_node_error(g, n, FV_ERR_ARG, "target %s must hold int32 or int64 class indices, got %s",
                             fv_dims(t), fv_dtype_name(t->dtype));
    bool fits = t->ndim == x->ndim - 1 && t->shape[0] == x->shape[0];
    for (int d = 1; fits && d < t->ndim; d++) fits = t->shape[d] == x->shape[d + 1];
    if (!fits)
        return fv_node_error(g, n, FV_ERR_SHAPE,
                             "target %s does not match input %s (expected the input's shape without axis 1)",
                             fv_dims(t), fv_dims(x));
    return FV_OK;
}

static fv_status nll_infer(fv_graph *g, fv_node *n)
{
    const nll_attr *at = n->attr;
    fv_status s = fv_expect(g, n, IN_X, -1, "input");
    if (s) return s;
    const fv_tensor *x = &n->in[IN_X]->value;
    if (x->ndim < 2)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input must be (N, C) or (N, C, d1, ...), got %s", fv_dims(x));
    if ((s = check_target(g, n))) return s;
    if (n->in[IN_WEIGHT]) {
        if ((s = fv_expect(g, n, IN_WEIGHT, -1, "weight"))) return s;
        const fv_tensor *w = &n->in[IN_WEIGHT]->value;
        if (w->ndim != 1 || w->shape[0] != x->shape[1])
            return fv_node_error(g, n, FV_ERR_SHAPE, "weight %s must have one entry per class: %lld of input %s",
                                 fv_dims(w), (long long)x->shape[1], fv_dims(x));
    }
    if (at->reduction < FV_LOSS_MEAN || at->reduction > FV_LOSS_NONE)
        return fv_node_error(g, n, FV_ERR_ARG, "reduction %d is not mean (0), sum (1) or none (2)", at->reduction);
    const fv_tensor *t = &n->in[IN_TARGET]->value;
    if (at->reduction == FV_LOSS_NONE) fv_node_set_shape(n, FV_F32, t->ndim, t->shape);
    else fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

/* "[n,d1,...]": the position of flat index i in the target, for messages. */
static const char *position(const fv_tensor *t, int64_t i, char *buf, size_t len)
{
    int64_t coord[FV_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        coord[d] = i % t->shape[d];
        i /= t->shape[d];
    }
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < t->ndim && k < len; d++)
        k += (size_t)snprintf(buf + k, len - k, d ? ",%lld" : "%lld", (long long)coord[d]);
    if (k < len) snprintf(buf + k, len - k, "]");
    return buf;
}

/* Targets are data, known only at forward time: one outside [0, C) (and not ignored) is reported before the
 * kernel would index the input and the weights with it. */
static fv_status check_target_values(fv_graph *g, fv_node *n)
{
    const nll_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value, *t = &n->in[IN_TARGET]->value;
    int64_t C = x->shape[1];
    for (int64_t i = 0; i < t->size; i++) {
        int64_t c = t->dtype == FV_I64 ? fv_i64(t)[i] : fv_i32(t)[i];
        if ((c >= 0 && c < C) || c == at->ignore_index) continue;
        char where[96];
        return fv_node_error(g, n, FV_ERR_ARG,
                             "target %lld at target%s is outside the %lld classes [0, %lld) of input %s "
                             "(ignore_index is %lld)",
                             (long long)c, position(t, i, where, sizeof where), (long long)C, (long long)C,
                             fv_dims(x), (long long)at->ignore_index);
    }
    return FV_OK;
}

static fv_status nll_forward(fv_graph *g, fv_node *n)
{
    const nll_attr *at = n->attr;
    fv_status s = check_target_values(g, n);
    if (s) return s;
    const fv_tensor *x = &n->in[IN_X]->value, *t = &n->in[IN_TARGET]->value;
    const float *w = n->in[IN_WEIGHT] ? fv_f32(&n->in[IN_WEIGHT]->value) : NULL;
    int64_t N, C, inner;
    split(x, &N, &C, &inner);
    fv_nll_forward(g->ctx, fv_f32(&n->value), fv_f32(x), t->data, t->dtype == FV_I64, w, at->ignore_index,
                   at->reduction, N, C, inner);
    return FV_OK;
}

/* Only the input gets a gradient: the target holds indices, and PyTorch does not differentiate the weights
 * (a weight parameter keeps a zero gradient). */
static void nll_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, IN_X)) return;
    const nll_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value, *t = &n->in[IN_TARGET]->value;
    const float *w = n->in[IN_WEIGHT] ? fv_f32(&n->in[IN_WEIGHT]->value) : NULL;
    int64_t N, C, inner;
    split(x, &N, &C, &inner);
    fv_nll_backward(g->ctx, fv_f32(&n->in[IN_X]->grad), fv_f32(&n->grad), fv_f32(x), t->data, t->dtype == FV_I64,
                    w, at->ignore_index, at->reduction, N, C, inner);
}

const fv_op_def fv_op_nll_loss = {"nll_loss", nll_infer, nll_forward, nll_backward, false};

fv_node *fv_nll_loss(fv_graph *g, fv_node *input, fv_node *target, fv_node *weight, fv_loss_reduction reduction,
                     int64_t ignore_index)
{
    nll_attr at = {(int)reduction, ignore_index};
    return fv_graph_add(g, FV_OP_NLL_LOSS, (fv_node *[]){input, target, weight}, 3, 2, &at, sizeof at);
}

fv_node *fv_softmax_cross_entropy(fv_graph *g, fv_node *logits, fv_node *target, fv_node *weight,
                                  fv_loss_reduction reduction, int64_t ignore_index, fv_node **log_prob)
{
    fv_node *lp = logits ? fv_log_softmax(g, logits, 1) : NULL;
    if (log_prob) *log_prob = lp;
    return lp ? fv_nll_loss(g, lp, target, weight, reduction, ignore_index) : NULL;
}
