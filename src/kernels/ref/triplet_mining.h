/* Reference kernel of the triplet loss mined inside a batch (Hermans, Beyer and Leibe 2017, "In Defense of the
 * Triplet Loss"): N embeddings of D floats with integer identities, Euclidean distances between all pairs, and
 * either the hardest positive and negative of each anchor (batch-hard: the mean over anchors that have both
 * of max(0, d_ap - d_an + margin)) or every valid triplet (batch-all: the sum of the positive hinges over how
 * many are positive, 0 when none is). Sums in double. */
#ifndef FV_REF_TRIPLET_MINING_H
#define FV_REF_TRIPLET_MINING_H

#include <stdbool.h>
#include <stdint.h>

/* The loss into *loss; e (N, D), labels (N). False without memory for the N x N distances. */
bool fv_ref_triplet_mined_forward(double *loss, const float *e, const int64_t *labels, int64_t N, int64_t D,
                                  float margin, bool batch_all);
/* de (N, D) += dl * d loss / d e. A pair at distance 0 passes no gradient (the distance has no direction). */
void fv_ref_triplet_mined_backward(float *de, float dl, const float *e, const int64_t *labels, int64_t N, int64_t D,
                                   float margin, bool batch_all);

#endif
