/* Checking a direct convolution path against the reference kernels (see conv_check.h). */
#include "conv_check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fovea/core.h"

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

/* Reference, then the path on 1, 2 and 3 threads onto the same noise. */
void conv_check(const conv_path *path, const fv_conv_geom *g, conv_tally *t)
{
    int64_t nx = g->N * g->C * g->H * g->W, nw = g->OC * g->C * g->KH * g->KW, ny = g->N * g->OC * g->OH * g->OW;
    float *x = random_buf(nx, 1), *w = random_buf(nw, 2), *dy = random_buf(ny, 3), *bias = random_buf(g->OC, 4);
    float hi = t->cases % 3 == 0 ? 0.0f : t->cases % 3 == 1 ? INFINITY : 0.25f;
    const float *fbias = t->cases % 2 ? NULL : bias;
    float *fy[4], *ay[4], *dx[4], *dw[4], *sx[4];
    t->taken += path->applies(g);
    for (int th = 0; th < 4; th++) {
        fy[th] = random_buf(ny, 5), ay[th] = random_buf(ny, 6), dx[th] = random_buf(nx, 7), dw[th] = random_buf(nw, 8);
        sx[th] = th ? random_buf(nx, 9) : calloc((size_t)nx, sizeof(float));
        if (th == 0) {
            fv_ref_conv2d_backward_input(sx[0], dy, w, g);
            fv_ref_conv2d_fill_bias(fy[0], fbias, g->N, g->OC, g->OH * g->OW);
            fv_ref_conv2d_forward_add(fy[0], x, w, g);
            for (int64_t i = 0; hi > 0.0f && i < ny; i++) fy[0][i] = fy[0][i] > 0.0f ? fminf(fy[0][i], hi) : 0.0f;
            fv_ref_conv2d_forward_add(ay[0], x, w, g);
            fv_ref_conv2d_backward_input(dx[0], dy, w, g);
            fv_ref_conv2d_backward_weight(dw[0], dy, x, g);
            continue;
        }
        bool ok = path->forward(th, fy[th], x, w, fbias, hi, false, g);
        ok &= path->forward(th, ay[th], x, w, NULL, 0.0f, true, g);
        ok &= path->backward_input(th, dx[th], dy, w, true, g);
        ok &= path->backward_input(th, sx[th], dy, w, false, g);
        ok &= path->backward_weight(th, dw[th], dy, x, g);
        if (!ok) t->deterministic = 0;
    }
    double e[5] = {rel_to(fy[1], fy[0], ay[0], ny), rel(ay[1], ay[0], ny), rel(dx[1], dx[0], nx), rel(dw[1], dw[0], nw),
                   rel(sx[1], sx[0], nx)};
    for (int k = 0; k < 5; k++)
        if (!(e[k] <= t->worst[k])) t->worst[k] = e[k];
    for (int th = 2; th < 4; th++)
        if (memcmp(fy[th], fy[1], (size_t)ny * 4) || memcmp(ay[th], ay[1], (size_t)ny * 4) ||
            memcmp(dx[th], dx[1], (size_t)nx * 4) || memcmp(dw[th], dw[1], (size_t)nw * 4) ||
            memcmp(sx[th], sx[1], (size_t)nx * 4))
            t->deterministic = 0;
    for (int th = 0; th < 4; th++) free(fy[th]), free(ay[th]), free(dx[th]), free(dw[th]), free(sx[th]);
    free(x), free(w), free(dy), free(bias);
    t->cases++;
}

