/* Threaded versions of the memory-bound kernels (activations, pooling, batch normalization). Each splits work
 * into pieces that share no output (element ranges, planes, channels), so results never depend on the thread
 * count. Activations and max pooling equal the reference bit for bit, with loops free of data-dependent
 * branches; batch normalization sums each channel over fixed interleaved lanes instead of one chain, which
 * differs from the reference only in the last bits of a double. */
#include "threaded.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../clamp.h"
#include "../ref/activation.h"
#include "../ref/batch_norm.h"
#include "fovea/ops.h"

#define CHUNK 16384 /* elements per piece of an elementwise kernel */

/* Whether the AVX2 versions run: the same bits as the others, twice the doubles per instruction. */
static bool use_avx2(void)
{
#ifdef __SSE2__
    return fv_simd_level_get() >= FV_SIMD_AVX2;
#else
    return false;
#endif
}



/* The piecewise-linear kinds as float loops without branches, which vectorize (a data-dependent branch per
 * element costs a misprediction on half of them). Both sides of each select are computed first: a product
 * on one side only would be kept behind a branch, since it could raise a floating-point exception; and the
 * slope gets a statement of its own, since GCC rewrites x * (c ? 1 : 0) as c ? x * 1 : x * 0. They equal
 * the reference's double arithmetic bit for bit: the product of two floats is exact in double, so rounding it
 * once to float is the float product. */
static bool linear_forward(float *out, const float *inp, int64_t n, int kind, float alpha)
{
    switch (kind) {
    case FV_ACT_RELU:
#pragma omp simd
        for (int64_t i = 0; i < n; i++) out[i] = fv_relu0(inp[i]);
        return true;
    case FV_ACT_LEAKY_RELU:
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            float x = inp[i], leak = alpha * x;
            out[i] = x > 0.0f ? x : leak;
        }
        return true;
    case FV_ACT_RELU6:
#pragma omp simd
        for (int64_t i = 0; i < n; i++) out[i] = fv_clamp0(inp[i], 6.0f);
        return true;
    default: return false;
    }
}

/* dinp = (or +=, unless assign) dout * slope for the slopes the kind gives; false for other kinds. */
#define SLOPE_LOOP(slope_expr)                                                                                     \
    do {                                                                                                           \
        if (assign) {                                                                                              \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                                  \
                float slope = (slope_expr);                                                                        \
                dinp[i] = dout[i] * slope;                                                                         \
            }                                                                                                      \
        } else {                                                                                                   \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                                  \
                float slope = (slope_expr);                                                                        \
                dinp[i] += dout[i] * slope;                                                                        \
            }                                                                                                      \
        }                                                                                                          \
    } while (0)

static bool linear_backward(float *dinp, const float *dout, const float *inp, int64_t n, int kind, float alpha,
                            bool assign)
{
    switch (kind) {
    case FV_ACT_RELU: SLOPE_LOOP(inp[i] > 0.0f ? 1.0f : 0.0f); return true;
    case FV_ACT_LEAKY_RELU: SLOPE_LOOP(inp[i] > 0.0f ? 1.0f : alpha); return true;
    case FV_ACT_RELU6: SLOPE_LOOP(((inp[i] > 0.0f) & (inp[i] < 6.0f)) ? 1.0f : 0.0f); return true;
    default: return false;
    }
}

#ifdef __SSE2__
/* Leaky ReLU with AVX2 selects: GCC 12 leaves the loops above branchy at -O2 (it will not compute the product
 * for the side not taken, which could raise an exception), a misprediction on half the elements (a sixth of a
 * tiny-YOLO training step). Both sides computed, the compare picks one: the same bits, NaN and -0 included. */
__attribute__((target("avx2"))) static void leaky_forward_avx2(float *out, const float *inp, int64_t n, float alpha)
{
    __m256 a = _mm256_set1_ps(alpha), zero = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(inp + i);
        _mm256_storeu_ps(out + i, _mm256_blendv_ps(_mm256_mul_ps(a, x), x, _mm256_cmp_ps(x, zero, _CMP_GT_OQ)));
    }
    for (; i < n; i++) {
        float x = inp[i], leak = alpha * x;
        out[i] = x > 0.0f ? x : leak;
    }
}

/* dinp = (or +=) dout times 1 where inp > 0, else alpha, as SLOPE_LOOP computes it. */
__attribute__((target("avx2"))) static void leaky_backward_avx2(float *dinp, const float *dout, const float *inp,
                                                                int64_t n, float alpha, bool assign)
{
    __m256 a = _mm256_set1_ps(alpha), one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 slope = _mm256_blendv_ps(a, one, _mm256_cmp_ps(_mm256_loadu_ps(inp + i), zero, _CMP_GT_OQ));
        __m256 d = _mm256_mul_ps(_mm256_loadu_ps(dout + i), slope);
        if (!assign) d = _mm256_add_ps(_mm256_loadu_ps(dinp + i), d);
        _mm256_storeu_ps(dinp + i, d);
    }
    for (; i < n; i++) {
        float slope = inp[i] > 0.0f ? 1.0f : alpha;
        dinp[i] = assign ? dout[i] * slope : dinp[i] + dout[i] * slope;
    }
}
#endif

/* An elementwise kernel's operands; ranges of elements go to the threads. */
typedef struct {
    float *out;
    const float *dout, *inp;
    int kind;
    float alpha;
    bool assign; /* backward: out (dinp) holds no values yet */
} act_job;

static void act_forward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const act_job *j = p;
#ifdef __SSE2__
    if (j->kind == FV_ACT_LEAKY_RELU && use_avx2()) {
        leaky_forward_avx2(j->out + i0, j->inp + i0, i1 - i0, j->alpha);
        return;
    }
#endif
    if (!linear_forward(j->out + i0, j->inp + i0, i1 - i0, j->kind, j->alpha))
        fv_ref_activation_forward(j->out + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
}

static void act_backward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const act_job *j = p;
#ifdef __SSE2__
    if (j->kind == FV_ACT_LEAKY_RELU && use_avx2()) {
        leaky_backward_avx2(j->out + i0, j->dout + i0, j->inp + i0, i1 - i0, j->alpha, j->assign);
        return;
    }
#endif
    if (linear_backward(j->out + i0, j->dout + i0, j->inp + i0, i1 - i0, j->kind, j->alpha, j->assign)) return;
    if (j->assign) memset(j->out + i0, 0, sizeof(float) * (size_t)(i1 - i0));
    fv_ref_activation_backward(j->out + i0, j->dout + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
}

void fv_fast_activation_forward(int threads, float *out, const float *inp, int64_t n, int kind, float alpha)
{
    act_job j = {.out = out, .inp = inp, .kind = kind, .alpha = alpha};
    fv_parallel_for(n >= 2 * CHUNK ? threads : 1, n, CHUNK, act_forward_range, &j);
}

void fv_fast_activation_backward(int threads, float *dinp, const float *dout, const float *inp, int64_t n, int kind,
                                 float alpha, bool assign)
{
    act_job j = {dinp, dout, inp, kind, alpha, assign};
    fv_parallel_for(n >= 2 * CHUNK ? threads : 1, n, CHUNK, act_backward_range, &j);
}

/* The planes [p0, p0 + count) of a pooling as a pooling of its own (N = 1, C = count). */
static fv_ref_pool2d_geom planes(const fv_ref_pool2d_geom *g, int64_t count)
{
    fv_ref_pool2d_geom s = *g;
    s.N = 1;
    s.C = count;
    return s;
}

#define PLANES_PER_PIECE 8

/* One axis of the window grid, as the reference clips it: [lo, hi) of the real input for output o. */
static void window(int64_t o, int k, int s, int pad, int64_t in, int64_t *lo, int64_t *hi)
{
    int64_t start = o * s - pad, end = start + k;
    *lo = start < 0 ? 0 : start;
    *hi = end < in ? end : in;
}

/* An integer that orders as the float does: the float's bits, with the magnitude bits of negatives flipped
 * (and -0 mapped to +0's 0), so that window maxima compile to conditional moves: a float comparison per
 * element would be a branch, and mispredicted on half of them. *nan is set for a NaN, which has no place in
 * this order. */
static inline int32_t order_key(const float *p, int32_t *nan)
{
    int32_t b;
    memcpy(&b, p, sizeof b);
    int32_t neg = b >> 31; /* all ones for negatives */
    *nan |= (b & 0x7fffffff) > 0x7f800000;
    return (b ^ (neg & 0x7fffffff)) - neg;
}

/* The reference's rule over one window, for windows holding a NaN: the first element, then any larger one,
 * and the first NaN ends the search. */
static int64_t window_argmax_slow(const float *x, int64_t W, int64_t h0, int64_t h1, int64_t w0, int64_t w1)
{
    int64_t at = h0 * W + w0;
    for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w1; w++) {
            float v = x[h * W + w];
            if (isnan(v)) return h * W + w;
            if (v > x[at]) at = h * W + w;
        }
    return at;
}

/* The index of a window's first maximum, as the reference finds it. */
static int64_t window_argmax(const float *x, int64_t W, int64_t h0, int64_t h1, int64_t w0, int64_t w1)
{
    int32_t nan = 0;
    int64_t at = h0 * W + w0;
    int32_t best = order_key(x + at, &nan);
    for (int64_t h = h0; h < h1; h++)
        for (int64_t w = (h == h0 ? w0 + 1 : w0); w < w1; w++) {
            int32_t k = order_key(x + h * W + w, &nan);
            at = k > best ? h * W + w : at;
            best = k > best ? k : best;
        }
    return nan ? window_argmax_slow(x, W, h0, h1, w0, w1) : at;
}

#ifdef __SSE2__
/* p[0], p[2], p[4], p[6] from two loads that stay within p[0..6] (p[7] may lie past the buffer). */
static inline __m128 every_other(const float *p)
{
    __m128 lo = _mm_loadu_ps(p), hi = _mm_loadu_ps(p + 3); /* p0 p1 p2 p3, p3 p4 p5 p6 */
    return _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 2, 0));
}

/* Four windows side by side, [ow, ow + 4) of output row oh, all inside the input columns: the reference's scan
 * in (h, w) order on four lanes, the comparison selecting both the value and the index. Returns false, having
 * written nothing, when a window holds a NaN (the scalar path then follows the reference's NaN rule). */
static bool max_pool_four(float *out, int32_t *argmax, const float *x, const fv_ref_pool2d_geom *g, int64_t h0,
                          int64_t h1, int64_t ow)
{
    int64_t w0 = ow * g->sw - g->pl, sw = g->sw;
    __m128 best = _mm_setzero_ps(), nan = _mm_setzero_ps();
    __m128i at = _mm_setzero_si128(), lanes = _mm_set_epi32(3 * (int)sw, 2 * (int)sw, (int)sw, 0);
    for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w0 + g->kw; w++) {
            const float *p = x + h * g->W + w;
            __m128 v = sw == 1   ? _mm_loadu_ps(p)
                       : sw == 2 ? every_other(p)
                                 : _mm_set_ps(p[3 * sw], p[2 * sw], p[sw], p[0]);
            __m128i idx = _mm_add_epi32(_mm_set1_epi32((int)(h * g->W + w)), lanes);
            nan = _mm_or_ps(nan, _mm_cmpunord_ps(v, v));
            __m128 take = h == h0 && w == w0 ? _mm_castsi128_ps(_mm_set1_epi32(-1)) : _mm_cmpgt_ps(v, best);
            best = _mm_or_ps(_mm_and_ps(take, v), _mm_andnot_ps(take, best));
            __m128i t = _mm_castps_si128(take);
            at = _mm_or_si128(_mm_and_si128(t, idx), _mm_andnot_si128(t, at));
        }
    if (_mm_movemask_ps(nan)) return false;
    _mm_storeu_ps(out, best);
    _mm_storeu_si128((__m128i *)argmax, at);
    return true;
}

/* 2x2 windows at stride 2 starting at column 0, rows h0 and h0 + 1 of x: outputs [0, 4 * k) of the row, four at a
 * time, stopping at the first group whose windows hold a NaN or reach past the row. Each window is
 * scanned in the reference's order (top left, top right, bottom left, bottom right; strictly greater
 * replaces), the comparison selecting value and index together. Returns the outputs written. */
static int64_t max_pool_2x2_row(float *out, int32_t *argmax, const float *x, int64_t W, int64_t h0, int64_t OW)
{
    int64_t ow = 0, done = 0;
    if (2 * OW > W) OW = W / 2; /* ceil mode: the last window is clipped */
    for (; done < OW && OW >= 4; ow += 4) {
        if (ow + 4 > OW) ow = OW - 4; /* a last group overlapping the one before rewrites the same values */
        const float *p = x + h0 * W + 2 * ow;
        __m128 v[4] = {every_other(p), every_other(p + 1), every_other(p + W), every_other(p + W + 1)};
        __m128 nan = _mm_or_ps(_mm_or_ps(_mm_cmpunord_ps(v[0], v[0]), _mm_cmpunord_ps(v[1], v[1])),
                               _mm_or_ps(_mm_cmpunord_ps(v[2], v[2]), _mm_cmpunord_ps(v[3], v[3])));
        if (_mm_movemask_ps(nan)) break;
        __m128i base = _mm_add_epi32(_mm_set1_epi32((int32_t)(h0 * W + 2 * ow)), _mm_set_epi32(6, 4, 2, 0));
        const int32_t offset[4] = {0, 1, (int32_t)W, (int32_t)W + 1};
        __m128 best = v[0];
        __m128i at = base;
        for (int k = 1; k < 4; k++) {
            __m128 take = _mm_cmpgt_ps(v[k], best);
            __m128i t = _mm_castps_si128(take), idx = _mm_add_epi32(base, _mm_set1_epi32(offset[k]));
            best = _mm_or_ps(_mm_and_ps(take, v[k]), _mm_andnot_ps(take, best));
            at = _mm_or_si128(_mm_and_si128(t, idx), _mm_andnot_si128(t, at));
        }
        _mm_storeu_ps(out + ow, best);
        _mm_storeu_si128((__m128i *)(argmax + ow), at);
        done = ow + 4;
    }
    return done;
}

/* p[0], p[2], ..., p[14] and p[1], p[3], ..., p[15] */
__attribute__((target("avx2"))) static inline void evens_odds_avx2(const float *p, __m256 *even, __m256 *odd)
{
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
}

/* max_pool_2x2_row eight outputs at a time (rows of at least 16 columns); the same selections, so the same
 * bits. */
__attribute__((target("avx2"))) static int64_t max_pool_2x2_row_avx2(float *out, int32_t *argmax, const float *x,
                                                                    int64_t W, int64_t h0, int64_t OW)
{
    int64_t ow = 0, done = 0;
    if (2 * OW > W) OW = W / 2;
    for (; done < OW && OW >= 8; ow += 8) {
        if (ow + 8 > OW) ow = OW - 8;
        const float *p = x + h0 * W + 2 * ow;
        __m256 v[4];
        evens_odds_avx2(p, &v[0], &v[1]);
        evens_odds_avx2(p + W, &v[2], &v[3]);
        __m256 nan = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) nan = _mm256_or_ps(nan, _mm256_cmp_ps(v[k], v[k], _CMP_UNORD_Q));
        if (_mm256_movemask_ps(nan)) break;
        __m256i base = _mm256_add_epi32(_mm256_set1_epi32((int32_t)(h0 * W + 2 * ow)),
                                        _mm256_set_epi32(14, 12, 10, 8, 6, 4, 2, 0));
        const int32_t offset[4] = {0, 1, (int32_t)W, (int32_t)W + 1};
        __m256 best = v[0];
        __m256i at = base;
        for (int k = 1; k < 4; k++) {
            __m256 take = _mm256_cmp_ps(v[k], best, _CMP_GT_OQ);
            best = _mm256_blendv_ps(best, v[k], take);
            __m256i idx = _mm256_add_epi32(base, _mm256_set1_epi32(offset[k]));
            at = _mm256_blendv_epi8(at, idx, _mm256_castps_si256(take));
        }
        _mm256_storeu_ps(out + ow, best);
        _mm256_storeu_si256((__m256i *)(argmax + ow), at);
        done = ow + 8;
    }
    return done;
}
#endif

/* The reference's max pooling of `planes` planes: the same outputs and argmax for every input. */
static void max_pool_planes(float *out, int32_t *argmax, const float *inp, int64_t planes, const fv_ref_pool2d_geom *g)
{
    /* outputs [ow_in0, ow_in1) have windows wholly inside the columns */
    int64_t last = g->W - g->kw + g->pl; /* the last column a window may start at, shifted by the padding */
    int64_t ow_in0 = (g->pl + g->sw - 1) / g->sw, ow_in1 = last < 0 ? 0 : last / g->sw + 1;
    if (ow_in1 > g->OW) ow_in1 = g->OW;
    /* the common 2x2 pooling at stride 2 has a kernel of its own */
    bool two_by_two = g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->pl == 0;
    bool avx2 = use_avx2();
    for (int64_t p = 0; p < planes; p++) {
        const float *x = inp + p * g->H * g->W;
        for (int64_t oh = 0; oh < g->OH; oh++) {
            int64_t h0, h1, row = (p * g->OH + oh) * g->OW;
            window(oh, g->kh, g->sh, g->pt, g->H, &h0, &h1);
            int64_t ow = 0;
#ifdef __SSE2__
            if (two_by_two && h1 - h0 == 2) {
                if (avx2) ow = max_pool_2x2_row_avx2(out + row, argmax + row, x, g->W, h0, g->OW);
                if (ow == 0) ow = max_pool_2x2_row(out + row, argmax + row, x, g->W, h0, g->OW);
            }
#endif
            for (; ow < g->OW; ow++) {
#ifdef __SSE2__
                if (ow >= ow_in0 && ow + 4 <= ow_in1 && h0 < h1 &&
                    max_pool_four(out + row + ow, argmax + row + ow, x, g, h0, h1, ow)) {
                    ow += 3;
                    continue;
                }
#endif
                int64_t w0, w1;
                window(ow, g->kw, g->sw, g->pl, g->W, &w0, &w1);
                if (h0 >= h1 || w0 >= w1) { /* a window wholly in the padding */
                    out[row + ow] = -INFINITY, argmax[row + ow] = -1;
                    continue;
                }
                int64_t at = window_argmax(x, g->W, h0, h1, w0, w1);
                out[row + ow] = x[at], argmax[row + ow] = (int32_t)at;
            }
        }
    }
}

/* A max pooling's operands; ranges of planes go to the threads. */
typedef struct {
    float *x;        /* out (forward) or dinp (backward) */
    const float *y;  /* inp (forward) or dout (backward) */
    int32_t *argmax; /* written forward, read backward */
    const fv_ref_pool2d_geom *g;
    bool assign;     /* backward: dinp holds no values yet; write it whole */
} pool_job;

/* ---- max pooling without the argmax (inference) ---- */

/* m, or v where v is greater or the first NaN: the reference's scan, one element at a time, without a branch. */
static inline float keep_max(float m, float v) { return v > m || (v != v && m == m) ? v : m; }

#ifdef __SSE2__
__attribute__((target("avx2"))) static inline __m256 keep_max8(__m256 m, __m256 v)
{
    __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ),
                               _mm256_and_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), _mm256_cmp_ps(m, m, _CMP_ORD_Q)));
    return _mm256_blendv_ps(m, v, take);
}

/* row_maxima's stem loop eight windows at a time, for windows [0, n8) rounded down to eights (x0 readable to
 * x0[2 n8 + 1]); returns the windows done. */
__attribute__((target("avx2"))) static int64_t stem_maxima_avx2(float *y, const float *x0, int64_t n8, bool fold)
{
    int64_t i = 0;
    for (; i + 8 <= n8; i += 8) {
        __m256 e, o, e2, o2;
        evens_odds_avx2(x0 + 2 * i, &e, &o);
        evens_odds_avx2(x0 + 2 * i + 2, &e2, &o2);
        __m256 m = keep_max8(keep_max8(e, o), e2);
        _mm256_storeu_ps(y + i, fold ? keep_max8(_mm256_loadu_ps(y + i), m) : m);
    }
    return i;
}
#endif

/* The maximum of input row xr over the columns of each window (-inf for a window wholly in the padding), into
 * o, or (fold) kept in o where it is not greater: the row folded into the rows above it. Outputs [in0, in1)
 * have whole windows and run as plain loops. */
static void row_maxima(float *o, const float *xr, const fv_ref_pool2d_geom *g, int64_t in0, int64_t in1, bool fold)
{
    for (int64_t ow = 0; ow < g->OW; ow++) {
        if (ow == in0) ow = in1; /* the interior is done below */
        if (ow >= g->OW) break;
        int64_t w0, w1;
        window(ow, g->kw, g->sw, g->pl, g->W, &w0, &w1);
        float m = w0 < w1 ? xr[w0] : -INFINITY;
        for (int64_t w = w0 + 1; w < w1; w++) m = keep_max(m, xr[w]);
        o[ow] = fold ? keep_max(o[ow], m) : m;
    }
    int64_t sw = g->sw, kw = g->kw;
    const float *x0 = xr - g->pl + in0 * sw;
    float *y = o + in0;
    int64_t n = in1 - in0;
    if (kw == 3 && sw == 2) { /* a network's stem (3x3 at stride 2): the window's columns as constants */
#ifdef __SSE2__
        /* eight at a time, reading x0[0 .. 2 i + 17]: only as far as the row goes */
        int64_t room = g->W - (in0 * sw - g->pl), i0 = 0;
        if (use_avx2() && room >= 18) i0 = stem_maxima_avx2(y, x0, (room - 18) / 2 + 1 < n ? (room - 18) / 2 + 1 : n, fold);
        y += i0, x0 += 2 * i0, n -= i0;
#endif
        if (fold) {
#pragma omp simd
            for (int64_t i = 0; i < n; i++)
                y[i] = keep_max(y[i], keep_max(keep_max(x0[2 * i], x0[2 * i + 1]), x0[2 * i + 2]));
        } else {
#pragma omp simd
            for (int64_t i = 0; i < n; i++) y[i] = keep_max(keep_max(x0[2 * i], x0[2 * i + 1]), x0[2 * i + 2]);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        const float *q = x0 + i * sw;
        float m = q[0];
        for (int64_t k = 1; k < kw; k++) m = keep_max(m, q[k]);
        y[i] = fold ? keep_max(y[i], m) : m;
    }
}

/* Each window row's columns first, then the rows in order: the first element of the window (in the reference's
 * row-major scan) that holds the maximum is the first holding it in the first row that does, so the value, the
 * sign of a zero and the NaN kept are the reference's. */
static void max_pool_values_planes(float *out, const float *inp, int64_t planes, const fv_ref_pool2d_geom *g)
{
    int64_t last = g->W - g->kw + g->pl;
    int64_t in0 = (g->pl + g->sw - 1) / g->sw, in1 = last < 0 ? 0 : last / g->sw + 1;
    if (in1 > g->OW) in1 = g->OW;
    if (in0 > in1) in0 = in1;
    for (int64_t p = 0; p < planes; p++) {
        const float *x = inp + p * g->H * g->W;
        for (int64_t oh = 0; oh < g->OH; oh++) {
            float *o = out + (p * g->OH + oh) * g->OW;
            int64_t h0, h1;
            window(oh, g->kh, g->sh, g->pt, g->H, &h0, &h1);
            if (h0 >= h1)
                for (int64_t ow = 0; ow < g->OW; ow++) o[ow] = -INFINITY;
            for (int64_t h = h0; h < h1; h++) row_maxima(o, x + h * g->W, g, in0, in1, h > h0);
        }
    }
}

static void max_pool_forward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const pool_job *j = p;
    int64_t out_plane = j->g->OH * j->g->OW;
    if (!j->argmax)
        max_pool_values_planes(j->x + p0 * out_plane, j->y + p0 * j->g->H * j->g->W, p1 - p0, j->g);
    else
        max_pool_planes(j->x + p0 * out_plane, j->argmax + p0 * out_plane, j->y + p0 * j->g->H * j->g->W, p1 - p0,
                        j->g);
}

/* Whether the windows tile the planes: kernel == stride, no padding, every window whole. Each input element
 * is then in at most one window, so its gradient can be computed where it lies instead of scattered. */
static bool windows_tile(const fv_ref_pool2d_geom *g)
{
    return g->kh == g->sh && g->kw == g->sw && !g->pt && !g->pl && !g->pb && !g->pr && g->OH * g->kh <= g->H &&
           g->OW * g->kw <= g->W;
}

#ifdef __SSE2__
/* One input row of a 2-wide tiling, columns [0, 2 * count) in steps of 8: each output's argmax and gradient are
 * doubled across its two columns and compared with the columns' indices. Returns the columns done. */
static int64_t unpool_row_pairs(float *row, const float *d, const int32_t *a, int32_t first, int64_t count,
                                bool assign)
{
    int64_t ow = 0, done = 0;
    for (; done < count && (ow + 4 <= count || (assign && count >= 4)); ow += 4) {
        if (ow + 4 > count) ow = count - 4; /* assigning, a last group overlapping the one before is harmless */
        __m128i a4 = _mm_loadu_si128((const __m128i *)(a + ow));
        __m128 d4 = _mm_loadu_ps(d + ow);
        __m128i base = _mm_add_epi32(_mm_set1_epi32(first + (int32_t)(2 * ow)), _mm_set_epi32(3, 2, 1, 0));
        __m128i hit_lo = _mm_cmpeq_epi32(_mm_unpacklo_epi32(a4, a4), base);
        __m128i hit_hi = _mm_cmpeq_epi32(_mm_unpackhi_epi32(a4, a4), _mm_add_epi32(base, _mm_set1_epi32(4)));
        __m128 m_lo = _mm_castsi128_ps(hit_lo), m_hi = _mm_castsi128_ps(hit_hi);
        __m128 d_lo = _mm_unpacklo_ps(d4, d4), d_hi = _mm_unpackhi_ps(d4, d4);
        float *o = row + 2 * ow;
        if (assign) {
            _mm_storeu_ps(o, _mm_and_ps(m_lo, d_lo));
            _mm_storeu_ps(o + 4, _mm_and_ps(m_hi, d_hi));
        } else { /* only the maxima change: o + 0 would turn -0 into +0 */
            __m128 o_lo = _mm_loadu_ps(o), o_hi = _mm_loadu_ps(o + 4);
            _mm_storeu_ps(o, _mm_or_ps(_mm_and_ps(m_lo, _mm_add_ps(o_lo, d_lo)), _mm_andnot_ps(m_lo, o_lo)));
            _mm_storeu_ps(o + 4, _mm_or_ps(_mm_and_ps(m_hi, _mm_add_ps(o_hi, d_hi)), _mm_andnot_ps(m_hi, o_hi)));
        }
        done = ow + 4;
    }
    return 2 * done;
}
#endif

/* Input row h of a tiling pooling's plane: each element gets its window's gradient if it is the window's
 * argmax, which is the reference's scatter (one add per element at most). Assign: the rest become 0. */
static void unpool_row(float *row, const float *dy, const int32_t *argmax, int64_t h, const fv_ref_pool2d_geom *g,
                       bool assign)
{
    int64_t oh = h / g->kh, kw = g->kw, ow = 0, w = 0;
    const float *d = dy + oh * g->OW;
    const int32_t *a = argmax + oh * g->OW;
    int32_t first = (int32_t)(h * g->W);
    if (oh < g->OH) { /* rows below the last window only get zeros */
#ifdef __SSE2__
        if (kw == 2) w = unpool_row_pairs(row, d, a, first, g->OW, assign), ow = w / 2;
#endif
        for (; ow < g->OW; ow++)
            for (int64_t k = 0; k < kw; k++, w++) {
                bool hit = a[ow] == first + (int32_t)w;
                row[w] = hit ? (assign ? d[ow] : row[w] + d[ow]) : (assign ? 0.0f : row[w]);
            }
    }
    if (assign)
        for (; w < g->W; w++) row[w] = 0.0f;
}

static void max_pool_backward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const pool_job *j = p;
    const fv_ref_pool2d_geom *g = j->g;
    int64_t out_plane = g->OH * g->OW, in_plane = g->H * g->W;
    if (windows_tile(g)) {
        for (int64_t q = p0; q < p1; q++)
            for (int64_t h = 0; h < g->H; h++)
                unpool_row(j->x + q * in_plane + h * g->W, j->y + q * out_plane, j->argmax + q * out_plane, h, g,
                           j->assign);
        return;
    }
    if (j->assign) memset(j->x + p0 * in_plane, 0, sizeof(float) * (size_t)((p1 - p0) * in_plane));
    fv_ref_pool2d_geom s = planes(g, p1 - p0);
    fv_ref_max_pool2d_backward(j->x + p0 * in_plane, j->y + p0 * out_plane, j->argmax + p0 * out_plane, &s);
}

void fv_fast_max_pool2d_forward(int threads, float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *g)
{
    pool_job j = {out, inp, argmax, g, false};
    fv_parallel_for(threads, g->N * g->C, PLANES_PER_PIECE, max_pool_forward_range, &j);
}

void fv_fast_max_pool2d_backward(int threads, float *dinp, const float *dout, const int32_t *argmax,
                                 const fv_ref_pool2d_geom *g, bool assign)
{
    pool_job j = {dinp, dout, (int32_t *)argmax, g, assign};
    fv_parallel_for(threads, g->N * g->C, PLANES_PER_PIECE, max_pool_backward_range, &j);
}

/* ---- average pooling: the reference's planes, shared out ---- */

typedef struct {
    float *x;       /* out (forward) or dinp (backward) */
    const float *y; /* inp (forward) or dout (backward) */
    const fv_ref_pool2d_geom *g;
    bool count_include_pad, backward;
} avg_job;

static void avg_pool_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const avg_job *j = p;
    int64_t in_plane = j->g->H * j->g->W, out_plane = j->g->OH * j->g->OW;
    fv_ref_pool2d_geom s = planes(j->g, p1 - p0);
    if (j->backward)
        fv_ref_avg_pool2d_backward(j->x + p0 * in_plane, j->y + p0 * out_plane, &s, j->count_include_pad);
    else
        fv_ref_avg_pool2d_forward(j->x + p0 * out_plane, j->y + p0 * in_plane, &s, j->count_include_pad);
}

void fv_fast_avg_pool2d(int threads, float *x, const float *y, const fv_ref_pool2d_geom *g, bool count_include_pad,
                        bool backward)
{
    avg_job j = {x, y, g, count_include_pad, backward};
    fv_parallel_for(threads, g->N * g->C, PLANES_PER_PIECE, avg_pool_range, &j);
}

/* ---- zeroing ---------------------------------------------------------------------------------------- */

#define ZERO_CHUNK 65536 /* floats per piece: 256 KiB */

static void zero_range(void *p, int64_t i0, int64_t i1, int worker)
{
    memset((float *)p + i0, 0, sizeof(float) * (size_t)(i1 - i0));
}

void fv_fast_zero(int threads, float *x, int64_t n)
{
    fv_parallel_for(n >= 2 * ZERO_CHUNK ? threads : 1, n, ZERO_CHUNK, zero_range, x);
}

/* ---- batch normalization ---------------------------------------------------------------------------- */

/* Channel sums in double over LANES interleaved partial sums: element i of each plane goes to lane i % LANES,
 * and the lanes are added in a fixed tree at the end. The order depends on neither the thread count nor the
 * vector width, and the lanes are independent chains, so the loop runs at the adder's throughput rather than
 * its latency (the reference's single chain does not). */
#define LANES 8

static double lanes_total(const double *acc)
{
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

#ifdef __SSE2__
/* The eight lanes as four pairs of doubles in registers: GCC kept the lanes of the plain loop (an array of 8)
 * in memory, one store-to-load chain per lane, which ran at a third of this speed. */
typedef struct {
    __m128d a, b, c, d;
} lanes8;

static inline lanes8 lanes_zero(void)
{
    lanes8 z = {_mm_setzero_pd(), _mm_setzero_pd(), _mm_setzero_pd(), _mm_setzero_pd()};
    return z;
}

/* p[0, 8) as doubles; a plane's tail (count < 8) is padded with zeros. */
static inline lanes8 load8(const float *p, int64_t count)
{
    float pad[8] = {0};
    if (count < 8) memcpy(pad, p, sizeof(float) * (size_t)count), p = pad;
    __m128 lo = _mm_loadu_ps(p), hi = _mm_loadu_ps(p + 4);
    lanes8 v = {_mm_cvtps_pd(lo), _mm_cvtps_pd(_mm_movehl_ps(lo, lo)), _mm_cvtps_pd(hi),
                _mm_cvtps_pd(_mm_movehl_ps(hi, hi))};
    return v;
}

/* acc + v, lanes at or past count (a tail) left as they are: +0 added, which changes no sum (a sum that starts
 * at +0 is never -0). */
static inline lanes8 lanes_add(lanes8 acc, lanes8 v, int64_t count)
{
    if (count < 8) {
        __m128d n = _mm_set1_pd((double)count);
        v.a = _mm_and_pd(v.a, _mm_cmplt_pd(_mm_set_pd(1, 0), n));
        v.b = _mm_and_pd(v.b, _mm_cmplt_pd(_mm_set_pd(3, 2), n));
        v.c = _mm_and_pd(v.c, _mm_cmplt_pd(_mm_set_pd(5, 4), n));
        v.d = _mm_and_pd(v.d, _mm_cmplt_pd(_mm_set_pd(7, 6), n));
    }
    lanes8 r = {_mm_add_pd(acc.a, v.a), _mm_add_pd(acc.b, v.b), _mm_add_pd(acc.c, v.c), _mm_add_pd(acc.d, v.d)};
    return r;
}

/* (v - shift)^2 on each lane */
static inline lanes8 lanes_square(lanes8 v, __m128d shift)
{
    __m128d a = _mm_sub_pd(v.a, shift), b = _mm_sub_pd(v.b, shift), c = _mm_sub_pd(v.c, shift),
            d = _mm_sub_pd(v.d, shift);
    lanes8 r = {_mm_mul_pd(a, a), _mm_mul_pd(b, b), _mm_mul_pd(c, c), _mm_mul_pd(d, d)};
    return r;
}

static inline double lanes8_total(lanes8 v)
{
    double acc[LANES];
    _mm_storeu_pd(acc, v.a), _mm_storeu_pd(acc + 2, v.b), _mm_storeu_pd(acc + 4, v.c), _mm_storeu_pd(acc + 6, v.d);
    return lanes_total(acc);
}

/* The sum of channel c's elements of x (N, C, HW), minus shift, or of their squares. */
static double channel_sum(const float *x, int64_t c, int64_t N, int64_t C, int64_t HW, bool squares, double shift)
{
    lanes8 acc = lanes_zero();
    __m128d sh = _mm_set1_pd(shift);
    for (int64_t n = 0; n < N; n++) {
        const float *p = x + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i += LANES) {
            lanes8 v = load8(p + i, HW - i);
            acc = lanes_add(acc, squares ? lanes_square(v, sh) : v, HW - i);
        }
    }
    return lanes8_total(acc);
}

/* The sums of dy and of dy * (x - mean) * invstd over channel c. */
static void channel_grad_sums(double *sum_dy, double *sum_dy_xhat, const float *dy, const float *x, int64_t c,
                              int64_t N, int64_t C, int64_t HW, double mean, double is)
{
    lanes8 s = lanes_zero(), sx = lanes_zero();
    __m128d m = _mm_set1_pd(mean), k = _mm_set1_pd(is);
    for (int64_t n = 0; n < N; n++) {
        const float *d = dy + (n * C + c) * HW, *p = x + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i += LANES) {
            lanes8 dv = load8(d + i, HW - i), pv = load8(p + i, HW - i);
            lanes8 t = {_mm_mul_pd(dv.a, _mm_mul_pd(_mm_sub_pd(pv.a, m), k)),
                        _mm_mul_pd(dv.b, _mm_mul_pd(_mm_sub_pd(pv.b, m), k)),
                        _mm_mul_pd(dv.c, _mm_mul_pd(_mm_sub_pd(pv.c, m), k)),
                        _mm_mul_pd(dv.d, _mm_mul_pd(_mm_sub_pd(pv.d, m), k))};
            s = lanes_add(s, dv, HW - i);
            sx = lanes_add(sx, t, HW - i);
        }
    }
    *sum_dy = lanes8_total(s);
    *sum_dy_xhat = lanes8_total(sx);
}

/* The same sums with AVX2: the eight lanes in two registers of four, every lane the same chain of the same
 * operations (no fused multiply-add), so the bits equal the SSE2 version's. */
#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256d load4_avx2(const float *p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }

/* acc + v on lanes [first, first + 4) that lie below count */
AVX2 static inline __m256d add4_avx2(__m256d acc, __m256d v, int64_t first, int64_t count)
{
    if (count < first + 4)
        v = _mm256_and_pd(v, _mm256_cmp_pd(_mm256_add_pd(_mm256_set1_pd((double)first), _mm256_set_pd(3, 2, 1, 0)),
                                           _mm256_set1_pd((double)count), _CMP_LT_OQ));
    return _mm256_add_pd(acc, v);
}

AVX2 static inline double total_avx2(__m256d lo, __m256d hi)
{
    double acc[LANES];
    _mm256_storeu_pd(acc, lo), _mm256_storeu_pd(acc + 4, hi);
    return lanes_total(acc);
}

AVX2 static double channel_sum_avx2(const float *x, int64_t c, int64_t N, int64_t C, int64_t HW, bool squares,
                                    double shift)
{
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd(), sh = _mm256_set1_pd(shift);
    for (int64_t n = 0; n < N; n++) {
        const float *p = x + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i += LANES) {
            float pad[8] = {0};
            const float *q = HW - i >= 8 ? p + i : memcpy(pad, p + i, sizeof(float) * (size_t)(HW - i));
            __m256d a = load4_avx2(q), b = load4_avx2(q + 4);
            if (squares) {
                a = _mm256_sub_pd(a, sh), b = _mm256_sub_pd(b, sh);
                a = _mm256_mul_pd(a, a), b = _mm256_mul_pd(b, b);
            }
            lo = add4_avx2(lo, a, 0, HW - i), hi = add4_avx2(hi, b, 4, HW - i);
        }
    }
    return total_avx2(lo, hi);
}

AVX2 static void channel_grad_sums_avx2(double *sum_dy, double *sum_dy_xhat, const float *dy, const float *x,
                                        int64_t c, int64_t N, int64_t C, int64_t HW, double mean, double is)
{
    __m256d s_lo = _mm256_setzero_pd(), s_hi = _mm256_setzero_pd(), x_lo = _mm256_setzero_pd(),
            x_hi = _mm256_setzero_pd(), m = _mm256_set1_pd(mean), k = _mm256_set1_pd(is);
    for (int64_t n = 0; n < N; n++) {
        const float *d = dy + (n * C + c) * HW, *p = x + (n * C + c) * HW;
        for (int64_t i = 0; i < HW; i += LANES) {
            float dpad[8] = {0}, ppad[8] = {0};
            const float *dq = d + i, *pq = p + i;
            if (HW - i < 8) {
                dq = memcpy(dpad, d + i, sizeof(float) * (size_t)(HW - i));
                pq = memcpy(ppad, p + i, sizeof(float) * (size_t)(HW - i));
            }
            __m256d da = load4_avx2(dq), db = load4_avx2(dq + 4), pa = load4_avx2(pq), pb = load4_avx2(pq + 4);
            __m256d ta = _mm256_mul_pd(da, _mm256_mul_pd(_mm256_sub_pd(pa, m), k));
            __m256d tb = _mm256_mul_pd(db, _mm256_mul_pd(_mm256_sub_pd(pb, m), k));
            s_lo = add4_avx2(s_lo, da, 0, HW - i), s_hi = add4_avx2(s_hi, db, 4, HW - i);
            x_lo = add4_avx2(x_lo, ta, 0, HW - i), x_hi = add4_avx2(x_hi, tb, 4, HW - i);
        }
    }
    *sum_dy = total_avx2(s_lo, s_hi);
    *sum_dy_xhat = total_avx2(x_lo, x_hi);
}
#else
/* The sum of channel c's elements of x (N, C, HW), minus shift, or of their squares. */
static double channel_sum(const float *x, int64_t c, int64_t N, int64_t C, int64_t HW, bool squares, double shift)
{
    double acc[LANES] = {0};
    for (int64_t n = 0; n < N; n++) {
        const float *p = x + (n * C + c) * HW;
        int64_t i = 0;
        if (squares)
            for (; i + LANES <= HW; i += LANES)
#pragma omp simd
                for (int j = 0; j < LANES; j++) acc[j] += (p[i + j] - shift) * (p[i + j] - shift);
        else
            for (; i + LANES <= HW; i += LANES)
#pragma omp simd
                for (int j = 0; j < LANES; j++) acc[j] += p[i + j];
        for (int j = 0; i < HW; i++, j++) acc[j] += squares ? (p[i] - shift) * (p[i] - shift) : p[i];
    }
    return lanes_total(acc);
}

/* The sums of dy and of dy * (x - mean) * invstd over channel c. */
static void channel_grad_sums(double *sum_dy, double *sum_dy_xhat, const float *dy, const float *x, int64_t c,
                              int64_t N, int64_t C, int64_t HW, double mean, double is)
{
    double s[LANES] = {0}, sx[LANES] = {0};
    for (int64_t n = 0; n < N; n++) {
        const float *d = dy + (n * C + c) * HW, *p = x + (n * C + c) * HW;
        int64_t i = 0;
        for (; i + LANES <= HW; i += LANES)
#pragma omp simd
            for (int j = 0; j < LANES; j++) {
                s[j] += d[i + j];
                sx[j] += d[i + j] * ((p[i + j] - mean) * is);
            }
        for (int j = 0; i < HW; i++, j++) {
            s[j] += d[i];
            sx[j] += d[i] * ((p[i] - mean) * is);
        }
    }
    *sum_dy = lanes_total(s);
    *sum_dy_xhat = lanes_total(sx);
}

#endif

static double channel_total(bool avx2, const float *x, int64_t c, int64_t N, int64_t C, int64_t HW, bool squares,
                            double shift)
{
#ifdef __SSE2__
    if (avx2) return channel_sum_avx2(x, c, N, C, HW, squares, shift);
#endif
    return channel_sum(x, c, N, C, HW, squares, shift);
}

static void stats_channel(double *mean, double *var, const float *x, int64_t c, int64_t N, int64_t C, int64_t HW,
                          bool avx2)
{
    double count = (double)(N * HW);
    double m = channel_total(avx2, x, c, N, C, HW, false, 0.0) / count;
    mean[c] = m;
    var[c] = channel_total(avx2, x, c, N, C, HW, true, m) / count; /* second pass around the mean, as the reference */
}

/* A batch norm's operands; ranges of channels (or of planes, for apply) go to the threads. */
typedef struct {
    float *out, *dgamma, *dbeta;
    double *mean64, *var64;
    const float *x, *dy, *mean, *invstd, *gamma, *beta;
    int batch_stats;
    bool assign; /* backward: dx holds no values yet */
    bool avx2;
    float *mean_out, *invstd_out; /* train-mode forward: the statistics it normalized with */
    double eps;
    float hi; /* apply: a fused clamp to [0, hi], or 0 for none; backward: the clamp dy is taken through first */
    float *dy_clamped; /* backward through a clamp: where the clamped dy goes (dx when assigned, else dy itself) */
    int64_t N, C, HW;
} bn_job;

/* Threads only for a batch norm big enough to pay for waking them. */
static int bn_threads(int threads, int64_t N, int64_t C, int64_t HW) { return N * C * HW >= 2 * CHUNK ? threads : 1; }

static void bn_stats_range(void *p, int64_t c0, int64_t c1, int worker)
{
    const bn_job *j = p;
    for (int64_t c = c0; c < c1; c++) stats_channel(j->mean64, j->var64, j->x, c, j->N, j->C, j->HW, j->avx2);
}

void fv_fast_batch_norm_stats(int threads, double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW)
{
    bn_job j = {.mean64 = mean, .var64 = var, .x = x, .avx2 = use_avx2(), .N = N, .C = C, .HW = HW};
    fv_parallel_for(bn_threads(threads, N, C, HW), C, 1, bn_stats_range, &j);
}

/* The reference's per-element arithmetic (in double), written so that it vectorizes; compiled twice below. */
static inline __attribute__((always_inline)) void apply_planes(const bn_job *j, int64_t p0, int64_t p1)
{
    int64_t HW = j->HW;
    for (int64_t q = p0; q < p1; q++) {
        int64_t c = q % j->C;
        double scale = (double)j->invstd[c] * (j->gamma ? j->gamma[c] : 1.0f), shift = j->beta ? j->beta[c] : 0.0f;
        double m = j->mean[c];
        const float *xp = j->x + q * HW;
        float *o = j->out + q * HW;
#pragma omp simd
        for (int64_t i = 0; i < HW; i++) o[i] = (float)((xp[i] - m) * scale + shift);
    }
}

#ifdef __SSE2__
AVX2 static void apply_planes_avx2(const bn_job *j, int64_t p0, int64_t p1) { apply_planes(j, p0, p1); }
#endif

static void apply_some(const bn_job *j, int64_t p0, int64_t p1)
{
#ifdef __SSE2__
    if (j->avx2) {
        apply_planes_avx2(j, p0, p1);
        return;
    }
#endif
    apply_planes(j, p0, p1);
}

/* Planes [p0, p1) of out clamped to [0, hi], where hi > 0. */
static void clamp_planes(const bn_job *j, int64_t p0, int64_t p1)
{
    if (!(j->hi > 0.0f)) return;
    float *o = j->out + p0 * j->HW, hi = j->hi;
    int64_t len = (p1 - p0) * j->HW;
#pragma omp simd
    for (int64_t i = 0; i < len; i++) o[i] = fv_clamp0(o[i], hi);
}

static void bn_apply_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const bn_job *j = p;
    apply_some(j, p0, p1);
    clamp_planes(j, p0, p1);
}

/* Train mode, channel by channel: the statistics, then the channel normalized while its planes are still in
 * the cache (a separate pass would read x from memory once more). */
static void bn_train_range(void *p, int64_t c0, int64_t c1, int worker)
{
    const bn_job *j = p;
    for (int64_t c = c0; c < c1; c++) {
        stats_channel(j->mean64, j->var64, j->x, c, j->N, j->C, j->HW, j->avx2);
        j->mean_out[c] = (float)j->mean64[c];
        j->invstd_out[c] = (float)(1.0 / sqrt(j->var64[c] + j->eps));
        for (int64_t n = 0; n < j->N; n++) {
            apply_some(j, n * j->C + c, n * j->C + c + 1);
            clamp_planes(j, n * j->C + c, n * j->C + c + 1); /* the plane is still in L1 */
        }
    }
}

void fv_fast_batch_norm_train(int threads, float *out, float *mean, float *invstd, double *mean64, double *var64,
                              const float *x, const float *gamma, const float *beta, float eps, int64_t N, int64_t C,
                              int64_t HW, float clamp_hi)
{
    bn_job j = {.out = out, .mean64 = mean64, .var64 = var64, .x = x, .mean = mean, .invstd = invstd,
                .gamma = gamma, .beta = beta, .avx2 = use_avx2(), .mean_out = mean, .invstd_out = invstd, .eps = eps,
                .hi = clamp_hi, .N = N, .C = C, .HW = HW};
    fv_parallel_for(bn_threads(threads, N, C, HW), C, 1, bn_train_range, &j);
}

void fv_fast_batch_norm_apply(int threads, float *out, const float *x, const float *mean, const float *invstd,
                              const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW, float clamp_hi)
{
    bn_job j = {.out = out, .x = x, .mean = mean, .invstd = invstd, .gamma = gamma, .beta = beta, .avx2 = use_avx2(),
                .N = N, .C = C, .HW = HW, .hi = clamp_hi};
    fv_parallel_for(bn_threads(threads, N, C, HW), N * C, 8, bn_apply_range, &j);
}

/* One channel's input gradient from its sums: dx = g * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), the
 * reference's arithmetic; compiled twice below. */
typedef struct {
    double m, is, g, mean_dy, mean_dy_xhat;
} bn_grad_terms;

static inline __attribute__((always_inline)) void dx_planes(const bn_job *j, int64_t c, const bn_grad_terms *t)
{
    const double m = t->m, is = t->is, g = t->g, mean_dy = t->mean_dy, mean_dy_xhat = t->mean_dy_xhat;
    for (int64_t n = 0; n < j->N; n++) {
        const float *d = j->dy + (n * j->C + c) * j->HW, *p = j->x + (n * j->C + c) * j->HW;
        float *o = j->out + (n * j->C + c) * j->HW;
        if (j->assign)
#pragma omp simd
            for (int64_t i = 0; i < j->HW; i++) {
                double xhat = (p[i] - m) * is;
                o[i] = (float)(g * is * (d[i] - mean_dy - xhat * mean_dy_xhat));
            }
        else
#pragma omp simd
            for (int64_t i = 0; i < j->HW; i++) {
                double xhat = (p[i] - m) * is;
                o[i] += (float)(g * is * (d[i] - mean_dy - xhat * mean_dy_xhat));
            }
    }
}

#ifdef __SSE2__
AVX2 static void dx_planes_avx2(const bn_job *j, int64_t c, const bn_grad_terms *t) { dx_planes(j, c, t); }
#endif

/* dy through the clamp that followed the batch norm, for channel c: dy times the clamp's slope, 1 where
 * 0 < z < hi (z > 0 for hi = +inf, a ReLU) and 0 elsewhere, z being the batch norm's output recomputed
 * exactly as apply_planes computed it (the same operations in double, rounded to float), so the slopes are
 * those a separate ReLU (or ReLU6) backward reads off the stored, clamped output; the product in float as that
 * backward does it (NaN times 0 stays NaN). Into dy_clamped's planes of channel c. */
static inline __attribute__((always_inline)) void clamp_planes_dy(const bn_job *j, int64_t c)
{
    int64_t HW = j->HW;
    double scale = (double)j->invstd[c] * (j->gamma ? j->gamma[c] : 1.0f), shift = j->beta ? j->beta[c] : 0.0f;
    double m = j->mean[c];
    float hi = j->hi;
    bool upper = hi < INFINITY;
    for (int64_t n = 0; n < j->N; n++) {
        const float *d = j->dy + (n * j->C + c) * HW, *p = j->x + (n * j->C + c) * HW;
        float *o = j->dy_clamped + (n * j->C + c) * HW;
        if (upper)
#pragma omp simd
            for (int64_t i = 0; i < HW; i++) {
                float z = (float)((p[i] - m) * scale + shift);
                o[i] = d[i] * (float)((z > 0.0f) & (z < hi));
            }
        else
#pragma omp simd
            for (int64_t i = 0; i < HW; i++) {
                float z = (float)((p[i] - m) * scale + shift);
                o[i] = d[i] * (float)(z > 0.0f);
            }
    }
}

#ifdef __SSE2__
/* The same with AVX2 intrinsics (the compiler leaves the loop above scalar): 8 elements a step, in double
 * without fused multiply-adds as above, so the slopes are the same bits; the row's tail as above. */
AVX2 static void clamp_planes_dy_avx2(const bn_job *j, int64_t c)
{
    int64_t HW = j->HW, whole = HW / 8 * 8;
    double scale = (double)j->invstd[c] * (j->gamma ? j->gamma[c] : 1.0f), shift = j->beta ? j->beta[c] : 0.0f;
    double m = j->mean[c];
    bool upper = j->hi < INFINITY;
    __m256d m4 = _mm256_set1_pd(m), k4 = _mm256_set1_pd(scale), b4 = _mm256_set1_pd(shift);
    __m256 zero = _mm256_setzero_ps(), hi = _mm256_set1_ps(j->hi), one = _mm256_set1_ps(1.0f);
    for (int64_t n = 0; n < j->N; n++) {
        const float *d = j->dy + (n * j->C + c) * HW, *p = j->x + (n * j->C + c) * HW;
        float *o = j->dy_clamped + (n * j->C + c) * HW;
        for (int64_t i = 0; i < whole; i += 8) {
            __m256d a = _mm256_add_pd(_mm256_mul_pd(_mm256_sub_pd(load4_avx2(p + i), m4), k4), b4);
            __m256d b = _mm256_add_pd(_mm256_mul_pd(_mm256_sub_pd(load4_avx2(p + i + 4), m4), k4), b4);
            __m256 z = _mm256_set_m128(_mm256_cvtpd_ps(b), _mm256_cvtpd_ps(a));
            __m256 live = _mm256_cmp_ps(z, zero, _CMP_GT_OQ);
            if (upper) live = _mm256_and_ps(live, _mm256_cmp_ps(z, hi, _CMP_LT_OQ));
            _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_loadu_ps(d + i), _mm256_and_ps(live, one)));
        }
        for (int64_t i = whole; i < HW; i++) {
            float z = (float)((p[i] - m) * scale + shift);
            o[i] = d[i] * (float)((z > 0.0f) & (!upper | (z < j->hi)));
        }
    }
}
#endif

static void clamp_dy(const bn_job *j, int64_t c)
{
#ifdef __SSE2__
    if (j->avx2) {
        clamp_planes_dy_avx2(j, c);
        return;
    }
#endif
    clamp_planes_dy(j, c);
}

static void backward_channel(const bn_job *j, int64_t c)
{
    if (j->dy_clamped) { /* the channel's planes through the clamp, then read from the cache by both passes */
        clamp_dy(j, c);
        bn_job t = *j;
        t.dy = j->dy_clamped, t.dy_clamped = NULL;
        backward_channel(&t, c);
        return;
    }
    double count = (double)(j->N * j->HW);
    bn_grad_terms t = {j->mean[c], j->invstd[c], j->gamma ? j->gamma[c] : 1.0, 0, 0};
    double sum_dy, sum_dy_xhat;
#ifdef __SSE2__
    if (j->avx2) channel_grad_sums_avx2(&sum_dy, &sum_dy_xhat, j->dy, j->x, c, j->N, j->C, j->HW, t.m, t.is);
    else
#endif
        channel_grad_sums(&sum_dy, &sum_dy_xhat, j->dy, j->x, c, j->N, j->C, j->HW, t.m, t.is);
    if (j->dgamma) j->dgamma[c] += (float)sum_dy_xhat;
    if (j->dbeta) j->dbeta[c] += (float)sum_dy;
    if (!j->out) return;
    t.mean_dy = j->batch_stats ? sum_dy / count : 0.0;
    t.mean_dy_xhat = j->batch_stats ? sum_dy_xhat / count : 0.0;
#ifdef __SSE2__
    if (j->avx2) {
        dx_planes_avx2(j, c, &t);
        return;
    }
#endif
    dx_planes(j, c, &t);
}

static void bn_backward_range(void *p, int64_t c0, int64_t c1, int worker)
{
    const bn_job *j = p;
    for (int64_t c = c0; c < c1; c++) backward_channel(j, c);
}

void fv_fast_batch_norm_backward(int threads, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                 const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                 bool assign, int64_t N, int64_t C, int64_t HW)
{
    bn_job j = {.out = dx, .dgamma = dgamma, .dbeta = dbeta, .dy = dy, .x = x, .mean = mean, .invstd = invstd,
                .gamma = gamma, .batch_stats = batch_stats, .assign = assign, .avx2 = use_avx2(), .N = N, .C = C,
                .HW = HW};
    fv_parallel_for(bn_threads(threads, N, C, HW), C, 1, bn_backward_range, &j);
}

void fv_fast_batch_norm_backward_clamped(int threads, float *dx, float *dgamma, float *dbeta, float *dy,
                                         const float *x, const float *mean, const float *invstd, const float *gamma,
                                         const float *beta, float hi, int batch_stats, bool assign, int64_t N,
                                         int64_t C, int64_t HW)
{
    bn_job j = {.out = dx, .dgamma = dgamma, .dbeta = dbeta, .dy = dy, .x = x, .mean = mean, .invstd = invstd,
                .gamma = gamma, .beta = beta, .batch_stats = batch_stats, .assign = assign, .avx2 = use_avx2(),
                .hi = hi, .dy_clamped = dx && assign ? dx : dy, .N = N, .C = C, .HW = HW};
    fv_parallel_for(bn_threads(threads, N, C, HW), C, 1, bn_backward_range, &j);
}
