/* Reference resize kernels. The source coordinates follow PyTorch's CPU code step by step (including its
 * float32 arithmetic for 'nearest'), since a different rounding would pick different source pixels. */
#include "resize.h"

#include <math.h>

/* PyTorch's 'nearest' source index along one axis. */
static int64_t nearest_src(int64_t dst, int64_t in, int64_t out, double scale)
{
    if (out == in) return dst;
    if (out == 2 * in) return dst >> 1;
    float s = scale > 0 ? (float)(1.0 / scale) : (float)in / (float)out;
    int64_t src = (int64_t)floorf((float)dst * s);
    return src < in - 1 ? src : in - 1;
}

void fv_ref_resize_nearest_forward(float *out, const float *inp, const fv_ref_resize_geom *p)
{
    for (int64_t q = 0; q < p->P; q++)
        for (int64_t oh = 0; oh < p->OH; oh++) {
            int64_t h = nearest_src(oh, p->H, p->OH, p->scale_h);
            for (int64_t ow = 0; ow < p->OW; ow++) {
                int64_t w = nearest_src(ow, p->W, p->OW, p->scale_w);
                out[(q * p->OH + oh) * p->OW + ow] = inp[(q * p->H + h) * p->W + w];
            }
        }
}

void fv_ref_resize_nearest_backward(float *dinp, const float *dout, const fv_ref_resize_geom *p)
{
    for (int64_t q = 0; q < p->P; q++)
        for (int64_t oh = 0; oh < p->OH; oh++) {
            int64_t h = nearest_src(oh, p->H, p->OH, p->scale_h);
            for (int64_t ow = 0; ow < p->OW; ow++) {
                int64_t w = nearest_src(ow, p->W, p->OW, p->scale_w);
                dinp[(q * p->H + h) * p->W + w] += dout[(q * p->OH + oh) * p->OW + ow];
            }
        }
}

/* The two source indices of an output index along one axis and their weights (w0 + w1 = 1). */
typedef struct {
    int64_t i0, i1;
    double w0, w1;
} lerp;

static lerp linear_src(int64_t dst, int64_t in, int64_t out, double scale, bool align_corners)
{
    double src;
    if (align_corners) {
        src = out > 1 ? (double)(in - 1) / (double)(out - 1) * (double)dst : 0.0;
    } else {
        double r = scale > 0 ? 1.0 / scale : (double)in / (double)out;
        src = r * ((double)dst + 0.5) - 0.5;
        if (src < 0) src = 0; /* the first half pixel repeats the edge */
    }
    lerp l;
    l.i0 = (int64_t)src;
    if (l.i0 > in - 1) l.i0 = in - 1;
    l.i1 = l.i0 < in - 1 ? l.i0 + 1 : l.i0; /* the last half pixel repeats the edge */
    l.w1 = fmin(fmax(src - (double)l.i0, 0.0), 1.0);
    l.w0 = 1.0 - l.w1;
    return l;
}

void fv_ref_resize_bilinear_forward(float *out, const float *inp, const fv_ref_resize_geom *p, bool align_corners)
{
    for (int64_t q = 0; q < p->P; q++) {
        const float *x = inp + q * p->H * p->W;
        for (int64_t oh = 0; oh < p->OH; oh++) {
            lerp h = linear_src(oh, p->H, p->OH, p->scale_h, align_corners);
            for (int64_t ow = 0; ow < p->OW; ow++) {
                lerp w = linear_src(ow, p->W, p->OW, p->scale_w, align_corners);
                double top = w.w0 * x[h.i0 * p->W + w.i0] + w.w1 * x[h.i0 * p->W + w.i1];
                double bottom = w.w0 * x[h.i1 * p->W + w.i0] + w.w1 * x[h.i1 * p->W + w.i1];
                out[(q * p->OH + oh) * p->OW + ow] = (float)(h.w0 * top + h.w1 * bottom);
            }
        }
    }
}

void fv_ref_resize_bilinear_backward(float *dinp, const float *dout, const fv_ref_resize_geom *p, bool align_corners)
{
    for (int64_t q = 0; q < p->P; q++) {
        float *dx = dinp + q * p->H * p->W;
        for (int64_t oh = 0; oh < p->OH; oh++) {
            lerp h = linear_src(oh, p->H, p->OH, p->scale_h, align_corners);
            for (int64_t ow = 0; ow < p->OW; ow++) {
                lerp w = linear_src(ow, p->W, p->OW, p->scale_w, align_corners);
                double g = dout[(q * p->OH + oh) * p->OW + ow];
                dx[h.i0 * p->W + w.i0] += (float)(h.w0 * w.w0 * g);
                dx[h.i0 * p->W + w.i1] += (float)(h.w0 * w.w1 * g);
                dx[h.i1 * p->W + w.i0] += (float)(h.w1 * w.w0 * g);
                dx[h.i1 * p->W + w.i1] += (float)(h.w1 * w.w1 * g);
            }
        }
    }
}
