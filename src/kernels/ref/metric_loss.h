/* Reference kernels of the metric-learning losses on embeddings: N samples of D-dimensional rows, one loss per
 * sample (the op applies the reduction), sums in double. Backward adds (+=) dl[i * dl_step] (dl_step 0: one
 * gradient shared by every sample, the mean's or the sum's) times each sample's
 * gradient into the embeddings' gradients (NULL: not wanted); targets get none. */
#ifndef FV_REF_METRIC_LOSS_H
#define FV_REF_METRIC_LOSS_H

#include <stdbool.h>
#include <stdint.h>

/* Contrastive (Hadsell, Chopra and LeCun 2006), y = 1 for a pair of the same identity, 0 for different ones:
 * l = y d^2 / 2 + (1 - y) max(0, margin - d)^2 / 2, d = ||a - b||_2. At d = 0 the gradient is 0 (the distance
 * has no direction there). */
void fv_ref_contrastive_forward(float *l, const float *a, const float *b, const float *y, int64_t N, int64_t D,
                                float margin);
void fv_ref_contrastive_backward(float *da, float *db, const float *dl, int64_t dl_step, const float *a, const float *b,
                                 const float *y, int64_t N, int64_t D, float margin);

/* Triplet margin (PyTorch's F.triplet_margin_loss): l = max(0, d(a, p) - d(a, n) + margin), d(x, z) =
 * ||x - z + eps||_p (F.pairwise_distance); swap: d(a, n) becomes min(d(a, n), d(p, n)). */
typedef struct {
    float margin, p, eps;
    bool swap;
} fv_ref_triplet_args;
void fv_ref_triplet_forward(float *l, const float *a, const float *p, const float *n, int64_t N, int64_t D,
                            const fv_ref_triplet_args *t);
void fv_ref_triplet_backward(float *da, float *dp, float *dn, const float *dl, int64_t dl_step, const float *a, const float *p,
                             const float *n, int64_t N, int64_t D, const fv_ref_triplet_args *t);

/* Cosine embedding (F.cosine_embedding_loss): cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)),
 * l = 1 - cos where y = 1, max(0, cos - margin) where y = -1, 0 for any other y. */
void fv_ref_cosine_embedding_forward(float *l, const float *x1, const float *x2, const float *y, int64_t N,
                                     int64_t D, float margin);
void fv_ref_cosine_embedding_backward(float *d1, float *d2, const float *dl, int64_t dl_step, const float *x1, const float *x2,
                                      const float *y, int64_t N, int64_t D, float margin);

#endif
