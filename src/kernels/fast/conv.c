/* Fast 2-D convolution as matrix products: each image's receptive fields are unrolled into columns (im2col)
 * and multiplied by the weights with the fast GEMM; the input gradient multiplies back and folds the columns
 * onto the image (col2im). 1x1 convolutions with stride 1 and no padding skip the unrolling; depthwise
 * convolutions run a direct kernel instead, since their products would be a row high. Threads split the batch
 * (each image's output is computed by one thread) or, for small batches and big images, the GEMM's tiles; the
 * weight gradient walks fixed chunks of images and adds them in chunk order. Either way every sum has one
 * order, whatever the number of threads. */
#include <stdlib.h>
#include <string.h>

#include "../../core/pool.h"
#include "../../core/scratch.h"
#include "conv.h"
#include "conv_cache.h"
#include "conv_direct.h"
#include "threaded.h"
#include "conv_patch2.h"
#include "partials.h"
#include "conv_geom.h"
#include "conv_pack.h"
#include "depthwise.h"
#include "gemm.h"
#include "gemm_dot.h"
#include "winograd.h"

/* Buffers kept from one call to the next (core/scratch.h): planes of a product over several images, unrolled
 * columns (the input gradient's, or the weight gradient's chunks), the weight gradient's partials. */
static fv_scratch_slot spare_planes, spare_cols, spare_parts;

/* Images per weight-gradient product: up to 8, fewer where an image has many pixels, so that the unrolled
 * chunk stays near WGRAD_COLUMNS columns; but on small maps as many as give WGRAD_DEPTH columns, since each
 * chunk's product is summed into a partial gradient of the whole weight, and on the 1x1 and 2x2 maps at the
 * end of a network, chunks of 8 images would make many small products and many large partials to add up.
 * A function of the geometry alone: the sum order never depends on the thread count. */
#define WGRAD_CHUNK 8
#define WGRAD_COLUMNS 65536
#define WGRAD_DEPTH 1024

static bool pointwise(const fv_conv_geom *g)
{
    return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->OH == g->H &&
           g->OW == g->W;
}

/* Each group reads one input channel and writes fewer than 4: depthwise convolutions. Their GEMMs would be
 * a row or two high, a poor fit for register tiles, so they are computed directly. (A single-channel input
 * with many filters, as in a first layer, is a real product and stays with the GEMM.) */
static bool one_channel_groups(const fv_conv_geom *g) { return g->C == g->groups && g->OC / g->groups < 4; }

/* One row of taps: dst[ow] = src[ow * sw + off] where that lies in the row, else 0. Rows are short (tens of
 * floats), so plain loops beat calls to memcpy and memset. */
static void gather_row(float *dst, const float *src, range r, int64_t off, const fv_conv_geom *g)
{
    int64_t sw = g->sw;
    for (int64_t ow = 0; ow < r.lo; ow++) dst[ow] = 0.0f;
    if (sw == 1) {
#pragma omp simd
        for (int64_t ow = r.lo; ow < r.hi; ow++) dst[ow] = src[ow + off];
    } else {
        for (int64_t ow = r.lo; ow < r.hi; ow++) dst[ow] = src[ow * sw + off];
    }
    for (int64_t ow = r.hi; ow < g->OW; ow++) dst[ow] = 0.0f;
}

/* col (Cg*KH*KW, P) with row stride ldcol from channels [c0, c0 + Cg) of one image (C, H, W). */
static void im2col(float *col, int64_t ldcol, const float *img, int64_t c0, int64_t Cg, const fv_conv_geom *g)
{
    for (int64_t c = 0; c < Cg; c++)
        for (int64_t kh = 0; kh < g->KH; kh++)
            for (int64_t kw = 0; kw < g->KW; kw++) {
                float *row = col + ((c * g->KH + kh) * g->KW + kw) * ldcol;
                const float *plane = img + (c0 + c) * g->H * g->W;
                int64_t offh = kh * g->dh - g->pt, offw = kw * g->dw - g->pl;
                range rh = valid(offh, g->sh, g->H, g->OH), rw = valid(offw, g->sw, g->W, g->OW);
                for (int64_t i = 0; i < rh.lo * g->OW; i++) row[i] = 0.0f;
                for (int64_t oh = rh.lo; oh < rh.hi; oh++)
                    gather_row(row + oh * g->OW, plane + (oh * g->sh + offh) * g->W, rw, offw, g);
                for (int64_t i = rh.hi * g->OW; i < g->OH * g->OW; i++) row[i] = 0.0f;
            }
}

/* img (C, H, W) channels [c0, c0 + Cg) += col (rows ldcol apart) folded back (the adjoint of im2col). */
static void col2im_add(float *img, const float *col, int64_t ldcol, int64_t c0, int64_t Cg, const fv_conv_geom *g)
{
    for (int64_t c = 0; c < Cg; c++)
        for (int64_t kh = 0; kh < g->KH; kh++)
            for (int64_t kw = 0; kw < g->KW; kw++) {
                const float *row = col + ((c * g->KH + kh) * g->KW + kw) * ldcol;
                float *plane = img + (c0 + c) * g->H * g->W;
                int64_t offh = kh * g->dh - g->pt, offw = kw * g->dw - g->pl, sw = g->sw;
                range rh = valid(offh, g->sh, g->H, g->OH), rw = valid(offw, sw, g->W, g->OW);
                for (int64_t oh = rh.lo; oh < rh.hi; oh++) {
                    float *dst = plane + (oh * g->sh + offh) * g->W;
                    const float *src = row + oh * g->OW;
#pragma omp simd
                    for (int64_t ow = rw.lo; ow < rw.hi; ow++) dst[ow * sw + offw] += src[ow];
                }
            }
}

/* ---- implicit im2col + GEMM ------------------------------------------------------------------------- */

/* Images per product: one where an image's output has enough positions to fill a product by itself, else
 * enough images side by side for COLS_MIN columns and FLOPS_MIN work, within COLS_MAX columns. Each column of
 * a product is summed on its own (in tap order), so this grouping changes no result: it only amortizes the
 * packing of the weights and gives the threads enough tiles to share. */
#define COLS_MIN 1024
#define COLS_MAX 16384
#define FLOPS_MIN 8e6

static int64_t images_per_product(const fv_conv_geom *g, int64_t rows, int64_t depth)
{
    int64_t P = g->OH * g->OW, cn = 1;
    while (cn < g->N && (cn + 1) * P <= COLS_MAX &&
           (cn * P < COLS_MIN || 2.0 * (double)(rows * depth) * (double)(cn * P) < FLOPS_MIN))
        cn++;
    return cn;
}

/* rows x (cn * P) at tmp <-> rows of P at out (channels [c0, c0 + rows) of images [n0, n0 + cn) of a tensor
 * with C channels): the layout of a product over several images against the tensor's. */
static void gather_planes(float *tmp, const float *t, int64_t n0, int64_t cn, int64_t c0, int64_t rows, int64_t C,
                          int64_t P)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < cn; i++)
            memcpy(tmp + (r * cn + i) * P, t + ((n0 + i) * C + c0 + r) * P, (size_t)P * sizeof(float));
}

static void scatter_planes(float *t, const float *tmp, int64_t n0, int64_t cn, int64_t c0, int64_t rows, int64_t C,
                           int64_t P)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < cn; i++)
            memcpy(t + ((n0 + i) * C + c0 + r) * P, tmp + (r * cn + i) * P, (size_t)P * sizeof(float));
}

/* out = clamp(bias + conv(inp, weight)) (bias NULL: 0; clamp_hi 0: no clamp), or out += conv when add. pre
 * (pointwise convolutions only; NULL: none) maps inp as it is packed. */
static bool gemm_forward(int threads, float *out, const float *inp, const fv_conv_affine *pre, const float *weight,
                         const float *bias, float clamp_hi, bool add, const fv_conv_geom *g, fv_conv_cache **cache)
{
    if (!pre && fv_direct_conv_applies(g) &&
        fv_direct_conv_forward(threads, out, inp, weight, bias, clamp_hi, add, g))
        return true;
    if (!pre && fv_winograd_applies(g) &&
        fv_winograd_forward(threads, out, inp, weight, bias, clamp_hi, add, g, cache))
        return true;
    if (!pre && fv_patch2_conv_applies(g) && fv_patch2_conv_forward(threads, out, inp, weight, bias, clamp_hi, add, g))
        return true;
    int64_t G = g->groups, Cg = g->C / G, OCg = g->OC / G, Kg = Cg * g->KH * g->KW, P = g->OH * g->OW;
    int64_t cn = images_per_product(g, OCg, Kg);
    float *tmp = cn > 1 ? fv_scratch_take(&spare_planes, (size_t)(OCg * cn * P) * sizeof(float)) : NULL;
    if (cn > 1 && !tmp) return false;
    bool ok = true;
    for (int64_t n0 = 0; ok && n0 < g->N; n0 += cn) {
        int64_t m = g->N - n0 < cn ? g->N - n0 : cn;
        for (int64_t gi = 0; ok && gi < G; gi++) {
            fv_conv_cols src = {inp, g, n0, gi * Cg, pre};
            float *y = out + (n0 * g->OC + gi * OCg) * P;
            if (m > 1 && add) gather_planes(tmp, out, n0, m, gi * OCg, OCg, g->OC, P);
            fv_gemm_op op = {.M = OCg, .N = m * P, .K = Kg, .alpha = 1.0f, .beta = add ? 1.0f : 0.0f,
                             .A = weight + gi * OCg * Kg, .lda = Kg, .C = m > 1 ? tmp : y, .ldc = m > 1 ? m * P : P,
                             .pack_b = fv_conv_pack_im2col, .b_src = &src,
                             .row_init = add || !bias ? NULL : bias + gi * OCg, .clamp_hi = add ? 0.0f : clamp_hi,
                             .a_packed = cache ? fv_conv_cache_group(cache, threads, weight, gi, G, OCg, Kg) : NULL};
            if (pre) /* the planes mapped as they are packed */
                op.pack_b = fv_conv_pack_pointwise_affine;
            else if (pointwise(g) && m == 1) /* B is the image's planes as they are: the GEMM packs or reads in place */
                op.pack_b = NULL, op.B = inp + (n0 * g->C + gi * Cg) * P, op.ldb = P;
            ok = fv_gemm_run(threads, &op);
            if (ok && m > 1) scatter_planes(out, tmp, n0, m, gi * OCg, OCg, g->OC, P);
        }
    }
    fv_scratch_give(&spare_planes, tmp);
    return ok;
}

static bool forward_add_all(int threads, float *out, const float *inp, const float *weight, const fv_conv_geom *g)
{
    if (one_channel_groups(g)) {
        fv_fast_depthwise_forward(threads, out, inp, weight, g);
        return true;
    }
    return gemm_forward(threads, out, inp, NULL, weight, NULL, 0.0f, true, g, NULL);
}

static bool forward_all(int threads, float *out, const float *inp, const float *weight, const float *bias,
                        float clamp_hi, const fv_conv_geom *g, fv_conv_cache **cache)
{
    if (!one_channel_groups(g)) return gemm_forward(threads, out, inp, NULL, weight, bias, clamp_hi, false, g, cache);
    fv_fast_depthwise_forward_fused(threads, out, inp, weight, bias, clamp_hi, g);
    return true;
}

/* Planes [q0, q1) of images [n0, n0 + m), group gi: dcol's rows added onto dinp (plane q: image q / Cg,
 * channel q % Cg of the group). Each plane is one worker's, its adds in one order. */
typedef struct {
    float *dinp;
    const float *dcol;
    const fv_conv_geom *g;
    int64_t n0, m, gi;
} fold_job;

static void fold_planes(void *p, int64_t q0, int64_t q1, int worker)
{
    const fold_job *f = p;
    const fv_conv_geom *g = f->g;
    int64_t Cg = g->C / g->groups, P = g->OH * g->OW, taps = g->KH * g->KW, ld = f->m * P;
    (void)worker;
    for (int64_t q = q0; q < q1; q++) {
        int64_t i = q / Cg, k = q % Cg;
        float *img = f->dinp + (f->n0 + i) * g->C * g->H * g->W;
        const float *col = f->dcol + k * taps * ld + i * P;
        if (!pointwise(g)) {
            col2im_add(img, col, ld, f->gi * Cg + k, 1, g);
            continue;
        }
        float *d = img + (f->gi * Cg + k) * P;
#pragma omp simd
        for (int64_t x = 0; x < P; x++) d[x] += col[x];
    }
}

/* The input gradient of images [n0, n0 + m) and group gi: the weights' transpose times dout's columns, into
 * dinp directly (pointwise, one image) or into dcol (Kg x m*P) and then folded back onto each image. */
static bool backward_input_product(int threads, float *dinp, float *dcol, const float *dout, const float *weight,
                                   int64_t n0, int64_t m, int64_t gi, const fv_conv_geom *g)
{
    int64_t G = g->groups, Cg = g->C / G, OCg = g->OC / G, Kg = Cg * g->KH * g->KW, P = g->OH * g->OW;
    fv_conv_cols src = {dout, g, n0, gi * OCg, NULL};
    bool into_dinp = pointwise(g) && m == 1;
    fv_gemm_op op = {.M = Kg, .N = m * P, .K = OCg, .alpha = 1.0f, .beta = into_dinp ? 1.0f : 0.0f, .ta = true,
                     .A = weight + gi * OCg * Kg, .lda = Kg,
                     .C = into_dinp ? dinp + (n0 * g->C + gi * Cg) * P : dcol, .ldc = into_dinp ? P : m * P};
    if (m > 1) {
        op.pack_b = fv_conv_pack_planes, op.b_src = &src;
    } else {
        op.B = dout + (n0 * g->OC + gi * OCg) * P, op.ldb = P;
    }
    if (!fv_gemm_run(threads, &op)) return false;
    if (into_dinp) return true;
    fold_job f = {dinp, dcol, g, n0, m, gi};
    /* the planes to the threads (a transposed convolution's whole output passes through here) */
    fv_parallel_for(m * Cg * g->H * g->W >= 65536 ? threads : 1, m * Cg, 1, fold_planes, &f);
    return true;
}

/* dinp += the input gradient, or = it when assign: the direct paths store their tiles; the others add, onto
 * zeros then. */
static bool backward_input_all(int threads, float *dinp, const float *dout, const float *weight, bool assign,
                               const fv_conv_geom *g)
{
    if (!one_channel_groups(g)) {
        if (fv_direct_conv_backward_input_applies(g) &&
            fv_direct_conv_backward_input(threads, dinp, dout, weight, !assign, g))
            return true;
        if (fv_patch2_conv_applies(g) && fv_patch2_conv_backward_input(threads, dinp, dout, weight, !assign, g))
            return true;
    }
    if (assign) fv_fast_zero(threads, dinp, g->N * g->C * g->H * g->W);
    if (one_channel_groups(g)) {
        fv_fast_depthwise_backward_input(threads, dinp, dout, weight, g);
        return true;
    }
    if (fv_winograd_backward_input_applies(g) && fv_winograd_backward_input(threads, dinp, dout, weight, g))
        return true;
    int64_t G = g->groups, Cg = g->C / G, OCg = g->OC / G, Kg = Cg * g->KH * g->KW, P = g->OH * g->OW;
    int64_t cn = images_per_product(g, Kg, OCg);
    float *dcol = pointwise(g) && cn == 1 ? NULL : fv_scratch_take(&spare_cols, (size_t)(Kg * cn * P) * sizeof(float));
    if (!dcol && !(pointwise(g) && cn == 1)) return false;
    bool ok = true;
    for (int64_t n0 = 0; ok && n0 < g->N; n0 += cn)
        for (int64_t gi = 0; ok && gi < G; gi++)
            ok = backward_input_product(threads, dinp, dcol, dout, weight, n0, g->N - n0 < cn ? g->N - n0 : cn, gi, g);
    fv_scratch_give(&spare_cols, dcol);
    return ok;
}

/* The weight gradient of images [n0, n0 + cn) and group gi into part (OCg, Kg), overwritten. col and dy are
 * scratch of Kg x cn*P and OCg x cn*P. */
static void wgrad_chunk(int threads, float *part, float *col, float *dy, const float *dout, const float *inp,
                        int64_t n0, int64_t cn, int64_t gi, const fv_conv_geom *g)
{
    int64_t G = g->groups, Cg = g->C / G, OCg = g->OC / G, Kg = Cg * g->KH * g->KW, P = g->OH * g->OW, w = cn * P;
    for (int64_t i = 0; i < cn; i++) {
        const float *img = inp + (n0 + i) * g->C * g->H * g->W;
        if (pointwise(g))
            for (int64_t k = 0; k < Kg; k++)
                memcpy(col + k * w + i * P, img + (gi * Cg + k) * P, (size_t)P * sizeof(float));
        else
            im2col(col + i * P, w, img, gi * Cg, Cg, g);
        for (int64_t o = 0; o < OCg; o++)
            memcpy(dy + o * w + i * P, dout + ((n0 + i) * g->OC + gi * OCg + o) * P, (size_t)P * sizeof(float));
    }
    if (!fv_gemm_dot(threads, OCg, Kg, w, 1.0f, dy, w, col, w, 0.0f, part, Kg)) /* few channels: lane sums */
        fv_gemm(threads, false, true, OCg, Kg, w, 1.0f, dy, w, col, w, 0.0f, part, Kg);
}

/* One wave of the weight gradient: chunks [c0, c0 + cw) into parts, then added to dweight in chunk order. */
typedef struct {
    float *dweight, *parts, *scratch;
    const float *dout, *inp;
    const fv_conv_geom *g;
    int64_t chunk, c0, cw, wsize;
    int inner;
} wgrad_job;

static void wgrad_chunks(void *p, int64_t k0, int64_t k1, int worker)
{
    const wgrad_job *j = p;
    const fv_conv_geom *g = j->g;
    int64_t G = g->groups, OCg = g->OC / G, Kg = g->C / G * g->KH * g->KW, P = g->OH * g->OW, chunk = j->chunk;
    float *col = j->scratch + (int64_t)worker * (Kg + OCg) * chunk * P, *dy = col + Kg * chunk * P;
    for (int64_t k = k0; k < k1; k++) {
        int64_t n0 = (j->c0 + k) * chunk, cn = g->N - n0 < chunk ? g->N - n0 : chunk;
        for (int64_t gi = 0; gi < G; gi++)
            wgrad_chunk(j->inner, j->parts + k * j->wsize + gi * OCg * Kg, col, dy, j->dout, j->inp, n0, cn, gi, g);
    }
}

static bool backward_weight_all(int threads, float *dweight, const float *dout, const float *inp,
                                const fv_conv_geom *g)
{
    if (one_channel_groups(g)) return fv_fast_depthwise_backward_weight(threads, dweight, dout, inp, g);
    if (fv_direct_conv_backward_weight_applies(g) && fv_direct_conv_backward_weight(threads, dweight, dout, inp, g)) return true;
    if (fv_patch2_conv_backward_weight_applies(g) && fv_patch2_conv_backward_weight(threads, dweight, dout, inp, g))
        return true;
    if (fv_winograd_applies(g) && fv_winograd_backward_weight(threads, dweight, dout, inp, g)) return true;
    int64_t G = g->groups, OCg = g->OC / G, Kg = g->C / G * g->KH * g->KW, P = g->OH * g->OW;
    int64_t chunk = WGRAD_COLUMNS / P < WGRAD_CHUNK ? WGRAD_COLUMNS / P : WGRAD_CHUNK;
    if (chunk * P < WGRAD_DEPTH) chunk = (WGRAD_DEPTH + P - 1) / P;
    chunk = chunk < 1 ? 1 : chunk > g->N ? g->N : chunk;
    int64_t n_chunks = (g->N + chunk - 1) / chunk;
    int64_t wsize = g->OC * Kg; /* the whole weight: G groups of OCg x Kg */
    int outer = n_chunks < threads ? (int)n_chunks : threads, inner = outer > 1 ? 1 : threads;
    /* Chunks are computed a wave at a time, each into its own partial gradient, and the partials are added to
     * dweight in chunk order: dweight + part0 + part1 + ..., the same float sums for any number of threads,
     * with memory for one wave only. */
    int64_t wave = n_chunks < 2 * outer ? n_chunks : 2 * outer;
    float *parts = fv_scratch_take(&spare_parts, (size_t)(wave * wsize) * sizeof(float));
    float *scratch = fv_scratch_take(&spare_cols, (size_t)(outer * (Kg + OCg) * chunk * P) * sizeof(float));
    if (!parts || !scratch) {
        fv_scratch_give(&spare_parts, parts), fv_scratch_give(&spare_cols, scratch);
        return false;
    }
    wgrad_job j = {dweight, parts, scratch, dout, inp, g, chunk, 0, 0, wsize, inner};
    for (j.c0 = 0; j.c0 < n_chunks; j.c0 += wave) {
        j.cw = n_chunks - j.c0 < wave ? n_chunks - j.c0 : wave;
        fv_parallel_for(outer, j.cw, 1, wgrad_chunks, &j);
        fv_add_partials(threads, j.dweight, j.parts, j.cw, wsize);
    }
    fv_scratch_give(&spare_parts, parts), fv_scratch_give(&spare_cols, scratch);
    return true;
}

/* ---- taps that only read padding ---------------------------------------------------------------------- */

/* On small maps some taps never reach the input for any output: a 3x3 kernel with padding 1 over a 1x1 map
 * reads only padding except at its centre. Such taps multiply zeros (and their weights' gradient is zero), so
 * the convolution is computed with the kernel cut down to the live taps: 9x less work on the 1x1 maps at the
 * end of a ResNet on 32x32 images. The entry points below cut the kernel when that removes taps. */

/* The live taps [k0, k1) of one axis: those that some output reaches inside the input. */
static void live_taps(int64_t K, int64_t d, int64_t s, int64_t pad, int64_t in, int64_t out, int64_t *k0, int64_t *k1)
{
    *k0 = K, *k1 = 0;
    for (int64_t k = 0; k < K; k++) {
        range r = valid(k * d - pad, s, in, out);
        if (r.lo < r.hi) *k0 = k < *k0 ? k : *k0, *k1 = k + 1;
    }
}

typedef struct {
    fv_conv_geom g;   /* the geometry with the kernel cut to the live taps */
    int64_t kh0, kw0; /* where the cut kernel starts in the full one */
    float *w;         /* the cut weights (OC, C/groups, KH, KW of g) */
} cut_kernel;

/* True (with c filled) when cutting removes taps; false when nothing would be removed or on no memory (both
 * mean: compute with the full kernel). c->w gets the live taps of weight, or zeros when weight is NULL (the
 * weight gradient, computed from zero). */
static bool cut(cut_kernel *c, const fv_conv_geom *g, const float *weight)
{
    int64_t kh1, kw1;
    live_taps(g->KH, g->dh, g->sh, g->pt, g->H, g->OH, &c->kh0, &kh1);
    live_taps(g->KW, g->dw, g->sw, g->pl, g->W, g->OW, &c->kw0, &kw1);
    if (kh1 <= c->kh0 || kw1 <= c->kw0 || (kh1 - c->kh0) * (kw1 - c->kw0) == g->KH * g->KW) return false;
    c->g = *g;
    c->g.KH = kh1 - c->kh0, c->g.KW = kw1 - c->kw0;
    c->g.pt = g->pt - c->kh0 * g->dh, c->g.pl = g->pl - c->kw0 * g->dw;
    int64_t filters = g->OC * (g->C / g->groups);
    c->w = weight ? malloc((size_t)(filters * c->g.KH * c->g.KW) * sizeof(float))
                  : calloc((size_t)(filters * c->g.KH * c->g.KW), sizeof(float));
    if (!c->w) return false;
    for (int64_t f = 0; weight && f < filters; f++)
        for (int64_t kh = 0; kh < c->g.KH; kh++)
            for (int64_t kw = 0; kw < c->g.KW; kw++)
                c->w[(f * c->g.KH + kh) * c->g.KW + kw] = weight[(f * g->KH + c->kh0 + kh) * g->KW + c->kw0 + kw];
    return true;
}

bool fv_fast_conv2d_forward_add(int threads, float *out, const float *inp, const float *weight, const fv_conv_geom *g)
{
    cut_kernel c;
    if (one_channel_groups(g) || !cut(&c, g, weight)) return forward_add_all(threads, out, inp, weight, g);
    bool ok = forward_add_all(threads, out, inp, c.w, &c.g);
    free(c.w);
    return ok;
}

bool fv_fast_conv2d_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, const fv_conv_geom *g, fv_conv_cache **cache)
{
    cut_kernel c;
    if (one_channel_groups(g) || !cut(&c, g, weight))
        return forward_all(threads, out, inp, weight, bias, clamp_hi, g, cache);
    bool ok = forward_all(threads, out, inp, c.w, bias, clamp_hi, &c.g, NULL); /* cut kernels are not kept */
    free(c.w);
    return ok;
}

bool fv_fast_conv2d_forward_affine(int threads, float *out, const float *inp, const fv_conv_affine *pre,
                                   const float *weight, const float *bias, float clamp_hi, const fv_conv_geom *g,
                                   fv_conv_cache **cache)
{
    if (!pointwise(g) || one_channel_groups(g)) return false;
    return gemm_forward(threads, out, inp, pre, weight, bias, clamp_hi, false, g, cache);
}

bool fv_fast_conv2d_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool assign,
                                   const fv_conv_geom *g)
{
    cut_kernel c;
    if (one_channel_groups(g) || !cut(&c, g, weight))
        return backward_input_all(threads, dinp, dout, weight, assign, g);
    bool ok = backward_input_all(threads, dinp, dout, c.w, assign, &c.g);
    free(c.w);
    return ok;
}

/* The cut kernel's gradient, computed from zero, is added into the live taps of dweight; the others get none
 * (their gradient is zero). */
bool fv_fast_conv2d_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    cut_kernel c;
    if (one_channel_groups(g) || !cut(&c, g, NULL)) return backward_weight_all(threads, dweight, dout, inp, g);
    int64_t filters = g->OC * (g->C / g->groups);
    bool ok = backward_weight_all(threads, c.w, dout, inp, &c.g);
    for (int64_t f = 0; ok && f < filters; f++)
        for (int64_t kh = 0; kh < c.g.KH; kh++)
            for (int64_t kw = 0; kw < c.g.KW; kw++)
                dweight[(f * g->KH + c.kh0 + kh) * g->KW + c.kw0 + kw] += c.w[(f * c.g.KH + kh) * c.g.KW + kw];
    free(c.w);
    return ok;
}

/* ---- bias ------------------------------------------------------------------------------------------- */

typedef struct {
    float *y; /* out or dbias */
    const float *x; /* bias or dout */
    int64_t N, C, HW;
} bias_job;

static void fill_bias_planes(void *p, int64_t p0, int64_t p1, int worker)
{
    const bias_job *j = p;
    for (int64_t q = p0; q < p1; q++) {
        float v = j->x ? j->x[q % j->C] : 0.0f, *o = j->y + q * j->HW;
        for (int64_t i = 0; i < j->HW; i++) o[i] = v;
    }
}

void fv_fast_conv2d_fill_bias(int threads, float *out, const float *bias, int64_t N, int64_t C, int64_t HW)
{
    bias_job j = {out, bias, N, C, HW};
    fv_parallel_for(N * C * HW >= 65536 ? threads : 1, N * C, 8, fill_bias_planes, &j);
}

/* Channel c's sum over images in image order, whichever thread takes it. */
static void bias_grad_channels(void *p, int64_t c0, int64_t c1, int worker)
{
    const bias_job *j = p;
    for (int64_t c = c0; c < c1; c++) {
        double acc = 0.0;
        for (int64_t n = 0; n < j->N; n++) {
            const float *dy = j->x + (n * j->C + c) * j->HW;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (int64_t i = 0; i < j->HW; i++) s += dy[i];
            acc += s;
        }
        j->y[c] += (float)acc;
    }
}

void fv_fast_conv2d_backward_bias(int threads, float *dbias, const float *dout, int64_t N, int64_t C, int64_t HW)
{
    bias_job j = {dbias, dout, N, C, HW};
    fv_parallel_for(N * C * HW >= 65536 ? threads : 1, C, 1, bias_grad_channels, &j);
}
