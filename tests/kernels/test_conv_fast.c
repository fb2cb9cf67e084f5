/* The fast convolution kernels against the reference kernels on many odd geometries (sizes 1 to 17, kernels
 * 1 to 5, strides, asymmetric padding, dilation, groups, depthwise and 1x1 fast paths) and a few larger ones
 * (33, 65, 130, batches spanning several weight-gradient chunks), 3x3 stride-1 cases that take the Winograd
 * path (odd and tiny maps, every padding), forward, both gradients and the bias kernels,
 * and bit-identical results for 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/conv.h"
#include "../../src/kernels/fast/winograd.h"
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

/* g with its output size from bottom and right padding pb, pr. */
static fv_conv_geom sized(fv_conv_geom g, int64_t pb, int64_t pr)
{
    g.OH = (g.H + g.pt + pb - g.dh * (g.KH - 1) - 1) / g.sh + 1;
    g.OW = (g.W + g.pl + pr - g.dw * (g.KW - 1) - 1) / g.sw + 1;
    return g;
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
    if (k % 7 == 3) g.groups = g.C = PICK(1, 6), g.OC = g.C * PICK(1, 2);               /* depthwise */
    int64_t pb = PICK(0, 2), pr = PICK(0, 2);
    if (k % 5 == 0) pb = pr = 0;
#undef PICK
    return sized(g, pb, pr);
}

typedef struct {
    double worst[7]; /* forward, input gradient, weight gradient, bias fill, bias gradient, fused forward, input
                      * gradient assigned (over noise, against the reference's onto zeros) */
    int cases, deterministic;
    int cached, cache_differs; /* fused forwards run twice with a weight cache; those whose output differed */
} tally;

static void worsen(double *w, double e)
{
    if (!(e <= *w)) *w = e;
}

/* Reference against fast on 1, 2 and 3 threads, all accumulating onto the same noise. */
static void compare(const fv_conv_geom *g, tally *t)
{
    int64_t nx = g->N * g->C * g->H * g->W, nw = g->OC * (g->C / g->groups) * g->KH * g->KW;
    int64_t ny = g->N * g->OC * g->OH * g->OW;
    float *x = random_buf(nx, 1), *w = random_buf(nw, 2), *dy = random_buf(ny, 3), *bias = random_buf(g->OC, 7);
    float *y[4], *dx[4], *dw[4], *by[4], *db[4], *fy[4], *sx[4]; /* [0] reference, [1..3] fast, 1..3 threads */
    /* the fused forward: bias (or none) and a clamp (relu, relu6-like, or none), by the case's counter */
    float hi = t->cases % 3 == 0 ? 0.0f : t->cases % 3 == 1 ? INFINITY : 0.25f;
    const float *fbias = t->cases % 4 == 3 ? NULL : bias;
    for (int th = 0; th < 4; th++) {
        y[th] = random_buf(ny, 4), dx[th] = random_buf(nx, 5), dw[th] = random_buf(nw, 6);
        by[th] = random_buf(ny, 8), db[th] = random_buf(g->OC, 9), fy[th] = random_buf(ny, 10);
        sx[th] = th ? random_buf(nx, 12) : calloc((size_t)nx, sizeof(float));
        bool ok = true;
        if (th == 0) {
            fv_ref_conv2d_backward_input(sx[th], dy, w, g);
            fv_ref_conv2d_forward_add(y[th], x, w, g);
            fv_ref_conv2d_backward_input(dx[th], dy, w, g);
            fv_ref_conv2d_backward_weight(dw[th], dy, x, g);
            fv_ref_conv2d_fill_bias(by[th], bias, g->N, g->OC, g->OH * g->OW);
            fv_ref_conv2d_backward_bias(db[th], dy, g->N, g->OC, g->OH * g->OW);
            fv_ref_conv2d_fill_bias(fy[th], fbias, g->N, g->OC, g->OH * g->OW);
            fv_ref_conv2d_forward_add(fy[th], x, w, g);
            for (int64_t i = 0; hi > 0.0f && i < ny; i++) fy[th][i] = fy[th][i] > 0.0f ? fminf(fy[th][i], hi) : 0.0f;
        } else {
            ok &= fv_fast_conv2d_forward(th, fy[th], x, w, fbias, hi, g, NULL);
            /* with a weight cache: made by the first call, used by the second; both as without one */
            fv_conv_cache *cache = NULL;
            float *cy = random_buf(ny, 11);
            for (int pass = 0; pass < 2; pass++) {
                ok &= fv_fast_conv2d_forward(th, cy, x, w, fbias, hi, g, &cache);
                t->cache_differs += memcmp(cy, fy[th], (size_t)ny * 4) != 0;
            }
            t->cached += cache != NULL;
            fv_conv_cache_free(cache);
            free(cy);
            ok &= fv_fast_conv2d_forward_add(th, y[th], x, w, g);
            ok &= fv_fast_conv2d_backward_input(th, dx[th], dy, w, false, g);
            ok &= fv_fast_conv2d_backward_input(th, sx[th], dy, w, true, g);
            ok &= fv_fast_conv2d_backward_weight(th, dw[th], dy, x, g);
            fv_fast_conv2d_fill_bias(th, by[th], bias, g->N, g->OC, g->OH * g->OW);
            fv_fast_conv2d_backward_bias(th, db[th], dy, g->N, g->OC, g->OH * g->OW);
        }
        if (!ok) t->deterministic = 0; /* a fast kernel that declined would leave its output untouched */
    }
    worsen(&t->worst[0], rel(y[1], y[0], ny));
    worsen(&t->worst[1], rel(dx[1], dx[0], nx));
    worsen(&t->worst[2], rel(dw[1], dw[0], nw));
    worsen(&t->worst[3], rel(by[1], by[0], ny));
    worsen(&t->worst[4], rel(db[1], db[0], g->OC));
    worsen(&t->worst[6], rel(sx[1], sx[0], nx));
    /* clamped outputs are small next to the sums they come from: their error is measured on the sums' scale
     * (y[0] holds the unclamped sums, on noise in [-1, 1]) */
    double scale = 1.0;
    for (int64_t i = 0; i < ny; i++) scale = fabs(y[0][i]) > scale ? fabs(y[0][i]) : scale;
    worsen(&t->worst[5], rel_error_floor(fy[1], fy[0], ny, scale));
    for (int th = 2; th < 4; th++)
        t->deterministic &= memcmp(y[1], y[th], (size_t)ny * 4) == 0 && memcmp(dx[1], dx[th], (size_t)nx * 4) == 0 &&
                            memcmp(dw[1], dw[th], (size_t)nw * 4) == 0 && memcmp(db[1], db[th], (size_t)g->OC * 4) == 0 &&
                            memcmp(fy[1], fy[th], (size_t)ny * 4) == 0 && memcmp(sx[1], sx[th], (size_t)nx * 4) == 0;
    for (int th = 0; th < 4; th++) free(y[th]), free(dx[th]), free(dw[th]), free(by[th]), free(db[th]), free(fy[th]), free(sx[th]);
    free(x), free(w), free(dy), free(bias);
    t->cases++;
}

int main(void)
{
    tally t = {{0, 0, 0, 0, 0, 0, 0}, 0, 1, 0, 0};
    for (uint64_t k = 0; t.cases < 300; k++) {
        fv_conv_geom g = geometry(k);
        if (g.OH >= 1 && g.OW >= 1) compare(&g, &t);
    }
    /* N, C, H, W, OC, OH, OW (set by sized), KH, KW, sh, sw, pt, pl, dh, dw, groups; then bottom, right padding */
    static const int64_t big[][18] = {
        {3, 17, 33, 33, 33, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* 3x3 "same" */
        {2, 7, 17, 7, 65, 0, 0, 5, 3, 2, 1, 2, 0, 2, 1, 1, 1, 2},     /* strided, dilated, asymmetric */
        {2, 33, 65, 65, 33, 0, 0, 3, 3, 2, 2, 1, 1, 1, 1, 33, 0, 0},  /* depthwise, stride 2 */
        {3, 8, 17, 9, 24, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 8, 1, 1},     /* depthwise, multiplier 3 */
        {9, 33, 17, 17, 17, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0},   /* 1x1 over two weight-gradient chunks */
        {41, 6, 7, 5, 9, 0, 0, 3, 2, 1, 1, 1, 0, 1, 1, 3, 1, 1},      /* six chunks: several waves */
        {5, 1, 28, 28, 32, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* one input channel (FMNIST's first conv) */
        {7, 8, 130, 130, 4, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* big images: threads inside, chunks of 3 */
        {70, 6, 4, 4, 12, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1, 1},     /* small maps: 64 images a product, then 6 */
        {67, 12, 3, 5, 20, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 4, 0, 0},    /* 1x1 on small maps, several images a product */
    };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        const int64_t *b = big[i];
        fv_conv_geom g = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                          b[14], b[15]};
        g = sized(g, b[16], b[17]);
        compare(&g, &t);
    }
    /* 3x3 stride 1 with 16 or more channels each side: the Winograd path, on odd and tiny maps, every padding */
    static const int64_t hw[][2] = {{1, 1}, {2, 3}, {3, 5}, {5, 2}, {7, 7}, {8, 9}, {15, 4}};
    static const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 1, 0, 2}, {0, 2, 1, 0}};
    int winograd_cases = 0, winograd_taken = 0;
    for (size_t i = 0; i < sizeof hw / sizeof hw[0]; i++)
        for (size_t k = 0; k < sizeof pads / sizeof pads[0]; k++) {
            fv_conv_geom g = {.N = 33 + (int64_t)(i + k) % 3, .C = 16 + (int64_t)k, .H = hw[i][0], .W = hw[i][1],
                              .OC = 17 + (int64_t)i, .KH = 3, .KW = 3, .sh = 1, .sw = 1, .pt = pads[k][0],
                              .pl = pads[k][1], .dh = 1, .dw = 1, .groups = 1};
            g = sized(g, pads[k][2], pads[k][3]);
            if (g.OH < 1 || g.OW < 1) continue;
            /* with padding 0 or 1 on maps of 2x2 or more, every tap is live: these must take the path */
            if (k < 2 && g.OH >= 2 && g.OW >= 2) {
                winograd_cases++;
                winograd_taken += fv_winograd_applies(&g) && fv_winograd_backward_input_applies(&g);
            }
            compare(&g, &t);
        }
    fv_conv_geom many = {.N = 45, .C = 16, .H = 4, .W = 4, .OC = 16, .KH = 3, .KW = 3, .sh = 1, .sw = 1, .pt = 1,
                         .pl = 1, .dh = 1, .dw = 1, .groups = 1}; /* small maps: images grouped, a partial group */
    many = sized(many, 1, 1);
    compare(&many, &t);
    /* many small groups: each goes whole to one thread, the weight gradient summed in slices of groups (maps
     * under 8 wide, which the direct path leaves to Winograd) */
    static const int64_t alone[][4] = {{70, 12, 7, 16}, {50, 15, 6, 20}, {7, 64, 5, 16}};
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++) {
        fv_conv_geom a = {.N = alone[i][0], .C = alone[i][3], .H = alone[i][1], .W = alone[i][2], .OC = 16 + (int64_t)i,
                          .KH = 3, .KW = 3, .sh = 1, .sw = 1, .pt = 1, .pl = 1, .dh = 1, .dw = 1, .groups = 1};
        a = sized(a, 1, 1);
        compare(&a, &t);
    }
    fv_conv_geom banded = {.N = 1, .C = 128, .H = 59, .W = 60, .OC = 128, .KH = 3, .KW = 3, .sh = 1, .sw = 1,
                           .pt = 1, .pl = 0, .dh = 1, .dw = 1, .groups = 1}; /* a big map: bands of tile rows */
    banded = sized(banded, 1, 2);
    compare(&banded, &t);
    CHECK(winograd_taken == winograd_cases && winograd_cases >= 8,
          "Winograd path taken forward and backward by %d of %d 3x3 cases on maps of 2x2 or more", winograd_taken,
          winograd_cases);
    CHECK(t.worst[0] < 1e-5, "forward: %d geometries, worst relative error %.2e against the reference", t.cases,
          t.worst[0]);
    CHECK(t.worst[1] < 1e-5, "input gradient: worst %.2e", t.worst[1]);
    CHECK(t.worst[6] < 1e-5, "input gradient assigned over noise: worst %.2e", t.worst[6]);
    CHECK(t.worst[2] < 1e-5, "weight gradient: worst %.2e", t.worst[2]);
    CHECK(t.worst[3] == 0, "bias fill: equal to the reference");
    CHECK(t.worst[4] < 1e-6, "bias gradient: worst %.2e", t.worst[4]);
    CHECK(t.worst[5] < 1e-5, "fused forward (bias, relu or clamp): worst relative error %.2e", t.worst[5]);
    CHECK(t.deterministic, "1, 2 and 3 threads give bit-identical outputs and gradients");
    CHECK(t.cache_differs == 0 && t.cached > 250, /* hundreds of forwards (the direct path, uncached, takes the rest) */
          "weight cache (im2col and Winograd): %d cached forwards, %d differ from the uncached ones", 2 * t.cached,
          t.cache_differs);
    return test_finish();
}
