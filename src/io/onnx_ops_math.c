/* ONNX operators of the math family that need more than the generic translation (onnx_generic.c): their
 * handlers. Operators that map one to one onto a layer type are listed in src/nn/layers_math.c instead. */
#include <math.h>
#include <string.h>

#include "onnx_internal.h"

fv_status ox_math_generic(ox_import *im)
{
    const fv_generic_type *t = ox_generic_type(im->node->op_type, im->opset);
    if (!t) return ox_fail(im, FV_ERR_UNSUPPORTED, "not supported at opset %lld", (long long)im->opset);
    return ox_import_generic(im, t);
}

/* Elementwise operators of several inputs (Sub, Div, Min, Max, comparisons, logic, Where) as their layer type.
 * Integer constants are read as int64; beside an int32 input they are cast to int32 (their values came from an
 * int32 tensor). The legacy broadcast=1 of opsets before 7 without an axis is NumPy's suffix broadcasting. */
/* A cast of layer x to dtype (a `cast` layer's key to= holds an fv_dtype); its index or -1. */
static int cast_layer(ox_import *im, int x, fv_dtype dtype)
{
    fv_layer_spec spec = fv_spec_of_type("cast", NULL);
    spec.a.dtype = (int)dtype;
    return ox_add_spec(im, spec, NULL, &x, 1);
}

/* The current node's inputs read by spec (its type and keys set): an elementwise layer. */
static fv_status elementwise_spec(ox_import *im, fv_layer_spec spec)
{
    const char *type = spec.type;
    const Onnx__NodeProto *nd = im->node;
    int in[FV_LAYER_MAX_INPUTS], n = 0;
    bool int_const[FV_LAYER_MAX_INPUTS] = {false}, has_i32 = false;
    if (nd->n_input > FV_LAYER_MAX_INPUTS)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "%zu inputs (fovea's %s takes %d)", nd->n_input, type,
                       FV_LAYER_MAX_INPUTS);
    for (size_t k = 0; k < nd->n_input; k++, n++) {
        ox_entry *e = ox_in(im, (int)k);
        int_const[n] = e && e->v.kind == OX_CONST && e->v.c.type == OX_I64 && !e->v.c.is_bool;
        fv_status s = ox_layer_in(im, (int)k, &in[n]);
        if (s) return s;
        has_i32 = has_i32 || (!int_const[n] && fv_model_layer_dtype(im->m, in[n]) == FV_I32);
    }
    for (int k = 0; k < n && has_i32; k++)
        if (int_const[k] && (in[k] = cast_layer(im, in[k], FV_I32)) < 0) return fv_errcode(im->ctx);
    return ox_add_out(im, spec, NULL, in, n);
}

fv_status ox_math_elementwise_as(ox_import *im, const char *type)
{
    return elementwise_spec(im, fv_spec_of_type(type, NULL));
}

fv_status ox_math_elementwise(ox_import *im)
{
    const fv_generic_type *t = ox_generic_type(im->node->op_type, im->opset);
    if (!t) return ox_fail(im, FV_ERR_UNSUPPORTED, "not supported at opset %lld", (long long)im->opset);
    return ox_math_elementwise_as(im, t->base.name);
}

/* Cast: "to" is an ONNX type number. */
fv_status ox_math_cast(ox_import *im)
{
    int64_t to;
    int x;
    fv_status s = ox_attr_int(im, "to", 0, &to);
    if (!s) s = ox_layer_in(im, 0, &x);
    if (s) return s;
    int dtype = to == OX_T_FLOAT ? FV_F32 : to == OX_T_INT32 ? FV_I32 : to == OX_T_INT64 ? FV_I64
              : to == OX_T_BOOL ? FV_BOOL : -1;
    if (dtype < 0)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "to=%lld: fovea casts to float, int32, int64 and bool", (long long)to);
    fv_layer_spec spec = fv_spec_of_type("cast", NULL);
    spec.a.dtype = dtype; /* the key to= */
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* Softmax and LogSoftmax: one axis from opset 13; before, x seen as 2-D around the axis, which is one axis only
 * when every dimension after it is 1. */
fv_status ox_math_softmax(ox_import *im, bool log)
{
    int x;
    int64_t axis, xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "axis", im->opset < 13 ? 1 : -1, &axis);
    if (s) return s;
    int r = ox_layer_dims(im, x, xd);
    int64_t a = axis < 0 ? axis + r : axis;
    if (a < 0 || a >= (r ? r : 1)) return ox_fail(im, FV_ERR_FORMAT, "axis %lld of a rank-%d input", (long long)axis, r);
    bool one_axis = im->opset >= 13;
    if (!one_axis) {
        one_axis = true;
        for (int d = (int)a + 1; d < r; d++) one_axis = one_axis && xd[d] == 1;
    }
    fv_layer_spec spec = fv_spec_of_type(!one_axis ? "softmax_flat" : log ? "log_softmax" : "softmax", NULL);
    spec.a.axis = ox_key_int(axis); /* as given: -1 stays the last axis */
    if (!one_axis) spec.a.flag = log; /* softmax_flat's key log= */
    return ox_add_out(im, spec, NULL, &x, 1);
}

static fv_status op_log_softmax(ox_import *im) { return ox_math_softmax(im, true); }

/* Min, Max, Sum and Mean of one input are that input. */
static fv_status op_min_max(ox_import *im)
{
    if (im->node->n_input == 1) {
        int x;
        fv_status s = ox_layer_in(im, 0, &x);
        if (!s) ox_set_layer_out(im, 0, x);
        return s;
    }
    return ox_math_elementwise(im);
}

/* Pow with an integer exponent (ONNX allows it from opset 12): the exponent cast to float. */
static fv_status op_pow(ox_import *im)
{
    int in[2];
    fv_status s = ox_layer_in(im, 0, &in[0]);
    if (!s) s = ox_layer_in(im, 1, &in[1]);
    if (s) return s;
    if (fv_model_layer_dtype(im->m, in[0]) == FV_F32 && fv_model_layer_dtype(im->m, in[1]) != FV_F32) {
        in[1] = cast_layer(im, in[1], FV_F32);
        if (in[1] < 0) return fv_errcode(im->ctx);
    }
    int l = ox_add_plain(im, "pow", NULL, in, 2);
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

/* Mod: fmod=0 takes the divisor's sign (Python's %), fmod=1 is C's fmod. */
static fv_status op_mod(ox_import *im)
{
    int64_t fmod;
    fv_status s = ox_attr_int(im, "fmod", 0, &fmod);
    if (s) return s;
    fv_layer_spec spec = fv_spec_of_type("mod", NULL);
    spec.a.flag = fmod != 0; /* the key fmod= */
    return elementwise_spec(im, spec);
}

/* IsInf with either sign or both (the defaults). */
static fv_status op_isinf(ox_import *im)
{
    int64_t pos, neg;
    int x;
    fv_status s = ox_attr_int(im, "detect_positive", 1, &pos);
    if (!s) s = ox_attr_int(im, "detect_negative", 1, &neg);
    if (!s) s = ox_layer_in(im, 0, &x);
    if (s) return s;
    fv_layer_spec spec = fv_spec_of_type("isinf", NULL);
    spec.a.flag = pos != 0, spec.a.flag2 = neg != 0; /* the keys detect_positive= and detect_negative= */
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* PRelu with a constant slope along the channels ((C), (C, 1, 1), (1, C, 1, 1) or one value, aligned on the
 * right as ONNX broadcasts) is PyTorch's nn.PReLU with a learned weight; any other slope is a second input. */
static fv_status op_prelu(ox_import *im)
{
    int in[2];
    int64_t xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &in[0]);
    if (s) return s;
    int r = ox_layer_dims(im, in[0], xd);
    ox_entry *e = ox_in(im, 1);
    if (e->v.kind == OX_CONST && e->v.c.type == OX_F32 && r >= 2 && e->v.c.ndim <= r) {
        const ox_tensor *c = &e->v.c;
        bool channels = true;
        int64_t per = 1;
        for (int d = 0; d < c->ndim; d++) {
            int at = r - c->ndim + d; /* the axis of x this dimension lines up with */
            if (at == 1) per = c->dims[d];
            else channels = channels && c->dims[d] == 1;
        }
        if (im->opset < 7 && c->ndim == 1) per = c->dims[0], channels = true; /* PRelu-6: slope along the channels */
        if (channels && (per == 1 || per == xd[1])) {
            fv_layer_spec spec = fv_spec_of_type("prelu", NULL);
            spec.a.size = ox_key_int(per); /* the key channels= */
            int l = ox_add_spec(im, spec, e->name, in, 1); /* named after "<layer>.weight" */
            if (l < 0) return fv_errcode(im->ctx);
            if ((s = ox_set_param(im, l, 0, c, e->name, false, 1.0f))) return s;
            ox_set_layer_out(im, 0, l);
            return FV_OK;
        }
    }
    if ((s = ox_layer_in(im, 1, &in[1]))) return s;
    return ox_add_out(im, fv_spec_of_type("prelu", NULL), NULL, in, 2);
}

const ox_op ox_ops_math[] = {
    {"LogSoftmax", op_log_softmax, NULL, 1, 1, 1, "axis"},
    {"Min", op_min_max, NULL, 1, FV_LAYER_MAX_INPUTS, 1, ""},
    {"Max", op_min_max, NULL, 1, FV_LAYER_MAX_INPUTS, 1, ""},
    {"Equal", ox_math_elementwise, ox_fold_compare, 2, 2, 1, ""},
    {"Less", ox_math_elementwise, ox_fold_compare, 2, 2, 1, ""},
    {"LessOrEqual", ox_math_elementwise, NULL, 2, 2, 1, ""},
    {"Greater", ox_math_elementwise, ox_fold_compare, 2, 2, 1, ""},
    {"Mod", op_mod, ox_fold_binary, 2, 2, 1, "fmod"}, /* folded on constants (Swin's window padding) */
    {"Sum", op_min_max, NULL, 1, FV_LAYER_MAX_INPUTS, 1, ""},
    {"Mean", op_min_max, NULL, 1, FV_LAYER_MAX_INPUTS, 1, ""},
    {"GreaterOrEqual", ox_math_elementwise, NULL, 2, 2, 1, ""},
    {"And", ox_math_elementwise, NULL, 2, 2, 1, ""},
    {"Or", ox_math_elementwise, NULL, 2, 2, 1, ""},
    {"Xor", ox_math_elementwise, NULL, 2, 2, 1, ""},
    {"Where", ox_math_elementwise, ox_fold_where, 3, 3, 1, ""},
    {"Pow", op_pow, NULL, 2, 2, 1, ""},
    {"IsInf", op_isinf, NULL, 1, 1, 1, "detect_positive,detect_negative"},
    {"PRelu", op_prelu, NULL, 2, 2, 1, ""},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
