/* fovea initializers: the weight initializations of Keras and PyTorch, drawn from the context's seeded
 * generator. Names keep their origin: glorot_* and he_* are Keras' (normal ones are truncated at two
 * standard deviations, as Keras does); xavier_* and kaiming_* are PyTorch's (plain normal). */
#ifndef FOVEA_INIT_H
#define FOVEA_INIT_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    FV_INIT_ZEROS = 0,
    FV_INIT_ONES,
    FV_INIT_CONSTANT,        /* value */
    FV_INIT_UNIFORM,         /* U(-value, value), value >= 0 */
    FV_INIT_NORMAL,          /* N(0, value^2), value >= 0 */
    FV_INIT_GLOROT_UNIFORM,  /* Keras: U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
    FV_INIT_GLOROT_NORMAL,   /* Keras: truncated normal, stddev sqrt(2 / (fan_in + fan_out)) / .87962566 */
    FV_INIT_HE_UNIFORM,      /* Keras: U(-l, l), l = sqrt(6 / fan_in) */
    FV_INIT_HE_NORMAL,       /* Keras: truncated normal, stddev sqrt(2 / fan_in) / .87962566 */
    FV_INIT_XAVIER_UNIFORM,  /* PyTorch: U(-l, l), l = gain * sqrt(6 / (fan_in + fan_out)) */
    FV_INIT_XAVIER_NORMAL,   /* PyTorch: N(0, (gain * sqrt(2 / (fan_in + fan_out)))^2) */
    FV_INIT_KAIMING_UNIFORM, /* PyTorch, fan_in mode, leaky-relu gain with slope `value`: l = gain*sqrt(3/fan_in) */
    FV_INIT_KAIMING_NORMAL,  /* PyTorch: N(0, (gain / sqrt(fan_in))^2); gain = sqrt(2 / (1 + value^2)) */
    FV_INIT_TORCH_DEFAULT,   /* PyTorch's default for conv and dense weights: kaiming uniform, slope sqrt(5),
                                which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    FV_INIT_TORCH_BIAS,      /* PyTorch's default for conv and dense biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
                                fan_in the weight's: give it in spec.fan_in for a 1-D bias */
    FV_INIT_COUNT
} fv_init_kind;

typedef struct {
    fv_init_kind kind;
    float value;     /* constant, range or stddev, slope for kaiming; gain for xavier (0 means 1) */
    int64_t fan_in;  /* 0: computed from the tensor's shape as PyTorch does (dim 1 x receptive field) */
    int64_t fan_out; /* 0: dim 0 x receptive field */
} fv_init_spec;

/* Fan-in and fan-out of a weight shape, as PyTorch's _calculate_fan_in_and_fan_out: (out, in) gives in and
 * out; (d0, d1, k...) gives d1 * prod(k) and d0 * prod(k) (so a transposed conv's (Cin, Cout/groups, kH, kW)
 * gets fan_in Cout/groups * kH * kW, as in PyTorch). Where PyTorch raises (fewer than 2 dims) a vector
 * gets its length for both, a scalar 1. Either output may be NULL. */
void fv_init_fans(const fv_tensor *t, int64_t *fan_in, int64_t *fan_out);

/* A transposed convolution's weight (C, K/groups, kh, kw) as a bilinear interpolation kernel (Long et al.'s
 * FCN, Caffe's "bilinear" filler): each input channel feeds the output channel of the same index with the
 * kernel (1 - |i - c| / f) (1 - |j - c| / f) per axis, f = ceil(k / 2), c = f - 1 for odd k, f - 1/2 for even
 * k; every other pair is 0. With stride f and padding that crops the border it upsamples bilinearly. */
void fv_init_bilinear(fv_tensor *weight, int groups);

/* Fill t (float32) from the context's generator. Each call that draws random numbers takes a new stream,
 * so the result depends on the seed and on the order of those calls only (not on threads). Uniforms use
 * fv_rng_uniform at the element's index; normals are Box-Muller on pairs of elements; truncated normals
 * redraw from further counters. Errors: a non-float tensor, a negative range, stddev or gain, a negative
 * fan, or TORCH_BIAS on a 1-D tensor without spec.fan_in. */
fv_status fv_init_tensor(fv_ctx *ctx, fv_tensor *t, const fv_init_spec *spec);

#ifdef __cplusplus
}
#endif
#endif
