/* Vectorized elementwise functions of the math family (see unary.h), for the kinds today's networks spend time
 * in: erf and GELU (a transformer's MLP, as ONNX exporters write GELU: x / sqrt 2, erf, + 1, * x, * 0.5) and
 * sqrt (layer norms). The reference evaluates each element in double with libm.
 *   erf(x), |x| < 0.5: x times its Taylor polynomial in x^2 to the x^13 term (the next term is below 3e-9
 *            of the value);
 *   erfc(a), a >= 0.5: t exp(-a^2 + P(t)), t = 1 / (1 + a / 2), with the Chebyshev-fitted polynomial P of
 *            degree 9 that Numerical Recipes gives (fractional error below 1.2e-7 for every a); erf = 1 - erfc;
 *   GELU:    0.5 x (1 + erf(x / sqrt 2)), taken as 0.5 x erfc(|x| / sqrt 2) for x < 0, so that its far left
 *            tail keeps its relative accuracy instead of cancelling in 1 + erf;
 *   sqrt:    the correctly rounded float square root, bit for bit the reference's (rounding the double root
 *            of a float to float gives the correctly rounded float root).
 * Every element is computed alone, so the thread count changes no result. */
#include "unary.h"

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../ref/math.h"
#include "vexp.h"

#define CHUNK 8192
#define ERF_SMALL 0.5f
#define SQRT1_2F 0.70710678118654752f

#ifdef FV_VEXP_X86
#define SET1 _mm256_set1_ps

/* x P(x^2): erf for |x| < ERF_SMALL (coefficients 2/sqrt(pi) (-1)^k / (k! (2k + 1))). */
FV_AVX2 static FV_INLINE __m256 erf_small8(__m256 x)
{
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = SET1(1.2055332981789664e-4f);
    p = _mm256_fmadd_ps(p, z, SET1(-8.5483270234508e-4f));
    p = _mm256_fmadd_ps(p, z, SET1(5.2239776254421878e-3f));
    p = _mm256_fmadd_ps(p, z, SET1(-2.6866170645131252e-2f));
    p = _mm256_fmadd_ps(p, z, SET1(1.1283791670955126e-1f));
    p = _mm256_fmadd_ps(p, z, SET1(-3.7612638903183754e-1f));
    p = _mm256_fmadd_ps(p, z, SET1(1.1283791670955126f));
    return _mm256_mul_ps(x, p);
}

/* erfc(a) for a >= 0 (accurate from about ERF_SMALL on; below, callers take erf_small8), given a^2 as the
 * float hi plus the small lo: exp(-a^2) = exp(-hi) (1 - lo) to float precision, so that the rounding of a^2
 * (a relative 6e-8 of a^2 = 72 would be 4e-6 of the result) does not reach the far tail. a <= 10. */
FV_AVX2 static FV_INLINE __m256 erfc_pos8(__m256 a, __m256 hi, __m256 lo)
{
    __m256 t = _mm256_div_ps(SET1(1.0f), _mm256_fmadd_ps(a, SET1(0.5f), SET1(1.0f)));
    __m256 p = SET1(0.17087277f);
    p = _mm256_fmadd_ps(p, t, SET1(-0.82215223f));
    p = _mm256_fmadd_ps(p, t, SET1(1.48851587f));
    p = _mm256_fmadd_ps(p, t, SET1(-1.13520398f));
    p = _mm256_fmadd_ps(p, t, SET1(0.27886807f));
    p = _mm256_fmadd_ps(p, t, SET1(-0.18628806f));
    p = _mm256_fmadd_ps(p, t, SET1(0.09678418f));
    p = _mm256_fmadd_ps(p, t, SET1(0.37409196f));
    p = _mm256_fmadd_ps(p, t, SET1(1.00002368f));
    p = _mm256_fmadd_ps(p, t, SET1(-1.26551223f));
    /* exp(-a^2 + P(t)) as exp(-hi) exp(P(t)) (P(t) < 0 for t in (0, 1)): the float sum -hi + P(t) would round
     * away up to 4e-6 of the result where a^2 is near 72 */
    return _mm256_mul_ps(_mm256_mul_ps(t, _mm256_mul_ps(fv_exp8(_mm256_sub_ps(_mm256_setzero_ps(), hi)), fv_exp8(p))),
                         _mm256_sub_ps(SET1(1.0f), lo));
}

FV_AVX2 static FV_INLINE __m256 abs8(__m256 x) { return _mm256_andnot_ps(SET1(-0.0f), x); }

FV_AVX2 static FV_INLINE __m256 erf8(__m256 x)
{
    __m256 a = _mm256_min_ps(abs8(x), SET1(10.0f)), hi = _mm256_mul_ps(a, a); /* erfc(10) is 0 in float */
    __m256 big = _mm256_sub_ps(SET1(1.0f), erfc_pos8(a, hi, _mm256_fmsub_ps(a, a, hi)));
    big = _mm256_or_ps(big, _mm256_and_ps(x, SET1(-0.0f))); /* the sign of x */
    __m256 small = _mm256_cmp_ps(a, SET1(ERF_SMALL), _CMP_LT_OQ);
    __m256 r = _mm256_blendv_ps(big, erf_small8(x), small);
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); /* NaN stays NaN */
}

FV_AVX2 static FV_INLINE __m256 gelu8(__m256 x)
{
    /* the clamped xc keeps x^2 finite and within exp's range (GELU is 0 in float from |x| = 14.3 on); u^2 = xc^2 / 2 is taken from xc^2
     * exactly, as hi + lo */
    __m256 xc = _mm256_max_ps(_mm256_min_ps(x, SET1(15.0f)), SET1(-15.0f));
    __m256 u = _mm256_mul_ps(xc, SET1(SQRT1_2F)), a = abs8(u), half_x = _mm256_mul_ps(x, SET1(0.5f));
    __m256 x2 = _mm256_mul_ps(xc, xc), half = SET1(0.5f);
    __m256 erfc = erfc_pos8(a, _mm256_mul_ps(x2, half), _mm256_mul_ps(_mm256_fmsub_ps(xc, xc, x2), half));
    erfc = _mm256_andnot_ps(_mm256_cmp_ps(abs8(x), SET1(15.0f), _CMP_GT_OQ), erfc); /* 0 past the clamp */
    __m256 tail = _mm256_blendv_ps(_mm256_sub_ps(SET1(2.0f), erfc), erfc, x); /* 1 + erf(u): by x's sign */
    __m256 small = _mm256_cmp_ps(a, SET1(ERF_SMALL), _CMP_LT_OQ);
    __m256 one_plus = _mm256_blendv_ps(tail, _mm256_add_ps(SET1(1.0f), erf_small8(u)), small);
    __m256 r = _mm256_mul_ps(half_x, one_plus);
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

FV_AVX2 static FV_INLINE __m256 one8(int kind, __m256 v)
{
    return kind == FV_MK_ERF ? erf8(v) : kind == FV_MK_GELU ? gelu8(v) : _mm256_sqrt_ps(v);
}

FV_AVX2 static void run_avx2(float *out, const float *x, int64_t n, int kind)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, one8(kind, _mm256_loadu_ps(x + i)));
    if (i < n) { /* the ragged end through a padded vector: the same arithmetic as every other element */
        float in[8] = {0}, res[8];
        for (int64_t k = i; k < n; k++) in[k - i] = x[k];
        _mm256_storeu_ps(res, one8(kind, _mm256_loadu_ps(in)));
        for (int64_t k = i; k < n; k++) out[k] = res[k - i];
    }
}
#endif

typedef struct {
    float *out;
    const float *x;
    int kind;
} unary_job;

static void range(void *p, int64_t i0, int64_t i1, int worker)
{
    (void)worker;
#ifdef FV_VEXP_X86
    const unary_job *j = p;
    run_avx2(j->out + i0, j->x + i0, i1 - i0, j->kind);
#else
    (void)p, (void)i0, (void)i1;
#endif
}

bool fv_fast_unary_forward_at(int level, int threads, float *out, const float *x, int64_t n, int kind)
{
    if (level > (int)fv_simd_level_get()) level = (int)fv_simd_level_get();
#ifdef FV_VEXP_X86
    if (level < FV_SIMD_AVX2 || (kind != FV_MK_ERF && kind != FV_MK_GELU && kind != FV_MK_SQRT)) return false;
    unary_job j = {out, x, kind};
    fv_parallel_for(n >= 2 * CHUNK ? threads : 1, n, CHUNK, range, &j);
    return true;
#else
    (void)threads, (void)out, (void)x, (void)n, (void)kind;
    return false;
#endif
}

bool fv_fast_unary_forward(int threads, float *out, const float *x, int64_t n, int kind)
{
    return fv_fast_unary_forward_at(FV_SIMD_AVX512, threads, out, x, n, kind);
}
