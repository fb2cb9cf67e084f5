/* Elementwise unary functions on float32 (neg ... sign, clip, trigonometric and hyperbolic functions, and the
 * activations GELU, SELU, softplus, mish, hardtanh, log-sigmoid, softsign, thresholded ReLU, shrink, hard
 * sigmoid, CELU): one node kind whose attribute picks the function and holds its two parameters, and a
 * builder per function. Derivatives and their values at kinks are PyTorch's (kernels/ref/unary.c). */
#include <math.h>
#include <stdio.h>

#include "../kernels/dispatch.h"
#include "../kernels/ref/math.h"
#include "fovea/ops.h"
#include "math_common.h"

_Static_assert((int)FV_UN_NEG == (int)FV_MK_NEG && (int)FV_UN_SIGN == (int)FV_MK_SIGN && (int)FV_UN_CLIP == (int)FV_MK_CLIP &&
                   (int)FV_UN_GELU_TANH == (int)FV_MK_GELU_TANH && (int)FV_UN_HARDTANH == (int)FV_MK_HARDTANH &&
                   (int)FV_UN_LOG_SIGMOID == (int)FV_MK_LOG_SIGMOID && (int)FV_UN_ATANH == (int)FV_MK_ATANH &&
                   (int)FV_UN_CELU == (int)FV_MK_CELU && (int)FV_UN_COUNT == (int)FV_MK_UNARY_COUNT,
               "public and kernel kinds agree");

typedef struct {
    int kind; /* fv_unary_kind, an int so that an out-of-range value can be reported */
    float p0, p1;
} unary_attr;

static const char *const kind_names[FV_UN_COUNT] = {
    [FV_UN_NEG] = "neg",       [FV_UN_ABS] = "abs",          [FV_UN_EXP] = "exp",
    [FV_UN_LOG] = "log",       [FV_UN_SQRT] = "sqrt",        [FV_UN_RECIPROCAL] = "reciprocal",
    [FV_UN_ERF] = "erf",       [FV_UN_FLOOR] = "floor",      [FV_UN_CEIL] = "ceil",
    [FV_UN_ROUND] = "round",   [FV_UN_SIGN] = "sign",        [FV_UN_CLIP] = "clip",
    [FV_UN_GELU] = "gelu",     [FV_UN_GELU_TANH] = "gelu_tanh", [FV_UN_SELU] = "selu",
    [FV_UN_SOFTPLUS] = "softplus", [FV_UN_MISH] = "mish",    [FV_UN_HARDTANH] = "hardtanh",
    [FV_UN_LOG_SIGMOID] = "log_sigmoid", [FV_UN_SIN] = "sin", [FV_UN_COS] = "cos", [FV_UN_TAN] = "tan",
    [FV_UN_ASIN] = "asin", [FV_UN_ACOS] = "acos", [FV_UN_ATAN] = "atan", [FV_UN_SINH] = "sinh",
    [FV_UN_COSH] = "cosh", [FV_UN_ASINH] = "asinh", [FV_UN_ACOSH] = "acosh", [FV_UN_ATANH] = "atanh",
    [FV_UN_SOFTSIGN] = "softsign", [FV_UN_THRESHOLDED_RELU] = "thresholded_relu", [FV_UN_SHRINK] = "shrink",
    [FV_UN_HARD_SIGMOID] = "hard_sigmoid", [FV_UN_CELU] = "celu",
};

static const char *kind_name(int kind) { return kind >= 0 && kind < FV_UN_COUNT ? kind_names[kind] : "unary"; }

void fv_unary_defaults(fv_unary_kind kind, float *p0, float *p1)
{
    float a = 0.0f, b = 0.0f;
    switch (kind) {
    case FV_UN_CLIP: a = -INFINITY, b = INFINITY; break;
    case FV_UN_SELU: a = 1.67326324235437728f, b = 1.05070098735548049f; break;
    case FV_UN_SOFTPLUS: a = 1.0f, b = 20.0f; break;
    case FV_UN_HARDTANH: a = -1.0f, b = 1.0f; break;
    case FV_UN_THRESHOLDED_RELU: a = 1.0f; break;
    case FV_UN_SHRINK: a = 0.5f; break;
    case FV_UN_HARD_SIGMOID: a = 0.2f, b = 0.5f; break;
    case FV_UN_CELU: a = 1.0f; break;
    default: break;
    }
    if (p0) *p0 = a;
    if (p1) *p1 = b;
}

/* Parameters: NaN never; SELU, softplus and celu need finite ones, softplus a non-zero beta, celu a non-zero
 * alpha, hardtanh min <= max. */
static fv_status check_params(fv_graph *g, const fv_node *n)
{
    const unary_attr *at = n->attr;
    const char *k = kind_name(at->kind);
    bool used = at->kind == FV_UN_CLIP || at->kind == FV_UN_SELU || at->kind == FV_UN_SOFTPLUS ||
                at->kind == FV_UN_HARDTANH || at->kind >= FV_UN_THRESHOLDED_RELU;
    if (!used) return FV_OK;
    bool finite = at->kind == FV_UN_SELU || at->kind == FV_UN_SOFTPLUS || at->kind == FV_UN_CELU;
    if (isnan(at->p0) || isnan(at->p1) || (finite && (!isfinite(at->p0) || !isfinite(at->p1))))
        return fv_node_error(g, n, FV_ERR_ARG, "%s: parameters %g and %g must be %s", k, at->p0, at->p1,
                             finite ? "finite" : "numbers (not NaN)");
    if (at->kind == FV_UN_SOFTPLUS && at->p0 == 0.0f)
        return fv_node_error(g, n, FV_ERR_ARG, "softplus: beta must not be 0");
    if (at->kind == FV_UN_CELU && at->p0 == 0.0f) return fv_node_error(g, n, FV_ERR_ARG, "celu: alpha must not be 0");
    if (at->kind == FV_UN_HARDTANH && at->p0 > at->p1)
        return fv_node_error(g, n, FV_ERR_ARG, "hardtanh: min %g is greater than max %g", at->p0, at->p1);
    return FV_OK;
}

static fv_status unary_infer(fv_graph *g, fv_node *n)
{
    const unary_attr *at = n->attr;
    if (at->kind < 0 || at->kind >= FV_UN_COUNT)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown unary kind %d (valid kinds are 0 to %d)", at->kind,
                             FV_UN_COUNT - 1);
    char what[48];
    snprintf(what, sizeof what, "%s's input x", kind_name(at->kind));
    fv_status s = check_params(g, n);
    if (s || (s = fv_expect(g, n, 0, -1, what))) return s;
    const fv_tensor *x = &n->in[0]->value;
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

static fv_status unary_forward(fv_graph *g, fv_node *n)
{
    const unary_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    fv_math_unary_forward(g->ctx, fv_f32(&n->value), fv_f32(x), x->size, at->kind, at->p0, at->p1);
    return FV_OK;
}

static void unary_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, 0)) return;
    const unary_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    fv_math_unary_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_f32(x), x->size, at->kind, at->p0,
                           at->p1);
}

const fv_op_def fv_op_unary = {"unary", unary_infer, unary_forward, unary_backward, false};

fv_node *fv_unary(fv_graph *g, fv_node *x, fv_unary_kind kind, float p0, float p1)
{
    unary_attr at = {(int)kind, p0, p1};
    return fv_math_node(g, FV_OP_UNARY, kind_name(at.kind), &x, 1, 1, &at, sizeof at);
}

static fv_node *plain(fv_graph *g, fv_node *x, fv_unary_kind kind)
{
    float p0, p1;
    fv_unary_defaults(kind, &p0, &p1);
    return fv_unary(g, x, kind, p0, p1);
}

fv_node *fv_neg(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_NEG); }
fv_node *fv_abs(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_ABS); }
fv_node *fv_exp(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_EXP); }
fv_node *fv_log(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_LOG); }
fv_node *fv_sqrt(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_SQRT); }
fv_node *fv_reciprocal(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_RECIPROCAL); }
fv_node *fv_erf(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_ERF); }
fv_node *fv_floor(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_FLOOR); }
fv_node *fv_ceil(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_CEIL); }
fv_node *fv_round(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_ROUND); }
fv_node *fv_sign(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_SIGN); }
fv_node *fv_clip(fv_graph *g, fv_node *x, float lo, float hi) { return fv_unary(g, x, FV_UN_CLIP, lo, hi); }
fv_node *fv_gelu(fv_graph *g, fv_node *x, bool approximate_tanh)
{
    return plain(g, x, approximate_tanh ? FV_UN_GELU_TANH : FV_UN_GELU);
}
fv_node *fv_selu(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_SELU); }
fv_node *fv_softplus(fv_graph *g, fv_node *x, float beta, float threshold)
{
    return fv_unary(g, x, FV_UN_SOFTPLUS, beta, threshold);
}
fv_node *fv_mish(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_MISH); }
fv_node *fv_hardtanh(fv_graph *g, fv_node *x, float min_val, float max_val)
{
    return fv_unary(g, x, FV_UN_HARDTANH, min_val, max_val);
}
fv_node *fv_log_sigmoid(fv_graph *g, fv_node *x) { return plain(g, x, FV_UN_LOG_SIGMOID); }
