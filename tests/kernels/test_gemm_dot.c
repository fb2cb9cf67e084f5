/* The lane-sum product C = alpha A B^T + beta C (src/kernels/fast/gemm_dot.c) against a double-precision loop:
 * edge tiles (M not a multiple of 4, N not of 6), sums not a multiple of 16, strided operands, beta 0 (C's
 * garbage never read) and 1; bit-identical on 1, 2 and 3 threads; declined below AVX-512 and for big results. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/gemm_dot.h"
#include "fovea/core.h"
#include "test.h"

int main(void)
{
    if (fv_simd_level_get() < FV_SIMD_AVX512) {
        CHECK(!fv_gemm_dot_applies(16, 16, 4096), "without AVX-512 nothing is taken");
        return test_finish();
    }
    CHECK(!fv_gemm_dot_applies(32, 32, 4096) && !fv_gemm_dot_applies(16, 16, 100),
          "big results and short sums are left to the packing GEMM");
    static const int64_t shapes[][3] = {{16, 16, 4096}, {7, 13, 1000}, {1, 1, 257}, {32, 16, 300}, {5, 9, 16 * 40 + 3}};
    double worst = 0;
    bool same = true, taken = true;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], lda = K + 3, ldb = K + 5, ldc = N + 2;
        float *A = malloc((size_t)(M * lda) * 4), *B = malloc((size_t)(N * ldb) * 4), *C[4];
        for (int64_t i = 0; i < M * lda; i++) A[i] = fv_rng_uniform(21, s, (uint64_t)i) - 0.5f;
        for (int64_t i = 0; i < N * ldb; i++) B[i] = fv_rng_uniform(22, s, (uint64_t)i) - 0.5f;
        float beta = s % 2 ? 1.0f : 0.0f, alpha = 0.75f;
        for (int t = 1; t <= 3; t++) {
            C[t] = malloc((size_t)(M * ldc) * 4);
            for (int64_t i = 0; i < M * ldc; i++) C[t][i] = beta ? 0.5f : NAN; /* beta 0: never read */
            taken &= fv_gemm_dot(t, M, N, K, alpha, A, lda, B, ldb, beta, C[t], ldc);
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double want = beta * 0.5, dot = 0;
                for (int64_t k = 0; k < K; k++) dot += (double)A[i * lda + k] * B[j * ldb + k];
                want += alpha * dot;
                double e = fabs(C[1][i * ldc + j] - want) / sqrt((double)K);
                if (!(e <= worst)) worst = e;
            }
        same &= !memcmp(C[1], C[2], (size_t)(M * ldc) * 4) && !memcmp(C[1], C[3], (size_t)(M * ldc) * 4);
        for (int t = 1; t <= 3; t++) free(C[t]);
        free(A), free(B);
    }
    CHECK(taken, "every shape taken");
    CHECK(worst < 1e-6, "within 1e-6 sqrt(K) of the double sums (worst %.2e)", worst);
    CHECK(same, "1, 2 and 3 threads give the same bits");
    return test_finish();
}
