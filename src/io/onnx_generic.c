/* ONNX operators that map one to one onto a generic layer type (fv_generic_type in src/nn/layer_table.h):
 * the layer's keys are read from the node's attributes of the same name or, from the opset the row names, from
 * constant inputs, into a layer spec (fovea/layer.h), and every other input is a data input of the layer. The family files in src/nn say which
 * operators these are; an operator needing more than this has a handler of its own in onnx_ops*.c. */
#include <stdio.h>
#include <string.h>

#include "../nn/layer_table.h"
#include "onnx_internal.h"

/* The generic type for an operator at the model's opset: of the rows naming it, the one of the latest
 * onnx_since not above the opset. */
const fv_generic_type *ox_generic_type(const char *op_type, int64_t opset)
{
    const fv_generic_type *best = NULL;
    for (int i = 0; fv_generic_type_at(i); i++) {
        const fv_generic_type *t = fv_generic_type_at(i);
        if (t->onnx_op && strcmp(t->onnx_op, op_type) == 0 && t->onnx_since <= opset &&
            (!best || t->onnx_since > best->onnx_since))
            best = t;
    }
    return best;
}

static const fv_onnx_key *key_of_attr(const fv_generic_type *t, const char *attr)
{
    for (int k = 0; k < FV_GENERIC_ONNX_KEYS && t->onnx[k].key; k++)
        if (strcmp(t->onnx[k].attr ? t->onnx[k].attr : t->onnx[k].key, attr) == 0) return &t->onnx[k];
    return NULL;
}

static bool key_input(const ox_import *im, const fv_onnx_key *k) { return k->input >= 0 && im->opset >= k->since; }

/* Why a value does not fit key k, for the node's error. */
static fv_status misfit(ox_import *im, const fv_generic_type *t, const fv_layer_key *k, const char *from, const char *why)
{
    return ox_fail(im, FV_ERR_UNSUPPORTED, "%s: %s for key %s= of fovea's %s layer", from, why, k->name,
                   t->base.name);
}

/* n integers (or, for float keys, numbers) into key k of the spec's attributes, by the key's kind. */
static fv_status set_numbers(ox_import *im, const fv_generic_type *t, fv_layer_attrs *a, const fv_layer_key *k,
                             const char *from, int64_t n, const int64_t *ints, const float *floats)
{
    void *field = (char *)a + k->offset;
    if (n > FV_LAYER_MAX_LIST)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "%s holds %lld values (at most %d)", from, (long long)n, FV_LAYER_MAX_LIST);
    switch (k->kind) {
    case FV_K_INTS: {
        fv_int_list *list = field;
        list->n = (int)n;
        for (int64_t i = 0; i < n; i++) {
            if (!ints && floats[i] != (float)(int64_t)floats[i]) return misfit(im, t, k, from, "a fraction");
            list->v[i] = ints ? ints[i] : (int64_t)floats[i];
        }
        return FV_OK;
    }
    case FV_K_FLOATS: {
        fv_float_list *list = field;
        list->n = (int)n;
        for (int64_t i = 0; i < n; i++) list->v[i] = ints ? (float)ints[i] : floats[i];
        return FV_OK;
    }
    default: break;
    }
    if (n != 1) return misfit(im, t, k, from, "not one value");
    switch (k->kind) {
    case FV_K_INT:
    case FV_K_AXIS:
        if (!ints && floats[0] != (float)(int64_t)floats[0]) return misfit(im, t, k, from, "a fraction");
        *(int *)field = ox_key_int(ints ? ints[0] : (int64_t)floats[0]);
        return FV_OK;
    case FV_K_FLOAT: *(float *)field = ints ? (float)ints[0] : floats[0]; return FV_OK;
    case FV_K_BOOL:
        if (!ints || (ints[0] != 0 && ints[0] != 1)) return misfit(im, t, k, from, "not 0 or 1");
        *(bool *)field = ints[0] != 0;
        return FV_OK;
    default: return misfit(im, t, k, from, "a number");
    }
}

/* A string attribute into a choice or text key. */
static fv_status set_string(ox_import *im, const fv_generic_type *t, fv_layer_attrs *a, const fv_layer_key *k,
                            const char *from, const char *v, size_t len)
{
    void *field = (char *)a + k->offset;
    if (k->kind == FV_K_TEXT) {
        if (len >= sizeof a->text) return misfit(im, t, k, from, "over 63 characters");
        memcpy(field, v, len);
        ((char *)field)[len] = '\0';
        return FV_OK;
    }
    if (k->kind != FV_K_CHOICE) return misfit(im, t, k, from, "a string");
    for (int i = 0; k->choices[i]; i++)
        if (strlen(k->choices[i]) == len && memcmp(k->choices[i], v, len) == 0) {
            *(int *)field = i;
            return FV_OK;
        }
    char why[160];
    snprintf(why, sizeof why, "'%.*s', not a value fovea knows", (int)(len < 60 ? len : 60), v);
    return misfit(im, t, k, from, why);
}

/* An attribute's value into its key, by the attribute's form. */
static fv_status attr_value(ox_import *im, const fv_generic_type *t, fv_layer_attrs *a, const Onnx__AttributeProto *at,
                            const fv_layer_key *k)
{
    char from[300];
    snprintf(from, sizeof from, "attribute '%s'", at->name);
    if (at->n_ints) return set_numbers(im, t, a, k, from, (int64_t)at->n_ints, at->ints, NULL);
    if (at->n_floats) return set_numbers(im, t, a, k, from, (int64_t)at->n_floats, NULL, at->floats);
    if (at->has_s) return set_string(im, t, a, k, from, (const char *)at->s.data, at->s.len);
    if (at->has_f) return set_numbers(im, t, a, k, from, 1, NULL, &at->f);
    if (at->has_i) return set_numbers(im, t, a, k, from, 1, &at->i, NULL);
    return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' has a form fovea does not read", at->name);
}

/* A constant input's values into its key: integers or numbers, one value or a list. */
static fv_status input_value(ox_import *im, const fv_generic_type *t, fv_layer_attrs *a, int in, const fv_layer_key *k)
{
    const ox_tensor *c;
    fv_status s = ox_const_in(im, in, &c);
    if (s) return s;
    if (c->ndim > 1) return ox_fail(im, FV_ERR_UNSUPPORTED, "input %d should be a vector or a single value", in);
    char from[32];
    snprintf(from, sizeof from, "input %d", in);
    for (int64_t i = 0; c->type == OX_I64 && i < c->n; i++)
        if (OX_IS_SYMBOL(((const int64_t *)c->data)[i]))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "input %d depends on the batch size", in);
    return c->type == OX_I64 ? set_numbers(im, t, a, k, from, c->n, c->data, NULL)
                             : set_numbers(im, t, a, k, from, c->n, NULL, c->data);
}

fv_status ox_import_generic(ox_import *im, const fv_generic_type *t)
{
    const Onnx__NodeProto *nd = im->node;
    fv_layer_spec spec = fv_spec_of_type(t->base.name, NULL);
    for (size_t i = 0; i < nd->n_attribute; i++) {
        const Onnx__AttributeProto *a = nd->attribute[i];
        const fv_onnx_key *k = a->name ? key_of_attr(t, a->name) : NULL;
        const fv_layer_key *key = k ? fv_layer_find_key(&t->base, k->key) : NULL;
        if (!key || key_input(im, k))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' is not supported", a->name ? a->name : "");
        fv_status s = attr_value(im, t, &spec.a, a, key);
        if (s) return s;
    }
    bool taken[64] = {false};
    for (int k = 0; k < FV_GENERIC_ONNX_KEYS && t->onnx[k].key; k++) {
        const fv_onnx_key *ok = &t->onnx[k];
        const fv_layer_key *key = fv_layer_find_key(&t->base, ok->key);
        if (!key || !key_input(im, ok) || ok->input >= 64) continue;
        taken[ok->input] = true;
        if (ox_in(im, ok->input)) {
            fv_status s = input_value(im, t, &spec.a, ok->input, key);
            if (s) return s;
        }
    }
    int in[FV_LAYER_MAX_INPUTS], n_in = 0;
    for (size_t k = 0; k < nd->n_input && k < 64; k++) {
        if (taken[k] || !ox_in(im, (int)k)) continue;
        if (n_in == t->base.max_in)
            return ox_fail(im, FV_ERR_UNSUPPORTED, "has more inputs than fovea's %s layer takes (%d)", t->base.name,
                           t->base.max_in);
        fv_status s = ox_layer_in(im, (int)k, &in[n_in++]);
        if (s) return s;
    }
    if (n_in < t->base.min_in)
        return ox_fail(im, FV_ERR_FORMAT, "has %d data inputs; fovea's %s layer needs %d", n_in, t->base.name,
                       t->base.min_in);
    int l = ox_add_spec(im, spec, NULL, in, n_in);
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}
