/* Reference resize kernels (see resample.h): the per-axis tap tables from ONNX's coordinate transforms, and
 * the separable weighted sums over them. Nearest coordinates are computed in float32 with PyTorch's order of
 * operations, since a different rounding would pick a different pixel; linear and cubic run in double. */
#include "resample.h"

#include <math.h>

int fv_ref_resample_taps(fv_resample_mode mode)
{
    return mode == FV_RESAMPLE_NEAREST ? 1 : mode == FV_RESAMPLE_LINEAR ? 2 : 4;
}

static int64_t clamp_index(int64_t i, int64_t in) { return i < 0 ? 0 : i >= in ? in - 1 : i; }

/* The source index of output index o in nearest mode. */
static int64_t nearest_index(const fv_resize_args *a, int64_t in, int64_t out, double scale, int64_t o)
{
    float r, x, fo = (float)o;
    if (a->coord == FV_COORD_ALIGN_CORNERS)
        r = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    else
        r = scale > 0 ? (float)(1.0 / scale) : (float)in / (float)out;
    switch (a->coord) {
    case FV_COORD_HALF_PIXEL: x = (fo + 0.5f) * r - 0.5f; break;
    case FV_COORD_PYTORCH_HALF_PIXEL: x = out > 1 ? (fo + 0.5f) * r - 0.5f : 0.0f; break;
    case FV_COORD_TF_HALF_PIXEL_FOR_NN: x = (fo + 0.5f) * r; break;
    default: x = fo * r; break; /* asymmetric, align_corners */
    }
    float i;
    switch (a->nearest) {
    case FV_ROUND_PREFER_FLOOR: i = ceilf(x - 0.5f); break;
    case FV_ROUND_PREFER_CEIL: i = floorf(x + 0.5f); break;
    case FV_ROUND_FLOOR: i = floorf(x); break;
    default: i = ceilf(x); break;
    }
    if (!(i > 0)) return 0; /* also a NaN, which finite attributes cannot make */
    return i >= (float)in ? in - 1 : clamp_index((int64_t)i, in);
}

/* The source coordinate of output index o for linear and cubic. */
static double source_coord(const fv_resize_args *a, int64_t in, int64_t out, double scale, int64_t o)
{
    if (a->coord == FV_COORD_ALIGN_CORNERS) return out > 1 ? (double)(in - 1) / (double)(out - 1) * (double)o : 0.0;
    double r = scale > 0 ? 1.0 / scale : (double)in / (double)out, d = (double)o;
    switch (a->coord) {
    case FV_COORD_HALF_PIXEL: return r * (d + 0.5) - 0.5;
    case FV_COORD_PYTORCH_HALF_PIXEL: return out > 1 ? r * (d + 0.5) - 0.5 : 0.0;
    case FV_COORD_TF_HALF_PIXEL_FOR_NN: return r * (d + 0.5);
    default: return r * d;
    }
}

/* Keys' cubic convolution weights of the taps at distances 1 + t, t, 1 - t, 2 - t from x. */
static void cubic_weights(double *w, double t, double A)
{
    double u = t + 1, v = 1 - t, z = 2 - t;
    w[0] = ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
    w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
    w[2] = ((A + 2) * v - (A + 3)) * v * v + 1;
    w[3] = ((A * z - 5 * A) * z + 8 * A) * z - 4 * A;
}

void fv_ref_resample_table(int64_t *idx, double *w, const fv_resize_args *a, int64_t in, int64_t out, double scale)
{
    int T = fv_ref_resample_taps(a->mode);
    for (int64_t o = 0; o < out; o++) {
        int64_t *io = idx + o * T;
        double *wo = w + o * T;
        if (a->mode == FV_RESAMPLE_NEAREST) {
            io[0] = nearest_index(a, in, out, scale, o);
            wo[0] = 1.0;
            continue;
        }
        double x = source_coord(a, in, out, scale, o), f = floor(x), t = x - f;
        int64_t i0 = (int64_t)f;
        if (a->mode == FV_RESAMPLE_LINEAR) {
            io[0] = clamp_index(i0, in), io[1] = clamp_index(i0 + 1, in);
            wo[0] = 1.0 - t, wo[1] = t;
            continue;
        }
        cubic_weights(wo, t, a->cubic_a);
        double sum = 0;
        for (int k = 0; k < 4; k++) {
            int64_t i = i0 - 1 + k;
            if (a->exclude_outside && (i < 0 || i >= in)) wo[k] = 0;
            sum += wo[k];
            io[k] = clamp_index(i, in);
        }
        if (a->exclude_outside && sum != 0)
            for (int k = 0; k < 4; k++) wo[k] /= sum;
    }
}

/* The weighted sum of inp's taps from axis d on, for the output position o (one index per axis). */
static double gather(const float *inp, int k, const fv_ref_resample_axis *ax, const int64_t *o, const int64_t *stride,
                     int d, int64_t off)
{
    if (d == k) return inp[off];
    const fv_ref_resample_axis *a = &ax[d];
    double s = 0;
    for (int t = 0; t < a->taps; t++) {
        double w = a->w[o[d] * a->taps + t]; /* zero weights too: a NaN tap spreads, as in PyTorch */
        s += w * gather(inp, k, ax, o, stride, d + 1, off + a->idx[o[d] * a->taps + t] * stride[d]);
    }
    return s;
}

static void scatter(float *dinp, int k, const fv_ref_resample_axis *ax, const int64_t *o, const int64_t *stride, int d,
                    int64_t off, double g)
{
    if (d == k) {
        dinp[off] += (float)g;
        return;
    }
    const fv_ref_resample_axis *a = &ax[d];
    for (int t = 0; t < a->taps; t++) {
        double w = a->w[o[d] * a->taps + t];
        scatter(dinp, k, ax, o, stride, d + 1, off + a->idx[o[d] * a->taps + t] * stride[d], g * w);
    }
}

/* Element counts of one plane in and out, and the input strides of the resized axes. */
static void plane_sizes(int k, const fv_ref_resample_axis *ax, int64_t *in_size, int64_t *out_size, int64_t *stride)
{
    *in_size = *out_size = 1;
    for (int d = k - 1; d >= 0; d--) {
        stride[d] = *in_size;
        *in_size *= ax[d].in;
        *out_size *= ax[d].out;
    }
}

/* Step the output position o (row-major over the axes' output sizes) to the next one. */
static void next_position(int64_t *o, int k, const fv_ref_resample_axis *ax)
{
    for (int d = k - 1; d >= 0; d--) {
        if (++o[d] < ax[d].out) return;
        o[d] = 0;
    }
}

void fv_ref_resample_forward(float *out, const float *inp, int64_t P, int k, const fv_ref_resample_axis *ax)
{
    int64_t stride[6], in_size, out_size;
    plane_sizes(k, ax, &in_size, &out_size, stride);
    for (int64_t p = 0; p < P; p++) {
        int64_t o[6] = {0};
        for (int64_t j = 0; j < out_size; j++, next_position(o, k, ax))
            out[p * out_size + j] = (float)gather(inp + p * in_size, k, ax, o, stride, 0, 0);
    }
}

void fv_ref_resample_backward(float *dinp, const float *dout, int64_t P, int k, const fv_ref_resample_axis *ax)
{
    int64_t stride[6], in_size, out_size;
    plane_sizes(k, ax, &in_size, &out_size, stride);
    for (int64_t p = 0; p < P; p++) {
        int64_t o[6] = {0};
        for (int64_t j = 0; j < out_size; j++, next_position(o, k, ax))
            scatter(dinp + p * in_size, k, ax, o, stride, 0, 0, dout[p * out_size + j]);
    }
}
