/* The fast convolution kernels against the reference kernels on many odd geometries (sizes 1 to 17, kernels
 * 1 to 5, strides, asymmetric padding, dilation, groups, 1x1 fast paths), forward and both gradients, and
 * bit-identical results for 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/conv.h"
#include "../../src/kernels/ref/conv.h"
#include "fovea/core.h"
#include "test.h"

static float *random_buf(int64_t n, uint64_t stream)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = 2.0f * fv_rng_uniform(11, stream, (uint64_t)i) - 1.0f;
    return x;
}

static double rel(const float *a, const float *b, int64_t n)
{
    double d = 0, m = 1e-30;
    for (int64_t i = 0; i < n; i++) {
        if (fabs(a[i] - b[i]) > d) d = fabs(a[i] - b[i]);
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return d / m;
}

/* One geometry from a counter: every field drawn from small odd ranges. */
static fv_conv_geom geometry(uint64_t k)
{
    uint64_t r = fv_rng_bits(3, 9, k);
#define PICK(lo, hi) ((int64_t)(lo) + (int64_t)((r = r * 6364136223846793005ull + 1442695040888963407ull) >> 33) % ((hi) - (lo) + 1))
    fv_conv_geom g;
    g.groups = PICK(1, 3);
    g.N = PICK(1, 3);
    g.C = g.groups * PICK(1, 3);
    g.OC = g.groups * PICK(1, 4);
    g.H = PICK(1, 17), g.W = PICK(1, 17);
    g.KH = PICK(1, 5), g.KW = PICK(1, 5);
    g.sh = PICK(1, 3), g.sw = PICK(1, 3);
    g.dh = PICK(1, 2), g.dw = PICK(1, 2);
    g.pt = PICK(0, 2), g.pl = PICK(0, 2);
    if (k % 5 == 0) g.KH = g.KW = 1, g.sh = g.sw = 1, g.pt = g.pl = 0, g.dh = g.dw = 1; /* the 1x1 path */
    int64_t pb = PICK(0, 2), pr = PICK(0, 2);
    if (k % 5 == 0) pb = pr = 0;
#undef PICK
    g.OH = (g.H + g.pt + pb - g.dh * (g.KH - 1) - 1) / g.sh + 1;
    g.OW = (g.W + g.pl + pr - g.dw * (g.KW - 1) - 1) / g.sw + 1;
    return g;
}

int main(void)
{
    double worst[3] = {0, 0, 0};
    int cases = 0, deterministic = 1;
    for (uint64_t k = 0; cases < 300; k++) {
        fv_conv_geom g = geometry(k);
        if (g.OH < 1 || g.OW < 1) continue;
        cases++;
        int64_t nx = g.N * g.C * g.H * g.W, nw = g.OC * (g.C / g.groups) * g.KH * g.KW, ny = g.N * g.OC * g.OH * g.OW;
        float *x = random_buf(nx, 1), *w = random_buf(nw, 2), *dy = random_buf(ny, 3);
        float *y[4], *dx[4], *dw[4]; /* [0] reference, [1..3] fast with 1..3 threads */
        for (int t = 0; t < 4; t++) {
            y[t] = random_buf(ny, 4), dx[t] = random_buf(nx, 5), dw[t] = random_buf(nw, 6); /* accumulate onto noise */
            if (t == 0) {
                fv_ref_conv2d_forward_add(y[t], x, w, &g);
                fv_ref_conv2d_backward_input(dx[t], dy, w, &g);
                fv_ref_conv2d_backward_weight(dw[t], dy, x, &g);
            } else {
                fv_fast_conv2d_forward_add(t, y[t], x, w, &g);
                fv_fast_conv2d_backward_input(t, dx[t], dy, w, &g);
                fv_fast_conv2d_backward_weight(t, dw[t], dy, x, &g);
            }
        }
        double e[3] = {rel(y[1], y[0], ny), rel(dx[1], dx[0], nx), rel(dw[1], dw[0], nw)};
        for (int i = 0; i < 3; i++)
            if (!(e[i] <= worst[i])) worst[i] = e[i];
        for (int t = 2; t < 4; t++)
            deterministic &= memcmp(y[1], y[t], (size_t)ny * 4) == 0 && memcmp(dx[1], dx[t], (size_t)nx * 4) == 0 &&
                             memcmp(dw[1], dw[t], (size_t)nw * 4) == 0;
        for (int t = 0; t < 4; t++) free(y[t]), free(dx[t]), free(dw[t]);
        free(x), free(w), free(dy);
    }
    CHECK(worst[0] < 1e-5, "forward: %d geometries, worst relative error %.2e against the reference", cases, worst[0]);
    CHECK(worst[1] < 1e-5, "input gradient: worst %.2e", worst[1]);
    CHECK(worst[2] < 1e-5, "weight gradient: worst %.2e", worst[2]);
    CHECK(deterministic, "1, 2 and 3 threads give bit-identical outputs and gradients");
    return test_finish();
}
