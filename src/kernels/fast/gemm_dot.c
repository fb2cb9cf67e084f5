/* Products A B^T whose inner dimension is long and contiguous in both operands and whose result is small (see
 * gemm_dot.h): a weight gradient sums over pixels or tiles, (OC x K) times (C x K)^T. The packing GEMM would
 * transpose B strip by strip (its packing took more time than its arithmetic at 16-32 channels); here a tile
 * of 4 rows of A x 6 rows of B keeps 24 vectors of lane sums over K, reads both operands as they lie, and sums
 * the lanes in a fixed order at the end. Each element of C is one tile's, so the thread count changes no bit. */
#include "gemm_dot.h"

#include "../../core/cpu.h"
#include "../../core/pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define TM 4 /* rows of A a tile */
#define TN 6 /* rows of B a tile */

bool fv_gemm_dot_applies(int64_t M, int64_t N, int64_t K)
{
#ifdef HAVE_X86
    /* long sums (the lane reductions amortized) into a small result: one Xeon core, Winograd's weight gradient
     * at batch 32, 16 -> 32 channels at 32x32 6.2 -> 4.5 ms; at 32 x 32 and more the packing GEMM wins again
     * (6.8 against 8.0 ms), its tiles reusing each loaded value more */
    return fv_simd_level_get() >= FV_SIMD_AVX512 && K >= 256 && M * N <= 512 && M >= 1 && N >= 1;
#else
    (void)M, (void)N, (void)K;
    return false;
#endif
}

#ifdef HAVE_X86

typedef struct {
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
    int64_t tiles_n;
} dot_job;

/* Tile (ti, tj): rows past M or N read row 0 (in bounds) and are not stored. */
__attribute__((target("avx512f"))) static void dot_tile(const dot_job *j, int64_t ti, int64_t tj)
{
    const float *a[TM], *b[TN];
    for (int r = 0; r < TM; r++) a[r] = j->A + (ti * TM + r < j->M ? ti * TM + r : 0) * j->lda;
    for (int c = 0; c < TN; c++) b[c] = j->B + (tj * TN + c < j->N ? tj * TN + c : 0) * j->ldb;
    __m512 acc[TM][TN];
#pragma GCC unroll 4
    for (int r = 0; r < TM; r++)
#pragma GCC unroll 6
        for (int c = 0; c < TN; c++) acc[r][c] = _mm512_setzero_ps();
    for (int64_t k = 0; k < j->K; k += 16) {
        __mmask16 m = j->K - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (j->K - k)) - 1u);
        __m512 va[TM], vb[TN];
#pragma GCC unroll 4
        for (int r = 0; r < TM; r++) va[r] = _mm512_maskz_loadu_ps(m, a[r] + k);
#pragma GCC unroll 6
        for (int c = 0; c < TN; c++) vb[c] = _mm512_maskz_loadu_ps(m, b[c] + k);
#pragma GCC unroll 4
        for (int r = 0; r < TM; r++)
#pragma GCC unroll 6
            for (int c = 0; c < TN; c++) acc[r][c] = _mm512_fmadd_ps(va[r], vb[c], acc[r][c]);
    }
    for (int r = 0; r < TM && ti * TM + r < j->M; r++)
        for (int c = 0; c < TN && tj * TN + c < j->N; c++) {
            float *out = j->C + (ti * TM + r) * j->ldc + tj * TN + c;
            float v = j->alpha * _mm512_reduce_add_ps(acc[r][c]);
            *out = j->beta == 0.0f ? v : v + j->beta * *out;
        }
}

static void dot_tiles(void *p, int64_t t0, int64_t t1, int worker)
{
    const dot_job *j = p;
    (void)worker;
    for (int64_t t = t0; t < t1; t++) dot_tile(j, t / j->tiles_n, t % j->tiles_n);
}

bool fv_gemm_dot(int threads, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                 const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (!fv_gemm_dot_applies(M, N, K)) return false;
    dot_job j = {M, N, K, alpha, beta, A, B, lda, ldb, ldc, C, (N + TN - 1) / TN};
    int64_t tiles = (M + TM - 1) / TM * j.tiles_n;
    fv_parallel_for(tiles * K >= 65536 ? threads : 1, tiles, 1, dot_tiles, &j);
    return true;
}

#else

bool fv_gemm_dot(int threads, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                 const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    (void)threads, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb, (void)beta;
    (void)C, (void)ldc;
    return false;
}

#endif
