/* Layer types of the math family (elementwise arithmetic, unary functions, comparisons, where, cast, activations): their keys, how each becomes a graph node,
 * and their ONNX form (fv_generic_type in model_internal.h). Most types have no keys: the layer's name says
 * which function it computes, and a small table maps the name to the op's kind. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "fovea/ops_math.h"
#include "model_internal.h"

#define K(n, kind, field) {n, kind, offsetof(fv_layer_attrs, field), false, NULL}

static const fv_layer_key no_keys[] = {{NULL}};
static const fv_layer_key clip_keys[] = {K("min", FV_K_FLOAT, lo), K("max", FV_K_FLOAT, hi), {NULL}};
static const fv_layer_key hardtanh_keys[] = {K("min_val", FV_K_FLOAT, lo), K("max_val", FV_K_FLOAT, hi), {NULL}};
static const char *const gelu_choices[] = {"none", "tanh", NULL};
static const fv_layer_key gelu_keys[] = {
    {"approximate", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false, gelu_choices}, {NULL}};
/* gamma lives in the beta field, softplus' threshold in value */
static const fv_layer_key selu_keys[] = {K("alpha", FV_K_FLOAT, alpha), K("gamma", FV_K_FLOAT, beta), {NULL}};
static const fv_layer_key softplus_keys[] = {K("beta", FV_K_FLOAT, beta), K("threshold", FV_K_FLOAT, value), {NULL}};
static const fv_layer_key prelu_keys[] = {K("channels", FV_K_INT, size), {NULL}};
static const fv_layer_key axis_keys[] = {K("axis", FV_K_AXIS, axis), {NULL}};
static const fv_layer_key flat_keys[] = {K("axis", FV_K_AXIS, axis), K("log", FV_K_BOOL, flag), {NULL}};
static const fv_layer_key alpha_keys[] = {K("alpha", FV_K_FLOAT, alpha), {NULL}};
static const fv_layer_key alpha_beta_keys[] = {K("alpha", FV_K_FLOAT, alpha), K("beta", FV_K_FLOAT, beta), {NULL}};
/* Shrink's lambd lives in the alpha field, its bias in beta */
static const fv_layer_key shrink_keys[] = {K("lambd", FV_K_FLOAT, alpha), K("bias", FV_K_FLOAT, beta), {NULL}};
static const fv_layer_key mod_keys[] = {K("fmod", FV_K_BOOL, flag), {NULL}};
static const fv_layer_key isinf_keys[] = {K("detect_positive", FV_K_BOOL, flag), K("detect_negative", FV_K_BOOL, flag2),
                                          {NULL}};
static const char *const dtype_choices[] = {"float32", "int32", "int64", "bool", NULL}; /* fv_dtype's order */
static const fv_layer_key cast_keys[] = {{"to", FV_K_CHOICE, offsetof(fv_layer_attrs, dtype), true, dtype_choices},
                                         {NULL}};

/* ---- defaults (PyTorch's) ------------------------------------------------------------------------------- */

static void clip_defaults(fv_layer_attrs *a) { a->lo = -INFINITY, a->hi = INFINITY; }
static void hardtanh_defaults(fv_layer_attrs *a) { a->lo = -1.0f, a->hi = 1.0f; }
static void selu_defaults(fv_layer_attrs *a) { fv_unary_defaults(FV_UN_SELU, &a->alpha, &a->beta); }
static void softplus_defaults(fv_layer_attrs *a) { fv_unary_defaults(FV_UN_SOFTPLUS, &a->beta, &a->value); }
static void prelu_defaults(fv_layer_attrs *a) { a->size = 1; }
/* ONNX's defaults of ThresholdedRelu (alpha 1), Shrink (0.5, 0), HardSigmoid (0.2, 0.5), Celu (1) */
static void thresholded_relu_defaults(fv_layer_attrs *a) { fv_unary_defaults(FV_UN_THRESHOLDED_RELU, &a->alpha, NULL); }
static void shrink_defaults(fv_layer_attrs *a) { fv_unary_defaults(FV_UN_SHRINK, &a->alpha, &a->beta); }
static void hard_sigmoid_ab_defaults(fv_layer_attrs *a) { fv_unary_defaults(FV_UN_HARD_SIGMOID, &a->alpha, &a->beta); }
static void celu_defaults(fv_layer_attrs *a) { fv_unary_defaults(FV_UN_CELU, &a->alpha, NULL); }
static void isinf_defaults(fv_layer_attrs *a) { a->flag = a->flag2 = true; }
static void prelu_init(int j, fv_init_spec *spec) /* PyTorch's nn.PReLU starts every slope at 0.25 */
{
    (void)j;
    spec->kind = FV_INIT_CONSTANT, spec->value = 0.25f;
}

/* ---- building ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int kind;
} named_kind;

static const named_kind binary_kinds[] = {{"sub", FV_BIN_SUB}, {"div", FV_BIN_DIV}, {"pow", FV_BIN_POW}, {NULL, 0}};
static const named_kind unary_kinds[] = {
    {"neg", FV_UN_NEG},   {"abs", FV_UN_ABS},         {"exp", FV_UN_EXP},     {"log", FV_UN_LOG},
    {"sqrt", FV_UN_SQRT}, {"reciprocal", FV_UN_RECIPROCAL}, {"erf", FV_UN_ERF}, {"floor", FV_UN_FLOOR},
    {"ceil", FV_UN_CEIL}, {"round", FV_UN_ROUND},     {"sign", FV_UN_SIGN},   {"mish", FV_UN_MISH},
    {"log_sigmoid", FV_UN_LOG_SIGMOID}, {"sin", FV_UN_SIN}, {"cos", FV_UN_COS}, {"tan", FV_UN_TAN},
    {"asin", FV_UN_ASIN}, {"acos", FV_UN_ACOS}, {"atan", FV_UN_ATAN}, {"sinh", FV_UN_SINH}, {"cosh", FV_UN_COSH},
    {"asinh", FV_UN_ASINH}, {"acosh", FV_UN_ACOSH}, {"atanh", FV_UN_ATANH}, {"softsign", FV_UN_SOFTSIGN},
    {"thresholded_relu", FV_UN_THRESHOLDED_RELU}, {"shrink", FV_UN_SHRINK}, {"hard_sigmoid_ab", FV_UN_HARD_SIGMOID},
    {"celu", FV_UN_CELU}, {NULL, 0}};
static const named_kind compare_kinds[] = {{"equal", FV_CMP_EQ},          {"less", FV_CMP_LT},
                                           {"less_equal", FV_CMP_LE},     {"greater", FV_CMP_GT},
                                           {"greater_equal", FV_CMP_GE},  {NULL, 0}};
static const named_kind logical_kinds[] = {{"logical_not", FV_LOGIC_NOT}, {"logical_and", FV_LOGIC_AND},
                                           {"logical_or", FV_LOGIC_OR},   {"logical_xor", FV_LOGIC_XOR}, {NULL, 0}};

static int kind_of(const named_kind *t, const fv_layer *l)
{
    for (; t->name; t++)
        if (strcmp(t->name, l->type->name) == 0) return t->kind;
    return -1; /* not reached: every row's name is in its table */
}

static fv_node *build_binary(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_binary(g, in[0], in[1], (fv_binary_kind)kind_of(binary_kinds, l));
}

static fv_node *build_min(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name); /* of several inputs, the last pair's node gets the layer's name */
    return fv_minimum_n(g, in, l->n_in);
}

static fv_node *build_max(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_maximum_n(g, in, l->n_in);
}

static fv_node *build_unary(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_unary(g, in[0], (fv_unary_kind)kind_of(unary_kinds, l), 0.0f, 0.0f);
}

/* The unary kinds with parameters: alpha and beta hold them. */
static fv_node *build_unary_ab(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_unary(g, in[0], (fv_unary_kind)kind_of(unary_kinds, l), l->a.alpha, l->a.beta);
}

static fv_node *build_mod(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_binary(g, in[0], in[1], l->a.flag ? FV_BIN_FMOD : FV_BIN_MOD);
}

static fv_node *build_sum(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_sum_n(g, in, l->n_in);
}

static fv_node *build_mean(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_mean_n(g, in, l->n_in);
}

static fv_node *build_clip(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_clip(g, in[0], l->a.lo, l->a.hi);
}

static fv_node *build_hardtanh(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_hardtanh(g, in[0], l->a.lo, l->a.hi);
}

static fv_node *build_gelu(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_gelu(g, in[0], l->a.choice[0] == 1);
}

static fv_node *build_selu(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_unary(g, in[0], FV_UN_SELU, l->a.alpha, l->a.beta);
}

static fv_node *build_softplus(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_softplus(g, in[0], l->a.beta, l->a.value);
}

/* One input: PyTorch's nn.PReLU with its learned slope (channels); two: the slope is the second input, broadcast
 * to the first's shape (ONNX PRelu). */
static fv_node *build_prelu(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    if (l->n_in == 2) {
        fv_graph_set_next_name(g, l->name);
        return fv_prelu(g, in[0], in[1]);
    }
    fv_node *w = fv_use_param(g, l->params[0]);
    fv_graph_set_next_name(g, l->name);
    return fv_prelu_channels(g, in[0], w);
}

static fv_status prelu_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    if (l->n_in == 2) return FV_OK;
    return fv_layer_new_param(m, l, "weight", FV_PARAM_WEIGHT, 1, (int64_t[]){l->a.size}) ? FV_OK : fv_errcode(m->ctx);
}

static fv_node *build_log_softmax(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_log_softmax(g, in[0], l->a.axis);
}

static fv_node *build_softmax_flat(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_softmax_flat(g, in[0], l->a.axis, l->a.flag);
}

static fv_node *build_compare(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_compare(g, in[0], in[1], (fv_compare_kind)kind_of(compare_kinds, l));
}

static fv_node *build_logical(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_logical(g, in[0], l->n_in > 1 ? in[1] : NULL, (fv_logical_kind)kind_of(logical_kinds, l));
}

static fv_node *build_where(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_where(g, in[0], in[1], in[2]);
}

static fv_node *build_cast(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_cast(g, in[0], (fv_dtype)l->a.dtype);
}

static fv_node *build_isnan(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_isnan(g, in[0]);
}

static fv_node *build_isinf(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_graph_set_next_name(g, l->name);
    return fv_isinf_signs(g, in[0], l->a.flag, l->a.flag2);
}

/* ---- the table ------------------------------------------------------------------------------------------ */

#define ROW(name, keras, lo, hi, keys, fn, op, since) \
    {.base = {name, keras, FV_L_GENERIC, 0, lo, hi, keys}, .build = fn, .onnx_op = op, .onnx_since = since}
#define UNARY(name, keras, op, since) ROW(name, keras, 1, 1, no_keys, build_unary, op, since)
#define BINARY(name, keras, fn, op, since) ROW(name, keras, 2, 2, no_keys, fn, op, since)

const fv_generic_type fv_layers_math[] = {
    BINARY("sub", "Subtract", build_binary, "Sub", 1),
    BINARY("div", "Divide", build_binary, "Div", 1),
    BINARY("pow", "Power", build_binary, "Pow", 1),
    ROW("minimum", "Minimum", 2, FV_LAYER_MAX_INPUTS, no_keys, build_min, "Min", 1),
    ROW("maximum", "Maximum", 2, FV_LAYER_MAX_INPUTS, no_keys, build_max, "Max", 1),
    UNARY("neg", "Negative", "Neg", 6),
    UNARY("abs", "Abs", "Abs", 6),
    UNARY("exp", "Exp", "Exp", 6),
    UNARY("log", "Log", "Log", 6),
    UNARY("sqrt", "Sqrt", "Sqrt", 6),
    UNARY("reciprocal", "Reciprocal", "Reciprocal", 6),
    UNARY("erf", "Erf", "Erf", 9),
    UNARY("floor", "Floor", "Floor", 6),
    UNARY("ceil", "Ceil", "Ceil", 6),
    UNARY("round", "Round", "Round", 11),
    UNARY("sign", "Sign", "Sign", 9),
    UNARY("mish", "Mish", "Mish", 18),
    UNARY("log_sigmoid", "LogSigmoid", NULL, 0),
    {.base = {"clip", "Clip", FV_L_GENERIC, 0, 1, 1, clip_keys}, .build = build_clip, .onnx_op = "Clip",
     .onnx_since = 11, .onnx = {{"min", NULL, 1, 11}, {"max", NULL, 2, 11}}, .defaults = clip_defaults},
    {.base = {"hard_tanh", "HardTanh", FV_L_GENERIC, 0, 1, 1, hardtanh_keys}, .build = build_hardtanh,
     .defaults = hardtanh_defaults},
    {.base = {"gelu", "GELU", FV_L_GENERIC, 0, 1, 1, gelu_keys}, .build = build_gelu, .onnx_op = "Gelu",
     .onnx_since = 20, .onnx = {{"approximate", NULL, -1, 0}}},
    {.base = {"selu", "SELU", FV_L_GENERIC, 0, 1, 1, selu_keys}, .build = build_selu, .onnx_op = "Selu",
     .onnx_since = 6, .onnx = {{"alpha", NULL, -1, 0}, {"gamma", NULL, -1, 0}}, .defaults = selu_defaults},
    /* ONNX's Softplus has neither beta nor threshold: only the defaults export (onnx_export.c) */
    {.base = {"softplus", "Softplus", FV_L_GENERIC, 0, 1, 1, softplus_keys}, .build = build_softplus,
     .onnx_op = "Softplus", .onnx_since = 1, .defaults = softplus_defaults},
    /* one input: a learned slope per channel; two: the slope as an input (onnx_export.c writes the first form) */
    {.base = {"prelu", "PReLU", FV_L_GENERIC, 0, 1, 2, prelu_keys}, .build = build_prelu, .make_params = prelu_params, .init = prelu_init,
     .onnx_op = "PRelu", .onnx_since = 9, .defaults = prelu_defaults},
    ROW("log_softmax", "LogSoftmax", 1, 1, axis_keys, build_log_softmax, "LogSoftmax", 13),
    /* ONNX's Softmax / LogSoftmax before opset 13 (x as 2-D around axis); exported by onnx_export.c */
    ROW("softmax_flat", "SoftmaxFlat", 1, 1, flat_keys, build_softmax_flat, NULL, 0),
    BINARY("equal", "Equal", build_compare, "Equal", 11),
    BINARY("less", "Less", build_compare, "Less", 9),
    BINARY("less_equal", "LessEqual", build_compare, "LessOrEqual", 12),
    BINARY("greater", "Greater", build_compare, "Greater", 9),
    BINARY("greater_equal", "GreaterEqual", build_compare, "GreaterOrEqual", 12),
    ROW("logical_not", "LogicalNot", 1, 1, no_keys, build_logical, "Not", 1),
    BINARY("logical_and", "LogicalAnd", build_logical, "And", 7),
    BINARY("logical_or", "LogicalOr", build_logical, "Or", 7),
    BINARY("logical_xor", "LogicalXor", build_logical, "Xor", 7),
    ROW("where", "Where", 3, 3, no_keys, build_where, "Where", 9),
    /* ONNX's Cast gives "to" as a number: onnx_ops.c and onnx_export.c translate it */
    ROW("cast", "Cast", 1, 1, cast_keys, build_cast, "Cast", 6),
    ROW("isnan", "IsNaN", 1, 1, no_keys, build_isnan, "IsNaN", 9),
    {.base = {"isinf", "IsInf", FV_L_GENERIC, 0, 1, 1, isinf_keys}, .build = build_isinf, .onnx_op = "IsInf",
     .onnx_since = 10, .defaults = isinf_defaults,
     .onnx = {{"detect_positive", NULL, -1, 0}, {"detect_negative", NULL, -1, 0}}},
    UNARY("sin", "Sin", "Sin", 7),
    UNARY("cos", "Cos", "Cos", 7),
    UNARY("tan", "Tan", "Tan", 7),
    UNARY("asin", "Asin", "Asin", 7),
    UNARY("acos", "Acos", "Acos", 7),
    UNARY("atan", "Atan", "Atan", 7),
    UNARY("sinh", "Sinh", "Sinh", 9),
    UNARY("cosh", "Cosh", "Cosh", 9),
    UNARY("asinh", "Asinh", "Asinh", 9),
    UNARY("acosh", "Acosh", "Acosh", 9),
    UNARY("atanh", "Atanh", "Atanh", 9),
    UNARY("softsign", "Softsign", "Softsign", 1),
    {.base = {"thresholded_relu", "ThresholdedReLU", FV_L_GENERIC, 0, 1, 1, alpha_keys}, .build = build_unary_ab,
     .onnx_op = "ThresholdedRelu", .onnx_since = 10, .onnx = {{"alpha", NULL, -1, 0}},
     .defaults = thresholded_relu_defaults},
    {.base = {"shrink", "Shrink", FV_L_GENERIC, 0, 1, 1, shrink_keys}, .build = build_unary_ab, .onnx_op = "Shrink",
     .onnx_since = 9, .onnx = {{"lambd", NULL, -1, 0}, {"bias", NULL, -1, 0}}, .defaults = shrink_defaults},
    /* any alpha and beta (the hard_sigmoid activation is PyTorch's: alpha 1/6, beta 1/2) */
    {.base = {"hard_sigmoid_ab", "HardSigmoidAB", FV_L_GENERIC, 0, 1, 1, alpha_beta_keys}, .build = build_unary_ab,
     .onnx_op = "HardSigmoid", .onnx_since = 6, .onnx = {{"alpha", NULL, -1, 0}, {"beta", NULL, -1, 0}},
     .defaults = hard_sigmoid_ab_defaults},
    {.base = {"celu", "CELU", FV_L_GENERIC, 0, 1, 1, alpha_keys}, .build = build_unary_ab, .onnx_op = "Celu",
     .onnx_since = 12, .onnx = {{"alpha", NULL, -1, 0}}, .defaults = celu_defaults},
    /* fmod false: the divisor's sign (Python's %); true: C's fmod */
    {.base = {"mod", "Mod", FV_L_GENERIC, 0, 2, 2, mod_keys}, .build = build_mod, .onnx_op = "Mod", .onnx_since = 10,
     .onnx = {{"fmod", NULL, -1, 0}}},
    ROW("sum", "Sum", 2, FV_LAYER_MAX_INPUTS, no_keys, build_sum, "Sum", 8),
    ROW("mean", "Mean", 2, FV_LAYER_MAX_INPUTS, no_keys, build_mean, "Mean", 8),
    {.base = {NULL}},
};
