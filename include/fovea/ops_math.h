/* fovea math operators: elementwise arithmetic with NumPy/ONNX broadcasting, unary functions and
 * activations, comparisons, logic, where, casts. Tensors of rank 0 to 6; dimensions of 0 (empty tensors)
 * pass through. Broadcasting aligns ranks on the right; two dimensions agree when equal or when one is 1
 * (then it repeats), so (N,C,H,W) with (C,1,1) or (1,) works and (0) with (1) gives (0). Builders return NULL
 * with a message naming the op, the node and the shapes when inputs do not fit. Gradients follow PyTorch and
 * are summed over the dimensions an input was broadcast along; integer and bool tensors get none.
 * (fv_add, fv_mul, fv_softmax and fv_log_softmax are declared in ops.h.) */
#ifndef FOVEA_OPS_MATH_H
#define FOVEA_OPS_MATH_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- binary arithmetic --------------------------------------------------------------------------------- */

typedef enum {
    FV_BIN_ADD = 0,
    FV_BIN_SUB,
    FV_BIN_MUL,
    FV_BIN_DIV,   /* float: IEEE; integers: truncates toward zero (C, ONNX); dividing by 0 fails the forward pass */
    FV_BIN_POW,   /* float32 only */
    FV_BIN_MIN,   /* NaN propagates; at a tie each input gets half of the gradient (torch.minimum) */
    FV_BIN_MAX,   /* likewise (torch.maximum) */
    FV_BIN_PRELU, /* float32 only, see fv_prelu */
    FV_BIN_MOD,   /* the remainder with the divisor's sign (Python's %, torch.remainder, ONNX Mod fmod=0):
                   * a - floor(a / b) b; integers: dividing by 0 fails the forward pass. Float gradients:
                   * 1 for a, -floor(a / b) for b */
    FV_BIN_FMOD,  /* the remainder with the dividend's sign (C fmod, torch.fmod, ONNX Mod fmod=1): a - trunc(a / b) b;
                   * integers: C's %, dividing by 0 fails the forward pass. Float gradients: 1 for a, -trunc(a / b)
                   * for b */
    FV_BIN_COUNT
} fv_binary_kind;

/* a op b broadcast together; both of one dtype: float32 for every kind; int32 or int64 for add, sub, mul, div,
 * min, max, mod and fmod (add, sub and mul wrap around on overflow; INT_MIN / -1 gives INT_MIN). Output: the broadcast
 * shape, the inputs' dtype. Refuses bool, mixed dtypes, shapes that do not broadcast. Float add and mul run the
 * same fast kernels as fv_add and fv_mul (which stay float-only). Nodes are named after the kind ("sub_7"). */
fv_node *fv_binary(fv_graph *g, fv_node *a, fv_node *b, fv_binary_kind kind);
fv_node *fv_sub(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_div(fv_graph *g, fv_node *a, fv_node *b);
/* a^b. Gradients as PyTorch's: d/da = b a^(b-1), 0 where b == 0; d/db = a^b log a, 0 where a == 0 and b >= 0
 * (NaN for negative a, as PyTorch). */
fv_node *fv_pow(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_minimum(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_maximum(fv_graph *g, fv_node *a, fv_node *b);
/* ONNX Min/Max over n >= 1 inputs: pairs chained left to right ((x0 min x1) min x2 ...); n == 1 returns xs[0]
 * itself (no new node). At a three-way tie the gradient splits 1/4, 1/4, 1/2 rather than in thirds. */
fv_node *fv_minimum_n(fv_graph *g, fv_node *const *xs, int n);
fv_node *fv_maximum_n(fv_graph *g, fv_node *const *xs, int n);
/* PReLU: y = x > 0 ? x : slope * x (the slope's gradient is x where x <= 0; x's is the slope there).
 * ONNX PRelu: slope broadcasts to x's shape (unidirectionally: the output is x's shape, so the slope may not
 * be larger). fv_prelu_channels is PyTorch's nn.PReLU: slope (C) or (1), applied along axis 1 of x (rank >= 2;
 * rank 1 x takes a slope (1) or (x's size)). */
fv_node *fv_prelu(fv_graph *g, fv_node *x, fv_node *slope);
fv_node *fv_prelu_channels(fv_graph *g, fv_node *x, fv_node *slope);
/* ONNX Sum and Mean over n >= 1 inputs broadcast together: adds chained left to right, Mean then scaled by 1/n
 * (float32 only; Sum also takes int32/int64). n == 1 returns xs[0] itself for Sum (Mean too). */
fv_node *fv_sum_n(fv_graph *g, fv_node *const *xs, int n);
fv_node *fv_mean_n(fv_graph *g, fv_node *const *xs, int n);

/* ---- unary functions and activations (float32 in and out, same shape) ------------------------------ */

typedef enum {
    FV_UN_NEG = 0,
    FV_UN_ABS,         /* gradient sign(x), 0 at 0 */
    FV_UN_EXP,
    FV_UN_LOG,
    FV_UN_SQRT,
    FV_UN_RECIPROCAL,
    FV_UN_ERF,
    FV_UN_FLOOR,       /* floor, ceil, round, sign: gradient 0 (PyTorch) */
    FV_UN_CEIL,
    FV_UN_ROUND,       /* half to even (ONNX Round, torch.round) */
    FV_UN_SIGN,        /* -1, 0, 1; NaN gives 0 as torch.sign (NumPy gives NaN) */
    FV_UN_CLIP,        /* p0 = min, p1 = max (-INFINITY / INFINITY for none): min(max(x, p0), p1), so p1 wins
                        * when p0 > p1; NaN stays NaN; gradient 1 on [p0, p1] inclusive (torch.clamp) */
    FV_UN_GELU,        /* 0.5 x (1 + erf(x / sqrt 2)) */
    FV_UN_GELU_TANH,   /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (F.gelu approximate='tanh') */
    FV_UN_SELU,        /* p0 = alpha, p1 = gamma: gamma (x > 0 ? x : alpha (e^x - 1)) */
    FV_UN_SOFTPLUS,    /* p0 = beta (!= 0), p1 = threshold: beta x > threshold ? x : log(1 + e^(beta x)) / beta */
    FV_UN_MISH,        /* x tanh(softplus(x)) */
    FV_UN_HARDTANH,    /* p0 = min <= p1 = max: as clip, but the gradient is 1 only strictly inside (F.hardtanh) */
    FV_UN_LOG_SIGMOID, /* log(1 / (1 + e^-x)), stable for large |x| */
    FV_UN_SIN,         /* trigonometric and hyperbolic functions and their inverses (ONNX Sin ... Atanh); */
    FV_UN_COS,         /* outside the domain (asin of 2, acosh of 0.5, atanh of 2) NaN, as PyTorch */
    FV_UN_TAN,
    FV_UN_ASIN,
    FV_UN_ACOS,
    FV_UN_ATAN,
    FV_UN_SINH,
    FV_UN_COSH,
    FV_UN_ASINH,
    FV_UN_ACOSH,
    FV_UN_ATANH,
    FV_UN_SOFTSIGN,         /* x / (1 + |x|) */
    FV_UN_THRESHOLDED_RELU, /* p0 = alpha: x > alpha ? x : 0 (gradient 1 where x > alpha) */
    FV_UN_SHRINK,           /* p0 = lambd, p1 = bias: x < -lambd ? x + bias : x > lambd ? x - bias : 0 (ONNX Shrink;
                             * F.softshrink is bias = lambd, F.hardshrink bias = 0); gradient 1 where |x| > lambd */
    FV_UN_HARD_SIGMOID,     /* p0 = alpha, p1 = beta: max(0, min(1, alpha x + beta)) (ONNX HardSigmoid); gradient
                             * alpha strictly inside (0, 1), as F.hardsigmoid */
    FV_UN_CELU,             /* p0 = alpha (!= 0): max(0, x) + min(0, alpha (e^(x / alpha) - 1)) */
    FV_UN_COUNT
} fv_unary_kind;

/* The PyTorch/ONNX defaults of each kind's parameters (0 where unused): SELU's alpha 1.6732632 and gamma
 * 1.0507010, softplus' beta 1 and threshold 20, hardtanh's -1 and 1, clip's -inf and inf; ONNX's
 * ThresholdedRelu alpha 1, Shrink lambd 0.5 and bias 0, HardSigmoid alpha 0.2 and beta 0.5, Celu alpha 1. */
void fv_unary_defaults(fv_unary_kind kind, float *p0, float *p1);
/* Refuses a non-float input, an unknown kind, NaN parameters (non-finite for SELU, softplus and celu), softplus'
 * beta 0, celu's alpha 0 and hardtanh's min > max. Nodes are named after the kind ("gelu_3"). */
fv_node *fv_unary(fv_graph *g, fv_node *x, fv_unary_kind kind, float p0, float p1);
fv_node *fv_neg(fv_graph *g, fv_node *x);
fv_node *fv_abs(fv_graph *g, fv_node *x);
fv_node *fv_exp(fv_graph *g, fv_node *x);
fv_node *fv_log(fv_graph *g, fv_node *x);
fv_node *fv_sqrt(fv_graph *g, fv_node *x);
fv_node *fv_reciprocal(fv_graph *g, fv_node *x);
fv_node *fv_erf(fv_graph *g, fv_node *x);
fv_node *fv_floor(fv_graph *g, fv_node *x);
fv_node *fv_ceil(fv_graph *g, fv_node *x);
fv_node *fv_round(fv_graph *g, fv_node *x);
fv_node *fv_sign(fv_graph *g, fv_node *x);
/* lo, hi: -INFINITY / INFINITY where absent (ONNX Clip's optional min and max). */
fv_node *fv_clip(fv_graph *g, fv_node *x, float lo, float hi);
/* approximate_tanh: false for the exact erf form, true for the tanh approximation. */
fv_node *fv_gelu(fv_graph *g, fv_node *x, bool approximate_tanh);
fv_node *fv_selu(fv_graph *g, fv_node *x);
fv_node *fv_softplus(fv_graph *g, fv_node *x, float beta, float threshold);
fv_node *fv_mish(fv_graph *g, fv_node *x);
fv_node *fv_hardtanh(fv_graph *g, fv_node *x, float min_val, float max_val);
fv_node *fv_log_sigmoid(fv_graph *g, fv_node *x);

/* ONNX Softmax/LogSoftmax before opset 13: x seen as 2-D (product of dims [0, axis), product of [axis, r)),
 * normalized along the second, output in x's shape. axis in [-r, r]. (fv_softmax normalizes along one axis,
 * as opset 13 and PyTorch do; both accept rank 0 with axis 0 or -1, where the result is 1, or 0 for log.) */
fv_node *fv_softmax_flat(fv_graph *g, fv_node *x, int axis, bool log_out);

/* ---- comparisons and logic (output FV_BOOL, the broadcast shape) ------------------------------------ */

typedef enum { FV_CMP_EQ = 0, FV_CMP_LT, FV_CMP_LE, FV_CMP_GT, FV_CMP_GE, FV_CMP_COUNT } fv_compare_kind;

/* a op b, both of one dtype (float32, int32, int64 or bool); NaN compares unequal and unordered (so
 * equal(NaN, NaN) is false). Refuses mixed dtypes and shapes that do not broadcast. */
fv_node *fv_compare(fv_graph *g, fv_node *a, fv_node *b, fv_compare_kind kind);
fv_node *fv_equal(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_less(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_less_equal(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_greater(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_greater_equal(fv_graph *g, fv_node *a, fv_node *b);
/* float32 x -> bool of x's shape. isinf is true for both signs (ONNX IsInf's defaults). */
fv_node *fv_isnan(fv_graph *g, fv_node *x);
fv_node *fv_isinf(fv_graph *g, fv_node *x);
/* ONNX IsInf with its attributes: true for +inf when detect_positive, for -inf when detect_negative (neither:
 * all false). */
fv_node *fv_isinf_signs(fv_graph *g, fv_node *x, bool detect_positive, bool detect_negative);

typedef enum { FV_LOGIC_NOT = 0, FV_LOGIC_AND, FV_LOGIC_OR, FV_LOGIC_XOR, FV_LOGIC_COUNT } fv_logical_kind;

/* bool inputs only (b NULL for not); broadcasting as above. */
fv_node *fv_logical(fv_graph *g, fv_node *a, fv_node *b, fv_logical_kind kind);
fv_node *fv_logical_not(fv_graph *g, fv_node *x);
fv_node *fv_logical_and(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_logical_or(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_logical_xor(fv_graph *g, fv_node *a, fv_node *b);

/* ---- selection and conversion ------------------------------------------------------------------------ */

/* cond ? a : b, cond bool, a and b of one dtype (any); the three broadcast together. Float a and b get the
 * gradient where cond is true (a) or false (b), summed over their broadcast dimensions. */
fv_node *fv_where(fv_graph *g, fv_node *cond, fv_node *a, fv_node *b);

/* x converted to dtype (ONNX Cast, .to(dtype)): float to int truncates toward zero; a NaN, an infinity or a
 * float outside the integer type's range fails the forward pass naming the element (C leaves it undefined,
 * NumPy and PyTorch give INT_MIN); int64 to int32 wraps around (two's complement, as NumPy and PyTorch); int to
 * float rounds to nearest; to bool is x != 0 (NaN is true); bool to a number is 0 or 1. float32 to float32
 * passes the gradient through; other casts pass none. */
fv_node *fv_cast(fv_graph *g, fv_node *x, fv_dtype dtype);

#ifdef __cplusplus
}
#endif

#endif
