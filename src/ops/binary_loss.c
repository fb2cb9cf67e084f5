/* Losses computed element by element, and one over masks: BCE on logits with a positive weight (PyTorch's
 * BCEWithLogitsLoss with pos_weight and any reduction; fv_bce_with_logits is its mean without a weight), the
 * sigmoid focal loss (torchvision's sigmoid_focal_loss), the KL divergence (F.kl_div, batchmean included), and
 * the soft Dice loss over class probabilities. Kernels: kernels/ref/binary_loss.c. */
#include <math.h>
#include <stdlib.h>

#include "../graph/graph_internal.h"
#include "../kernels/ref/binary_loss.h"
#include "fovea/ops.h"

enum { IN_X, IN_T, IN_W };
enum { AUX_LOSS, AUX_LABELS };

typedef enum { BCE, FOCAL, DICE, KL } binary_kind;

typedef struct {
    binary_kind kind;
    fv_loss_reduction reduction;
    float alpha, gamma, smooth;
    bool log_target; /* KL */
} binary_attr;

/* What a scalar reduction divides the sum of the elements' losses by (1: sum). */
static double divisor(const binary_attr *at, const fv_tensor *x)
{
    return at->reduction == FV_LOSS_MEAN ? (double)x->size : at->reduction == FV_LOSS_BATCHMEAN ? (double)x->shape[0] : 1.0;
}

/* BCE, focal and KL: inputs and targets of one shape; BCE's pos_weight (K) along the last axis. */
static fv_status elementwise_infer(fv_graph *g, fv_node *n, const binary_attr *at)
{
    const char *xn = at->kind == KL ? "input" : "logits", *tn = at->kind == KL ? "target" : "targets";
    fv_status s;
    if ((s = fv_expect(g, n, IN_X, -1, xn)) || (s = fv_expect(g, n, IN_T, -1, tn))) return s;
    const fv_tensor *x = &n->in[IN_X]->value, *t = &n->in[IN_T]->value;
    if (!fv_same_shape(x, t))
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s %s and %s %s must have the same shape", xn, fv_dims(x), tn,
                             fv_dims(t));
    if (x->ndim < 1) return fv_node_error(g, n, FV_ERR_SHAPE, "%s %s must have at least 1 dimension", xn, fv_dims(x));
    if (n->in[IN_W]) {
        if ((s = fv_expect(g, n, IN_W, 1, "pos_weight (K)"))) return s;
        if (n->in[IN_W]->value.shape[0] != x->shape[x->ndim - 1])
            return fv_node_error(g, n, FV_ERR_SHAPE, "pos_weight %s must match the last axis of logits %s",
                                 fv_dims(&n->in[IN_W]->value), fv_dims(x));
    }
    if (at->kind == FOCAL && (!(at->gamma >= 0.0f) || !isfinite(at->gamma) || !isfinite(at->alpha)))
        return fv_node_error(g, n, FV_ERR_ARG, "alpha %g and gamma %g: gamma must be finite and >= 0, alpha finite",
                             (double)at->alpha, (double)at->gamma);
    if (at->reduction == FV_LOSS_NONE) fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    else fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

/* Dice: probabilities (N, C, d1, ...), targets of that shape (float) or class indices (N, d1, ...). */
static fv_status dice_infer(fv_graph *g, fv_node *n, const binary_attr *at)
{
    fv_status s = fv_expect(g, n, IN_X, -1, "probabilities (N, C, ...)");
    if (s) return s;
    const fv_tensor *p = &n->in[IN_X]->value, *t = &n->in[IN_T]->value;
    if (p->ndim < 2) return fv_node_error(g, n, FV_ERR_SHAPE, "probabilities %s need (N, C, ...)", fv_dims(p));
    bool labels = t->dtype == FV_I32 || t->dtype == FV_I64, same = labels ? t->ndim == p->ndim - 1 : fv_same_shape(p, t);
    for (int d = 0; labels && same && d < t->ndim; d++) same = t->shape[d] == p->shape[d ? d + 1 : 0];
    if (!labels && t->dtype != FV_F32)
        return fv_node_error(g, n, FV_ERR_ARG, "targets must be float32 (one-hot or soft) or int32/int64 class "
                             "indices, got %s %s", fv_dtype_name(t->dtype), fv_dims(t));
    if (!same)
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s %s do not fit probabilities %s (%s)",
                             labels ? "class indices" : "targets", fv_dims(t), fv_dims(p),
                             labels ? "expected its shape without axis 1" : "expected the same shape");
    if (!(at->smooth >= 0.0f) || !isfinite(at->smooth))
        return fv_node_error(g, n, FV_ERR_ARG, "smooth %g must be finite and >= 0", (double)at->smooth);
    fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

static fv_status binary_infer(fv_graph *g, fv_node *n)
{
    const binary_attr *at = n->attr;
    return at->kind == DICE ? dice_infer(g, n, at) : elementwise_infer(g, n, at);
}

/* Dice's sizes, and its labels as int32 (an int64 index outside int32 matches no class: -1), narrowed into an
 * aux buffer by forward (narrow), which backward, after that forward, reads as it is. */
static fv_status dice_shape(fv_graph *g, fv_node *n, int64_t *N, int64_t *C, int64_t *S, const int32_t **labels,
                            bool narrow)
{
    const fv_tensor *p = &n->in[IN_X]->value, *t = &n->in[IN_T]->value;
    *N = p->shape[0], *C = p->shape[1], *S = 1;
    for (int d = 2; d < p->ndim; d++) *S *= p->shape[d];
    *labels = NULL;
    if (t->dtype == FV_I32) *labels = t->data;
    if (t->dtype != FV_I64) return FV_OK;
    if (!narrow) {
        *labels = n->aux[AUX_LABELS].data;
        return FV_OK;
    }
    fv_status s = fv_node_aux(g, n, AUX_LABELS, FV_I32, t->ndim, t->shape);
    if (s) return s;
    int32_t *l = fv_i32(&n->aux[AUX_LABELS]);
    const int64_t *src = t->data;
    for (int64_t i = 0; i < t->size; i++) l[i] = src[i] >= 0 && src[i] <= INT32_MAX ? (int32_t)src[i] : -1;
    *labels = l;
    return FV_OK;
}

static fv_status binary_forward(fv_graph *g, fv_node *n)
{
    const binary_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value;
    if (at->kind == DICE) {
        int64_t N, C, S;
        const int32_t *labels;
        fv_status s = dice_shape(g, n, &N, &C, &S, &labels, true);
        if (s) return s;
        fv_f32(&n->value)[0] = (float)fv_ref_dice_forward(fv_f32(x), labels ? NULL : fv_f32(&n->in[IN_T]->value),
                                                          labels, N, C, S, at->smooth);
        return FV_OK;
    }
    float *l = fv_f32(&n->value);
    if (at->reduction != FV_LOSS_NONE) {
        fv_status s = fv_node_aux(g, n, AUX_LOSS, FV_F32, x->ndim, x->shape);
        if (s) return s;
        l = fv_f32(&n->aux[AUX_LOSS]);
    }
    const float *t = fv_f32(&n->in[IN_T]->value), *w = n->in[IN_W] ? fv_f32(&n->in[IN_W]->value) : NULL;
    if (at->kind == BCE) fv_ref_bce_weighted_forward(l, fv_f32(x), t, w, x->size, x->shape[x->ndim - 1]);
    else if (at->kind == KL) fv_ref_kl_div_forward(l, fv_f32(x), t, x->size, at->log_target);
    else fv_ref_focal_forward(l, fv_f32(x), t, x->size, at->alpha, at->gamma);
    if (at->reduction == FV_LOSS_NONE) return FV_OK;
    double sum = 0.0;
    for (int64_t i = 0; i < x->size; i++) sum += l[i];
    fv_f32(&n->value)[0] = (float)(sum / divisor(at, x)); /* no element: 0 / 0, NaN, as PyTorch's mean */
    return FV_OK;
}

static void binary_backward(fv_graph *g, fv_node *n)
{
    const binary_attr *at = n->attr;
    const fv_tensor *x = &n->in[IN_X]->value;
    float *dx = fv_wants_grad(n, IN_X) ? fv_f32(&n->in[IN_X]->grad) : NULL;
    if (at->kind == DICE) {
        int64_t N, C, S;
        const int32_t *labels;
        if (!dx || dice_shape(g, n, &N, &C, &S, &labels, false) != FV_OK) return;
        fv_ref_dice_backward(dx, fv_f32(&n->grad)[0], fv_f32(x), labels ? NULL : fv_f32(&n->in[IN_T]->value), labels,
                             N, C, S, at->smooth);
        return;
    }
    /* one gradient per element, or each element's share of the scalar's, the same for all (step 0) */
    float share = (float)(fv_f32(&n->grad)[0] / divisor(at, x));
    const float *dl = at->reduction == FV_LOSS_NONE ? fv_f32(&n->grad) : &share;
    int64_t step = at->reduction == FV_LOSS_NONE;
    const float *t = fv_f32(&n->in[IN_T]->value), *w = n->in[IN_W] ? fv_f32(&n->in[IN_W]->value) : NULL;
    if (at->kind == BCE) {
        float *dt = fv_wants_grad(n, IN_T) ? fv_f32(&n->in[IN_T]->grad) : NULL;
        fv_ref_bce_weighted_backward(dx, dt, dl, step, fv_f32(x), t, w, x->size, x->shape[x->ndim - 1]);
    } else if (dx && at->kind == KL) {
        fv_ref_kl_div_backward(dx, dl, step, t, x->size, at->log_target);
    } else if (dx) {
        fv_ref_focal_backward(dx, dl, step, fv_f32(x), t, x->size, at->alpha, at->gamma);
    }
}

const fv_op_def fv_op_bce_with_logits = {"bce_with_logits", binary_infer, binary_forward, binary_backward, false};
const fv_op_def fv_op_sigmoid_focal_loss = {"sigmoid_focal_loss", binary_infer, binary_forward, binary_backward, false};
const fv_op_def fv_op_dice_loss = {"dice_loss", binary_infer, binary_forward, binary_backward, false};
const fv_op_def fv_op_kl_div = {"kl_div", binary_infer, binary_forward, binary_backward, false};

static fv_node *add(fv_graph *g, fv_op_kind op, fv_node *x, fv_node *t, fv_node *w, binary_attr at)
{
    if (at.reduction != FV_LOSS_MEAN && at.reduction != FV_LOSS_SUM && at.reduction != FV_LOSS_NONE &&
        !(at.kind == KL && at.reduction == FV_LOSS_BATCHMEAN)) {
        if (g) fv_error(fv_graph_ctx(g), FV_ERR_ARG, "%s: unknown reduction %d", fv_op_get(op)->name, (int)at.reduction);
        return NULL;
    }
    return fv_graph_add(g, op, (fv_node *[]){x, t, w}, 3, 2, &at, sizeof at);
}

fv_node *fv_bce_with_logits_weighted(fv_graph *g, fv_node *logits, fv_node *targets, fv_node *pos_weight,
                                     fv_loss_reduction reduction)
{
    return add(g, FV_OP_BCE_WITH_LOGITS, logits, targets, pos_weight, (binary_attr){BCE, reduction, 0, 0, 0, false});
}

fv_node *fv_bce_with_logits(fv_graph *g, fv_node *logits, fv_node *targets)
{
    return fv_bce_with_logits_weighted(g, logits, targets, NULL, FV_LOSS_MEAN);
}

fv_node *fv_sigmoid_focal_loss(fv_graph *g, fv_node *logits, fv_node *targets, float alpha, float gamma,
                               fv_loss_reduction reduction)
{
    return add(g, FV_OP_SIGMOID_FOCAL_LOSS, logits, targets, NULL, (binary_attr){FOCAL, reduction, alpha, gamma, 0, false});
}

fv_node *fv_kl_div(fv_graph *g, fv_node *input, fv_node *target, fv_loss_reduction reduction, bool log_target)
{
    return add(g, FV_OP_KL_DIV, input, target, NULL, (binary_attr){KL, reduction, 0, 0, 0, log_target});
}

fv_node *fv_dice_loss(fv_graph *g, fv_node *probs, fv_node *targets, float smooth)
{
    return add(g, FV_OP_DICE_LOSS, probs, targets, NULL, (binary_attr){DICE, FV_LOSS_MEAN, 0, 0, smooth, false});
}
