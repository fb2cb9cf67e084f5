/* The fast GEMM against a double-precision triple loop on odd shapes, every transpose combination and both
 * betas, at every vector level this CPU has; and bit-identical results for 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/gemm.h"
#include "fovea/core.h"
#include "test.h"

static void fill(float *x, int64_t n, uint64_t stream)
{
    for (int64_t i = 0; i < n; i++) x[i] = 2.0f * fv_rng_uniform(5, stream, (uint64_t)i) - 1.0f;
}

/* max |got - want| / max |want| */
static double check_one(int level, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float beta, int threads)
{
    int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
    float *A = malloc((size_t)((ta ? K : M) * lda) * sizeof(float));
    float *B = malloc((size_t)((tb ? N : K) * ldb) * sizeof(float));
    float *C = malloc((size_t)(M * ldc) * sizeof(float));
    fill(A, (ta ? K : M) * lda, 1), fill(B, (tb ? N : K) * ldb, 2), fill(C, M * ldc, 3);
    double *want = malloc((size_t)(M * N) * sizeof(double));
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = beta != 0.0f ? C[i * ldc + j] : 0.0;
            for (int64_t k = 0; k < K; k++)
                s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
            want[i * N + j] = s;
        }
    if (beta == 0.0f)
        for (int64_t i = 0; i < M * ldc; i++) C[i] = NAN; /* beta 0 must not read C */
    fv_gemm_at(level, threads, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
    double err = 0, big = 1e-30;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double d = fabs(C[i * ldc + j] - want[i * N + j]);
            if (!(d <= err)) err = d;
            if (fabs(want[i * N + j]) > big) big = fabs(want[i * N + j]);
        }
    free(A), free(B), free(C), free(want);
    return err / big;
}

static void shapes(void)
{
    static const int64_t sizes[] = {1, 3, 7, 17, 33, 65, 257};
    int levels = (int)fv_simd_level_get();
    for (int level = 0; level <= levels; level++) {
        double worst = 0;
        int cases = 0;
        for (int t = 0; t < 4; t++)
            for (int a = 0; a < 7; a++)
                for (int b = 0; b < 7; b++) {
                    int64_t M = sizes[a], N = sizes[b], K = sizes[(a + b + t) % 7];
                    double e = check_one(level, t & 1, t & 2, M, N, K, (a + b) % 2 ? 1.0f : 0.0f, 2);
                    if (!(e <= worst)) worst = e;
                    cases++;
                }
        CHECK(worst < 1e-5, "level %d: %d shapes, transposes and betas, worst relative error %.2e", level, cases, worst);
    }
    /* deep K (several KC slices) and wide N (several NC panels) */
    CHECK(check_one(levels, false, true, 70, 3100, 600, 1.0f, 2) < 1e-5, "70 x 3100 x 600 (panels and slices)");
}

static void deterministic(void)
{
    int64_t M = 131, N = 517, K = 300;
    float *A = malloc((size_t)(M * K) * sizeof(float)), *B = malloc((size_t)(K * N) * sizeof(float));
    float *C[3];
    fill(A, M * K, 7), fill(B, K * N, 8);
    for (int t = 0; t < 3; t++) {
        C[t] = malloc((size_t)(M * N) * sizeof(float));
        fv_gemm(t + 1, false, false, M, N, K, A, K, B, N, 0.0f, C[t], N);
    }
    CHECK(memcmp(C[0], C[1], (size_t)(M * N) * sizeof(float)) == 0 &&
              memcmp(C[0], C[2], (size_t)(M * N) * sizeof(float)) == 0,
          "1, 2 and 3 threads give bit-identical products");
    for (int t = 0; t < 3; t++) free(C[t]);
    free(A), free(B);
}

int main(void)
{
    shapes();
    deterministic();
    return test_finish();
}
