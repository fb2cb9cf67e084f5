/* A dense layer on a few rows as dot products. The GEMM would pack (transpose) the whole weight matrix for a
 * product one row high and fill its 6- or 12-row register tiles with one row: on a classifier such as VGG's
 * (102 million weights in its first layer) that is most of a batch-1 inference. Here every weight is read
 * once, in order, against all rows at a time. Threads split the outputs. */
#include "dense.h"

#include "../../core/cpu.h"
#include "../../core/pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FV_X86 1
#endif

typedef struct {
    float *out;
    const float *inp, *weight, *bias;
    int64_t N, C, OC;
} dense_job;

/* Lanes of a dot product, summed in a fixed tree so that the result depends only on the vector level. */
#define LANES 16

static void outputs_portable(const dense_job *j, int64_t o0, int64_t o1)
{
    for (int64_t o = o0; o < o1; o++) {
        const float *w = j->weight + o * j->C;
        for (int64_t n = 0; n < j->N; n++) {
            const float *x = j->inp + n * j->C;
            float acc[LANES] = {0};
            int64_t c = 0;
            for (; c + LANES <= j->C; c += LANES)
                for (int l = 0; l < LANES; l++) acc[l] += w[c + l] * x[c + l];
            for (; c < j->C; c++) acc[0] += w[c] * x[c];
            for (int h = LANES / 2; h >= 1; h /= 2)
                for (int l = 0; l < h; l++) acc[l] += acc[l + h];
            j->out[n * j->OC + o] = j->bias ? acc[0] + j->bias[o] : acc[0];
        }
    }
}

#ifdef FV_X86
/* The 8 lanes of v added in a fixed order. */
__attribute__((target("avx2,fma"))) static float lanes_sum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* w . x over C floats: four named sums over 32 floats a step, added in a fixed order (results depend on the
 * vector level only). Sums kept in arrays indexed by row, as this loop had them, stayed in memory: each step
 * waited on a store and a reload (MobileNetV2's classifier, 1280 x 1000 at batch 1: 173 us, now 77). */
__attribute__((target("avx2,fma"), always_inline)) static inline float dot_avx2(const float *w, const float *x, int64_t C)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int64_t c = 0;
    for (; c + 32 <= C; c += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 16), _mm256_loadu_ps(x + c + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 24), _mm256_loadu_ps(x + c + 24), s3);
    }
    float s = lanes_sum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; c < C; c++) s += w[c] * x[c];
    return s;
}

/* Each output o: its weight row against each input row in turn (the row stays in L1 for the next), so a row's
 * result is the same whatever the batch. */
__attribute__((target("avx2,fma"))) static void outputs_avx2(const dense_job *j, int64_t o0, int64_t o1)
{
    for (int64_t o = o0; o < o1; o++)
        for (int64_t n = 0; n < j->N; n++) {
            float s = dot_avx2(j->weight + o * j->C, j->inp + n * j->C, j->C);
            j->out[n * j->OC + o] = j->bias ? s + j->bias[o] : s;
        }
}
#endif

static void outputs(void *p, int64_t o0, int64_t o1, int worker)
{
    const dense_job *j = p;
#ifdef FV_X86
    if (fv_simd_level_get() >= FV_SIMD_AVX2) {
        outputs_avx2(j, o0, o1);
        return;
    }
#endif
    outputs_portable(j, o0, o1);
}

void fv_fast_dense_few_rows(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            int64_t N, int64_t C, int64_t OC)
{
    dense_job j = {out, inp, weight, bias, N, C, OC};
    int t = OC * C >= 65536 ? threads : 1;
    fv_parallel_for(t, OC, 8, outputs, &j);
}
