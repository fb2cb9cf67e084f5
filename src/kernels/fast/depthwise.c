/* Direct kernels for convolutions whose groups each read one input channel and write fewer than 4 (depthwise
 * convolutions, as in MobileNet and EfficientNet): their im2col products would be a row or two high, a poor fit
 * for the GEMM's register tiles. Work is split by planes (forward, input gradient) or output channels (weight
 * gradient), so every sum has one order whatever the number of threads. With AVX2 every kernel works from a
 * zero-padded copy of a plane (see the AVX2 section), vectorized across output columns; the plain loops below
 * are the portable path and the fallback when that copy's memory cannot be had. */
#include <stdlib.h>
#include <string.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../clamp.h"
#include "conv_geom.h"
#include "depthwise.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FV_X86 1
#endif

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
    float *y;                 /* the output written: out, dinp or dweight */
    const float *a;           /* inp (forward, weight gradient) or dout (input gradient) */
    const float *b;           /* weight, or dout for the weight gradient */
    const fv_conv_geom *g;
    double *acc;              /* weight gradient: per-tap sums */
    const float *bias;        /* fused forward: the bias (NULL: 0) written first when fill is set */
    float hi;                 /* fused forward: clamp to [0, hi] when > 0 */
    bool fill;                /* forward: write bias + conv rather than add conv to what is there */
    struct padded *pad;       /* AVX2: the padded planes' layout and scratch */
    const fv_conv_geom *orig; /* AVX2 input gradient: the convolution's own geometry (g is its transpose) */
    int64_t top, left;        /* AVX2 input gradient: where dout's first element goes in the spread plane */
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

#ifdef FV_X86
/* The AVX2 forward reads each input plane from a zero-padded copy, so that every output runs the same taps
 * with no bounds to test and 8 (or 32) neighbouring outputs go through each tap together. The copy's columns
 * are split by their phase modulo the stride (for stride 2: the even columns, then the odd ones), so a tap's
 * inputs for consecutive outputs are consecutive floats at any stride. Each output starts from the bias (or
 * the value already there) and adds its taps in (kh, kw) order with FMA, one rounding per tap (the reference
 * sums in double). A tap over the padding adds w * 0, which changes nothing but the sign of a zero sum (and
 * makes an infinite weight there NaN, where the reference skips the tap). */
#define AVX2 __attribute__((target("avx2,fma")))
#define MAX_TAPS 49

typedef struct padded {
    int64_t PH, PWs;       /* rows of the padded plane, width of each column phase */
    size_t size;           /* floats in one worker's padded plane */
    float *buf;            /* threads x size, zeroed once: each plane writes the same positions */
    int64_t off[MAX_TAPS]; /* each tap's offset from its output's row, column 0 */
} padded;

/* The layout for g and zeroed scratch for `threads` planes; false when the kernel is too large or memory
 * short (the portable path then runs, which needs none). */
static bool padded_plan(padded *pd, const fv_conv_geom *g, int threads)
{
    if (g->KH * g->KW > MAX_TAPS || g->sw > 4 || g->OW < 1 || g->OH < 1) return false;
    int64_t OWr = (g->OW + 15) / 16 * 16, sw = g->sw; /* whole 16-column blocks (block4x16) */
    pd->PH = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1;
    pd->PWs = OWr + (g->KW - 1) * g->dw / sw + 1;
    if (pd->PH > (1 << 20) || pd->PWs > (1 << 20) || sw * pd->PH * pd->PWs > (1 << 26)) return false;
    pd->size = (size_t)(sw * pd->PH * pd->PWs + 15) / 16 * 16;
    for (int64_t kh = 0; kh < g->KH; kh++)
        for (int64_t kw = 0; kw < g->KW; kw++)
            pd->off[kh * g->KW + kw] = ((kw * g->dw % sw) * pd->PH + kh * g->dh) * pd->PWs + kw * g->dw / sw;
    pd->buf = calloc((size_t)threads * pd->size, sizeof(float));
    return pd->buf != NULL;
}

/* Columns [0, n) of row x with stride 2 into phases: even w (column c = w + pl) to phase pl % 2, odd w to the
 * other; 16 at a time through two shuffles. Returns the columns done. */
AVX2 static int64_t split_pairs(float *row, const float *x, int64_t n, int64_t pl, int64_t step)
{
    float *ev = row + (pl & 1) * step + pl / 2, *od = row + (1 - (pl & 1)) * step + (pl + 1) / 2;
    int64_t w = 0;
    for (; w + 16 <= n; w += 16) {
        __m256 lo = _mm256_loadu_ps(x + w), hi = _mm256_loadu_ps(x + w + 8);
        __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
        __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
        /* each 128-bit lane holds 2 from lo then 2 from hi: put lo's four first */
        _mm256_storeu_ps(ev + w / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xd8)));
        _mm256_storeu_ps(od + w / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xd8)));
    }
    return w;
}

/* The input plane into its place in the padded copy: column c = w + pl goes to phase c % sw, index c / sw. */
AVX2 static void pad_plane(float *buf, const float *in, const fv_conv_geom *g, const padded *pd)
{
    int64_t sw = g->sw, W = g->W;
    for (int64_t h = 0; h < g->H && h + g->pt < pd->PH; h++) {
        const float *x = in + h * W;
        float *row = buf + (h + g->pt) * pd->PWs;
        int64_t w_end = W < sw * pd->PWs - g->pl ? W : sw * pd->PWs - g->pl; /* the columns that fit */
        if (sw == 1) {
            if (w_end > 0) memcpy(row + g->pl, x, (size_t)w_end * sizeof(float));
            continue;
        }
        int64_t step = pd->PH * pd->PWs, w = sw == 2 ? split_pairs(row, x, w_end, g->pl, step) : 0;
        int64_t phase = (w + g->pl) % sw, at = (w + g->pl) / sw; /* then no division per element */
        for (; w < w_end; w++) {
            row[phase * step + at] = x[w];
            if (++phase == sw) phase = 0, at++;
        }
    }
}

static const int32_t tail_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

AVX2 static inline __m256 clamp8(__m256 v, float hi)
{
    if (hi <= 0.0f) return v;
    /* clamp.h: a NaN passes as PyTorch's clamp lets it, -0 becomes +0 */
    return _mm256_add_ps(_mm256_min_ps(_mm256_set1_ps(hi), _mm256_max_ps(_mm256_setzero_ps(), v)), _mm256_setzero_ps());
}

/* Output row oh, columns [0, OW / 32 * 32): four vectors share each weight's load. */
AVX2 static void row_wide(float *yo, const float *base, const __m256 *wv, __m256 init, const dw_job *j)
{
    const int64_t *off = j->pad->off, taps = j->g->KH * j->g->KW;
    for (int64_t ow = 0; ow + 32 <= j->g->OW; ow += 32) {
        __m256 a0 = j->fill ? init : _mm256_loadu_ps(yo + ow), a1 = j->fill ? init : _mm256_loadu_ps(yo + ow + 8);
        __m256 a2 = j->fill ? init : _mm256_loadu_ps(yo + ow + 16);
        __m256 a3 = j->fill ? init : _mm256_loadu_ps(yo + ow + 24);
        for (int64_t t = 0; t < taps; t++) {
            const float *x = base + off[t] + ow;
            a0 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x), a0);
            a1 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x + 8), a1);
            a2 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x + 16), a2);
            a3 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x + 24), a3);
        }
        _mm256_storeu_ps(yo + ow, clamp8(a0, j->hi));
        _mm256_storeu_ps(yo + ow + 8, clamp8(a1, j->hi));
        _mm256_storeu_ps(yo + ow + 16, clamp8(a2, j->hi));
        _mm256_storeu_ps(yo + ow + 24, clamp8(a3, j->hi));
    }
}

/* The 8 columns at ow (fewer at the end, through the mask) of `rows` (1 or 4) output rows from yo on, which
 * read the padded rows from base on, rstep apart. The padded copy is wide enough for a whole last vector. */
AVX2 static void cols8(float *yo, const float *base, int64_t rstep, int rows, int64_t ow, const __m256 *wv,
                       __m256 init, const dw_job *j)
{
    const int64_t *off = j->pad->off, taps = j->g->KH * j->g->KW, OW = j->g->OW;
    __m256i m = _mm256_loadu_si256((const __m256i *)(tail_mask + (OW - ow >= 8 ? 0 : 8 - (OW - ow))));
    if (rows == 1) {
        __m256 a = j->fill ? init : _mm256_maskload_ps(yo + ow, m);
        for (int64_t t = 0; t < taps; t++)
            a = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(base + off[t] + ow), a);
        _mm256_maskstore_ps(yo + ow, m, clamp8(a, j->hi));
        return;
    }
    float *y0 = yo + ow, *y1 = y0 + OW, *y2 = y1 + OW, *y3 = y2 + OW;
    __m256 a0 = j->fill ? init : _mm256_maskload_ps(y0, m), a1 = j->fill ? init : _mm256_maskload_ps(y1, m);
    __m256 a2 = j->fill ? init : _mm256_maskload_ps(y2, m), a3 = j->fill ? init : _mm256_maskload_ps(y3, m);
    for (int64_t t = 0; t < taps; t++) { /* four rows share each weight's load */
        const float *x = base + off[t] + ow;
        a0 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x), a0);
        a1 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x + rstep), a1);
        a2 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x + 2 * rstep), a2);
        a3 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(x + 3 * rstep), a3);
    }
    _mm256_maskstore_ps(y0, m, clamp8(a0, j->hi));
    _mm256_maskstore_ps(y1, m, clamp8(a1, j->hi));
    _mm256_maskstore_ps(y2, m, clamp8(a2, j->hi));
    _mm256_maskstore_ps(y3, m, clamp8(a3, j->hi));
}

/* Columns [ow, ow + 16) (fewer at the end, through masks) of four output rows: eight independent sums, so that
 * the FMAs' latency is hidden (four sums, as in cols8 and row_wide, left the FMA units idle half the time). */
AVX2 static void block4x16(float *yo, const float *base, int64_t rstep, int64_t ow, const __m256 *wv, __m256 init,
                           const dw_job *j)
{
    const int64_t *off = j->pad->off, taps = j->g->KH * j->g->KW, OW = j->g->OW;
    int64_t left = OW - ow;
    __m256i m0 = _mm256_loadu_si256((const __m256i *)(tail_mask + (left >= 8 ? 0 : 8 - left)));
    __m256i m1 = _mm256_loadu_si256((const __m256i *)(tail_mask + (left >= 16 ? 0 : left <= 8 ? 8 : 16 - left)));
    float *y0 = yo + ow, *y1 = y0 + OW, *y2 = y1 + OW, *y3 = y2 + OW;
    __m256 a0 = init, a1 = init, a2 = init, a3 = init, b0 = init, b1 = init, b2 = init, b3 = init;
    bool full = left >= 16; /* plain loads and stores: masked stores are slow on some CPUs (microcoded on AMD) */
    if (!j->fill && full) {
        a0 = _mm256_loadu_ps(y0), a1 = _mm256_loadu_ps(y1), a2 = _mm256_loadu_ps(y2), a3 = _mm256_loadu_ps(y3);
        b0 = _mm256_loadu_ps(y0 + 8), b1 = _mm256_loadu_ps(y1 + 8);
        b2 = _mm256_loadu_ps(y2 + 8), b3 = _mm256_loadu_ps(y3 + 8);
    } else if (!j->fill) {
        a0 = _mm256_maskload_ps(y0, m0), a1 = _mm256_maskload_ps(y1, m0);
        a2 = _mm256_maskload_ps(y2, m0), a3 = _mm256_maskload_ps(y3, m0);
        b0 = _mm256_maskload_ps(y0 + 8, m1), b1 = _mm256_maskload_ps(y1 + 8, m1);
        b2 = _mm256_maskload_ps(y2 + 8, m1), b3 = _mm256_maskload_ps(y3 + 8, m1);
    }
    for (int64_t t = 0; t < taps; t++) { /* the padded copy is wide enough for both vectors */
        const float *x = base + off[t] + ow;
        __m256 w = wv[t];
        a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x), a0), b0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 8), b0);
        a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + rstep), a1);
        b1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + rstep + 8), b1);
        a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 2 * rstep), a2);
        b2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 2 * rstep + 8), b2);
        a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 3 * rstep), a3);
        b3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 3 * rstep + 8), b3);
    }
    if (full) {
        _mm256_storeu_ps(y0, clamp8(a0, j->hi)), _mm256_storeu_ps(y0 + 8, clamp8(b0, j->hi));
        _mm256_storeu_ps(y1, clamp8(a1, j->hi)), _mm256_storeu_ps(y1 + 8, clamp8(b1, j->hi));
        _mm256_storeu_ps(y2, clamp8(a2, j->hi)), _mm256_storeu_ps(y2 + 8, clamp8(b2, j->hi));
        _mm256_storeu_ps(y3, clamp8(a3, j->hi)), _mm256_storeu_ps(y3 + 8, clamp8(b3, j->hi));
        return;
    }
    _mm256_maskstore_ps(y0, m0, clamp8(a0, j->hi)), _mm256_maskstore_ps(y0 + 8, m1, clamp8(b0, j->hi));
    _mm256_maskstore_ps(y1, m0, clamp8(a1, j->hi)), _mm256_maskstore_ps(y1 + 8, m1, clamp8(b1, j->hi));
    _mm256_maskstore_ps(y2, m0, clamp8(a2, j->hi)), _mm256_maskstore_ps(y2 + 8, m1, clamp8(b2, j->hi));
    _mm256_maskstore_ps(y3, m0, clamp8(a3, j->hi)), _mm256_maskstore_ps(y3 + 8, m1, clamp8(b3, j->hi));
}

/* One output plane y from the padded plane buf and the weights broadcast in wv, four rows at a time where
 * there are four. When the output is written afresh (fill), a last short group of rows is done as the last
 * four rows, computing some twice (to the same values); when adding into it, row by row. */
AVX2 static void avx2_plane(float *y, const float *buf, const __m256 *wv, __m256 init, const dw_job *j)
{
    const fv_conv_geom *g = j->g;
    int64_t OW = g->OW, OH = g->OH, rstep = g->sh * j->pad->PWs, wide = OW / 32 * 32;
    for (int64_t oh = 0; oh < OH;) {
        int rows = OH - oh >= 4 || (j->fill && OH >= 4) ? 4 : 1;
        if (oh + rows > OH) oh = OH - rows;
        if (rows == 4) {
            int64_t ow = 0;
            for (; OW - ow > 8; ow += 16) block4x16(y + oh * OW, buf + oh * rstep, rstep, ow, wv, init, j);
            if (ow < OW) cols8(y + oh * OW, buf + oh * rstep, rstep, 4, ow, wv, init, j); /* a last 8 or fewer */
        } else {
            for (int r = 0; r < rows && wide; r++) row_wide(y + (oh + r) * OW, buf + (oh + r) * rstep, wv, init, j);
            for (int64_t ow = wide; ow < OW; ow += 8) cols8(y + oh * OW, buf + oh * rstep, rstep, rows, ow, wv, init, j);
        }
        oh += rows;
    }
}

static void avx2_forward_range(void *p, int64_t p0, int64_t p1, int worker);

AVX2 static void avx2_forward_planes(const dw_job *j, int64_t p0, int64_t p1, int worker)
{
    const fv_conv_geom *g = j->g;
    int64_t mult = g->OC / g->C, taps = g->KH * g->KW;
    float *buf = j->pad->buf + (size_t)worker * j->pad->size;
    const float *last = NULL;
    __m256 wv[MAX_TAPS];
    for (int64_t q = p0; q < p1; q++) {
        int64_t n = q / g->OC, oc = q % g->OC;
        const float *in = j->a + (n * g->C + oc / mult) * g->H * g->W;
        if (in != last) pad_plane(buf, in, g, j->pad), last = in; /* a multiplier > 1 reuses the copy */
        for (int64_t t = 0; t < taps; t++) wv[t] = _mm256_set1_ps(j->b[oc * taps + t]);
        __m256 init = _mm256_set1_ps(j->fill && j->bias ? j->bias[oc] : 0.0f);
        avx2_plane(j->y + q * g->OH * g->OW, buf, wv, init, j);
    }
}

static void avx2_forward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    avx2_forward_planes(p, p0, p1, worker);
}
/* The input gradient as a forward convolution: dinp = dout spread onto the input's grid (element (oh, ow) at
 * row top + oh * sh, column left + ow * sw of a zeroed plane) correlated with the flipped kernel at stride 1,
 * where top = (KH - 1) dh - pt puts each tap where the forward read it. Stride 2 multiplies by zeros three
 * quarters of the time but keeps every output a vector of 8; each input plane adds its output channels in
 * order. False when the padding is larger than the kernel's reach (left to the portable path). */
static bool transposed(const fv_conv_geom *g, fv_conv_geom *t, dw_job *j)
{
    j->top = (g->KH - 1) * g->dh - g->pt, j->left = (g->KW - 1) * g->dw - g->pl;
    if (j->top < 0 || j->left < 0) return false;
    *t = *g;
    t->OH = g->H, t->OW = g->W, t->sh = t->sw = 1, t->pt = t->pl = 0;
    return true;
}

AVX2 static void spread_plane(float *buf, const float *dy, const dw_job *j)
{
    const fv_conv_geom *g = j->orig;
    const padded *pd = j->pad;
    for (int64_t oh = 0; oh < g->OH && j->top + oh * g->sh < pd->PH; oh++) {
        float *row = buf + (j->top + oh * g->sh) * pd->PWs;
        const float *d = dy + oh * g->OW;
        if (g->sw == 1) {
            int64_t n = g->OW < pd->PWs - j->left ? g->OW : pd->PWs - j->left;
            if (n > 0) memcpy(row + j->left, d, (size_t)n * sizeof(float));
            continue;
        }
        for (int64_t ow = 0, c = j->left; ow < g->OW && c < pd->PWs; ow++, c += g->sw) row[c] = d[ow];
    }
}

AVX2 static void avx2_backward_planes(const dw_job *j, int64_t p0, int64_t p1, int worker)
{
    const fv_conv_geom *g = j->orig;
    int64_t mult = g->OC / g->C, taps = g->KH * g->KW;
    float *buf = j->pad->buf + (size_t)worker * j->pad->size;
    __m256 wv[MAX_TAPS];
    for (int64_t q = p0; q < p1; q++) {
        int64_t n = q / g->C, c = q % g->C;
        for (int64_t oc = c * mult; oc < (c + 1) * mult; oc++) {
            spread_plane(buf, j->a + (n * g->OC + oc) * g->OH * g->OW, j);
            for (int64_t t = 0; t < taps; t++) wv[t] = _mm256_set1_ps(j->b[oc * taps + taps - 1 - t]);
            avx2_plane(j->y + q * g->H * g->W, buf, wv, _mm256_setzero_ps(), j);
        }
    }
}

static void avx2_backward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    avx2_backward_planes(p, p0, p1, worker);
}
/* The weight gradient from the padded input planes: each tap's sum over an image is a dot product of the
 * dout plane with the padded plane shifted by the tap's offset, 8 outputs at a time; the products are exact
 * in double and summed in 8 double lanes, combined in a fixed order. Masked loads keep the columns past the
 * output's width out of the sums (an infinite input there would otherwise give 0 * inf). */
AVX2 static double tap_sum(const float *dy, const float *buf, int64_t off, const dw_job *j)
{
    const fv_conv_geom *g = j->g;
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    for (int64_t oh = 0; oh < g->OH; oh++) {
        const float *x = buf + oh * g->sh * j->pad->PWs + off, *d = dy + oh * g->OW;
        for (int64_t ow = 0; ow < g->OW; ow += 8) {
            __m256i m = _mm256_loadu_si256((const __m256i *)(tail_mask + (g->OW - ow >= 8 ? 0 : 8 - (g->OW - ow))));
            __m256 dv = _mm256_maskload_ps(d + ow, m), xv = _mm256_maskload_ps(x + ow, m);
            a0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(dv)),
                                 _mm256_cvtps_pd(_mm256_castps256_ps128(xv)), a0);
            a1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(dv, 1)),
                                 _mm256_cvtps_pd(_mm256_extractf128_ps(xv, 1)), a1);
        }
    }
    double l[8];
    _mm256_storeu_pd(l, a0);
    _mm256_storeu_pd(l + 4, a1);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* Output channels [oc0, oc1): each tap summed over the images in order, then added to dweight once. */
AVX2 static void avx2_weight_channels(const dw_job *j, int64_t oc0, int64_t oc1, int worker)
{
    const fv_conv_geom *g = j->g;
    int64_t mult = g->OC / g->C, taps = g->KH * g->KW;
    float *buf = j->pad->buf + (size_t)worker * j->pad->size;
    for (int64_t oc = oc0; oc < oc1; oc++) {
        double s[MAX_TAPS] = {0};
        for (int64_t n = 0; n < g->N; n++) {
            pad_plane(buf, j->a + (n * g->C + oc / mult) * g->H * g->W, g, j->pad);
            const float *dy = j->b + (n * g->OC + oc) * g->OH * g->OW;
            for (int64_t t = 0; t < taps; t++) s[t] += tap_sum(dy, buf, j->pad->off[t], j);
        }
        for (int64_t t = 0; t < taps; t++) j->y[oc * taps + t] += (float)s[t];
    }
}

static void avx2_weight_range(void *p, int64_t oc0, int64_t oc1, int worker)
{
    avx2_weight_channels(p, oc0, oc1, worker);
}
#endif

/* The portable path: each plane as out = bias (or kept), the taps added, then clamped: one pass over the
 * plane while it is in cache. */
static void fused_forward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const dw_job *j = p;
    const fv_conv_geom *g = j->g;
    int64_t P = g->OH * g->OW;
    for (int64_t q = p0; q < p1; q++) {
        float *y = j->y + q * P;
        if (j->fill)
            for (int64_t i = 0; i < P; i++) y[i] = j->bias ? j->bias[q % g->OC] : 0.0f;
        /* the taps as the add-only kernel does them */
        direct_forward_range(p, q, q + 1, worker);
        if (j->hi > 0.0f)
            for (int64_t i = 0; i < P; i++) y[i] = fv_clamp0(y[i], j->hi);
    }
}

/* Planes per piece of work: about 4096 outputs. */
static int64_t plane_grain(const fv_conv_geom *g)
{
    int64_t P = g->OH * g->OW;
    return P >= 4096 ? 1 : 4096 / (P ? P : 1);
}

static void forward(int level, int threads, dw_job *j)
{
#ifdef FV_X86
    padded pad;
    if (level >= FV_SIMD_AVX2 && fv_simd_level_get() >= FV_SIMD_AVX2 && padded_plan(&pad, j->g, threads)) {
        j->pad = &pad;
        fv_parallel_for(threads, j->g->N * j->g->OC, plane_grain(j->g), avx2_forward_range, j);
        free(pad.buf);
        return;
    }
#endif
    fv_parallel_for(threads, j->g->N * j->g->OC, plane_grain(j->g), fused_forward_range, j);
}

void fv_fast_depthwise_forward(int threads, float *out, const float *inp, const float *weight, const fv_conv_geom *g)
{
    dw_job j = {.y = out, .a = inp, .b = weight, .g = g};
    forward(FV_SIMD_AVX512, threads, &j);
}

void fv_fast_depthwise_forward_fused_at(int level, int threads, float *out, const float *inp, const float *weight,
                                        const float *bias, float clamp_hi, const fv_conv_geom *g)
{
    dw_job j = {.y = out, .a = inp, .b = weight, .g = g, .bias = bias, .hi = clamp_hi, .fill = true};
    forward(level, threads, &j);
}

void fv_fast_depthwise_forward_fused(int threads, float *out, const float *inp, const float *weight,
                                     const float *bias, float clamp_hi, const fv_conv_geom *g)
{
    fv_fast_depthwise_forward_fused_at(FV_SIMD_AVX512, threads, out, inp, weight, bias, clamp_hi, g);
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

void fv_fast_depthwise_backward_input_at(int level, int threads, float *dinp, const float *dout,
                                         const float *weight, const fv_conv_geom *g)
{
    dw_job j = {.y = dinp, .a = dout, .b = weight, .g = g, .orig = g};
#ifdef FV_X86
    fv_conv_geom t;
    padded pad;
    if (level >= FV_SIMD_AVX2 && fv_simd_level_get() >= FV_SIMD_AVX2 && transposed(g, &t, &j) &&
        padded_plan(&pad, &t, threads)) {
        j.g = &t, j.pad = &pad;
        fv_parallel_for(threads, g->N * g->C, plane_grain(&t), avx2_backward_range, &j);
        free(pad.buf);
        return;
    }
#endif
    fv_parallel_for(threads, g->N * g->C, 4, direct_backward_input_range, &j);
}

void fv_fast_depthwise_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                      const fv_conv_geom *g)
{
    fv_fast_depthwise_backward_input_at(FV_SIMD_AVX512, threads, dinp, dout, weight, g);
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

bool fv_fast_depthwise_backward_weight_at(int level, int threads, float *dweight, const float *dout,
                                          const float *inp, const fv_conv_geom *g)
{
    dw_job j = {.y = dweight, .a = inp, .b = dout, .g = g};
#ifdef FV_X86
    padded pad;
    if (level >= FV_SIMD_AVX2 && fv_simd_level_get() >= FV_SIMD_AVX2 && padded_plan(&pad, g, threads)) {
        j.pad = &pad;
        fv_parallel_for(threads, g->OC, 1, avx2_weight_range, &j);
        free(pad.buf);
        return true;
    }
#endif
    double *acc = calloc((size_t)(g->OC * g->KH * g->KW), sizeof(double));
    if (!acc) return false;
    j.acc = acc;
    fv_parallel_for(threads, g->OC, 1, direct_backward_weight_range, &j);
    free(acc);
    return true;
}

bool fv_fast_depthwise_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                       const fv_conv_geom *g)
{
    return fv_fast_depthwise_backward_weight_at(FV_SIMD_AVX512, threads, dweight, dout, inp, g);
}
