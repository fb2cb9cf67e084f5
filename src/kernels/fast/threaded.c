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
#include <emmintrin.h>
#endif

#include "../../core/pool.h"
#include "../ref/activation.h"
#include "../ref/batch_norm.h"
#include "fovea/ops.h"

#define CHUNK 16384 /* elements per piece of an elementwise kernel */


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
        for (int64_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
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
        for (int64_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? (inp[i] < 6.0f ? inp[i] : 6.0f) : 0.0f;
        return true;
    default: return false;
    }
}

static bool linear_backward(float *dinp, const float *dout, const float *inp, int64_t n, int kind, float alpha)
{
    switch (kind) {
    case FV_ACT_RELU:
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            float slope = inp[i] > 0.0f ? 1.0f : 0.0f;
            dinp[i] += dout[i] * slope;
        }
        return true;
    case FV_ACT_LEAKY_RELU:
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            float slope = inp[i] > 0.0f ? 1.0f : alpha;
            dinp[i] += dout[i] * slope;
        }
        return true;
    case FV_ACT_RELU6:
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            float slope = ((inp[i] > 0.0f) & (inp[i] < 6.0f)) ? 1.0f : 0.0f;
            dinp[i] += dout[i] * slope;
        }
        return true;
    default: return false;
    }
}

/* An elementwise kernel's operands; ranges of elements go to the threads. */
typedef struct {
    float *out;
    const float *dout, *inp;
    int kind;
    float alpha;
} act_job;

static void act_forward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const act_job *j = p;
    if (!linear_forward(j->out + i0, j->inp + i0, i1 - i0, j->kind, j->alpha))
        fv_ref_activation_forward(j->out + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
}

static void act_backward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const act_job *j = p;
    if (!linear_backward(j->out + i0, j->dout + i0, j->inp + i0, i1 - i0, j->kind, j->alpha))
        fv_ref_activation_backward(j->out + i0, j->dout + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
}

void fv_fast_activation_forward(int threads, float *out, const float *inp, int64_t n, int kind, float alpha)
{
    act_job j = {out, NULL, inp, kind, alpha};
    fv_parallel_for(n >= 2 * CHUNK ? threads : 1, n, CHUNK, act_forward_range, &j);
}

void fv_fast_activation_backward(int threads, float *dinp, const float *dout, const float *inp, int64_t n, int kind,
                                 float alpha)
{
    act_job j = {dinp, dout, inp, kind, alpha};
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
            __m128 v = sw == 1 ? _mm_loadu_ps(p) : _mm_set_ps(p[3 * sw], p[2 * sw], p[sw], p[0]);
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
#endif

/* The reference's max pooling of `planes` planes: the same outputs and argmax for every input. */
static void max_pool_planes(float *out, int32_t *argmax, const float *inp, int64_t planes, const fv_ref_pool2d_geom *g)
{
    /* outputs [ow_in0, ow_in1) have windows wholly inside the columns */
    int64_t last = g->W - g->kw + g->pl; /* the last column a window may start at, shifted by the padding */
    int64_t ow_in0 = (g->pl + g->sw - 1) / g->sw, ow_in1 = last < 0 ? 0 : last / g->sw + 1;
    if (ow_in1 > g->OW) ow_in1 = g->OW;
    for (int64_t p = 0; p < planes; p++) {
        const float *x = inp + p * g->H * g->W;
        for (int64_t oh = 0; oh < g->OH; oh++) {
            int64_t h0, h1, row = (p * g->OH + oh) * g->OW;
            window(oh, g->kh, g->sh, g->pt, g->H, &h0, &h1);
            for (int64_t ow = 0; ow < g->OW; ow++) {
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
} pool_job;

static void max_pool_forward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const pool_job *j = p;
    int64_t out_plane = j->g->OH * j->g->OW;
    max_pool_planes(j->x + p0 * out_plane, j->argmax + p0 * out_plane, j->y + p0 * j->g->H * j->g->W, p1 - p0, j->g);
}

static void max_pool_backward_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const pool_job *j = p;
    int64_t out_plane = j->g->OH * j->g->OW;
    fv_ref_pool2d_geom s = planes(j->g, p1 - p0);
    fv_ref_max_pool2d_backward(j->x + p0 * j->g->H * j->g->W, j->y + p0 * out_plane, j->argmax + p0 * out_plane, &s);
}

void fv_fast_max_pool2d_forward(int threads, float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *g)
{
    pool_job j = {out, inp, argmax, g};
    fv_parallel_for(threads, g->N * g->C, PLANES_PER_PIECE, max_pool_forward_range, &j);
}

void fv_fast_max_pool2d_backward(int threads, float *dinp, const float *dout, const int32_t *argmax,
                                 const fv_ref_pool2d_geom *g)
{
    pool_job j = {dinp, dout, (int32_t *)argmax, g};
    fv_parallel_for(threads, g->N * g->C, PLANES_PER_PIECE, max_pool_backward_range, &j);
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

static void stats_channel(double *mean, double *var, const float *x, int64_t c, int64_t N, int64_t C, int64_t HW)
{
    double count = (double)(N * HW);
    double m = channel_sum(x, c, N, C, HW, false, 0.0) / count;
    mean[c] = m;
    var[c] = channel_sum(x, c, N, C, HW, true, m) / count; /* second pass around the mean, as the reference */
}

/* A batch norm's operands; ranges of channels (or of planes, for apply) go to the threads. */
typedef struct {
    float *out, *dgamma, *dbeta;
    double *mean64, *var64;
    const float *x, *dy, *mean, *invstd, *gamma, *beta;
    int batch_stats;
    int64_t N, C, HW;
} bn_job;

/* Threads only for a batch norm big enough to pay for waking them. */
static int bn_threads(int threads, int64_t N, int64_t C, int64_t HW) { return N * C * HW >= 2 * CHUNK ? threads : 1; }

static void bn_stats_range(void *p, int64_t c0, int64_t c1, int worker)
{
    const bn_job *j = p;
    for (int64_t c = c0; c < c1; c++) stats_channel(j->mean64, j->var64, j->x, c, j->N, j->C, j->HW);
}

void fv_fast_batch_norm_stats(int threads, double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW)
{
    bn_job j = {.mean64 = mean, .var64 = var, .x = x, .N = N, .C = C, .HW = HW};
    fv_parallel_for(bn_threads(threads, N, C, HW), C, 1, bn_stats_range, &j);
}

/* The reference's per-element arithmetic (in double), written so that it vectorizes. */
static void bn_apply_range(void *p, int64_t p0, int64_t p1, int worker)
{
    const bn_job *j = p;
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

void fv_fast_batch_norm_apply(int threads, float *out, const float *x, const float *mean, const float *invstd,
                              const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW)
{
    bn_job j = {.out = out, .x = x, .mean = mean, .invstd = invstd, .gamma = gamma, .beta = beta, .N = N, .C = C,
                .HW = HW};
    fv_parallel_for(bn_threads(threads, N, C, HW), N * C, 8, bn_apply_range, &j);
}

static void backward_channel(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                             const float *mean, const float *invstd, const float *gamma, int batch_stats, int64_t c,
                             int64_t N, int64_t C, int64_t HW)
{
    double count = (double)(N * HW), m = mean[c], is = invstd[c], g = gamma ? gamma[c] : 1.0;
    double sum_dy, sum_dy_xhat;
    channel_grad_sums(&sum_dy, &sum_dy_xhat, dy, x, c, N, C, HW, m, is);
    if (dgamma) dgamma[c] += (float)sum_dy_xhat;
    if (dbeta) dbeta[c] += (float)sum_dy;
    if (!dx) return;
    double mean_dy = batch_stats ? sum_dy / count : 0.0, mean_dy_xhat = batch_stats ? sum_dy_xhat / count : 0.0;
    for (int64_t n = 0; n < N; n++) {
        const float *d = dy + (n * C + c) * HW, *p = x + (n * C + c) * HW;
        float *o = dx + (n * C + c) * HW;
#pragma omp simd
        for (int64_t i = 0; i < HW; i++) {
            double xhat = (p[i] - m) * is;
            o[i] += (float)(g * is * (d[i] - mean_dy - xhat * mean_dy_xhat));
        }
    }
}

static void bn_backward_range(void *p, int64_t c0, int64_t c1, int worker)
{
    const bn_job *j = p;
    for (int64_t c = c0; c < c1; c++)
        backward_channel(j->out, j->dgamma, j->dbeta, j->dy, j->x, j->mean, j->invstd, j->gamma, j->batch_stats, c,
                         j->N, j->C, j->HW);
}

void fv_fast_batch_norm_backward(int threads, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                 const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                 int64_t N, int64_t C, int64_t HW)
{
    bn_job j = {.out = dx, .dgamma = dgamma, .dbeta = dbeta, .dy = dy, .x = x, .mean = mean, .invstd = invstd,
                .gamma = gamma, .batch_stats = batch_stats, .N = N, .C = C, .HW = HW};
    fv_parallel_for(bn_threads(threads, N, C, HW), C, 1, bn_backward_range, &j);
}
