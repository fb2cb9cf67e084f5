/* The direct depthwise kernels (the forward in its add-into and fused bias + clamp forms, the input and
 * weight gradients) against the reference convolution on odd geometries: kernels 1 to 7, strides 1 to 3,
 * dilation, asymmetric and oversized padding, channel multipliers, planes from 1x1 to 33x37 (every tail of a
 * vector), on the AVX2 and portable paths, within float rounding of the reference's double sums; and
 * bit-identical on 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/depthwise.h"
#include "../../src/kernels/ref/conv.h"
#include "fovea/core.h"
#include "test.h"

static float *random_buf(int64_t n, uint64_t stream)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = 2.0f * (float)fv_rng_uniform(51, stream, (uint64_t)i) - 1.0f;
    return x;
}

/* One geometry from a counter; NULL-sized outputs are skipped by the caller. */
static bool geometry(uint64_t k, fv_conv_geom *g)
{
    static const int sizes[] = {1, 3, 7, 8, 9, 14, 17, 33, 37};
    static const int kernels[] = {3, 5, 3, 5, 1, 7};
#define PICK(a, n) (a)[(k * 2654435761u >> (n)) % (sizeof(a) / sizeof((a)[0]))]
    memset(g, 0, sizeof *g);
    g->N = 1 + (int64_t)(k % 2);
    g->C = 1 + (int64_t)(k % 5);
    g->OC = g->C * (k % 7 == 3 ? 2 : 1);
    g->groups = g->C;
    g->H = PICK(sizes, 3), g->W = PICK(sizes, 7);
    g->KH = PICK(kernels, 11), g->KW = k % 9 == 4 ? 3 : g->KH;
    g->sh = 1 + (int64_t)(k / 3 % 2), g->sw = 1 + (int64_t)(k / 2 % 2);
    if (k % 13 == 5) g->sw = 3;
    g->dh = k % 11 == 7 ? 2 : 1, g->dw = k % 10 == 6 ? 2 : 1;
    g->pt = g->KH / 2, g->pl = g->KW / 2;
    if (k % 17 == 2) g->pt = g->KH * g->dh, g->pl = g->KW; /* padding beyond the kernel's reach */
    int64_t pb = g->pt + (int64_t)(k % 3 == 1), pr = g->pl + (int64_t)(k % 4 == 2) * 3;
#undef PICK
    int64_t eh = g->H + g->pt + pb - g->dh * (g->KH - 1), ew = g->W + g->pl + pr - g->dw * (g->KW - 1);
    if (eh < 1 || ew < 1) return false;
    g->OH = (eh - 1) / g->sh + 1, g->OW = (ew - 1) / g->sw + 1;
    return true;
}

/* Within float rounding: each output is at most 50 products of numbers in [-1, 1] plus a bias, so an error
 * of 1e-5 against the largest output is a few ulps of the sums; and the same NaN-free clamped values. */
static bool same_numbers(const float *a, const float *b, int64_t n)
{
    double m = 1.0;
    for (int64_t i = 0; i < n; i++) m = fabs(b[i]) > m ? fabs(b[i]) : m;
    for (int64_t i = 0; i < n; i++)
        if (!(fabs((double)a[i] - b[i]) <= 1e-6 * m)) return false;
    return true;
}

/* The fused forward at a level and thread count, with bias (or none) and a clamp (none, 6 or infinite). */
static float *fused(int level, int threads, const fv_conv_geom *g, const float *x, const float *w, const float *b,
                    float hi)
{
    int64_t ny = g->N * g->OC * g->OH * g->OW;
    float *y = random_buf(ny, 9); /* overwritten entirely */
    fv_fast_depthwise_forward_fused_at(level, threads, y, x, w, b, hi, g);
    return y;
}

static void against_reference(void)
{
    int cases = 0, bad = 0, nondet = 0;
    int top = (int)fv_simd_level_get() < FV_SIMD_AVX2 ? (int)fv_simd_level_get() : FV_SIMD_AVX2;
    for (uint64_t k = 0; k < 400; k++) {
        fv_conv_geom g;
        if (!geometry(k, &g)) continue;
        cases++;
        int64_t nx = g.N * g.C * g.H * g.W, nw = g.OC * g.KH * g.KW, ny = g.N * g.OC * g.OH * g.OW;
        float *x = random_buf(nx, 1), *w = random_buf(nw, 2), *b = random_buf(g.OC, 3);
        const float *bias = k % 4 == 3 ? NULL : b;
        float hi = k % 3 == 0 ? 0.0f : k % 3 == 1 ? 6.0f : INFINITY;
        float *ref = malloc((size_t)ny * 4), *add_ref = random_buf(ny, 4), *add = random_buf(ny, 4);
        fv_ref_conv2d_fill_bias(ref, bias, g.N, g.OC, g.OH * g.OW);
        fv_ref_conv2d_forward_add(ref, x, w, &g);
        for (int64_t i = 0; hi > 0.0f && i < ny; i++) ref[i] = ref[i] > 0.0f ? (ref[i] < hi ? ref[i] : hi) : 0.0f;
        fv_ref_conv2d_forward_add(add_ref, x, w, &g);
        fv_fast_depthwise_forward(2, add, x, w, &g);
        if (!same_numbers(add, add_ref, ny)) bad++;
        for (int level = FV_SIMD_PORTABLE; level <= top; level++) {
            float *y[3];
            for (int t = 0; t < 3; t++) y[t] = fused(level, t + 1, &g, x, w, bias, hi);
            if (!same_numbers(y[0], ref, ny)) {
                if (bad++ < 3)
                    printf("  k %llu level %d: %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld differs\n",
                           (unsigned long long)k, level, (long long)g.H, (long long)g.W, (long long)g.KH,
                           (long long)g.KW, (long long)g.sh, (long long)g.sw, (long long)g.dh, (long long)g.dw);
            }
            for (int t = 1; t < 3; t++) nondet += memcmp(y[t], y[0], (size_t)ny * 4) != 0;
            for (int t = 0; t < 3; t++) free(y[t]);
        }
        free(x), free(w), free(b), free(ref), free(add_ref), free(add);
    }
    CHECK(bad == 0, "forward (add, and fused bias + clamp): %d geometries within 1e-6 of the reference (%d differ)",
          cases, bad);
    CHECK(nondet == 0, "bit-identical on 1, 2 and 3 threads (%d differ)", nondet);
}

/* The input gradient at each level against the reference, and on 1, 2 and 3 threads. */
static void backward_input(void)
{
    int cases = 0, bad = 0, nondet = 0;
    int top = (int)fv_simd_level_get() < FV_SIMD_AVX2 ? (int)fv_simd_level_get() : FV_SIMD_AVX2;
    for (uint64_t k = 0; k < 400; k++) {
        fv_conv_geom g;
        if (!geometry(k, &g)) continue;
        cases++;
        int64_t nx = g.N * g.C * g.H * g.W, nw = g.OC * g.KH * g.KW, ny = g.N * g.OC * g.OH * g.OW;
        float *dy = random_buf(ny, 5), *w = random_buf(nw, 6), *ref = random_buf(nx, 7);
        fv_ref_conv2d_backward_input(ref, dy, w, &g);
        for (int level = FV_SIMD_PORTABLE; level <= top; level++) {
            float *dx[3];
            for (int t = 0; t < 3; t++) {
                dx[t] = random_buf(nx, 7); /* the kernels add into it */
                fv_fast_depthwise_backward_input_at(level, t + 1, dx[t], dy, w, &g);
            }
            if (!same_numbers(dx[0], ref, nx) && bad++ < 3)
                printf("  k %llu level %d: %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld differs\n",
                       (unsigned long long)k, level, (long long)g.H, (long long)g.W, (long long)g.KH,
                       (long long)g.KW, (long long)g.sh, (long long)g.sw, (long long)g.dh, (long long)g.dw);
            for (int t = 1; t < 3; t++) nondet += memcmp(dx[t], dx[0], (size_t)nx * 4) != 0;
            for (int t = 0; t < 3; t++) free(dx[t]);
        }
        free(dy), free(w), free(ref);
    }
    CHECK(bad == 0, "input gradient: %d geometries within 1e-6 of the reference (%d differ)", cases, bad);
    CHECK(nondet == 0, "input gradient bit-identical on 1, 2 and 3 threads (%d differ)", nondet);
}

/* The weight gradient at each level against the reference, and on 1, 2 and 3 threads. */
static void backward_weight(void)
{
    int cases = 0, bad = 0, nondet = 0;
    int top = (int)fv_simd_level_get() < FV_SIMD_AVX2 ? (int)fv_simd_level_get() : FV_SIMD_AVX2;
    for (uint64_t k = 0; k < 400; k++) {
        fv_conv_geom g;
        if (!geometry(k, &g)) continue;
        cases++;
        int64_t nx = g.N * g.C * g.H * g.W, nw = g.OC * g.KH * g.KW, ny = g.N * g.OC * g.OH * g.OW;
        float *dy = random_buf(ny, 5), *x = random_buf(nx, 6), *ref = random_buf(nw, 8);
        fv_ref_conv2d_backward_weight(ref, dy, x, &g);
        for (int level = FV_SIMD_PORTABLE; level <= top; level++) {
            float *dw[3];
            bool ok = true;
            for (int t = 0; t < 3; t++) {
                dw[t] = random_buf(nw, 8); /* the kernels add into it */
                ok &= fv_fast_depthwise_backward_weight_at(level, t + 1, dw[t], dy, x, &g);
            }
            if ((!ok || !same_numbers(dw[0], ref, nw)) && bad++ < 3)
                printf("  k %llu level %d: %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld differs\n",
                       (unsigned long long)k, level, (long long)g.H, (long long)g.W, (long long)g.KH,
                       (long long)g.KW, (long long)g.sh, (long long)g.sw, (long long)g.dh, (long long)g.dw);
            for (int t = 1; t < 3; t++) nondet += memcmp(dw[t], dw[0], (size_t)nw * 4) != 0;
            for (int t = 0; t < 3; t++) free(dw[t]);
        }
        free(dy), free(x), free(ref);
    }
    CHECK(bad == 0, "weight gradient: %d geometries within 1e-6 of the reference (%d differ)", cases, bad);
    CHECK(nondet == 0, "weight gradient bit-identical on 1, 2 and 3 threads (%d differ)", nondet);
}

int main(void)
{
    against_reference();
    backward_input();
    backward_weight();
    return test_finish();
}
