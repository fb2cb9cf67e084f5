/* Reference 2-D convolution kernels: direct loops in gather form (each output element is one sum, kept in
 * double), so that they are easy to check and can serve as the oracle for faster kernels. */
#include "conv.h"

#include "../clamp.h"

/* A product and a sum, two roundings (ISO C mode does not contract them): the fast packing does the same. */
void fv_ref_conv_affine_apply(float *y, const float *x, const fv_conv_affine *a, int64_t N, int64_t C, int64_t HW)
{
    for (int64_t q = 0; q < N * C; q++) {
        float s = a->scale[q % C], t = a->shift[q % C];
        const float *xp = x + q * HW;
        float *yp = y + q * HW;
        for (int64_t i = 0; i < HW; i++) yp[i] = a->hi > 0.0f ? fv_clamp0(xp[i] * s + t, a->hi) : xp[i] * s + t;
    }
}

void fv_ref_conv2d_fill_bias(float *out, const float *bias, int64_t N, int64_t C, int64_t HW)
{
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            float v = bias ? bias[c] : 0.0f;
            float *o = out + (n * C + c) * HW;
            for (int64_t i = 0; i < HW; i++) o[i] = v;
        }
}

/* One output element: the sum over the group's input channels and the kernel window. */
static double conv_at(const float *inp, const float *weight, const fv_conv_geom *g, int64_t n, int64_t oc,
                      int64_t oh, int64_t ow)
{
    int64_t Cg = g->C / g->groups, OCg = g->OC / g->groups, c0 = oc / OCg * Cg;
    double acc = 0.0;
    for (int64_t ci = 0; ci < Cg; ci++) {
        const float *x = inp + (n * g->C + c0 + ci) * g->H * g->W;
        const float *w = weight + (oc * Cg + ci) * g->KH * g->KW;
        for (int64_t kh = 0; kh < g->KH; kh++) {
            int64_t h = oh * g->sh - g->pt + kh * g->dh;
            if (h < 0 || h >= g->H) continue;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                int64_t col = ow * g->sw - g->pl + kw * g->dw;
                if (col < 0 || col >= g->W) continue;
                acc += (double)x[h * g->W + col] * w[kh * g->KW + kw];
            }
        }
    }
    return acc;
}

void fv_ref_conv2d_forward_add(float *out, const float *inp, const float *weight, const fv_conv_geom *g)
{
    for (int64_t n = 0; n < g->N; n++)
        for (int64_t oc = 0; oc < g->OC; oc++)
            for (int64_t oh = 0; oh < g->OH; oh++)
                for (int64_t ow = 0; ow < g->OW; ow++) {
                    float *o = out + ((n * g->OC + oc) * g->OH + oh) * g->OW + ow;
                    *o = (float)(*o + conv_at(inp, weight, g, n, oc, oh, ow));
                }
}

/* The output index that reads input index i through kernel tap k, or -1 when none does:
 * i = o*stride - pad + k*dilation must hold for an integer o in [0, osize). */
static int64_t reader(int64_t i, int64_t k, int64_t stride, int64_t pad, int64_t dil, int64_t osize)
{
    int64_t t = i + pad - k * dil;
    if (t < 0 || t % stride) return -1;
    return t / stride < osize ? t / stride : -1;
}

/* One input-gradient element: the sum over every output element that read input (n, c, h, w). */
static double dinput_at(const float *dout, const float *weight, const fv_conv_geom *g, int64_t n, int64_t c,
                        int64_t h, int64_t w)
{
    int64_t Cg = g->C / g->groups, OCg = g->OC / g->groups, oc0 = c / Cg * OCg, ci = c % Cg;
    double acc = 0.0;
    for (int64_t oc = oc0; oc < oc0 + OCg; oc++) {
        const float *dy = dout + (n * g->OC + oc) * g->OH * g->OW;
        const float *wk = weight + (oc * Cg + ci) * g->KH * g->KW;
        for (int64_t kh = 0; kh < g->KH; kh++) {
            int64_t oh = reader(h, kh, g->sh, g->pt, g->dh, g->OH);
            if (oh < 0) continue;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                int64_t ow = reader(w, kw, g->sw, g->pl, g->dw, g->OW);
                if (ow < 0) continue;
                acc += (double)dy[oh * g->OW + ow] * wk[kh * g->KW + kw];
            }
        }
    }
    return acc;
}

void fv_ref_conv2d_backward_input(float *dinp, const float *dout, const float *weight, const fv_conv_geom *g)
{
    for (int64_t n = 0; n < g->N; n++)
        for (int64_t c = 0; c < g->C; c++)
            for (int64_t h = 0; h < g->H; h++)
                for (int64_t w = 0; w < g->W; w++) {
                    float *d = dinp + ((n * g->C + c) * g->H + h) * g->W + w;
                    *d = (float)(*d + dinput_at(dout, weight, g, n, c, h, w));
                }
}

/* One weight-gradient element: the sum over samples and output pixels of dout times the input it read. */
static double dweight_at(const float *dout, const float *inp, const fv_conv_geom *g, int64_t oc, int64_t ci,
                         int64_t kh, int64_t kw)
{
    int64_t Cg = g->C / g->groups, OCg = g->OC / g->groups, c = oc / OCg * Cg + ci;
    double acc = 0.0;
    for (int64_t n = 0; n < g->N; n++) {
        const float *dy = dout + (n * g->OC + oc) * g->OH * g->OW;
        const float *x = inp + (n * g->C + c) * g->H * g->W;
        for (int64_t oh = 0; oh < g->OH; oh++) {
            int64_t h = oh * g->sh - g->pt + kh * g->dh;
            if (h < 0 || h >= g->H) continue;
            for (int64_t ow = 0; ow < g->OW; ow++) {
                int64_t col = ow * g->sw - g->pl + kw * g->dw;
                if (col < 0 || col >= g->W) continue;
                acc += (double)dy[oh * g->OW + ow] * x[h * g->W + col];
            }
        }
    }
    return acc;
}

void fv_ref_conv2d_backward_weight(float *dweight, const float *dout, const float *inp, const fv_conv_geom *g)
{
    int64_t Cg = g->C / g->groups;
    for (int64_t oc = 0; oc < g->OC; oc++)
        for (int64_t ci = 0; ci < Cg; ci++)
            for (int64_t kh = 0; kh < g->KH; kh++)
                for (int64_t kw = 0; kw < g->KW; kw++) {
                    float *d = dweight + ((oc * Cg + ci) * g->KH + kh) * g->KW + kw;
                    *d = (float)(*d + dweight_at(dout, inp, g, oc, ci, kh, kw));
                }
}

void fv_ref_conv2d_backward_bias(float *dbias, const float *dout, int64_t N, int64_t C, int64_t HW)
{
    for (int64_t c = 0; c < C; c++) {
        double acc = 0.0;
        for (int64_t n = 0; n < N; n++) {
            const float *dy = dout + (n * C + c) * HW;
            for (int64_t i = 0; i < HW; i++) acc += dy[i];
        }
        dbias[c] += (float)acc;
    }
}
