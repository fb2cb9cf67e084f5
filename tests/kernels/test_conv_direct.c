/* The direct 3x3 and 1x1 convolution (src/kernels/fast/conv_direct.c) against the reference kernels: forward (plain,
 * with bias and clamp, and added), input and weight gradients, on rows of 8 to 70 columns (whole, partial
 * and several register tiles; maps 16 wide or less as tiles of 4 rows, with partial groups), every padding
 * it takes, channel counts that fill no tile exactly, batches over several weight-gradient chunks;
 * bit-identical on 1, 2 and 3 threads. Skipped without AVX-512. */
#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/conv_direct.h"
#include "../../src/kernels/ref/conv.h"
#include "fovea/core.h"
#include "conv_check.h"
#include "test.h"

static bool takes(const fv_conv_geom *g)
{
    return fv_direct_conv_applies(g) && fv_direct_conv_backward_input_applies(g);
}

static const conv_path direct = {takes, fv_direct_conv_forward, fv_direct_conv_backward_input,
                                 fv_direct_conv_backward_weight};

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
    conv_tally t = {{0, 0, 0, 0, 0}, 0, 0, 1};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t *c = cases[i];
        int64_t k = c[5] < 0 ? 1 : 3;
        fv_conv_geom g = {.N = c[0], .C = c[1], .H = c[3], .W = c[4], .OC = c[2], .KH = k, .KW = k, .sh = 1,
                          .sw = 1, .pt = k == 1 ? 0 : c[5], .pl = c[6], .dh = 1, .dw = 1, .groups = 1};
        g.OH = g.H + g.pt + c[7] - (k - 1), g.OW = g.W + c[6] + c[8] - (k - 1);
        conv_check(&direct, &g, &t);
    }
    CHECK(t.taken == t.cases, "the direct path takes all %d geometries (forward and input gradient)", t.cases);
    CHECK(t.worst[0] < 1e-5, "fused forward: worst relative error %.2e against the reference", t.worst[0]);
    CHECK(t.worst[1] < 1e-5, "added forward: worst %.2e", t.worst[1]);
    CHECK(t.worst[2] < 1e-5, "input gradient: worst %.2e", t.worst[2]);
    CHECK(t.worst[4] < 1e-5, "input gradient stored (a fresh buffer, whatever it held): worst %.2e", t.worst[4]);
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
    fv_conv_geom huge = big;
    huge.C = huge.OC = 16, huge.H = huge.W = huge.OH = huge.OW = 2048;
    CHECK(!fv_direct_conv_applies(&huge), "a 2048x2048 map (270 MB a padded copy) left to the paths without a copy");
    return test_finish();
}
