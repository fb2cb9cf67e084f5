/* The fast erf, exact GELU and sqrt against the reference kernel (double arithmetic, libm): erf and GELU within
 * 2e-6 of the reference relative to max(|reference|, FLT_MIN) over a dense sweep of [-12, 12], the values where
 * the fast kernel switches formula (|x| = 0.5 for erf, 0.5 sqrt 2 for GELU), tiny and huge arguments, GELU's far
 * left tail (where 1 + erf would cancel), and signed zeros, infinities and NaN exactly; sqrt bit for bit. Every
 * result the same bits on 1, 2 and 3 threads, at sizes with ragged ends. Skipped below AVX2 (the kernels then
 * decline and the reference runs). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/unary.h"
#include "../../src/kernels/ref/math.h"
#include "fovea/core.h"
#include "test.h"

static float *inputs(int64_t *n)
{
    int64_t cap = 60000, k = 0;
    float *x = malloc((size_t)cap * sizeof *x);
    for (int i = 0; i <= 48000; i++) x[k++] = -12.0f + 24.0f * (float)i / 48000.0f; /* a dense sweep */
    const float edges[] = {0.5f, 0.70710677f, 0.70710683f, 0.49999997f, 0.50000006f, 1e-3f, 1e-20f, 1e-38f, 1e-44f,
                           3.9f, 4.0f, 9.0f, 10.5f, 13.0f, 30.0f, 1e30f, 3.4e38f};
    for (size_t e = 0; e < sizeof edges / sizeof *edges; e++) x[k++] = edges[e], x[k++] = -edges[e];
    x[k++] = 0.0f, x[k++] = -0.0f, x[k++] = INFINITY, x[k++] = -INFINITY, x[k++] = NAN;
    for (int i = 0; i < 5000; i++) x[k++] = (fv_rng_uniform(9, 1, (uint64_t)i) - 0.5f) * 40.0f;
    *n = k;
    return x;
}

static bool close_to(float got, float want, double tol)
{
    if (isnan(want)) return isnan(got);
    if (isinf(want) || want == 0.0f) return got == want && signbit(got) == signbit(want);
    return fabs((double)got - want) <= tol * fmax(fabs(want), FLT_MIN);
}

int main(void)
{
    if (fv_simd_level_get() < FV_SIMD_AVX2) {
        CHECK(!fv_fast_unary_forward(2, NULL, NULL, 0, FV_MK_ERF), "below AVX2 the fast unary kernel declines");
        return test_finish();
    }
    int64_t n;
    float *x = inputs(&n), *want = malloc((size_t)n * sizeof *want), *got = malloc((size_t)n * sizeof *got),
          *again = malloc((size_t)n * sizeof *again);
    const int kinds[] = {FV_MK_ERF, FV_MK_GELU, FV_MK_SQRT};
    const char *names[] = {"erf", "gelu", "sqrt"};
    for (int k = 0; k < 3; k++) {
        fv_ref_unary_forward(want, x, n, kinds[k], 0.0f, 0.0f);
        CHECK(fv_fast_unary_forward(1, got, x, n, kinds[k]), "%s: the fast kernel takes it", names[k]);
        int64_t bad = -1;
        for (int64_t i = 0; i < n && bad < 0; i++) {
            bool ok = kinds[k] == FV_MK_SQRT ? memcmp(&got[i], &want[i], sizeof(float)) == 0 || (isnan(got[i]) && isnan(want[i]))
                                             : close_to(got[i], want[i], 2e-6);
            if (!ok) bad = i;
        }
        CHECK(bad < 0, "%s: %lld values within %s of the reference%s%.9g: %.9g, want %.9g", names[k], (long long)n,
              kinds[k] == FV_MK_SQRT ? "0 bits" : "2e-6", bad < 0 ? "" : "; at ", bad < 0 ? 0.0 : (double)x[bad],
              bad < 0 ? 0.0 : (double)got[bad], bad < 0 ? 0.0 : (double)want[bad]);
        bool same = true;
        for (int t = 2; t <= 3; t++) {
            for (int64_t m = n - 3; m <= n; m++) { /* ragged ends */
                memset(again, 0, (size_t)n * sizeof *again);
                fv_fast_unary_forward(t, again, x, m, kinds[k]);
                same &= memcmp(again, got, (size_t)m * sizeof *got) == 0;
            }
        }
        CHECK(same, "%s: the same bits on 1-3 threads and for any length", names[k]);
    }
    CHECK(!fv_fast_unary_forward(1, got, x, n, FV_MK_EXP), "a kind it does not have is left to the reference");
    free(x), free(want), free(got), free(again);
    return test_finish();
}
