/* Fast 2-D convolution as matrix products: each image's receptive fields are unrolled into columns (im2col)
 * and multiplied by the weights with the fast GEMM; the input gradient multiplies back and folds the columns
 * onto the image (col2im). 1x1 convolutions with stride 1 and no padding skip the unrolling. Threads split the
 * batch (each image's output is computed by one thread) or, for small batches, the GEMM's tiles; the weight
 * gradient walks fixed chunks of images in order. Either way every sum has one order, whatever the threads. */
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "gemm.h"

#ifdef _OPENMP
#include <omp.h>
#define THREAD_NUM() omp_get_thread_num()
#else
#define THREAD_NUM() 0
#endif

#define WGRAD_CHUNK 8 /* images per weight-gradient product: fixed, so the sum order never depends on threads */

static bool pointwise(const fv_conv_geom *g)
{
    return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->OH == g->H &&
           g->OW == g->W;
}

/* col (Cg*KH*KW, P) with row stride ldcol from channels [c0, c0 + Cg) of one image (C, H, W). */
static void im2col(float *col, int64_t ldcol, const float *img, int64_t c0, int64_t Cg, const fv_conv_geom *g)
{
    for (int64_t c = 0; c < Cg; c++)
        for (int64_t kh = 0; kh < g->KH; kh++)
            for (int64_t kw = 0; kw < g->KW; kw++) {
                float *row = col + ((c * g->KH + kh) * g->KW + kw) * ldcol;
                const float *plane = img + (c0 + c) * g->H * g->W;
                for (int64_t oh = 0; oh < g->OH; oh++) {
                    int64_t ih = oh * g->sh - g->pt + kh * g->dh;
                    float *dst = row + oh * g->OW;
                    if (ih < 0 || ih >= g->H) {
                        memset(dst, 0, (size_t)g->OW * sizeof(float));
                        continue;
                    }
                    const float *src = plane + ih * g->W;
                    for (int64_t ow = 0; ow < g->OW; ow++) {
                        int64_t iw = ow * g->sw - g->pl + kw * g->dw;
                        dst[ow] = iw >= 0 && iw < g->W ? src[iw] : 0.0f;
                    }
                }
            }
}

/* img (C, H, W) channels [c0, c0 + Cg) += col folded back (the adjoint of im2col). */
static void col2im_add(float *img, const float *col, int64_t c0, int64_t Cg, const fv_conv_geom *g)
{
    int64_t P = g->OH * g->OW;
    for (int64_t c = 0; c < Cg; c++)
        for (int64_t kh = 0; kh < g->KH; kh++)
            for (int64_t kw = 0; kw < g->KW; kw++) {
                const float *row = col + ((c * g->KH + kh) * g->KW + kw) * P;
                float *plane = img + (c0 + c) * g->H * g->W;
                for (int64_t oh = 0; oh < g->OH; oh++) {
                    int64_t ih = oh * g->sh - g->pt + kh * g->dh;
                    if (ih < 0 || ih >= g->H) continue;
                    float *dst = plane + ih * g->W;
                    const float *src = row + oh * g->OW;
                    for (int64_t ow = 0; ow < g->OW; ow++) {
                        int64_t iw = ow * g->sw - g->pl + kw * g->dw;
                        if (iw >= 0 && iw < g->W) dst[iw] += src[ow];
                    }
                }
            }
}

/* Threads over images when there are enough of them, else inside each product. */
static void split_threads(int threads, int64_t N, int *outer, int *inner)
{
    *outer = N >= threads ? threads : 1;
    *inner = N >= threads ? 1 : threads;
}

bool fv_fast_conv2d_forward_add(int threads, float *out, const float *inp, const float *weight, const fv_conv_geom *g)
{
    int64_t G = g->groups, Cg = g->C / G, OCg = g->OC / G, Kg = Cg * g->KH * g->KW, P = g->OH * g->OW;
    bool direct = pointwise(g);
    int outer, inner;
    split_threads(threads, g->N, &outer, &inner);
    float *cols = direct ? NULL : malloc((size_t)(outer * Kg * P) * sizeof(float));
    if (!direct && !cols) return false;
#pragma omp parallel for num_threads(outer) schedule(static) if (outer > 1)
    for (int64_t n = 0; n < g->N; n++) {
        int t = THREAD_NUM();
        float *col = direct ? NULL : cols + (int64_t)t * Kg * P;
        const float *img = inp + n * g->C * g->H * g->W;
        for (int64_t gi = 0; gi < G; gi++) {
            const float *b = direct ? img + gi * Cg * P : col;
            if (!direct) im2col(col, P, img, gi * Cg, Cg, g);
            fv_gemm(inner, false, false, OCg, P, Kg, weight + gi * OCg * Kg, Kg, b, P, 1.0f,
                         out + (n * g->OC + gi * OCg) * P, P);
        }
    }
    free(cols);
    return true;
}

bool fv_fast_conv2d_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                   const fv_conv_geom *g)
{
    int64_t G = g->groups, Cg = g->C / G, OCg = g->OC / G, Kg = Cg * g->KH * g->KW, P = g->OH * g->OW;
    bool direct = pointwise(g);
    int outer, inner;
    split_threads(threads, g->N, &outer, &inner);
    float *cols = direct ? NULL : malloc((size_t)(outer * Kg * P) * sizeof(float));
    if (!direct && !cols) return false;
#pragma omp parallel for num_threads(outer) schedule(static) if (outer > 1)
    for (int64_t n = 0; n < g->N; n++) {
        int t = THREAD_NUM();
        float *col = direct ? NULL : cols + (int64_t)t * Kg * P;
        float *img = dinp + n * g->C * g->H * g->W;
        for (int64_t gi = 0; gi < G; gi++) {
            const float *w = weight + gi * OCg * Kg, *dy = dout + (n * g->OC + gi * OCg) * P;
            if (direct) {
                fv_gemm(inner, true, false, Kg, P, OCg, w, Kg, dy, P, 1.0f, img + gi * Cg * P, P);
                continue;
            }
            fv_gemm(inner, true, false, Kg, P, OCg, w, Kg, dy, P, 0.0f, col, P);
            col2im_add(img, col, gi * Cg, Cg, g);
        }
    }
    free(cols);
    return true;
}

/* The weight gradient of images [n0, n0 + cn) and group gi into part (OCg, Kg), overwritten. col and dy are
 * scratch of Kg x cn*P and OCg x cn*P. */
static void wgrad_chunk(float *part, float *col, float *dy, const float *dout, const float *inp, int64_t n0, int64_t cn,
                        int64_t gi, const fv_conv_geom *g)
{
    int64_t G = g->groups, Cg = g->C / G, OCg = g->OC / G, Kg = Cg * g->KH * g->KW, P = g->OH * g->OW, w = cn * P;
    for (int64_t i = 0; i < cn; i++) {
        const float *img = inp + (n0 + i) * g->C * g->H * g->W;
        if (pointwise(g))
            for (int64_t k = 0; k < Kg; k++) memcpy(col + k * w + i * P, img + (gi * Cg + k) * P, (size_t)P * sizeof(float));
        else
            im2col(col + i * P, w, img, gi * Cg, Cg, g);
        for (int64_t o = 0; o < OCg; o++)
            memcpy(dy + o * w + i * P, dout + ((n0 + i) * g->OC + gi * OCg + o) * P, (size_t)P * sizeof(float));
    }
    fv_gemm(1, false, true, OCg, Kg, w, dy, w, col, w, 0.0f, part, Kg);
}

bool fv_fast_conv2d_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    int64_t G = g->groups, OCg = g->OC / G, Kg = g->C / G * g->KH * g->KW, P = g->OH * g->OW;
    int64_t chunk = g->N < WGRAD_CHUNK ? g->N : WGRAD_CHUNK, n_chunks = (g->N + chunk - 1) / chunk;
    int64_t wsize = g->OC * Kg; /* the whole weight: G groups of OCg x Kg */
    int outer = n_chunks < threads ? (int)n_chunks : threads;
    /* Each chunk of images gets its own partial gradient, summed below in chunk order: the same sums in the
     * same order for any number of threads. */
    float *parts = malloc((size_t)(n_chunks * wsize) * sizeof(float));
    float *scratch = malloc((size_t)(outer * (Kg + OCg) * chunk * P) * sizeof(float));
    if (!parts || !scratch) {
        free(parts), free(scratch);
        return false;
    }
#pragma omp parallel for num_threads(outer) schedule(static) if (outer > 1)
    for (int64_t c = 0; c < n_chunks; c++) {
        float *col = scratch + (int64_t)THREAD_NUM() * (Kg + OCg) * chunk * P, *dy = col + Kg * chunk * P;
        int64_t n0 = c * chunk, cn = g->N - n0 < chunk ? g->N - n0 : chunk;
        for (int64_t gi = 0; gi < G; gi++) wgrad_chunk(parts + c * wsize + gi * OCg * Kg, col, dy, dout, inp, n0, cn, gi, g);
    }
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && wsize > 65536)
    for (int64_t i = 0; i < wsize; i++) {
        float s = dweight[i];
        for (int64_t c = 0; c < n_chunks; c++) s += parts[c * wsize + i];
        dweight[i] = s;
    }
    free(parts), free(scratch);
    return true;
}
