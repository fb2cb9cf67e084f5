/* The fast GEMM against a double-precision triple loop on odd shapes, every transpose combination and several
 * alphas and betas, at every vector level this CPU has; the degenerate cases (K 0, alpha 0, beta 0 over NaN);
 * and bit-identical results for 1, 2 and 3 threads. */
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

typedef struct {
    bool ta, tb;
    int64_t M, N, K;
    float alpha, beta;
} problem;

/* Operands with padded leading dimensions, as the GEMM sees them. */
typedef struct {
    int64_t lda, ldb, ldc;
    float *A, *B, *C;
} operands;

static operands make(const problem *p)
{
    operands o = {(p->ta ? p->M : p->K) + 3, (p->tb ? p->K : p->N) + 1, p->N + 2, NULL, NULL, NULL};
    int64_t na = (p->ta ? p->K : p->M) * o.lda, nb = (p->tb ? p->N : p->K) * o.ldb, nc = p->M * o.ldc;
    o.A = malloc((size_t)(na ? na : 1) * sizeof(float));
    o.B = malloc((size_t)(nb ? nb : 1) * sizeof(float));
    o.C = malloc((size_t)(nc ? nc : 1) * sizeof(float));
    fill(o.A, na, 1), fill(o.B, nb, 2), fill(o.C, nc, 3);
    return o;
}

static void release(operands *o) { free(o->A), free(o->B), free(o->C); }

/* max |got - want| / max |want| at one vector level and thread count */
static double check_one(int level, const problem *p, int threads)
{
    operands o = make(p);
    double *want = malloc((size_t)(p->M * p->N > 0 ? p->M * p->N : 1) * sizeof(double));
    for (int64_t i = 0; i < p->M; i++)
        for (int64_t j = 0; j < p->N; j++) {
            double s = 0;
            for (int64_t k = 0; k < p->K; k++)
                s += (double)(p->ta ? o.A[k * o.lda + i] : o.A[i * o.lda + k]) *
                     (p->tb ? o.B[j * o.ldb + k] : o.B[k * o.ldb + j]);
            want[i * p->N + j] = p->alpha * s + (p->beta != 0.0f ? p->beta * (double)o.C[i * o.ldc + j] : 0.0);
        }
    if (p->beta == 0.0f)
        for (int64_t i = 0; i < p->M * o.ldc; i++) o.C[i] = NAN; /* beta 0 must not read C */
    fv_gemm_at(level, threads, p->ta, p->tb, p->M, p->N, p->K, p->alpha, o.A, o.lda, o.B, o.ldb, p->beta, o.C, o.ldc);
    double err = 0, big = 1e-30;
    for (int64_t i = 0; i < p->M; i++)
        for (int64_t j = 0; j < p->N; j++) {
            double d = fabs(o.C[i * o.ldc + j] - want[i * p->N + j]);
            if (!(d <= err)) err = d;
            if (fabs(want[i * p->N + j]) > big) big = fabs(want[i * p->N + j]);
        }
    release(&o);
    free(want);
    return err / big;
}

static void shapes(void)
{
    static const int64_t sizes[] = {1, 3, 7, 17, 33, 65, 257};
    static const float alphas[] = {1.0f, -0.5f, 2.0f}, betas[] = {0.0f, 1.0f, 0.7f};
    int levels = (int)fv_simd_level_get();
    for (int level = 0; level <= levels; level++) {
        double worst = 0;
        int cases = 0;
        for (int t = 0; t < 4; t++)
            for (int a = 0; a < 7; a++)
                for (int b = 0; b < 7; b++) {
                    problem p = {t & 1, t & 2, sizes[a], sizes[b], sizes[(a + b + t) % 7], alphas[(a + t) % 3],
                                 betas[(b + t) % 3]};
                    double e = check_one(level, &p, 2);
                    if (!(e <= worst)) worst = e;
                    cases++;
                }
        CHECK(worst < 1e-5, "level %d: %d shapes, transposes, alphas and betas, worst relative error %.2e", level,
              cases, worst);
    }
    /* deep K (several KC slices, alpha on each) and wide N (several NC panels), every transpose */
    double worst = 0;
    for (int t = 0; t < 4; t++) {
        problem p = {t & 1, t & 2, 70, 3100, 600, t ? 0.25f : 1.0f, t == 2 ? 0.0f : 1.5f};
        double e = check_one(levels, &p, 2);
        if (!(e <= worst)) worst = e;
    }
    CHECK(worst < 1e-5, "70 x 3100 x 600 (panels and slices), every transpose: worst %.2e", worst);
}

/* K 0 and alpha 0 scale C by beta without reading A or B; M or N 0 touch nothing. */
static void degenerate(void)
{
    float C[6] = {1, 2, 3, 4, 5, 6}, nan_a[1] = {NAN};
    fv_gemm(2, false, false, 2, 3, 0, 1.0f, nan_a, 1, nan_a, 3, 0.5f, C, 3);
    CHECK(C[0] == 0.5f && C[5] == 3.0f, "K 0: C = beta C (%g, %g)", C[0], C[5]);
    fv_gemm(2, false, false, 2, 3, 1, 0.0f, nan_a, 1, nan_a, 3, 2.0f, C, 3);
    CHECK(C[0] == 1.0f && C[5] == 6.0f, "alpha 0: A and B not read, C = beta C");
    for (int i = 0; i < 6; i++) C[i] = NAN;
    fv_gemm(2, false, false, 2, 3, 0, 1.0f, nan_a, 1, nan_a, 3, 0.0f, C, 3);
    CHECK(C[0] == 0.0f && C[5] == 0.0f, "K 0, beta 0: C zeroed even over NaN");
    float keep = 7.0f;
    fv_gemm(2, false, false, 0, 3, 4, 1.0f, nan_a, 1, nan_a, 3, 0.0f, &keep, 3);
    CHECK(keep == 7.0f, "M 0 writes nothing");
}

/* The same product on 1, 2 and 3 threads, bit for bit, for each transpose combination and a general beta. */
static void deterministic(void)
{
    int same = 1;
    for (int t = 0; t < 4; t++) {
        problem p = {t & 1, t & 2, 131, 517, 300, 0.75f, t == 3 ? 0.0f : 1.25f};
        float *C[3];
        for (int th = 0; th < 3; th++) {
            operands o = make(&p);
            fv_gemm(th + 1, p.ta, p.tb, p.M, p.N, p.K, p.alpha, o.A, o.lda, o.B, o.ldb, p.beta, o.C, o.ldc);
            C[th] = o.C;
            free(o.A), free(o.B);
        }
        size_t bytes = (size_t)(p.M * (p.N + 2)) * sizeof(float);
        same &= memcmp(C[0], C[1], bytes) == 0 && memcmp(C[0], C[2], bytes) == 0;
        for (int th = 0; th < 3; th++) free(C[th]);
    }
    CHECK(same, "1, 2 and 3 threads give bit-identical products (every transpose combination)");
}

/* A packed once (fv_gemm_pack_a) gives the same bits as A packed by each product, on shapes that cross the
 * slice depth, the row blocks and a partial strip, narrow and wide, with and without row_init and clamp, on 1
 * to 3 threads; and a packed A of another shape is refused before C changes. */
static void prepacked(void)
{
    static const int64_t shapes[][3] = {{7, 13, 5}, {17, 49, 300}, {131, 517, 300}, {1280, 49, 320}, {33, 3100, 600}};
    int differ = 0, runs = 0;
    for (int s = 0; s < 5; s++)
        for (int t = 0; t < 2; t++)
            for (int th = 1; th <= 3; th++, runs++) {
                problem p = {t, false, shapes[s][0], shapes[s][1], shapes[s][2], 1.0f, 0.0f};
                operands o = make(&p);
                float *bias = malloc((size_t)p.M * sizeof(float)), *C2 = malloc((size_t)(p.M * o.ldc) * sizeof(float));
                fill(bias, p.M, 4);
                memcpy(C2, o.C, (size_t)(p.M * o.ldc) * sizeof(float));
                fv_gemm_op op = {.M = p.M, .N = p.N, .K = p.K, .alpha = 1.0f, .ta = p.ta, .A = o.A, .lda = o.lda,
                                 .B = o.B, .ldb = o.ldb, .C = o.C, .ldc = o.ldc, .row_init = th == 2 ? bias : NULL,
                                 .clamp_hi = th == 3 ? 0.5f : 0.0f};
                fv_gemm_run(th, &op);
                fv_gemm_packed *pa = fv_gemm_pack_a(th, p.ta, p.M, p.K, o.A, o.lda);
                op.a_packed = pa, op.A = NULL, op.C = C2;
                differ += !pa || !fv_gemm_run(th, &op) || memcmp(o.C, C2, (size_t)(p.M * o.ldc) * sizeof(float)) != 0;
                fv_gemm_packed_free(pa);
                free(bias), free(C2);
                release(&o);
            }
    CHECK(differ == 0, "A packed once: %d of %d products differ from those that pack A themselves", differ, runs);
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 1, 1, 1, 1, 1}, C[4] = {7, 7, 7, 7};
    fv_gemm_packed *pa = fv_gemm_pack_a(1, false, 2, 3, A, 3);
    fv_gemm_op wrong = {.M = 3, .N = 1, .K = 2, .alpha = 1.0f, .B = B, .ldb = 1, .C = C, .ldc = 1, .a_packed = pa};
    CHECK(!fv_gemm_run(1, &wrong) && C[0] == 7.0f, "a packed A of another shape is refused, C untouched");
    fv_gemm_packed_free(pa);
}

int main(void)
{
    shapes();
    degenerate();
    deterministic();
    prepacked();
    return test_finish();
}
