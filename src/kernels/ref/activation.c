/* Reference activation kernels: one scalar function and its derivative per kind, evaluated in double.
 * The derivative at a kink is the one PyTorch's autograd returns, so gradients match it exactly there. */
#include <math.h>

#include "activation.h"
#include "fovea/ops.h"

/* 1 / (1 + e^-x) without overflow: e^-x is only formed for x >= 0, e^x only for x < 0. */
static double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* A NaN stays NaN, as in PyTorch (fmax and fmin would drop it); -0 becomes +0 as in kernels/clamp.h. */
static double relu6(double x) { return x > 0 ? (x < 6 ? x : 6.0) : isnan(x) ? x : 0.0; }

static double act(int kind, double x, double alpha)
{
    switch (kind) {
    case FV_ACT_RELU: return x > 0 || isnan(x) ? x : 0.0;
    case FV_ACT_LEAKY_RELU: return x > 0 ? x : alpha * x;
    case FV_ACT_RELU6: return relu6(x);
    case FV_ACT_ELU: return x > 0 ? x : alpha * expm1(x);
    case FV_ACT_SIGMOID: return sigmoid(x);
    case FV_ACT_TANH: return tanh(x);
    case FV_ACT_SILU: return x * sigmoid(x);
    case FV_ACT_HARD_SIGMOID: return relu6(x + 3.0) / 6.0;
    case FV_ACT_HARD_SWISH: return x * relu6(x + 3.0) / 6.0;
    default: return NAN; /* kinds are validated by the op before any kernel runs */
    }
}

/* PyTorch's choices at the kinks: relu 0 at 0; leaky relu the slope at 0; relu6 (a hardtanh) 0 at 0 and 6;
 * ELU alpha at 0; hard sigmoid 0 at +-3; hard swish -0.5 at -3 and 1.5 at 3 (its middle piece, closed). */
static double dact(int kind, double x, double alpha)
{
    switch (kind) {
    case FV_ACT_RELU: return x > 0 ? 1.0 : 0.0;
    case FV_ACT_LEAKY_RELU: return x > 0 ? 1.0 : alpha;
    case FV_ACT_RELU6: return x > 0 && x < 6 ? 1.0 : 0.0;
    case FV_ACT_ELU: return x > 0 ? 1.0 : alpha * exp(x);
    case FV_ACT_SIGMOID: {
        double s = sigmoid(x);
        return s * (1.0 - s);
    }
    case FV_ACT_TANH: {
        double t = tanh(x);
        return 1.0 - t * t;
    }
    case FV_ACT_SILU: {
        double s = sigmoid(x);
        return s * (1.0 + x * (1.0 - s));
    }
    case FV_ACT_HARD_SIGMOID: return x > -3 && x < 3 ? 1.0 / 6.0 : 0.0;
    case FV_ACT_HARD_SWISH: return x < -3 ? 0.0 : x <= 3 ? x / 3.0 + 0.5 : 1.0;
    default: return NAN;
    }
}

void fv_ref_activation_forward(float *out, const float *inp, int64_t n, int kind, float alpha)
{
    for (int64_t i = 0; i < n; i++) out[i] = (float)act(kind, inp[i], alpha);
}

void fv_ref_activation_backward(float *dinp, const float *dout, const float *inp, int64_t n, int kind, float alpha)
{
    for (int64_t i = 0; i < n; i++) dinp[i] += (float)(dout[i] * dact(kind, inp[i], alpha));
}
