/* ONNX operators that map one to one onto a generic layer type (fv_generic_type in src/nn/layer_table.h):
 * the layer's keys are read from the node's attributes of the same name or, from the opset the row names, from
 * constant inputs, and every other input is a data input of the layer. The family files in src/nn say which
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

static void append(char *buf, size_t size, const char *fmt, long long i, double f, bool is_float)
{
    size_t n = strlen(buf);
    if (is_float) snprintf(buf + n, size - n, fmt, f);
    else snprintf(buf + n, size - n, fmt, i);
}

/* " key=value" from an attribute, by its type. */
static fv_status attr_text(ox_import *im, const Onnx__AttributeProto *a, const char *key, char *out, size_t size)
{
    size_t n = strlen(out);
    snprintf(out + n, size - n, " %s=", key);
    if (a->n_ints)
        for (size_t i = 0; i < a->n_ints; i++) append(out, size, i ? ",%lld" : "%lld", (long long)a->ints[i], 0, false);
    else if (a->n_floats)
        for (size_t i = 0; i < a->n_floats; i++) append(out, size, i ? ",%.9g" : "%.9g", 0, a->floats[i], true);
    else if (a->has_s) {
        n = strlen(out);
        snprintf(out + n, size - n, "%.*s", (int)a->s.len, (const char *)a->s.data);
    } else if (a->has_f) append(out, size, "%.9g", 0, a->f, true);
    else if (a->has_i) append(out, size, "%lld", (long long)a->i, 0, false);
    else return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' has a form fovea does not read", a->name);
    return FV_OK;
}

/* " key=value" from a constant input: integers or numbers, one value or a list. */
static fv_status input_text(ox_import *im, int k, const char *key, char *out, size_t size)
{
    const ox_tensor *c;
    fv_status s = ox_const_in(im, k, &c);
    if (s) return s;
    if (c->ndim > 1) return ox_fail(im, FV_ERR_UNSUPPORTED, "input %d should be a vector or a single value", k);
    if (c->n > FV_LAYER_MAX_LIST)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "input %d holds %lld values (at most %d)", k, (long long)c->n,
                       FV_LAYER_MAX_LIST);
    size_t n = strlen(out);
    snprintf(out + n, size - n, " %s=", key);
    for (int64_t i = 0; i < c->n; i++) {
        if (c->type == OX_I64 && OX_IS_SYMBOL(((const int64_t *)c->data)[i]))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "input %d depends on the batch size", k);
        if (c->type == OX_I64) append(out, size, i ? ",%lld" : "%lld", (long long)((const int64_t *)c->data)[i], 0, false);
        else append(out, size, i ? ",%.9g" : "%.9g", 0, ((const float *)c->data)[i], true);
    }
    return FV_OK;
}

fv_status ox_import_generic(ox_import *im, const fv_generic_type *t)
{
    const Onnx__NodeProto *nd = im->node;
    char keys[2048] = "";
    for (size_t i = 0; i < nd->n_attribute; i++) {
        const Onnx__AttributeProto *a = nd->attribute[i];
        const fv_onnx_key *k = a->name ? key_of_attr(t, a->name) : NULL;
        if (!k || key_input(im, k))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' is not supported", a->name ? a->name : "");
        fv_status s = attr_text(im, a, k->key, keys, sizeof keys);
        if (s) return s;
    }
    bool taken[64] = {false};
    for (int k = 0; k < FV_GENERIC_ONNX_KEYS && t->onnx[k].key; k++) {
        const fv_onnx_key *ok = &t->onnx[k];
        if (!key_input(im, ok) || ok->input >= 64) continue;
        taken[ok->input] = true;
        if (ox_in(im, ok->input)) {
            fv_status s = input_text(im, ok->input, ok->key, keys, sizeof keys);
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
    int l = ox_add_layer(im, t->base.name, NULL, in, n_in, "%s", keys[0] ? keys + 1 : "");
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}
