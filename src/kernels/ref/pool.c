/* Reference pooling kernels: plain loops over every window, sums in double, so they can serve as the oracle
 * for faster kernels. */
#include "pool.h"

#include <math.h>

/* One window's rows or columns along one axis: [lo, hi) of the real input, and the length of the window
 * clipped to the padded extent (the divisor's factor when padding counts). */
typedef struct {
    int64_t lo, hi, padded;
} span;

static span window(int64_t o, int k, int s, int pad_lo, int pad_hi, int64_t in)
{
    int64_t start = o * s - pad_lo;
    int64_t end = start + k < in + pad_hi ? start + k : in + pad_hi; /* ceil mode may run past the padding */
    span r = {start < 0 ? 0 : start, end < in ? end : in, end - start};
    return r;
}

static span row_span(const fv_ref_pool2d_geom *p, int64_t oh) { return window(oh, p->kh, p->sh, p->pt, p->pb, p->H); }
static span col_span(const fv_ref_pool2d_geom *p, int64_t ow) { return window(ow, p->kw, p->sw, p->pl, p->pr, p->W); }

void fv_ref_max_pool2d_forward(float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *p)
{
    for (int64_t plane = 0; plane < p->N * p->C; plane++) {
        const float *x = inp + plane * p->H * p->W;
        for (int64_t oh = 0; oh < p->OH; oh++) {
            span r = row_span(p, oh);
            for (int64_t ow = 0; ow < p->OW; ow++) {
                span c = col_span(p, ow);
                float best = -INFINITY;
                int64_t at = -1;
                for (int64_t h = r.lo; h < r.hi; h++)
                    for (int64_t w = c.lo; w < c.hi; w++) {
                        float v = x[h * p->W + w];
                        if (at < 0 || v > best || isnan(v)) {
                            best = v;
                            at = h * p->W + w;
                            if (isnan(v)) goto done; /* NaN propagates: keep the first one */
                        }
                    }
            done:;
                int64_t o = (plane * p->OH + oh) * p->OW + ow;
                out[o] = best;
                argmax[o] = (int32_t)at;
            }
        }
    }
}

void fv_ref_max_pool2d_backward(float *dinp, const float *dout, const int32_t *argmax, const fv_ref_pool2d_geom *p)
{
    int64_t plane_out = p->OH * p->OW;
    for (int64_t plane = 0; plane < p->N * p->C; plane++)
        for (int64_t o = 0; o < plane_out; o++) {
            int32_t at = argmax[plane * plane_out + o];
            if (at >= 0) dinp[plane * p->H * p->W + at] += dout[plane * plane_out + o];
        }
}

/* The number the window's sum is divided by (0 only for an empty window, which the op's checks exclude). */
static int64_t divisor(span r, span c, bool count_include_pad)
{
    if (count_include_pad) return r.padded * c.padded;
    return (r.hi - r.lo) * (c.hi - c.lo);
}

void fv_ref_avg_pool2d_forward(float *out, const float *inp, const fv_ref_pool2d_geom *p, bool count_include_pad)
{
    for (int64_t plane = 0; plane < p->N * p->C; plane++) {
        const float *x = inp + plane * p->H * p->W;
        for (int64_t oh = 0; oh < p->OH; oh++) {
            span r = row_span(p, oh);
            for (int64_t ow = 0; ow < p->OW; ow++) {
                span c = col_span(p, ow);
                double acc = 0.0;
                for (int64_t h = r.lo; h < r.hi; h++)
                    for (int64_t w = c.lo; w < c.hi; w++) acc += x[h * p->W + w];
                int64_t d = divisor(r, c, count_include_pad);
                out[(plane * p->OH + oh) * p->OW + ow] = d > 0 ? (float)(acc / (double)d) : 0.0f;
            }
        }
    }
}

void fv_ref_avg_pool2d_backward(float *dinp, const float *dout, const fv_ref_pool2d_geom *p, bool count_include_pad)
{
    for (int64_t plane = 0; plane < p->N * p->C; plane++) {
        float *dx = dinp + plane * p->H * p->W;
        for (int64_t oh = 0; oh < p->OH; oh++) {
            span r = row_span(p, oh);
            for (int64_t ow = 0; ow < p->OW; ow++) {
                span c = col_span(p, ow);
                int64_t d = divisor(r, c, count_include_pad);
                if (d <= 0) continue;
                float g = (float)((double)dout[(plane * p->OH + oh) * p->OW + ow] / (double)d);
                for (int64_t h = r.lo; h < r.hi; h++)
                    for (int64_t w = c.lo; w < c.hi; w++) dx[h * p->W + w] += g;
            }
        }
    }
}

void fv_ref_global_avg_pool2d_forward(float *out, const float *inp, int64_t P, int64_t S)
{
    for (int64_t i = 0; i < P; i++) {
        double acc = 0.0;
        for (int64_t j = 0; j < S; j++) acc += inp[i * S + j];
        out[i] = (float)(acc / (double)S);
    }
}

void fv_ref_global_avg_pool2d_backward(float *dinp, const float *dout, int64_t P, int64_t S)
{
    for (int64_t i = 0; i < P; i++) {
        float g = (float)((double)dout[i] / (double)S);
        for (int64_t j = 0; j < S; j++) dinp[i * S + j] += g;
    }
}

void fv_ref_global_max_pool2d_forward(float *out, int32_t *argmax, const float *inp, int64_t P, int64_t S)
{
    for (int64_t i = 0; i < P; i++) {
        const float *x = inp + i * S;
        int64_t at = 0;
        for (int64_t j = 1; j < S && !isnan(x[at]); j++)
            if (x[j] > x[at] || isnan(x[j])) at = j;
        out[i] = x[at];
        argmax[i] = (int32_t)at;
    }
}

void fv_ref_global_max_pool2d_backward(float *dinp, const float *dout, const int32_t *argmax, int64_t P, int64_t S)
{
    for (int64_t i = 0; i < P; i++) dinp[i * S + argmax[i]] += dout[i];
}
