/* The convolution's column operand packed directly from the images (see conv_pack.h). A strip is nr columns
 * wide; its columns are cut once into runs that share an image and an output row, and each tap row of the
 * strip then copies one stretch of an input row per run, with zeros where the tap falls in the padding. */
#include "conv_pack.h"

#include <stdbool.h>

#include "../../core/cpu.h"
#include "../clamp.h"
#include "conv_geom.h"

#define MAX_RUNS 64 /* >= the widest strip (the GEMM's nr) */
#define MAX_KW 16   /* kernels up to this wide get their runs' bounds computed once per strip */

/* Columns [c, c + len) of a strip: image n, output row oh, output columns from ow. */
typedef struct {
    int c, len;
    int64_t n, oh, ow;
} run;

/* Cut columns [j0, j0 + cols) of an (images x OH x OW) grid into runs along output rows. */
static int cut_runs(run *runs, int64_t j0, int cols, int64_t OH, int64_t OW)
{
    int count = 0;
    for (int c = 0; c < cols;) {
        int64_t j = j0 + c, q = j % (OH * OW), ow = q % OW;
        int len = (int)(OW - ow < cols - c ? OW - ow : cols - c);
        runs[count++] = (run){c, len, j / (OH * OW), q / OW, ow};
        c += len;
    }
    return count;
}

/* A pointwise convolution (1x1, stride 1, no padding) reads each image plane as one row: fewer, longer runs. */
static fv_conv_geom as_rows(const fv_conv_geom *g, bool *pointwise)
{
    fv_conv_geom r = *g;
    *pointwise = g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
                 g->OH == g->H && g->OW == g->W;
    if (*pointwise) r.H = r.OH = 1, r.W = r.OW = g->H * g->W;
    return r;
}

/* dst[t] for t < len = src[t * sw] for t in [lo, hi) (the part of the run inside the input row), else 0. */
static void copy_run(float *dst, const float *src, int len, range r, int64_t sw)
{
    for (int64_t t = 0; t < r.lo; t++) dst[t] = 0.0f;
    if (sw == 1) {
#pragma omp simd
        for (int64_t t = r.lo; t < r.hi; t++) dst[t] = src[t];
    } else if (sw == 2) { /* stride-2 layers (a network's first convolution): the even elements, shuffled out */
#pragma omp simd
        for (int64_t t = r.lo; t < r.hi; t++) dst[t] = src[2 * t];
    } else {
        for (int64_t t = r.lo; t < r.hi; t++) dst[t] = src[t * sw];
    }
    for (int64_t t = r.hi; t < len; t++) dst[t] = 0.0f;
}

/* A pointwise strip within one image: rows of the image's planes, copied whole. */
static void pack_plane_rows(float *bp, int nr, const float *x, int cols, int64_t P, int64_t kc)
{
    for (int64_t k = 0; k < kc; k++) {
        float *dst = bp + k * nr;
        const float *from = x + k * P;
#pragma omp simd
        for (int c = 0; c < cols; c++) dst[c] = from[c];
        for (int c = cols; c < nr; c++) dst[c] = 0.0f;
    }
}

/* A strip whose columns make several short runs (a map a few pixels wide): the run-by-run copy would spend more
 * on each run's bounds than on its few floats. Instead each tap gets a table of where its columns read, relative
 * to the first run's image at channel 0 (-1: padding), made once for the strip and good for every channel; a row
 * of the strip is then a gather through its tap's table. For kernels of at most MAX_TAPS taps, and slices that
 * use each tap at least once on average (kc >= taps). */
#define MAX_TAPS 64

static void table_taps(int64_t *off, const run *runs, int count, const fv_conv_geom *g)
{
    int64_t plane = g->H * g->W;
    for (int64_t kh = 0; kh < g->KH; kh++)
        for (int64_t kw = 0; kw < g->KW; kw++) {
            int64_t *o = off + (kh * g->KW + kw) * MAX_RUNS;
            for (int i = 0; i < count; i++) {
                const run *u = &runs[i];
                int64_t ih = u->oh * g->sh + kh * g->dh - g->pt, image = (u->n - runs[0].n) * g->C * plane;
                for (int t = 0; t < u->len; t++) {
                    int64_t iw = (u->ow + t) * g->sw + kw * g->dw - g->pl;
                    o[u->c + t] = ih < 0 || ih >= g->H || iw < 0 || iw >= g->W ? -1 : image + ih * g->W + iw;
                }
            }
        }
}

static void pack_by_table(float *bp, int nr, const fv_conv_cols *s, const run *runs, int count, int cols,
                          int64_t p0, int64_t kc)
{
    const fv_conv_geom *g = s->g;
    int64_t off[MAX_TAPS * MAX_RUNS], taps = g->KH * g->KW, plane = g->H * g->W;
    table_taps(off, runs, count, g);
    const float *base = s->x + ((s->n0 + runs[0].n) * g->C + s->c0) * plane;
    int64_t c = p0 / taps, tap = p0 % taps;
    for (int64_t k = 0; k < kc; k++) {
        const int64_t *o = off + tap * MAX_RUNS;
        const float *x = base + c * plane;
        float *dst = bp + k * nr;
        for (int t = 0; t < cols; t++) dst[t] = o[t] < 0 ? 0.0f : x[o[t]];
        for (int t = cols; t < nr; t++) dst[t] = 0.0f;
        if (++tap == taps) tap = 0, c++;
    }
}

void fv_conv_pack_im2col(const void *src, float *bp, int nr, int64_t j0, int cols, int64_t p0, int64_t kc)
{
    const fv_conv_cols *s = src;
    bool pointwise;
    fv_conv_geom g = as_rows(s->g, &pointwise);
    run runs[MAX_RUNS];
    int count = cut_runs(runs, j0, cols, g.OH, g.OW);
    if (pointwise && count == 1) { /* the strip lies in one image */
        const run *u = &runs[0];
        pack_plane_rows(bp, nr, s->x + ((s->n0 + u->n) * g.C + s->c0 + p0) * g.W + u->ow, cols, g.W, kc);
        return;
    }
    if (!pointwise && count > 1 && g.KH * g.KW <= MAX_TAPS && kc >= g.KH * g.KW) {
        pack_by_table(bp, nr, s, runs, count, cols, p0, kc);
        return;
    }
    /* each run's part inside the input row for each kernel column: divisions once per strip, not per row */
    range inside[MAX_KW][MAX_RUNS];
    bool table = g.KW <= MAX_KW;
    for (int64_t kw = 0; table && kw < g.KW; kw++)
        for (int i = 0; i < count; i++)
            inside[kw][i] = valid(runs[i].ow * g.sw + kw * g.dw - g.pl, g.sw, g.W, runs[i].len);
    int64_t taps = g.KH * g.KW, plane = g.H * g.W;
    int64_t c = p0 / taps, kh = p0 % taps / g.KW, kw = p0 % g.KW; /* the tap of row p0, then stepped */
    for (int64_t k = 0; k < kc; k++) {
        int64_t offh = kh * g.dh - g.pt, offw = kw * g.dw - g.pl;
        float *dst = bp + k * nr;
        for (int i = 0; i < count; i++) {
            const run *u = &runs[i];
            int64_t ih = u->oh * g.sh + offh;
            if (ih < 0 || ih >= g.H) {
                for (int t = 0; t < u->len; t++) dst[u->c + t] = 0.0f;
                continue;
            }
            int64_t start = u->ow * g.sw + offw;
            range r = table ? inside[kw][i] : valid(start, g.sw, g.W, u->len);
            const float *row = s->x + ((s->n0 + u->n) * g.C + s->c0 + c) * plane + ih * g.W;
            copy_run(dst + u->c, row + start, u->len, r, g.sw);
        }
        for (int c2 = cols; c2 < nr; c2++) dst[c2] = 0.0f;
        if (++kw == g.KW && (kw = 0, ++kh == g.KH)) kh = 0, c++;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* A strip inside one image, all nr (16) columns: row k is channel c0 + k's columns, mapped. Whole rows of
 * two vectors, the loop over k kept tight (the rows are short: per-row calls and checks would cost more than
 * the map). The scalar form's bits: a product, then a sum, then clamp.h's vector clamp. */
__attribute__((target("avx2"))) static void map_rows16_avx2(float *bp, const float *x, int64_t P, const float *scale,
                                                           const float *shift, int64_t kc, float hi)
{
    __m256 vhi = _mm256_set1_ps(hi), zero = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; k++) {
        __m256 vs = _mm256_set1_ps(scale[k]), vh = _mm256_set1_ps(shift[k]);
        const float *r = x + k * P;
        __m256 a = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(r), vs), vh);
        __m256 b = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(r + 8), vs), vh);
        if (hi > 0.0f) {
            a = _mm256_add_ps(_mm256_min_ps(vhi, _mm256_max_ps(zero, a)), zero);
            b = _mm256_add_ps(_mm256_min_ps(vhi, _mm256_max_ps(zero, b)), zero);
        }
        _mm256_storeu_ps(bp + k * 16, a), _mm256_storeu_ps(bp + k * 16 + 8, b);
    }
}
#endif

/* d[t] = clamp(x[t] * s + h) for t < n. */
static void map_run(float *d, const float *x, int n, float s, float h, float hi)
{
    if (hi > 0.0f) {
#pragma omp simd
        for (int t = 0; t < n; t++) d[t] = fv_clamp0(x[t] * s + h, hi);
    } else {
#pragma omp simd
        for (int t = 0; t < n; t++) d[t] = x[t] * s + h;
    }
}

void fv_conv_pack_pointwise_affine(const void *src, float *bp, int nr, int64_t j0, int cols, int64_t p0, int64_t kc)
{
    const fv_conv_cols *s = src;
    const fv_conv_geom *g = s->g;
    int64_t P = g->H * g->W;
    run runs[MAX_RUNS];
    int count = cut_runs(runs, j0, cols, 1, P);
    float hi = s->pre->hi;
#if defined(__x86_64__) && defined(__GNUC__)
    if (count == 1 && cols == 16 && nr == 16 && fv_simd_level_get() >= FV_SIMD_AVX2) {
        int64_t c = s->c0 + p0;
        map_rows16_avx2(bp, s->x + ((s->n0 + runs[0].n) * g->C + c) * P + runs[0].ow, P, s->pre->scale + c,
                        s->pre->shift + c, kc, hi);
        return;
    }
#endif
    for (int64_t k = 0; k < kc; k++) {
        int64_t c = s->c0 + p0 + k;
        float sc = s->pre->scale[c], sh = s->pre->shift[c], *dst = bp + k * nr;
        for (int i = 0; i < count; i++) {
            const run *u = &runs[i];
            map_run(dst + u->c, s->x + ((s->n0 + u->n) * g->C + c) * P + u->ow, u->len, sc, sh, hi);
        }
        for (int t = cols; t < nr; t++) dst[t] = 0.0f;
    }
}

void fv_conv_pack_planes(const void *src, float *bp, int nr, int64_t j0, int cols, int64_t p0, int64_t kc)
{
    const fv_conv_cols *s = src;
    const fv_conv_geom *g = s->g;
    int64_t P = g->OH * g->OW;
    run runs[MAX_RUNS];
    int count = cut_runs(runs, j0, cols, 1, P);
    for (int64_t k = 0; k < kc; k++) {
        float *dst = bp + k * nr;
        for (int i = 0; i < count; i++) {
            const run *u = &runs[i];
            const float *from = s->x + ((s->n0 + u->n) * g->OC + s->c0 + p0 + k) * P + u->ow;
#pragma omp simd
            for (int t = 0; t < u->len; t++) dst[u->c + t] = from[t];
        }
        for (int c = cols; c < nr; c++) dst[c] = 0.0f;
    }
}
