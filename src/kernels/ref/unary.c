/* Reference unary kernels (see math.h): elementwise functions and their derivatives in double, with
 * PyTorch's choices at kinks (abs, sign and the rounding functions have derivative 0 there; clip passes the
 * gradient on [min, max] inclusive, hardtanh only strictly inside), and casts between the element types. */
#include <math.h>

#include "math.h"

#define SQRT1_2 0.70710678118654752440
#define SQRT_2_PI 0.79788456080286535588 /* sqrt(2 / pi) */
#define INV_SQRT_2PI 0.39894228040143267794 /* 1 / sqrt(2 pi) */
#define TWO_SQRT_PI 1.12837916709551257390  /* 2 / sqrt(pi) */
#define GELU_C 0.044715

/* log(1 + exp(x)) without overflow. */
static double softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

static double sigmoid(double x)
{
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static double sign(double x) { return x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : 0.0; /* NaN: 0, as PyTorch */ }

static double unary(double x, int kind, double p0, double p1)
{
    switch (kind) {
    case FV_MK_NEG: return -x;
    case FV_MK_ABS: return fabs(x);
    case FV_MK_EXP: return exp(x);
    case FV_MK_LOG: return log(x);
    case FV_MK_SQRT: return sqrt(x);
    case FV_MK_RECIPROCAL: return 1.0 / x;
    case FV_MK_ERF: return erf(x);
    case FV_MK_FLOOR: return floor(x);
    case FV_MK_CEIL: return ceil(x);
    case FV_MK_ROUND: return nearbyint(x); /* the default rounding mode: half to even */
    case FV_MK_SIGN: return sign(x);
    case FV_MK_CLIP:
    case FV_MK_HARDTANH: { /* min(max(x, lo), hi): hi wins when lo > hi, as PyTorch and NumPy; NaN stays */
        double v = x < p0 ? p0 : x;
        return v > p1 ? p1 : v;
    }
    case FV_MK_GELU: return 0.5 * x * erfc(-x * SQRT1_2); /* = 1 + erf(x / sqrt 2), without its cancellation */
    case FV_MK_GELU_TANH: return 0.5 * x * (1.0 + tanh(SQRT_2_PI * (x + GELU_C * x * x * x)));
    case FV_MK_SELU: return x > 0.0 ? p1 * x : p1 * p0 * expm1(x);
    case FV_MK_SOFTPLUS: return p0 * x > p1 ? x : softplus(p0 * x) / p0;
    case FV_MK_MISH: return x * tanh(softplus(x));
    case FV_MK_LOG_SIGMOID: return fmin(x, 0.0) - log1p(exp(-fabs(x)));
    case FV_MK_SIN: return sin(x);
    case FV_MK_COS: return cos(x);
    case FV_MK_TAN: return tan(x);
    case FV_MK_ASIN: return asin(x);
    case FV_MK_ACOS: return acos(x);
    case FV_MK_ATAN: return atan(x);
    case FV_MK_SINH: return sinh(x);
    case FV_MK_COSH: return cosh(x);
    case FV_MK_ASINH: return asinh(x);
    case FV_MK_ACOSH: return acosh(x);
    case FV_MK_ATANH: return atanh(x);
    case FV_MK_SOFTSIGN: return x / (1.0 + fabs(x));
    case FV_MK_THRESHOLDED_RELU: return x > p0 ? x : 0.0;
    case FV_MK_SHRINK: return x < -p0 ? x + p1 : x > p0 ? x - p1 : 0.0;
    case FV_MK_HARD_SIGMOID: return fmax(0.0, fmin(1.0, p0 * x + p1));
    case FV_MK_CELU: return fmax(0.0, x) + fmin(0.0, p0 * expm1(x / p0));
    default: return NAN;
    }
}

static double derivative(double x, int kind, double p0, double p1)
{
    switch (kind) {
    case FV_MK_NEG: return -1.0;
    case FV_MK_ABS: return sign(x);
    case FV_MK_EXP: return exp(x);
    case FV_MK_LOG: return 1.0 / x;
    case FV_MK_SQRT: return 0.5 / sqrt(x);
    case FV_MK_RECIPROCAL: return -1.0 / (x * x);
    case FV_MK_ERF: return TWO_SQRT_PI * exp(-x * x);
    case FV_MK_FLOOR:
    case FV_MK_CEIL:
    case FV_MK_ROUND:
    case FV_MK_SIGN: return 0.0;
    case FV_MK_CLIP: return x >= p0 && x <= p1 ? 1.0 : 0.0;     /* NaN: 0 */
    case FV_MK_HARDTANH: return x <= p0 || x >= p1 ? 0.0 : 1.0; /* NaN: 1 */
    case FV_MK_GELU: return 0.5 * erfc(-x * SQRT1_2) + x * INV_SQRT_2PI * exp(-0.5 * x * x);
    case FV_MK_GELU_TANH: {
        double t = tanh(SQRT_2_PI * (x + GELU_C * x * x * x));
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_PI * (1.0 + 3.0 * GELU_C * x * x);
    }
    case FV_MK_SELU: return x <= 0.0 ? p1 * p0 * exp(x) : p1; /* at 0 the left side, as PyTorch */
    case FV_MK_SOFTPLUS: return p0 * x > p1 ? 1.0 : sigmoid(p0 * x);
    case FV_MK_MISH: {
        double t = tanh(softplus(x));
        return t + x * sigmoid(x) * (1.0 - t * t);
    }
    case FV_MK_LOG_SIGMOID: return sigmoid(-x);
    case FV_MK_SIN: return cos(x);
    case FV_MK_COS: return -sin(x);
    case FV_MK_TAN: {
        double t = tan(x);
        return 1.0 + t * t;
    }
    case FV_MK_ASIN: return 1.0 / sqrt(1.0 - x * x);
    case FV_MK_ACOS: return -1.0 / sqrt(1.0 - x * x);
    case FV_MK_ATAN: return 1.0 / (1.0 + x * x);
    case FV_MK_SINH: return cosh(x);
    case FV_MK_COSH: return sinh(x);
    case FV_MK_ASINH: return 1.0 / sqrt(x * x + 1.0);
    case FV_MK_ACOSH: return 1.0 / sqrt(x * x - 1.0);
    case FV_MK_ATANH: return 1.0 / (1.0 - x * x);
    case FV_MK_SOFTSIGN: {
        double d = 1.0 + fabs(x);
        return 1.0 / (d * d);
    }
    case FV_MK_THRESHOLDED_RELU: return x > p0 ? 1.0 : 0.0;
    case FV_MK_SHRINK: return x < -p0 || x > p0 ? 1.0 : 0.0;
    case FV_MK_HARD_SIGMOID: { /* strictly inside (0, 1), as F.hardsigmoid */
        double v = p0 * x + p1;
        return v > 0.0 && v < 1.0 ? p0 : 0.0;
    }
    case FV_MK_CELU: return x > 0.0 ? 1.0 : exp(x / p0);
    default: return NAN;
    }
}

void fv_ref_unary_forward(float *out, const float *x, int64_t n, int kind, float p0, float p1)
{
    for (int64_t i = 0; i < n; i++) out[i] = (float)unary(x[i], kind, p0, p1);
}

void fv_ref_unary_backward(float *dx, const float *dout, const float *x, int64_t n, int kind, float p0, float p1)
{
    for (int64_t i = 0; i < n; i++) {
        double d = derivative(x[i], kind, p0, p1);
        dx[i] += (float)(d == 0.0 ? 0.0 : dout[i] * d); /* a zero derivative passes no NaN or inf from dout */
    }
}

void fv_ref_isnan(uint8_t *out, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = isnan(x[i]) != 0;
}

void fv_ref_isinf(uint8_t *out, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = isinf(x[i]) != 0;
}

void fv_ref_isinf_signs(uint8_t *out, const float *x, int64_t n, bool pos, bool neg)
{
    for (int64_t i = 0; i < n; i++) out[i] = isinf(x[i]) && (x[i] > 0.0f ? pos : neg);
}

/* ---- casts --------------------------------------------------------------------------------------------- */

/* Element i of in as int64 (floats must have been checked) or as double. */
static int64_t int_at(const void *in, fv_dtype from, int64_t i)
{
    switch (from) {
    case FV_F32: return (int64_t)((const float *)in)[i];
    case FV_I32: return ((const int32_t *)in)[i];
    case FV_I64: return ((const int64_t *)in)[i];
    default: return ((const uint8_t *)in)[i] != 0;
    }
}

/* Whether float x truncates to a value of the integer type to (NaN and inf never do). */
static bool fits(float x, fv_dtype to)
{
    if (to == FV_I32) return x >= -0x1p31f && x < 0x1p31f;
    return x >= -0x1p63f && x < 0x1p63f;
}

int64_t fv_ref_cast(void *out, fv_dtype to, const void *in, fv_dtype from, int64_t n)
{
    int64_t bad = -1;
    for (int64_t i = 0; i < n; i++) {
        if (to == FV_BOOL) {
            ((uint8_t *)out)[i] = from == FV_F32 ? ((const float *)in)[i] != 0.0f : int_at(in, from, i) != 0;
        } else if (to == FV_F32) {
            ((float *)out)[i] = from == FV_F32 ? ((const float *)in)[i] : (float)int_at(in, from, i);
        } else {
            int64_t v = 0;
            if (from != FV_F32 || fits(((const float *)in)[i], to)) v = int_at(in, from, i);
            else if (bad < 0) bad = i;
            if (to == FV_I32) ((int32_t *)out)[i] = (int32_t)(uint32_t)(uint64_t)v; /* wraps */
            else ((int64_t *)out)[i] = v;
        }
    }
    return bad;
}
