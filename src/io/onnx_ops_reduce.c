/* ONNX operators of the reduce family that need more than the generic translation (onnx_generic.c): their
 * handlers. The layer types and their export form are in src/nn/layers_reduce.c; CumSum is imported by the
 * generic translation alone. ReduceMean and ReduceMax are in the main table (onnx_ops.c: global pooling where
 * they are one), which calls ox_reduce_layer otherwise; MatMul and Gemm likewise fall back to the matmul and
 * gemm layers where a dense layer cannot express them. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "onnx_internal.h"

/* Axes of a reduction: the attribute (before opset 13 for ReduceSum, 18 for the others) or input 1. */
fv_status ox_reduce_layer(ox_import *im, const char *type)
{
    int x, n;
    int64_t axes[OX_MAX_DIMS], keep, noop;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_ints(im, "axes", axes, OX_MAX_DIMS, &n);
    if (!s && n < 0 && ox_in(im, 1) && ox_in(im, 1)->v.kind != OX_CONST)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "axes '%s' are computed (fovea needs them constant)", ox_in(im, 1)->name);
    if (!s && n < 0 && ox_in(im, 1)) s = ox_ints_in(im, 1, axes, OX_MAX_DIMS, &n);
    if (!s) s = ox_attr_int(im, "keepdims", 1, &keep);
    if (!s) s = ox_attr_int(im, "noop_with_empty_axes", 0, &noop);
    if (s) return s;
    if (n <= 0 && noop) { /* nothing to reduce: the input itself */
        ox_set_layer_out(im, 0, x);
        return FV_OK;
    }
    fv_layer_spec spec = fv_spec_of_type(type, NULL);
    ox_key_ints(&spec.a.axes, axes, n); /* none given: every axis */
    spec.a.keepdims = keep != 0;
    return ox_add_out(im, spec, NULL, &x, 1);
}

#define REDUCE_OP(stem, type) \
    static fv_status op_##stem(ox_import *im) { return ox_reduce_layer(im, type); }
REDUCE_OP(reduce_sum, "reduce_sum")
REDUCE_OP(reduce_min, "reduce_min")
REDUCE_OP(reduce_prod, "reduce_prod")
REDUCE_OP(reduce_l1, "reduce_l1")
REDUCE_OP(reduce_l2, "reduce_l2")
REDUCE_OP(reduce_sum_square, "reduce_sum_square")
REDUCE_OP(reduce_log_sum_exp, "reduce_log_sum_exp")
REDUCE_OP(reduce_log_sum, "reduce_log_sum")

/* Hardmax: one axis (default -1) from opset 13; before, x seen as 2-D around the axis (default 1), which is one
 * axis only when every dimension after it is 1. */
static fv_status op_hardmax(ox_import *im)
{
    int x;
    int64_t axis, xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "axis", im->opset < 13 ? 1 : -1, &axis);
    if (s) return s;
    int r = ox_layer_dims(im, x, xd);
    if (axis < -r || axis > r || (im->opset >= 13 && axis == r && r > 0))
        return ox_fail(im, FV_ERR_FORMAT, "axis %lld of a rank-%d input", (long long)axis, r);
    bool one_axis = im->opset >= 13;
    int64_t a = axis < 0 ? axis + r : axis;
    if (!one_axis && a < r) {
        one_axis = true;
        for (int d = (int)a + 1; d < r; d++) one_axis = one_axis && xd[d] == 1;
    }
    fv_layer_spec spec = fv_spec_of_type(one_axis ? "hardmax" : "hardmax_flat", NULL);
    spec.a.axis = ox_key_int(axis);
    int l = ox_add_spec(im, spec, NULL, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

/* ArgMax / ArgMin: ONNX's axis defaults to 0. */
static fv_status arg_layer(ox_import *im, const char *type)
{
    int x;
    int64_t axis, keep, last;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "axis", 0, &axis);
    if (!s) s = ox_attr_int(im, "keepdims", 1, &keep);
    if (!s) s = ox_attr_int(im, "select_last_index", 0, &last);
    if (s) return s;
    if (axis < -FV_MAX_DIMS || axis >= FV_MAX_DIMS)
        return ox_fail(im, FV_ERR_SHAPE, "axis %lld is out of range", (long long)axis);
    fv_layer_spec spec = fv_spec_of_type(type, NULL);
    spec.a.axis = ox_key_int(axis), spec.a.keepdims = keep != 0, spec.a.flag = last != 0; /* select_last_index */
    int l = ox_add_spec(im, spec, NULL, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

static fv_status op_argmax(ox_import *im) { return arg_layer(im, "argmax"); }
static fv_status op_argmin(ox_import *im) { return arg_layer(im, "argmin"); }

/* TopK: the values as a topk layer; the indices, when used, as a topk_indices layer reading it. k is an
 * attribute before opset 10, a constant input (of one value) after. */
static fv_status op_topk(ox_import *im)
{
    int x, n = 1;
    int64_t k, axis, largest, sorted;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s && ox_in(im, 1)) s = ox_ints_in(im, 1, &k, 1, &n);
    else if (!s) s = ox_attr_int(im, "k", -1, &k);
    if (!s) s = ox_attr_int(im, "axis", -1, &axis);
    if (!s) s = ox_attr_int(im, "largest", 1, &largest);
    if (!s) s = ox_attr_int(im, "sorted", 1, &sorted);
    if (s) return s;
    if (n != 1) return ox_fail(im, FV_ERR_FORMAT, "k holds %d values (1 expected)", n);
    if (k < 1 || k > (1 << 24)) return ox_fail(im, FV_ERR_UNSUPPORTED, "k = %lld (fovea takes 1 to 2^24)", (long long)k);
    if (axis < -FV_MAX_DIMS || axis >= FV_MAX_DIMS)
        return ox_fail(im, FV_ERR_SHAPE, "axis %lld is out of range", (long long)axis);
    fv_layer_spec spec = fv_spec_of_type("topk", NULL);
    spec.a.size = ox_key_int(k), spec.a.axis = ox_key_int(axis);
    spec.a.keepdims = largest != 0, spec.a.flag = sorted != 0; /* the keys largest= and sorted= */
    int l = ox_add_spec(im, spec, NULL, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    const Onnx__NodeProto *nd = im->node;
    ox_entry *e = nd->n_output > 1 && nd->output[1] && *nd->output[1] ? ox_find(&im->t, nd->output[1]) : NULL;
    if (!e || (e->n_users == 0 && !e->is_output)) return FV_OK;
    char name[OX_NAME_MAX + 16];
    snprintf(name, sizeof name, "%.40s_indices.weight", fv_model_layer_name(im->m, l)); /* named as its values */
    int li = ox_add_plain(im, "topk_indices", name, &l, 1);
    if (li < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 1, li);
    return FV_OK;
}

/* Einsum: the equation without its spaces (ONNX allows them; a description's key cannot hold them). */
static fv_status op_einsum(ox_import *im)
{
    char eq[256], packed[64];
    fv_status s = ox_attr_string(im, "equation", "", eq, sizeof eq);
    if (s) return s;
    size_t n = 0;
    for (const char *p = eq; *p; p++)
        if (!isspace((unsigned char)*p)) {
            if (n + 1 >= sizeof packed) return ox_fail(im, FV_ERR_UNSUPPORTED, "an equation of over 63 characters");
            packed[n++] = *p;
        }
    packed[n] = '\0';
    if (!n) return ox_fail(im, FV_ERR_FORMAT, "has no equation");
    if (im->node->n_input != 2)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "%zu operands (fovea's einsum takes two)", im->node->n_input);
    int in[2];
    for (int k = 0; k < 2; k++)
        if ((s = ox_layer_in(im, k, &in[k]))) return s;
    fv_layer_spec spec = fv_spec_of_type("einsum", NULL);
    snprintf(spec.a.text, sizeof spec.a.text, "%s", packed); /* packed is no longer than the key holds */
    int l = ox_add_spec(im, spec, NULL, in, 2);
    if (l < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

#define REDUCE_ATTRS "axes,keepdims,noop_with_empty_axes"
const ox_op ox_ops_reduce[] = {
    {"ReduceSum", op_reduce_sum, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"ReduceMin", op_reduce_min, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"ReduceProd", op_reduce_prod, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"ReduceL1", op_reduce_l1, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"ReduceL2", op_reduce_l2, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"ReduceSumSquare", op_reduce_sum_square, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"ReduceLogSumExp", op_reduce_log_sum_exp, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"ReduceLogSum", op_reduce_log_sum, NULL, 1, 2, 1, REDUCE_ATTRS},
    {"Hardmax", op_hardmax, NULL, 1, 1, 1, "axis"},
    {"ArgMax", op_argmax, NULL, 1, 1, 1, "axis,keepdims,select_last_index"},
    {"ArgMin", op_argmin, NULL, 1, 1, 1, "axis,keepdims,select_last_index"},
    {"TopK", op_topk, NULL, 1, 2, 2, "k,axis,largest,sorted"},
    {"Einsum", op_einsum, NULL, 1, 64, 1, "equation"},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
