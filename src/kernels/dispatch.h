/* Which kernels run: the fast ones (src/kernels/fast) unless the context asks for the reference ones
 * (fv_ctx_use_reference_kernels), or a fast kernel cannot get its scratch memory, in which case the
 * reference kernel, which needs none, does the work. Ops call these and never choose themselves. */
#ifndef FV_KERNELS_DISPATCH_H
#define FV_KERNELS_DISPATCH_H

#include "fovea/core.h"
#include "ref/broadcast.h"
#include "fast/conv_cache.h"
#include "ref/conv.h"
#include "ref/pool.h"

void fv_conv2d_forward_add(fv_ctx *ctx, float *out, const float *inp, const float *weight, const fv_conv_geom *g);
/* out = clamp(bias + conv(inp, weight)): bias NULL adds nothing; clamp_hi > 0 clamps to [0, clamp_hi] as relu and
 * relu6 do (a NaN stays NaN, as in PyTorch: kernels/clamp.h); 0 does not clamp. cache: NULL, or where the fast kernels keep weights that do not
 * change between calls (fast/conv_cache.h). */
void fv_conv2d_forward(fv_ctx *ctx, float *out, const float *inp, const float *weight, const float *bias,
                       float clamp_hi, const fv_conv_geom *g, fv_conv_cache **cache);
/* The same over inp mapped by pre (ref/conv.h): during the packing for pointwise convolutions, through a mapped
 * copy of inp otherwise. False (out untouched) only when that copy cannot be had. */
bool fv_conv2d_forward_affine(fv_ctx *ctx, float *out, const float *inp, const fv_conv_affine *pre,
                              const float *weight, const float *bias, float clamp_hi, const fv_conv_geom *g,
                              fv_conv_cache **cache);
/* dinp += the input gradient of dout, or = it when assign */
void fv_conv2d_backward_input(fv_ctx *ctx, float *dinp, const float *dout, const float *weight, bool assign,
                              const fv_conv_geom *g);
void fv_conv2d_backward_weight(fv_ctx *ctx, float *dweight, const float *dout, const float *inp, const fv_conv_geom *g);
/* out (N, C, HW) = bias (C) per channel, or 0 where bias is NULL; dbias (C) += dout (N, C, HW) summed. */
void fv_conv2d_fill_bias(fv_ctx *ctx, float *out, const float *bias, int64_t N, int64_t C, int64_t HW);
void fv_conv2d_backward_bias(fv_ctx *ctx, float *dbias, const float *dout, int64_t N, int64_t C, int64_t HW);

/* out (N, OC) = inp (N, C) weight^T + bias (OC, or NULL); weight (OC, C). */
void fv_dense_forward(fv_ctx *ctx, float *out, const float *inp, const float *weight, const float *bias, int64_t N,
                      int64_t C, int64_t OC);
/* dinp (N, C), dweight (OC, C), dbias (OC) += the gradients of dout (N, OC); any may be NULL. */
void fv_dense_backward(fv_ctx *ctx, float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                       const float *weight, int64_t N, int64_t C, int64_t OC);

/* The memory-bound kernels: activations, max pooling, batch normalization (reference arithmetic, threaded). */
void fv_activation_forward(fv_ctx *ctx, float *out, const float *inp, int64_t n, int kind, float alpha);
/* assign: dinp holds no values yet (fv_grad_fresh) and is written whole rather than added to. */
void fv_activation_backward(fv_ctx *ctx, float *dinp, const float *dout, const float *inp, int64_t n, int kind,
                            float alpha, bool assign);
/* relu, leaky relu and relu6: the kinds whose backward kernel assigns without a zeroing pass */
bool fv_activation_piecewise_linear(int kind);
void fv_max_pool2d_forward(fv_ctx *ctx, float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *g);
/* assign: dinp (dx for batch norm) holds no values yet (fv_grad_fresh) and is written whole instead of added to. */
void fv_max_pool2d_backward(fv_ctx *ctx, float *dinp, const float *dout, const int32_t *argmax,
                            const fv_ref_pool2d_geom *g, bool assign);
/* Average pooling (ref/pool.h), threaded over planes: the reference's bits. */
void fv_avg_pool2d_forward(fv_ctx *ctx, float *out, const float *inp, const fv_ref_pool2d_geom *g,
                           bool count_include_pad);
void fv_avg_pool2d_backward(fv_ctx *ctx, float *dinp, const float *dout, const fv_ref_pool2d_geom *g,
                            bool count_include_pad);
void fv_batch_norm_stats(fv_ctx *ctx, double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW);
void fv_batch_norm_apply(fv_ctx *ctx, float *out, const float *x, const float *mean, const float *invstd,
                         const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW, float clamp_hi);
/* Train mode: the statistics (double), mean and invstd = 1 / sqrt(var + eps) (float) and the output in one pass,
 * clamped to [0, clamp_hi] as fv_clamp0 does when clamp_hi > 0. */
void fv_batch_norm_train(fv_ctx *ctx, float *out, float *mean, float *invstd, double *mean64, double *var64,
                         const float *x, const float *gamma, const float *beta, float eps, int64_t N, int64_t C,
                         int64_t HW, float clamp_hi);
void fv_batch_norm_backward(fv_ctx *ctx, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *invstd, const float *gamma, int batch_stats, bool assign,
                            int64_t N, int64_t C, int64_t HW);
/* The same through a clamp to [0, hi] of its output first (threaded.h); dy may be overwritten. */
void fv_batch_norm_backward_clamped(fv_ctx *ctx, float *dx, float *dgamma, float *dbeta, float *dy, const float *x,
                                    const float *mean, const float *invstd, const float *gamma, const float *beta,
                                    float hi, int batch_stats, bool assign, int64_t N, int64_t C, int64_t HW);

/* Broadcasting add and mul and their gradients (ref/broadcast.h): fast kernels for the common shapes. */
void fv_bcast_forward(fv_ctx *ctx, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                      const float *b, const int64_t *bshape, fv_bcast_op op);
void fv_bcast_grad(fv_ctx *ctx, float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                   const float *other, const int64_t *othshape);

/* Global average pooling of P planes of S elements (ref/pool.h): threaded. */
void fv_global_avg_pool2d_forward(fv_ctx *ctx, float *out, const float *inp, int64_t P, int64_t S);
void fv_global_avg_pool2d_backward(fv_ctx *ctx, float *dinp, const float *dout, int64_t P, int64_t S);

/* ---- layout (transpose, slice, expand, tile, pad, depth/space, gather, scatter, concat): ref/layout.h and
 * ref/concat.h; they move bytes and run the reference kernels for now (one pass over memory each). */
void fv_map_gather(fv_ctx *ctx, void *out, const void *inp, size_t elem, int ndim, const int64_t *oshape,
                   const int64_t *const *map, const void *fill);
void fv_map_scatter_add(fv_ctx *ctx, float *dinp, const float *dout, int ndim, const int64_t *oshape,
                        const int64_t *const *map);
void fv_gather_rows(fv_ctx *ctx, void *out, const void *data, size_t elem, const int64_t *idx, int64_t outer,
                    int64_t K, int64_t n_idx, int64_t inner);
void fv_gather_rows_backward(fv_ctx *ctx, float *ddata, const float *dout, const int64_t *idx, int64_t outer,
                             int64_t K, int64_t n_idx, int64_t inner);
void fv_gather_elements_forward(fv_ctx *ctx, void *out, const void *data, size_t elem, const int64_t *idx, int ndim,
                                const int64_t *ishape, const int64_t *dshape, int axis);
void fv_gather_elements_backward(fv_ctx *ctx, float *ddata, const float *dout, const int64_t *idx, int ndim,
                                 const int64_t *ishape, const int64_t *dshape, int axis);
void fv_gather_elements_add(fv_ctx *ctx, float *out, const float *data, const int64_t *idx, int ndim,
                            const int64_t *ishape, const int64_t *dshape, int axis);
void fv_scatter_elements_forward(fv_ctx *ctx, void *out, uint8_t *hit, const void *upd, fv_dtype dtype, bool add,
                                 const int64_t *idx, int ndim, const int64_t *ishape, const int64_t *dshape, int axis);
/* All n inputs at once (input i: C[i] channels), threaded where the copy is large. */
void fv_concat_forward_all(fv_ctx *ctx, void *out, const void *const *inputs, const int64_t *C, int n, size_t elem,
                           int64_t outer, int64_t inner, int64_t Ctot);
void fv_concat_forward(fv_ctx *ctx, void *out, const void *inp, size_t elem, int64_t outer, int64_t C, int64_t inner,
                       int64_t Ctot, int64_t c0);
void fv_concat_backward(fv_ctx *ctx, float *dinp, const float *dout, int64_t outer, int64_t C, int64_t inner,
                        int64_t Ctot, int64_t c0, bool assign);

/* ---- norm family: layer, instance and group normalization; resize (reference kernels for now) ---- */
#include "ref/group_norm.h"
#include "ref/resample.h"

/* mean and invstd may be NULL (see ref/group_norm.h). */
void fv_group_norm_forward(fv_ctx *ctx, float *out, float *mean, float *invstd, const float *x, const float *scale,
                           const float *bias, const fv_ref_group_norm_geom *g);
void fv_group_norm_backward(fv_ctx *ctx, float *dx, float *dscale, float *dbias, const float *dy, const float *x,
                            const float *scale, const fv_ref_group_norm_geom *g);
void fv_resample_forward(fv_ctx *ctx, float *out, const float *inp, int64_t P, int k, const fv_ref_resample_axis *ax);
void fv_resample_backward(fv_ctx *ctx, float *dinp, const float *dout, int64_t P, int k,
                          const fv_ref_resample_axis *ax);
/* ---- reduce family: reductions, arg-max, top-k, cumulative sums, matrix products -------------------- */
#include "ref/matmul.h"
#include "ref/reduce.h"

/* Reductions, arg-max/min, top-k and cumulative sums (ref/reduce.h): the reference kernels, memory-bound. */
void fv_reduce_forward(fv_ctx *ctx, float *out, const float *x, const fv_reduce_geom *g, int kind);
void fv_reduce_backward(fv_ctx *ctx, float *dx, const float *dout, const float *x, const float *out,
                        const fv_reduce_geom *g, int kind);
void fv_argmax_forward(fv_ctx *ctx, int64_t *out, const float *x, int64_t outer, int64_t C, int64_t inner, bool min,
                       bool last);
void fv_topk_forward(fv_ctx *ctx, float *values, int64_t *indices, const float *x, int64_t outer, int64_t C,
                     int64_t inner, int64_t k, bool largest);
void fv_topk_backward(fv_ctx *ctx, float *dx, const float *dvalues, const int64_t *indices, int64_t outer, int64_t C,
                      int64_t inner, int64_t k);
void fv_cumsum_forward(fv_ctx *ctx, float *out, const float *x, int64_t outer, int64_t C, int64_t inner,
                       bool exclusive, bool reverse, bool accumulate);
/* C (M, N) = alpha op(A) op(B) + beta C on dense row-major matrices (ref/matmul.h's fv_ref_gemm): the fast
 * GEMM, or the triple loop. */
void fv_matmul_gemm(fv_ctx *ctx, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                    const float *B, float beta, float *C);
/* Batched, broadcast products (ref/matmul.h): one fast GEMM per batch element; many small products (attention's
 * heads) go to the threads whole instead of each one being split across them. */
/* With a cache slot (NULL: none), b is promised not to change while the cache lives, and a product whose b has no
 * batch (a transformer's weights) keeps b packed for the GEMM from one call to the next. */
typedef struct fv_matmul_cache fv_matmul_cache;
void fv_matmul_forward(fv_ctx *ctx, float *out, const float *a, const float *b, float beta, const fv_matmul_geom *g,
                       fv_matmul_cache **cache);
void fv_matmul_cache_free(fv_matmul_cache *c);
void fv_matmul_backward(fv_ctx *ctx, float *da, float *db, const float *dout, const float *a, const float *b,
                        const fv_matmul_geom *g);
/* Softmax and log-softmax of lines of C elements inner apart (ref/softmax.h): the fast kernel along a
 * contiguous axis, else the reference. */
void fv_softmax_forward(fv_ctx *ctx, float *out, const float *inp, int64_t outer, int64_t C, int64_t inner,
                        bool log_out);
void fv_softmax_backward(fv_ctx *ctx, float *dinp, const float *dout, const float *out, int64_t outer, int64_t C,
                         int64_t inner, bool log_out);
/* ---- math family (ref/math.h): elementwise arithmetic, comparisons, logic, where, unary, casts ---------- */

/* Broadcasting float arithmetic: add and mul take the fast kernels' common shapes (fast/elementwise.h). */
void fv_math_binary_f32(fv_ctx *ctx, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                        const float *b, const int64_t *bshape, int op);
void fv_math_binary_grad(fv_ctx *ctx, float *dst, const float *dout, const int64_t *oshape, const float *a,
                         const int64_t *ashape, const float *b, const int64_t *bshape, int op, int wrt);
int64_t fv_math_binary_int(fv_ctx *ctx, void *out, const int64_t *oshape, const void *a, const int64_t *ashape,
                           const void *b, const int64_t *bshape, int op, fv_dtype dtype);
void fv_math_compare(fv_ctx *ctx, uint8_t *out, const int64_t *oshape, const void *a, const int64_t *ashape,
                     const void *b, const int64_t *bshape, int op, fv_dtype dtype);
void fv_math_logical(fv_ctx *ctx, uint8_t *out, const int64_t *oshape, const uint8_t *a, const int64_t *ashape,
                     const uint8_t *b, const int64_t *bshape, int op);
void fv_math_where(fv_ctx *ctx, void *out, const int64_t *oshape, const uint8_t *cond, const int64_t *cshape,
                   const void *a, const int64_t *ashape, const void *b, const int64_t *bshape, int elem_size);
void fv_math_where_grad(fv_ctx *ctx, float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                        const uint8_t *cond, const int64_t *cshape, bool take);
void fv_math_unary_forward(fv_ctx *ctx, float *out, const float *x, int64_t n, int kind, float p0, float p1);
void fv_math_unary_backward(fv_ctx *ctx, float *dx, const float *dout, const float *x, int64_t n, int kind, float p0,
                            float p1);
/* test 0: isnan, 1: isinf (either sign), 8 | 2 (+inf) | 4 (-inf): isinf of the signs given. */
void fv_math_float_test(fv_ctx *ctx, uint8_t *out, const float *x, int64_t n, int test);
int64_t fv_math_cast(fv_ctx *ctx, void *out, fv_dtype to, const void *in, fv_dtype from, int64_t n);

/* ---- more math and reduce kinds (ref/reduce.h) ------------------------------------------------------------ */

void fv_hardmax_forward(fv_ctx *ctx, float *out, const float *x, int64_t outer, int64_t C, int64_t inner);
/* ---- loss family (ref/nll.h): negative log-likelihood over class indices ------------------------------ */

/* reduction: 0 mean, 1 sum, 2 none (fv_loss_reduction); targets int32, or int64 where t64. */
void fv_nll_forward(fv_ctx *ctx, float *out, const float *x, const void *target, bool t64, const float *w,
                    int64_t ignore, int reduction, int64_t N, int64_t C, int64_t inner);
void fv_nll_backward(fv_ctx *ctx, float *dx, const float *dout, const float *x, const void *target, bool t64,
                     const float *w, int64_t ignore, int reduction, int64_t N, int64_t C, int64_t inner);

#endif
