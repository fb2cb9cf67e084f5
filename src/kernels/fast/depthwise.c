/* Direct kernels for convolutions whose groups each read one input channel and write fewer than 4 (depthwise
 * convolutions, as in MobileNet and EfficientNet): their im2col products would be a row or two high, a poor fit
 * for the GEMM's register tiles. Work is split by planes (forward, input gradient) or output channels (weight
 * gradient), so every sum has one order whatever the number of threads. */
#include <stdlib.h>

#include "../../core/pool.h"
#include "conv_geom.h"
#include "depthwise.h"

/* out plane (OH, OW) += the taps of weight (KH, KW) over the input plane (H, W). Each output adds its taps in
 * (kh, kw) order. */
static void direct_forward_plane(float *out, const float *in, const float *w, const fv_conv_geom *g)
{
    for (int64_t kh = 0; kh < g->KH; kh++)
        for (int64_t kw = 0; kw < g->KW; kw++) {
            int64_t offh = kh * g->dh - g->pt, offw = kw * g->dw - g->pl, sw = g->sw;
            range rh = valid(offh, g->sh, g->H, g->OH), rw = valid(offw, sw, g->W, g->OW);
            float wk = w[kh * g->KW + kw];
            for (int64_t oh = rh.lo; oh < rh.hi; oh++) {
                float *o = out + oh * g->OW;
                const float *x = in + (oh * g->sh + offh) * g->W;
                if (sw == 1) { /* unit stride: contiguous, vectorizes */
#pragma omp simd
                    for (int64_t ow = rw.lo; ow < rw.hi; ow++) o[ow] += wk * x[ow + offw];
                    continue;
                }
                for (int64_t ow = rw.lo; ow < rw.hi; ow++) o[ow] += wk * x[ow * sw + offw];
            }
        }
}

/* din plane (H, W) += the adjoint of direct_forward_plane applied to dout plane (OH, OW). */
static void direct_backward_input_plane(float *din, const float *dout, const float *w, const fv_conv_geom *g)
{
    for (int64_t kh = 0; kh < g->KH; kh++)
        for (int64_t kw = 0; kw < g->KW; kw++) {
            int64_t offh = kh * g->dh - g->pt, offw = kw * g->dw - g->pl, sw = g->sw;
            range rh = valid(offh, g->sh, g->H, g->OH), rw = valid(offw, sw, g->W, g->OW);
            float wk = w[kh * g->KW + kw];
            for (int64_t oh = rh.lo; oh < rh.hi; oh++) {
                const float *dy = dout + oh * g->OW;
                float *dx = din + (oh * g->sh + offh) * g->W;
                if (sw == 1) {
#pragma omp simd
                    for (int64_t ow = rw.lo; ow < rw.hi; ow++) dx[ow + offw] += wk * dy[ow];
                    continue;
                }
                for (int64_t ow = rw.lo; ow < rw.hi; ow++) dx[ow * sw + offw] += wk * dy[ow];
            }
        }
}

/* acc[kh * KW + kw] += the weight gradient of one (dout, input) pair of planes, summed in double. */
static void direct_weight_plane(double *acc, const float *dout, const float *in, const fv_conv_geom *g)
{
    for (int64_t kh = 0; kh < g->KH; kh++)
        for (int64_t kw = 0; kw < g->KW; kw++) {
            int64_t offh = kh * g->dh - g->pt, offw = kw * g->dw - g->pl, sw = g->sw;
            range rh = valid(offh, g->sh, g->H, g->OH), rw = valid(offw, sw, g->W, g->OW);
            double s = 0.0;
            for (int64_t oh = rh.lo; oh < rh.hi; oh++) {
                const float *dy = dout + oh * g->OW, *x = in + (oh * g->sh + offh) * g->W;
                double r = 0.0; /* each row's sum: lanes in a fixed order for a given build */
                if (sw == 1) {
#pragma omp simd reduction(+ : r)
                    for (int64_t ow = rw.lo; ow < rw.hi; ow++) r += (double)dy[ow] * x[ow + offw];
                } else {
                    for (int64_t ow = rw.lo; ow < rw.hi; ow++) r += (double)dy[ow] * x[ow * sw + offw];
                }
                s += r;
            }
            acc[kh * g->KW + kw] += s;
        }
}

/* A depthwise convolution's operands as the threads' loop bodies see them. */
typedef struct {
    float *y;        /* the output written: out, dinp or dweight */
    const float *a;  /* inp (forward, weight gradient) or dout (input gradient) */
    const float *b;  /* weight, or dout for the weight gradient */
    const fv_conv_geom *g;
    double *acc;     /* weight gradient: per-tap sums */
} dw_job;

/* Output channel oc reads input channel oc / (OC / C). Planes are independent: one thread each. */
static void direct_forward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const dw_job *j = p;
    const fv_conv_geom *g = j->g;
    int64_t mult = g->OC / g->C;
    for (int64_t q = p0; q < p1; q++) {
        int64_t n = q / g->OC, oc = q % g->OC;
        direct_forward_plane(j->y + q * g->OH * g->OW, j->a + (n * g->C + oc / mult) * g->H * g->W,
                             j->b + oc * g->KH * g->KW, g);
    }
}

void fv_fast_depthwise_forward(int threads, float *out, const float *inp, const float *weight, const fv_conv_geom *g)
{
    dw_job j = {.y = out, .a = inp, .b = weight, .g = g};
    fv_parallel_for(threads, g->N * g->OC, 4, direct_forward_range, &j);
}

/* Input plane (n, c) gathers from its mult output channels, in channel order. */
static void direct_backward_input_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const dw_job *j = p;
    const fv_conv_geom *g = j->g;
    int64_t mult = g->OC / g->C;
    for (int64_t q = p0; q < p1; q++) {
        int64_t n = q / g->C, c = q % g->C;
        for (int64_t oc = c * mult; oc < (c + 1) * mult; oc++)
            direct_backward_input_plane(j->y + q * g->H * g->W, j->a + (n * g->OC + oc) * g->OH * g->OW,
                                        j->b + oc * g->KH * g->KW, g);
    }
}

void fv_fast_depthwise_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                  const fv_conv_geom *g)
{
    dw_job j = {.y = dinp, .a = dout, .b = weight, .g = g};
    fv_parallel_for(threads, g->N * g->C, 4, direct_backward_input_range, &j);
}

/* Each output channel's taps are summed over the images in order by one thread. */
static void direct_backward_weight_range(void *p, int64_t oc0, int64_t oc1, int worker)
{
    const dw_job *j = p;
    const fv_conv_geom *g = j->g;
    int64_t mult = g->OC / g->C, taps = g->KH * g->KW;
    for (int64_t oc = oc0; oc < oc1; oc++) {
        for (int64_t n = 0; n < g->N; n++)
            direct_weight_plane(j->acc + oc * taps, j->b + (n * g->OC + oc) * g->OH * g->OW,
                                j->a + (n * g->C + oc / mult) * g->H * g->W, g);
        for (int64_t t = 0; t < taps; t++) j->y[oc * taps + t] += (float)j->acc[oc * taps + t];
    }
}

bool fv_fast_depthwise_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                   const fv_conv_geom *g)
{
    double *acc = calloc((size_t)(g->OC * g->KH * g->KW), sizeof(double));
    if (!acc) return false;
    dw_job j = {.y = dweight, .a = inp, .b = dout, .g = g, .acc = acc};
    fv_parallel_for(threads, g->OC, 1, direct_backward_weight_range, &j);
    free(acc);
    return true;
}

