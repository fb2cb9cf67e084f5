/* Reference kernels of the losses on logits of independent binary decisions (multi-label classification,
 * per-pixel masks) and of the soft Dice loss. Each element's loss goes to l (the op applies the reduction);
 * backward adds (+=) dl[i * dl_step] times the element's gradient (NULL: not wanted): dl_step 1 for one
 * gradient per element (reduction none), 0 for one shared by all (the mean's or the sum's share). Arithmetic
 * in double. */
#ifndef FV_REF_BINARY_LOSS_H
#define FV_REF_BINARY_LOSS_H

#include <stdbool.h>
#include <stdint.h>

/* BCE on logits with a weight on the positive term (PyTorch's BCEWithLogitsLoss, pos_weight along the last
 * axis of length K, NULL: 1): l = (1 - t) x + (1 + (w - 1) t) (log(1 + e^-|x|) + max(-x, 0)). */
void fv_ref_bce_weighted_forward(float *l, const float *x, const float *t, const float *pos_weight, int64_t M,
                                 int64_t K);
void fv_ref_bce_weighted_backward(float *dx, float *dt, const float *dl, int64_t dl_step, const float *x, const float *t,
                                  const float *pos_weight, int64_t M, int64_t K);

/* Sigmoid focal loss (Lin et al. 2017; torchvision's sigmoid_focal_loss): p = sigmoid(x), ce the BCE on
 * logits, p_t = p t + (1 - p)(1 - t), l = a_t ce (1 - p_t)^gamma with a_t = alpha t + (1 - alpha)(1 - t),
 * or 1 when alpha < 0. Only x gets a gradient. */
void fv_ref_focal_forward(float *l, const float *x, const float *t, int64_t M, float alpha, float gamma);
void fv_ref_focal_backward(float *dx, const float *dl, int64_t dl_step, const float *x, const float *t, int64_t M, float alpha,
                           float gamma);

/* Soft Dice loss over probabilities p (N, C, S) (S: the positions of a sample) against targets t of the same
 * layout: per class c over the batch, dice_c = (2 sum p t + s) / (sum p + sum t + s); the loss is 1 - the mean
 * of dice_c over the classes (a scalar). labels (N, S) of class indices stand for one-hot targets when t is
 * NULL (an index outside [0, C) matches no class). Only p gets a gradient: dp += dl * d loss / d p. */
double fv_ref_dice_forward(const float *p, const float *t, const int32_t *labels, int64_t N, int64_t C, int64_t S,
                           float smooth);
void fv_ref_dice_backward(float *dp, float dl, const float *p, const float *t, const int32_t *labels, int64_t N,
                          int64_t C, int64_t S, float smooth);

/* KL divergence terms (F.kl_div): l = t (log t - x), 0 where t is 0 (log_t: exp(t) (t - x)); dx += -dl t
 * (or -dl exp(t)). */
void fv_ref_kl_div_forward(float *l, const float *x, const float *t, int64_t M, bool log_target);
void fv_ref_kl_div_backward(float *dx, const float *dl, int64_t dl_step, const float *t, int64_t M, bool log_target);

#endif
