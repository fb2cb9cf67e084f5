/* The fast softmax and log-softmax along the last axis against the reference (double sums, libm): lines of 1 to
 * 3000 elements (below, at and across the 8-wide vectors), logits spread over [-30, 30] and lines far from 0,
 * within 2e-6 relative (softmax's tiny probabilities relative to the line's largest); lines holding NaN or +inf
 * become NaN throughout as in the reference, -inf entries give 0 (log: -inf); the same bits on 1-3 threads;
 * other layouts (inner > 1) are declined. Skipped below AVX2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/softmax.h"
#include "../../src/kernels/ref/softmax.h"
#include "fovea/core.h"
#include "test.h"

static bool agree(const float *got, const float *want, int64_t outer, int64_t C, bool log_out)
{
    for (int64_t o = 0; o < outer; o++) {
        const float *g = got + o * C, *w = want + o * C;
        double top = 0;
        for (int64_t k = 0; k < C; k++) top = fmax(top, fabs(w[k]));
        for (int64_t k = 0; k < C; k++) {
            if (isnan(w[k]) != isnan(g[k]) || (isinf(w[k]) && g[k] != w[k])) return false;
            if (isnan(w[k]) || isinf(w[k])) continue;
            double scale = log_out ? fmax(fabs(w[k]), 1.0) : top;
            if (fabs((double)g[k] - w[k]) > 2e-6 * scale) return false;
        }
    }
    return true;
}

int main(void)
{
    if (fv_simd_level_get() < FV_SIMD_AVX2) {
        CHECK(!fv_fast_softmax_forward(2, NULL, NULL, 1, 1, 1, false), "below AVX2 the fast softmax declines");
        return test_finish();
    }
    const int64_t sizes[] = {1, 2, 7, 8, 9, 16, 197, 1000, 3000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int64_t C = sizes[s], outer = 40, n = outer * C;
        float *x = malloc((size_t)n * sizeof *x), *want = malloc((size_t)n * sizeof *x), *got = malloc((size_t)n * sizeof *x),
              *again = malloc((size_t)n * sizeof *x);
        for (int64_t i = 0; i < n; i++) {
            float u = fv_rng_uniform(11, (uint64_t)s, (uint64_t)i);
            x[i] = (u - 0.5f) * 60.0f + (i / C % 5 == 4 ? 500.0f : 0.0f); /* every fifth line far from 0 */
        }
        if (C >= 8) {
            x[1 * C + 3] = NAN;        /* line 1: NaN */
            x[2 * C + C - 1] = INFINITY; /* line 2: +inf */
            x[3 * C + 2] = -INFINITY;  /* line 3: one -inf */
        }
        for (int lg = 0; lg < 2; lg++) {
            fv_ref_softmax_forward(want, x, outer, C, 1, lg);
            CHECK(fv_fast_softmax_forward(1, got, x, outer, C, 1, lg), "C %lld: taken", (long long)C);
            CHECK(agree(got, want, outer, C, lg), "%s over lines of %lld: within 2e-6 of the reference, NaN and "
                  "infinities as it has them", lg ? "log-softmax" : "softmax", (long long)C);
            bool same = true;
            for (int t = 2; t <= 3; t++) {
                fv_fast_softmax_forward(t, again, x, outer, C, 1, lg);
                same &= memcmp(again, got, (size_t)n * sizeof *got) == 0;
            }
            CHECK(same, "C %lld: the same bits on 1-3 threads", (long long)C);
        }
        free(x), free(want), free(got), free(again);
    }
    float y[4];
    CHECK(!fv_fast_softmax_forward(1, y, y, 1, 2, 2, false), "a strided axis (inner 2) is left to the reference");
    return test_finish();
}
