/* The fast softmax and log-softmax along the last axis against the reference (double sums, libm): lines of 1 to
 * 3000 elements (below, at and across the 8-wide vectors), logits spread over [-30, 30] and lines far from 0,
 * within 2e-6 relative (softmax's tiny probabilities relative to the line's largest); lines holding NaN or +inf
 * become NaN throughout as in the reference, -inf entries give 0 (log: -inf); the same bits on 1-3 threads.
 * Strided axes (the class axis of (N, K, H, W) logits, inner > 1) forward and backward, eight lines a vector and
 * a scalar tail, against the reference. Skipped below AVX2. */
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

/* Elementwise within 2e-6 (log: relative to max(1, |want|)), NaN where the reference has it. */
static bool close_all(const float *got, const float *want, int64_t n, bool log_out)
{
    for (int64_t i = 0; i < n; i++) {
        if (isnan(want[i]) != isnan(got[i]) || (isinf(want[i]) && got[i] != want[i])) return false;
        if (isnan(want[i]) || isinf(want[i])) continue;
        if (fabs((double)got[i] - want[i]) > 2e-6 * (log_out ? fmax(fabs(want[i]), 1.0) : 1.0)) return false;
    }
    return true;
}

/* (outer, C, inner) layouts: vectors of 8 lines, a tail, a single class; forward and the gradient. */
static void strided(void)
{
    static const int64_t shapes[][3] = {{3, 11, 4096}, {2, 3, 13}, {5, 1, 8}, {2, 4, 7}, {1, 21, 33}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int64_t outer = shapes[s][0], C = shapes[s][1], inner = shapes[s][2], n = outer * C * inner;
        float *x = malloc((size_t)n * sizeof *x), *want = malloc((size_t)n * sizeof *x), *got = malloc((size_t)n * sizeof *x);
        float *dy = malloc((size_t)n * sizeof *x), *dw = malloc((size_t)n * sizeof *x), *dg = malloc((size_t)n * sizeof *x);
        for (int64_t i = 0; i < n; i++) {
            x[i] = (fv_rng_uniform(12, (uint64_t)s, (uint64_t)i) - 0.5f) * 40.0f;
            dy[i] = fv_rng_uniform(13, (uint64_t)s, (uint64_t)i) - 0.5f;
        }
        if (inner >= 8 && C > 1) x[inner + 2] = NAN, x[3] = INFINITY; /* lines 2 and 3 of the first image */
        for (int lg = 0; lg < 2; lg++) {
            fv_ref_softmax_forward(want, x, outer, C, inner, lg);
            bool taken = fv_fast_softmax_forward(2, got, x, outer, C, inner, lg);
            CHECK(taken && close_all(got, want, n, lg), "%s over (%lld, %lld, %lld): within 2e-6 of the reference",
                  lg ? "log-softmax" : "softmax", (long long)outer, (long long)C, (long long)inner);
            for (int64_t i = 0; i < n; i++) dw[i] = dg[i] = 0.25f;
            fv_ref_softmax_backward(dw, dy, want, outer, C, inner, lg);
            bool back = fv_fast_softmax_backward(3, dg, dy, want, outer, C, inner, lg);
            if (inner >= 8)
                CHECK(back && close_all(dg, dw, n, false), "%s gradient over (%lld, %lld, %lld): within 2e-6",
                      lg ? "log-softmax" : "softmax", (long long)outer, (long long)C, (long long)inner);
            else
                CHECK(!back, "a gradient over lines of %lld is left to the reference", (long long)inner);
        }
        free(x), free(want), free(got), free(dy), free(dw), free(dg);
    }
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
    strided();
    return test_finish();
}
