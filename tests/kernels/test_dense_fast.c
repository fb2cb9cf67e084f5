/* The few-rows dense kernel (batch-1 inference) against the reference dense kernel on odd sizes, with and
 * without bias, and bit-identical results for 1, 2 and 3 threads. */
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/dense.h"
#include "../../src/kernels/ref/dense.h"
#include "fovea/core.h"
#include "test.h"

static float *random_buf(int64_t n, uint64_t stream)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = 2.0f * fv_rng_uniform(13, stream, (uint64_t)i) - 1.0f;
    return x;
}

int main(void)
{
    static const int64_t Cs[] = {1, 3, 7, 16, 17, 33, 100, 4099}, OCs[] = {1, 5, 17, 130};
    double worst = 0.0;
    int cases = 0, same = 1;
    for (int64_t N = 1; N <= FV_DENSE_FEW_ROWS; N++)
        for (size_t a = 0; a < sizeof Cs / sizeof Cs[0]; a++)
            for (size_t b = 0; b < sizeof OCs / sizeof OCs[0]; b++) {
                int64_t C = Cs[a], OC = OCs[b];
                float *x = random_buf(N * C, 1), *w = random_buf(OC * C, 2), *bias = random_buf(OC, 3);
                const float *bs = (a + b) % 2 ? bias : NULL;
                float *ref = random_buf(N * OC, 4), *out[4];
                fv_ref_dense_forward(ref, x, w, bs, N, C, OC);
                for (int t = 1; t <= 3; t++) {
                    out[t] = random_buf(N * OC, 5);
                    fv_fast_dense_few_rows(t, out[t], x, w, bs, N, C, OC);
                }
                double e = rel_error(out[1], ref, N * OC);
                if (!(e <= worst)) worst = e;
                for (int t = 2; t <= 3; t++) same &= memcmp(out[1], out[t], (size_t)(N * OC) * sizeof(float)) == 0;
                for (int t = 1; t <= 3; t++) free(out[t]);
                free(x), free(w), free(bias), free(ref);
                cases++;
            }
    CHECK(worst < 1e-5, "few-rows dense: %d shapes, worst relative error %.2e against the reference", cases, worst);
    CHECK(same, "1, 2 and 3 threads give bit-identical outputs");
    return test_finish();
}
