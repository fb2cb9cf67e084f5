/* What each layer type becomes: its parameters (named as PyTorch's state_dict names them, so that weights map
 * to and from PyTorch and ONNX by name) and the graph node it adds. */
#include <stdio.h>
#include <string.h>

#include "../ops/fused.h"
#include "model_internal.h"

static fv_param *new_typed_param(fv_model *m, fv_layer *l, const char *suffix, fv_param_kind kind, fv_dtype dtype,
                                 int ndim, const int64_t *shape)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", l->name, suffix);
    if (strlen(name) >= sizeof((fv_param *)0)->name) {
        fv_error(m->ctx, FV_ERR_ARG, "layer '%s': parameter name '%s' is too long", l->name, name);
        return NULL;
    }
    /* checked here, before the allocation: a one-line description may not ask for gigabytes */
    if (fv_size_product(ndim, shape, FV_MAX_PARAM_ELEMENTS) < 0) {
        char dims[128] = "";
        for (int d = 0; d < ndim; d++) {
            size_t n = strlen(dims);
            snprintf(dims + n, sizeof dims - n, "%s%lld", d ? ", " : "", (long long)shape[d]);
        }
        fv_error(m->ctx, FV_ERR_SHAPE, "%s '%s': parameter '%s' of shape (%s) has more than 2^28 values (1 GiB), the "
                 "limit on one parameter", l->type->name, l->name, name, dims);
        return NULL;
    }
    fv_param *p = fv_param_new_typed(m->ctx, name, kind, dtype, ndim, shape);
    if (p) l->params[l->n_params++] = p;
    return p;
}

static fv_param *new_param(fv_model *m, fv_layer *l, const char *suffix, fv_param_kind kind, int ndim,
                           const int64_t *shape)
{
    return new_typed_param(m, l, suffix, kind, FV_F32, ndim, shape);
}

fv_param *fv_layer_new_param(fv_model *m, fv_layer *l, const char *suffix, fv_param_kind kind, int ndim,
                             const int64_t *shape)
{
    return new_param(m, l, suffix, kind, ndim, shape);
}

static fv_status need_channels(fv_model *m, const fv_layer *l, const fv_tensor *in, int ndim, const char *what)
{
    if (in->ndim == ndim) return FV_OK;
    char dims[96] = "(";
    for (int d = 0; d < in->ndim; d++) {
        size_t n = strlen(dims);
        snprintf(dims + n, sizeof dims - n, "%s%lld", d ? ", " : "", (long long)in->shape[d]);
    }
    strcat(dims, ")");
    return fv_error(m->ctx, FV_ERR_SHAPE, "%s '%s': needs %s, got an input of shape %s%s", l->type->name, l->name,
                    what, dims, ndim == 2 ? " (add a flatten layer before it)" : "");
}

static fv_status make_own_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    const fv_layer_attrs *a = &l->a;
    const fv_generic_type *gt = fv_generic(l->type);
    if (gt) return gt->make_params ? gt->make_params(m, l, in0) : FV_OK;
    switch (l->type->kind) {
    case FV_L_CONV2D:
    case FV_L_CONV_TRANSPOSE2D: {
        if (need_channels(m, l, in0, 4, "an (N, C, H, W) input") != FV_OK) return FV_ERR_SHAPE;
        int64_t cin = in0->shape[1];
        if (a->groups < 1 || cin % a->groups || a->filters % a->groups)
            return fv_error(m->ctx, FV_ERR_SHAPE, "%s '%s': groups=%d must divide the %lld input channels and the %d "
                            "filters", l->type->name, l->name, a->groups, (long long)cin, a->filters);
        int64_t w[4] = {a->filters, cin / a->groups, a->kernel[0], a->kernel[1]};
        if (l->type->kind == FV_L_CONV_TRANSPOSE2D) w[0] = cin, w[1] = a->filters / a->groups;
        if (!new_param(m, l, "weight", FV_PARAM_WEIGHT, 4, w)) return fv_errcode(m->ctx);
        if (a->bias && !new_param(m, l, "bias", FV_PARAM_WEIGHT, 1, (int64_t[]){a->filters})) return fv_errcode(m->ctx);
        return FV_OK;
    }
    case FV_L_DENSE: {
        /* (N, C, 1, 1), what global pooling gives, counts as flat (Keras' GlobalAveragePooling2D + Dense) */
        bool pooled = in0->ndim == 4 && in0->shape[2] == 1 && in0->shape[3] == 1;
        if (!pooled && need_channels(m, l, in0, 2, "a flat (N, features) input") != FV_OK) return FV_ERR_SHAPE;
        if (!new_param(m, l, "weight", FV_PARAM_WEIGHT, 2, (int64_t[]){a->units, in0->shape[1]}))
            return fv_errcode(m->ctx);
        if (a->bias && !new_param(m, l, "bias", FV_PARAM_WEIGHT, 1, (int64_t[]){a->units})) return fv_errcode(m->ctx);
        return FV_OK;
    }
    case FV_L_CONSTANT: /* a tensor the model holds, never trained: its value comes from the model file */
        return new_typed_param(m, l, "value", FV_PARAM_BUFFER, (fv_dtype)a->dtype, a->ndim, a->shape) ? FV_OK
                                                                                                     : fv_errcode(m->ctx);
    case FV_L_BATCH_NORM: {
        if (in0->ndim < 2) return need_channels(m, l, in0, 4, "a channel dimension");
        int64_t c[1] = {in0->shape[1]};
        if (!new_param(m, l, "weight", FV_PARAM_WEIGHT, 1, c) || !new_param(m, l, "bias", FV_PARAM_WEIGHT, 1, c) ||
            !new_param(m, l, "running_mean", FV_PARAM_BUFFER, 1, c) ||
            !new_param(m, l, "running_var", FV_PARAM_BUFFER, 1, c))
            return fv_errcode(m->ctx);
        return FV_OK;
    }
    default: return FV_OK;
    }
}

/* A layer with share=NAME makes its parameters as usual, for their shapes, then takes the named layer's in
 * their place (one more reference each): the same tensors, trained once with the gradients of both uses, as a
 * module called twice in PyTorch (a Siamese twin). Its own must match them one for one in shape. */
static fv_status take_shared(fv_model *m, fv_layer *l)
{
    const fv_layer *s = &m->layers[l->share - 1];
    char a[64], b[64];
    if (s->n_params != l->n_params)
        return fv_error(m->ctx, FV_ERR_SHAPE, "%s '%s': share=%s: it has %d parameters, '%s' %d", l->type->name,
                        l->name, s->name, l->n_params, s->name, s->n_params);
    for (int j = 0; j < l->n_params; j++)
        if (!fv_same_shape(&l->params[j]->value, &s->params[j]->value) || l->params[j]->value.dtype != s->params[j]->value.dtype)
            return fv_error(m->ctx, FV_ERR_SHAPE, "%s '%s': share=%s: its parameter %s %s differs from %s %s",
                            l->type->name, l->name, s->name, l->params[j]->name,
                            fv_shape_str(&l->params[j]->value, a, sizeof a), s->params[j]->name,
                            fv_shape_str(&s->params[j]->value, b, sizeof b));
    for (int j = 0; j < l->n_params; j++) {
        fv_param_free(l->params[j]);
        l->params[j] = s->params[j];
        l->params[j]->refs++;
    }
    return FV_OK;
}

fv_status fv_layer_make_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    fv_status s = make_own_params(m, l, in0);
    return s || !l->share ? s : take_shared(m, l);
}

static fv_node *param(fv_graph *g, const fv_layer *l, int i) { return i < l->n_params ? fv_use_param(g, l->params[i]) : NULL; }

static fv_pool2d_args pool_args(const fv_layer_attrs *a)
{
    fv_pool2d_args p = fv_pool2d_defaults(a->kernel[0]);
    p.kernel[0] = a->kernel[0], p.kernel[1] = a->kernel[1];
    p.stride[0] = a->stride[0] ? a->stride[0] : a->kernel[0];
    p.stride[1] = a->stride[1] ? a->stride[1] : a->kernel[1];
    memcpy(p.pad, a->pad, sizeof p.pad);
    p.ceil_mode = a->ceil_mode;
    p.count_include_pad = a->count_include_pad;
    return p;
}

static fv_conv2d_args conv_args(const fv_layer_attrs *a)
{
    fv_conv2d_args c = fv_conv2d_defaults();
    memcpy(c.stride, a->stride, sizeof c.stride);
    memcpy(c.pad, a->pad, sizeof c.pad);
    memcpy(c.dilation, a->dilation, sizeof c.dilation);
    c.pad_mode = a->pad_mode;
    c.groups = a->groups;
    return c;
}

static fv_node *build_conv(fv_graph *g, const fv_layer *l, fv_node *x, float clamp_hi)
{
    const fv_layer_attrs *a = &l->a;
    fv_node *w = param(g, l, 0), *b = a->bias ? param(g, l, 1) : NULL;
    if (l->type->kind == FV_L_CONV2D) {
        fv_conv2d_args c = conv_args(a);
        fv_graph_set_next_name(g, l->name);
        return clamp_hi > 0 ? fv_conv2d_clamped(g, x, w, b, &c, clamp_hi) : fv_conv2d(g, x, w, b, &c);
    }
    fv_conv_transpose2d_args c = fv_conv_transpose2d_defaults();
    memcpy(c.stride, a->stride, sizeof c.stride);
    memcpy(c.pad, a->pad, sizeof c.pad);
    memcpy(c.dilation, a->dilation, sizeof c.dilation);
    memcpy(c.output_padding, a->output_padding, sizeof c.output_padding);
    c.groups = a->groups;
    fv_graph_set_next_name(g, l->name);
    return fv_conv_transpose2d(g, x, w, b, &c);
}

/* A random stream named after the layer (FNV-1a of its name, top bit set to stay clear of the context's
 * counter-numbered streams). */
static uint64_t name_stream(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = (h ^ *c) * 0x100000001b3ull;
    return h | (1ull << 63);
}

fv_node *fv_layer_build(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    const fv_layer_attrs *a = &l->a;
    fv_node *x = l->n_in ? in[0] : NULL;
    fv_node *w = NULL, *b = NULL, *mean = NULL, *var = NULL;
    if (l->type->kind == FV_L_DENSE) w = param(g, l, 0), b = a->bias ? param(g, l, 1) : NULL;
    if (l->type->kind == FV_L_BATCH_NORM)
        w = param(g, l, 0), b = param(g, l, 1), mean = param(g, l, 2), var = param(g, l, 3);
    fv_pool2d_args p = pool_args(a);
    fv_graph_set_next_name(g, l->name);
    switch (l->type->kind) {
    case FV_L_CONV2D:
    case FV_L_CONV_TRANSPOSE2D: return build_conv(g, l, x, 0.0f);
    case FV_L_DENSE:
        if (fv_node_value(x)->ndim == 4) {
            x = fv_flatten(g, x); /* a pooled (N, C, 1, 1) input */
            fv_graph_set_next_name(g, l->name);
        }
        return fv_dense(g, x, w, b);
    case FV_L_BATCH_NORM: {
        fv_batch_norm_args bn = {a->eps, a->momentum};
        fv_graph_set_next_name(g, l->name);
        return fv_batch_norm(g, x, w, b, mean, var, &bn);
    }
    case FV_L_DROPOUT: return fv_dropout_stream(g, x, a->rate, name_stream(l->name));
    case FV_L_ACTIVATION: return fv_activation(g, x, (fv_activation_kind)l->type->act, a->alpha);
    case FV_L_SOFTMAX: return fv_softmax(g, x, a->axis);
    case FV_L_MAX_POOL: return fv_max_pool2d(g, x, &p);
    case FV_L_AVG_POOL: return fv_avg_pool2d(g, x, &p);
    case FV_L_GLOBAL_AVG_POOL: return fv_global_avg_pool2d(g, x);
    case FV_L_GLOBAL_MAX_POOL: return fv_global_max_pool2d(g, x);
    case FV_L_FLATTEN: return fv_flatten(g, x);
    /* integer tensors (ONNX's Add and Mul of indices) through the general binary op; floats keep fv_add/fv_mul */
    case FV_L_ADD:
        return fv_node_value(in[0])->dtype == FV_F32 ? fv_add(g, in[0], in[1]) : fv_binary(g, in[0], in[1], FV_BIN_ADD);
    case FV_L_MUL:
        return fv_node_value(in[0])->dtype == FV_F32 ? fv_mul(g, in[0], in[1]) : fv_binary(g, in[0], in[1], FV_BIN_MUL);
    case FV_L_CONCAT: return fv_concat(g, in, l->n_in, a->axis);
    case FV_L_PAD: return fv_pad2d(g, x, a->pad, a->value);
    case FV_L_UPSAMPLE: return fv_upsample2d(g, x, a->scale[0], a->scale[1], (fv_resize_mode)a->mode, a->align_corners);
    case FV_L_LRN: return fv_lrn(g, x, a->size, a->alpha, a->beta, a->k);
    case FV_L_ADAPTIVE_AVG_POOL: return fv_adaptive_avg_pool2d(g, x, a->out_size[0], a->out_size[1]);
    case FV_L_CONSTANT: return fv_use_param(g, l->params[0]);
    case FV_L_GENERIC: return fv_generic(l->type)->build(g, l, in);
    case FV_L_INPUT:
    case FV_L_KIND_COUNT: break;
    }
    fv_error(fv_graph_ctx(g), FV_ERR_ARG, "layer '%s' cannot be built", l->name);
    return NULL;
}

fv_node *fv_layer_build_conv_clamped(fv_graph *g, const fv_layer *l, fv_node *x, float hi)
{
    return build_conv(g, l, x, hi);
}

fv_node *fv_layer_build_conv_mapped(fv_graph *g, const fv_layer *l, fv_node *x, fv_param *scale, fv_param *shift,
                                    float in_hi, float hi)
{
    fv_node *w = param(g, l, 0), *b = l->a.bias ? param(g, l, 1) : NULL;
    fv_node *s = fv_use_param(g, scale), *t = fv_use_param(g, shift);
    fv_conv2d_args c = conv_args(&l->a);
    fv_graph_set_next_name(g, l->name);
    return fv_conv2d_mapped_input(g, x, s, t, in_hi, w, b, &c, hi);
}

fv_node *fv_layer_build_bn_clamped(fv_graph *g, const fv_layer *l, fv_node *x, float hi)
{
    fv_batch_norm_args bn = {l->a.eps, l->a.momentum};
    fv_node *w = param(g, l, 0), *b = param(g, l, 1), *mean = param(g, l, 2), *var = param(g, l, 3);
    fv_graph_set_next_name(g, l->name);
    return fv_batch_norm_clamped(g, x, w, b, mean, var, &bn, hi);
}
