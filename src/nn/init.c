/* Weight initializers of Keras and PyTorch (include/fovea/init.h): each kind is reduced to one of four
 * draws (a constant, U(-l, l), N(0, s^2), or N(0, s^2) truncated at 2s as Keras does) and filled from the
 * counter-based generator, element by element, so the values do not depend on the order of filling. */
#include <math.h>

#include "../core/internal.h"
#include "fovea/init.h"

/* Keras' truncated normal divides the stddev by the std of a unit normal truncated at +-2, so that the
 * values' own std is the one asked for. */
#define KERAS_TRUNC_STD .87962566103423978

typedef enum { DRAW_CONSTANT, DRAW_UNIFORM, DRAW_NORMAL, DRAW_TRUNC_NORMAL } draw_kind;

typedef struct {
    draw_kind kind;
    double scale; /* the constant, the uniform bound l, or the normal's s before truncation */
} draw;

static const char *const kind_names[FV_INIT_COUNT] = {
    "zeros",          "ones",           "constant",       "uniform",         "normal",
    "glorot_uniform", "glorot_normal",  "he_uniform",     "he_normal",       "xavier_uniform",
    "xavier_normal",  "kaiming_uniform", "kaiming_normal", "torch_default",  "torch_bias"};

void fv_init_fans(const fv_tensor *t, int64_t *fan_in, int64_t *fan_out)
{
    int64_t in = 1, out = 1;
    if (t && t->ndim == 1) {
        in = out = t->shape[0]; /* PyTorch refuses fewer than 2 dims; a vector's length is the useful fan */
    } else if (t && t->ndim >= 2) {
        int64_t receptive = 1; /* conv kernels: the spatial extent multiplies both fans */
        for (int d = 2; d < t->ndim; d++) receptive *= t->shape[d];
        in = t->shape[1] * receptive;
        out = t->shape[0] * receptive;
    }
    if (fan_in) *fan_in = in;
    if (fan_out) *fan_out = out;
}

/* The fans to use: spec's where given, else the tensor's own (PyTorch's rule). */
static fv_status resolve_fans(fv_ctx *ctx, const fv_tensor *t, const fv_init_spec *spec, int64_t *fi, int64_t *fo)
{
    const char *name = kind_names[spec->kind];
    char dims[64];
    if (spec->fan_in < 0 || spec->fan_out < 0)
        return fv_error(ctx, FV_ERR_ARG, "init %s: fan_in %lld and fan_out %lld must be >= 0 (0: from the shape)", name,
                        (long long)spec->fan_in, (long long)spec->fan_out);
    /* A bias has no fan of its own: PyTorch bounds it by the fan-in of the weight beside it. */
    if (spec->kind == FV_INIT_TORCH_BIAS && t->ndim <= 1 && spec->fan_in == 0)
        return fv_error(ctx, FV_ERR_ARG, "init torch_bias: bias %s needs its weight's fan-in in spec.fan_in",
                        fv_shape_str(t, dims, sizeof dims));
    fv_init_fans(t, fi, fo);
    if (spec->fan_in) *fi = spec->fan_in;
    if (spec->fan_out) *fo = spec->fan_out;
    return FV_OK;
}

/* spec->value where it must be a non-negative number (a range, a stddev, a gain). */
static fv_status nonnegative(fv_ctx *ctx, const fv_init_spec *spec, const char *what)
{
    if (spec->value >= 0.0f && isfinite(spec->value)) return FV_OK;
    return fv_error(ctx, FV_ERR_ARG, "init %s: %s %g must be finite and >= 0", kind_names[spec->kind], what,
                    (double)spec->value);
}

/* PyTorch's calculate_gain('leaky_relu', a); a = 0 is relu's sqrt(2). */
static double leaky_relu_gain(double a) { return sqrt(2.0 / (1.0 + a * a)); }

static double xavier_gain(const fv_init_spec *spec) { return spec->value == 0.0f ? 1.0 : spec->value; }

/* The draw for each kind, from the documented formulas of Keras and PyTorch. */
static fv_status plan(fv_ctx *ctx, const fv_init_spec *spec, double fi, double fo, draw *d)
{
    fv_status s = FV_OK;
    switch (spec->kind) {
    case FV_INIT_ZEROS: *d = (draw){DRAW_CONSTANT, 0.0}; break;
    case FV_INIT_ONES: *d = (draw){DRAW_CONSTANT, 1.0}; break;
    case FV_INIT_CONSTANT:
        if (!isfinite(spec->value))
            return fv_error(ctx, FV_ERR_ARG, "init constant: value %g is not finite", (double)spec->value);
        *d = (draw){DRAW_CONSTANT, spec->value};
        break;
    case FV_INIT_UNIFORM: s = nonnegative(ctx, spec, "range"); *d = (draw){DRAW_UNIFORM, spec->value}; break;
    case FV_INIT_NORMAL: s = nonnegative(ctx, spec, "stddev"); *d = (draw){DRAW_NORMAL, spec->value}; break;
    case FV_INIT_GLOROT_UNIFORM: *d = (draw){DRAW_UNIFORM, sqrt(6.0 / (fi + fo))}; break;
    case FV_INIT_GLOROT_NORMAL: *d = (draw){DRAW_TRUNC_NORMAL, sqrt(2.0 / (fi + fo)) / KERAS_TRUNC_STD}; break;
    case FV_INIT_HE_UNIFORM: *d = (draw){DRAW_UNIFORM, sqrt(6.0 / fi)}; break;
    case FV_INIT_HE_NORMAL: *d = (draw){DRAW_TRUNC_NORMAL, sqrt(2.0 / fi) / KERAS_TRUNC_STD}; break;
    case FV_INIT_XAVIER_UNIFORM:
        s = nonnegative(ctx, spec, "gain");
        *d = (draw){DRAW_UNIFORM, xavier_gain(spec) * sqrt(6.0 / (fi + fo))};
        break;
    case FV_INIT_XAVIER_NORMAL:
        s = nonnegative(ctx, spec, "gain");
        *d = (draw){DRAW_NORMAL, xavier_gain(spec) * sqrt(2.0 / (fi + fo))};
        break;
    case FV_INIT_KAIMING_UNIFORM:
    case FV_INIT_KAIMING_NORMAL:
        if (!isfinite(spec->value))
            return fv_error(ctx, FV_ERR_ARG, "init %s: slope %g is not finite", kind_names[spec->kind],
                            (double)spec->value);
        *d = spec->kind == FV_INIT_KAIMING_UNIFORM ? (draw){DRAW_UNIFORM, leaky_relu_gain(spec->value) * sqrt(3.0 / fi)}
                                                    : (draw){DRAW_NORMAL, leaky_relu_gain(spec->value) / sqrt(fi)};
        break;
    /* Kaiming uniform with slope sqrt(5): gain sqrt(2 / (1 + 5)) = sqrt(1/3), bound sqrt(1/3) sqrt(3/fi) =
     * 1/sqrt(fi), the same bound PyTorch gives the biases. Written out to avoid rounding in the gain. */
    case FV_INIT_TORCH_DEFAULT:
    case FV_INIT_TORCH_BIAS: *d = (draw){DRAW_UNIFORM, 1.0 / sqrt(fi)}; break;
    default: return fv_error(ctx, FV_ERR_ARG, "init: unknown kind %d", (int)spec->kind);
    }
    return s;
}

/* A unit normal for element i: Box-Muller on the uniforms at counters 2p and 2p+1 of pair p = i/2; the
 * even element takes the cosine branch, the odd one the sine branch. 53-bit uniforms, u1 in (0, 1]. */
static double unit_normal(uint64_t seed, uint64_t stream, uint64_t i)
{
    const double inv53 = 1.0 / 9007199254740992.0;
    uint64_t p = i / 2;
    double u1 = (double)((fv_rng_bits(seed, stream, 2 * p) >> 11) + 1) * inv53;
    double u2 = (double)(fv_rng_bits(seed, stream, 2 * p + 1) >> 11) * inv53;
    double r = sqrt(-2.0 * log(u1)), angle = 6.283185307179586 * u2;
    return (i & 1) ? r * sin(angle) : r * cos(angle);
}

/* Keras redraws values beyond two stddevs. Attempt k of element i reads the normal at counter
 * k * stride + i (stride even, so attempts never share a Box-Muller pair): deterministic and independent
 * of the order of elements. 64 failed attempts (probability 0.046^64) would leave 0. */
static double truncated_unit_normal(uint64_t seed, uint64_t stream, uint64_t i, uint64_t stride)
{
    for (uint64_t k = 0; k < 64; k++) {
        double z = unit_normal(seed, stream, k * stride + i);
        if (fabs(z) <= 2.0) return z;
    }
    return 0.0;
}

static void fill(float *w, int64_t size, draw d, uint64_t seed, uint64_t stream)
{
    uint64_t stride = (uint64_t)(size + (size & 1));
    for (int64_t i = 0; i < size; i++) {
        double v = d.scale;
        switch (d.kind) {
        case DRAW_CONSTANT: break;
        case DRAW_UNIFORM: v = d.scale * (2.0 * fv_rng_uniform(seed, stream, (uint64_t)i) - 1.0); break;
        case DRAW_NORMAL: v = d.scale * unit_normal(seed, stream, (uint64_t)i); break;
        case DRAW_TRUNC_NORMAL: v = d.scale * truncated_unit_normal(seed, stream, (uint64_t)i, stride); break;
        }
        w[i] = (float)v;
    }
}

fv_status fv_init_tensor(fv_ctx *ctx, fv_tensor *t, const fv_init_spec *spec)
{
    if (!ctx) return FV_ERR_ARG;
    if (!t || !spec) return fv_error(ctx, FV_ERR_ARG, "init: %s is NULL", t ? "spec" : "tensor");
    if ((unsigned)spec->kind >= FV_INIT_COUNT)
        return fv_error(ctx, FV_ERR_ARG, "init: unknown kind %d", (int)spec->kind);
    char dims[64];
    if (t->dtype != FV_F32)
        return fv_error(ctx, FV_ERR_ARG, "init %s: tensor %s must be float32, got int32", kind_names[spec->kind],
                        fv_shape_str(t, dims, sizeof dims));
    int64_t fi = 1, fo = 1;
    draw d = {DRAW_CONSTANT, 0.0};
    fv_status s = resolve_fans(ctx, t, spec, &fi, &fo);
    if (s || (s = plan(ctx, spec, (double)fi, (double)fo, &d))) return s;
    /* Only random draws take a stream, so a zeros bias does not shift the weights drawn after it. */
    uint64_t stream = d.kind == DRAW_CONSTANT ? 0 : fv_ctx_next_stream(ctx);
    fill(fv_f32(t), t->size, d, fv_ctx_seed(ctx), stream);
    return FV_OK;
}

/* The weight of a 1-D bilinear interpolation of kernel k at tap i (Caffe's bilinear filler). */
static double bilinear_tap(int64_t k, int64_t i)
{
    double f = (double)((k + 1) / 2), c = k % 2 ? f - 1.0 : f - 0.5;
    return 1.0 - fabs((double)i - c) / f;
}

void fv_init_bilinear(fv_tensor *weight, int groups)
{
    if (!weight || weight->ndim != 4 || weight->dtype != FV_F32 || groups < 1) return;
    int64_t cin = weight->shape[0], per_group = weight->shape[1], kh = weight->shape[2], kw = weight->shape[3];
    int64_t in_per_group = cin / groups;
    float *w = fv_f32(weight);
    for (int64_t c = 0; c < cin; c++)
        for (int64_t j = 0; j < per_group; j++) {
            /* output channel (its group's first) + j: the one of the same index as input channel c */
            bool same = (in_per_group ? c / in_per_group : 0) * per_group + j == c;
            float *kernel = w + (c * per_group + j) * kh * kw;
            for (int64_t y = 0; y < kh; y++)
                for (int64_t x = 0; x < kw; x++)
                    kernel[y * kw + x] = same ? (float)(bilinear_tap(kh, y) * bilinear_tap(kw, x)) : 0.0f;
        }
}
