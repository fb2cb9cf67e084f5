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

/* op(B) packed by the caller instead of read from a matrix (an implicit im2col, say): fill bp[k * nr + c] with
 * op(B)[p0 + k][j0 + c] for k < kc, c < cols, and 0 for cols <= c < nr. Called concurrently for distinct strips. */
typedef void (*fv_gemm_pack_fn)(const void *src, float *bp, int nr, int64_t j0, int cols, int64_t p0, int64_t kc);

/* op(A) packed once, for many products with the same A (a convolution's weights in an inference graph): the
 * packing fv_gemm_run would otherwise redo at every call. Made for this CPU's vector level; NULL on no memory. */
typedef struct fv_gemm_packed fv_gemm_packed;
fv_gemm_packed *fv_gemm_pack_a(int threads, bool ta, int64_t M, int64_t K, const float *A, int64_t lda);
/* op(B) (K x N) packed once likewise, for many products with the same B (a transformer's weights). */
fv_gemm_packed *fv_gemm_pack_b(int threads, bool tb, int64_t K, int64_t N, const float *B, int64_t ldb);
void fv_gemm_packed_free(fv_gemm_packed *p);

/* A product with everything fv_gemm takes and five extensions, each off when zero/NULL:
 * a_packed (M x K, from fv_gemm_pack_a) stands for A, lda and ta; b_packed (K x N, from fv_gemm_pack_b) for
 * B, ldb and tb;
 * pack_b (with b_src) supplies op(B) instead of B/ldb/tb; row_init makes C start as row_init[i] on row i instead
 * of beta * C (a bias: C = row_init[i] + alpha * op(A) op(B), added once, before the first product slice);
 * clamp_hi > 0 clamps the result to [0, clamp_hi] as relu and relu6 do (NaN becomes 0). */
typedef struct {
    int64_t M, N, K;
    float alpha, beta;
    bool ta, tb;
    const float *A, *B;
    int64_t lda, ldb;
    float *C;
    int64_t ldc;
    fv_gemm_pack_fn pack_b;
    const void *b_src;
    const float *row_init;
    float clamp_hi;
    const fv_gemm_packed *a_packed, *b_packed;
} fv_gemm_op;

/* False, before C is changed, when pack_b is set and no memory can be had, when a_packed or b_packed was made for
 * another shape or vector level, or when both pack_b and b_packed are set; otherwise it never fails. */
bool fv_gemm_run(int threads, const fv_gemm_op *op);

/* The same with a given vector level (fv_simd_level; not above the CPU's), for tests and benchmarks. */
void fv_gemm_at(int level, int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

#endif
