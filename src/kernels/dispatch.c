/* Kernel selection: fast by default, the reference oracle on request or as the fallback (see dispatch.h). */
#include "dispatch.h"
#include "clamp.h"

#include "fast/activation.h"
#include "fast/conv.h"
#include "fast/elementwise.h"
#include "fast/dense.h"
#include "fast/gemm.h"
#include "fast/global_pool.h"
#include "fast/threaded.h"
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

void fv_conv2d_backward_input(fv_ctx *ctx, float *dinp, const float *dout, const float *weight, const fv_conv_geom *g)
{
    if (!fast(ctx) || !fv_fast_conv2d_backward_input(fv_ctx_threads(ctx), dinp, dout, weight, g))
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

void fv_batch_norm_stats(fv_ctx *ctx, double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW)
{
    fv_fast_batch_norm_stats(mb_threads(ctx), mean, var, x, N, C, HW);
}

void fv_batch_norm_apply(fv_ctx *ctx, float *out, const float *x, const float *mean, const float *invstd,
                         const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW)
{
    fv_fast_batch_norm_apply(mb_threads(ctx), out, x, mean, invstd, gamma, beta, N, C, HW);
}

void fv_batch_norm_train(fv_ctx *ctx, float *out, float *mean, float *invstd, double *mean64, double *var64,
                         const float *x, const float *gamma, const float *beta, float eps, int64_t N, int64_t C,
                         int64_t HW)
{
    fv_fast_batch_norm_train(mb_threads(ctx), out, mean, invstd, mean64, var64, x, gamma, beta, eps, N, C, HW);
}

void fv_batch_norm_backward(fv_ctx *ctx, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *invstd, const float *gamma, int batch_stats, bool assign,
                            int64_t N, int64_t C, int64_t HW)
{
    fv_fast_batch_norm_backward(mb_threads(ctx), dx, dgamma, dbeta, dy, x, mean, invstd, gamma, batch_stats, assign, N,
                                C, HW);
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
    (void)ctx;
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

void fv_concat_backward(fv_ctx *ctx, float *dinp, const float *dout, int64_t outer, int64_t C, int64_t inner,
                        int64_t Ctot, int64_t c0)
{
    (void)ctx;
    fv_ref_concat_backward(dinp, dout, outer, C, inner, Ctot, c0);
}
