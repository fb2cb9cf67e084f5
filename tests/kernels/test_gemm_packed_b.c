/* The GEMM on a B packed once (fv_gemm_pack_b, as products with constant weights keep it) against the GEMM on B
 * itself: the same bits, for B plain and transposed, shapes with ragged strips and several KC slices and NC
 * panels, few rows (where the plain product reads B in place) and many, alpha and beta, on 1 to 3 threads; a
 * packing made for another shape is refused before C changes. */
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/gemm.h"
#include "fovea/core.h"
#include "test.h"

static float *values(int64_t n, uint64_t stream)
{
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = fv_rng_uniform(3, stream, (uint64_t)i) * 2.0f - 1.0f;
    return v;
}

int main(void)
{
    const int64_t shapes[][3] = {{1, 17, 5}, {7, 33, 300}, {40, 200, 70}, {197, 2304, 768}, {60, 3100, 20}, {5, 16, 600}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        for (int tb = 0; tb < 2; tb++) {
            float *A = values(M * K, 1), *B = values(K * N, 2), *C0 = values(M * N, 3);
            float *want = malloc((size_t)(M * N) * sizeof(float)), *got = malloc((size_t)(M * (N + 1)) * sizeof(float));
            int64_t ldb = tb ? K : N;
            memcpy(want, C0, (size_t)(M * N) * sizeof(float));
            fv_gemm(2, false, tb, M, N, K, 0.5f, A, K, B, ldb, 1.5f, want, N);
            fv_gemm_packed *p = fv_gemm_pack_b(2, tb, K, N, B, ldb);
            bool same = p != NULL;
            for (int t = 1; p && t <= 3; t++) {
                memcpy(got, C0, (size_t)(M * N) * sizeof(float));
                fv_gemm_op o = {.M = M, .N = N, .K = K, .alpha = 0.5f, .beta = 1.5f, .A = A, .lda = K, .C = got,
                                .ldc = N, .b_packed = p};
                same &= fv_gemm_run(t, &o) && memcmp(got, want, (size_t)(M * N) * sizeof(float)) == 0;
            }
            CHECK(same, "%lldx%lldx%lld%s: the product on B packed once equals the one on B, bit for bit, on 1-3 threads",
                  (long long)M, (long long)N, (long long)K, tb ? " (B transposed)" : "");
            memcpy(got, C0, (size_t)(M * N) * sizeof(float)); /* got holds M x (N + 1): room for the wrong product */
            fv_gemm_op wrong = {.M = M, .N = N + 1, .K = K, .alpha = 1.0f, .A = A, .lda = K, .C = got, .ldc = N + 1,
                                .b_packed = p};
            CHECK(!fv_gemm_run(1, &wrong) && memcmp(got, C0, (size_t)(M * N) * sizeof(float)) == 0,
                  "a packing of another shape is refused and C is left as it was");
            fv_gemm_packed_free(p);
            free(A), free(B), free(C0), free(want), free(got);
        }
    }
    return test_finish();
}
