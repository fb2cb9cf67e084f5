/* C (M x N) = alpha A B^T + beta C, with A (M x K) and B (N x K) row-major (K contiguous in both), for long K
 * and a small C: the weight gradients of convolutions of few channels (AVX-512). Bit-identical for any thread
 * count. beta 0 never reads C. */
#ifndef FV_FAST_GEMM_DOT_H
#define FV_FAST_GEMM_DOT_H

#include <stdbool.h>
#include <stdint.h>

/* Whether fv_gemm_dot takes this shape (false without AVX-512). */
bool fv_gemm_dot_applies(int64_t M, int64_t N, int64_t K);
/* False, touching nothing, where it does not apply. */
bool fv_gemm_dot(int threads, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                 const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

#endif
