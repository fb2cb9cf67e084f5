/* Writing a fovea model as ONNX: each layer becomes one node (two for silu, for hard_swish before opset 14 and
 * for a dense layer on a pooled map), named after the layer, whose output tensor carries the layer's name;
 * parameters become initializers under their own names, pointing at the parameters' memory until packed.
 * What fv_onnx_load reads back is the same model. Layers are read through the public API (fv_model_layer_spec)
 * and translated by their type's row of the layer table (src/nn/layer_table.h: keys, ONNX forms). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../nn/layer_table.h"
#include "fovea/io.h"
#include "onnx_internal.h"
#include "preprocess_meta.h"

typedef struct {
    fv_ctx *ctx;
    const fv_model *m;
    int opset;
    void **blocks; /* everything allocated for the protobuf, freed together */
    size_t n_blocks, cap_blocks;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    bool failed;
    bool shares; /* some layer uses another's parameters (share=): each is written once */
} ex_state;

/* The most parameters a layer has (a batch norm's four). */
#define EX_MAX_PARAMS 4

/* A layer as export sees it: its spec read through the public API, its parameters, and its type's row of the
 * layer table. */
typedef struct {
    int index;
    const char *name;
    const fv_layer_type *type;
    fv_layer_attrs a;
    int n_in;
    int in[FV_LAYER_MAX_INPUTS];
    int n_params;
    fv_param *params[EX_MAX_PARAMS];
} ex_layer;

/* ---- allocation ---------------------------------------------------------------------------------------- */

static void *ex_alloc(ex_state *ex, size_t size)
{
    if (ex->failed) return NULL;
    if (ex->n_blocks == ex->cap_blocks) {
        size_t cap = ex->cap_blocks ? 2 * ex->cap_blocks : 256;
        void **b = realloc(ex->blocks, cap * sizeof *b);
        if (!b) goto nomem;
        ex->blocks = b, ex->cap_blocks = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (!p) goto nomem;
    ex->blocks[ex->n_blocks++] = p;
    return p;
nomem:
    ex->failed = true;
    fv_error(ex->ctx, FV_ERR_NOMEM, "ONNX export of '%s': out of memory", fv_model_name(ex->m));
    return NULL;
}

static char *ex_str(ex_state *ex, const char *fmt, ...) FV_PRINTF(2, 3);
static char *ex_str(ex_state *ex, const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = ex_alloc(ex, strlen(buf) + 1);
    if (s) strcpy(s, buf);
    return s;
}

/* Appends p to a growing array of pointers. */
static void ex_push(ex_state *ex, void ***arr, size_t *n, size_t *cap, void *p)
{
    if (ex->failed || !p) return;
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        void **a = realloc(*arr, c * sizeof *a);
        if (!a) {
            ex->failed = true;
            fv_error(ex->ctx, FV_ERR_NOMEM, "ONNX export: out of memory");
            return;
        }
        *arr = a, *cap = c;
    }
    (*arr)[(*n)++] = p;
}

/* ---- nodes and attributes -------------------------------------------------------------------------------- */

static Onnx__NodeProto *ex_node(ex_state *ex, const char *op, const char *name, const char *out, int n_in, ...)
{
    Onnx__NodeProto *nd = ex_alloc(ex, sizeof *nd);
    char **in = ex_alloc(ex, (size_t)(n_in ? n_in : 1) * sizeof *in);
    char **outs = ex_alloc(ex, sizeof *outs);
    if (!nd || !in || !outs) return NULL;
    onnx__node_proto__init(nd);
    va_list ap;
    va_start(ap, n_in);
    for (int i = 0; i < n_in; i++) in[i] = (char *)va_arg(ap, const char *);
    va_end(ap);
    outs[0] = (char *)out;
    nd->op_type = (char *)op, nd->name = (char *)name;
    nd->n_input = (size_t)n_in, nd->input = in;
    nd->n_output = 1, nd->output = outs;
    ex_push(ex, (void ***)&ex->nodes, &ex->n_nodes, &ex->cap_nodes, nd);
    return nd;
}

/* A node reading the n names of in (empty strings for absent optional inputs). */
static Onnx__NodeProto *ex_node_list(ex_state *ex, const char *op, const char *name, const char *out, int n,
                                     const char *const *in)
{
    Onnx__NodeProto *nd = ex_node(ex, op, name, out, 0);
    char **names = ex_alloc(ex, (size_t)(n ? n : 1) * sizeof *names);
    if (!nd || !names) return NULL;
    for (int i = 0; i < n; i++) names[i] = (char *)in[i];
    nd->n_input = (size_t)n, nd->input = names;
    return nd;
}

static Onnx__AttributeProto *ex_attr(ex_state *ex, Onnx__NodeProto *nd, const char *name,
                                     Onnx__AttributeProto__AttributeType type)
{
    if (!nd) return NULL;
    Onnx__AttributeProto *a = ex_alloc(ex, sizeof *a);
    Onnx__AttributeProto **list = ex_alloc(ex, (nd->n_attribute + 1) * sizeof *list);
    if (!a || !list) return NULL;
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1, a->type = type;
    if (nd->n_attribute) memcpy(list, nd->attribute, nd->n_attribute * sizeof *list);
    list[nd->n_attribute++] = a;
    nd->attribute = list;
    return a;
}

static void attr_int(ex_state *ex, Onnx__NodeProto *nd, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ex_attr(ex, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) a->has_i = 1, a->i = v;
}

static void attr_float(ex_state *ex, Onnx__NodeProto *nd, const char *name, float v)
{
    Onnx__AttributeProto *a = ex_attr(ex, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) a->has_f = 1, a->f = v;
}

static void attr_ints(ex_state *ex, Onnx__NodeProto *nd, const char *name, int n, const int *v)
{
    Onnx__AttributeProto *a = ex_attr(ex, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *vals = ex_alloc(ex, (size_t)n * sizeof *vals);
    if (!a || !vals) return;
    for (int i = 0; i < n; i++) vals[i] = v[i];
    a->n_ints = (size_t)n, a->ints = vals;
}

static void attr_ints64(ex_state *ex, Onnx__NodeProto *nd, const char *name, int n, const int64_t *v)
{
    Onnx__AttributeProto *a = ex_attr(ex, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *vals = ex_alloc(ex, (size_t)n * sizeof *vals);
    if (!a || !vals) return;
    memcpy(vals, v, (size_t)n * sizeof *vals);
    a->n_ints = (size_t)n, a->ints = vals;
}

static void attr_floats(ex_state *ex, Onnx__NodeProto *nd, const char *name, int n, const float *v)
{
    Onnx__AttributeProto *a = ex_attr(ex, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    float *vals = ex_alloc(ex, (size_t)n * sizeof *vals);
    if (!a || !vals) return;
    memcpy(vals, v, (size_t)n * sizeof *vals);
    a->n_floats = (size_t)n, a->floats = vals;
}

/* The string is copied: a text key's value lives in a layer view that is gone before the model is packed. */
static void attr_string(ex_state *ex, Onnx__NodeProto *nd, const char *name, const char *v)
{
    Onnx__AttributeProto *a = ex_attr(ex, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    const char *copy = a ? ex_str(ex, "%s", v) : NULL;
    if (copy) a->has_s = 1, a->s.data = (uint8_t *)copy, a->s.len = strlen(copy);
}

/* ---- initializers ---------------------------------------------------------------------------------------- */

static Onnx__TensorProto *ex_tensor(ex_state *ex, const char *name, int32_t type, int ndim, const int64_t *dims,
                                    const void *data, size_t bytes)
{
    Onnx__TensorProto *t = ex_alloc(ex, sizeof *t);
    int64_t *d = ex_alloc(ex, (size_t)(ndim ? ndim : 1) * sizeof *d);
    if (!t || !d) return NULL;
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1, t->data_type = type;
    if (ndim) memcpy(d, dims, (size_t)ndim * sizeof *d);
    t->n_dims = (size_t)ndim, t->dims = d;
    t->has_raw_data = 1;
    t->raw_data.len = bytes, t->raw_data.data = (uint8_t *)data; /* little-endian, as ONNX's raw_data */
    ex_push(ex, (void ***)&ex->inits, &ex->n_inits, &ex->cap_inits, t);
    return t;
}

/* ONNX's element type of a fovea dtype. */
static int32_t onnx_type(fv_dtype d)
{
    return d == FV_I64 ? OX_T_INT64 : d == FV_I32 ? OX_T_INT32 : d == FV_BOOL ? OX_T_BOOL : OX_T_FLOAT;
}

static const char *init_param(ex_state *ex, const fv_param *p)
{
    for (size_t i = 0; ex->shares && i < ex->n_inits; i++) /* a parameter two layers share (share=): once */
        if (strcmp(ex->inits[i]->name, p->name) == 0) return p->name;
    ex_tensor(ex, p->name, onnx_type(p->value.dtype), p->value.ndim, p->value.shape, p->value.data,
              (size_t)p->value.size * fv_dtype_size(p->value.dtype));
    return p->name;
}

static const char *init_floats(ex_state *ex, const char *name, int ndim, int n, const float *v)
{
    float *copy = ex_alloc(ex, (size_t)(n ? n : 1) * sizeof *copy);
    if (!copy) return name;
    if (n) memcpy(copy, v, (size_t)n * sizeof *copy);
    int64_t dims[1] = {n};
    ex_tensor(ex, name, OX_T_FLOAT, ndim, dims, copy, (size_t)n * sizeof *copy);
    return name;
}

static const char *init_ints(ex_state *ex, const char *name, int n, const int64_t *v)
{
    int64_t *copy = ex_alloc(ex, (size_t)n * sizeof *copy);
    if (!copy) return name;
    memcpy(copy, v, (size_t)n * sizeof *copy);
    int64_t dims[1] = {n};
    ex_tensor(ex, name, OX_T_INT64, 1, dims, copy, (size_t)n * sizeof *copy);
    return name;
}

/* ---- layers ----------------------------------------------------------------------------------------------- */

static fv_status refuse(ex_state *ex, const ex_layer *l, const char *why)
{
    ex->failed = true;
    return fv_error(ex->ctx, FV_ERR_UNSUPPORTED, "ONNX export of '%s': %s '%s': %s", fv_model_name(ex->m),
                    l->type->name, l->name, why);
}

static const char *input_name(ex_state *ex, const ex_layer *l, int k) { return fv_model_layer_name(ex->m, l->in[k]); }

static void window_attrs(ex_state *ex, Onnx__NodeProto *nd, const int *kernel, const int *stride, const int *pad)
{
    attr_ints(ex, nd, "kernel_shape", 2, kernel);
    attr_ints(ex, nd, "strides", 2, stride);
    attr_ints(ex, nd, "pads", 4, pad); /* top, left, bottom, right: ONNX's begins then ends */
}

static void export_conv(ex_state *ex, const ex_layer *l)
{
    const fv_layer_attrs *a = &l->a;
    bool t = l->type->kind == FV_L_CONV_TRANSPOSE2D;
    const char *w = init_param(ex, l->params[0]);
    const char *b = a->bias ? init_param(ex, l->params[1]) : NULL;
    const char *op = t ? "ConvTranspose" : "Conv";
    Onnx__NodeProto *nd = b ? ex_node(ex, op, l->name, l->name, 3, input_name(ex, l, 0), w, b)
                            : ex_node(ex, op, l->name, l->name, 2, input_name(ex, l, 0), w);
    if (!t && a->pad_mode != FV_PAD_EXPLICIT) {
        attr_ints(ex, nd, "kernel_shape", 2, a->kernel);
        attr_ints(ex, nd, "strides", 2, a->stride);
        attr_string(ex, nd, "auto_pad", a->pad_mode == FV_PAD_SAME ? "SAME_UPPER" : "VALID");
    } else {
        window_attrs(ex, nd, a->kernel, a->stride, a->pad);
    }
    attr_ints(ex, nd, "dilations", 2, a->dilation);
    attr_int(ex, nd, "group", a->groups);
    if (t) attr_ints(ex, nd, "output_padding", 2, a->output_padding);
}

static void export_dense(ex_state *ex, const ex_layer *l)
{
    int64_t shape[FV_MAX_DIMS];
    const char *x = input_name(ex, l, 0);
    if (fv_model_layer_shape(ex->m, l->in[0], shape) == 3) { /* a pooled (C, 1, 1) map: flattened first */
        const char *flat = ex_str(ex, "%s/flatten", l->name);
        attr_int(ex, ex_node(ex, "Flatten", flat, flat, 1, x), "axis", 1);
        x = flat;
    }
    const char *w = init_param(ex, l->params[0]);
    Onnx__NodeProto *nd = l->a.bias ? ex_node(ex, "Gemm", l->name, l->name, 3, x, w, init_param(ex, l->params[1]))
                                    : ex_node(ex, "Gemm", l->name, l->name, 2, x, w);
    attr_int(ex, nd, "transB", 1);
}

static void export_batch_norm(ex_state *ex, const ex_layer *l)
{
    const char *p[4];
    for (int k = 0; k < 4; k++) p[k] = init_param(ex, l->params[k]);
    Onnx__NodeProto *nd = ex_node(ex, "BatchNormalization", l->name, l->name, 5, input_name(ex, l, 0), p[0], p[1], p[2], p[3]);
    attr_float(ex, nd, "epsilon", l->a.eps);
    attr_float(ex, nd, "momentum", (float)(1.0 - (double)l->a.momentum)); /* ONNX keeps the old value's share */
}

/* x * gate(x) as two nodes: the gate's output named "<layer>/<gate>". */
static void gated(ex_state *ex, const ex_layer *l, const char *gate_op)
{
    const char *x = input_name(ex, l, 0);
    const char *g = ex_str(ex, "%s/%s", l->name, gate_op);
    Onnx__NodeProto *nd = ex_node(ex, gate_op, g, g, 1, x);
    if (strcmp(gate_op, "HardSigmoid") == 0) attr_float(ex, nd, "alpha", 1.0f / 6.0f), attr_float(ex, nd, "beta", 0.5f);
    ex_node(ex, "Mul", l->name, l->name, 2, x, g);
}

static void export_activation(ex_state *ex, const ex_layer *l)
{
    const char *x = input_name(ex, l, 0);
    Onnx__NodeProto *nd;
    switch ((fv_activation_kind)l->type->act) {
    case FV_ACT_RELU: ex_node(ex, "Relu", l->name, l->name, 1, x); break;
    case FV_ACT_LEAKY_RELU: attr_float(ex, ex_node(ex, "LeakyRelu", l->name, l->name, 1, x), "alpha", l->a.alpha); break;
    case FV_ACT_ELU: attr_float(ex, ex_node(ex, "Elu", l->name, l->name, 1, x), "alpha", l->a.alpha); break;
    case FV_ACT_RELU6: {
        const float zero = 0.0f, six = 6.0f;
        const char *lo = init_floats(ex, ex_str(ex, "%s/min", l->name), 0, 1, &zero);
        const char *hi = init_floats(ex, ex_str(ex, "%s/max", l->name), 0, 1, &six);
        ex_node(ex, "Clip", l->name, l->name, 3, x, lo, hi);
        break;
    }
    case FV_ACT_SIGMOID: ex_node(ex, "Sigmoid", l->name, l->name, 1, x); break;
    case FV_ACT_TANH: ex_node(ex, "Tanh", l->name, l->name, 1, x); break;
    case FV_ACT_SILU: gated(ex, l, "Sigmoid"); break;
    case FV_ACT_HARD_SIGMOID:
        nd = ex_node(ex, "HardSigmoid", l->name, l->name, 1, x);
        attr_float(ex, nd, "alpha", 1.0f / 6.0f), attr_float(ex, nd, "beta", 0.5f);
        break;
    case FV_ACT_HARD_SWISH:
        if (ex->opset >= 14) ex_node(ex, "HardSwish", l->name, l->name, 1, x);
        else gated(ex, l, "HardSigmoid");
        break;
    default: refuse(ex, l, "an activation ONNX does not have"); break;
    }
}

static void export_pool(ex_state *ex, const ex_layer *l)
{
    const fv_layer_attrs *a = &l->a;
    bool avg = l->type->kind == FV_L_AVG_POOL;
    int stride[2] = {a->stride[0] ? a->stride[0] : a->kernel[0], a->stride[1] ? a->stride[1] : a->kernel[1]};
    Onnx__NodeProto *nd = ex_node(ex, avg ? "AveragePool" : "MaxPool", l->name, l->name, 1, input_name(ex, l, 0));
    window_attrs(ex, nd, a->kernel, stride, a->pad);
    attr_int(ex, nd, "ceil_mode", a->ceil_mode);
    if (avg) attr_int(ex, nd, "count_include_pad", a->count_include_pad);
}

/* An adaptive average pool is a plain one when the sizes divide (or a global one for 1x1). */
static void export_adaptive(ex_state *ex, const ex_layer *l)
{
    int64_t in[FV_MAX_DIMS];
    fv_model_layer_shape(ex->m, l->in[0], in);
    const int *o = l->a.out_size;
    const char *x = input_name(ex, l, 0);
    if (o[0] == 1 && o[1] == 1) {
        ex_node(ex, "GlobalAveragePool", l->name, l->name, 1, x);
        return;
    }
    if (in[1] % o[0] || in[2] % o[1]) {
        refuse(ex, l, "ONNX has no adaptive pooling, and the output size does not divide the input's");
        return;
    }
    int k[2] = {(int)in[1] / o[0], (int)in[2] / o[1]}, pad[4] = {0, 0, 0, 0};
    Onnx__NodeProto *nd = ex_node(ex, "AveragePool", l->name, l->name, 1, x);
    window_attrs(ex, nd, k, k, pad);
}

static void export_pad(ex_state *ex, const ex_layer *l)
{
    const int *p = l->a.pad;
    int64_t pads[8] = {0, 0, p[0], p[1], 0, 0, p[2], p[3]};
    const char *pn = init_ints(ex, ex_str(ex, "%s/pads", l->name), 8, pads);
    const char *vn = init_floats(ex, ex_str(ex, "%s/value", l->name), 0, 1, &l->a.value);
    Onnx__NodeProto *nd = ex_node(ex, "Pad", l->name, l->name, 3, input_name(ex, l, 0), pn, vn);
    attr_string(ex, nd, "mode", "constant");
}

static void export_upsample(ex_state *ex, const ex_layer *l)
{
    const fv_layer_attrs *a = &l->a;
    float scales[4] = {1, 1, (float)a->scale[0], (float)a->scale[1]};
    const char *sn = init_floats(ex, ex_str(ex, "%s/scales", l->name), 1, 4, scales);
    /* roi is required before opset 13 (unused in these modes): an empty tensor */
    const char *roi = ex->opset < 13 ? init_floats(ex, ex_str(ex, "%s/roi", l->name), 1, 0, NULL) : "";
    Onnx__NodeProto *nd = ex_node(ex, "Resize", l->name, l->name, 3, input_name(ex, l, 0), roi, sn);
    if (a->mode == FV_RESIZE_NEAREST) {
        attr_string(ex, nd, "mode", "nearest");
        attr_string(ex, nd, "coordinate_transformation_mode", "asymmetric");
        attr_string(ex, nd, "nearest_mode", "floor");
    } else {
        attr_string(ex, nd, "mode", "linear");
        attr_string(ex, nd, "coordinate_transformation_mode", a->align_corners ? "align_corners" : "pytorch_half_pixel");
    }
}

/* Math layers whose ONNX form the table cannot say: PyTorch's PReLU (its slope shaped (C, 1, ..., 1) to broadcast
 * along the channels), Cast's type number, softmax before opset 13, softplus' PyTorch-only keys. Returns whether
 * it wrote (or refused) the layer. */
static bool export_math(ex_state *ex, const ex_layer *l)
{
    const char *t = l->type->name;
    int64_t shape[FV_MAX_DIMS];
    int rank = l->n_in ? fv_model_layer_shape(ex->m, l->in[0], shape) + fv_model_layer_batched(ex->m, l->in[0]) : 0;
    if (!strcmp(t, "softplus") && (l->a.beta != 1.0f || l->a.value != 20.0f)) {
        refuse(ex, l, "ONNX's Softplus has no beta or threshold (only beta=1 threshold=20 export)");
        return true;
    }
    if (!strcmp(t, "prelu") && l->n_in == 1) {
        const fv_param *p = l->params[0];
        int64_t dims[FV_MAX_DIMS] = {p->value.size};
        int nd = p->value.size == 1 ? 1 : rank - 1;
        for (int d = 1; d < nd; d++) dims[d] = 1;
        ex_tensor(ex, p->name, OX_T_FLOAT, nd, dims, p->value.data, (size_t)p->value.size * sizeof(float));
        ex_node(ex, "PRelu", l->name, l->name, 2, input_name(ex, l, 0), p->name);
        return true;
    }
    if (!strcmp(t, "cast")) {
        static const int onnx_types[] = {OX_T_FLOAT, OX_T_INT32, OX_T_INT64, OX_T_BOOL}; /* fv_dtype's order */
        attr_int(ex, ex_node(ex, "Cast", l->name, l->name, 1, input_name(ex, l, 0)), "to", onnx_types[l->a.dtype]);
        return true;
    }
    bool flat = !strcmp(t, "softmax_flat"), log = !strcmp(t, "log_softmax");
    if (!flat && !log) return false;
    int axis = l->a.axis < 0 ? l->a.axis + rank : l->a.axis;
    if (flat && ex->opset >= 13) refuse(ex, l, "from opset 13 ONNX's Softmax normalizes along one axis");
    else if (log && ex->opset < 13 && axis != rank - 1)
        refuse(ex, l, "before opset 13 ONNX's LogSoftmax normalizes over all dimensions from the axis on");
    else attr_int(ex, ex_node(ex, flat && !l->a.flag ? "Softmax" : "LogSoftmax", l->name, l->name, 1,
                              input_name(ex, l, 0)), "axis", l->a.axis);
    return true;
}

/* A generic layer as its table row says (fv_generic_type): data inputs at the ONNX inputs no key takes, each
 * key an attribute or, from its opset on, a constant input named "<layer>/<attr>". Lists left empty are left
 * out (ONNX's default). */
/* The first topk_indices layer reading layer `topk`, or -1. */
static int topk_indices_of(ex_state *ex, int topk)
{
    for (int i = 0; i < fv_model_layer_count(ex->m); i++)
        if (strcmp(fv_model_layer_type(ex->m, i), "topk_indices") == 0 && fv_model_layer_input_count(ex->m, i) == 1 &&
            fv_model_layer_input(ex->m, i, 0) == topk)
            return i;
    return -1;
}

/* TopK's indices are its node's second output (export_generic names it after the first topk_indices layer
 * reading the topk layer); any other such layer copies them. */
static void export_topk_indices(ex_state *ex, const ex_layer *l)
{
    if (strcmp(fv_model_layer_type(ex->m, l->in[0]), "topk") != 0) {
        refuse(ex, l, "it reads no topk layer");
        return;
    }
    int first = topk_indices_of(ex, l->in[0]);
    if (first != l->index) ex_node(ex, "Identity", l->name, l->name, 1, fv_model_layer_name(ex->m, first));
}

/* ---- the layout family ------------------------------------------------------------------------------------- */

/* expand with a like input: its shape vector is built from Shape(like) (Gather of the -1 entries) and constants,
 * as PyTorch exports x.expand(n, -1, -1); the importer folds it back to the batch size. */
static void export_expand_like(ex_state *ex, const ex_layer *l)
{
    const fv_int_list *sh = &l->a.dims;
    const char *shape = ex_str(ex, "%s/like_shape", l->name);
    ex_node(ex, "Shape", shape, shape, 1, input_name(ex, l, 1));
    const char *pieces[FV_LAYER_MAX_LIST];
    for (int i = 0; i < sh->n; i++) {
        const char *piece = ex_str(ex, "%s/dim%d", l->name, i);
        if (sh->v[i] == -1) {
            int64_t at = i;
            ex_node(ex, "Gather", piece, piece, 2, shape, init_ints(ex, ex_str(ex, "%s/at%d", l->name, i), 1, &at));
        } else init_ints(ex, piece, 1, &sh->v[i]);
        pieces[i] = piece;
    }
    const char *full = ex_str(ex, "%s/shape", l->name);
    attr_int(ex, ex_node_list(ex, "Concat", full, full, sh->n, pieces), "axis", 0);
    ex_node(ex, "Expand", l->name, l->name, 2, input_name(ex, l, 0), full);
}

/* split: a Split node with every part as an output, this layer's the one at its index (the others unused). */
static void export_split(ex_state *ex, const ex_layer *l)
{
    int64_t sizes[FV_LAYER_MAX_LIST], dims[FV_MAX_DIMS];
    int n = l->a.dims.n ? l->a.dims.n : l->a.size;
    if (l->a.dims.n) memcpy(sizes, l->a.dims.v, (size_t)n * sizeof *sizes);
    else { /* equal parts as ONNX's num_outputs (opset 18) gives them, written as sizes for every opset */
        int batched = fv_model_layer_batched(ex->m, l->in[0]), rank = fv_model_layer_shape(ex->m, l->in[0], dims) + batched;
        int a = l->a.axis < 0 ? l->a.axis + rank : l->a.axis;
        if (a < batched || a >= rank || n < 1) {
            refuse(ex, l, "equal parts along the batch dimension (give sizes)");
            return;
        }
        int64_t d = dims[a - batched], part = (d + n - 1) / n;
        for (int k = 0; k < n; k++) sizes[k] = k < n - 1 ? part : d - part * (n - 1);
    }
    const char *sz = init_ints(ex, ex_str(ex, "%s/split", l->name), n, sizes);
    Onnx__NodeProto *nd = ex->opset >= 13 ? ex_node(ex, "Split", l->name, l->name, 2, input_name(ex, l, 0), sz)
                                          : ex_node(ex, "Split", l->name, l->name, 1, input_name(ex, l, 0));
    char **outs = nd ? ex_alloc(ex, (size_t)n * sizeof *outs) : NULL;
    if (!outs) return;
    for (int k = 0; k < n; k++)
        outs[k] = k == l->a.starts.v[0] ? (char *)l->name : ex_str(ex, "%s/part%d", l->name, k);
    nd->n_output = (size_t)n, nd->output = outs;
    attr_int(ex, nd, "axis", l->a.axis);
    if (ex->opset < 13) attr_ints64(ex, nd, "split", n, sizes);
}

/* The layout layers export_generic cannot write from their rows; false for the others. */
static bool export_layout(ex_state *ex, const ex_layer *l)
{
    const char *t = l->type->name;
    if (strcmp(t, "expand") == 0 && l->n_in == 2) export_expand_like(ex, l);
    else if (strcmp(t, "split") == 0) export_split(ex, l);
    else if (strcmp(t, "pixel_shuffle") == 0 && ex->opset >= 11) {
        Onnx__NodeProto *nd = ex_node(ex, "DepthToSpace", l->name, l->name, 1, input_name(ex, l, 0));
        attr_int(ex, nd, "blocksize", l->a.size);
        attr_string(ex, nd, "mode", "CRD");
    } else return false;
    return true;
}

/* ---- the loss family ------------------------------------------------------------------------------------- */

/* nll_loss and softmax_cross_entropy: ignore_index is written only when the layer has one (ONNX's absent
 * attribute ignores nothing); false for the other layers. */
static bool export_loss(ex_state *ex, const ex_layer *l)
{
    const char *t = l->type->name, *ins[3];
    bool sce = strcmp(t, "softmax_cross_entropy") == 0;
    if (!sce && strcmp(t, "nll_loss") != 0) return false;
    if (ex->opset < 12) {
        refuse(ex, l, sce ? "ONNX's SoftmaxCrossEntropyLoss needs opset 12 or later"
                          : "ONNX's NegativeLogLikelihoodLoss needs opset 12 or later");
        return true;
    }
    for (int i = 0; i < l->n_in && i < 3; i++) ins[i] = input_name(ex, l, i);
    Onnx__NodeProto *nd = ex_node_list(ex, sce ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss", l->name,
                                       l->name, l->n_in < 3 ? l->n_in : 3, ins);
    if (!nd) return true;
    static const char *const reductions[] = {"mean", "sum", "none"};
    attr_string(ex, nd, "reduction", reductions[l->a.choice[0] >= 0 && l->a.choice[0] < 3 ? l->a.choice[0] : 0]);
    if (l->a.axes.n) attr_int(ex, nd, "ignore_index", l->a.axes.v[0]);
    return true;
}

static void export_generic(ex_state *ex, const ex_layer *l)
{
    const fv_generic_type *t = fv_generic(l->type);
    if (strcmp(t->base.name, "topk_indices") == 0) {
        export_topk_indices(ex, l);
        return;
    }
    if (export_math(ex, l) || export_layout(ex, l) || export_loss(ex, l)) return;
    if (!t->onnx_op) {
        refuse(ex, l, "this layer has no ONNX form");
        return;
    }
    if (ex->opset < t->onnx_since) {
        char why[96];
        snprintf(why, sizeof why, "ONNX's %s needs opset %d or later", t->onnx_op, t->onnx_since);
        refuse(ex, l, why);
        return;
    }
    const char *names[FV_LAYER_MAX_INPUTS + FV_GENERIC_ONNX_KEYS] = {0};
    bool taken[FV_LAYER_MAX_INPUTS + FV_GENERIC_ONNX_KEYS] = {false};
    int n = 0;
    for (int k = 0; k < FV_GENERIC_ONNX_KEYS && t->onnx[k].key; k++)
        if (t->onnx[k].input >= 0 && ex->opset >= t->onnx[k].since) taken[t->onnx[k].input] = true;
    for (int i = 0; i < l->n_in; i++, n++) {
        while (taken[n]) n++;
        names[n] = input_name(ex, l, i);
    }
    Onnx__NodeProto *nd = NULL;
    const char *vals[FV_LAYER_MAX_INPUTS + FV_GENERIC_ONNX_KEYS];
    for (int k = 0; k < FV_GENERIC_ONNX_KEYS && t->onnx[k].key; k++) { /* key inputs first: the node lists them */
        const fv_onnx_key *ok = &t->onnx[k];
        const fv_layer_key *key = fv_layer_find_key(l->type, ok->key);
        const char *attr = ok->attr ? ok->attr : ok->key;
        if (!key || ok->input < 0 || ex->opset < ok->since) continue;
        const void *f = fv_attrs_field(&l->a, key);
        const char *init = ex_str(ex, "%s/%s", l->name, attr);
        if (key->kind == FV_K_INTS && ((const fv_int_list *)f)->n)
            names[ok->input] = init_ints(ex, init, ((const fv_int_list *)f)->n, ((const fv_int_list *)f)->v);
        else if (key->kind == FV_K_FLOATS && ((const fv_float_list *)f)->n)
            names[ok->input] = init_floats(ex, init, 1, ((const fv_float_list *)f)->n, ((const fv_float_list *)f)->v);
        else if (key->kind == FV_K_FLOAT)
            names[ok->input] = init_floats(ex, init, 0, 1, (const float *)f);
        else if (key->kind == FV_K_INT || key->kind == FV_K_AXIS) {
            int64_t v = *(const int *)f;
            names[ok->input] = init_ints(ex, init, 1, &v);
        }
        if (names[ok->input] && ok->input + 1 > n) n = ok->input + 1;
    }
    for (int i = 0; i < n; i++) vals[i] = names[i] ? names[i] : "";
    nd = ex_node_list(ex, t->onnx_op, l->name, l->name, n, vals);
    for (int k = 0; nd && k < FV_GENERIC_ONNX_KEYS && t->onnx[k].key; k++) {
        const fv_onnx_key *ok = &t->onnx[k];
        const fv_layer_key *key = fv_layer_find_key(l->type, ok->key);
        const char *attr = ok->attr ? ok->attr : ok->key;
        if (!key || (ok->input >= 0 && ex->opset >= ok->since)) continue;
        const void *f = fv_attrs_field(&l->a, key);
        switch (key->kind) {
        case FV_K_INT:
        case FV_K_AXIS: attr_int(ex, nd, attr, *(const int *)f); break;
        case FV_K_BOOL: attr_int(ex, nd, attr, *(const bool *)f); break;
        case FV_K_FLOAT: attr_float(ex, nd, attr, *(const float *)f); break;
        case FV_K_CHOICE: attr_string(ex, nd, attr, key->choices[*(const int *)f]); break;
        case FV_K_TEXT: attr_string(ex, nd, attr, (const char *)f); break;
        case FV_K_INTS: {
            const fv_int_list *list = f;
            if (list->n) attr_ints64(ex, nd, attr, list->n, list->v);
            break;
        }
        case FV_K_FLOATS: {
            const fv_float_list *list = f;
            if (list->n) attr_floats(ex, nd, attr, list->n, list->v);
            break;
        }
        default: break;
        }
    }
    int second = strcmp(t->base.name, "topk") == 0 ? topk_indices_of(ex, l->index) : -1;
    char **outs = second >= 0 && nd ? ex_alloc(ex, 2 * sizeof *outs) : NULL;
    if (outs) {
        outs[0] = nd->output[0], outs[1] = (char *)fv_model_layer_name(ex->m, second);
        nd->n_output = 2, nd->output = outs;
    }
    for (int j = 0; j < l->n_params; j++) init_param(ex, l->params[j]);
}

/* ---- the norm family ---------------------------------------------------------------------------------------- */

/* The layer's weight and bias, or (not affine) initializers of ones and zeros of `shape` ("<layer>/scale", "/bias"). */
static void norm_affine(ex_state *ex, const ex_layer *l, int ndim, const int64_t *shape, const char **w, const char **b)
{
    if (l->n_params == 2) {
        *w = init_param(ex, l->params[0]), *b = init_param(ex, l->params[1]);
        return;
    }
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    float *ones = ex_alloc(ex, (size_t)(n ? n : 1) * sizeof *ones), *zeros = ex_alloc(ex, (size_t)(n ? n : 1) * sizeof *zeros);
    if (!ones || !zeros) return;
    for (int64_t i = 0; i < n; i++) ones[i] = 1.0f;
    *w = ex_str(ex, "%s/scale", l->name), *b = ex_str(ex, "%s/bias", l->name);
    ex_tensor(ex, *w, OX_T_FLOAT, ndim, shape, ones, (size_t)n * sizeof *ones);
    ex_tensor(ex, *b, OX_T_FLOAT, ndim, shape, zeros, (size_t)n * sizeof *zeros);
}

static void export_layer_norm(ex_state *ex, const ex_layer *l)
{
    if (ex->opset < 17) {
        char why[120];
        snprintf(why, sizeof why, "ONNX's LayerNormalization needs opset 17 or later (asked for %d)", ex->opset);
        refuse(ex, l, why);
        return;
    }
    int64_t shape[FV_MAX_DIMS + 1];
    int batched = fv_model_layer_batched(ex->m, l->in[0]);
    int rank = fv_model_layer_shape(ex->m, l->in[0], shape + batched) + batched;
    int axis = l->a.axis < 0 ? l->a.axis + rank : l->a.axis;
    const char *w = NULL, *b = NULL;
    norm_affine(ex, l, rank - axis, shape + axis, &w, &b);
    Onnx__NodeProto *nd = ex_node(ex, "LayerNormalization", l->name, l->name, 3, input_name(ex, l, 0), w, b);
    attr_int(ex, nd, "axis", l->a.axis);
    attr_float(ex, nd, "epsilon", l->a.eps);
}

static void export_instance_norm(ex_state *ex, const ex_layer *l)
{
    int64_t shape[FV_MAX_DIMS + 1];
    int batched = fv_model_layer_batched(ex->m, l->in[0]);
    fv_model_layer_shape(ex->m, l->in[0], shape + batched);
    const char *w = NULL, *b = NULL;
    norm_affine(ex, l, 1, shape + 1, &w, &b);
    attr_float(ex, ex_node(ex, "InstanceNormalization", l->name, l->name, 3, input_name(ex, l, 0), w, b), "epsilon",
               l->a.eps);
}

/* Opset 18's GroupNormalization has one scale and bias per group: written when each group's channels share them. */
static void export_group_norm(ex_state *ex, const ex_layer *l)
{
    if (ex->opset < 18) {
        char why[140];
        snprintf(why, sizeof why, "ONNX's GroupNormalization needs opset 18 or later (asked for %d)", ex->opset);
        refuse(ex, l, why);
        return;
    }
    int64_t shape[FV_MAX_DIMS + 1];
    int batched = fv_model_layer_batched(ex->m, l->in[0]);
    fv_model_layer_shape(ex->m, l->in[0], shape + batched);
    int64_t c = shape[1], g = l->a.groups, per = c / g;
    float *v[2];
    const char *names[2];
    for (int k = 0; k < 2; k++) {
        v[k] = ex_alloc(ex, (size_t)g * sizeof *v[k]);
        if (!v[k]) return;
        const float *p = l->n_params == 2 ? fv_f32(&l->params[k]->value) : NULL;
        for (int64_t i = 0; i < c; i++) {
            float x = p ? p[i] : (float)(1 - k);
            if (i % per && x != v[k][i / per]) {
                refuse(ex, l, "channels of one group have different weights or biases, and ONNX's GroupNormalization "
                       "(opset 18) has one per group");
                return;
            }
            v[k][i / per] = x;
        }
        names[k] = ex_str(ex, "%s/%s", l->name, k ? "bias" : "scale");
        ex_tensor(ex, names[k], OX_T_FLOAT, 1, &g, v[k], (size_t)g * sizeof *v[k]);
    }
    Onnx__NodeProto *nd = ex_node(ex, "GroupNormalization", l->name, l->name, 3, input_name(ex, l, 0), names[0], names[1]);
    attr_int(ex, nd, "num_groups", g);
    attr_float(ex, nd, "epsilon", l->a.eps);
}

/* Resize with scales (ones for the leading axes) or sizes; sizes of a batched input take its batch size from the
 * tensor (Shape, Slice, Concat), as the batch is not fixed. */
static void export_resize(ex_state *ex, const ex_layer *l)
{
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn"};
    static const char *const roundings[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    const fv_layer_attrs *a = &l->a;
    int64_t shape[FV_MAX_DIMS + 1];
    int batched = fv_model_layer_batched(ex->m, l->in[0]);
    int rank = fv_model_layer_shape(ex->m, l->in[0], shape + batched) + batched;
    int n = a->ndim ? a->ndim : a->scales.n, lead = rank - n;
    const char *x = input_name(ex, l, 0), *empty = ex->opset < 13 ? NULL : "";
    const char *roi = empty ? empty : init_floats(ex, ex_str(ex, "%s/roi", l->name), 1, 0, NULL);
    Onnx__NodeProto *nd;
    if (!a->ndim) {
        float sc[FV_MAX_DIMS];
        for (int d = 0; d < rank; d++) sc[d] = d < lead ? 1.0f : a->scales.v[d - lead];
        const char *sn = init_floats(ex, ex_str(ex, "%s/scales", l->name), 1, rank, sc);
        nd = ex_node(ex, "Resize", l->name, l->name, 3, x, roi, sn);
    } else {
        int64_t sz[FV_MAX_DIMS];
        for (int d = 0; d < rank; d++) sz[d] = d < lead ? shape[d] : a->shape[d - lead];
        const char *sizes;
        if (!batched) {
            sizes = init_ints(ex, ex_str(ex, "%s/sizes", l->name), rank, sz);
        } else { /* the leading dimensions of x's shape, then the fixed sizes */
            int64_t zero = 0, end = lead;
            const char *sh = ex_str(ex, "%s/shape", l->name), *lead_n = ex_str(ex, "%s/leading", l->name);
            ex_node(ex, "Shape", sh, sh, 1, x);
            ex_node(ex, "Slice", lead_n, lead_n, 3, sh, init_ints(ex, ex_str(ex, "%s/start", l->name), 1, &zero),
                    init_ints(ex, ex_str(ex, "%s/end", l->name), 1, &end));
            const char *fixed = init_ints(ex, ex_str(ex, "%s/fixed_sizes", l->name), n, sz + lead);
            sizes = ex_str(ex, "%s/sizes", l->name);
            attr_int(ex, ex_node(ex, "Concat", sizes, sizes, 2, lead_n, fixed), "axis", 0);
        }
        const char *sn = empty ? empty : init_floats(ex, ex_str(ex, "%s/scales", l->name), 1, 0, NULL);
        nd = ex_node(ex, "Resize", l->name, l->name, 4, x, roi, sn, sizes);
    }
    attr_string(ex, nd, "mode", modes[a->choice[0]]);
    attr_string(ex, nd, "coordinate_transformation_mode", coords[a->choice[1]]);
    attr_string(ex, nd, "nearest_mode", roundings[a->choice[2]]);
    attr_float(ex, nd, "cubic_coeff_a", a->alpha);
    attr_int(ex, nd, "exclude_outside", a->flag);
}

/* The norm family's layers (false: not one of them). */
static bool export_norm(ex_state *ex, const ex_layer *l)
{
    const char *t = l->type->name;
    if (!strcmp(t, "layer_norm")) export_layer_norm(ex, l);
    else if (!strcmp(t, "instance_norm")) export_instance_norm(ex, l);
    else if (!strcmp(t, "group_norm")) export_group_norm(ex, l);
    else if (!strcmp(t, "resize")) export_resize(ex, l);
    else return false;
    return true;
}

/* Layer i's view, or false with the error. */
static bool layer_view(ex_state *ex, int i, ex_layer *l)
{
    fv_layer_spec s;
    if (fv_model_layer_spec(ex->m, i, &s) != FV_OK) return false;
    l->index = i;
    l->name = s.name;
    l->type = fv_layer_type_find(s.type);
    l->a = s.a;
    l->n_in = s.n_in;
    memcpy(l->in, s.in, (size_t)s.n_in * sizeof *s.in);
    l->n_params = fv_model_layer_params(ex->m, i, l->params, EX_MAX_PARAMS);
    return l->type != NULL;
}

static void export_layer(ex_state *ex, int i)
{
    ex_layer view;
    if (!layer_view(ex, i, &view)) {
        ex->failed = true;
        return;
    }
    const ex_layer *l = &view;
    const fv_layer_attrs *a = &l->a;
    const char *x = l->n_in ? input_name(ex, l, 0) : NULL;
    Onnx__NodeProto *nd;
    switch (l->type->kind) {
    case FV_L_INPUT: break;
    case FV_L_CONV2D:
    case FV_L_CONV_TRANSPOSE2D: export_conv(ex, l); break;
    case FV_L_DENSE: export_dense(ex, l); break;
    case FV_L_BATCH_NORM: export_batch_norm(ex, l); break;
    case FV_L_DROPOUT:
        if (ex->opset >= 12) {
            const char *r = init_floats(ex, ex_str(ex, "%s/ratio", l->name), 0, 1, &a->rate);
            ex_node(ex, "Dropout", l->name, l->name, 2, x, r);
        } else {
            attr_float(ex, ex_node(ex, "Dropout", l->name, l->name, 1, x), "ratio", a->rate);
        }
        break;
    case FV_L_ACTIVATION: export_activation(ex, l); break;
    case FV_L_SOFTMAX: {
        int64_t shape[FV_MAX_DIMS];
        int rank = fv_model_layer_shape(ex->m, i, shape) + 1, axis = a->axis < 0 ? a->axis + rank : a->axis;
        if (ex->opset < 13 && axis != rank - 1) {
            refuse(ex, l, "before opset 13 ONNX's Softmax normalizes over all dimensions from the axis on");
            break;
        }
        attr_int(ex, ex_node(ex, "Softmax", l->name, l->name, 1, x), "axis", a->axis);
        break;
    }
    case FV_L_MAX_POOL:
    case FV_L_AVG_POOL: export_pool(ex, l); break;
    case FV_L_GLOBAL_AVG_POOL: ex_node(ex, "GlobalAveragePool", l->name, l->name, 1, x); break;
    case FV_L_GLOBAL_MAX_POOL: ex_node(ex, "GlobalMaxPool", l->name, l->name, 1, x); break;
    case FV_L_FLATTEN: attr_int(ex, ex_node(ex, "Flatten", l->name, l->name, 1, x), "axis", 1); break;
    case FV_L_ADD: ex_node(ex, "Add", l->name, l->name, 2, x, input_name(ex, l, 1)); break;
    case FV_L_MUL: ex_node(ex, "Mul", l->name, l->name, 2, x, input_name(ex, l, 1)); break;
    case FV_L_CONCAT: {
        nd = ex_node(ex, "Concat", l->name, l->name, 1, x);
        char **in = ex_alloc(ex, (size_t)l->n_in * sizeof *in);
        if (!nd || !in) break;
        for (int k = 0; k < l->n_in; k++) in[k] = (char *)input_name(ex, l, k);
        nd->input = in, nd->n_input = (size_t)l->n_in;
        attr_int(ex, nd, "axis", a->axis);
        break;
    }
    case FV_L_PAD: export_pad(ex, l); break;
    case FV_L_UPSAMPLE: export_upsample(ex, l); break;
    case FV_L_LRN:
        if (a->size % 2 == 0) {
            refuse(ex, l, "an even size: ONNX's LRN window is centred differently from fovea's (PyTorch's)");
            break;
        }
        nd = ex_node(ex, "LRN", l->name, l->name, 1, x);
        attr_int(ex, nd, "size", a->size);
        attr_float(ex, nd, "alpha", a->alpha), attr_float(ex, nd, "beta", a->beta), attr_float(ex, nd, "bias", a->k);
        break;
    case FV_L_ADAPTIVE_AVG_POOL: export_adaptive(ex, l); break;
    case FV_L_CONSTANT: init_param(ex, l->params[0]), ex_node(ex, "Identity", l->name, l->name, 1, l->params[0]->name);
        break;
    case FV_L_GENERIC:
        if (!export_norm(ex, l)) export_generic(ex, l);
        break;
    default: refuse(ex, l, "a layer type ONNX export does not know"); break;
    }
}

/* ---- the model -------------------------------------------------------------------------------------------- */

/* "batch x shape" of float, for the graph's input and output. */
static Onnx__ValueInfoProto *value_info(ex_state *ex, const char *name, int layer)
{
    int64_t shape[FV_MAX_DIMS];
    int nd = fv_model_layer_shape(ex->m, layer, shape);
    bool batched = fv_model_layer_batched(ex->m, layer);
    Onnx__ValueInfoProto *vi = ex_alloc(ex, sizeof *vi);
    Onnx__TypeProto *tp = ex_alloc(ex, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ex_alloc(ex, sizeof *tt);
    Onnx__TensorShapeProto *sp = ex_alloc(ex, sizeof *sp);
    Onnx__TensorShapeProto__Dimension **dims = ex_alloc(ex, (size_t)(nd + batched + 1) * sizeof *dims);
    if (!vi || !tp || !tt || !sp || !dims) return NULL;
    onnx__value_info_proto__init(vi), onnx__type_proto__init(tp), onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    for (int d = 0; d < nd + batched; d++) {
        Onnx__TensorShapeProto__Dimension *dim = ex_alloc(ex, sizeof *dim);
        if (!dim) return NULL;
        onnx__tensor_shape_proto__dimension__init(dim);
        if (batched && d == 0)
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM, dim->dim_param = "batch";
        else dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE, dim->dim_value = shape[d - batched];
        dims[d] = dim;
    }
    sp->n_dim = (size_t)(nd + batched), sp->dim = dims;
    tt->has_elem_type = 1, tt->elem_type = onnx_type(fv_model_layer_dtype(ex->m, layer)), tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, tp->tensor_type = tt;
    vi->name = (char *)name, vi->type = tp;
    return vi;
}

static Onnx__StringStringEntryProto *meta_entry(ex_state *ex, const char *key, char *value)
{
    Onnx__StringStringEntryProto *e = ex_alloc(ex, sizeof *e);
    if (!e) return NULL;
    onnx__string_string_entry_proto__init(e);
    e->key = (char *)key, e->value = value;
    return e;
}

/* A joined list of floats or class names, allocated in the arena. */
static char *joined(ex_state *ex, int n, const float *v, const fv_model *m)
{
    size_t len = 1;
    for (int i = 0; i < n; i++) len += v ? 20 : strlen(fv_model_class_name(m, i)) + 1;
    char *s = ex_alloc(ex, len);
    if (!s) return NULL;
    size_t at = 0;
    for (int i = 0; i < n; i++)
        at += (size_t)(v ? snprintf(s + at, len - at, "%s%.9g", i ? "," : "", v[i])
                         : snprintf(s + at, len - at, "%s%s", i ? "\n" : "", fv_model_class_name(m, i)));
    return s;
}

static void metadata(ex_state *ex, Onnx__ModelProto *mp)
{
    /* the preprocessing's keys as model files write them, each behind "fovea." */
    fv_modelfile *pre = fv_modelfile_new(ex->ctx);
    if (!pre || fv_preprocess_to_meta(pre, ex->m) != FV_OK) {
        fv_modelfile_free(pre);
        ex->failed = true;
        return;
    }
    int n_pre = fv_modelfile_meta_count(pre);
    Onnx__StringStringEntryProto **list = ex_alloc(ex, (size_t)(1 + n_pre) * sizeof *list);
    size_t n = 0;
    int nc = 0;
    while (list && fv_model_class_name(ex->m, nc)) nc++;
    if (nc) list[n++] = meta_entry(ex, "fovea.class_names", joined(ex, nc, NULL, ex->m));
    for (int i = 0; list && i < n_pre; i++) {
        const char *value, *key = fv_modelfile_meta_at(pre, i, &value);
        size_t len = strlen(key) + 7;
        char *k = ex_alloc(ex, len), *v = ex_alloc(ex, strlen(value) + 1);
        if (!k || !v) break;
        snprintf(k, len, "fovea.%s", key);
        memcpy(v, value, strlen(value) + 1);
        list[n++] = meta_entry(ex, k, v);
    }
    fv_modelfile_free(pre);
    if (!list) return;
    mp->n_metadata_props = n, mp->metadata_props = list;
}

/* The IR version that goes with an opset (ONNX's release table). */
static int64_t ir_version(int opset) { return opset <= 11 ? 6 : opset <= 14 ? 7 : 8; }

static fv_status build(ex_state *ex, Onnx__ModelProto *mp, Onnx__GraphProto *g)
{
    const fv_model *m = ex->m;
    int n = fv_model_layer_count(m);
    if (n < 2) return fv_error(ex->ctx, FV_ERR_ARG, "ONNX export of '%s': the model has no layers", fv_model_name(m));
    for (int i = 0; i < n && !ex->failed; i++) export_layer(ex, i);
    int n_in = fv_model_input_count(m), n_out = fv_model_output_count(m);
    Onnx__ValueInfoProto **in = ex_alloc(ex, (size_t)n_in * sizeof *in), **out = ex_alloc(ex, (size_t)n_out * sizeof *out);
    Onnx__OperatorSetIdProto *os = ex_alloc(ex, sizeof *os), **oss = ex_alloc(ex, sizeof *oss);
    if (ex->failed || !in || !out || !os || !oss) return fv_errcode(ex->ctx) ? fv_errcode(ex->ctx) : FV_ERR_NOMEM;
    bool described = true;
    for (int k = 0; k < n_in; k++) {
        int l = fv_model_input_layer(m, k);
        described &= (in[k] = value_info(ex, fv_model_layer_name(m, l), l)) != NULL;
    }
    for (int k = 0; k < n_out; k++) {
        int l = fv_model_output_layer(m, k);
        described &= (out[k] = value_info(ex, fv_model_layer_name(m, l), l)) != NULL;
    }
    onnx__graph_proto__init(g);
    g->name = (char *)fv_model_name(m);
    g->n_node = ex->n_nodes, g->node = ex->nodes;
    g->n_initializer = ex->n_inits, g->initializer = ex->inits;
    g->n_input = (size_t)n_in, g->input = in;
    g->n_output = (size_t)n_out, g->output = out;
    onnx__operator_set_id_proto__init(os);
    os->domain = "", os->has_version = 1, os->version = ex->opset;
    oss[0] = os;
    onnx__model_proto__init(mp);
    mp->has_ir_version = 1, mp->ir_version = ir_version(ex->opset);
    mp->n_opset_import = 1, mp->opset_import = oss;
    mp->producer_name = "fovea";
    mp->graph = g;
    metadata(ex, mp);
    return ex->failed || !described ? (fv_errcode(ex->ctx) ? fv_errcode(ex->ctx) : FV_ERR_NOMEM) : FV_OK;
}

static void ex_free(ex_state *ex)
{
    for (size_t i = 0; i < ex->n_blocks; i++) free(ex->blocks[i]);
    free(ex->blocks), free(ex->nodes), free(ex->inits);
}

fv_status fv_onnx_save_mem(const fv_model *m, int opset, void **data, size_t *size)
{
    if (!m || !data || !size) return FV_ERR_ARG;
    *data = NULL, *size = 0;
    fv_ctx *ctx = fv_model_ctx(m);
    if (opset == 0) opset = FV_ONNX_DEFAULT_OPSET;
    if (opset < FV_ONNX_MIN_OPSET || opset > FV_ONNX_MAX_OPSET)
        return fv_error(ctx, FV_ERR_ARG, "ONNX export: opset %d (fovea writes opsets %d to %d)", opset,
                        FV_ONNX_MIN_OPSET, FV_ONNX_MAX_OPSET);
    ex_state ex = {.ctx = ctx, .m = m, .opset = opset};
    for (int i = 0; i < fv_model_layer_count(m) && !ex.shares; i++) ex.shares = fv_model_layer_share(m, i) >= 0;
    Onnx__ModelProto mp;
    Onnx__GraphProto g;
    fv_status s = build(&ex, &mp, &g);
    if (!s) {
        size_t n = onnx__model_proto__get_packed_size(&mp);
        if (n > OX_MAX_FILE) s = fv_error(ctx, FV_ERR_UNSUPPORTED, "ONNX export of '%s': %zu bytes, over protobuf's 2 GiB",
                                          fv_model_name(m), n);
        else if (!(*data = malloc(n ? n : 1))) s = fv_error(ctx, FV_ERR_NOMEM, "ONNX export: out of memory for %zu bytes", n);
        else *size = onnx__model_proto__pack(&mp, *data);
    }
    ex_free(&ex);
    return s;
}

fv_status fv_onnx_save(const fv_model *m, const char *path, int opset)
{
    if (!m) return FV_ERR_ARG;
    fv_ctx *ctx = fv_model_ctx(m);
    if (!path || !*path) return fv_error(ctx, FV_ERR_ARG, "ONNX export: no path");
    void *data;
    size_t size;
    fv_status s = fv_onnx_save_mem(m, opset, &data, &size);
    if (s) return s;
    int err = fv_atomic_write_bytes(path, data, size);
    free(data);
    if (err) return fv_error(ctx, FV_ERR_IO, "cannot write ONNX model %s: %s (the old file, if any, is unchanged)", path,
                             fv_write_strerror(err));
    return FV_OK;
}
