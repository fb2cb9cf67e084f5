/* The threaded memory-bound kernels against the reference kernels: activations and max pooling bit for bit
 * (values laced with NaN, infinities, signed zeros and ties; padded, strided and ceil-mode windows), batch
 * normalization within rounding; and all of them bit-identical on 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/threaded.h"
#include "../../src/kernels/ref/activation.h"
#include "../../src/kernels/ref/batch_norm.h"
#include "../../src/kernels/ref/pool.h"
#include "fovea/core.h"
#include "fovea/ops.h"
#include "test.h"

/* Uniform in [-4, 4] rounded to a grid of 1/4 (many ties, zeros of both signs), with about 1 in 50 special
 * values. */
static float *awkward(int64_t n, uint64_t stream, bool specials)
{
    static const float odd[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 6.0f, 1e-42f, -1e-42f};
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        double u = fv_rng_uniform(21, stream, (uint64_t)i);
        x[i] = (float)(floor(u * 32.0) / 4.0 - 4.0);
        if (x[i] == 0.0f && (i & 1)) x[i] = -0.0f; /* both zeros, often side by side */
        if (specials && fv_rng_uniform(22, stream, (uint64_t)i) < 0.02)
            x[i] = odd[(int)(fv_rng_uniform(23, stream, (uint64_t)i) * 9) % 9];
    }
    return x;
}

static bool same_bits(const void *a, const void *b, int64_t n) { return memcmp(a, b, (size_t)n * 4) == 0; }

static void activations(void)
{
    static const int kinds[] = {FV_ACT_RELU, FV_ACT_LEAKY_RELU, FV_ACT_RELU6, FV_ACT_ELU, FV_ACT_SIGMOID,
                                FV_ACT_TANH, FV_ACT_SILU, FV_ACT_HARD_SIGMOID, FV_ACT_HARD_SWISH};
    int64_t n = 70001; /* several pieces and a ragged end */
    float *x = awkward(n, 1, true), *dy = awkward(n, 2, true);
    int bad = 0, bad_assign = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        float *y[4], *dx[4];
        /* assigning into garbage must equal the reference's accumulation into zeros */
        float *zero_ref = calloc((size_t)n, 4);
        fv_ref_activation_backward(zero_ref, dy, x, n, kinds[k], 0.1f);
        for (int t = 1; t < 4; t++) {
            float *da = awkward(n, 4, false);
            fv_fast_activation_backward(t, da, dy, x, n, kinds[k], 0.1f, true);
            for (int64_t i = 0; i < n; i++) bad_assign += !(da[i] == zero_ref[i] || (da[i] != da[i] && zero_ref[i] != zero_ref[i]));
            free(da);
        }
        free(zero_ref);
        for (int t = 0; t < 4; t++) {
            y[t] = malloc((size_t)n * 4), dx[t] = awkward(n, 3, false);
            if (t == 0) {
                fv_ref_activation_forward(y[t], x, n, kinds[k], 0.1f);
                fv_ref_activation_backward(dx[t], dy, x, n, kinds[k], 0.1f);
            } else {
                fv_fast_activation_forward(t, y[t], x, n, kinds[k], 0.1f);
                fv_fast_activation_backward(t, dx[t], dy, x, n, kinds[k], 0.1f, false);
            }
        }
        for (int t = 1; t < 4; t++)
            if (!same_bits(y[t], y[0], n) || !same_bits(dx[t], dx[0], n)) bad++;
        for (int t = 0; t < 4; t++) free(y[t]), free(dx[t]);
    }
    CHECK(bad == 0, "activations: 9 kinds on 1-3 threads equal the reference bit for bit (%d differ)", bad);
    CHECK(bad_assign == 0, "activation gradients written whole over garbage equal the reference's into zeros (%d differ)",
          bad_assign);
    free(x), free(dy);
}

/* ref: the reference's scatter into dx; assign: the fast kernel writing a dx full of garbage whole, which
 * must equal the reference's scatter into zeros. */
/* A pooling's geometry from N, C, H, W; kh, kw, sh, sw; pt, pl, pb, pr, with the output size it gives. */
static fv_ref_pool2d_geom pool_geometry(const int *q)
{
    fv_ref_pool2d_geom g = {q[0], q[1], q[2], q[3], 0, 0, q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11]};
    g.OH = (g.H + g.pt + g.pb - g.kh) / g.sh + 1;
    g.OW = (g.W + g.pl + g.pr - g.kw) / g.sw + 1;
    return g;
}

static void max_pool(void)
{
    /* N, C, H, W; kh, kw, sh, sw; pt, pl, pb, pr (pb, pr may include ceil mode's overhang). Windows that tile
     * the plane (kernel == stride, no padding) take the dense backward, with leftover rows and columns. */
    static const int geo[][12] = {
        {3, 5, 28, 28, 2, 2, 2, 2, 0, 0, 0, 0}, {2, 3, 17, 13, 3, 3, 2, 2, 1, 1, 1, 1},
        {2, 4, 7, 9, 3, 2, 1, 3, 1, 0, 1, 2},   {1, 9, 33, 5, 5, 1, 3, 1, 2, 0, 3, 0},
        {4, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},   {1, 17, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1},
        {3, 7, 7, 7, 2, 2, 2, 2, 0, 0, 0, 0},   {1, 3, 33, 34, 2, 2, 2, 2, 0, 0, 0, 0},
        {2, 5, 17, 17, 3, 3, 3, 3, 0, 0, 0, 0}, {1, 1, 3, 19, 1, 2, 1, 2, 0, 0, 0, 0},
        {2, 3, 9, 31, 3, 2, 3, 2, 0, 0, 0, 0},  {1, 33, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0},
        {2, 3, 9, 40, 2, 2, 2, 2, 1, 0, 1, 1},  {1, 4, 6, 17, 2, 2, 2, 2, 0, 0, 0, 1},
        /* a network's stem, 3x3 at stride 2 over rows long enough for eight windows at a time */
        {2, 3, 21, 45, 3, 3, 2, 2, 1, 1, 1, 1}, {1, 2, 12, 112, 3, 3, 2, 2, 1, 1, 1, 1},
        {1, 2, 9, 38, 3, 3, 2, 2, 0, 0, 1, 1},
    };
    int ngeo = (int)(sizeof geo / sizeof geo[0]), bad = 0, bad_assign = 0, bad_values = 0;
    for (int k = 0; k < ngeo; k++) {
        const int *q = geo[k];
        fv_ref_pool2d_geom g = pool_geometry(q);
        int64_t nx = g.N * g.C * g.H * g.W, ny = g.N * g.C * g.OH * g.OW;
        float *x = awkward(nx, 10 + k, k % 2 == 1), *dy = awkward(ny, 20 + k, true), *y[4], *dx[4], *fresh[4];
        int32_t *am[4];
        for (int t = 0; t < 4; t++) {
            y[t] = malloc((size_t)ny * 4), am[t] = malloc((size_t)ny * 4), dx[t] = awkward(nx, 30, false);
            fresh[t] = t == 0 ? calloc((size_t)nx, 4) : awkward(nx, 31, true);
            if (t == 0) {
                fv_ref_max_pool2d_forward(y[t], am[t], x, &g);
                fv_ref_max_pool2d_backward(dx[t], dy, am[t], &g);
                fv_ref_max_pool2d_backward(fresh[t], dy, am[t], &g);
            } else {
                fv_fast_max_pool2d_forward(t, y[t], am[t], x, &g);
                fv_fast_max_pool2d_backward(t, dx[t], dy, am[t], &g, false);
                fv_fast_max_pool2d_backward(t, fresh[t], dy, am[t], &g, true);
            }
        }
        float *values = malloc((size_t)ny * 4);
        for (int t = 1; t < 4; t++) {
            fv_fast_max_pool2d_forward(t, values, NULL, x, &g); /* inference: the maxima without the argmax */
            bad_values += !same_bits(values, y[0], ny);
            if (!same_bits(y[t], y[0], ny) || !same_bits(am[t], am[0], ny) || !same_bits(dx[t], dx[0], nx)) bad++;
            for (int64_t i = 0; i < nx; i++) /* == : 0 + dy and dy may differ in the sign of a zero */
                if (!(fresh[t][i] == fresh[0][i] || (isnan(fresh[t][i]) && isnan(fresh[0][i])))) {
                    bad_assign++;
                    break;
                }
        }
        for (int t = 0; t < 4; t++) free(y[t]), free(am[t]), free(dx[t]), free(fresh[t]);
        free(x), free(dy), free(values);
    }
    CHECK(bad_values == 0, "max pooling without the argmax (inference): the reference's bits, NaN and the sign of "
                           "tied zeros included (%d of %d differ)", bad_values, 3 * ngeo);
    /* windows whose maximum is a zero of either sign, often both: which zero comes out is the reference's order */
    int zeros_bad = 0;
    for (int k = 13; k < ngeo; k++) {
        const int *q = geo[k];
        fv_ref_pool2d_geom g = pool_geometry(q);
        int64_t nx = g.N * g.C * g.H * g.W, ny = g.N * g.C * g.OH * g.OW;
        float *x = malloc((size_t)nx * 4), *want = malloc((size_t)ny * 4), *got = malloc((size_t)ny * 4);
        int32_t *am = malloc((size_t)ny * 4);
        for (int64_t i = 0; i < nx; i++) {
            double u = fv_rng_uniform(24, (uint64_t)k, (uint64_t)i);
            x[i] = u < 0.4 ? 0.0f : u < 0.8 ? -0.0f : -1.0f;
        }
        fv_ref_max_pool2d_forward(want, am, x, &g);
        fv_fast_max_pool2d_forward(2, got, NULL, x, &g);
        zeros_bad += !same_bits(got, want, ny);
        free(x), free(want), free(got), free(am);
    }
    CHECK(zeros_bad == 0, "max pooling without the argmax: tied zeros keep the reference's sign (%d of %d differ)",
          zeros_bad, ngeo - 13);
    CHECK(bad == 0, "max pooling: %d geometries (NaN, signed zeros, ties) on 1-3 threads equal the reference "
                    "(%d differ)", ngeo, bad);
    CHECK(bad_assign == 0, "max pooling: the backward writing a fresh gradient whole equals the reference's scatter "
                           "into zeros (%d differ)", bad_assign);
}

/* Average pooling shared out over planes: the reference's bits, forward and backward, on 2 and 3 threads. */
static void avg_pool(void)
{
    static const int geo[][12] = {
        {2, 5, 28, 28, 2, 2, 2, 2, 0, 0, 0, 0}, {2, 3, 17, 13, 3, 3, 2, 2, 1, 1, 1, 1},
        {3, 7, 9, 9, 3, 2, 1, 3, 1, 0, 1, 2}, {1, 33, 6, 6, 2, 2, 2, 2, 0, 0, 1, 1},
    };
    int bad = 0, cases = 0;
    for (int k = 0; k < 4; k++) {
        const int *q = geo[k];
        fv_ref_pool2d_geom g = pool_geometry(q);
        int64_t nx = g.N * g.C * g.H * g.W, ny = g.N * g.C * g.OH * g.OW;
        float *x = awkward(nx, 40 + k, false), *dy = awkward(ny, 50 + k, false);
        for (int pad = 0; pad < 2; pad++) {
            float *y0 = malloc((size_t)ny * 4), *dx0 = awkward(nx, 60, false);
            fv_ref_avg_pool2d_forward(y0, x, &g, pad);
            fv_ref_avg_pool2d_backward(dx0, dy, &g, pad);
            for (int t = 2; t <= 3; t++, cases++) {
                float *y = malloc((size_t)ny * 4), *dx = awkward(nx, 60, false);
                fv_fast_avg_pool2d(t, y, x, &g, pad, false);
                fv_fast_avg_pool2d(t, dx, dy, &g, pad, true);
                bad += !same_bits(y, y0, ny) || !same_bits(dx, dx0, nx);
                free(y), free(dx);
            }
            free(y0), free(dx0);
        }
        free(x), free(dy);
    }
    CHECK(bad == 0, "average pooling on 2 and 3 threads: the reference's bits forward and backward (%d of %d differ)",
          bad, cases);
}

static double rel64(const double *a, const double *b, int64_t n)
{
    double d = 0, m = 1e-300;
    for (int64_t i = 0; i < n; i++) {
        if (fabs(a[i] - b[i]) > d) d = fabs(a[i] - b[i]);
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return d / m;
}

static void batch_norm(void)
{
    static const int64_t shapes[][3] = {{64, 32, 196}, {3, 7, 17}, {33, 5, 1}, {2, 65, 9}};
    double worst = 0;
    int deterministic = 1;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int64_t N = shapes[k][0], C = shapes[k][1], HW = shapes[k][2], n = N * C * HW;
        float *x = awkward(n, 40 + k, false), *dy = awkward(n, 50 + k, false), *gamma = awkward(C, 60, false);
        for (int64_t i = 0; i < n; i++) x[i] += 100.0f; /* a mean large against the spread */
        double mean[4][65], var[4][65];
        float m[65], is[65], *y[4], *dx[4], *fresh[4], dg[4][65], db[4][65];
        for (int t = 0; t < 4; t++) {
            y[t] = malloc((size_t)n * 4), dx[t] = awkward(n, 70, false);
            fresh[t] = t == 0 ? calloc((size_t)n, 4) : awkward(n, 71, true);
            for (int64_t c = 0; c < C; c++) dg[t][c] = db[t][c] = 0.5f;
            if (t == 0) fv_ref_batch_norm_stats(mean[t], var[t], x, N, C, HW);
            else fv_fast_batch_norm_stats(t, mean[t], var[t], x, N, C, HW);
            for (int64_t c = 0; t == 0 && c < C; c++)
                m[c] = (float)mean[0][c], is[c] = (float)(1.0 / sqrt(var[0][c] + 1e-5));
            if (t == 0) {
                fv_ref_batch_norm_apply(y[t], x, m, is, gamma, NULL, N, C, HW);
                fv_ref_batch_norm_backward(dx[t], dg[t], db[t], dy, x, m, is, gamma, 1, N, C, HW);
                fv_ref_batch_norm_backward(fresh[t], NULL, NULL, dy, x, m, is, gamma, 1, N, C, HW);
            } else {
                fv_fast_batch_norm_apply(t, y[t], x, m, is, gamma, NULL, N, C, HW, 0.0f);
                fv_fast_batch_norm_backward(t, dx[t], dg[t], db[t], dy, x, m, is, gamma, 1, false, N, C, HW);
                fv_fast_batch_norm_backward(t, fresh[t], NULL, NULL, dy, x, m, is, gamma, 1, true, N, C, HW);
            }
        }
        double e[] = {rel64(mean[1], mean[0], C), rel64(var[1], var[0], C), rel_error(y[1], y[0], n),
                      rel_error(dx[1], dx[0], n), rel_error(dg[1], dg[0], C), rel_error(db[1], db[0], C),
                      rel_error(fresh[1], fresh[0], n)};
        for (int i = 0; i < 7; i++)
            if (!(e[i] <= worst)) worst = e[i];
        for (int t = 2; t < 4; t++)
            deterministic &= memcmp(mean[1], mean[t], (size_t)C * 8) == 0 &&
                             memcmp(var[1], var[t], (size_t)C * 8) == 0 && same_bits(y[1], y[t], n) &&
                             same_bits(dx[1], dx[t], n) && same_bits(dg[1], dg[t], C) && same_bits(db[1], db[t], C) &&
                             same_bits(fresh[1], fresh[t], n);
        for (int t = 0; t < 4; t++) free(y[t]), free(dx[t]), free(fresh[t]);
        free(x), free(dy), free(gamma);
    }
    CHECK(worst < 1e-6, "batch norm: statistics, output and gradients (added to or written whole) within %.2e of "
                        "the reference", worst);
    CHECK(deterministic, "batch norm: 1, 2 and 3 threads bit-identical");
}

/* The train-mode forward in one pass per channel equals the statistics, the float mean and invstd and the
 * apply done separately, bit for bit, on 1-3 threads (and with and without gamma and beta). */
static void batch_norm_train(void)
{
    static const int64_t shapes[][3] = {{64, 32, 196}, {3, 7, 17}, {33, 5, 1}, {2, 65, 9}, {1, 3, 7}, {17, 1, 33}};
    int bad = 0;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int64_t N = shapes[k][0], C = shapes[k][1], HW = shapes[k][2], n = N * C * HW;
        float *x = awkward(n, 80 + k, false), *gamma = awkward(C, 81, false), *beta = awkward(C, 82, false);
        double mean[65], var[65], mean2[65], var2[65];
        float m[65], is[65], m2[65], is2[65], *y = malloc((size_t)n * 4), *y2 = malloc((size_t)n * 4);
        fv_fast_batch_norm_stats(1, mean, var, x, N, C, HW);
        for (int64_t c = 0; c < C; c++) m[c] = (float)mean[c], is[c] = (float)(1.0 / sqrt(var[c] + 1e-5f));
        for (int affine = 0; affine < 2; affine++) {
            const float *gm = affine ? gamma : NULL, *bt = affine ? beta : NULL;
            fv_fast_batch_norm_apply(1, y, x, m, is, gm, bt, N, C, HW, 0.0f);
            for (int t = 1; t < 4; t++) {
                fv_fast_batch_norm_train(t, y2, m2, is2, mean2, var2, x, gm, bt, 1e-5f, N, C, HW, 0.0f);
                bad += memcmp(mean, mean2, (size_t)C * 8) != 0 || memcmp(var, var2, (size_t)C * 8) != 0 ||
                       !same_bits(m, m2, C) || !same_bits(is, is2, C) || !same_bits(y, y2, n);
            }
        }
        free(x), free(gamma), free(beta), free(y), free(y2);
    }
    CHECK(bad == 0, "batch norm: the one-pass train forward equals stats + apply bit for bit (%d differ)", bad);
}

int main(void)
{
    activations();
    max_pool();
    avg_pool();
    batch_norm();
    batch_norm_train();
    return test_finish();
}
