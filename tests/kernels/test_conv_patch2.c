/* The direct 2x2 stride-2 convolution (src/kernels/fast/conv_patch2.c) against the reference kernels: forward
 * (plain, with bias and clamp, and added), input gradient (a transposed convolution's forward) and weight
 * gradient, on small maps 8 to 40 wide (half-vectors that span two rows, and whole rows), channel counts that
 * fill no tile, batches over several weight-gradient chunks; bit-identical on 1, 2 and 3 threads. Skipped
 * without AVX-512. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/conv_patch2.h"
#include "../../src/kernels/ref/conv.h"
#include "fovea/core.h"
#include "test.h"

static float *random_buf(int64_t n, uint64_t stream)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = 2.0f * fv_rng_uniform(12, stream, (uint64_t)i) - 1.0f;
    return x;
}

/* The largest difference over the largest magnitude of scale (the reference, or for a clamped output the
 * unclamped sums, which set the rounding error: clamped at 0.25, sums of 1,152 products keep theirs). */
static double rel_to(const float *a, const float *b, const float *scale, int64_t n)
{
    double d = 0, m = 1e-30;
    for (int64_t i = 0; i < n; i++) {
        if (!(fabs(a[i] - b[i]) <= d)) d = fabs(a[i] - b[i]);
        if (fabs(scale[i]) > m) m = fabs(scale[i]);
    }
    return d / m;
}

static double rel(const float *a, const float *b, int64_t n)
{
    return rel_to(a, b, b, n);
}

typedef struct {
    double worst[4]; /* forward (fused), forward added, input gradient, weight gradient */
    int cases, taken, deterministic;
} tally;

/* Reference, then the 2x2 stride-2 path on 1, 2 and 3 threads onto the same noise. */
static void compare(const fv_conv_geom *g, tally *t)
{
    int64_t nx = g->N * g->C * g->H * g->W, nw = g->OC * g->C * g->KH * g->KW, ny = g->N * g->OC * g->OH * g->OW;
    float *x = random_buf(nx, 1), *w = random_buf(nw, 2), *dy = random_buf(ny, 3), *bias = random_buf(g->OC, 4);
    float hi = t->cases % 3 == 0 ? 0.0f : t->cases % 3 == 1 ? INFINITY : 0.25f;
    const float *fbias = t->cases % 2 ? NULL : bias;
    float *fy[4], *ay[4], *dx[4], *dw[4];
    t->taken += fv_patch2_conv_applies(g);
    for (int th = 0; th < 4; th++) {
        fy[th] = random_buf(ny, 5), ay[th] = random_buf(ny, 6), dx[th] = random_buf(nx, 7), dw[th] = random_buf(nw, 8);
        if (th == 0) {
            fv_ref_conv2d_fill_bias(fy[0], fbias, g->N, g->OC, g->OH * g->OW);
            fv_ref_conv2d_forward_add(fy[0], x, w, g);
            for (int64_t i = 0; hi > 0.0f && i < ny; i++) fy[0][i] = fy[0][i] > 0.0f ? fminf(fy[0][i], hi) : 0.0f;
            fv_ref_conv2d_forward_add(ay[0], x, w, g);
            fv_ref_conv2d_backward_input(dx[0], dy, w, g);
            fv_ref_conv2d_backward_weight(dw[0], dy, x, g);
            continue;
        }
        bool ok = fv_patch2_conv_forward(th, fy[th], x, w, fbias, hi, false, g);
        ok &= fv_patch2_conv_forward(th, ay[th], x, w, NULL, 0.0f, true, g);
        ok &= fv_patch2_conv_backward_input(th, dx[th], dy, w, g);
        ok &= fv_patch2_conv_backward_weight(th, dw[th], dy, x, g);
        if (!ok) t->deterministic = 0;
    }
    double e[4] = {rel_to(fy[1], fy[0], ay[0], ny), rel(ay[1], ay[0], ny), rel(dx[1], dx[0], nx), rel(dw[1], dw[0], nw)};
    for (int k = 0; k < 4; k++)
        if (!(e[k] <= t->worst[k])) t->worst[k] = e[k];
    for (int th = 2; th < 4; th++)
        if (memcmp(fy[th], fy[1], (size_t)ny * 4) || memcmp(ay[th], ay[1], (size_t)ny * 4) ||
            memcmp(dx[th], dx[1], (size_t)nx * 4) || memcmp(dw[th], dw[1], (size_t)nw * 4))
            t->deterministic = 0;
    for (int th = 0; th < 4; th++) free(fy[th]), free(ay[th]), free(dx[th]), free(dw[th]);
    free(x), free(w), free(dy), free(bias);
    t->cases++;
}

static fv_conv_geom patch2(int64_t N, int64_t C, int64_t OC, int64_t OH, int64_t OW)
{
    return (fv_conv_geom){.N = N, .C = C, .H = 2 * OH, .W = 2 * OW, .OC = OC, .OH = OH, .OW = OW, .KH = 2, .KW = 2,
                          .sh = 2, .sw = 2, .dh = 1, .dw = 1, .groups = 1};
}

int main(void)
{
    fv_conv_geom unet = patch2(2, 16, 32, 32, 32);
    if (fv_simd_level_get() < FV_SIMD_AVX512) {
        CHECK(!fv_patch2_conv_applies(&unet), "without AVX-512 the 2x2 stride-2 path takes nothing");
        return test_finish();
    }
    /* N, C, OC, OH, OW: the small map */
    static const int64_t cases[][5] = {
        {2, 16, 32, 32, 32}, /* a U-Net's first up-convolution, as its transpose: 64x64 <-> 32x32 */
        {3, 32, 64, 16, 16}, /* the second */
        {9, 64, 128, 8, 8},  /* the third: 8-wide rows, each vector two rows; 9 images, three chunks */
        {1, 5, 7, 4, 24},    /* 24 wide: a row ends mid-vector; channels that fill no tile */
        {2, 1, 13, 4, 40},   /* one input channel */
        {5, 11, 2, 12, 8},   /* two output channels */
    };
    tally t = {{0, 0, 0, 0}, 0, 0, 1};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fv_conv_geom g = patch2(cases[i][0], cases[i][1], cases[i][2], cases[i][3], cases[i][4]);
        compare(&g, &t);
    }
    CHECK(t.taken == t.cases, "the 2x2 stride-2 path takes all %d geometries", t.cases);
    CHECK(t.worst[0] < 1e-5, "fused forward: worst relative error %.2e against the reference", t.worst[0]);
    CHECK(t.worst[1] < 1e-5, "added forward: worst %.2e", t.worst[1]);
    CHECK(t.worst[2] < 1e-5, "input gradient: worst %.2e", t.worst[2]);
    CHECK(t.worst[3] < 1e-5, "weight gradient: worst %.2e", t.worst[3]);
    CHECK(t.deterministic, "1, 2 and 3 threads give bit-identical results");
    fv_conv_geom odd = patch2(1, 4, 4, 4, 12), padded = unet, three = unet;
    padded.pt = padded.pl = 1, padded.H = 2 * 32 - 2, padded.W = 2 * 32 - 2;
    three.KH = three.KW = 3;
    CHECK(!fv_patch2_conv_applies(&odd) && !fv_patch2_conv_applies(&padded) && !fv_patch2_conv_applies(&three),
          "left to the other paths: rows of 12 (not a multiple of 8), padding, a 3x3 kernel");
    return test_finish();
}
