/* 2x2 convolutions at stride 2 without padding (each input pixel in exactly one window), direct with AVX-512:
 * the up-convolutions of a U-Net run as their transposes (see conv_patch2.h).
 *
 * A "vector" here is 16 consecutive pixels of the small map (the output of the forward convolution: OH x OW,
 * flattened), which needs OW to be a multiple of 8: each half of a vector then lies in one row, and its 8
 * pixels cover 16 consecutive columns of one row of the large map (rows 2i and 2i + 1, columns 2j and 2j + 1).
 * Moving between the two maps is one two-source permute per 16 floats: the large map's row, split into its
 * even and odd columns (forward and weight gradient), or the even and odd columns woven back (input gradient).
 *
 * - Forward, y[oc] = sum over c, a, b of w[oc][c][a][b] x[c][2i + a][2j + b]: a tile of 6 output channels x 2
 *   vectors; for each input channel and row offset a, 4 loads and 4 permutes give x's even and odd columns
 *   under the 2 vectors, and 12 broadcast weights meet them in 24 multiply-adds.
 * - Input gradient (a transposed convolution's forward), dx[c][2i + a][2j + b] += sum over oc of
 *   w[oc][c][a][b] dy[oc][i][j]: a tile of 3 input channels x (a, b) x 2 vectors, 2 loads of dy and 12
 *   broadcasts for 24 multiply-adds per output channel; then each (channel, a, vector) weaves its b = 0 and
 *   b = 1 sums into the two rows' 32 floats and adds them.
 * - Weight gradient: a tile of 6 output channels x the 4 taps of one input channel holds lane sums over a
 *   chunk of images (6 loads of dy, 4 loads and 4 permutes of x, 24 multiply-adds a vector), then sums the
 *   lanes; chunks are added in order.
 * Every output is computed by one thread in one order: results do not depend on the thread count. */
#include "conv_patch2.h"

#include <stdlib.h>
#include <string.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../../core/scratch.h"
#include "partials.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define LANES 16
#define FO 6     /* forward: output channels a tile */
#define BC 3     /* input gradient: input channels a tile */
#define WO 6     /* weight gradient: output channels a tile */
/* Weight gradient: images a chunk, at least 4 and enough for 1,024 pixels of the small map (an 8x8 map's
 * tile would sum its lanes after 16 vectors, a third of its time); set by the geometry alone. */
#define WGRAD_PIXELS 1024

bool fv_patch2_conv_applies(const fv_conv_geom *g)
{
#ifdef HAVE_X86
    return fv_simd_level_get() >= FV_SIMD_AVX512 && g->KH == 2 && g->KW == 2 && g->sh == 2 && g->sw == 2 &&
           g->dh == 1 && g->dw == 1 && g->pt == 0 && g->pl == 0 && g->groups == 1 && g->H == 2 * g->OH &&
           g->W == 2 * g->OW && g->OW % 8 == 0 && (g->OH * g->OW) % (2 * LANES) == 0;
#else
    (void)g;
    return false;
#endif
}

bool fv_patch2_conv_backward_weight_applies(const fv_conv_geom *g)
{
    return fv_patch2_conv_applies(g) && g->OH * g->OW >= 256;
}

#ifdef HAVE_X86

/* ---- moving between the maps ----------------------------------------------------------------------------- */

/* The large map's offsets (row 2i, column 2j) of the two halves of every vector of the small map: flat pixels
 * 16 v and 16 v + 8 at off[2 v] and off[2 v + 1]; row offset a adds a * W. A table, since a division per half
 * (the row of a flat pixel) cost more than the arithmetic. */
static void half_offsets(int32_t *off, const fv_conv_geom *g)
{
    for (int64_t h = 0; h < g->OH * g->OW / 8; h++) {
        int64_t f = h * 8, i = f / g->OW, j = f % g->OW;
        off[h] = (int32_t)(2 * i * g->W + 2 * j);
    }
}

/* The even (b = 0) and odd (b = 1) columns under small-map vector v in row offset a of plane x. */
__attribute__((target("avx512f"))) static inline void split_columns(const float *x, const int32_t *off, int64_t v,
                                                                   int64_t aw, __m512 *even, __m512 *odd)
{
    const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i od = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    __m512 lo = _mm512_loadu_ps(x + off[2 * v] + aw), hi = _mm512_loadu_ps(x + off[2 * v + 1] + aw);
    *even = _mm512_permutex2var_ps(lo, ev, hi);
    *odd = _mm512_permutex2var_ps(lo, od, hi);
}

/* dx's row offset a under small-map vector v += the woven columns (b = 0 from e, b = 1 from o), or = them
 * unless add. */
__attribute__((target("avx512f"))) static inline void put_woven(float *dx, const int32_t *off, int64_t v, int64_t aw,
                                                               __m512 e, __m512 o, bool add)
{
    const __m512i lo_idx = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi_idx = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    float *p = dx + off[2 * v] + aw, *q = dx + off[2 * v + 1] + aw;
    __m512 lo = _mm512_permutex2var_ps(e, lo_idx, o), hi = _mm512_permutex2var_ps(e, hi_idx, o);
    if (add) lo = _mm512_add_ps(_mm512_loadu_ps(p), lo), hi = _mm512_add_ps(_mm512_loadu_ps(q), hi);
    _mm512_storeu_ps(p, lo), _mm512_storeu_ps(q, hi);
}

/* ---- forward --------------------------------------------------------------------------------------------- */

typedef struct {
    const fv_conv_geom *g;
    const float *inp, *bias, *wp; /* wp: per block of FO output channels, (C, 2, 2, FO), zero past OC */
    const int32_t *off;           /* half_offsets */
    float *out;
    float clamp_hi;
    bool add;
    int64_t blocks, pairs; /* output-channel blocks; vector pairs a plane */
} fwd_job;

__attribute__((target("avx512f"))) static void fwd_tile(const fwd_job *j, int64_t n, int64_t ob, int64_t f)
{
    const fv_conv_geom *g = j->g;
    int64_t oc0 = ob * FO, plane = g->H * g->W, P = g->OH * g->OW;
    __m512 acc[FO][2];
#pragma GCC unroll 6
    for (int o = 0; o < FO; o++) {
        __m512 b = _mm512_set1_ps(j->bias && oc0 + o < g->OC ? j->bias[oc0 + o] : 0.0f);
        acc[o][0] = acc[o][1] = b;
    }
    const float *x = j->inp + n * g->C * plane, *w = j->wp + ob * g->C * 4 * FO;
    for (int64_t c = 0; c < g->C; c++, x += plane, w += 4 * FO)
#pragma GCC unroll 2
        for (int a = 0; a < 2; a++) {
            __m512 xe[2], xo[2];
            split_columns(x, j->off, f / LANES, a * g->W, &xe[0], &xo[0]);
            split_columns(x, j->off, f / LANES + 1, a * g->W, &xe[1], &xo[1]);
#pragma GCC unroll 6
            for (int o = 0; o < FO; o++) {
                __m512 w0 = _mm512_set1_ps(w[(a * 2 + 0) * FO + o]), w1 = _mm512_set1_ps(w[(a * 2 + 1) * FO + o]);
                acc[o][0] = _mm512_fmadd_ps(w0, xe[0], _mm512_fmadd_ps(w1, xo[0], acc[o][0]));
                acc[o][1] = _mm512_fmadd_ps(w0, xe[1], _mm512_fmadd_ps(w1, xo[1], acc[o][1]));
            }
        }
    __m512 zero = _mm512_setzero_ps(), hi = _mm512_set1_ps(j->clamp_hi);
    for (int o = 0; o < FO && oc0 + o < g->OC; o++)
        for (int v = 0; v < 2; v++) {
            float *y = j->out + (n * g->OC + oc0 + o) * P + f + v * LANES;
            __m512 r = acc[o][v];
            if (j->add) r = _mm512_add_ps(r, _mm512_loadu_ps(y));
            else if (j->clamp_hi > 0.0f) r = _mm512_add_ps(_mm512_min_ps(hi, _mm512_max_ps(zero, r)), zero); /* clamp.h */
            _mm512_storeu_ps(y, r);
        }
}

/* Tiles [t0, t1) in (image, vector pair, block) order. */
static void fwd_range(void *arg, int64_t t0, int64_t t1, int worker)
{
    const fwd_job *j = arg;
    (void)worker;
    for (int64_t t = t0; t < t1; t++) {
        int64_t n = t / (j->pairs * j->blocks), r = t % (j->pairs * j->blocks);
        fwd_tile(j, n, r % j->blocks, r / j->blocks * 2 * LANES);
    }
}

static fv_scratch_slot spare_weights, spare_offsets;

/* half_offsets for g in a scratch buffer (give it back to spare_offsets), NULL without memory. */
static int32_t *offsets_take(const fv_conv_geom *g)
{
    int32_t *off = fv_scratch_take(&spare_offsets, (size_t)(g->OH * g->OW / 8) * sizeof(int32_t));
    if (off) half_offsets(off, g);
    return off;
}

bool fv_patch2_conv_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, bool add, const fv_conv_geom *g)
{
    int64_t blocks = (g->OC + FO - 1) / FO, pairs = g->OH * g->OW / (2 * LANES);
    float *wp = fv_scratch_take(&spare_weights, (size_t)(blocks * g->C * 4 * FO) * sizeof(float));
    if (!wp) return false;
    for (int64_t ob = 0; ob < blocks; ob++) /* (OC, C, 2, 2) -> blocks of (C, 2, 2, FO) */
        for (int64_t c = 0; c < g->C; c++)
            for (int k = 0; k < 4; k++)
                for (int o = 0; o < FO; o++) {
                    int64_t oc = ob * FO + o;
                    wp[((ob * g->C + c) * 4 + k) * FO + o] = oc < g->OC ? weight[(oc * g->C + c) * 4 + k] : 0.0f;
                }
    int32_t *off = offsets_take(g);
    if (off) {
        fwd_job j = {g, inp, bias, wp, off, out, clamp_hi, add, blocks, pairs};
        /* whole images a chunk, unless too few to share */
        fv_parallel_for(threads, g->N * pairs * blocks, g->N >= 2 * threads ? pairs * blocks : blocks, fwd_range, &j);
    }
    fv_scratch_give(&spare_weights, wp), fv_scratch_give(&spare_offsets, off);
    return off != NULL;
}

/* ---- input gradient -------------------------------------------------------------------------------------- */

typedef struct {
    const fv_conv_geom *g;
    const float *dout, *wp; /* wp: per block of BC input channels, (OC, BC, 2, 2), zero past C */
    const int32_t *off;     /* half_offsets */
    float *dinp;
    bool add; /* dinp += the gradient, or = it: every element of dinp lies under exactly one tile */
    int64_t blocks, pairs;
} bin_job;

__attribute__((target("avx512f"))) static void bin_tile(const bin_job *j, int64_t n, int64_t cb, int64_t f)
{
    const fv_conv_geom *g = j->g;
    int64_t c0 = cb * BC, P = g->OH * g->OW;
    __m512 acc[BC][4][2]; /* channel, tap (a, b), vector */
#pragma GCC unroll 3
    for (int c = 0; c < BC; c++)
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) acc[c][k][0] = acc[c][k][1] = _mm512_setzero_ps();
    const float *dy = j->dout + n * g->OC * P + f, *w = j->wp + cb * g->OC * BC * 4;
    for (int64_t oc = 0; oc < g->OC; oc++, dy += P, w += BC * 4) {
        __m512 d0 = _mm512_loadu_ps(dy), d1 = _mm512_loadu_ps(dy + LANES);
#pragma GCC unroll 3
        for (int c = 0; c < BC; c++)
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                __m512 wv = _mm512_set1_ps(w[c * 4 + k]);
                acc[c][k][0] = _mm512_fmadd_ps(wv, d0, acc[c][k][0]);
                acc[c][k][1] = _mm512_fmadd_ps(wv, d1, acc[c][k][1]);
            }
    }
    for (int c = 0; c < BC && c0 + c < g->C; c++) {
        float *dx = j->dinp + (n * g->C + c0 + c) * g->H * g->W;
        for (int a = 0; a < 2; a++)
            for (int v = 0; v < 2; v++)
                put_woven(dx, j->off, f / LANES + v, a * g->W, acc[c][a * 2][v], acc[c][a * 2 + 1][v], j->add);
    }
}

static void bin_range(void *arg, int64_t t0, int64_t t1, int worker)
{
    const bin_job *j = arg;
    (void)worker;
    for (int64_t t = t0; t < t1; t++) {
        int64_t n = t / (j->pairs * j->blocks), r = t % (j->pairs * j->blocks);
        bin_tile(j, n, r % j->blocks, r / j->blocks * 2 * LANES);
    }
}

bool fv_patch2_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool add,
                                   const fv_conv_geom *g)
{
    int64_t blocks = (g->C + BC - 1) / BC, pairs = g->OH * g->OW / (2 * LANES);
    float *wp = fv_scratch_take(&spare_weights, (size_t)(blocks * g->OC * BC * 4) * sizeof(float));
    if (!wp) return false;
    for (int64_t cb = 0; cb < blocks; cb++) /* (OC, C, 2, 2) -> blocks of (OC, BC, 2, 2) */
        for (int64_t oc = 0; oc < g->OC; oc++)
            for (int c = 0; c < BC; c++)
                for (int k = 0; k < 4; k++) {
                    int64_t ch = cb * BC + c;
                    wp[((cb * g->OC + oc) * BC + c) * 4 + k] = ch < g->C ? weight[(oc * g->C + ch) * 4 + k] : 0.0f;
                }
    int32_t *off = offsets_take(g);
    if (off) {
        bin_job j = {g, dout, wp, off, dinp, add, blocks, pairs};
        fv_parallel_for(threads, g->N * pairs * blocks, g->N >= 2 * threads ? pairs * blocks : blocks, bin_range, &j);
    }
    fv_scratch_give(&spare_weights, wp), fv_scratch_give(&spare_offsets, off);
    return off != NULL;
}

/* ---- weight gradient ------------------------------------------------------------------------------------- */

typedef struct {
    const fv_conv_geom *g;
    const float *dout, *inp;
    float *parts; /* per chunk: (OC, C, 2, 2) */
    int64_t chunk; /* images a chunk */
    const int32_t *off; /* half_offsets */
} wgrad_job;

static int64_t chunk_images(const fv_conv_geom *g)
{
    int64_t k = WGRAD_PIXELS / (g->OH * g->OW);
    return k < 4 ? 4 : k;
}

/* Lane sums of WO output channels from oc0 x the 4 taps of input channel c over images [n0, n0 + images). */
__attribute__((target("avx512f"))) static void wgrad_tile(const wgrad_job *j, float *part, int64_t n0, int images,
                                                         int64_t oc0, int64_t c)
{
    const fv_conv_geom *g = j->g;
    int64_t P = g->OH * g->OW, plane = g->H * g->W, on = g->OC - oc0 < WO ? g->OC - oc0 : WO;
    __m512 acc[WO][4];
#pragma GCC unroll 6
    for (int o = 0; o < WO; o++)
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) acc[o][k] = _mm512_setzero_ps();
    for (int i = 0; i < images; i++) {
        const float *x = j->inp + ((n0 + i) * g->C + c) * plane, *dy[WO];
        for (int o = 0; o < WO; o++) dy[o] = j->dout + ((n0 + i) * g->OC + oc0 + (o < on ? o : 0)) * P;
        for (int64_t f = 0; f < P; f += LANES) {
            __m512 xv[4];
            split_columns(x, j->off, f / LANES, 0, &xv[0], &xv[1]);
            split_columns(x, j->off, f / LANES, g->W, &xv[2], &xv[3]);
#pragma GCC unroll 6
            for (int o = 0; o < WO; o++) {
                __m512 d = _mm512_loadu_ps(dy[o] + f);
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) acc[o][k] = _mm512_fmadd_ps(d, xv[k], acc[o][k]);
            }
        }
    }
    for (int o = 0; o < on; o++)
        for (int k = 0; k < 4; k++) part[((oc0 + o) * g->C + c) * 4 + k] += _mm512_reduce_add_ps(acc[o][k]);
}

static void wgrad_chunks(void *arg, int64_t k0, int64_t k1, int worker)
{
    const wgrad_job *j = arg;
    const fv_conv_geom *g = j->g;
    int64_t wsize = g->OC * g->C * 4;
    (void)worker;
    for (int64_t k = k0; k < k1; k++) {
        float *part = j->parts + k * wsize;
        memset(part, 0, (size_t)wsize * sizeof(float));
        int64_t n0 = k * j->chunk;
        int images = (int)(g->N - n0 < j->chunk ? g->N - n0 : j->chunk);
        for (int64_t oc = 0; oc < g->OC; oc += WO)
            for (int64_t c = 0; c < g->C; c++) wgrad_tile(j, part, n0, images, oc, c);
    }
}

static fv_scratch_slot spare_parts;

bool fv_patch2_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    int64_t wsize = g->OC * g->C * 4, chunk = chunk_images(g), chunks = (g->N + chunk - 1) / chunk;
    float *parts = fv_scratch_take(&spare_parts, (size_t)(chunks * wsize) * sizeof(float));
    int32_t *off = offsets_take(g);
    bool ok = parts && off;
    if (ok) {
        wgrad_job j = {g, dout, inp, parts, chunk, off};
        fv_parallel_for(threads, chunks, 1, wgrad_chunks, &j);
        fv_add_partials(threads, dweight, parts, chunks, wsize);
    }
    fv_scratch_give(&spare_parts, parts), fv_scratch_give(&spare_offsets, off);
    return ok;
}

#else /* no x86: never applies */

bool fv_patch2_conv_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, bool add, const fv_conv_geom *g)
{
    (void)threads, (void)out, (void)inp, (void)weight, (void)bias, (void)clamp_hi, (void)add, (void)g;
    return false;
}
bool fv_patch2_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool add,
                                   const fv_conv_geom *g)
{
    (void)threads, (void)dinp, (void)dout, (void)weight, (void)add, (void)g;
    return false;
}
bool fv_patch2_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    (void)threads, (void)dweight, (void)dout, (void)inp, (void)g;
    return false;
}

#endif
