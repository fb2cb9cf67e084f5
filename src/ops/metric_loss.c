/* Metric-learning losses on embeddings (N, D), one loss per sample then reduced (fv_loss_reduction):
 * contrastive on pairs with a same/different target, triplet margin on (anchor, positive, negative), cosine
 * embedding on pairs with a +1/-1 target. The kernels are kernels/ref/metric_loss.c; the embeddings get
 * gradients, the targets none. */
#include <math.h>

#include "../graph/graph_internal.h"
#include "../kernels/ref/metric_loss.h"
#include "../kernels/ref/triplet_mining.h"
#include "fovea/ops.h"

enum { IN_A, IN_B, IN_C }; /* the third: the pair's target, or the triplet's negative */
enum { AUX_LOSS }; /* per-sample losses (scalar reductions) */

typedef enum { CONTRASTIVE, TRIPLET, COSINE } metric_kind;

typedef struct {
    metric_kind kind;
    fv_loss_reduction reduction;
    fv_ref_triplet_args t; /* margin for all; p, eps, swap for the triplet */
} metric_attr;

static const char *const names[3][3] = {
    {"a (N, D)", "b (N, D)", "target (N)"},
    {"anchor (N, D)", "positive (N, D)", "negative (N, D)"},
    {"x1 (N, D)", "x2 (N, D)", "target (N)"},
};

static fv_status metric_infer(fv_graph *g, fv_node *n)
{
    const metric_attr *at = n->attr;
    const char *const *nm = names[at->kind];
    bool triplet = at->kind == TRIPLET;
    fv_status s;
    if ((s = fv_expect(g, n, IN_A, 2, nm[0])) || (s = fv_expect(g, n, IN_B, 2, nm[1])) ||
        (s = fv_expect(g, n, IN_C, triplet ? 2 : 1, nm[2])))
        return s;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value, *c = &n->in[IN_C]->value;
    if (!fv_same_shape(a, b) || (triplet && !fv_same_shape(a, c)))
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s %s, %s %s%s%s must have the same shape", nm[0], fv_dims(a), nm[1],
                             fv_dims(b), triplet ? " and negative " : "", triplet ? fv_dims(c) : "");
    if (!triplet && c->shape[0] != a->shape[0])
        return fv_node_error(g, n, FV_ERR_SHAPE, "target %s needs one value per row of %s %s", fv_dims(c), nm[0],
                             fv_dims(a));
    if (!isfinite(at->t.margin) || (triplet && (!(at->t.p > 0.0f) || !isfinite(at->t.p) || !(at->t.eps >= 0.0f) ||
                                                !isfinite(at->t.eps))))
        return fv_node_error(g, n, FV_ERR_ARG, "margin %g%s%g%s%g: the margin must be finite%s", (double)at->t.margin,
                             triplet ? ", p " : "", triplet ? (double)at->t.p : 0.0, triplet ? ", eps " : "",
                             triplet ? (double)at->t.eps : 0.0, triplet ? ", p > 0 and eps >= 0, both finite" : "");
    if (at->reduction == FV_LOSS_NONE) fv_node_set_shape(n, FV_F32, 1, a->shape);
    else fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

static fv_status metric_forward(fv_graph *g, fv_node *n)
{
    const metric_attr *at = n->attr;
    const fv_tensor *a = &n->in[IN_A]->value;
    int64_t N = a->shape[0], D = a->shape[1];
    float *l = fv_f32(&n->value);
    if (at->reduction != FV_LOSS_NONE) {
        fv_status s = fv_node_aux(g, n, AUX_LOSS, FV_F32, 1, &N);
        if (s) return s;
        l = fv_f32(&n->aux[AUX_LOSS]);
    }
    const float *x = fv_f32(a), *y = fv_f32(&n->in[IN_B]->value), *z = fv_f32(&n->in[IN_C]->value);
    if (at->kind == CONTRASTIVE) fv_ref_contrastive_forward(l, x, y, z, N, D, at->t.margin);
    else if (at->kind == TRIPLET) fv_ref_triplet_forward(l, x, y, z, N, D, &at->t);
    else fv_ref_cosine_embedding_forward(l, x, y, z, N, D, at->t.margin);
    if (at->reduction == FV_LOSS_NONE) return FV_OK;
    double sum = 0.0;
    for (int64_t i = 0; i < N; i++) sum += l[i];
    fv_f32(&n->value)[0] = (float)(at->reduction == FV_LOSS_MEAN ? sum / (double)N : sum); /* N 0: NaN, as PyTorch */
    return FV_OK;
}

static void metric_backward(fv_graph *g, fv_node *n)
{
    const metric_attr *at = n->attr;
    const fv_tensor *a = &n->in[IN_A]->value;
    int64_t N = a->shape[0], D = a->shape[1];
    /* one gradient per sample, or each sample's share of the scalar's, the same for all (step 0) */
    float v = fv_f32(&n->grad)[0], share = at->reduction == FV_LOSS_MEAN ? (float)(v / (double)N) : v;
    const float *dl = at->reduction == FV_LOSS_NONE ? fv_f32(&n->grad) : &share;
    int64_t step = at->reduction == FV_LOSS_NONE;
    float *ga = fv_wants_grad(n, IN_A) ? fv_f32(&n->in[IN_A]->grad) : NULL;
    float *gb = fv_wants_grad(n, IN_B) ? fv_f32(&n->in[IN_B]->grad) : NULL;
    const float *x = fv_f32(a), *y = fv_f32(&n->in[IN_B]->value), *z = fv_f32(&n->in[IN_C]->value);
    if (at->kind == CONTRASTIVE) {
        fv_ref_contrastive_backward(ga, gb, dl, step, x, y, z, N, D, at->t.margin);
    } else if (at->kind == TRIPLET) {
        float *gc = fv_wants_grad(n, IN_C) ? fv_f32(&n->in[IN_C]->grad) : NULL;
        fv_ref_triplet_backward(ga, gb, gc, dl, step, x, y, z, N, D, &at->t);
    } else {
        fv_ref_cosine_embedding_backward(ga, gb, dl, step, x, y, z, N, D, at->t.margin);
    }
}

const fv_op_def fv_op_contrastive_loss = {"contrastive_loss", metric_infer, metric_forward, metric_backward, false};
const fv_op_def fv_op_triplet_margin_loss = {"triplet_margin_loss", metric_infer, metric_forward, metric_backward,
                                             false};
const fv_op_def fv_op_cosine_embedding_loss = {"cosine_embedding_loss", metric_infer, metric_forward,
                                               metric_backward, false};

static fv_node *add(fv_graph *g, fv_op_kind op, fv_node *a, fv_node *b, fv_node *c, metric_attr at)
{
    if (at.reduction != FV_LOSS_MEAN && at.reduction != FV_LOSS_SUM && at.reduction != FV_LOSS_NONE) {
        if (g) fv_error(fv_graph_ctx(g), FV_ERR_ARG, "%s: unknown reduction %d", fv_op_get(op)->name, (int)at.reduction);
        return NULL;
    }
    return fv_graph_add(g, op, (fv_node *[]){a, b, c}, 3, 3, &at, sizeof at);
}

fv_node *fv_contrastive_loss(fv_graph *g, fv_node *a, fv_node *b, fv_node *target, float margin,
                             fv_loss_reduction reduction)
{
    return add(g, FV_OP_CONTRASTIVE_LOSS, a, b, target, (metric_attr){CONTRASTIVE, reduction, {margin, 2.0f, 0.0f, false}});
}

fv_node *fv_triplet_margin_loss(fv_graph *g, fv_node *anchor, fv_node *positive, fv_node *negative, float margin,
                                float p, float eps, bool swap, fv_loss_reduction reduction)
{
    return add(g, FV_OP_TRIPLET_MARGIN_LOSS, anchor, positive, negative,
               (metric_attr){TRIPLET, reduction, {margin, p, eps, swap}});
}

fv_node *fv_cosine_embedding_loss(fv_graph *g, fv_node *x1, fv_node *x2, fv_node *target, float margin,
                                  fv_loss_reduction reduction)
{
    return add(g, FV_OP_COSINE_EMBEDDING_LOSS, x1, x2, target, (metric_attr){COSINE, reduction, {margin, 2.0f, 0.0f, false}});
}

/* ---- the triplet loss mined in a batch ---- */

_Static_assert(FV_MINE_HARD == (int)FV_TRIPLET_BATCH_HARD && FV_MINE_ALL == (int)FV_TRIPLET_BATCH_ALL &&
                   FV_MINE_SEMI_HARD == (int)FV_TRIPLET_SEMI_HARD, "the kernel's mining numbers are the API's");

typedef struct {
    float margin;
    int mining; /* fv_triplet_mining */
} mined_attr;

enum { IN_E, IN_LABELS };
enum { AUX_LABELS64 };

static fv_status mined_infer(fv_graph *g, fv_node *n)
{
    const mined_attr *at = n->attr;
    fv_status s = fv_expect(g, n, IN_E, 2, "embeddings (N, D)");
    if (s) return s;
    const fv_tensor *e = &n->in[IN_E]->value, *y = &n->in[IN_LABELS]->value;
    if ((y->dtype != FV_I32 && y->dtype != FV_I64) || y->ndim != 1 || y->shape[0] != e->shape[0])
        return fv_node_error(g, n, FV_ERR_SHAPE, "labels %s %s must be int32 or int64 identities, one per row of "
                             "embeddings %s", fv_dtype_name(y->dtype), fv_dims(y), fv_dims(e));
    if (!isfinite(at->margin))
        return fv_node_error(g, n, FV_ERR_ARG, "margin %g must be finite", (double)at->margin);
    if (at->mining < FV_TRIPLET_BATCH_HARD || at->mining > FV_TRIPLET_SEMI_HARD)
        return fv_node_error(g, n, FV_ERR_ARG, "mining %d is none of batch-hard (0), batch-all (1), semi-hard (2)",
                             at->mining);
    if (e->shape[0] > 46340) /* N^2 distances */
        return fv_node_error(g, n, FV_ERR_SHAPE, "embeddings %s: a batch of more than 46340 rows", fv_dims(e));
    fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

/* The labels as int64: an int32 tensor is widened into an aux buffer by forward (widen), which backward, after
 * that forward, reads as it is. */
static const int64_t *labels64(fv_graph *g, fv_node *n, bool widen)
{
    const fv_tensor *y = &n->in[IN_LABELS]->value;
    if (y->dtype == FV_I64) return y->data;
    if (!widen) return n->aux[AUX_LABELS64].data;
    if (fv_node_aux(g, n, AUX_LABELS64, FV_I64, 1, y->shape) != FV_OK) return NULL;
    int64_t *w = n->aux[AUX_LABELS64].data;
    for (int64_t i = 0; i < y->size; i++) w[i] = fv_i32(y)[i];
    return w;
}

static fv_status mined_forward(fv_graph *g, fv_node *n)
{
    const mined_attr *at = n->attr;
    const fv_tensor *e = &n->in[IN_E]->value;
    const int64_t *y = labels64(g, n, true);
    double loss;
    if (!y) return fv_errcode(g->ctx);
    if (!fv_ref_triplet_mined_forward(&loss, fv_f32(e), y, e->shape[0], e->shape[1], at->margin, at->mining))
        return fv_node_error(g, n, FV_ERR_NOMEM, "no memory for the distances of embeddings %s", fv_dims(e));
    fv_f32(&n->value)[0] = (float)loss;
    return FV_OK;
}

static void mined_backward(fv_graph *g, fv_node *n)
{
    const mined_attr *at = n->attr;
    const fv_tensor *e = &n->in[IN_E]->value;
    const int64_t *y = labels64(g, n, false);
    if (!y || !fv_wants_grad(n, IN_E)) return;
    fv_ref_triplet_mined_backward(fv_f32(&n->in[IN_E]->grad), fv_f32(&n->grad)[0], fv_f32(e), y, e->shape[0],
                                  e->shape[1], at->margin, at->mining);
}

const fv_op_def fv_op_triplet_mined_loss = {"triplet_mined_loss", mined_infer, mined_forward, mined_backward, false};

fv_node *fv_triplet_mined_loss(fv_graph *g, fv_node *embeddings, fv_node *labels, float margin,
                               fv_triplet_mining mining)
{
    mined_attr at = {margin, (int)mining};
    return fv_graph_add(g, FV_OP_TRIPLET_MINED_LOSS, (fv_node *[]){embeddings, labels}, 2, 2, &at, sizeof at);
}
