/* Packed, blocked SGEMM (the structure of Goto's algorithm): C is cut into NC-wide column panels and MC-high
 * row blocks; for each KC-deep slice, a panel of op(B) and a block of op(A) are copied into contiguous strips
 * (NR columns, MR rows) and a micro-kernel keeps an MR x NR tile of C in vector registers while it walks K.
 * The micro-kernel is the only code that differs between vector levels. Threads share the packing and split
 * the tiles, so each element of C is still summed in one fixed order. */
#include <stdlib.h>
#include <string.h>

#include "../../core/cpu.h"
#include "gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FV_X86 1
#endif

#define KC 256
#define MC_TILES 16   /* MC = 16 micro-tiles of rows */
#define NC 3072
#define MAX_MR 12
#define MAX_NR 32

typedef void (*micro_kernel)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int mr, int nr,
                             float beta);

typedef struct {
    int mr, nr;
    micro_kernel kernel;
} gemm_arch;

/* Write an MR x NR tile held in acc (row-major, nr_full wide) to C, only the mr x nr part that exists. */
static inline void store_tile(const float *acc, int nr_full, float *c, int64_t ldc, int mr, int nr, float beta)
{
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) c[i * ldc + j] = beta == 0.0f ? acc[i * nr_full + j] : c[i * ldc + j] + acc[i * nr_full + j];
}

/* ---- portable: 4 x 8 tiles in plain C ------------------------------------------------------------- */

static void kernel_portable(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int mr, int nr,
                            float beta)
{
    float acc[4 * 8] = {0};
    for (int64_t k = 0; k < kc; k++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 8; j++) acc[i * 8 + j] += a[k * 4 + i] * b[k * 8 + j];
    store_tile(acc, 8, c, ldc, mr, nr, beta);
}

#ifdef FV_X86
/* ---- AVX2 + FMA: 6 x 16 tiles, 12 accumulators ---------------------------------------------------------- */

__attribute__((target("avx2,fma"))) static void kernel_avx2(int64_t kc, const float *a, const float *b, float *c,
        int64_t ldc, int mr, int nr, float beta)
{
    /* named accumulators: an array would be kept in memory by the compiler */
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(b + k * 16), b1 = _mm256_loadu_ps(b + k * 16 + 8), ai;
        ai = _mm256_broadcast_ss(a + k * 6 + 0), c00 = _mm256_fmadd_ps(ai, b0, c00), c01 = _mm256_fmadd_ps(ai, b1, c01);
        ai = _mm256_broadcast_ss(a + k * 6 + 1), c10 = _mm256_fmadd_ps(ai, b0, c10), c11 = _mm256_fmadd_ps(ai, b1, c11);
        ai = _mm256_broadcast_ss(a + k * 6 + 2), c20 = _mm256_fmadd_ps(ai, b0, c20), c21 = _mm256_fmadd_ps(ai, b1, c21);
        ai = _mm256_broadcast_ss(a + k * 6 + 3), c30 = _mm256_fmadd_ps(ai, b0, c30), c31 = _mm256_fmadd_ps(ai, b1, c31);
        ai = _mm256_broadcast_ss(a + k * 6 + 4), c40 = _mm256_fmadd_ps(ai, b0, c40), c41 = _mm256_fmadd_ps(ai, b1, c41);
        ai = _mm256_broadcast_ss(a + k * 6 + 5), c50 = _mm256_fmadd_ps(ai, b0, c50), c51 = _mm256_fmadd_ps(ai, b1, c51);
    }
    float tile[6 * 16];
    _mm256_storeu_ps(tile + 0, c00), _mm256_storeu_ps(tile + 8, c01);
    _mm256_storeu_ps(tile + 16, c10), _mm256_storeu_ps(tile + 24, c11);
    _mm256_storeu_ps(tile + 32, c20), _mm256_storeu_ps(tile + 40, c21);
    _mm256_storeu_ps(tile + 48, c30), _mm256_storeu_ps(tile + 56, c31);
    _mm256_storeu_ps(tile + 64, c40), _mm256_storeu_ps(tile + 72, c41);
    _mm256_storeu_ps(tile + 80, c50), _mm256_storeu_ps(tile + 88, c51);
    if (mr == 6 && nr == 16 && beta == 0.0f) {
        for (int i = 0; i < 6; i++) _mm256_storeu_ps(c + i * ldc, _mm256_loadu_ps(tile + i * 16)), _mm256_storeu_ps(c + i * ldc + 8, _mm256_loadu_ps(tile + i * 16 + 8));
        return;
    }
    if (mr == 6 && nr == 16) {
        for (int i = 0; i < 6; i++) {
            _mm256_storeu_ps(c + i * ldc, _mm256_add_ps(_mm256_loadu_ps(c + i * ldc), _mm256_loadu_ps(tile + i * 16)));
            _mm256_storeu_ps(c + i * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + i * ldc + 8), _mm256_loadu_ps(tile + i * 16 + 8)));
        }
        return;
    }
    store_tile(tile, 16, c, ldc, mr, nr, beta);
}

/* ---- AVX-512: 12 x 32 tiles, 24 accumulators ----------------------------------------------------------- */

__attribute__((target("avx512f"))) static void kernel_avx512(int64_t kc, const float *a, const float *b, float *c,
        int64_t ldc, int mr, int nr, float beta)
{
    /* named accumulators: an array would be kept in memory by the compiler */
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps(), c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps(), c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps(), c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps(), c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps(), c100 = _mm512_setzero_ps(), c101 = _mm512_setzero_ps(), c110 = _mm512_setzero_ps(), c111 = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b + k * 32), b1 = _mm512_loadu_ps(b + k * 32 + 16), ai;
        ai = _mm512_set1_ps(a[k * 12 + 0]), c00 = _mm512_fmadd_ps(ai, b0, c00), c01 = _mm512_fmadd_ps(ai, b1, c01);
        ai = _mm512_set1_ps(a[k * 12 + 1]), c10 = _mm512_fmadd_ps(ai, b0, c10), c11 = _mm512_fmadd_ps(ai, b1, c11);
        ai = _mm512_set1_ps(a[k * 12 + 2]), c20 = _mm512_fmadd_ps(ai, b0, c20), c21 = _mm512_fmadd_ps(ai, b1, c21);
        ai = _mm512_set1_ps(a[k * 12 + 3]), c30 = _mm512_fmadd_ps(ai, b0, c30), c31 = _mm512_fmadd_ps(ai, b1, c31);
        ai = _mm512_set1_ps(a[k * 12 + 4]), c40 = _mm512_fmadd_ps(ai, b0, c40), c41 = _mm512_fmadd_ps(ai, b1, c41);
        ai = _mm512_set1_ps(a[k * 12 + 5]), c50 = _mm512_fmadd_ps(ai, b0, c50), c51 = _mm512_fmadd_ps(ai, b1, c51);
        ai = _mm512_set1_ps(a[k * 12 + 6]), c60 = _mm512_fmadd_ps(ai, b0, c60), c61 = _mm512_fmadd_ps(ai, b1, c61);
        ai = _mm512_set1_ps(a[k * 12 + 7]), c70 = _mm512_fmadd_ps(ai, b0, c70), c71 = _mm512_fmadd_ps(ai, b1, c71);
        ai = _mm512_set1_ps(a[k * 12 + 8]), c80 = _mm512_fmadd_ps(ai, b0, c80), c81 = _mm512_fmadd_ps(ai, b1, c81);
        ai = _mm512_set1_ps(a[k * 12 + 9]), c90 = _mm512_fmadd_ps(ai, b0, c90), c91 = _mm512_fmadd_ps(ai, b1, c91);
        ai = _mm512_set1_ps(a[k * 12 + 10]), c100 = _mm512_fmadd_ps(ai, b0, c100), c101 = _mm512_fmadd_ps(ai, b1, c101);
        ai = _mm512_set1_ps(a[k * 12 + 11]), c110 = _mm512_fmadd_ps(ai, b0, c110), c111 = _mm512_fmadd_ps(ai, b1, c111);
    }
    float tile[12 * 32];
    _mm512_storeu_ps(tile + 0, c00), _mm512_storeu_ps(tile + 16, c01);
    _mm512_storeu_ps(tile + 32, c10), _mm512_storeu_ps(tile + 48, c11);
    _mm512_storeu_ps(tile + 64, c20), _mm512_storeu_ps(tile + 80, c21);
    _mm512_storeu_ps(tile + 96, c30), _mm512_storeu_ps(tile + 112, c31);
    _mm512_storeu_ps(tile + 128, c40), _mm512_storeu_ps(tile + 144, c41);
    _mm512_storeu_ps(tile + 160, c50), _mm512_storeu_ps(tile + 176, c51);
    _mm512_storeu_ps(tile + 192, c60), _mm512_storeu_ps(tile + 208, c61);
    _mm512_storeu_ps(tile + 224, c70), _mm512_storeu_ps(tile + 240, c71);
    _mm512_storeu_ps(tile + 256, c80), _mm512_storeu_ps(tile + 272, c81);
    _mm512_storeu_ps(tile + 288, c90), _mm512_storeu_ps(tile + 304, c91);
    _mm512_storeu_ps(tile + 320, c100), _mm512_storeu_ps(tile + 336, c101);
    _mm512_storeu_ps(tile + 352, c110), _mm512_storeu_ps(tile + 368, c111);
    if (mr == 12 && nr == 32 && beta == 0.0f) {
        for (int i = 0; i < 12; i++) _mm512_storeu_ps(c + i * ldc, _mm512_loadu_ps(tile + i * 32)), _mm512_storeu_ps(c + i * ldc + 16, _mm512_loadu_ps(tile + i * 32 + 16));
        return;
    }
    if (mr == 12 && nr == 32) {
        for (int i = 0; i < 12; i++) {
            _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), _mm512_loadu_ps(tile + i * 32)));
            _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc + 16), _mm512_loadu_ps(tile + i * 32 + 16)));
        }
        return;
    }
    store_tile(tile, 32, c, ldc, mr, nr, beta);
}
#endif

static gemm_arch arch(fv_simd_level level)
{
#ifdef FV_X86
    switch (level) {
    case FV_SIMD_AVX512: return (gemm_arch){12, 32, kernel_avx512};
    case FV_SIMD_AVX2: return (gemm_arch){6, 16, kernel_avx2};
    default: break;
    }
#endif
    return (gemm_arch){4, 8, kernel_portable};
}

/* ---- packing ---------------------------------------------------------------------------------------- */

/* Strip s of op(A)'s rows [i0, i0 + mc), columns [p0, p0 + kc): ap[k * mr + r], zero past M. */
static void pack_a(float *ap, int mr, bool ta, const float *A, int64_t lda, int64_t i0, int64_t rows, int64_t p0,
                   int64_t kc)
{
    for (int64_t k = 0; k < kc; k++)
        for (int r = 0; r < mr; r++)
            ap[k * mr + r] = r < rows ? (ta ? A[(p0 + k) * lda + i0 + r] : A[(i0 + r) * lda + p0 + k]) : 0.0f;
}

/* Strip of op(B)'s columns [j0, j0 + cols), rows [p0, p0 + kc): bp[k * nr + c], zero past N. */
static void pack_b(float *bp, int nr, bool tb, const float *B, int64_t ldb, int64_t j0, int64_t cols, int64_t p0,
                   int64_t kc)
{
    for (int64_t k = 0; k < kc; k++) {
        float *row = bp + k * nr;
        if (!tb && cols == nr) {
            memcpy(row, B + (p0 + k) * ldb + j0, (size_t)nr * sizeof(float));
            continue;
        }
        for (int c = 0; c < nr; c++)
            row[c] = c < cols ? (tb ? B[(j0 + c) * ldb + p0 + k] : B[(p0 + k) * ldb + j0 + c]) : 0.0f;
    }
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void plain_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                       const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float s = 0.0f;
            for (int64_t k = 0; k < K; k++) s += (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
            C[i * ldc + j] = beta == 0.0f ? s : C[i * ldc + j] + s;
        }
}

void fv_gemm(int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    fv_gemm_at(fv_simd_level_get(), threads, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void fv_gemm_at(int level, int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A,
                int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (beta == 0.0f)
            for (int64_t i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
        return;
    }
    gemm_arch g = arch((fv_simd_level)level);
    int64_t mc_max = (int64_t)g.mr * MC_TILES;
    int64_t nc_max = min64(NC, (N + g.nr - 1) / g.nr * g.nr), kc_max = min64(KC, K);
    float *ap = aligned_alloc(64, (size_t)((mc_max * kc_max * 4 + 63) / 64 * 64));
    float *bp = aligned_alloc(64, (size_t)((nc_max * kc_max * 4 + 63) / 64 * 64));
    if (!ap || !bp) { /* no scratch: the plain product, slow but never failing */
        free(ap), free(bp);
        plain_gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    double flops = 2.0 * (double)M * (double)N * (double)K;
    int t = flops < 2e5 ? 1 : threads; /* tiny products are faster on one thread */
    for (int64_t jc = 0; jc < N; jc += NC) {
        int64_t nc = min64(NC, N - jc), n_strips = (nc + g.nr - 1) / g.nr;
        for (int64_t pc = 0; pc < K; pc += KC) {
            int64_t kc = min64(KC, K - pc);
            float b_eff = pc == 0 ? beta : 1.0f;
#pragma omp parallel for num_threads(t) schedule(static) if (t > 1)
            for (int64_t s = 0; s < n_strips; s++)
                pack_b(bp + s * kc * g.nr, g.nr, tb, B, ldb, jc + s * g.nr, min64(g.nr, nc - s * g.nr), pc, kc);
            for (int64_t ic = 0; ic < M; ic += mc_max) {
                int64_t mc = min64(mc_max, M - ic), m_strips = (mc + g.mr - 1) / g.mr;
#pragma omp parallel num_threads(t) if (t > 1)
                {
#pragma omp for schedule(static)
                    for (int64_t s = 0; s < m_strips; s++)
                        pack_a(ap + s * kc * g.mr, g.mr, ta, A, lda, ic + s * g.mr, min64(g.mr, mc - s * g.mr), pc, kc);
#pragma omp for schedule(static) collapse(2)
                    for (int64_t js = 0; js < n_strips; js++)
                        for (int64_t is = 0; is < m_strips; is++)
                            g.kernel(kc, ap + is * kc * g.mr, bp + js * kc * g.nr,
                                     C + (ic + is * g.mr) * ldc + jc + js * g.nr, ldc,
                                     (int)min64(g.mr, mc - is * g.mr), (int)min64(g.nr, nc - js * g.nr), b_eff);
                }
            }
        }
    }
    free(ap), free(bp);
}
