/* Threaded activations, max pooling and batch normalization, split over threads by element ranges, planes or
 * channels (see threaded.c): bit-identical for any thread count. Same arguments as the reference kernels plus
 * threads. */
#ifndef FV_FAST_THREADED_H
#define FV_FAST_THREADED_H

#include <stdbool.h>
#include <stdint.h>

#include "../ref/pool.h"

void fv_fast_activation_forward(int threads, float *out, const float *inp, int64_t n, int kind, float alpha);
/* assign: dinp holds no values yet and is written whole (dout * f'(x)) instead of added to */
void fv_fast_activation_backward(int threads, float *dinp, const float *dout, const float *inp, int64_t n, int kind,
                                 float alpha, bool assign);
/* argmax NULL: the outputs alone (inference), the same values */
void fv_fast_max_pool2d_forward(int threads, float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *g);
/* Average pooling, forward (out from inp) or backward (dinp += from dout): the reference on ranges of planes. */
void fv_fast_avg_pool2d(int threads, float *x, const float *y, const fv_ref_pool2d_geom *g, bool count_include_pad,
                        bool backward);
/* assign: dinp holds no values yet, so it is written whole (= instead of +=, zeros where no window's maximum
 * lies); the same for dx in the batch norm's backward. */
void fv_fast_max_pool2d_backward(int threads, float *dinp, const float *dout, const int32_t *argmax,
                                 const fv_ref_pool2d_geom *g, bool assign);
void fv_fast_batch_norm_stats(int threads, double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW);
/* clamp_hi > 0 clamps out to [0, clamp_hi] as it is written (a ReLU or ReLU6 after the batch norm, as
 * clamp.h's fv_clamp0), each plane while it is still in the cache. */
void fv_fast_batch_norm_apply(int threads, float *out, const float *x, const float *mean, const float *invstd,
                              const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW, float clamp_hi);
void fv_fast_batch_norm_backward(int threads, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                 const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                 bool assign, int64_t N, int64_t C, int64_t HW);
/* The same for a batch norm whose output was clamped to [0, hi] (hi = +inf: a ReLU) by a clamp whose gradient
 * dy is (the training pass's fused ReLU, graph/fuse.c): dy is first taken through the clamp, its slopes read
 * off the output recomputed from x, mean, invstd, gamma and beta bit for bit as the forward computed it. Each
 * channel's clamped dy is written into dx when assign, else over dy itself (which is then lost): either way
 * the three passes read it from the cache, and no separate pass over memory is made. */
void fv_fast_batch_norm_backward_clamped(int threads, float *dx, float *dgamma, float *dbeta, float *dy,
                                         const float *x, const float *mean, const float *invstd, const float *gamma,
                                         const float *beta, float hi, int batch_stats, bool assign, int64_t N,
                                         int64_t C, int64_t HW);
/* Train mode's forward in one pass per channel: stats (mean64, var64) as fv_fast_batch_norm_stats, mean and
 * invstd = 1 / sqrt(var + eps) rounded to float, and out as fv_fast_batch_norm_apply with them (clamp_hi > 0: and
 * clamped): the same bits as those calls, with x read from memory once. */
void fv_fast_batch_norm_train(int threads, float *out, float *mean, float *invstd, double *mean64, double *var64,
                              const float *x, const float *gamma, const float *beta, float eps, int64_t N, int64_t C,
                              int64_t HW, float clamp_hi);
/* x[0, n) = 0 */
void fv_fast_zero(int threads, float *x, int64_t n);

#endif
