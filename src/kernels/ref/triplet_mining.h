/* Reference kernel of the triplet loss mined inside a batch (Hermans, Beyer and Leibe 2017, "In Defense of the
 * Triplet Loss"): N embeddings of D floats with integer identities, Euclidean distances between all pairs, and
 * either the hardest positive and negative of each anchor (batch-hard: the mean over anchors that have both
 * of max(0, d_ap - d_an + margin)), or every valid triplet (batch-all: the sum of the positive hinges over how
 * many are positive, 0 when none is), or each positive pair with its semi-hard negative (FaceNet's: the mean
 * over pairs whose anchor has a negative). Sums in double. */
#ifndef FV_REF_TRIPLET_MINING_H
#define FV_REF_TRIPLET_MINING_H

#include <stdbool.h>
#include <stdint.h>

/* The same numbers as fv_triplet_mining (fovea/ops_loss.h), which the kernels do not include. */
enum { FV_MINE_HARD = 0, FV_MINE_ALL = 1, FV_MINE_SEMI_HARD = 2 };

/* The loss into *loss; e (N, D), labels (N). False without memory for the N x N distances. */
bool fv_ref_triplet_mined_forward(double *loss, const float *e, const int64_t *labels, int64_t N, int64_t D,
                                  float margin, int mining);
/* de (N, D) += dl * d loss / d e. A pair at distance 0 passes no gradient (the distance has no direction). */
void fv_ref_triplet_mined_backward(float *de, float dl, const float *e, const int64_t *labels, int64_t N, int64_t D,
                                   float margin, int mining);

#endif
