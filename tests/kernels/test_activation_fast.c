/* The vectorized smooth activations against the reference (double, libm): forward and backward within a few
 * ulps over the whole float range (a sweep across exp's overflow and underflow, values near every branch
 * point, infinities, NaN, signed zeros and subnormals), on the AVX2 and portable paths, with ragged lengths;
 * the hard kinds bit for bit; and every result bit-identical on 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/activation.h"
#include "../../src/kernels/ref/activation.h"
#include "fovea/core.h"
#include "fovea/ops.h"
#include "test.h"

#define EPS 1.1920929e-7 /* 2^-23 */
#define TINY 1.1754944e-38 /* smallest normal float: below it, compare absolutely */

static float *inputs(int64_t n)
{
    static const float odd[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 0.5f, -0.5f, 0.625f, -0.625f, 3.0f,
                                -3.0f, 1e-42f, -1e-42f, 88.7f, -87.4f, 1e-8f, -1e-8f, -1.2785f};
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        double u = fv_rng_uniform(31, 1, (uint64_t)i);
        if (i % 4 == 0) x[i] = (float)(-110.0 + 220.0 * (double)i / (double)n); /* the whole range */
        else if (i % 4 == 1) x[i] = (float)(u * 16.0 - 8.0);
        else if (i % 4 == 2) x[i] = (float)((u * 2.0 - 1.0) * 0.7); /* around the polynomial branches */
        else x[i] = odd[(i / 4) % (int64_t)(sizeof odd / sizeof odd[0])];
    }
    return x;
}

/* |a - b| within ulps of b (NaN matching NaN, infinities exactly), plus an absolute slack. */
static bool close_to(float a, float b, double ulps, double slack)
{
    if (isnan(b) || isnan(a)) return isnan(a) && isnan(b);
    if (isinf(b) || isinf(a)) return a == b;
    return fabs((double)a - b) <= ulps * EPS * fabs((double)b) + slack + TINY * 1e-3 * ulps;
}

static const int kinds[] = {FV_ACT_ELU, FV_ACT_SIGMOID, FV_ACT_TANH, FV_ACT_SILU, FV_ACT_HARD_SIGMOID,
                            FV_ACT_HARD_SWISH};
#define NKINDS (int)(sizeof kinds / sizeof kinds[0])

static bool is_hard(int kind) { return kind == FV_ACT_HARD_SIGMOID || kind == FV_ACT_HARD_SWISH; }

/* Counts the elements of one kind at one level out of tolerance; forward and backward. */
static int compare(int level, int kind, int64_t n, const float *x, const float *dy)
{
    float *ref = malloc((size_t)n * 4), *got = malloc((size_t)n * 4), *dref = calloc((size_t)n, 4),
          *dgot = calloc((size_t)n, 4);
    fv_ref_activation_forward(ref, x, n, kind, 1.3f);
    fv_ref_activation_backward(dref, dy, x, n, kind, 1.3f);
    bool ran = fv_fast_smooth_activation_forward_at(level, 2, got, x, n, kind, 1.3f) &&
               fv_fast_smooth_activation_backward_at(level, 2, dgot, dy, x, n, kind, 1.3f);
    int bad = 0;
    if (!ran) { /* the hard kinds are left to the caller without AVX2 */
        free(ref), free(got), free(dref), free(dgot);
        return is_hard(kind) && level < FV_SIMD_AVX2 ? 0 : 1;
    }
    for (int64_t i = 0; i < n; i++) {
        bool ok;
        if (is_hard(kind)) ok = memcmp(&got[i], &ref[i], 4) == 0 && memcmp(&dgot[i], &dref[i], 4) == 0;
        else /* silu' cancels near its minimum, x = -1.278: there the error is on the scale of dy; and the
              * reference's s (1 - s) and 1 - t^2 cancel to 0 in double where the derivative is below 1e-16 */
            ok = close_to(got[i], ref[i], 4, 0) &&
                 close_to(dgot[i], dref[i], 6,
                          fabs((double)dy[i]) * (kind == FV_ACT_SILU ? 2 * EPS : 0) + fabs((double)dy[i]) * 1e-15);
        if (!ok && bad++ < 3)
            printf("  kind %d level %d x=%.9g: y %.9g vs %.9g, dx %.9g vs %.9g\n", kind, level, (double)x[i],
                   (double)got[i], (double)ref[i], (double)dgot[i], (double)dref[i]);
    }
    free(ref), free(got), free(dref), free(dgot);
    return bad;
}

static void accuracy(void)
{
    int64_t n = 200003;
    float *x = inputs(n), *dy = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) dy[i] = (float)(fv_rng_uniform(31, 2, (uint64_t)i) * 4.0 - 2.0);
    int bad = 0;
    for (int level = FV_SIMD_PORTABLE; level <= (int)fv_simd_level_get() && level <= FV_SIMD_AVX2; level++)
        for (int k = 0; k < NKINDS; k++) bad += compare(level, kinds[k], n, x, dy);
    CHECK(bad == 0, "6 kinds forward and backward within 4-6 ulps of the reference, hard kinds bit for bit (%d off)",
          bad);
    /* ragged lengths: each tail goes through the padded last block */
    static const int64_t lens[] = {1, 3, 7, 8, 17, 33};
    bad = 0;
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
        for (int k = 0; k < NKINDS; k++) bad += compare((int)fv_simd_level_get(), kinds[k], lens[l], x + 5, dy + 5);
    CHECK(bad == 0, "lengths 1, 3, 7, 8, 17, 33 (%d off)", bad);
    free(x), free(dy);
}

/* Accumulation into a nonzero gradient, and the same bits on 1, 2 and 3 threads. */
static void threads(void)
{
    int64_t n = 70001;
    float *x = inputs(n), *dy = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) dy[i] = (float)(fv_rng_uniform(31, 3, (uint64_t)i) - 0.5);
    int bad = 0;
    for (int k = 0; k < NKINDS; k++) {
        float *y[3], *dx[3];
        for (int t = 0; t < 3; t++) { /* a kind left to the caller (hard kinds without AVX2) writes nothing */
            y[t] = calloc((size_t)n, 4), dx[t] = malloc((size_t)n * 4);
            for (int64_t i = 0; i < n; i++) dx[t][i] = (float)i * 1e-5f;
            fv_fast_smooth_activation_forward(t + 1, y[t], x, n, kinds[k], 0.7f);
            fv_fast_smooth_activation_backward(t + 1, dx[t], dy, x, n, kinds[k], 0.7f);
        }
        for (int t = 1; t < 3; t++)
            if (memcmp(y[t], y[0], (size_t)n * 4) || memcmp(dx[t], dx[0], (size_t)n * 4)) bad++;
        for (int t = 0; t < 3; t++) free(y[t]), free(dx[t]);
    }
    CHECK(bad == 0, "bit-identical on 1, 2 and 3 threads (%d differ)", bad);
    free(x), free(dy);
}

int main(void)
{
    accuracy();
    threads();
    return test_finish();
}
