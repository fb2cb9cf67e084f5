/* Layer types of the reduce family (reductions, arg-max/min, top-k, cumulative sums, matmul, gemm, einsum):
 * their keys, how each becomes a graph node, and their ONNX form (fv_generic_type in model_internal.h).
 * ONNX import of most of them goes through handlers in src/io/onnx_ops_reduce.c (defaults and attribute forms
 * that differ between opsets); export uses these rows. Axes count over the whole tensor, batch included. */
#include <stddef.h>
#include <string.h>

#include "model_internal.h"

#define KEY(n, k, field, req) {n, k, offsetof(fv_layer_attrs, field), req, NULL}

static const fv_layer_key reduce_keys[] = {KEY("axes", FV_K_INTS, axes, false),
                                           KEY("keepdims", FV_K_BOOL, keepdims, false), {NULL}};
static const fv_layer_key arg_keys[] = {KEY("axis", FV_K_AXIS, axis, false), KEY("keepdims", FV_K_BOOL, keepdims, false),
                                        KEY("select_last_index", FV_K_BOOL, flag, false), {NULL}};
static const fv_layer_key topk_keys[] = {KEY("k", FV_K_INT, size, true), KEY("axis", FV_K_AXIS, axis, false),
                                         KEY("largest", FV_K_BOOL, keepdims, false),
                                         KEY("sorted", FV_K_BOOL, flag, false), {NULL}};
static const fv_layer_key cumsum_keys[] = {KEY("axis", FV_K_AXIS, axis, true), KEY("exclusive", FV_K_BOOL, flag, false),
                                           KEY("reverse", FV_K_BOOL, flag2, false), {NULL}};
static const fv_layer_key gemm_keys[] = {KEY("alpha", FV_K_FLOAT, alpha, false), KEY("beta", FV_K_FLOAT, beta, false),
                                         KEY("trans_a", FV_K_BOOL, flag, false),
                                         KEY("trans_b", FV_K_BOOL, flag2, false), {NULL}};
static const fv_layer_key einsum_keys[] = {KEY("equation", FV_K_TEXT, text, true), {NULL}};
static const fv_layer_key no_keys[] = {{NULL}};
static const fv_layer_key hardmax_keys[] = {KEY("axis", FV_K_AXIS, axis, false), {NULL}};

/* ---- defaults (ONNX's) ------------------------------------------------------------------------------ */

static void arg_defaults(fv_layer_attrs *a) { a->axis = 0; }
static void hardmax_defaults(fv_layer_attrs *a) { a->axis = -1; }
static void hardmax_flat_defaults(fv_layer_attrs *a) { a->axis = 1; }
static void topk_defaults(fv_layer_attrs *a) { a->axis = -1, a->keepdims = true, a->flag = true; }
static void cumsum_defaults(fv_layer_attrs *a) { a->axis = 0; }
static void gemm_defaults(fv_layer_attrs *a) { a->alpha = 1.0f, a->beta = 1.0f; }

/* ---- building ----------------------------------------------------------------------------------------- */

/* The axes key as ints; the graph op checks their range against the input's rank (NULL with the error). */
static fv_node *build_reduce(fv_graph *g, const fv_layer *l, fv_node *const *in, fv_reduce_kind kind)
{
    int axes[FV_LAYER_MAX_LIST];
    for (int i = 0; i < l->a.axes.n; i++) /* |v| < 2^62: clamp so that the op's range check reports it */
        axes[i] = l->a.axes.v[i] > 64 ? 64 : l->a.axes.v[i] < -64 ? -64 : (int)l->a.axes.v[i];
    return fv_reduce(g, in[0], kind, axes, l->a.axes.n, l->a.keepdims);
}

#define REDUCE_BUILD(stem, kind)                                                                        \
    static fv_node *build_##stem(fv_graph *g, const fv_layer *l, fv_node *const *in)                    \
    {                                                                                                   \
        return build_reduce(g, l, in, kind);                                                            \
    }
REDUCE_BUILD(sum, FV_REDUCE_SUM)
REDUCE_BUILD(mean, FV_REDUCE_MEAN)
REDUCE_BUILD(max, FV_REDUCE_MAX)
REDUCE_BUILD(min, FV_REDUCE_MIN)
REDUCE_BUILD(prod, FV_REDUCE_PROD)
REDUCE_BUILD(l1, FV_REDUCE_L1)
REDUCE_BUILD(l2, FV_REDUCE_L2)
REDUCE_BUILD(sum_square, FV_REDUCE_SUM_SQUARE)
REDUCE_BUILD(log_sum_exp, FV_REDUCE_LOG_SUM_EXP)
REDUCE_BUILD(log_sum, FV_REDUCE_LOG_SUM)

static fv_node *build_hardmax(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_hardmax(g, in[0], l->a.axis, false);
}

static fv_node *build_hardmax_flat(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_hardmax(g, in[0], l->a.axis, true);
}

static fv_node *build_argmax(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_argmax(g, in[0], l->a.axis, l->a.keepdims, l->a.flag);
}

static fv_node *build_argmin(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_argmin(g, in[0], l->a.axis, l->a.keepdims, l->a.flag);
}

static fv_node *build_topk(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_topk(g, in[0], l->a.size, l->a.axis, l->a.keepdims, l->a.flag);
}

static fv_node *build_topk_indices(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    (void)l;
    return fv_topk_indices(g, in[0]);
}

static fv_node *build_cumsum(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_cumsum(g, in[0], l->a.axis, l->a.flag, l->a.flag2);
}

static fv_node *build_matmul(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    (void)l;
    return fv_matmul(g, in[0], in[1]);
}

static fv_node *build_gemm(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_gemm_node(g, in[0], in[1], l->n_in > 2 ? in[2] : NULL, l->a.alpha, l->a.beta, l->a.flag, l->a.flag2);
}

static fv_node *build_einsum(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_einsum(g, l->a.text, in[0], in[1]);
}

/* ---- the table ------------------------------------------------------------------------------------------ */

/* ReduceSum took its axes as an input from opset 13, the other reductions from 18. */
#define REDUCE_ROW(name, keras, stem, op, since)                                                        \
    {.base = {name, keras, FV_L_GENERIC, 0, 1, 1, reduce_keys}, .build = build_##stem, .onnx_op = op,   \
     .onnx_since = 1, .onnx = {{"axes", NULL, 1, since}, {"keepdims", NULL, -1, 0}}}

const fv_generic_type fv_layers_reduce[] = {
    REDUCE_ROW("reduce_sum", "ReduceSum", sum, "ReduceSum", 13),
    REDUCE_ROW("reduce_mean", "ReduceMean", mean, "ReduceMean", 18),
    REDUCE_ROW("reduce_max", "ReduceMax", max, "ReduceMax", 18),
    REDUCE_ROW("reduce_min", "ReduceMin", min, "ReduceMin", 18),
    REDUCE_ROW("reduce_prod", "ReduceProd", prod, "ReduceProd", 18),
    REDUCE_ROW("reduce_l1", "ReduceL1", l1, "ReduceL1", 18),
    REDUCE_ROW("reduce_l2", "ReduceL2", l2, "ReduceL2", 18),
    REDUCE_ROW("reduce_sum_square", "ReduceSumSquare", sum_square, "ReduceSumSquare", 18),
    REDUCE_ROW("reduce_log_sum_exp", "ReduceLogSumExp", log_sum_exp, "ReduceLogSumExp", 18),
    REDUCE_ROW("reduce_log_sum", "ReduceLogSum", log_sum, "ReduceLogSum", 18),
    {.base = {"hardmax", "Hardmax", FV_L_GENERIC, 0, 1, 1, hardmax_keys}, .build = build_hardmax,
     .onnx_op = "Hardmax", .onnx_since = 13, .defaults = hardmax_defaults, .onnx = {{"axis", NULL, -1, 0}}},
    /* ONNX Hardmax before opset 13: x as 2-D around the axis (no ONNX export: opsets 13+ mean one axis) */
    {.base = {"hardmax_flat", "HardmaxFlat", FV_L_GENERIC, 0, 1, 1, hardmax_keys}, .build = build_hardmax_flat,
     .defaults = hardmax_flat_defaults},
    {.base = {"argmax", "ArgMax", FV_L_GENERIC, 0, 1, 1, arg_keys}, .build = build_argmax, .onnx_op = "ArgMax",
     .onnx_since = 12, .defaults = arg_defaults,
     .onnx = {{"axis", NULL, -1, 0}, {"keepdims", NULL, -1, 0}, {"select_last_index", NULL, -1, 0}}},
    {.base = {"argmin", "ArgMin", FV_L_GENERIC, 0, 1, 1, arg_keys}, .build = build_argmin, .onnx_op = "ArgMin",
     .onnx_since = 12, .defaults = arg_defaults,
     .onnx = {{"axis", NULL, -1, 0}, {"keepdims", NULL, -1, 0}, {"select_last_index", NULL, -1, 0}}},
    /* TopK's indices (its second output) are a topk_indices layer reading the topk layer; the exporter writes
     * them as that TopK node's second output */
    {.base = {"topk", "TopK", FV_L_GENERIC, 0, 1, 1, topk_keys}, .build = build_topk, .onnx_op = "TopK",
     .onnx_since = 11, .defaults = topk_defaults,
     .onnx = {{"k", NULL, 1, 10}, {"axis", NULL, -1, 0}, {"largest", NULL, -1, 0}, {"sorted", NULL, -1, 0}}},
    {.base = {"topk_indices", "TopKIndices", FV_L_GENERIC, 0, 1, 1, no_keys}, .build = build_topk_indices},
    {.base = {"cumsum", "CumSum", FV_L_GENERIC, 0, 1, 1, cumsum_keys}, .build = build_cumsum, .onnx_op = "CumSum",
     .onnx_since = 11, .defaults = cumsum_defaults,
     .onnx = {{"axis", NULL, 1, 11}, {"exclusive", NULL, -1, 0}, {"reverse", NULL, -1, 0}}},
    {.base = {"matmul", "MatMul", FV_L_GENERIC, 0, 2, 2, no_keys}, .build = build_matmul, .onnx_op = "MatMul",
     .onnx_since = 1},
    {.base = {"gemm", "Gemm", FV_L_GENERIC, 0, 2, 3, gemm_keys}, .build = build_gemm, .onnx_op = "Gemm",
     .onnx_since = 11, .defaults = gemm_defaults,
     .onnx = {{"alpha", NULL, -1, 0}, {"beta", NULL, -1, 0}, {"trans_a", "transA", -1, 0}, {"trans_b", "transB", -1, 0}}},
    {.base = {"einsum", "Einsum", FV_L_GENERIC, 0, 2, 2, einsum_keys}, .build = build_einsum, .onnx_op = "Einsum",
     .onnx_since = 12, .onnx = {{"equation", NULL, -1, 0}}},
    {.base = {NULL}},
};
