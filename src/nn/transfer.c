/* Weights carried from one model into another of the same architecture, paired by structure rather than by
 * name: the ONNX file of a torchvision ResNet (whose names and batch norms PyTorch's export may have changed)
 * into fovea's resnet18, a retrained copy into a fresh build, and so on.
 *
 * Both models are cut into "units" in layer order: a layer with weights (convolution, dense ...) together with
 * the batch norm that directly follows it, or a batch norm on its own. Units are paired in order, and each pair
 * must agree on the layer type, the weight shape and the convolution's stride, dilation and groups. A pair may
 * differ in whether the batch norm is separate or folded into the convolution's bias (PyTorch's ONNX export
 * folds it in eval mode): the weights are converted so that the model computes the same function. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

typedef struct {
    const fv_layer *main; /* the layer with weights, or NULL for a batch norm on its own */
    const fv_layer *bn;   /* its batch norm, or NULL */
} unit;

typedef struct {
    unit *u;
    int n;
} unit_list;

static bool is_bn(const fv_layer *l)
{
    return l->type->kind == FV_L_BATCH_NORM;
}

/* The batch norm that reads only layer i and is its only reader, or -1; n_readers and reader (the last one)
 * are counted once for the model, which keeps cutting a deep model into units linear. */
static int following_bn(const fv_model *m, const int *n_readers, const int *reader, int i)
{
    if (n_readers[i] != 1) return -1;
    const fv_layer *l = &m->layers[reader[i]];
    return is_bn(l) && l->n_in == 1 ? reader[i] : -1;
}

static fv_status cut_units(const fv_model *m, unit_list *out)
{
    out->u = calloc((size_t)m->n_layers + 1, sizeof *out->u);
    out->n = 0;
    if (!out->u) return fv_error(m->ctx, FV_ERR_NOMEM, "out of memory");
    bool *taken = calloc((size_t)m->n_layers + 1, sizeof *taken);
    int *n_readers = calloc((size_t)m->n_layers + 1, sizeof *n_readers), *reader = calloc((size_t)m->n_layers + 1, sizeof *reader);
    if (!taken || !n_readers || !reader) {
        free(taken), free(n_readers), free(reader), free(out->u);
        out->u = NULL;
        return fv_error(m->ctx, FV_ERR_NOMEM, "out of memory");
    }
    for (int j = 0; j < m->n_layers; j++)
        for (int k = 0; k < m->layers[j].n_in; k++) n_readers[m->layers[j].in[k]]++, reader[m->layers[j].in[k]] = j;
    for (int i = 0; i < m->n_layers; i++) {
        const fv_layer *l = &m->layers[i];
        if (taken[i] || l->n_params == 0) continue;
        unit u = {0};
        if (is_bn(l)) {
            u.bn = l;
        } else {
            u.main = l;
            int j = following_bn(m, n_readers, reader, i);
            if (j >= 0) u.bn = &m->layers[j], taken[j] = true;
        }
        out->u[out->n++] = u;
    }
    free(taken), free(n_readers), free(reader);
    return FV_OK;
}

static fv_param *weight(const fv_layer *l)
{
    return l->params[0];
}

/* The bias of a convolution or dense layer, or NULL. */
static fv_param *bias(const fv_layer *l)
{
    return l->n_params > 1 ? l->params[1] : NULL;
}

static const char *shape_text(const fv_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < t->ndim && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", d ? "x" : "", (long long)t->shape[d]);
    return buf;
}

static bool same_shape(const fv_tensor *a, const fv_tensor *b)
{
    return a->ndim == b->ndim && memcmp(a->shape, b->shape, sizeof a->shape[0] * (size_t)a->ndim) == 0;
}

/* The unit's layer (for messages). */
static const fv_layer *unit_layer(const unit *u)
{
    return u->main ? u->main : u->bn;
}

/* Whether two paired units can carry weights: same layer types, weight shapes and convolution geometry. */
static fv_status check_pair(fv_ctx *ctx, const unit *d, const unit *s, int k)
{
    const fv_layer *dl = unit_layer(d), *sl = unit_layer(s);
    char a[64], b[64];
    if (!d->main != !s->main || dl->type != sl->type)
        return fv_error(ctx, FV_ERR_SHAPE, "weights do not fit: weighted layer %d is '%s' (%s) here and '%s' (%s) in the "
                        "source", k + 1, dl->name, dl->type->name, sl->name, sl->type->name);
    if (!same_shape(&weight(dl)->value, &weight(sl)->value))
        return fv_error(ctx, FV_ERR_SHAPE, "weights do not fit: '%s' (%s) has weights %s here, '%s' has %s in the "
                        "source", dl->name, dl->type->name, shape_text(&weight(dl)->value, a, sizeof a), sl->name,
                        shape_text(&weight(sl)->value, b, sizeof b));
    const fv_layer_attrs *x = &dl->a, *y = &sl->a;
    bool conv = dl->type->kind == FV_L_CONV2D || dl->type->kind == FV_L_CONV_TRANSPOSE2D;
    if (conv && (memcmp(x->stride, y->stride, sizeof x->stride) || memcmp(x->dilation, y->dilation, sizeof x->dilation) ||
                 x->groups != y->groups))
        return fv_error(ctx, FV_ERR_SHAPE, "weights do not fit: '%s' has stride %dx%d, dilation %dx%d, groups %d here; "
                        "'%s' has stride %dx%d, dilation %dx%d, groups %d in the source", dl->name, x->stride[0],
                        x->stride[1], x->dilation[0], x->dilation[1], x->groups, sl->name, y->stride[0], y->stride[1],
                        y->dilation[0], y->dilation[1], y->groups);
    if (d->bn && s->bn && !same_shape(&weight(d->bn)->value, &weight(s->bn)->value))
        return fv_error(ctx, FV_ERR_SHAPE, "weights do not fit: batch norm '%s' has %s channels here, '%s' has %s",
                        d->bn->name, shape_text(&weight(d->bn)->value, a, sizeof a), s->bn->name,
                        shape_text(&weight(s->bn)->value, b, sizeof b));
    if (!d->bn && s->bn && !bias(d->main))
        return fv_error(ctx, FV_ERR_SHAPE, "weights do not fit: '%s' has no bias to take the batch norm '%s' of the source",
                        d->main->name, s->bn->name);
    if (!d->bn && !s->bn && !bias(d->main) && bias(s->main))
        return fv_error(ctx, FV_ERR_SHAPE, "weights do not fit: '%s' has a bias in the source and none here",
                        d->main->name);
    return FV_OK;
}

static float *f(const fv_param *p)
{
    return (float *)p->value.data;
}

static void copy(fv_param *to, const fv_param *from)
{
    memcpy(to->value.data, from->value.data, (size_t)from->value.size * sizeof(float));
}

static void fill(fv_param *p, float v)
{
    for (int64_t i = 0; i < p->value.size; i++) f(p)[i] = v;
}

/* A batch norm copied across, with its variance moved so that var + eps stays the same under dst's eps. */
static void copy_bn(const fv_layer *d, const fv_layer *s)
{
    for (int j = 0; j < 3; j++) copy(d->params[j], s->params[j]);
    fv_param *var = d->params[3];
    const float *sv = f(s->params[3]);
    for (int64_t c = 0; c < var->value.size; c++) f(var)[c] = fmaxf(sv[c] + s->a.eps - d->a.eps, 0.0f);
}

/* dst's batch norm as the identity plus a shift: what a source that folded its batch norm into the bias needs. */
static void bn_from_bias(const fv_layer *bn, const fv_param *b)
{
    fill(bn->params[0], 1.0f);
    if (b) copy(bn->params[1], b);
    else fill(bn->params[1], 0.0f);
    fill(bn->params[2], 0.0f);
    fill(bn->params[3], 1.0f - bn->a.eps);
}

/* The source's batch norm folded into dst's weights and bias: W * g / sqrt(v + eps), (b - mean) * ... + beta. */
static void fold_bn(const fv_layer *d, const fv_layer *s_main, const fv_layer *s_bn)
{
    fv_param *w = weight(d), *b = bias(d);
    const float *g = f(s_bn->params[0]), *beta = f(s_bn->params[1]), *mean = f(s_bn->params[2]),
                *var = f(s_bn->params[3]);
    const fv_param *sb = bias(s_main);
    int64_t out = w->value.shape[0], per = w->value.size / out;
    copy(w, weight(s_main));
    for (int64_t o = 0; o < out; o++) {
        float scale = g[o] / sqrtf(var[o] + s_bn->a.eps);
        for (int64_t i = 0; i < per; i++) f(w)[o * per + i] *= scale;
        f(b)[o] = ((sb ? f(sb)[o] : 0.0f) - mean[o]) * scale + beta[o];
    }
}

static void carry(const unit *d, const unit *s)
{
    if (!d->main) { /* batch norms on their own */
        copy_bn(d->bn, s->bn);
        return;
    }
    if (!d->bn && s->bn) { /* dst folds what the source keeps apart */
        fold_bn(d->main, s->main, s->bn);
        return;
    }
    copy(weight(d->main), weight(s->main));
    fv_param *db = bias(d->main), *sb = bias(s->main);
    if (d->bn && s->bn) {
        copy_bn(d->bn, s->bn);
        if (db) sb ? copy(db, sb) : fill(db, 0.0f);
        else if (sb) /* the source's bias moves into dst's batch norm: bn(x + b) has mean - b */
            for (int64_t c = 0; c < sb->value.size; c++) f(d->bn->params[2])[c] -= f(sb)[c];
    } else if (d->bn) {
        if (db) fill(db, 0.0f);
        bn_from_bias(d->bn, sb);
    } else if (db) {
        sb ? copy(db, sb) : fill(db, 0.0f);
    }
}

/* For a channel-last weight layout (transposed convolutions) a fold would scale the wrong axis. */
static fv_status check_fold(fv_ctx *ctx, const unit *d, const unit *s)
{
    if (d->main && !d->bn && s->bn && d->main->type->kind == FV_L_CONV_TRANSPOSE2D)
        return fv_error(ctx, FV_ERR_UNSUPPORTED, "weights: folding batch norm '%s' into the transposed convolution '%s' "
                        "is not supported", s->bn->name, d->main->name);
    return FV_OK;
}

fv_status fv_model_copy_weights(fv_model *dst, const fv_model *src)
{
    if (!dst || !src) return dst ? fv_error(dst->ctx, FV_ERR_ARG, "fv_model_copy_weights: no source model") : FV_ERR_ARG;
    fv_ctx *ctx = dst->ctx;
    unit_list d = {0}, s = {0};
    fv_status st = cut_units(dst, &d);
    if (!st) st = cut_units(src, &s);
    if (!st && d.n != s.n)
        st = fv_error(ctx, FV_ERR_SHAPE, "weights do not fit: '%s' has %d weighted layers (counting a convolution and "
                      "its batch norm as one), '%s' has %d", dst->name, d.n, src->name, s.n);
    for (int k = 0; !st && k < d.n; k++) {
        st = check_pair(ctx, &d.u[k], &s.u[k], k);
        if (!st) st = check_fold(ctx, &d.u[k], &s.u[k]);
    }
    /* nothing is written until every pair fits, so that a refused copy leaves dst as it was */
    for (int k = 0; !st && k < d.n; k++) carry(&d.u[k], &s.u[k]);
    free(d.u), free(s.u);
    return st;
}

fv_status fv_model_copy_weights_prefix(fv_model *dst, const fv_model *src, int *carried, char **left_out)
{
    if (carried) *carried = 0;
    if (left_out) *left_out = NULL;
    if (!dst || !src) return dst ? fv_error(dst->ctx, FV_ERR_ARG, "fv_model_copy_weights_prefix: no source") : FV_ERR_ARG;
    fv_ctx *ctx = dst->ctx;
    unit_list d = {0}, s = {0};
    fv_status st = cut_units(dst, &d);
    if (!st) st = cut_units(src, &s);
    int k = 0;
    char why[400] = "";
    for (; !st && k < d.n && k < s.n; k++) {
        fv_status e = check_pair(ctx, &d.u[k], &s.u[k], k);
        if (!e) e = check_fold(ctx, &d.u[k], &s.u[k]);
        if (e) {
            snprintf(why, sizeof why, "%s", fv_errmsg(ctx));
            fv_clear_error(ctx);
            break;
        }
    }
    if (!st && k == 0)
        st = fv_error(ctx, FV_ERR_SHAPE, "%s", why[0] ? why : "weights do not fit: no weighted layer in common");
    for (int j = 0; !st && j < k; j++) carry(&d.u[j], &s.u[j]);
    size_t len = 0, cap = 0;
    char *names = NULL;
    for (int j = k; !st && left_out && j < d.n; j++)
        if ((len && fv_text_append(&names, &len, &cap, ", ") != FV_OK) ||
            fv_text_append(&names, &len, &cap, unit_layer(&d.u[j])->name) != FV_OK)
            st = fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    if (!st && left_out) *left_out = names;
    else free(names);
    if (!st && carried) *carried = k;
    free(d.u), free(s.u);
    return st;
}
