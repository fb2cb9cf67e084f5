/* Vectorized smooth activations (see activation.h). The reference evaluates each element in double with libm,
 * one call at a time; here the smooth kinds are float arithmetic around one exp per element:
 *   exp:      Cephes' expf (x = n ln2 + r, a degree-7 polynomial of r, times 2^n), 1-2 ulps; 2^n is applied
 *             in two steps so that results down in the subnormals still round once;
 *   sigmoid:  (x >= 0 ? 1 : e) / (1 + e) with e = exp(-|x|), which never overflows;
 *   sigmoid': e / (1 + e)^2, exact where s (1 - s) would cancel to 0 for large |x|;
 *   tanh:     (1 - e) / (1 + e) with e = exp(-2|x|), and Cephes' odd polynomial below |x| = 0.625, where
 *             that quotient would cancel; tanh' = 4 e / (1 + e)^2 for the same reason;
 *   ELU:      expm1 by its Taylor series above -0.5 (exp(x) - 1 would cancel there), exp(x) - 1 below.
 * The hard kinds are cheap but were scalar double code: they keep the reference's double arithmetic, four
 * lanes at a time, so they stay equal to it bit for bit. Every element is computed alone, so neither the
 * thread count nor the chunking changes any result. */
#include "activation.h"

#include <math.h>
#include <string.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "fovea/ops.h"
#include "vexp.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FV_X86 1
#endif

static bool hard(int kind) { return kind == FV_ACT_HARD_SIGMOID || kind == FV_ACT_HARD_SWISH; }

#define CHUNK 8192 /* elements per piece: a multiple of 8, so only the last piece has a ragged end */

#define TANH_SMALL 0.625f

/* ---- portable: the same formulas one float at a time ------------------------------------------------ */

static inline float expm1_poly(float x) /* e^x - 1 for |x| <= 0.5: x (1 + x q), which keeps -0 */
{
    float q = 1.0f / 362880;
    q = q * x + 1.0f / 40320;
    q = q * x + 1.0f / 5040;
    q = q * x + 1.0f / 720;
    q = q * x + 1.0f / 120;
    q = q * x + 1.0f / 24;
    q = q * x + 1.0f / 6;
    q = q * x + 0.5f;
    return x * (1.0f + x * q);
}

static inline float tanh_poly(float x) /* Cephes' tanhf for |x| < 0.625 */
{
    float s = x * x, p = -5.70498872745e-3f;
    p = p * s + 2.06390887954e-2f;
    p = p * s - 5.37397155531e-2f;
    p = p * s + 1.33314422036e-1f;
    p = p * s - 3.33332819422e-1f;
    return p * s * x + x;
}

static float act_s(int kind, float x, float alpha)
{
    float ax = fabsf(x);
    switch (kind) {
    case FV_ACT_ELU: return x > 0 ? x : alpha * (x > -0.5f ? expm1_poly(x) : fv_exp_s(x) - 1.0f);
    case FV_ACT_SIGMOID: {
        float e = fv_exp_s(-ax);
        return (x >= 0 ? 1.0f : e) / (1.0f + e);
    }
    case FV_ACT_SILU: {
        float e = fv_exp_s(-ax);
        return (x >= 0 ? x : x * e) / (1.0f + e);
    }
    case FV_ACT_TANH: {
        if (ax < TANH_SMALL) return tanh_poly(x);
        float e = fv_exp_s(-2.0f * ax);
        return copysignf((1.0f - e) / (1.0f + e), x);
    }
    default: return 0.0f; /* not reached: the caller checks the kind */
    }
}

static float dact_s(int kind, float x, float alpha)
{
    float ax = fabsf(x);
    switch (kind) {
    case FV_ACT_ELU: return x > 0 ? 1.0f : alpha * fv_exp_s(x);
    case FV_ACT_SIGMOID: {
        float e = fv_exp_s(-ax), d = 1.0f + e;
        return e / (d * d);
    }
    case FV_ACT_SILU: {
        float e = fv_exp_s(-ax), d = 1.0f + e;
        return (x >= 0 ? 1.0f : e) / d + x * (e / (d * d));
    }
    case FV_ACT_TANH: {
        float e = fv_exp_s(-2.0f * ax), d = 1.0f + e;
        return 4.0f * e / (d * d);
    }
    default: return 0.0f;
    }
}

static void forward_portable(float *out, const float *inp, int64_t n, int kind, float alpha)
{
    for (int64_t i = 0; i < n; i++) out[i] = act_s(kind, inp[i], alpha);
}

static void backward_portable(float *dinp, const float *dout, const float *inp, int64_t n, int kind, float alpha)
{
    for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * dact_s(kind, inp[i], alpha);
}

/* ---- AVX2 + FMA ------------------------------------------------------------------------------------- */

#ifdef FV_X86
#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE __attribute__((always_inline)) inline
#define SET1 _mm256_set1_ps

AVX2 static inline __m256 expm1_poly8(__m256 x)
{
    __m256 q = SET1(1.0f / 362880);
    q = _mm256_fmadd_ps(q, x, SET1(1.0f / 40320));
    q = _mm256_fmadd_ps(q, x, SET1(1.0f / 5040));
    q = _mm256_fmadd_ps(q, x, SET1(1.0f / 720));
    q = _mm256_fmadd_ps(q, x, SET1(1.0f / 120));
    q = _mm256_fmadd_ps(q, x, SET1(1.0f / 24));
    q = _mm256_fmadd_ps(q, x, SET1(1.0f / 6));
    q = _mm256_fmadd_ps(q, x, SET1(0.5f));
    return _mm256_mul_ps(x, _mm256_fmadd_ps(x, q, SET1(1.0f)));
}

AVX2 static inline __m256 tanh_poly8(__m256 x)
{
    __m256 s = _mm256_mul_ps(x, x), p = SET1(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, s, SET1(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, s, SET1(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, s, SET1(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, s, SET1(-3.33332819422e-1f));
    return _mm256_fmadd_ps(_mm256_mul_ps(p, s), x, x);
}

AVX2 static inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(SET1(-0.0f), x); }
/* a where mask, else b */
AVX2 static inline __m256 pick(__m256 mask, __m256 a, __m256 b) { return _mm256_blendv_ps(b, a, mask); }

AVX2 static INLINE __m256 act8(int kind, __m256 x, float alpha)
{
    __m256 one = SET1(1.0f), ax = abs8(x), pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    switch (kind) {
    case FV_ACT_ELU: {
        __m256 em1 = pick(_mm256_cmp_ps(x, SET1(-0.5f), _CMP_GT_OQ), expm1_poly8(x), _mm256_sub_ps(fv_exp8(x), one));
        return pick(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ), x, _mm256_mul_ps(SET1(alpha), em1));
    }
    case FV_ACT_SIGMOID: {
        __m256 e = fv_exp8(_mm256_sub_ps(_mm256_setzero_ps(), ax));
        return _mm256_div_ps(pick(pos, one, e), _mm256_add_ps(one, e));
    }
    case FV_ACT_SILU: {
        __m256 e = fv_exp8(_mm256_sub_ps(_mm256_setzero_ps(), ax));
        return _mm256_div_ps(pick(pos, x, _mm256_mul_ps(x, e)), _mm256_add_ps(one, e));
    }
    case FV_ACT_TANH: {
        __m256 e = fv_exp8(_mm256_mul_ps(SET1(-2.0f), ax));
        __m256 big = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
        big = _mm256_or_ps(big, _mm256_and_ps(SET1(-0.0f), x)); /* copysign: big is >= 0 or NaN */
        return pick(_mm256_cmp_ps(ax, SET1(TANH_SMALL), _CMP_LT_OQ), tanh_poly8(x), big);
    }
    default: return x;
    }
}

AVX2 static INLINE __m256 dact8(int kind, __m256 x, float alpha)
{
    __m256 one = SET1(1.0f), ax = abs8(x), pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    switch (kind) {
    case FV_ACT_ELU:
        return pick(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ), one, _mm256_mul_ps(SET1(alpha), fv_exp8(x)));
    case FV_ACT_SIGMOID: {
        __m256 e = fv_exp8(_mm256_sub_ps(_mm256_setzero_ps(), ax)), d = _mm256_add_ps(one, e);
        return _mm256_div_ps(e, _mm256_mul_ps(d, d));
    }
    case FV_ACT_SILU: {
        __m256 e = fv_exp8(_mm256_sub_ps(_mm256_setzero_ps(), ax)), d = _mm256_add_ps(one, e);
        __m256 s = _mm256_div_ps(pick(pos, one, e), d);
        return _mm256_add_ps(s, _mm256_mul_ps(x, _mm256_div_ps(e, _mm256_mul_ps(d, d))));
    }
    case FV_ACT_TANH: {
        __m256 e = fv_exp8(_mm256_mul_ps(SET1(-2.0f), ax)), d = _mm256_add_ps(one, e);
        return _mm256_div_ps(_mm256_mul_ps(SET1(4.0f), e), _mm256_mul_ps(d, d));
    }
    default: return x;
    }
}

/* The hard kinds, 4 doubles at a time, in the reference's operations and order (see ref/activation.c):
 * max_pd and min_pd return their second operand for a NaN, which therefore passes as in the reference (x + 3 is
 * never -0, so no +0 is needed as in clamp.h). */
AVX2 static INLINE __m256d hard4(int kind, __m256d x)
{
    __m256d t = _mm256_add_pd(x, _mm256_set1_pd(3.0));
    t = _mm256_min_pd(_mm256_set1_pd(6.0), _mm256_max_pd(_mm256_setzero_pd(), t));
    if (kind == FV_ACT_HARD_SWISH) t = _mm256_mul_pd(x, t);
    return _mm256_div_pd(t, _mm256_set1_pd(6.0));
}

AVX2 static INLINE __m256d dhard4(int kind, __m256d x)
{
    if (kind == FV_ACT_HARD_SIGMOID) {
        __m256d in = _mm256_and_pd(_mm256_cmp_pd(x, _mm256_set1_pd(-3.0), _CMP_GT_OQ),
                                   _mm256_cmp_pd(x, _mm256_set1_pd(3.0), _CMP_LT_OQ));
        return _mm256_and_pd(in, _mm256_set1_pd(1.0 / 6.0));
    }
    __m256d mid = _mm256_add_pd(_mm256_div_pd(x, _mm256_set1_pd(3.0)), _mm256_set1_pd(0.5));
    __m256d d = _mm256_blendv_pd(_mm256_set1_pd(1.0), mid, _mm256_cmp_pd(x, _mm256_set1_pd(3.0), _CMP_LE_OQ));
    return _mm256_andnot_pd(_mm256_cmp_pd(x, _mm256_set1_pd(-3.0), _CMP_LT_OQ), d);
}

AVX2 static INLINE __m256 forward8(int kind, __m256 x, float alpha)
{
    if (!hard(kind)) return act8(kind, x, alpha);
    __m128 lo = _mm256_cvtpd_ps(hard4(kind, _mm256_cvtps_pd(_mm256_castps256_ps128(x))));
    __m128 hi = _mm256_cvtpd_ps(hard4(kind, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))));
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

/* dinp + dout * f'(x), the product rounded to float before the sum, as the reference does. */
AVX2 static INLINE __m256 backward8(int kind, __m256 acc, __m256 dy, __m256 x, float alpha)
{
    if (!hard(kind)) return _mm256_add_ps(acc, _mm256_mul_ps(dy, dact8(kind, x, alpha)));
    __m256d d0 = dhard4(kind, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
    __m256d d1 = dhard4(kind, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
    __m128 lo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(dy)), d0));
    __m128 hi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(dy, 1)), d1));
    return _mm256_add_ps(acc, _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1));
}

/* The ragged end goes through a zero-padded block of 8, so no load or store leaves the arrays. */
AVX2 static INLINE void forward_loop(float *out, const float *inp, int64_t n, int kind, float alpha)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, forward8(kind, _mm256_loadu_ps(inp + i), alpha));
    if (i == n) return;
    float x[8] = {0};
    memcpy(x, inp + i, (size_t)(n - i) * sizeof(float));
    _mm256_storeu_ps(x, forward8(kind, _mm256_loadu_ps(x), alpha));
    memcpy(out + i, x, (size_t)(n - i) * sizeof(float));
}

/* One loop per kind, so that the kind's switch is resolved outside the loop (forward_loop is inlined with
 * a constant kind). */
AVX2 static void forward_avx2(float *out, const float *inp, int64_t n, int kind, float alpha)
{
    switch (kind) {
    case FV_ACT_ELU: forward_loop(out, inp, n, FV_ACT_ELU, alpha); break;
    case FV_ACT_SIGMOID: forward_loop(out, inp, n, FV_ACT_SIGMOID, alpha); break;
    case FV_ACT_TANH: forward_loop(out, inp, n, FV_ACT_TANH, alpha); break;
    case FV_ACT_SILU: forward_loop(out, inp, n, FV_ACT_SILU, alpha); break;
    case FV_ACT_HARD_SIGMOID: forward_loop(out, inp, n, FV_ACT_HARD_SIGMOID, alpha); break;
    default: forward_loop(out, inp, n, FV_ACT_HARD_SWISH, alpha); break;
    }
}

AVX2 static INLINE void backward_loop(float *dinp, const float *dout, const float *inp, int64_t n, int kind,
                                      float alpha)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 r = backward8(kind, _mm256_loadu_ps(dinp + i), _mm256_loadu_ps(dout + i), _mm256_loadu_ps(inp + i),
                             alpha);
        _mm256_storeu_ps(dinp + i, r);
    }
    if (i == n) return;
    float a[8] = {0}, dy[8] = {0}, x[8] = {0};
    size_t rest = (size_t)(n - i) * sizeof(float);
    memcpy(a, dinp + i, rest), memcpy(dy, dout + i, rest), memcpy(x, inp + i, rest);
    _mm256_storeu_ps(a, backward8(kind, _mm256_loadu_ps(a), _mm256_loadu_ps(dy), _mm256_loadu_ps(x), alpha));
    memcpy(dinp + i, a, rest);
}

AVX2 static void backward_avx2(float *dinp, const float *dout, const float *inp, int64_t n, int kind, float alpha)
{
    switch (kind) {
    case FV_ACT_ELU: backward_loop(dinp, dout, inp, n, FV_ACT_ELU, alpha); break;
    case FV_ACT_SIGMOID: backward_loop(dinp, dout, inp, n, FV_ACT_SIGMOID, alpha); break;
    case FV_ACT_TANH: backward_loop(dinp, dout, inp, n, FV_ACT_TANH, alpha); break;
    case FV_ACT_SILU: backward_loop(dinp, dout, inp, n, FV_ACT_SILU, alpha); break;
    case FV_ACT_HARD_SIGMOID: backward_loop(dinp, dout, inp, n, FV_ACT_HARD_SIGMOID, alpha); break;
    default: backward_loop(dinp, dout, inp, n, FV_ACT_HARD_SWISH, alpha); break;
    }
}
#endif

/* ---- threads and dispatch --------------------------------------------------------------------------- */

static bool smooth(int kind)
{
    return kind == FV_ACT_ELU || kind == FV_ACT_SIGMOID || kind == FV_ACT_TANH || kind == FV_ACT_SILU;
}

typedef struct {
    float *out;
    const float *dout, *inp;
    int kind;
    float alpha;
    bool avx2;
} act_job;

static void forward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const act_job *j = p;
#ifdef FV_X86
    if (j->avx2) {
        forward_avx2(j->out + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
        return;
    }
#endif
    forward_portable(j->out + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
}

static void backward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const act_job *j = p;
#ifdef FV_X86
    if (j->avx2) {
        backward_avx2(j->out + i0, j->dout + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
        return;
    }
#endif
    backward_portable(j->out + i0, j->dout + i0, j->inp + i0, i1 - i0, j->kind, j->alpha);
}

/* Whether this level computes the kind here; the job for it. */
static bool plan(int level, int kind, act_job *j)
{
    if (level > (int)fv_simd_level_get()) level = (int)fv_simd_level_get();
#ifdef FV_X86
    j->avx2 = level >= FV_SIMD_AVX2;
#else
    j->avx2 = false;
#endif
    j->kind = kind;
    return smooth(kind) || (hard(kind) && j->avx2);
}

static int team(int threads, int64_t n) { return n >= 2 * CHUNK ? threads : 1; }

bool fv_fast_smooth_activation_forward_at(int level, int threads, float *out, const float *inp, int64_t n, int kind,
                                          float alpha)
{
    act_job j = {.out = out, .inp = inp, .alpha = alpha};
    if (!plan(level, kind, &j)) return false;
    fv_parallel_for(team(threads, n), n, CHUNK, forward_range, &j);
    return true;
}

bool fv_fast_smooth_activation_backward_at(int level, int threads, float *dinp, const float *dout, const float *inp,
                                           int64_t n, int kind, float alpha)
{
    act_job j = {.out = dinp, .dout = dout, .inp = inp, .alpha = alpha};
    if (!plan(level, kind, &j)) return false;
    fv_parallel_for(team(threads, n), n, CHUNK, backward_range, &j);
    return true;
}

bool fv_fast_smooth_activation_forward(int threads, float *out, const float *inp, int64_t n, int kind, float alpha)
{
    return fv_fast_smooth_activation_forward_at(FV_SIMD_AVX512, threads, out, inp, n, kind, alpha);
}

bool fv_fast_smooth_activation_backward(int threads, float *dinp, const float *dout, const float *inp, int64_t n,
                                        int kind, float alpha)
{
    return fv_fast_smooth_activation_backward_at(FV_SIMD_AVX512, threads, dinp, dout, inp, n, kind, alpha);
}
