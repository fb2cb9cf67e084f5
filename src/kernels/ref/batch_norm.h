/* Reference kernels of batch normalization over (N, C, HW) data: per-channel statistics, the normalizing
 * affine map and its gradients. A 2-D input (N, C) is the case HW = 1. */
#ifndef FV_REF_BATCH_NORM_H
#define FV_REF_BATCH_NORM_H

#include <stdint.h>

/* mean (C), var (C) = per-channel mean and biased variance of x (N, C, HW), computed in double. */
void fv_ref_batch_norm_stats(double *mean, double *var, const float *x, int64_t N, int64_t C, int64_t HW);

/* out (N, C, HW) = (x - mean) * invstd * gamma + beta; x (N, C, HW), mean, invstd (C), gamma, beta (C) or
 * NULL (scale 1, shift 0). */
void fv_ref_batch_norm_apply(float *out, const float *x, const float *mean, const float *invstd,
                             const float *gamma, const float *beta, int64_t N, int64_t C, int64_t HW);

/* Accumulate (+=) into dx (N, C, HW), dgamma (C), dbeta (C); any of them may be NULL. dy, x (N, C, HW);
 * mean, invstd (C): the statistics forward used; gamma (C) or NULL. batch_stats: the statistics were the
 * batch's own (train mode), so dx also flows through them; otherwise (running statistics, eval mode) dx is
 * the affine map dy * gamma * invstd. */
void fv_ref_batch_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                int64_t N, int64_t C, int64_t HW);

/* The same for channel c alone (the channels are independent: faster kernels run them on several threads). */
void fv_ref_batch_norm_stats_channel(double *mean, double *var, const float *x, int64_t c, int64_t N, int64_t C,
                                     int64_t HW);
void fv_ref_batch_norm_backward_channel(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                                        const float *mean, const float *invstd, const float *gamma, int batch_stats,
                                        int64_t c, int64_t N, int64_t C, int64_t HW);

#endif
