/* The built-in tasks' targets and losses: what target each kind takes for the model's outputs (checked once,
 * when the trainer builds its graph, so that a loss that does not fit is an error before any step), the loss
 * as a weighted sum of terms, and the check of each batch's target values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fovea/ops.h"
#include "task_internal.h"

/* "(N, 10)" for a node, in messages. */
static const char *dims_of(const fv_node *n, char *buf, size_t size)
{
    const fv_tensor *v = fv_node_value(n);
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int d = 0; d < v->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? ", " : "", (long long)v->shape[d]);
    if (used < size) snprintf(buf + used, size - used, ")");
    return buf;
}

static fv_status want(fv_task *t, fv_graph *g, fv_node *out, bool ok, const char *what)
{
    if (ok) return FV_OK;
    char d[96];
    return fv_error(fv_graph_ctx(g), FV_ERR_SHAPE, "task %s needs %s; the model's output '%s' is %s", t->name, what,
                    fv_node_name(out), dims_of(out, d, sizeof d));
}

static bool has_term(const fv_builtin_task *b, fv_task_loss l)
{
    for (int i = 0; i < b->o.n_terms; i++)
        if (b->o.loss[i] == l) return true;
    return false;
}

/* The embedding form by output count; pair losses need two outputs, the triplet loss one or three. */
static fv_status embed_form(fv_builtin_task *b, fv_graph *g, fv_node *const *out, int n)
{
    fv_ctx *ctx = fv_graph_ctx(g);
    if (n < 1 || n > 3)
        return fv_error(ctx, FV_ERR_SHAPE, "task embed takes 1 output (embeddings with identities), 2 (pairs) or 3 "
                        "(triplets); the model has %d", n);
    for (int i = 0; i < n; i++) {
        const fv_tensor *v = fv_node_value(out[i]), *v0 = fv_node_value(out[0]);
        fv_status s = want(&b->base, g, out[i], v->ndim == 2 && v->shape[1] == v0->shape[1] && v->dtype == FV_F32,
                           "embeddings (N, D) of one size from every output");
        if (s) return s;
    }
    bool pair_loss = has_term(b, FV_TASK_LOSS_CONTRASTIVE) || has_term(b, FV_TASK_LOSS_COSINE);
    if ((n == 2) != pair_loss && b->o.n_terms > 0)
        return fv_error(ctx, FV_ERR_SHAPE, "task embed: %s", n == 2 ? "a model of two outputs (pairs) trains with "
                        "contrastive or cosine losses" : "contrastive and cosine losses need a model of two outputs "
                        "(a pair)");
    b->embed_form = n;
    return FV_OK;
}

static fv_status one_output(fv_task *t, fv_graph *g, int n)
{
    if (n == 1) return FV_OK;
    return fv_error(fv_graph_ctx(g), FV_ERR_SHAPE, "task %s takes a model of one output; this one has %d", t->name, n);
}

static fv_status check_weights(fv_builtin_task *b, fv_graph *g, int64_t k)
{
    fv_ctx *ctx = fv_graph_ctx(g);
    if (b->class_weights && b->class_weights->shape[0] != k)
        return fv_error(ctx, FV_ERR_ARG, "%lld class weights given for a model with %lld classes",
                        (long long)b->class_weights->shape[0], (long long)k);
    if (b->pos_weight && b->pos_weight->shape[0] != k)
        return fv_error(ctx, FV_ERR_ARG, "%lld pos_weight values given for a model with %lld outputs per sample",
                        (long long)b->pos_weight->shape[0], (long long)k);
    if (b->class_weights && b->o.kind != FV_TASK_CLASSIFY && b->o.kind != FV_TASK_SEGMENT)
        return fv_error(ctx, FV_ERR_ARG, "class weights apply to classify and segment, not %s", b->base.name);
    if (b->pos_weight && b->o.kind != FV_TASK_BINARY && b->o.kind != FV_TASK_MULTILABEL)
        return fv_error(ctx, FV_ERR_ARG, "pos_weight applies to binary and multilabel, not %s", b->base.name);
    if (b->o.label_smoothing > 0 && b->o.kind != FV_TASK_CLASSIFY)
        return fv_error(ctx, FV_ERR_ARG, "label smoothing applies to classify, not %s", b->base.name);
    if (has_term(b, FV_TASK_LOSS_HUBER) && !(b->o.beta > 0))
        return fv_error(ctx, FV_ERR_ARG, "the Huber loss needs a delta (beta) > 0, not %g", (double)b->o.beta);
    return FV_OK;
}

fv_status fv_task_target_spec(fv_task *t, fv_graph *g, fv_node *const *out, int n, fv_dtype *dtype, int *ndim,
                              int64_t *shape)
{
    fv_builtin_task *b = fv_builtin(t);
    fv_status s = b->o.kind == FV_TASK_EMBED ? embed_form(b, g, out, n) : one_output(t, g, n);
    if (s) return s;
    const fv_tensor *v = fv_node_value(out[0]);
    *dtype = FV_F32, *ndim = v->ndim;
    memcpy(shape, v->shape, (size_t)v->ndim * sizeof *shape);
    switch (b->o.kind) {
    case FV_TASK_CLASSIFY:
        s = want(t, g, out[0], v->ndim == 2, "(batch, classes) logits");
        *dtype = FV_I32, *ndim = 1, b->classes = v->shape[1];
        break;
    case FV_TASK_BINARY:
        s = want(t, g, out[0], v->ndim == 1 || (v->ndim == 2 && v->shape[1] == 1), "one logit per sample, (N) or (N, 1)");
        b->classes = 1;
        break;
    case FV_TASK_MULTILABEL:
        s = want(t, g, out[0], v->ndim == 2, "(batch, labels) logits");
        b->classes = v->ndim == 2 ? v->shape[1] : 0;
        break;
    case FV_TASK_REGRESS:
        b->classes = v->ndim > 1 ? v->shape[v->ndim - 1] : 1;
        break;
    case FV_TASK_SEGMENT:
        s = want(t, g, out[0], v->ndim >= 3, "(batch, classes, H, W) logits");
        *dtype = FV_I32, *ndim = v->ndim - 1, b->classes = v->shape[1];
        if (v->ndim >= 3) memmove(shape + 1, shape + 2, (size_t)(v->ndim - 2) * sizeof *shape);
        break;
    case FV_TASK_EMBED:
        *dtype = b->embed_form == FV_EMBED_MINED ? FV_I32 : FV_F32;
        *ndim = b->embed_form == FV_EMBED_TRIPLETS ? 0 : 1;
        break;
    case FV_TASK_DETECT:
        *ndim = 3, shape[1] = b->max_boxes, shape[2] = 5;
        break;
    default:
        break;
    }
    return s ? s : check_weights(b, g, b->classes);
}

/* ---- the loss ---------------------------------------------------------------------------------------- */

/* A float32 constant of the given values. */
static fv_node *constant(fv_graph *g, int ndim, const int64_t *shape, const float *v)
{
    fv_ctx *ctx = fv_graph_ctx(g);
    fv_tensor *t = fv_tensor_from(ctx, FV_F32, ndim, shape, v);
    fv_node *n = t ? fv_constant(g, t) : NULL;
    fv_tensor_free(t);
    return n;
}

static fv_node *weights_node(fv_graph *g, const fv_tensor *w)
{
    return w ? constant(g, 1, w->shape, fv_f32(w)) : NULL;
}

/* (N, K, d...) float one-hot of class indices y (N, d...) (an index outside [0, K) is all zeros). */
static fv_node *one_hot(fv_graph *g, fv_node *y, int64_t k, int rank)
{
    float ids[4096];
    if (k > 4096) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "the focal loss per pixel takes at most 4096 classes, not %lld",
                 (long long)k);
        return NULL;
    }
    for (int64_t c = 0; c < k; c++) ids[c] = (float)c;
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0; d < FV_MAX_DIMS; d++) shape[d] = 1;
    shape[1] = k;
    int64_t axis = 1;
    fv_node *yf = fv_cast(g, fv_unsqueeze(g, y, 1, &axis), FV_F32);
    return fv_cast(g, fv_equal(g, yf, constant(g, rank, shape, ids)), FV_F32);
}

static float margin_or(const fv_builtin_task *b, float def)
{
    return isnan(b->o.margin) ? def : b->o.margin;
}

/* One term of the loss. */
static fv_node *term(fv_builtin_task *b, fv_graph *g, fv_task_loss l, fv_node *const *out, fv_node *y)
{
    fv_node *z = out[0];
    bool seg = b->o.kind == FV_TASK_SEGMENT;
    int rank = fv_node_value(z)->ndim;
    switch (l) {
    case FV_TASK_LOSS_CE:
        if (!seg) return fv_cross_entropy(g, z, y, weights_node(g, b->class_weights), b->o.label_smoothing);
        return fv_softmax_cross_entropy(g, z, y, weights_node(g, b->class_weights), FV_LOSS_MEAN, b->o.ignore_index,
                                        NULL);
    case FV_TASK_LOSS_BCE:
        return fv_bce_with_logits_weighted(g, z, y, weights_node(g, b->pos_weight), FV_LOSS_MEAN);
    case FV_TASK_LOSS_FOCAL:
        return fv_sigmoid_focal_loss(g, z, seg ? one_hot(g, y, b->classes, rank) : y, b->o.focal_alpha,
                                     b->o.focal_gamma, FV_LOSS_MEAN);
    case FV_TASK_LOSS_DICE:
        return fv_dice_loss(g, seg ? fv_softmax(g, z, 1) : fv_sigmoid(g, z), y, b->o.dice_smooth);
    case FV_TASK_LOSS_MSE: return fv_mse_loss(g, z, y);
    case FV_TASK_LOSS_L1: return fv_l1_loss(g, z, y);
    case FV_TASK_LOSS_SMOOTH_L1: return fv_smooth_l1_loss(g, z, y, b->o.beta);
    case FV_TASK_LOSS_HUBER: {
        fv_node *s = fv_smooth_l1_loss(g, z, y, b->o.beta);
        return fv_mul(g, s, constant(g, 0, NULL, &b->o.beta));
    }
    case FV_TASK_LOSS_CONTRASTIVE: return fv_contrastive_loss(g, out[0], out[1], y, margin_or(b, 1.0f), FV_LOSS_MEAN);
    case FV_TASK_LOSS_COSINE: return fv_cosine_embedding_loss(g, out[0], out[1], y, margin_or(b, 0.0f), FV_LOSS_MEAN);
    case FV_TASK_LOSS_TRIPLET:
        if (b->embed_form == FV_EMBED_TRIPLETS)
            return fv_triplet_margin_loss(g, out[0], out[1], out[2], margin_or(b, 1.0f), b->o.p, 1e-6f, b->o.swap,
                                          FV_LOSS_MEAN);
        return fv_triplet_mined_loss(g, out[0], y, margin_or(b, 1.0f), b->o.mining);
    default:
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "task %s: loss %d has no term", b->base.name, (int)l);
        return NULL;
    }
}

static fv_task_loss default_loss(const fv_builtin_task *b)
{
    switch (b->o.kind) {
    case FV_TASK_BINARY: case FV_TASK_MULTILABEL: return FV_TASK_LOSS_BCE;
    case FV_TASK_REGRESS: return FV_TASK_LOSS_MSE;
    case FV_TASK_EMBED: return b->embed_form == FV_EMBED_PAIRS ? FV_TASK_LOSS_CONTRASTIVE : FV_TASK_LOSS_TRIPLET;
    default: return FV_TASK_LOSS_CE;
    }
}

fv_node *fv_task_builtin_loss(fv_task *t, fv_graph *g, fv_node *const *outputs, int n_outputs, fv_node *target)
{
    fv_builtin_task *b = fv_builtin(t);
    (void)n_outputs;
    if (b->o.kind == FV_TASK_DETECT) return b->detect_loss(b->detect_user, g, outputs, n_outputs, target);
    fv_node *out[3] = {outputs[0], n_outputs > 1 ? outputs[1] : NULL, n_outputs > 2 ? outputs[2] : NULL};
    /* binary logits (N) become (N, 1), so that pos_weight and Dice see one label along the last axis */
    if (b->o.kind == FV_TASK_BINARY && fv_node_value(out[0])->ndim == 1) {
        int64_t axis = 1;
        out[0] = fv_unsqueeze(g, out[0], 1, &axis);
        target = fv_unsqueeze(g, target, 1, &axis);
    }
    int n = b->o.n_terms ? b->o.n_terms : 1;
    fv_node *sum = NULL;
    for (int i = 0; i < n; i++) {
        fv_node *l = term(b, g, b->o.n_terms ? b->o.loss[i] : default_loss(b), out, target);
        float w = b->o.n_terms ? b->o.weight[i] : 1.0f;
        if (l && w != 1.0f) l = fv_mul(g, l, constant(g, 0, NULL, &w));
        if (!l) return NULL;
        sum = sum ? fv_add(g, sum, l) : l;
    }
    return sum;
}

/* ---- each batch's targets ------------------------------------------------------------------------------ */

static fv_status check_indices(fv_builtin_task *b, fv_ctx *ctx, const fv_tensor *y, int n, const int64_t *ids)
{
    int64_t per = n ? y->size / y->shape[0] : 0;
    const int32_t *v = fv_i32(y);
    bool seg = b->o.kind == FV_TASK_SEGMENT;
    for (int i = 0; i < n; i++)
        for (int64_t j = 0; j < per; j++) {
            int32_t c = v[i * per + j];
            if ((c >= 0 && c < b->classes) || (seg && c == b->o.ignore_index)) continue;
            if (!seg)
                return fv_error(ctx, FV_ERR_ARG, "label %d of sample %lld is outside the model's %lld classes", c,
                                (long long)ids[i], (long long)b->classes);
            return fv_error(ctx, FV_ERR_ARG, "mask value %d at pixel %lld of sample %lld is outside the model's %lld "
                            "classes and is not the ignore index %lld", c, (long long)j, (long long)ids[i],
                            (long long)b->classes, (long long)b->o.ignore_index);
        }
    return FV_OK;
}

/* Float targets: each in the set the loss needs (0/1, -1/+1) or at least finite. */
static fv_status check_floats(fv_builtin_task *b, fv_ctx *ctx, const fv_tensor *y, int n, const int64_t *ids)
{
    int64_t per = n ? y->size / y->shape[0] : 0;
    const float *v = fv_f32(y);
    bool binary = b->o.kind == FV_TASK_BINARY || b->o.kind == FV_TASK_MULTILABEL ||
                  (b->o.kind == FV_TASK_EMBED && !has_term(b, FV_TASK_LOSS_COSINE));
    bool sign = b->o.kind == FV_TASK_EMBED && has_term(b, FV_TASK_LOSS_COSINE);
    const char *need = binary ? "0 or 1" : sign ? "-1 or +1" : "a finite number";
    for (int i = 0; i < n; i++)
        for (int64_t j = 0; j < per; j++) {
            float x = v[i * per + j];
            bool ok = binary ? (x == 0.0f || x == 1.0f) : sign ? (x == -1.0f || x == 1.0f) : isfinite(x);
            if (!ok)
                return fv_error(ctx, FV_ERR_ARG, "target %g (value %lld) of sample %lld: the task %s needs %s",
                                (double)x, (long long)j, (long long)ids[i], b->base.name, need);
        }
    return FV_OK;
}

static fv_status check_boxes(fv_builtin_task *b, fv_ctx *ctx, const fv_tensor *y, int n, const int64_t *ids)
{
    const float *v = fv_f32(y);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < b->max_boxes; j++) {
            const float *r = v + ((int64_t)i * b->max_boxes + j) * 5;
            if (r[0] == -1.0f) continue;
            if (!(r[0] >= 0) || r[0] != floorf(r[0]) || !isfinite(r[1] + r[2] + r[3] + r[4]) || !(r[3] >= r[1]) ||
                !(r[4] >= r[2]))
                return fv_error(ctx, FV_ERR_ARG, "box %d of sample %lld (class %g, %g %g %g %g) is not a class "
                                "with x0 <= x1, y0 <= y1", j, (long long)ids[i], (double)r[0], (double)r[1],
                                (double)r[2], (double)r[3], (double)r[4]);
        }
    return FV_OK;
}

fv_status fv_task_check_target(fv_task *t, fv_ctx *ctx, const fv_tensor *target, int n, const int64_t *ids)
{
    fv_builtin_task *b = fv_builtin(t);
    if (!target) return FV_OK;
    if (b->o.kind == FV_TASK_DETECT) return check_boxes(b, ctx, target, n, ids);
    if (b->o.kind == FV_TASK_EMBED && b->embed_form == FV_EMBED_MINED) return FV_OK; /* any identities */
    if (target->dtype == FV_I32) return check_indices(b, ctx, target, n, ids);
    return check_floats(b, ctx, target, n, ids);
}

/* Classification's validation loss: the plain mean cross-entropy (no class weights, no smoothing) in double,
 * as the trainer always reported it. */
void fv_task_classify_loss_add(fv_task *t, const fv_tensor *const *outputs, int n_outputs, const fv_tensor *target,
                               int n, double *sum_out)
{
    (void)t, (void)n_outputs;
    const fv_tensor *z = outputs[0];
    const int32_t *y = fv_i32(target);
    int64_t kk = z->shape[1];
    double sum = *sum_out;
    for (int i = 0; i < n; i++) {
        const float *row = fv_f32(z) + (int64_t)i * kk;
        double mx = row[0], se = 0;
        for (int64_t c = 1; c < kk; c++) mx = row[c] > mx ? row[c] : mx;
        for (int64_t c = 0; c < kk; c++) se += exp(row[c] - mx);
        sum += mx + log(se) - row[y[i]];
    }
    *sum_out = sum;
}
