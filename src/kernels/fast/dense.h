/* Dense layers on a few rows (batch-1 inference and the like): one pass over the weights as dot products. */
#ifndef FV_FAST_DENSE_H
#define FV_FAST_DENSE_H

#include <stdint.h>

/* The most rows fv_fast_dense_few_rows takes. */
#define FV_DENSE_FEW_ROWS 4

/* out (N, OC) = inp (N, C) weight^T + bias (OC, or NULL), for N <= FV_DENSE_FEW_ROWS; weight (OC, C). Each output
 * is one dot product summed by one thread in a fixed order: bit-identical for any thread count. */
void fv_fast_dense_few_rows(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            int64_t N, int64_t C, int64_t OC);

#endif
