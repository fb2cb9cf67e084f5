/* The direct 3x3 and 1x1 convolution (src/kernels/fast/conv_direct.c) against the reference kernels: forward (plain,
 * with bias and clamp, and added), input and weight gradients, on rows of 8 to 70 columns (whole, partial
 * and several register tiles; maps 16 wide or less as tiles of 4 rows, with partial groups), every padding
 * it takes, channel counts that fill no tile exactly, batches over several weight-gradient chunks;
 * bit-identical on 1, 2 and 3 threads. Skipped without AVX-512. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/conv_direct.h"
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

/* Reference, then the direct path on 1, 2 and 3 threads onto the same noise. */
static void compare(const fv_conv_geom *g, tally *t)
{
    int64_t nx = g->N * g->C * g->H * g->W, nw = g->OC * g->C * g->KH * g->KW, ny = g->N * g->OC * g->OH * g->OW;
    float *x = random_buf(nx, 1), *w = random_buf(nw, 2), *dy = random_buf(ny, 3), *bias = random_buf(g->OC, 4);
    float hi = t->cases % 3 == 0 ? 0.0f : t->cases % 3 == 1 ? INFINITY : 0.25f;
    const float *fbias = t->cases % 2 ? NULL : bias;
    float *fy[4], *ay[4], *dx[4], *dw[4];
    t->taken += fv_direct_conv_applies(g) && fv_direct_conv_backward_input_applies(g);
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
        bool ok = fv_direct_conv_forward(th, fy[th], x, w, fbias, hi, false, g);
        ok &= fv_direct_conv_forward(th, ay[th], x, w, NULL, 0.0f, true, g);
        ok &= fv_direct_conv_backward_input(th, dx[th], dy, w, g);
        ok &= fv_direct_conv_backward_weight(th, dw[th], dy, x, g);
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

int main(void)
{
    if (fv_simd_level_get() < FV_SIMD_AVX512) {
        fv_conv_geom g = {.N = 1, .C = 16, .H = 64, .W = 64, .OC = 16, .OH = 64, .OW = 64, .KH = 3, .KW = 3, .sh = 1,
                          .sw = 1, .pt = 1, .pl = 1, .dh = 1, .dw = 1, .groups = 1};
        CHECK(!fv_direct_conv_applies(&g),
              "without AVX-512 the direct path takes nothing");
        return test_finish();
    }
    /* N, C, OC, H, W, top, left, bottom, right padding (-1: a 1x1 convolution) */
    static const int64_t cases[][9] = {
        {2, 16, 16, 64, 64, 1, 1, 1, 1},  /* a U-Net level: 4 vectors a row, one tile */
        {3, 1, 16, 20, 17, 1, 1, 1, 1},   /* one input channel; 17 columns: a full and a 1-lane vector */
        {2, 5, 13, 9, 33, 0, 0, 0, 0},    /* no padding: 31 columns; 13 channels fill no tile */
        {9, 16, 32, 32, 32, 1, 1, 1, 1},  /* 2 vectors a row; 9 images: three weight-gradient chunks */
        {1, 7, 9, 6, 70, 2, 2, 2, 2},     /* padding 2; 72 columns: 2 tiles of 4 vectors */
        {2, 3, 37, 7, 48, 2, 0, 1, 2},    /* asymmetric padding; 3 vectors a row */
        {1, 32, 16, 12, 16, 1, 1, 0, 1},  /* 16 wide: one vector, 12 channels a tile */
        {2, 64, 32, 5, 16, 1, 1, 1, 1},   /* 64 x 32 channels */
        {8, 128, 64, 3, 16, 1, 1, 1, 1},  /* the most channels it takes (128 x 64, on a 16-wide map) */
        {3, 16, 11, 9, 64, -1, 0, 0, 0},  /* 1x1: a U-Net's head */
        {2, 5, 3, 4, 37, -1, 0, 0, 0},    /* 1x1, a partial vector */
        {9, 7, 13, 3, 20, -1, 0, 0, 0},   /* 1x1 over three weight-gradient chunks, planes of 60 pixels */
        {2, 5, 7, 9, 16, -1, 0, 0, 0},    /* 1x1 on a 16-wide map: row tiles, 9 rows (a partial group) */
        {3, 9, 20, 7, 16, 1, 1, 1, 1},    /* 16 wide, 7 rows: row tiles over a partial group */
        {5, 32, 64, 14, 14, 1, 1, 1, 1},  /* FMNIST-CNN's conv2: 14 wide, 2 lanes of each row vector unused */
        {2, 3, 5, 9, 12, 1, 1, 1, 1},     /* 12 wide */
        {6, 32, 24, 8, 8, 1, 1, 1, 1},    /* the narrowest rows it takes: 8, half of each vector idle */
    };
    tally t = {{0, 0, 0, 0}, 0, 0, 1};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t *c = cases[i];
        int64_t k = c[5] < 0 ? 1 : 3;
        fv_conv_geom g = {.N = c[0], .C = c[1], .H = c[3], .W = c[4], .OC = c[2], .KH = k, .KW = k, .sh = 1,
                          .sw = 1, .pt = k == 1 ? 0 : c[5], .pl = c[6], .dh = 1, .dw = 1, .groups = 1};
        g.OH = g.H + g.pt + c[7] - (k - 1), g.OW = g.W + c[6] + c[8] - (k - 1);
        compare(&g, &t);
    }
    CHECK(t.taken == t.cases, "the direct path takes all %d geometries (forward and input gradient)", t.cases);
    CHECK(t.worst[0] < 1e-5, "fused forward: worst relative error %.2e against the reference", t.worst[0]);
    CHECK(t.worst[1] < 1e-5, "added forward: worst %.2e", t.worst[1]);
    CHECK(t.worst[2] < 1e-5, "input gradient: worst %.2e", t.worst[2]);
    CHECK(t.worst[3] < 1e-5, "weight gradient: worst %.2e", t.worst[3]);
    CHECK(t.deterministic, "1, 2 and 3 threads give bit-identical results");
    fv_conv_geom wide = {.N = 1, .C = 129, .H = 64, .W = 64, .OC = 16, .OH = 64, .OW = 64, .KH = 3, .KW = 3, .sh = 1,
                         .sw = 1, .pt = 1, .pl = 1, .dh = 1, .dw = 1, .groups = 1};
    fv_conv_geom narrow = wide, strided = wide;
    narrow.C = 16, narrow.W = narrow.OW = 7;
    strided.C = 16, strided.sh = strided.sw = 2, strided.OH = strided.OW = 32;
    CHECK(!fv_direct_conv_applies(&wide) && !fv_direct_conv_applies(&narrow) && !fv_direct_conv_applies(&strided),
          "left to the other paths: 129 channels, rows under 8, stride 2");
    fv_conv_geom big = wide;
    big.C = 64, big.OC = 64, big.H = big.W = big.OH = big.OW = 56;
    CHECK(!fv_direct_conv_applies(&big), "64 -> 64 channels at 56x56 left to Winograd");
    return test_finish();
}
