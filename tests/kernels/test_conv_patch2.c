/* The direct 2x2 stride-2 convolution (src/kernels/fast/conv_patch2.c) against the reference kernels: forward
 * (plain, with bias and clamp, and added), input gradient (a transposed convolution's forward) and weight
 * gradient, on small maps 8 to 40 wide (half-vectors that span two rows, and whole rows), channel counts that
 * fill no tile, batches over several weight-gradient chunks; bit-identical on 1, 2 and 3 threads. Skipped
 * without AVX-512. */
#include "../../src/core/cpu.h"
#include "../../src/kernels/fast/conv_patch2.h"
#include "../../src/kernels/ref/conv.h"
#include "fovea/core.h"
#include "conv_check.h"
#include "test.h"

static const conv_path path = {fv_patch2_conv_applies, fv_patch2_conv_forward, fv_patch2_conv_backward_input,
                               fv_patch2_conv_backward_weight};

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
    conv_tally t = {{0, 0, 0, 0, 0}, 0, 0, 1};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fv_conv_geom g = patch2(cases[i][0], cases[i][1], cases[i][2], cases[i][3], cases[i][4]);
        conv_check(&path, &g, &t);
    }
    CHECK(t.taken == t.cases, "the 2x2 stride-2 path takes all %d geometries", t.cases);
    CHECK(t.worst[0] < 1e-5, "fused forward: worst relative error %.2e against the reference", t.worst[0]);
    CHECK(t.worst[1] < 1e-5, "added forward: worst %.2e", t.worst[1]);
    CHECK(t.worst[2] < 1e-5, "input gradient: worst %.2e", t.worst[2]);
    CHECK(t.worst[4] < 1e-5, "input gradient stored (a fresh buffer, whatever it held): worst %.2e", t.worst[4]);
    CHECK(t.worst[3] < 1e-5, "weight gradient: worst %.2e", t.worst[3]);
    CHECK(t.deterministic, "1, 2 and 3 threads give bit-identical results");
    fv_conv_geom odd = patch2(1, 4, 4, 4, 12), padded = unet, three = unet;
    padded.pt = padded.pl = 1, padded.H = 2 * 32 - 2, padded.W = 2 * 32 - 2;
    three.KH = three.KW = 3;
    CHECK(!fv_patch2_conv_applies(&odd) && !fv_patch2_conv_applies(&padded) && !fv_patch2_conv_applies(&three),
          "left to the other paths: rows of 12 (not a multiple of 8), padding, a 3x3 kernel");
    return test_finish();
}
