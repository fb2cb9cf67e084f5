/* Reference kernels of the math family: broadcasting binary arithmetic on float32/int32/int64 and its
 * gradients, comparisons, logical operators, where, unary functions and casts. Shapes of broadcasting kernels
 * are FV_BCAST_DIMS sizes padded on the left with 1s (ref/broadcast.h); an input's size-1 dimension repeats
 * along the output's. Kinds are the values of the public enums in fovea/ops_math.h (the ops check they
 * agree). */
#ifndef FV_REF_MATH_H
#define FV_REF_MATH_H

#include <stdbool.h>
#include <stdint.h>

#include "broadcast.h"
#include "fovea/core.h"

/* Binary kinds (fv_binary_kind). PRELU: a is x, b the slope: x > 0 ? x : slope * x. */
enum {
    FV_MK_ADD, FV_MK_SUB, FV_MK_MUL, FV_MK_DIV, FV_MK_POW, FV_MK_MIN, FV_MK_MAX, FV_MK_PRELU, FV_MK_MOD, FV_MK_FMOD,
    FV_MK_COUNT
};

/* out (oshape) = a (ashape) op b (bshape). Float min/max propagate NaN. */
void fv_ref_binary_f32(float *out, const int64_t *oshape, const float *a, const int64_t *ashape, const float *b,
                       const int64_t *bshape, int op);
/* The same on int32 (dtype FV_I32) or int64 (FV_I64) elements, for add, sub, mul, div, min, max, mod, fmod. Add,
 * sub and mul wrap around (two's complement) instead of overflowing; div truncates toward zero and INT_MIN / -1
 * wraps to INT_MIN; fmod is C's %, mod takes the divisor's sign (INT_MIN % -1 is 0). Returns the output index of
 * the first division (or remainder) by zero (that element is set to 0), or -1. */
int64_t fv_ref_binary_int(void *out, const int64_t *oshape, const void *a, const int64_t *ashape, const void *b,
                          const int64_t *bshape, int op, fv_dtype dtype);
/* dst (dshape: ashape when wrt is 0, bshape when 1) += dout (oshape) times the derivative of a op b with
 * respect to input wrt, summed over the dimensions where dst was broadcast (sums in double). Conventions are
 * PyTorch's: min/max split the gradient half and half at ties; pow's derivative in a is 0 where b == 0, in b
 * 0 where a == 0 and b >= 0; prelu's in x is 1 for x > 0, else the slope. */
void fv_ref_binary_grad(float *dst, const float *dout, const int64_t *oshape, const float *a, const int64_t *ashape,
                        const float *b, const int64_t *bshape, int op, int wrt);

/* Comparison kinds (fv_compare_kind). */
enum { FV_MK_EQ, FV_MK_LT, FV_MK_LE, FV_MK_GT, FV_MK_GE, FV_MK_CMP_COUNT };
/* out (oshape, 0/1) = a op b, both of dtype (any of the four; NaN compares false, so NaN == NaN is 0). */
void fv_ref_compare(uint8_t *out, const int64_t *oshape, const void *a, const int64_t *ashape, const void *b,
                    const int64_t *bshape, int op, fv_dtype dtype);

/* Logical kinds (fv_logical_kind): NOT reads a only. */
enum { FV_MK_NOT, FV_MK_AND, FV_MK_OR, FV_MK_XOR, FV_MK_LOGICAL_COUNT };
/* out (oshape) = a op b on 0/1 bytes (any non-zero byte counts as true). */
void fv_ref_logical(uint8_t *out, const int64_t *oshape, const uint8_t *a, const int64_t *ashape, const uint8_t *b,
                    const int64_t *bshape, int op);

/* out (oshape) = cond ? a : b, elements of elem_size bytes (1, 4 or 8). */
void fv_ref_where(void *out, const int64_t *oshape, const uint8_t *cond, const int64_t *cshape, const void *a,
                  const int64_t *ashape, const void *b, const int64_t *bshape, int elem_size);
/* dst (dshape) += dout (oshape) where cond (cshape) equals take, summed over dst's broadcast dimensions. */
void fv_ref_where_grad(float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                       const uint8_t *cond, const int64_t *cshape, bool take);

/* Unary kinds (fv_unary_kind); p0 and p1 are the kind's parameters (see fovea/ops_math.h). */
enum {
    FV_MK_NEG, FV_MK_ABS, FV_MK_EXP, FV_MK_LOG, FV_MK_SQRT, FV_MK_RECIPROCAL, FV_MK_ERF, FV_MK_FLOOR, FV_MK_CEIL,
    FV_MK_ROUND, FV_MK_SIGN, FV_MK_CLIP, FV_MK_GELU, FV_MK_GELU_TANH, FV_MK_SELU, FV_MK_SOFTPLUS, FV_MK_MISH,
    FV_MK_HARDTANH, FV_MK_LOG_SIGMOID, FV_MK_SIN, FV_MK_COS, FV_MK_TAN, FV_MK_ASIN, FV_MK_ACOS, FV_MK_ATAN,
    FV_MK_SINH, FV_MK_COSH, FV_MK_ASINH, FV_MK_ACOSH, FV_MK_ATANH, FV_MK_SOFTSIGN, FV_MK_THRESHOLDED_RELU,
    FV_MK_SHRINK, FV_MK_HARD_SIGMOID, FV_MK_CELU, FV_MK_UNARY_COUNT
};
/* out (n) = f(x (n)). */
void fv_ref_unary_forward(float *out, const float *x, int64_t n, int kind, float p0, float p1);
/* dx (n) += dout (n) * f'(x (n)). */
void fv_ref_unary_backward(float *dx, const float *dout, const float *x, int64_t n, int kind, float p0, float p1);

/* out (n, 0/1) = isnan(x) (inf false) or isinf(x) (either sign). */
void fv_ref_isnan(uint8_t *out, const float *x, int64_t n);
void fv_ref_isinf(uint8_t *out, const float *x, int64_t n);
/* out (n, 0/1) = x is +inf and pos, or -inf and neg. */
void fv_ref_isinf_signs(uint8_t *out, const float *x, int64_t n, bool pos, bool neg);

/* out (n, dtype to) = in (n, dtype from) converted: float to int truncates toward zero; int64 to int32 wraps
 * (two's complement); anything to bool is x != 0 (NaN is true); bool to a number is 0 or 1. Returns the index
 * of the first float that has no integer value in range (NaN, inf, too large: that element is set to 0), or
 * -1. */
int64_t fv_ref_cast(void *out, fv_dtype to, const void *in, fv_dtype from, int64_t n);

#endif
