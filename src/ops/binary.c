/* Broadcasting binary arithmetic (add, sub, mul, div, pow, min, max, prelu, mod, fmod) on float32, and all
 * but pow and prelu on int32/int64, and the n-input sum and mean: one node kind whose attribute picks the operation. Float gradients follow PyTorch and are summed
 * over the dimensions an input was broadcast along; integer division by zero fails the forward pass (C leaves it
 * undefined; PyTorch raises). */
#include <stdio.h>

#include "../kernels/dispatch.h"
#include "../kernels/ref/math.h"
#include "fovea/ops.h"
#include "math_common.h"

_Static_assert((int)FV_BIN_ADD == (int)FV_MK_ADD && (int)FV_BIN_SUB == (int)FV_MK_SUB && (int)FV_BIN_MUL == (int)FV_MK_MUL &&
                   (int)FV_BIN_DIV == (int)FV_MK_DIV && (int)FV_BIN_POW == (int)FV_MK_POW && (int)FV_BIN_MIN == (int)FV_MK_MIN &&
                   (int)FV_BIN_MAX == (int)FV_MK_MAX && (int)FV_BIN_PRELU == (int)FV_MK_PRELU && (int)FV_BIN_MOD == (int)FV_MK_MOD &&
                   (int)FV_BIN_FMOD == (int)FV_MK_FMOD && (int)FV_BIN_COUNT == (int)FV_MK_COUNT,
               "public and kernel kinds agree");

enum { IN_A, IN_B };

typedef struct {
    int kind;      /* fv_binary_kind, an int so that an out-of-range value can be reported */
    bool channels; /* prelu: the slope (C) applies along axis 1 (PyTorch) instead of broadcasting (ONNX) */
} binary_attr;

static const char *const kind_names[FV_BIN_COUNT] = {"add", "sub", "mul", "div", "pow", "min",
                                                              "max", "prelu", "mod", "fmod"};

static const char *kind_name(int kind) { return kind >= 0 && kind < FV_BIN_COUNT ? kind_names[kind] : "binary"; }

/* The slope's shape as the kernels see it: (1, C, 1, ..., 1) of x's rank for a per-channel slope. */
static void slope_shape(const fv_node *n, fv_tensor *view)
{
    const fv_tensor *x = &n->in[IN_A]->value, *s = &n->in[IN_B]->value;
    *view = *s;
    if (!((const binary_attr *)n->attr)->channels || x->ndim < 2) return;
    view->ndim = x->ndim;
    for (int d = 0; d < x->ndim; d++) view->shape[d] = 1;
    view->shape[1] = s->shape[0];
}

static fv_status shapes_of(fv_graph *g, const fv_node *n, fv_bshapes *s)
{
    const binary_attr *at = n->attr;
    fv_tensor slope;
    const fv_tensor *t[2] = {&n->in[IN_A]->value, &n->in[IN_B]->value};
    if (at->kind == FV_BIN_PRELU) slope_shape(n, &slope), t[1] = &slope;
    return fv_bshapes_make(g, n, kind_name(at->kind), 2, t, s);
}

static fv_status check_dtypes(fv_graph *g, const fv_node *n)
{
    const binary_attr *at = n->attr;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    const char *k = kind_name(at->kind);
    if (a->dtype != b->dtype)
        return fv_node_error(g, n, FV_ERR_ARG, "%s: inputs of different types, %s %s and %s %s", k,
                             fv_dtype_name(a->dtype), fv_dims(a), fv_dtype_name(b->dtype), fv_dims(b));
    bool is_int = a->dtype == FV_I32 || a->dtype == FV_I64;
    if (a->dtype == FV_F32 || (is_int && at->kind != FV_BIN_POW && at->kind != FV_BIN_PRELU)) return FV_OK;
    return fv_node_error(g, n, FV_ERR_ARG, "%s: %s inputs %s and %s are not supported (%s)", k,
                         fv_dtype_name(a->dtype), fv_dims(a), fv_dims(b),
                         is_int ? "float32 only" : "float32, int32 or int64");
}

/* PyTorch's per-channel slope: one value, or one per channel of axis 1. */
static fv_status check_channel_slope(fv_graph *g, const fv_node *n)
{
    const fv_tensor *x = &n->in[IN_A]->value, *s = &n->in[IN_B]->value;
    int64_t C = x->ndim >= 2 ? x->shape[1] : x->ndim == 1 ? x->shape[0] : 1;
    if (s->ndim == 1 && (s->shape[0] == 1 || s->shape[0] == C)) return FV_OK;
    return fv_node_error(g, n, FV_ERR_SHAPE, "prelu: slope %s must be (1) or (%lld), one per channel of x %s",
                         fv_dims(s), (long long)C, fv_dims(x));
}

static fv_status binary_infer(fv_graph *g, fv_node *n)
{
    const binary_attr *at = n->attr;
    if (at->kind < 0 || at->kind >= FV_BIN_COUNT)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown binary kind %d (valid kinds are 0 to %d)", at->kind,
                             FV_BIN_COUNT - 1);
    fv_status st = check_dtypes(g, n);
    if (!st && at->kind == FV_BIN_PRELU && at->channels) st = check_channel_slope(g, n);
    if (st) return st;
    fv_bshapes s;
    if ((st = shapes_of(g, n, &s))) return st;
    const fv_tensor *a = &n->in[IN_A]->value;
    if (at->kind == FV_BIN_PRELU) { /* ONNX's unidirectional broadcast: the output is x's shape */
        int64_t xs[FV_BCAST_DIMS];
        fv_bcast_pad(xs, a->ndim, a->shape);
        for (int d = 0; d < FV_BCAST_DIMS; d++)
            if (xs[d] != s.out[d] || s.ndim > a->ndim)
                return fv_node_error(g, n, FV_ERR_SHAPE, "prelu: slope %s does not broadcast to x %s",
                                     fv_dims(&n->in[IN_B]->value), fv_dims(a));
    }
    fv_node_set_shape(n, a->dtype, s.ndim, s.out + FV_BCAST_DIMS - s.ndim);
    return FV_OK;
}

static fv_status binary_forward(fv_graph *g, fv_node *n)
{
    const binary_attr *at = n->attr;
    fv_bshapes s;
    fv_status st = shapes_of(g, n, &s);
    if (st) return st;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    if (a->dtype == FV_F32) {
        fv_math_binary_f32(g->ctx, fv_f32(&n->value), s.out, fv_f32(a), s.in[0], fv_f32(b), s.in[1], at->kind);
        return FV_OK;
    }
    int64_t zero = fv_math_binary_int(g->ctx, n->value.data, s.out, a->data, s.in[0], b->data, s.in[1], at->kind,
                                      a->dtype);
    if (zero >= 0)
        return fv_node_error(g, n, FV_ERR_NUMERIC, "%s: integer division by zero (output element %lld of %s %s %s)",
                             kind_name(at->kind), (long long)zero, fv_dims(a), at->kind == FV_BIN_DIV ? "/" : "%",
                             fv_dims(b));
    return FV_OK;
}

static void binary_backward(fv_graph *g, fv_node *n)
{
    const binary_attr *at = n->attr;
    if (n->value.dtype != FV_F32) return;
    fv_bshapes s;
    if (shapes_of(g, n, &s)) return; /* cannot happen: forward succeeded with these shapes */
    const float *a = fv_f32(&n->in[IN_A]->value), *b = fv_f32(&n->in[IN_B]->value);
    for (int i = IN_A; i <= IN_B; i++)
        if (fv_wants_grad(n, i))
            fv_math_binary_grad(g->ctx, fv_f32(&n->in[i]->grad), fv_f32(&n->grad), s.out, a, s.in[0], b, s.in[1],
                                at->kind, i);
}

const fv_op_def fv_op_binary = {"binary", binary_infer, binary_forward, binary_backward, false};

static fv_node *make(fv_graph *g, fv_node *a, fv_node *b, int kind, bool channels)
{
    binary_attr at = {kind, channels};
    return fv_math_node(g, FV_OP_BINARY, kind_name(kind), (fv_node *[]){a, b}, 2, 2, &at, sizeof at);
}

fv_node *fv_binary(fv_graph *g, fv_node *a, fv_node *b, fv_binary_kind kind) { return make(g, a, b, kind, false); }
fv_node *fv_sub(fv_graph *g, fv_node *a, fv_node *b) { return make(g, a, b, FV_BIN_SUB, false); }
fv_node *fv_div(fv_graph *g, fv_node *a, fv_node *b) { return make(g, a, b, FV_BIN_DIV, false); }
fv_node *fv_pow(fv_graph *g, fv_node *a, fv_node *b) { return make(g, a, b, FV_BIN_POW, false); }
fv_node *fv_minimum(fv_graph *g, fv_node *a, fv_node *b) { return make(g, a, b, FV_BIN_MIN, false); }
fv_node *fv_maximum(fv_graph *g, fv_node *a, fv_node *b) { return make(g, a, b, FV_BIN_MAX, false); }
fv_node *fv_prelu(fv_graph *g, fv_node *x, fv_node *slope) { return make(g, x, slope, FV_BIN_PRELU, false); }
fv_node *fv_prelu_channels(fv_graph *g, fv_node *x, fv_node *slope) { return make(g, x, slope, FV_BIN_PRELU, true); }

static fv_node *chain(fv_graph *g, fv_node *const *xs, int n, int kind)
{
    if (!g) return NULL;
    if (!xs || n < 1) {
        fv_error(g->ctx, FV_ERR_ARG, "%s: needs at least one input (got %d%s)", kind_name(kind), n,
                 xs ? "" : ", NULL array");
        return NULL;
    }
    fv_node *acc = xs[0];
    for (int i = 1; i < n && acc; i++) acc = make(g, acc, xs[i], kind, false);
    return acc; /* a NULL input propagates an earlier builder's failure, keeping its message */
}

fv_node *fv_minimum_n(fv_graph *g, fv_node *const *xs, int n) { return chain(g, xs, n, FV_BIN_MIN); }
fv_node *fv_maximum_n(fv_graph *g, fv_node *const *xs, int n) { return chain(g, xs, n, FV_BIN_MAX); }

/* ONNX Sum and Mean: chained adds; Mean scales the sum by 1/n through a mul by a scalar constant. */
fv_node *fv_sum_n(fv_graph *g, fv_node *const *xs, int n) { return chain(g, xs, n, FV_BIN_ADD); }

fv_node *fv_mean_n(fv_graph *g, fv_node *const *xs, int n)
{
    fv_node *s = chain(g, xs, n, FV_BIN_ADD);
    if (!s || n == 1) return s;
    if (fv_node_value(s)->dtype != FV_F32) {
        fv_error(g->ctx, FV_ERR_ARG, "mean: %s inputs (float32 only)", fv_dtype_name(fv_node_value(s)->dtype));
        return NULL;
    }
    float inv = 1.0f / (float)n;
    fv_tensor t = {.dtype = FV_F32, .ndim = 0, .size = 1, .data = &inv};
    fv_node *k = fv_constant(g, &t);
    return k ? make(g, s, k, FV_BIN_MUL, false) : NULL;
}
