/* Fast single-precision matrix multiplication: packed panels, a register-blocked micro-kernel per vector
 * level (AVX-512, AVX2+FMA, portable C) chosen at run time, OpenMP threads over output tiles. Every element
 * of C is summed by one thread in the same order whatever the thread count, so results are bit-identical
 * for any number of threads. */
#ifndef FV_FAST_GEMM_H
#define FV_FAST_GEMM_H

#include <stdbool.h>
#include <stdint.h>

/* C (M x N, rows ldc apart) = alpha * op(A) op(B) + beta * C, with op(A) M x K (A row-major with rows lda
 * apart, or its transpose when ta) and op(B) K x N (likewise with tb), as BLAS's sgemm on row-major data.
 * beta 0 does not read C (it may hold NaN); alpha 0 or K 0 does not read A or B. threads >= 1.
 * Never fails: without memory for its packed panels it computes the plain product. */
void fv_gemm(int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
             int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* The same with a given vector level (fv_simd_level; not above the CPU's), for tests and benchmarks. */
void fv_gemm_at(int level, int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

#endif
