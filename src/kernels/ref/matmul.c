/* Reference matrix products (see matmul.h): the plain triple loop, summed in double. */
#include "matmul.h"

void fv_ref_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, const float *B,
                 float beta, float *C)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0.0;
            for (int64_t k = 0; k < K; k++)
                s += (double)(ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
            double c = beta == 0.0f ? 0.0 : (double)beta * C[i * N + j];
            C[i * N + j] = (float)(alpha * s + c);
        }
}

void fv_matmul_offsets(const fv_matmul_geom *g, int64_t i, int64_t *a_off, int64_t *b_off)
{
    int64_t ai = 0, bi = 0, as = 1, bs = 1; /* batch indices of a and b, and their batch strides */
    for (int d = FV_MATMUL_BATCH_DIMS - 1; d >= 0; d--) {
        int64_t c = i % g->out[d];
        i /= g->out[d];
        ai += (g->a[d] == 1 ? 0 : c) * as;
        bi += (g->b[d] == 1 ? 0 : c) * bs;
        as *= g->a[d];
        bs *= g->b[d];
    }
    *a_off = ai * g->M * g->K;
    *b_off = bi * g->K * g->N;
}

void fv_matmul_grad_plan_make(const fv_matmul_geom *g, bool for_b, fv_matmul_grad_plan *p)
{
    if (!for_b && !g->ta) /* da (M, K) = dout op(b)^T */
        *p = (fv_matmul_grad_plan){false, !g->tb, g->M, g->K, g->N, FV_MATMUL_DOUT, FV_MATMUL_B};
    else if (!for_b) /* a stored (K, M): da = op(b) dout^T */
        *p = (fv_matmul_grad_plan){g->tb, true, g->K, g->M, g->N, FV_MATMUL_B, FV_MATMUL_DOUT};
    else if (!g->tb) /* db (K, N) = op(a)^T dout */
        *p = (fv_matmul_grad_plan){!g->ta, false, g->K, g->N, g->M, FV_MATMUL_A, FV_MATMUL_DOUT};
    else /* b stored (N, K): db = dout^T op(a) */
        *p = (fv_matmul_grad_plan){true, g->ta, g->N, g->K, g->M, FV_MATMUL_DOUT, FV_MATMUL_A};
}

void fv_ref_matmul_forward(float *out, const float *a, const float *b, float beta, const fv_matmul_geom *g)
{
    for (int64_t i = 0; i < g->count; i++) {
        int64_t ao, bo;
        fv_matmul_offsets(g, i, &ao, &bo);
        fv_ref_gemm(g->ta, g->tb, g->M, g->N, g->K, g->alpha, a + ao, b + bo, beta, out + i * g->M * g->N);
    }
}

void fv_ref_matmul_backward(float *da, float *db, const float *dout, const float *a, const float *b,
                            const fv_matmul_geom *g)
{
    for (int pass = 0; pass < 2; pass++) {
        float *dst = pass ? db : da;
        if (!dst) continue;
        fv_matmul_grad_plan p;
        fv_matmul_grad_plan_make(g, pass, &p);
        for (int64_t i = 0; i < g->count; i++) {
            int64_t ao, bo;
            fv_matmul_offsets(g, i, &ao, &bo);
            const float *ops[3] = {dout + i * g->M * g->N, a + ao, b + bo};
            fv_ref_gemm(p.ta, p.tb, p.M, p.N, p.K, g->alpha, ops[p.first], ops[p.second], 1.0f, dst + (pass ? bo : ao));
        }
    }
}
