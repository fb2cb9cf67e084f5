/* Threaded versions of the memory-bound kernels (activations, pooling, batch normalization). Each splits work
 * into pieces that do not share outputs (element ranges, planes, channels) and runs the reference code, or for
 * ReLU a float loop the compiler vectorizes, on each piece: the same arithmetic as the reference kernels, so
 * results are the reference's, bit for bit, on any number of threads. */
#include "threaded.h"

#include "../ref/activation.h"
#include "../ref/batch_norm.h"
#include "fovea/ops.h"

#define CHUNK 16384 /* elements per piece of an elementwise kernel */

static int64_t pieces(int64_t n) { return (n + CHUNK - 1) / CHUNK; }

void fv_fast_activation_forward(int threads, float *out, const float *inp, int64_t n, int kind, float alpha)
{
    int t = n >= 2 * CHUNK ? threads : 1;
#pragma omp parallel for num_threads(t) schedule(static) if (t > 1)
    for (int64_t p = 0; p < pieces(n); p++) {
        int64_t i0 = p * CHUNK, m = n - i0 < CHUNK ? n - i0 : CHUNK;
        if (kind == FV_ACT_RELU)
            for (int64_t i = i0; i < i0 + m; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        else
            fv_ref_activation_forward(out + i0, inp + i0, m, kind, alpha);
    }
}

void fv_fast_activation_backward(int threads, float *dinp, const float *dout, const float *inp, int64_t n, int kind,
                                 float alpha)
{
    int t = n >= 2 * CHUNK ? threads : 1;
#pragma omp parallel for num_threads(t) schedule(static) if (t > 1)
    for (int64_t p = 0; p < pieces(n); p++) {
        int64_t i0 = p * CHUNK, m = n - i0 < CHUNK ? n - i0 : CHUNK;
        if (kind == FV_ACT_RELU)
            for (int64_t i = i0; i < i0 + m; i++) dinp[i] += dout[i] * (inp[i] > 0.0f ? 1.0f : 0.0f);
        else
            fv_ref_activation_backward(dinp + i0, dout + i0, inp + i0, m, kind, alpha);
    }
}

/* The planes [p0, p0 + count) of a pooling as a pooling of its own (N = 1, C = count). */
static fv_ref_pool2d_geom planes(const fv_ref_pool2d_geom *g, int64_t count)
{
    fv_ref_pool2d_geom s = *g;
    s.N = 1;
    s.C = count;
    return s;
}

#define PLANES_PER_PIECE 8

void fv_fast_max_pool2d_forward(int threads, float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *g)
{
    int64_t P = g->N * g->C, in_plane = g->H * g->W, out_plane = g->OH * g->OW;
    int64_t n_pieces = (P + PLANES_PER_PIECE - 1) / PLANES_PER_PIECE;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && n_pieces > 1)
    for (int64_t k = 0; k < n_pieces; k++) {
        int64_t p0 = k * PLANES_PER_PIECE, cnt = P - p0 < PLANES_PER_PIECE ? P - p0 : PLANES_PER_PIECE;
        fv_ref_pool2d_geom s = planes(g, cnt);
        fv_ref_max_pool2d_forward(out + p0 * out_plane, argmax + p0 * out_plane, inp + p0 * in_plane, &s);
    }
}

void fv_fast_max_pool2d_backward(int threads, float *dinp, const float *dout, const int32_t *argmax,
                                 const fv_ref_pool2d_geom *g)
{
    int64_t P = g->N * g->C, in_plane = g->H * g->W, out_plane = g->OH * g->OW;
    int64_t n_pieces = (P + PLANES_PER_PIECE - 1) / PLANES_PER_PIECE;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && n_pieces > 1)
    for (int64_t k = 0; k < n_pieces; k++) {
        int64_t p0 = k * PLANES_PER_PIECE, cnt = P - p0 < PLANES_PER_PIECE ? P - p0 : PLANES_PER_PIECE;
        fv_ref_pool2d_geom s = planes(g, cnt);
        fv_ref_max_pool2d_backward(dinp + p0 * in_plane, dout + p0 * out_plane, argmax + p0 * out_plane, &s);
    }
}

void fv_fast_batch_norm_stats(int threads, double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW)
{
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && N * C * HW >= 2 * CHUNK)
    for (int64_t c = 0; c < C; c++) fv_ref_batch_norm_stats_channel(mean, var, x, c, N, C, HW);
}

void fv_fast_batch_norm_apply(int threads, float *out, const float *x, const float *mean, const float *invstd,
                              const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW)
{
    /* images are independent: each is a batch of one for the reference kernel */
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && N * C * HW >= 2 * CHUNK)
    for (int64_t n = 0; n < N; n++)
        fv_ref_batch_norm_apply(out + n * C * HW, x + n * C * HW, mean, invstd, gamma, beta, 1, C, HW);
}

void fv_fast_batch_norm_backward(int threads, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                 const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                 int64_t N, int64_t C, int64_t HW)
{
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && N * C * HW >= 2 * CHUNK)
    for (int64_t c = 0; c < C; c++)
        fv_ref_batch_norm_backward_channel(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, batch_stats, c, N, C, HW);
}
