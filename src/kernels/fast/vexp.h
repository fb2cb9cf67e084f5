/* exp in float arithmetic for the fast kernels (activations, softmax, erf): Cephes' expf (x = n ln2 + r, a
 * degree-7 polynomial of r, times 2^n), 1-2 ulps; 2^n is applied in two steps so that results down in the
 * subnormals still round once. fv_exp_s is the portable form; fv_exp8 the AVX2 form for x <= 0. Included by
 * the kernels that use it (static inline: each keeps its own copy). */
#ifndef FV_FAST_VEXP_H
#define FV_FAST_VEXP_H

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FV_VEXP_X86 1
#define FV_AVX2 __attribute__((target("avx2,fma")))
#define FV_INLINE __attribute__((always_inline)) inline
#endif

#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f /* ln 2 in two parts: n * LN2_HI is exact for |n| < 2^15 */
#define LN2_LO -2.12194440e-4f
#define EXP_LO -104.0f /* exp below rounds to 0 */
#define EXP_HI 89.0f   /* exp above is +inf */
static inline float pow2i(int k) /* 2^k for -126 <= k <= 127 */
{
    uint32_t b = (uint32_t)(k + 127) << 23;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline float exp_poly(float r) /* e^r for |r| <= ln2 / 2 */
{
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    return p * (r * r) + r + 1.0f;
}

static inline float fv_exp_s(float x)
{
    if (x != x) return x;
    x = x < EXP_LO ? EXP_LO : x > EXP_HI ? EXP_HI : x;
    float t = x * LOG2E;
    int n = (int)(t + (t >= 0 ? 0.5f : -0.5f));
    float r = x - (float)n * LN2_HI;
    r = r - (float)n * LN2_LO;
    int n1 = n >= 0 ? n / 2 : -((1 - n) / 2), n2 = n - n1; /* both within [-75, 65]: normal powers */
    return exp_poly(r) * pow2i(n1) * pow2i(n2);
}

#ifdef FV_VEXP_X86
/* exp of 8 floats x <= 0 (every caller's argument is, or is discarded where not); NaN stays NaN (max and
 * min return their second operand when the first is NaN). With n in [-150, 0], p 2^(n + 64) is a normal
 * float, exact, and the constant 2^-64 then rounds it once, into the subnormals if need be. */
FV_AVX2 static FV_INLINE __m256 fv_exp8(__m256 x)
{
    x = _mm256_min_ps(_mm256_setzero_ps(), _mm256_max_ps(_mm256_set1_ps(EXP_LO), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127 + 64)), 23);
    return _mm256_mul_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), _mm256_set1_ps(0x1p-64f));
}

#endif

#endif
