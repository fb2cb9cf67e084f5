/* New heads on pretrained bodies: a model rebuilt layer by layer with its classifier replaced by a new dense
 * layer of another width (ImageNet's 1000 classes to a data set's 10), or cut down to its convolutional base
 * (Keras' include_top=False) with an optional pooling and a new classifier on top. Every kept layer keeps its
 * name, parameters, trainable flag and sharing; the new classifier is initialised as PyTorch initialises a
 * Linear layer (and fv_model_init every layer). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* Which layers the first output depends on (itself included): a malloc'd flag per layer, or NULL. */
static bool *ancestors_of(const fv_model *m, int out)
{
    bool *on = calloc((size_t)m->n_layers + 1, sizeof *on);
    if (!on) return NULL;
    on[out] = true;
    for (int i = out; i >= 0; i--) /* inputs come before their readers */
        if (on[i])
            for (int k = 0; k < m->layers[i].n_in; k++) on[m->layers[i].in[k]] = true;
    return on;
}

static bool is_dense(const fv_layer *l)
{
    return l->type->kind == FV_L_DENSE;
}

int fv_model_head_layer(const fv_model *m, const char *name)
{
    if (!m || !m->n_layers) return -1;
    if (name && *name) {
        int h = fv_model_find_layer(m, name);
        if (h < 0) fv_error(m->ctx, FV_ERR_ARG, "head: no layer '%s' in model '%s'", name, m->name);
        else if (!is_dense(&m->layers[h]))
            return fv_error(m->ctx, FV_ERR_ARG, "head: '%s' is a %s layer, not dense", name, m->layers[h].type->name), -1;
        return h;
    }
    int out = fv_model_output_layer(m, 0);
    bool *on = ancestors_of(m, out);
    int h = -1;
    for (int i = out; on && i >= 0 && h < 0; i--)
        if (on[i] && is_dense(&m->layers[i])) h = i;
    free(on);
    if (h < 0) fv_error(m->ctx, FV_ERR_ARG, "head: model '%s' has no dense layer before its output to replace", m->name);
    return h;
}

/* PyTorch's Linear initialisation for the new classifier: kaiming-uniform weight, bias in +-1/sqrt(fan_in). */
static fv_status init_dense(fv_model *m, const fv_layer *l)
{
    fv_init_spec w = {FV_INIT_TORCH_DEFAULT, 0, 0, 0}, b = {FV_INIT_TORCH_BIAS, 0, 0, 0};
    fv_init_fans(&l->params[0]->value, &b.fan_in, NULL);
    fv_status s = fv_init_tensor(m->ctx, &l->params[0]->value, &w);
    if (!s && l->n_params > 1) s = fv_init_tensor(m->ctx, &l->params[1]->value, &b);
    return s;
}

/* The kept layers' parameters by name (equal shapes: the layers are the same), trainable flags included. */
static void carry_params(fv_model *dst, const fv_model *src, int skip)
{
    for (int i = 0; i < dst->n_layers; i++) {
        if (i == skip) continue;
        const fv_layer *d = &dst->layers[i];
        for (int j = 0; j < d->n_params; j++) {
            fv_param *p = d->params[j], *q = fv_model_find_param(src, p->name);
            if (!q || q->value.size != p->value.size || q->value.dtype != p->value.dtype) continue;
            memcpy(p->value.data, q->value.data, (size_t)p->value.size * fv_dtype_size(p->value.dtype));
            if (p->kind == FV_PARAM_WEIGHT) fv_param_set_trainable(p, q->trainable);
        }
    }
}

static fv_status carry_meta(fv_model *dst, const fv_model *src)
{
    fv_preprocess p;
    fv_status s = fv_model_preprocess(src, &p) ? fv_model_set_preprocess(dst, &p) : FV_OK;
    return s ? s : fv_model_set_task(dst, fv_model_task(src));
}

/* Layer i of src added to dst with its inputs renumbered through map (-1: dropped, an error). */
static int add_copy(fv_model *dst, const fv_model *src, int i, const int *map)
{
    fv_layer_spec spec;
    if (fv_model_layer_spec(src, i, &spec) != FV_OK) return -1;
    for (int k = 0; k < spec.n_in; k++) {
        if (map[spec.in[k]] < 0)
            return fv_error(dst->ctx, FV_ERR_ARG, "layer '%s' reads '%s', which the new model leaves out",
                            src->layers[i].name, src->layers[spec.in[k]].name), -1;
        spec.in[k] = map[spec.in[k]];
    }
    return fv_model_add_layer(dst, &spec);
}

/* The message of a failed rebuild, led by what was being done. */
static fv_model *failed(fv_model *dst, const fv_model *src, const char *what)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", fv_errmsg(src->ctx));
    fv_error(src->ctx, fv_errcode(src->ctx) ? fv_errcode(src->ctx) : FV_ERR_ARG, "model '%s': %s: %s", src->name, what,
             msg);
    fv_model_free(dst);
    return NULL;
}

fv_model *fv_model_new_head(const fv_model *src, const char *head, int classes)
{
    if (!src || classes < 1 || classes > (1 << 24)) {
        if (src) fv_error(src->ctx, FV_ERR_ARG, "head: %d classes (1 to %d)", classes, 1 << 24);
        return NULL;
    }
    int h = fv_model_head_layer(src, head);
    if (h < 0) return NULL;
    fv_model *dst = fv_model_new(src->ctx, src->name);
    int *map = malloc((size_t)src->n_layers * sizeof *map);
    if (!dst || !map) {
        free(map);
        fv_error(src->ctx, FV_ERR_NOMEM, "out of memory rebuilding model '%s'", src->name);
        fv_model_free(dst);
        return NULL;
    }
    for (int i = 0; i < src->n_layers; i++) {
        if (i != h) {
            map[i] = add_copy(dst, src, i, map);
        } else {
            fv_layer_spec spec;
            fv_model_layer_spec(src, i, &spec);
            spec.a.units = classes;
            spec.share = NULL;
            for (int k = 0; k < spec.n_in; k++) spec.in[k] = map[spec.in[k]];
            map[i] = fv_model_add_layer(dst, &spec);
        }
        if (map[i] < 0) {
            free(map);
            return failed(dst, src, "a new head of %d classes");
        }
    }
    int outs[FV_MODEL_MAX_IO];
    for (int k = 0; k < src->n_outputs; k++) outs[k] = map[src->outputs[k]];
    fv_status s = src->n_outputs ? fv_model_set_outputs(dst, outs, src->n_outputs) : FV_OK;
    free(map);
    carry_params(dst, src, h);
    if (!s) s = init_dense(dst, &dst->layers[h]);
    if (!s) s = carry_meta(dst, src);
    return s ? failed(dst, src, "a new head") : dst;
}

/* Where the convolutional base ends: the first layer on the first output's path that leaves the feature maps
 * (a flatten, a global pool, an adaptive pool to 1x1, a dense layer) while reading a map (C, H, W). */
static int base_end(const fv_model *m)
{
    int out = fv_model_output_layer(m, 0);
    bool *on = ancestors_of(m, out);
    int cut = -1;
    for (int i = 0; on && i <= out && cut < 0; i++) {
        const fv_layer *l = &m->layers[i];
        if (!on[i] || l->n_in < 1) continue;
        int64_t shape[FV_MAX_DIMS];
        if (fv_model_layer_shape(m, l->in[0], shape) != 3) continue;
        fv_layer_kind k = l->type->kind;
        bool to_one = k == FV_L_ADAPTIVE_AVG_POOL && l->a.out_size[0] == 1 && l->a.out_size[1] == 1;
        if (k == FV_L_FLATTEN || k == FV_L_GLOBAL_AVG_POOL || k == FV_L_GLOBAL_MAX_POOL || k == FV_L_DENSE || to_one)
            cut = i;
    }
    free(on);
    return cut;
}

/* Mark what the layer `last` needs, so that side branches (GoogLeNet's auxiliary heads) go with the top. */
static bool *needed_by(const fv_model *m, int last)
{
    return ancestors_of(m, last);
}

/* The pooling and the new classifier of a base. */
static int add_top(fv_model *dst, fv_zoo_pooling pooling, int classes)
{
    int at = dst->n_layers - 1;
    if (pooling != FV_ZOO_POOL_NONE) {
        fv_layer_spec p = pooling == FV_ZOO_POOL_AVG ? fv_spec_global_avg_pool(NULL) : fv_spec_global_max_pool(NULL);
        if ((at = fv_model_add_layer(dst, &p)) < 0) return -1;
    }
    if (classes <= 0 && pooling == FV_ZOO_POOL_NONE) return at;
    fv_layer_spec f = fv_spec_flatten(NULL);
    if ((at = fv_model_add_layer(dst, &f)) < 0 || classes <= 0) return at;
    fv_layer_spec d = fv_spec_dense(fv_model_find_layer(dst, "fc") < 0 ? "fc" : NULL, classes);
    if ((at = fv_model_add_layer(dst, &d)) < 0) return -1;
    return init_dense(dst, &dst->layers[at]) == FV_OK ? at : -1;
}

fv_model *fv_model_base(const fv_model *src, fv_zoo_pooling pooling, int classes)
{
    if (!src) return NULL;
    int cut = base_end(src);
    if (cut <= 0) {
        fv_error(src->ctx, FV_ERR_ARG, "model '%s' has no convolutional base: no flatten, global pool or dense layer "
                 "reads a feature map on the way to its output", src->name);
        return NULL;
    }
    bool *keep = needed_by(src, src->layers[cut].in[0]);
    int *map = malloc((size_t)src->n_layers * sizeof *map);
    fv_model *dst = fv_model_new(src->ctx, src->name);
    if (!keep || !map || !dst) {
        free(keep), free(map), fv_model_free(dst);
        fv_error(src->ctx, FV_ERR_NOMEM, "out of memory cutting model '%s'", src->name);
        return NULL;
    }
    bool ok = true;
    for (int i = 0; i < cut && ok; i++) map[i] = keep[i] || src->layers[i].type->kind == FV_L_INPUT ? add_copy(dst, src, i, map) : -1;
    for (int i = 0; i < cut && ok; i++) ok = !(keep[i] && map[i] < 0);
    free(keep), free(map);
    int top = ok ? add_top(dst, pooling, classes) : -1;
    if (top < 0) return failed(dst, src, "its convolutional base");
    carry_params(dst, src, classes > 0 ? top : -1); /* a new classifier stays fresh even where a name matches */
    if (carry_meta(dst, src) != FV_OK) return failed(dst, src, "its convolutional base");
    return dst;
}
