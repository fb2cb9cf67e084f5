/* Reference kernels shared by layer, instance and group normalization. All three view x as (A, P, S): A
 * independent samples, P affine channels, S elements per channel; the P channels fall into G groups of P/G
 * consecutive channels, and each (sample, group) is one row of (P/G)*S elements normalized by its own mean
 * and biased variance, then scaled and shifted per channel.
 *   layer norm:    A = outer size, P = normalized size, S = 1, G = 1
 *   instance norm: A = N, P = C, S = spatial size, G = C
 *   group norm:    A = N, P = C, S = spatial size, G = groups */
#ifndef FV_REF_GROUP_NORM_H
#define FV_REF_GROUP_NORM_H

#include <stdint.h>

typedef struct {
    int64_t A, P, S, G; /* G divides P (G >= 1 when P >= 1) */
    float eps;
} fv_ref_group_norm_geom;

/* out (A, P, S) = (x - mean) * invstd * scale[p] + bias[p]; mean and invstd (A, G), when not NULL, receive
 * the statistics (invstd = 1 / sqrt(var + eps), summed in double). scale, bias (P) or NULL (1 and 0). */
void fv_ref_group_norm_forward(float *out, float *mean, float *invstd, const float *x, const float *scale,
                               const float *bias, const fv_ref_group_norm_geom *g);

/* Accumulate (+=) into dx (A, P, S), dscale (P), dbias (P); any may be NULL. dy, x (A, P, S); scale (P) or
 * NULL. dx flows through the statistics as well, which are recomputed from x. */
void fv_ref_group_norm_backward(float *dx, float *dscale, float *dbias, const float *dy, const float *x,
                                const float *scale, const fv_ref_group_norm_geom *g);

#endif
