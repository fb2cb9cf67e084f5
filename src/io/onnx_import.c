/* Importing an ONNX graph as a fovea model: the graph input becomes the input layer, each node in order is
 * handed to its operator's handler (onnx_ops.c, onnx_fold.c), which adds layers or folds constants, and the
 * graph's output must end up as the last layer. Also the helpers the handlers share: errors naming the node,
 * attributes, inputs, layer names and parameters. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../nn/class_names.h"
#include "onnx_internal.h"
#include "preprocess_meta.h"

/* ---- errors ------------------------------------------------------------------------------------------- */

const char *ox_node_name(const Onnx__NodeProto *nd)
{
    return nd && nd->name && *nd->name ? nd->name : nd && nd->n_output && nd->output[0] ? nd->output[0] : "";
}

fv_status ox_failv(ox_import *im, fv_status code, const char *fmt, va_list ap)
{
    char msg[700];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!im->node) return fv_error(im->ctx, code, "%s: %s", im->path, msg);
    return fv_error(im->ctx, code, "%s: node '%.200s' (%.60s): %s", im->path, ox_node_name(im->node),
                    im->node->op_type, msg);
}

fv_status ox_fail(ox_import *im, fv_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fv_status s = ox_failv(im, code, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- attributes ------------------------------------------------------------------------------------------ */

const Onnx__AttributeProto *ox_attr(ox_import *im, const char *name)
{
    const Onnx__NodeProto *nd = im->node;
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i]->name && strcmp(nd->attribute[i]->name, name) == 0) return nd->attribute[i];
    return NULL;
}

/* The attribute's type, from its type field or, in files that leave it out, from the field that is set. */
static int attr_type(const Onnx__AttributeProto *a)
{
    if (a->has_type) return (int)a->type;
    if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    return -1;
}

static fv_status wrong_type(ox_import *im, const char *name, const char *want)
{
    return ox_fail(im, FV_ERR_FORMAT, "attribute '%s' should be %s", name, want);
}

fv_status ox_attr_int(ox_import *im, const char *name, int64_t def, int64_t *out)
{
    const Onnx__AttributeProto *a = ox_attr(im, name);
    *out = def;
    if (!a) return FV_OK;
    if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) return wrong_type(im, name, "an integer");
    *out = a->i;
    return FV_OK;
}

fv_status ox_attr_float(ox_import *im, const char *name, float def, float *out)
{
    const Onnx__AttributeProto *a = ox_attr(im, name);
    *out = def;
    if (!a) return FV_OK;
    if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) return wrong_type(im, name, "a float");
    *out = a->f;
    return FV_OK;
}

fv_status ox_attr_ints(ox_import *im, const char *name, int64_t *out, int max, int *n)
{
    const Onnx__AttributeProto *a = ox_attr(im, name);
    *n = -1;
    if (!a) return FV_OK;
    if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) return wrong_type(im, name, "a list of integers");
    if (a->n_ints > (size_t)max)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' has %zu values (at most %d here)", name, a->n_ints, max);
    if (a->n_ints) memcpy(out, a->ints, a->n_ints * sizeof *out); /* an empty list has no array */
    *n = (int)a->n_ints;
    return FV_OK;
}

fv_status ox_attr_floats(ox_import *im, const char *name, float *out, int max, int *n)
{
    const Onnx__AttributeProto *a = ox_attr(im, name);
    *n = -1;
    if (!a) return FV_OK;
    if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS) return wrong_type(im, name, "a list of floats");
    if (a->n_floats > (size_t)max)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' has %zu values (at most %d here)", name, a->n_floats, max);
    if (a->n_floats) memcpy(out, a->floats, a->n_floats * sizeof *out);
    *n = (int)a->n_floats;
    return FV_OK;
}

fv_status ox_attr_string(ox_import *im, const char *name, const char *def, char *out, size_t size)
{
    const Onnx__AttributeProto *a = ox_attr(im, name);
    snprintf(out, size, "%s", def);
    if (!a) return FV_OK;
    if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) return wrong_type(im, name, "a string");
    size_t n = a->s.len < size - 1 ? a->s.len : size - 1;
    if (n) memcpy(out, a->s.data, n);
    out[n] = '\0';
    if (strlen(out) != a->s.len) return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' is an unknown value", name);
    return FV_OK;
}

/* ---- values -------------------------------------------------------------------------------------------- */

ox_entry *ox_in(ox_import *im, int k)
{
    const Onnx__NodeProto *nd = im->node;
    if (k < 0 || (size_t)k >= nd->n_input || !nd->input[k] || !*nd->input[k]) return NULL;
    if (im->in_entry && im->node_index >= 0 && (size_t)im->node_index < im->g->n_node && im->g->node[im->node_index] == nd) {
        int e = im->in_entry[im->in_start[im->node_index] + (size_t)k]; /* looked up once in ox_index_graph */
        if (e >= 0) return &im->t.e[e];
    }
    return ox_find(&im->t, nd->input[k]);
}

/* A dimension that follows the batch is the batch symbol when it is the batch itself (one per batch element,
 * or the fixed batch of a static-batch model), else a symbol for "some multiple of it" (heads x batch). */
int ox_layer_dims(ox_import *im, int layer, int64_t *dims)
{
    bool per_batch[FV_MAX_DIMS];
    int n = fv_model_layer_dims(im->m, layer, dims, per_batch);
    for (int d = 0; d < n; d++)
        if (per_batch[d]) dims[d] = dims[d] == 1 ? im->batch : OX_DIM_UNKNOWN;
    return n;
}

fv_status ox_layer_in(ox_import *im, int k, int *layer)
{
    ox_entry *e = ox_in(im, k);
    if (!e) return ox_fail(im, FV_ERR_FORMAT, "input %d is missing", k);
    if (e->v.kind == OX_GATE || e->v.kind == OX_MATMUL) {
        fv_status s = ox_materialize(im, e);
        if (s) return s;
    }
    if (e->v.kind == OX_CONST) {
        fv_status s = ox_constant_layer(im, e);
        if (s) return s;
    }
    *layer = e->v.layer;
    return FV_OK;
}

fv_status ox_constant_layer(ox_import *im, ox_entry *e)
{
    const ox_tensor *c = &e->v.c;
    for (int d = 0; d < c->ndim; d++)
        if (OX_IS_SYMBOL(c->dims[d]) || c->ndim > FV_MAX_DIMS)
            return ox_fail(im, FV_ERR_UNSUPPORTED, "constant '%s' has a dimension that depends on the batch size",
                           e->name);
    for (int64_t i = 0; c->type == OX_I64 && i < c->n; i++)
        if (OX_IS_SYMBOL(((const int64_t *)c->data)[i]))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "constant '%s' holds the batch size, which fovea's layers do not "
                           "compute", e->name);
    if (c->n == 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "constant '%s' is empty", e->name);
    fv_dtype dtype = c->type == OX_F32 ? FV_F32 : c->is_bool ? FV_BOOL : FV_I64;
    int l = ox_add_spec(im, fv_spec_constant(NULL, c->ndim, c->dims, dtype), e->name, NULL, 0);
    if (l < 0) return fv_errcode(im->ctx);
    fv_param *p;
    fv_model_layer_params(im->m, l, &p, 1);
    if (c->type == OX_F32) {
        fv_status s = ox_set_param(im, l, 0, c, e->name, false, 1.0f);
        if (s) return s;
    } else {
        for (int64_t i = 0; i < c->n; i++) {
            int64_t v = ((const int64_t *)c->data)[i];
            if (c->is_bool) fv_bool(&p->value)[i] = v != 0;
            else fv_i64(&p->value)[i] = v;
        }
    }
    ox_tensor_free(&e->v.c);
    e->v.kind = OX_LAYER;
    e->v.layer = l;
    return FV_OK;
}

fv_status ox_const_in(ox_import *im, int k, const ox_tensor **c)
{
    ox_entry *e = ox_in(im, k);
    if (!e) return ox_fail(im, FV_ERR_FORMAT, "input %d is missing", k);
    if (e->v.kind != OX_CONST)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "input '%s' must be a constant (an initializer), but it is computed from "
                       "the image", e->name);
    *c = &e->v.c;
    return FV_OK;
}

void ox_set_out(ox_import *im, int k, ox_value v)
{
    const Onnx__NodeProto *nd = im->node;
    ox_entry *e = (size_t)k < nd->n_output && nd->output[k] && *nd->output[k] ? ox_find(&im->t, nd->output[k]) : NULL;
    if (!e) { /* an output nobody named: nothing reads it */
        if (v.kind == OX_CONST) ox_tensor_free(&v.c);
        return;
    }
    if (e->v.kind == OX_CONST || e->v.kind == OX_MATMUL) ox_tensor_free(&e->v.c);
    e->v = v;
}

void ox_set_layer_out(ox_import *im, int k, int layer)
{
    ox_value v = {.kind = OX_LAYER, .layer = layer};
    ox_set_out(im, k, v);
}

double ox_get_f(const ox_tensor *c, int64_t i)
{
    return c->type == OX_F32 ? (double)((const float *)c->data)[i] : (double)((const int64_t *)c->data)[i];
}

int64_t ox_get_i(const ox_tensor *c, int64_t i)
{
    return c->type == OX_I64 ? ((const int64_t *)c->data)[i] : (int64_t)((const float *)c->data)[i];
}

fv_status ox_ints_in(ox_import *im, int k, int64_t *out, int max, int *n)
{
    const ox_tensor *c;
    fv_status s = ox_const_in(im, k, &c);
    if (s) return s;
    if (c->type != OX_I64 || c->ndim > 1 || c->n > max)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "input '%s' should be at most %d integers (an int64 vector)",
                       ox_in(im, k)->name, max);
    for (int64_t i = 0; i < c->n; i++) {
        out[i] = ((const int64_t *)c->data)[i];
        if (OX_IS_SYMBOL(out[i]))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "input '%s' depends on the batch size", ox_in(im, k)->name);
    }
    *n = (int)c->n;
    return FV_OK;
}

/* ---- layers -------------------------------------------------------------------------------------------- */

/* PyTorch names nodes by module scope: "/layer1/layer1.0/conv1/Conv" is module layer1.0.conv1. Keeps the
 * deepest of the nested qualified names and drops the operator, so such names become the module's. */
static void collapse_scopes(const char *name, const char *op, char *out, size_t size)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", name);
    char *seg[64];
    int n = 0;
    for (char *tok = strtok(buf, "/"); tok && n < 64; tok = strtok(NULL, "/")) seg[n++] = tok;
    size_t lo = strlen(op);
    if (n > 1 && strncmp(seg[n - 1], op, lo) == 0 &&
        (!seg[n - 1][lo] || (seg[n - 1][lo] == '_' && strspn(seg[n - 1] + lo + 1, "0123456789") == strlen(seg[n - 1] + lo + 1))))
        n--;
    else if (n == 1 && strncmp(seg[0], op, lo) == 0 && strchr(name, '/'))
        n = 0; /* "/Relu": a root-level operator without a module */
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t li = strlen(seg[i]);
        if (i + 1 < n && strncmp(seg[i + 1], seg[i], li) == 0 && seg[i + 1][li] == '.') continue;
        size_t lo_out = strlen(out);
        snprintf(out + lo_out, size - lo_out, "%s%s", lo_out ? "." : "", seg[i]);
    }
}

/* Characters a description token may hold (no spaces, '=', ',' or '#'). */
static void sanitize(char *s)
{
    for (char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("_.-:/", *c)))
            *c = '_';
}

static const char *base_of(const void *im, int i) { return ((const ox_import *)im)->bases[i].base; }

/* Where the search for a free name with this base goes on. Names are only ever added, so the first free
 * suffix of a base never decreases: searching on from where the last search stopped keeps naming n layers
 * of one base linear (a graph of unnamed nodes would otherwise cost n^2 lookups). */
static int *name_base_next(ox_import *im, const char *base)
{
    int i = fv_name_index_find(&im->base_index, base, base_of, im);
    if (i >= 0) return &im->bases[i].next;
    if (im->n_bases == im->cap_bases) {
        int cap = im->cap_bases ? 2 * im->cap_bases : 64;
        ox_name_base *nb = realloc(im->bases, (size_t)cap * sizeof *nb);
        if (!nb) goto nomem;
        im->bases = nb, im->cap_bases = cap;
    }
    if (!fv_name_index_reserve(&im->base_index, 1)) goto nomem;
    ox_name_base *e = &im->bases[im->n_bases];
    size_t n = strlen(base); /* at most OX_NAME_MAX: layer_name cuts it first */
    if (n >= sizeof e->base) n = sizeof e->base - 1;
    memcpy(e->base, base, n), e->base[n] = '\0';
    e->next = 0;
    fv_name_index_add(&im->base_index, e->base, im->n_bases);
    return &im->bases[im->n_bases++].next;
nomem:
    ox_fail(im, FV_ERR_NOMEM, "out of memory naming layers");
    return NULL;
}

static bool layer_name(ox_import *im, const char *weight, const char *type, char *out)
{
    char base[512] = "";
    size_t lw = weight ? strlen(weight) : 0;
    if (lw > 7 && strcmp(weight + lw - 7, ".weight") == 0) snprintf(base, sizeof base, "%.*s", (int)(lw - 7), weight);
    else if (im->node && im->node->name && *im->node->name) collapse_scopes(im->node->name, im->node->op_type, base,
                                                                              sizeof base);
    sanitize(base);
    const char *b = base;
    size_t lb = strlen(b);
    if (lb > OX_NAME_MAX) b += lb - OX_NAME_MAX; /* the end of a long scope is its most specific part */
    if (!*b) b = type;
    int *next = name_base_next(im, b);
    if (!next) return false;
    for (;; ++*next) { /* the first free of b, b_1, b_2 ... (each cut to fit OX_NAME_MAX) */
        char suffix[16] = "";
        int ls = *next ? snprintf(suffix, sizeof suffix, "_%d", *next) : 0;
        snprintf(out, OX_NAME_MAX + 1, "%.*s%s", OX_NAME_MAX - ls, b, suffix);
        if (fv_model_find_layer(im->m, out) < 0) return true;
    }
}

/* The model's message for a refused layer, led by the node (ox_fail). */
static int add_failed(ox_import *im)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", fv_errmsg(im->ctx));
    ox_fail(im, fv_errcode(im->ctx) ? fv_errcode(im->ctx) : FV_ERR_ARG, "%s", msg);
    return -1;
}

int ox_add_spec(ox_import *im, fv_layer_spec s, const char *weight, const int *in, int n_in)
{
    char name[OX_NAME_MAX + 1];
    if (!layer_name(im, weight, s.type ? s.type : "layer", name)) return -1;
    s.name = name;
    s.n_in = 0;
    for (int i = 0; i < n_in; i++) fv_spec_from_layer(&s, in[i]);
    int idx = fv_model_add_layer(im->m, &s);
    return idx < 0 ? add_failed(im) : idx;
}

int ox_add_plain(ox_import *im, const char *type, const char *weight, const int *in, int n_in)
{
    return ox_add_spec(im, fv_spec_of_type(type, NULL), weight, in, n_in);
}

fv_status ox_add_out(ox_import *im, fv_layer_spec s, const char *weight, const int *in, int n_in)
{
    int l = ox_add_spec(im, s, weight, in, n_in);
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

fv_status ox_set_param(ox_import *im, int layer, int k, const ox_tensor *c, const char *cname, bool transpose,
                       float scale)
{
    fv_param *ps[4];
    int np = fv_model_layer_params(im->m, layer, ps, 4);
    if (k >= np) return ox_fail(im, FV_ERR_STATE, "layer '%s' has no parameter %d", fv_model_layer_name(im->m, layer), k);
    fv_tensor *p = &ps[k]->value;
    if (c->type != OX_F32)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "'%s' holds integers; parameters must be floating point", cname);
    if (c->n != p->size && c->n != 1) {
        char shape[96];
        return ox_fail(im, FV_ERR_SHAPE, "'%s' has %lld values where %s needs %s = %lld", cname, (long long)c->n,
                       ps[k]->name, fv_shape_str(p, shape, sizeof shape), (long long)p->size);
    }
    const float *src = c->data;
    float *dst = fv_f32(p);
    if (c->n == 1 && p->size != 1) {
        for (int64_t i = 0; i < p->size; i++) dst[i] = src[0] * scale;
    } else if (transpose) { /* c is (rows, cols) = (in, out); p is (out, in) */
        int64_t rows = c->dims[0], cols = c->n / (rows ? rows : 1);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t q = 0; q < cols; q++) dst[q * rows + r] = src[r * cols + q] * scale;
    } else if (scale != 1.0f) {
        for (int64_t i = 0; i < p->size; i++) dst[i] = src[i] * scale;
    } else {
        memcpy(dst, src, (size_t)p->size * sizeof *dst);
    }
    bool check = !fv_ctx_nonfinite_allowed(im->ctx); /* asked once, not per element */
    for (int64_t i = 0; check && i < p->size; i++)
        if (!isfinite(dst[i]))
            return ox_fail(im, FV_ERR_NUMERIC, "'%s' holds a non-finite value: parameter %s[%lld] is %g (load it anyway "
                           "with --allow-nonfinite)", cname, ps[k]->name, (long long)i, dst[i]);
    return FV_OK;
}

/* A gate (Sigmoid or HardSigmoid waiting for its Mul) or a MatMul (waiting for its bias) used otherwise: it
 * becomes a layer of its own, named after its node. */
fv_status ox_materialize(ox_import *im, ox_entry *e)
{
    const Onnx__NodeProto *cur = im->node;
    im->node = im->g->node[e->v.node];
    int layer;
    if (e->v.kind == OX_GATE) {
        bool hard = strcmp(im->node->op_type, "HardSigmoid") == 0;
        layer = ox_add_spec(im, fv_spec_activation(NULL, hard ? FV_ACT_HARD_SIGMOID : FV_ACT_SIGMOID), NULL,
                            &e->v.layer, 1);
    } else {
        const ox_tensor *w = &e->v.c;
        fv_layer_spec spec = fv_spec_dense(NULL, ox_key_int(w->dims[1]));
        spec.a.bias = false;
        layer = ox_add_spec(im, spec, im->node->input[1], &e->v.layer, 1);
        if (layer >= 0 && ox_set_param(im, layer, 0, w, im->node->input[1], true, 1.0f)) layer = -1;
        ox_tensor_free(&e->v.c);
    }
    im->node = cur;
    if (layer < 0) return fv_errcode(im->ctx);
    e->v.kind = OX_LAYER;
    e->v.layer = layer;
    return FV_OK;
}

/* ---- the model ------------------------------------------------------------------------------------------ */

static fv_status check_model(ox_import *im)
{
    Onnx__ModelProto *mp = im->proto;
    if (!mp->graph) return fv_error(im->ctx, FV_ERR_FORMAT, "%s: the ONNX model has no graph", im->path);
    im->g = mp->graph;
    im->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain ? mp->opset_import[i]->domain : "";
        if (!*d || strcmp(d, "ai.onnx") == 0) im->opset = mp->opset_import[i]->version;
    }
    if (im->opset < 0 && mp->n_opset_import == 0 && mp->has_ir_version && mp->ir_version < 3) im->opset = 1;
    if (im->opset < 1 || im->opset > 21)
        return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: ONNX opset %lld of the default domain; fovea reads opsets 1 "
                        "to 21", im->path, (long long)im->opset);
    return FV_OK;
}

/* One graph input as an input layer. Its element type is float, int64, int32 or bool, and every dimension but
 * the first is a fixed number. A symbolic first dimension is the batch (any batch runs); so is a first
 * dimension of 1 in an image (1, C, H, W) or a feature matrix (1, features), as exporters write a model for a
 * batch of one; any other input is taken whole (batch=false: a (6, 3) matrix stays (6, 3)). */
static fv_status add_input(ox_import *im, const Onnx__ValueInfoProto *in)
{
    const Onnx__TypeProto *tp = in->type;
    const Onnx__TypeProto__Tensor *tt = tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? tp->tensor_type : NULL;
    int32_t et = tt && tt->has_elem_type ? tt->elem_type : 0;
    const char *dtype = et == OX_T_FLOAT ? "float32" : et == OX_T_INT64 ? "int64" : et == OX_T_INT32 ? "int32"
                      : et == OX_T_BOOL ? "bool" : NULL;
    if (!tt || !dtype || !tt->shape)
        return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: input '%s' must be a tensor of float, int64, int32 or bool "
                        "elements and known rank", im->path, in->name);
    size_t nd = tt->shape->n_dim;
    if (nd > FV_MAX_DIMS)
        return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: input '%s' has rank %zu; fovea's tensors have at most %d "
                        "dimensions", im->path, in->name, nd, FV_MAX_DIMS);
    int64_t d[FV_MAX_DIMS];
    for (size_t k = 0; k < nd; k++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[k];
        bool known = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dim->dim_value >= 0;
        d[k] = known ? dim->dim_value : -1;
        if (k > 0 && (!known || d[k] > (1 << 24)))
            return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: input '%s': dimension %zu is %s; fovea needs a fixed "
                            "input size", im->path, in->name, k, known ? "too large" : "not a fixed number");
    }
    bool batch = nd > 0 && (d[0] < 0 || (d[0] == 1 && et == OX_T_FLOAT && (nd == 2 || nd == 4)));
    if (batch && im->batch == 0) im->batch = d[0] > 0 ? d[0] : OX_DIM_BATCH;
    char name[OX_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", in->name && *in->name ? in->name : "input");
    sanitize(name);
    fv_layer_spec spec = fv_spec_input(name, (int)nd - batch, d + batch); /* the batch's dimension left out */
    spec.a.dtype = et == OX_T_FLOAT ? FV_F32 : et == OX_T_INT64 ? FV_I64 : et == OX_T_INT32 ? FV_I32 : FV_BOOL;
    spec.a.batch = batch;
    int layer = fv_model_add_layer(im->m, &spec);
    if (layer < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", fv_errmsg(im->ctx));
        return fv_error(im->ctx, fv_errcode(im->ctx), "%s: %s", im->path, msg); /* msg names the input */
    }
    ox_entry *e = ox_find(&im->t, in->name);
    e->v.kind = OX_LAYER;
    e->v.layer = layer;
    return FV_OK;
}

/* Every graph input that is not an initializer, in the graph's order. */
static fv_status add_inputs(ox_import *im)
{
    const Onnx__GraphProto *g = im->g;
    int n = 0;
    for (size_t i = 0; i < g->n_input; i++) {
        ox_entry *e = ox_find(&im->t, g->input[i]->name);
        if (e && e->v.kind == OX_CONST) continue;
        if (n == FV_MODEL_MAX_IO)
            return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: the graph has more than %d inputs", im->path,
                            FV_MODEL_MAX_IO);
        fv_status s = add_input(im, g->input[i]);
        if (s) return s;
        n++;
    }
    if (!n) return fv_error(im->ctx, FV_ERR_FORMAT, "%s: the graph has no input", im->path);
    return FV_OK;
}

static fv_status load_initializers(ox_import *im)
{
    for (size_t i = 0; i < im->g->n_initializer; i++) {
        const Onnx__TensorProto *p = im->g->initializer[i];
        char what[300];
        snprintf(what, sizeof what, "initializer '%.250s'", p->name);
        ox_entry *e = ox_find(&im->t, p->name);
        fv_status s = ox_tensor_from_proto(im, p, what, &e->v.c);
        if (s) return s;
        e->v.kind = OX_CONST;
    }
    return FV_OK;
}

/* Whether the attribute name is in the comma-separated list. */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static fv_status check_node(ox_import *im, const ox_op *op)
{
    const Onnx__NodeProto *nd = im->node;
    /* attributes first: old opsets gave as attributes what later ones take as inputs */
    for (size_t i = 0; i < nd->n_attribute; i++) {
        const char *a = nd->attribute[i]->name ? nd->attribute[i]->name : "";
        if (!listed(op->attrs, a)) return ox_fail(im, FV_ERR_UNSUPPORTED, "attribute '%s' is not supported", a);
    }
    if ((int)nd->n_input < op->min_in || (int)nd->n_input > op->max_in)
        return ox_fail(im, FV_ERR_FORMAT, "has %zu inputs (%d to %d expected)", nd->n_input, op->min_in, op->max_in);
    for (int k = 0; k < op->min_in; k++)
        if (!ox_in(im, k)) return ox_fail(im, FV_ERR_FORMAT, "input %d is missing", k);
    if (nd->n_output < 1 || !nd->output[0] || !*nd->output[0]) return ox_fail(im, FV_ERR_FORMAT, "has no output");
    for (size_t k = 1; k < nd->n_output; k++) {
        ox_entry *e = nd->output[k] && *nd->output[k] ? ox_find(&im->t, nd->output[k]) : NULL;
        if (e && e->n_users > 0 && (int)k >= op->max_out)
            return ox_fail(im, FV_ERR_UNSUPPORTED, "its output %zu ('%s') is used, and fovea does not compute it", k,
                           e->name);
    }
    return FV_OK;
}

static fv_status import_node(ox_import *im, int i)
{
    const Onnx__NodeProto *nd = im->g->node[i];
    im->node = nd;
    im->node_index = i;
    if (nd->domain && *nd->domain && strcmp(nd->domain, "ai.onnx") != 0)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "operators of domain '%s' are not supported", nd->domain);
    const ox_op *op = ox_find_op(nd->op_type);
    const fv_generic_type *gt = op ? NULL : ox_generic_type(nd->op_type, im->opset);
    if (gt) {
        for (size_t k = 0; k < nd->n_input; k++) {
            ox_entry *e = ox_in(im, (int)k);
            if (e && e->v.kind == OX_UNSET) return ox_fail(im, FV_ERR_FORMAT, "input '%s' has no value", e->name);
        }
        return ox_import_generic(im, gt);
    }
    if (!op) return ox_fail(im, FV_ERR_UNSUPPORTED, "operator not supported (docs/ONNX.md lists those that are)");
    fv_status s = check_node(im, op);
    if (s) return s;
    bool all_const = true;
    for (size_t k = 0; k < nd->n_input; k++) {
        ox_entry *e = ox_in(im, (int)k);
        if (e && e->v.kind == OX_UNSET) return ox_fail(im, FV_ERR_FORMAT, "input '%s' has no value", e->name);
        if (e && e->v.kind != OX_CONST) all_const = false;
    }
    if (all_const && op->fold) return op->fold(im);
    if (!op->layer)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "fovea computes this operator only on constants (shape arithmetic), "
                       "and an input here comes from the image");
    return op->layer(im);
}

/* Class names and input normalization written by fv_onnx_save. */
static fv_status load_metadata(ox_import *im)
{
    const Onnx__ModelProto *mp = im->proto;
    const char *classes = NULL;
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const char *k = mp->metadata_props[i]->key, *v = mp->metadata_props[i]->value;
        if (!k || !v) continue;
        if (strcmp(k, "fovea.class_names") == 0) classes = v;
    }
    if (classes) {
        char *copy = strdup(classes);
        int n = 1;
        for (const char *c = classes; *c; c++) n += *c == '\n';
        const char **names = calloc((size_t)n, sizeof *names);
        fv_status s = copy && names ? FV_OK : fv_error(im->ctx, FV_ERR_NOMEM, "%s: out of memory", im->path);
        int k = 0;
        for (char *c = copy, *nl; !s && c; c = nl) {
            nl = strchr(c, '\n');
            if (nl) *nl++ = '\0';
            names[k++] = c;
        }
        if (!s && fv_model_load_class_names(im->m, names, k) != FV_OK)
            s = fv_error(im->ctx, FV_ERR_FORMAT, "%s: metadata fovea.class_names: %d names for %lld outputs", im->path,
                         k, (long long)fv_model_output_size(im->m));
        free(copy), free(names);
        if (s) return s;
    }
    /* the preprocessing: the keys of a model file behind "fovea.", read by the same code */
    fv_modelfile *pre = fv_modelfile_new(im->ctx);
    fv_status s = pre ? FV_OK : FV_ERR_NOMEM;
    for (size_t i = 0; !s && i < mp->n_metadata_props; i++) {
        const char *k = mp->metadata_props[i]->key, *v = mp->metadata_props[i]->value;
        if (k && v && strncmp(k, "fovea.", 6) == 0 && strcmp(k, "fovea.class_names") != 0)
            s = fv_modelfile_meta_set(pre, k + 6, v);
    }
    if (!s) s = fv_preprocess_from_meta(im->m, pre, im->path, "");
    fv_modelfile_free(pre);
    return s;
}

/* The graph's outputs become the model's: each must be a layer computed from an input. */
static fv_status finish(ox_import *im)
{
    im->node = NULL;
    int layers[FV_MODEL_MAX_IO];
    size_t n = im->g->n_output;
    if (n > FV_MODEL_MAX_IO)
        return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: the graph has %zu outputs (at most %d)", im->path, n,
                        FV_MODEL_MAX_IO);
    for (size_t k = 0; k < n; k++) {
        ox_entry *out = ox_find(&im->t, im->g->output[k]->name);
        if (out->v.kind == OX_GATE || out->v.kind == OX_MATMUL) {
            fv_status s = ox_materialize(im, out);
            if (s) return s;
        }
        /* a graph whose output is a constant (folded shape arithmetic) outputs a constant layer; one whose output
         * is an input, a copy of it (a model's outputs are layers computed from its inputs) */
        if (out->v.kind == OX_CONST) {
            fv_status s = ox_constant_layer(im, out);
            if (s) return s;
        }
        if (strcmp(fv_model_layer_type(im->m, out->v.layer), "input") == 0) {
            int l = ox_add_plain(im, "identity", NULL, &out->v.layer, 1);
            if (l < 0) return fv_errcode(im->ctx);
            out->v.layer = l;
        }
        layers[k] = out->v.layer;
    }
    bool last_only = n == 1 && layers[0] == fv_model_layer_count(im->m) - 1;
    if (!last_only && fv_model_set_outputs(im->m, layers, (int)n) != FV_OK) return fv_errcode(im->ctx);
    return load_metadata(im);
}

/* The graph's name, or the file's when the graph has none or PyTorch's default one. The default is recognized
 * after sanitizing, so that a name that becomes "torch_jit..." is treated the same when exported and read again
 * (found by fuzz_onnx: "torch jit" imported as torch_jit, which read back as the file's name). */
static void model_name(const Onnx__GraphProto *g, const char *path, char *out, size_t size)
{
    const char *gn = g && g->name ? g->name : "";
    snprintf(out, size, "%s", gn);
    sanitize(out);
    if (!*out || strncmp(out, "torch_jit", 9) == 0 || strncmp(out, "torch-jit", 9) == 0) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t n = strlen(base);
        if (n > 5 && strcasecmp(base + n - 5, ".onnx") == 0) n -= 5;
        snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), base);
    }
    if (!*out) snprintf(out, size, "onnx");
    sanitize(out);
}

fv_model *fv_onnx_load_mem(fv_ctx *ctx, const void *data, size_t size, const char *name)
{
    if (!ctx) return NULL;
    ox_import im = {.ctx = ctx, .path = name ? name : "onnx"};
    if (!data && size) {
        fv_error(ctx, FV_ERR_ARG, "%s: no data", im.path);
        return NULL;
    }
    im.proto = ox_unpack(ctx, data, size, im.path);
    fv_status s = im.proto ? check_model(&im) : FV_ERR_FORMAT;
    if (!s) s = ox_index_graph(&im);
    if (!s) s = load_initializers(&im);
    if (!s) {
        char mname[64];
        model_name(im.g, im.path, mname, sizeof mname);
        im.m = fv_model_new(ctx, mname);
        s = im.m ? add_inputs(&im) : FV_ERR_NOMEM;
    }
    for (int i = 0; !s && i < im.n_order; i++) s = import_node(&im, im.order[i]);
    if (!s) s = finish(&im);
    ox_table_free(&im.t);
    free(im.order);
    free(im.bases);
    free(im.in_entry), free(im.in_start);
    fv_name_index_free(&im.base_index);
    if (im.proto) onnx__model_proto__free_unpacked(im.proto, NULL);
    if (s) {
        fv_model_free(im.m);
        return NULL;
    }
    return im.m;
}

fv_model *fv_onnx_load(fv_ctx *ctx, const char *path)
{
    if (!ctx) return NULL;
    if (!path) {
        fv_error(ctx, FV_ERR_ARG, "ONNX: no path");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fv_error(ctx, FV_ERR_IO, "cannot open ONNX model '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st = {0};
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fv_error(ctx, FV_ERR_IO, "cannot read ONNX model '%s': %s", path, S_ISDIR(st.st_mode) ? "a directory"
                 : "not a regular file");
        fclose(f);
        return NULL;
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fv_error(ctx, FV_ERR_IO, "cannot read ONNX model '%s': %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    if ((unsigned long)size > OX_MAX_FILE) {
        fv_error(ctx, FV_ERR_FORMAT, "%s: not a valid ONNX model (over 2 GiB, protobuf's limit)", path);
        fclose(f);
        return NULL;
    }
    void *buf = malloc(size ? (size_t)size : 1);
    size_t n = buf ? fread(buf, 1, (size_t)size, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (!buf || err || n != (size_t)size) {
        fv_error(ctx, buf ? FV_ERR_IO : FV_ERR_NOMEM, "cannot read ONNX model '%s': %s", path,
                 !buf ? "out of memory" : "read error");
        free(buf);
        return NULL;
    }
    fv_model *m = fv_onnx_load_mem(ctx, buf, n, path);
    free(buf);
    return m;
}
