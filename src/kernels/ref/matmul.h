/* Reference kernels of matrix products: one plain GEMM with transposes (sums in double) and batched products
 * whose batch dimensions broadcast as NumPy's matmul does. Batch shapes are given as FV_MATMUL_BATCH_DIMS
 * sizes padded on the left with 1s; an operand's batch dimension of size 1 is repeated along the output's. */
#ifndef FV_REF_MATMUL_H
#define FV_REF_MATMUL_H

#include <stdbool.h>
#include <stdint.h>

#define FV_MATMUL_BATCH_DIMS 4 /* a result has at most 6 dimensions, two of them the matrix's */

/* C (M, N) = alpha * op(A) op(B) + beta * C, op(A) (M, K) from A (M, K), or (K, M) when ta; op(B) (K, N) from
 * B (K, N), or (N, K) when tb. All row-major and dense. beta 0 does not read C. */
void fv_ref_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, const float *B,
                 float beta, float *C);

/* The geometry of a batched, broadcast product out = alpha op(a) op(b) (+ beta out): the output's batch shape
 * and each operand's (padded); op(a) is (M, K), stored (K, M) when ta; op(b) (K, N), stored (N, K) when tb. */
typedef struct {
    int64_t out[FV_MATMUL_BATCH_DIMS], a[FV_MATMUL_BATCH_DIMS], b[FV_MATMUL_BATCH_DIMS];
    int64_t count;  /* product of out */
    int64_t M, K, N;
    bool ta, tb;
    float alpha;
} fv_matmul_geom;

/* The product giving one operand's gradient: dst += alpha * op(first) op(second), first and second being
 * OPERAND_DOUT, _A or _B. dop(a) = dout op(b)^T, dop(b) = op(a)^T dout, transposed back where stored so. */
enum { FV_MATMUL_DOUT, FV_MATMUL_A, FV_MATMUL_B };
typedef struct {
    bool ta, tb;
    int64_t M, N, K;
    int first, second;
} fv_matmul_grad_plan;
void fv_matmul_grad_plan_make(const fv_matmul_geom *g, bool for_b, fv_matmul_grad_plan *p);

/* The offsets (in elements) of batch element i's matrices in a (M, K) and b (K, N). */
void fv_matmul_offsets(const fv_matmul_geom *g, int64_t i, int64_t *a_off, int64_t *b_off);

/* out (batch..., M, N) = alpha op(a) op(b) + beta out; a (batch_a..., M, K), b (batch_b..., K, N) before op. */
void fv_ref_matmul_forward(float *out, const float *a, const float *b, float beta, const fv_matmul_geom *g);
/* da (batch_a..., M, K) += alpha dout op(b)^T and db (batch_b..., K, N) += alpha op(a)^T dout (stored
 * transposed where ta, tb), summed over the batch elements
 * that share an operand's matrix; either may be NULL. */
void fv_ref_matmul_backward(float *da, float *db, const float *dout, const float *a, const float *b,
                            const fv_matmul_geom *g);

#endif
