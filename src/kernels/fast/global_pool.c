/* Threaded global average pooling (see global_pool.h). The reference adds each plane's elements one after
 * another in double: a chain of dependent additions, 4 cycles an element. Eight independent lanes let the
 * additions overlap and vectorize; the lanes are combined in a fixed order, so the sum does not depend on
 * the thread count. */
#include "global_pool.h"

#include "../../core/cpu.h"
#include "../../core/pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FV_X86 1
#endif

#define WORK 16384 /* elements per piece of work */

typedef struct {
    float *out;
    const float *in;
    int64_t S;
} gp_job;

static double combine(const double *l) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }

/* Lane q sums x[j] for j = q mod 8, in order. (GCC kept these lanes in memory, one store and reload per
 * 8 elements; the AVX2 version holds them in two registers and gives the same sums.) */
static double plane_sum(const float *x, int64_t S)
{
    double l[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= S; j += 8)
        for (int q = 0; q < 8; q++) l[q] += x[j + q];
    for (int q = 0; j < S; j++, q++) l[q] += x[j];
    return combine(l);
}

#ifdef FV_X86
__attribute__((target("avx2"))) static double plane_sum_avx2(const float *x, int64_t S)
{
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    int64_t j = 0;
    for (; j + 8 <= S; j += 8) {
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(x + j)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(x + j + 4)));
    }
    double l[8];
    _mm256_storeu_pd(l, a0);
    _mm256_storeu_pd(l + 4, a1);
    for (int q = 0; j < S; j++, q++) l[q] += x[j];
    return combine(l);
}
#endif

static double sum(const float *x, int64_t S)
{
#ifdef FV_X86
    if (fv_simd_level_get() >= FV_SIMD_AVX2) return plane_sum_avx2(x, S);
#endif
    return plane_sum(x, S);
}

static void forward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const gp_job *j = p;
    for (int64_t i = i0; i < i1; i++) j->out[i] = (float)(sum(j->in + i * j->S, j->S) / (double)j->S);
}

/* The reference's arithmetic: the gradient per element rounded to float once, then added. */
static void backward_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const gp_job *j = p;
    for (int64_t i = i0; i < i1; i++) {
        float g = (float)((double)j->in[i] / (double)j->S), *d = j->out + i * j->S;
#pragma omp simd
        for (int64_t k = 0; k < j->S; k++) d[k] += g;
    }
}

static void run(int threads, int64_t P, int64_t S, fv_range_fn body, gp_job *j)
{
    int64_t grain = S >= WORK ? 1 : WORK / (S ? S : 1);
    fv_parallel_for(P * S >= 2 * WORK ? threads : 1, P, grain, body, j);
}

void fv_fast_global_avg_pool2d_forward(int threads, float *out, const float *inp, int64_t P, int64_t S)
{
    gp_job j = {out, inp, S};
    run(threads, P, S, forward_range, &j);
}

void fv_fast_global_avg_pool2d_backward(int threads, float *dinp, const float *dout, int64_t P, int64_t S)
{
    gp_job j = {dinp, dout, S};
    run(threads, P, S, backward_range, &j);
}
