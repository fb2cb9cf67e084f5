/* Kernel selection: fast by default, the reference oracle on request or as the fallback (see dispatch.h). */
#include <stdlib.h>

#include "dispatch.h"
#include "../core/pool.h"
#include "clamp.h"

#include "fast/activation.h"
#include "fast/conv.h"
#include "fast/elementwise.h"
#include "fast/dense.h"
#include "fast/gemm.h"
#include "fast/global_pool.h"
#include "fast/threaded.h"
#include "fast/layout.h"
#include "fast/softmax.h"
#include "fast/unary.h"
#include "ref/softmax.h"
#include "ref/activation.h"
#include "ref/batch_norm.h"
#include "ref/dense.h"
#include "fovea/ops.h"

static bool fast(const fv_ctx *ctx) { return !fv_ctx_reference_kernels(ctx); }

void fv_conv2d_forward_add(fv_ctx *ctx, float *out, const float *inp, const float *weight, const fv_conv_geom *g)
{
    if (!fast(ctx) || !fv_fast_conv2d_forward_add(fv_ctx_threads(ctx), out, inp, weight, g))
        fv_ref_conv2d_forward_add(out, inp, weight, g);
}

void fv_conv2d_forward(fv_ctx *ctx, float *out, const float *inp, const float *weight, const float *bias,
                       float clamp_hi, const fv_conv_geom *g, fv_conv_cache **cache)
{
    if (fast(ctx) && fv_fast_conv2d_forward(fv_ctx_threads(ctx), out, inp, weight, bias, clamp_hi, g, cache)) return;
    fv_ref_conv2d_fill_bias(out, bias, g->N, g->OC, g->OH * g->OW);
    fv_ref_conv2d_forward_add(out, inp, weight, g);
    if (clamp_hi > 0.0f)
        for (int64_t i = 0; i < g->N * g->OC * g->OH * g->OW; i++)
            out[i] = fv_clamp0(out[i], clamp_hi);
}

bool fv_conv2d_forward_affine(fv_ctx *ctx, float *out, const float *inp, const fv_conv_affine *pre,
                              const float *weight, const float *bias, float clamp_hi, const fv_conv_geom *g,
                              fv_conv_cache **cache)
{
    if (fast(ctx) && fv_fast_conv2d_forward_affine(fv_ctx_threads(ctx), out, inp, pre, weight, bias, clamp_hi, g, cache))
        return true;
    float *mapped = malloc((size_t)(g->N * g->C * g->H * g->W) * sizeof(float));
    if (!mapped) return false;
    fv_ref_conv_affine_apply(mapped, inp, pre, g->N, g->C, g->H * g->W);
    fv_conv2d_forward(ctx, out, mapped, weight, bias, clamp_hi, g, cache);
    free(mapped);
    return true;
}

void fv_conv2d_backward_input(fv_ctx *ctx, float *dinp, const float *dout, const float *weight, bool assign,
                              const fv_conv_geom *g)
{
    if (fast(ctx) && fv_fast_conv2d_backward_input(fv_ctx_threads(ctx), dinp, dout, weight, assign, g)) return;
    if (assign)
        for (int64_t i = 0; i < g->N * g->C * g->H * g->W; i++) dinp[i] = 0.0f;
    fv_ref_conv2d_backward_input(dinp, dout, weight, g);
}

void fv_conv2d_backward_weight(fv_ctx *ctx, float *dweight, const float *dout, const float *inp, const fv_conv_geom *g)
{
    if (!fast(ctx) || !fv_fast_conv2d_backward_weight(fv_ctx_threads(ctx), dweight, dout, inp, g))
        fv_ref_conv2d_backward_weight(dweight, dout, inp, g);
}

void fv_conv2d_fill_bias(fv_ctx *ctx, float *out, const float *bias, int64_t N, int64_t C, int64_t HW)
{
    if (fast(ctx)) fv_fast_conv2d_fill_bias(fv_ctx_threads(ctx), out, bias, N, C, HW);
    else fv_ref_conv2d_fill_bias(out, bias, N, C, HW);
}

void fv_conv2d_backward_bias(fv_ctx *ctx, float *dbias, const float *dout, int64_t N, int64_t C, int64_t HW)
{
    if (fast(ctx)) fv_fast_conv2d_backward_bias(fv_ctx_threads(ctx), dbias, dout, N, C, HW);
    else fv_ref_conv2d_backward_bias(dbias, dout, N, C, HW);
}

void fv_dense_forward(fv_ctx *ctx, float *out, const float *inp, const float *weight, const float *bias, int64_t N,
                      int64_t C, int64_t OC)
{
    if (!fast(ctx)) {
        fv_ref_dense_forward(out, inp, weight, bias, N, C, OC);
        return;
    }
    if (N <= FV_DENSE_FEW_ROWS) {
        fv_fast_dense_few_rows(fv_ctx_threads(ctx), out, inp, weight, bias, N, C, OC);
        return;
    }
    fv_gemm(fv_ctx_threads(ctx), false, true, N, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
    if (bias)
        for (int64_t i = 0; i < N; i++)
            for (int64_t o = 0; o < OC; o++) out[i * OC + o] += bias[o];
}

void fv_dense_backward(fv_ctx *ctx, float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                       const float *weight, int64_t N, int64_t C, int64_t OC)
{
    if (!fast(ctx)) {
        fv_ref_dense_backward(dinp, dweight, dbias, dout, inp, weight, N, C, OC);
        return;
    }
    int t = fv_ctx_threads(ctx);
    if (dinp) fv_gemm(t, false, false, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight) fv_gemm(t, true, false, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias) fv_ref_dense_backward(NULL, NULL, dbias, dout, inp, weight, N, C, OC);
}

/* Threads for the memory-bound kernels: the reference mode runs them on one. */
static int mb_threads(const fv_ctx *ctx) { return fast(ctx) ? fv_ctx_threads(ctx) : 1; }

void fv_activation_forward(fv_ctx *ctx, float *out, const float *inp, int64_t n, int kind, float alpha)
{
    /* the exp-based and hard kinds: vectorized in fast/activation.c; threaded.c keeps relu, leaky relu, relu6 */
    if (fast(ctx) && fv_fast_smooth_activation_forward(fv_ctx_threads(ctx), out, inp, n, kind, alpha)) return;
    fv_fast_activation_forward(mb_threads(ctx), out, inp, n, kind, alpha);
}

void fv_activation_backward(fv_ctx *ctx, float *dinp, const float *dout, const float *inp, int64_t n, int kind,
                            float alpha, bool assign)
{
    if (assign && !fv_activation_piecewise_linear(kind)) { /* only those kernels can write instead of add */
        fv_fast_zero(mb_threads(ctx), dinp, n);
        assign = false;
    }
    if (!assign && fast(ctx) && fv_fast_smooth_activation_backward(fv_ctx_threads(ctx), dinp, dout, inp, n, kind, alpha))
        return;
    fv_fast_activation_backward(mb_threads(ctx), dinp, dout, inp, n, kind, alpha, assign);
}

bool fv_activation_piecewise_linear(int kind)
{
    return kind == FV_ACT_RELU || kind == FV_ACT_LEAKY_RELU || kind == FV_ACT_RELU6;
}

void fv_max_pool2d_forward(fv_ctx *ctx, float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *g)
{
    fv_fast_max_pool2d_forward(mb_threads(ctx), out, argmax, inp, g);
}

void fv_max_pool2d_backward(fv_ctx *ctx, float *dinp, const float *dout, const int32_t *argmax,
                            const fv_ref_pool2d_geom *g, bool assign)
{
    fv_fast_max_pool2d_backward(mb_threads(ctx), dinp, dout, argmax, g, assign);
}

void fv_avg_pool2d_forward(fv_ctx *ctx, float *out, const float *inp, const fv_ref_pool2d_geom *g,
                           bool count_include_pad)
{
    fv_fast_avg_pool2d(mb_threads(ctx), out, inp, g, count_include_pad, false);
}

void fv_avg_pool2d_backward(fv_ctx *ctx, float *dinp, const float *dout, const fv_ref_pool2d_geom *g,
                            bool count_include_pad)
{
    fv_fast_avg_pool2d(mb_threads(ctx), dinp, dout, g, count_include_pad, true);
}

void fv_batch_norm_stats(fv_ctx *ctx, double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW)
{
    fv_fast_batch_norm_stats(mb_threads(ctx), mean, var, x, N, C, HW);
}

void fv_batch_norm_apply(fv_ctx *ctx, float *out, const float *x, const float *mean, const float *invstd,
                         const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW, float clamp_hi)
{
    fv_fast_batch_norm_apply(mb_threads(ctx), out, x, mean, invstd, gamma, beta, N, C, HW, clamp_hi);
}

void fv_batch_norm_train(fv_ctx *ctx, float *out, float *mean, float *invstd, double *mean64, double *var64,
                         const float *x, const float *gamma, const float *beta, float eps, int64_t N, int64_t C,
                         int64_t HW, float clamp_hi)
{
    fv_fast_batch_norm_train(mb_threads(ctx), out, mean, invstd, mean64, var64, x, gamma, beta, eps, N, C, HW,
                             clamp_hi);
}

void fv_batch_norm_backward(fv_ctx *ctx, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *invstd, const float *gamma, int batch_stats, bool assign,
                            int64_t N, int64_t C, int64_t HW)
{
    fv_fast_batch_norm_backward(mb_threads(ctx), dx, dgamma, dbeta, dy, x, mean, invstd, gamma, batch_stats, assign, N,
                                C, HW);
}

void fv_batch_norm_backward_clamped(fv_ctx *ctx, float *dx, float *dgamma, float *dbeta, float *dy, const float *x,
                                    const float *mean, const float *invstd, const float *gamma, const float *beta,
                                    float hi, int batch_stats, bool assign, int64_t N, int64_t C, int64_t HW)
{
    fv_fast_batch_norm_backward_clamped(mb_threads(ctx), dx, dgamma, dbeta, dy, x, mean, invstd, gamma, beta, hi,
                                        batch_stats, assign, N, C, HW);
}

void fv_bcast_forward(fv_ctx *ctx, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                      const float *b, const int64_t *bshape, fv_bcast_op op)
{
    if (!fast(ctx) || !fv_fast_bcast_forward(fv_ctx_threads(ctx), out, oshape, a, ashape, b, bshape, op))
        fv_ref_bcast_forward(out, oshape, a, ashape, b, bshape, op);
}

void fv_bcast_grad(fv_ctx *ctx, float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                   const float *other, const int64_t *othshape)
{
    if (!fast(ctx) || !fv_fast_bcast_grad(fv_ctx_threads(ctx), dst, dshape, dout, oshape, other, othshape))
        fv_ref_bcast_grad(dst, dshape, dout, oshape, other, othshape);
}

void fv_global_avg_pool2d_forward(fv_ctx *ctx, float *out, const float *inp, int64_t P, int64_t S)
{
    if (fast(ctx)) fv_fast_global_avg_pool2d_forward(fv_ctx_threads(ctx), out, inp, P, S);
    else fv_ref_global_avg_pool2d_forward(out, inp, P, S);
}

void fv_global_avg_pool2d_backward(fv_ctx *ctx, float *dinp, const float *dout, int64_t P, int64_t S)
{
    if (fast(ctx)) fv_fast_global_avg_pool2d_backward(fv_ctx_threads(ctx), dinp, dout, P, S);
    else fv_ref_global_avg_pool2d_backward(dinp, dout, P, S);
}

/* ---- layout ---------------------------------------------------------------------------------------------- */

#include "ref/concat.h"
#include "ref/layout.h"

void fv_map_gather(fv_ctx *ctx, void *out, const void *inp, size_t elem, int ndim, const int64_t *oshape,
                   const int64_t *const *map, const void *fill)
{
    if (fast(ctx) && fv_fast_map_gather(fv_ctx_threads(ctx), out, inp, elem, ndim, oshape, map)) return;
    fv_ref_map_gather(out, inp, elem, ndim, oshape, map, fill);
}

void fv_map_scatter_add(fv_ctx *ctx, float *dinp, const float *dout, int ndim, const int64_t *oshape,
                        const int64_t *const *map)
{
    (void)ctx;
    fv_ref_map_scatter_add(dinp, dout, ndim, oshape, map);
}

void fv_gather_rows(fv_ctx *ctx, void *out, const void *data, size_t elem, const int64_t *idx, int64_t outer,
                    int64_t K, int64_t n_idx, int64_t inner)
{
    (void)ctx;
    fv_ref_gather(out, data, elem, idx, outer, K, n_idx, inner);
}

void fv_gather_rows_backward(fv_ctx *ctx, float *ddata, const float *dout, const int64_t *idx, int64_t outer,
                             int64_t K, int64_t n_idx, int64_t inner)
{
    (void)ctx;
    fv_ref_gather_backward(ddata, dout, idx, outer, K, n_idx, inner);
}

void fv_gather_elements_forward(fv_ctx *ctx, void *out, const void *data, size_t elem, const int64_t *idx, int ndim,
                                const int64_t *ishape, const int64_t *dshape, int axis)
{
    (void)ctx;
    fv_ref_gather_elements(out, data, elem, idx, ndim, ishape, dshape, axis);
}

void fv_gather_elements_backward(fv_ctx *ctx, float *ddata, const float *dout, const int64_t *idx, int ndim,
                                 const int64_t *ishape, const int64_t *dshape, int axis)
{
    (void)ctx;
    fv_ref_gather_elements_backward(ddata, dout, idx, ndim, ishape, dshape, axis);
}

void fv_gather_elements_add(fv_ctx *ctx, float *out, const float *data, const int64_t *idx, int ndim,
                            const int64_t *ishape, const int64_t *dshape, int axis)
{
    (void)ctx;
    fv_ref_gather_elements_add(out, data, idx, ndim, ishape, dshape, axis);
}

void fv_scatter_elements_forward(fv_ctx *ctx, void *out, uint8_t *hit, const void *upd, fv_dtype dtype, bool add,
                                 const int64_t *idx, int ndim, const int64_t *ishape, const int64_t *dshape, int axis)
{
    (void)ctx;
    fv_ref_scatter_elements(out, hit, upd, dtype, add, idx, ndim, ishape, dshape, axis);
}

void fv_concat_forward(fv_ctx *ctx, void *out, const void *inp, size_t elem, int64_t outer, int64_t C, int64_t inner,
                       int64_t Ctot, int64_t c0)
{
    (void)ctx;
    fv_ref_concat_forward(out, inp, elem, outer, C, inner, Ctot, c0);
}

void fv_concat_forward_all(fv_ctx *ctx, void *out, const void *const *inputs, const int64_t *C, int n, size_t elem,
                           int64_t outer, int64_t inner, int64_t Ctot)
{
    if (fast(ctx) && fv_fast_concat(fv_ctx_threads(ctx), out, inputs, C, n, elem, outer, inner, Ctot)) return;
    int64_t c0 = 0;
    for (int i = 0; i < n; c0 += C[i], i++) fv_ref_concat_forward(out, inputs[i], elem, outer, C[i], inner, Ctot, c0);
}

typedef struct {
    float *dinp;
    const float *dout;
    int64_t C, inner, Ctot, c0;
    bool assign;
} concat_grad_job;

static void concat_grad_range(void *p, int64_t o0, int64_t o1, int worker)
{
    const concat_grad_job *j = p;
    (void)worker;
    fv_ref_concat_backward(j->dinp, j->dout, o0, o1, j->C, j->inner, j->Ctot, j->c0, j->assign);
}

void fv_concat_backward(fv_ctx *ctx, float *dinp, const float *dout, int64_t outer, int64_t C, int64_t inner,
                        int64_t Ctot, int64_t c0, bool assign)
{
    concat_grad_job j = {dinp, dout, C, inner, Ctot, c0, assign};
    int64_t block = C * inner, grain = block >= 16384 ? 1 : 16384 / (block ? block : 1);
    /* each outer index is one thread's: the same bits on any thread count */
    int threads = fast(ctx) && outer * block >= 65536 ? fv_ctx_threads(ctx) : 1;
    fv_parallel_for(threads, outer, grain, concat_grad_range, &j);
}

/* ---- norm family: the reference kernels, forward shared out over the leading index ---- */

typedef struct {
    float *out, *mean, *invstd;
    const float *x, *scale, *bias;
    const fv_ref_group_norm_geom *g;
} norm_job;

/* Rows [a0, a1) of the leading index: each row's statistics are its own, so the split changes no bit. */
static void norm_range(void *arg, int64_t a0, int64_t a1, int worker)
{
    (void)worker;
    const norm_job *j = arg;
    fv_ref_group_norm_geom part = *j->g;
    part.A = a1 - a0;
    int64_t per = j->g->P * j->g->S, rows = j->g->G;
    fv_ref_group_norm_forward(j->out + a0 * per, j->mean ? j->mean + a0 * rows : NULL,
                              j->invstd ? j->invstd + a0 * rows : NULL, j->x + a0 * per, j->scale, j->bias, &part);
}

void fv_group_norm_forward(fv_ctx *ctx, float *out, float *mean, float *invstd, const float *x, const float *scale,
                           const float *bias, const fv_ref_group_norm_geom *g)
{
    int64_t per = g->P * g->S;
    if (!fast(ctx) || g->A < 2 || g->A * per < 32768) {
        fv_ref_group_norm_forward(out, mean, invstd, x, scale, bias, g);
        return;
    }
    norm_job j = {out, mean, invstd, x, scale, bias, g};
    int64_t grain = 16384 / (per ? per : 1) + 1;
    fv_parallel_for(fv_ctx_threads(ctx), g->A, grain, norm_range, &j);
}

void fv_group_norm_backward(fv_ctx *ctx, float *dx, float *dscale, float *dbias, const float *dy, const float *x,
                            const float *scale, const fv_ref_group_norm_geom *g)
{
    (void)ctx;
    fv_ref_group_norm_backward(dx, dscale, dbias, dy, x, scale, g);
}

void fv_resample_forward(fv_ctx *ctx, float *out, const float *inp, int64_t P, int k, const fv_ref_resample_axis *ax)
{
    (void)ctx;
    fv_ref_resample_forward(out, inp, P, k, ax);
}

void fv_resample_backward(fv_ctx *ctx, float *dinp, const float *dout, int64_t P, int k,
                          const fv_ref_resample_axis *ax)
{
    (void)ctx;
    fv_ref_resample_backward(dinp, dout, P, k, ax);
}

/* ---- reduce family: reductions, arg-max, top-k, cumulative sums, matrix products -------------------- */

/* The memory-bound kernels of the family run on the reference loops in both modes: they are a small part of
 * the models that use them (a mean over tokens, a logit's arg-max). */
void fv_reduce_forward(fv_ctx *ctx, float *out, const float *x, const fv_reduce_geom *g, int kind)
{
    (void)ctx;
    fv_ref_reduce_forward(out, x, g, kind);
}

void fv_reduce_backward(fv_ctx *ctx, float *dx, const float *dout, const float *x, const float *out,
                        const fv_reduce_geom *g, int kind)
{
    (void)ctx;
    fv_ref_reduce_backward(dx, dout, x, out, g, kind);
}

void fv_argmax_forward(fv_ctx *ctx, int64_t *out, const float *x, int64_t outer, int64_t C, int64_t inner, bool min,
                       bool last)
{
    (void)ctx;
    fv_ref_argmax(out, x, outer, C, inner, min, last);
}

void fv_topk_forward(fv_ctx *ctx, float *values, int64_t *indices, const float *x, int64_t outer, int64_t C,
                     int64_t inner, int64_t k, bool largest)
{
    (void)ctx;
    fv_ref_topk(values, indices, x, outer, C, inner, k, largest);
}

void fv_topk_backward(fv_ctx *ctx, float *dx, const float *dvalues, const int64_t *indices, int64_t outer, int64_t C,
                      int64_t inner, int64_t k)
{
    (void)ctx;
    fv_ref_topk_backward(dx, dvalues, indices, outer, C, inner, k);
}

void fv_cumsum_forward(fv_ctx *ctx, float *out, const float *x, int64_t outer, int64_t C, int64_t inner,
                       bool exclusive, bool reverse, bool accumulate)
{
    (void)ctx;
    fv_ref_cumsum(out, x, outer, C, inner, exclusive, reverse, accumulate);
}

/* fv_gemm with K 0 reads neither A nor B; the product is then beta C (0 for beta 0), set here so that it does
 * not depend on how the kernel treats an empty sum. */
static void gemm_threads(int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                         const float *A, const float *B, float beta, float *C)
{
    if (M == 0 || N == 0) return;
    if (K == 0) {
        for (int64_t i = 0; i < M * N; i++) C[i] = beta == 0.0f ? 0.0f : beta * C[i];
        return;
    }
    fv_gemm(threads, ta, tb, M, N, K, alpha, A, ta ? M : K, B, tb ? K : N, beta, C, N);
}

void fv_matmul_gemm(fv_ctx *ctx, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                    const float *B, float beta, float *C)
{
    if (fast(ctx)) gemm_threads(fv_ctx_threads(ctx), ta, tb, M, N, K, alpha, A, B, beta, C);
    else fv_ref_gemm(ta, tb, M, N, K, alpha, A, B, beta, C);
}

/* Below this many multiply-adds per product, and with at least as many products as threads, the products are
 * shared out whole (one thread each) rather than each split across the threads: attention's per-head products
 * (197x64x197 in ViT-B/16) are too small for the GEMM's threads to pay for their barriers. A product gives
 * the same bits on one thread as on several (fast/gemm.h), so this choice changes no result. */
#define MATMUL_SMALL_PRODUCT ((int64_t)1 << 22)

typedef struct {
    const fv_matmul_geom *g;
    float *dst;          /* out, or the gradient being made */
    const float *ops[3]; /* dout (backward only), a, b */
    float beta;
    int pass;            /* -1 forward, 0 da, 1 db */
    fv_matmul_grad_plan plan;
    int threads;         /* for each product */
} matmul_job;

static void product(const matmul_job *j, int64_t i, int threads)
{
    const fv_matmul_geom *g = j->g;
    int64_t ao, bo;
    fv_matmul_offsets(g, i, &ao, &bo);
    const float *a = j->ops[FV_MATMUL_A] + ao, *b = j->ops[FV_MATMUL_B] + bo;
    if (j->pass < 0) {
        gemm_threads(threads, g->ta, g->tb, g->M, g->N, g->K, g->alpha, a, b, j->beta, j->dst + i * g->M * g->N);
        return;
    }
    const float *ops[3] = {j->ops[FV_MATMUL_DOUT] + i * g->M * g->N, a, b};
    const fv_matmul_grad_plan *p = &j->plan;
    gemm_threads(threads, p->ta, p->tb, p->M, p->N, p->K, g->alpha, ops[p->first], ops[p->second], 1.0f,
                 j->dst + (j->pass ? bo : ao));
}

static void product_range(void *arg, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    for (int64_t i = begin; i < end; i++) product(arg, i, 1);
}

static int64_t batch_size(const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < FV_MATMUL_BATCH_DIMS; d++) n *= shape[d];
    return n;
}

/* Whole products per thread only where each destination block has a single writer: an operand broadcast
 * along the batch collects several products' gradients into one block. */
static void run_products(fv_ctx *ctx, matmul_job *j, bool own_blocks)
{
    const fv_matmul_geom *g = j->g;
    int t = fv_ctx_threads(ctx);
    if (t > 1 && own_blocks && g->count >= t && (double)g->M * (double)g->N * (double)g->K < (double)MATMUL_SMALL_PRODUCT) {
        fv_parallel_for(t, g->count, 1, product_range, j);
        return;
    }
    for (int64_t i = 0; i < g->count; i++) product(j, i, t);
}

/* A batch of products that share one b, with a stored whole and untransposed, is one product of batch x M rows:
 * (L, 1, 768) x (768, 2304), as transformers' linear layers arrive from ONNX, would otherwise stream b once per
 * row (ViT-B/16 at batch 1: 5x slower). a's rows and out's rows are then both (batch, M) in row-major order. */
static bool folds_batch(const fv_matmul_geom *g)
{
    return g->count > 1 && !g->ta && batch_size(g->b) == 1 && batch_size(g->a) == g->count;
}

void fv_softmax_forward(fv_ctx *ctx, float *out, const float *inp, int64_t outer, int64_t C, int64_t inner,
                        bool log_out)
{
    if (fast(ctx) && fv_fast_softmax_forward(fv_ctx_threads(ctx), out, inp, outer, C, inner, log_out)) return;
    fv_ref_softmax_forward(out, inp, outer, C, inner, log_out);
}

void fv_softmax_backward(fv_ctx *ctx, float *dinp, const float *dout, const float *out, int64_t outer, int64_t C,
                         int64_t inner, bool log_out)
{
    if (fast(ctx) && fv_fast_softmax_backward(fv_ctx_threads(ctx), dinp, dout, out, outer, C, inner, log_out)) return;
    fv_ref_softmax_backward(dinp, dout, out, outer, C, inner, log_out);
}

/* A b packed once (see fv_matmul_forward), for the shape and vector level it was packed at. */
struct fv_matmul_cache {
    int64_t K, N;
    bool tb;
    fv_gemm_packed *b;
};

void fv_matmul_cache_free(fv_matmul_cache *c)
{
    if (c) fv_gemm_packed_free(c->b);
    free(c);
}

/* The product as one GEMM on b packed in *cache (packed now if the cache is empty or was made for another
 * shape); false when it cannot be done so (b has a batch, no memory, the vector level changed): then nothing
 * is written and the caller computes the product as usual. */
static bool forward_packed(fv_ctx *ctx, float *out, const float *a, const float *b, float beta,
                           const fv_matmul_geom *g, fv_matmul_cache **cache)
{
    if (!cache || g->K <= 0 || batch_size(g->b) != 1 || (g->count > 1 && !folds_batch(g))) return false;
    fv_matmul_cache *c = *cache;
    if (c && (c->K != g->K || c->N != g->N || c->tb != g->tb)) fv_matmul_cache_free(c), c = *cache = NULL;
    if (!c) {
        if (!(c = calloc(1, sizeof *c))) return false;
        *c = (fv_matmul_cache){g->K, g->N, g->tb, fv_gemm_pack_b(fv_ctx_threads(ctx), g->tb, g->K, g->N, b, g->tb ? g->K : g->N)};
        *cache = c;
    }
    if (!c->b) return false;
    fv_gemm_op o = {.M = g->count * g->M, .N = g->N, .K = g->K, .alpha = g->alpha, .beta = beta, .ta = g->ta,
                    .A = a, .lda = g->ta ? g->M : g->K, .C = out, .ldc = g->N, .b_packed = c->b};
    if (fv_gemm_run(fv_ctx_threads(ctx), &o)) return true;
    fv_matmul_cache_free(c), *cache = NULL; /* made at another vector level: unpacked from now on */
    return false;
}

void fv_matmul_forward(fv_ctx *ctx, float *out, const float *a, const float *b, float beta, const fv_matmul_geom *g,
                       fv_matmul_cache **cache)
{
    if (!fast(ctx)) {
        fv_ref_matmul_forward(out, a, b, beta, g);
        return;
    }
    if (forward_packed(ctx, out, a, b, beta, g, cache)) return;
    if (folds_batch(g)) {
        gemm_threads(fv_ctx_threads(ctx), false, g->tb, g->count * g->M, g->N, g->K, g->alpha, a, b, beta, out);
        return;
    }
    matmul_job j = {.g = g, .dst = out, .ops = {NULL, a, b}, .beta = beta, .pass = -1};
    run_products(ctx, &j, true);
}

void fv_matmul_backward(fv_ctx *ctx, float *da, float *db, const float *dout, const float *a, const float *b,
                        const fv_matmul_geom *g)
{
    if (!fast(ctx)) {
        fv_ref_matmul_backward(da, db, dout, a, b, g);
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        float *dst = pass ? db : da;
        if (!dst) continue;
        matmul_job j = {.g = g, .dst = dst, .ops = {dout, a, b}, .pass = pass};
        fv_matmul_grad_plan_make(g, pass, &j.plan);
        if (folds_batch(g)) { /* as forward: da's rows are (batch, M); db contracts over all of them */
            fv_matmul_grad_plan *p = &j.plan;
            if (pass) p->K *= g->count;
            else p->M *= g->count;
            const float *ops[3] = {dout, a, b};
            gemm_threads(fv_ctx_threads(ctx), p->ta, p->tb, p->M, p->N, p->K, g->alpha, ops[p->first], ops[p->second],
                         1.0f, dst);
            continue;
        }
        run_products(ctx, &j, batch_size(pass ? g->b : g->a) == g->count);
    }
}

/* ---- math family: reference kernels, except float add, sub and mul, which reuse the fast broadcast ---------- */
/* (included here rather than at the top, so that each family's section merges on its own) */
#include "fast/binary.h"
#include "ref/math.h"

void fv_math_binary_f32(fv_ctx *ctx, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                        const float *b, const int64_t *bshape, int op)
{
    if (fast(ctx)) fv_fast_binary_f32(fv_ctx_threads(ctx), out, oshape, a, ashape, b, bshape, op);
    else fv_ref_binary_f32(out, oshape, a, ashape, b, bshape, op);
}

void fv_math_binary_grad(fv_ctx *ctx, float *dst, const float *dout, const int64_t *oshape, const float *a,
                         const int64_t *ashape, const float *b, const int64_t *bshape, int op, int wrt)
{
    const int64_t *dshape = wrt ? bshape : ashape, *othshape = wrt ? ashape : bshape;
    if (op == FV_MK_ADD || (op == FV_MK_SUB && wrt == 0))
        fv_bcast_grad(ctx, dst, dshape, dout, oshape, NULL, othshape);
    else if (op == FV_MK_MUL)
        fv_bcast_grad(ctx, dst, dshape, dout, oshape, wrt ? a : b, othshape);
    else fv_ref_binary_grad(dst, dout, oshape, a, ashape, b, bshape, op, wrt);
}

int64_t fv_math_binary_int(fv_ctx *ctx, void *out, const int64_t *oshape, const void *a, const int64_t *ashape,
                           const void *b, const int64_t *bshape, int op, fv_dtype dtype)
{
    (void)ctx;
    return fv_ref_binary_int(out, oshape, a, ashape, b, bshape, op, dtype);
}

void fv_math_compare(fv_ctx *ctx, uint8_t *out, const int64_t *oshape, const void *a, const int64_t *ashape,
                     const void *b, const int64_t *bshape, int op, fv_dtype dtype)
{
    (void)ctx;
    fv_ref_compare(out, oshape, a, ashape, b, bshape, op, dtype);
}

void fv_math_logical(fv_ctx *ctx, uint8_t *out, const int64_t *oshape, const uint8_t *a, const int64_t *ashape,
                     const uint8_t *b, const int64_t *bshape, int op)
{
    (void)ctx;
    fv_ref_logical(out, oshape, a, ashape, b, bshape, op);
}

void fv_math_where(fv_ctx *ctx, void *out, const int64_t *oshape, const uint8_t *cond, const int64_t *cshape,
                   const void *a, const int64_t *ashape, const void *b, const int64_t *bshape, int elem_size)
{
    (void)ctx;
    fv_ref_where(out, oshape, cond, cshape, a, ashape, b, bshape, elem_size);
}

void fv_math_where_grad(fv_ctx *ctx, float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                        const uint8_t *cond, const int64_t *cshape, bool take)
{
    (void)ctx;
    fv_ref_where_grad(dst, dshape, dout, oshape, cond, cshape, take);
}

void fv_math_unary_forward(fv_ctx *ctx, float *out, const float *x, int64_t n, int kind, float p0, float p1)
{
    if (fast(ctx) && fv_fast_unary_forward(fv_ctx_threads(ctx), out, x, n, kind)) return;
    fv_ref_unary_forward(out, x, n, kind, p0, p1);
}

void fv_math_unary_backward(fv_ctx *ctx, float *dx, const float *dout, const float *x, int64_t n, int kind, float p0,
                            float p1)
{
    (void)ctx;
    fv_ref_unary_backward(dx, dout, x, n, kind, p0, p1);
}

void fv_math_float_test(fv_ctx *ctx, uint8_t *out, const float *x, int64_t n, int test)
{
    (void)ctx;
    if (test == 1) fv_ref_isinf(out, x, n);
    else if (test > 1) fv_ref_isinf_signs(out, x, n, test & 2, test & 4); /* 8 | 2 | 4: the signs to detect */
    else fv_ref_isnan(out, x, n);
}

int64_t fv_math_cast(fv_ctx *ctx, void *out, fv_dtype to, const void *in, fv_dtype from, int64_t n)
{
    (void)ctx;
    return fv_ref_cast(out, to, in, from, n);
}

/* ---- more math and reduce kinds ------------------------------------------------------------------------------ */

void fv_hardmax_forward(fv_ctx *ctx, float *out, const float *x, int64_t outer, int64_t C, int64_t inner)
{
    (void)ctx;
    fv_ref_hardmax(out, x, outer, C, inner);
}

/* ---- loss family ------------------------------------------------------------------------------------------- */
/* (included here rather than at the top, so that each family's section merges on its own) */
#include "ref/nll.h"

void fv_nll_forward(fv_ctx *ctx, float *out, const float *x, const void *target, bool t64, const float *w,
                    int64_t ignore, int reduction, int64_t N, int64_t C, int64_t inner)
{
    (void)ctx;
    fv_ref_nll_forward(out, x, target, t64, w, ignore, reduction, N, C, inner);
}

void fv_nll_backward(fv_ctx *ctx, float *dx, const float *dout, const float *x, const void *target, bool t64,
                     const float *w, int64_t ignore, int reduction, int64_t N, int64_t C, int64_t inner)
{
    (void)ctx;
    fv_ref_nll_backward(dx, dout, x, target, t64, w, ignore, reduction, N, C, inner);
}
