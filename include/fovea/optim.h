/* fovea optimizers: SGD (momentum, Nesterov), RMSProp, AdaGrad, Adam and AdamW with PyTorch's update
 * rules; L1, L2 and elastic-net penalties; clipping by global norm; parameter groups with their own
 * learning rates; learning-rate schedules; saving and restoring the optimizer's state. */
#ifndef FOVEA_OPTIM_H
#define FOVEA_OPTIM_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FV_OPT_SGD = 0, FV_OPT_RMSPROP, FV_OPT_ADAGRAD, FV_OPT_ADAM, FV_OPT_ADAMW, FV_OPT_COUNT } fv_optim_kind;

typedef struct {
    fv_optim_kind kind;
    float lr;
    float momentum;      /* SGD, RMSProp */
    float dampening;     /* SGD */
    bool nesterov;       /* SGD */
    float alpha;         /* RMSProp smoothing constant (0.99) */
    bool centered;       /* RMSProp */
    float beta1, beta2;  /* Adam, AdamW (0.9, 0.999) */
    float eps;           /* RMSProp, AdaGrad, Adam, AdamW */
    float lr_decay;      /* AdaGrad */
    float initial_accumulator; /* AdaGrad */
    float weight_decay;  /* PyTorch's: added to the gradient (SGD, RMSProp, AdaGrad, Adam), decoupled (AdamW) */
    float l1, l2;        /* Keras-style penalties on weights: loss += l1 * sum|w| + l2 * sum w^2 */
    float clip_norm;     /* > 0: scale all gradients so that their global L2 norm is at most this */
} fv_optim_config;

/* PyTorch's defaults for the kind: SGD lr 1e-3 (required in PyTorch 1.13; later versions' default), no
 * momentum; RMSProp lr 1e-2, alpha 0.99, eps 1e-8; AdaGrad lr 1e-2, eps 1e-10; Adam lr 1e-3, betas
 * 0.9/0.999, eps 1e-8; AdamW the same with weight decay 1e-2. No penalties, no clipping. */
fv_optim_config fv_optim_defaults(fv_optim_kind kind);
const char *fv_optim_name(fv_optim_kind kind);

typedef struct fv_optimizer fv_optimizer;

/* NULL with a message naming the option and its value when the config is invalid (PyTorch's checks: lr,
 * weight decay, momentum >= 0; betas in [0, 1); Nesterov needs momentum > 0 and no dampening; also eps > 0
 * where it divides, alpha in [0, 1], and no NaN or infinity anywhere). */
fv_optimizer *fv_optim_new(fv_ctx *ctx, const fv_optim_config *cfg);
/* Releases the optimizer's references to its parameters. */
void fv_optim_free(fv_optimizer *opt);
/* Add a group of parameters with its own base learning rate (lr < 0: the config's). Returns the group's
 * index or -1 (a NULL parameter, one already in a group: the optimizer is then unchanged). The optimizer
 * holds a reference to each parameter (refs++) until fv_optim_free. Buffers are skipped; frozen
 * parameters are kept but not updated, penalized or counted in the gradient norm while frozen. Each
 * parameter keeps its own step count, as in PyTorch's per-parameter state. */
int fv_optim_add_group(fv_optimizer *opt, fv_param *const *params, int n, float lr);
/* Multiply every group's base learning rate by factor (what a schedule sets each epoch). A factor that is
 * not a finite number >= 0 makes the next fv_optim_step fail with FV_ERR_ARG. */
void fv_optim_set_lr_factor(fv_optimizer *opt, float factor);
/* The group's current learning rate (base * factor), or -1 for a bad index. */
float fv_optim_group_lr(const fv_optimizer *opt, int group);

/* One update of every trainable parameter from its gradient, in this order (that of a PyTorch loop whose
 * loss includes the penalty and which calls clip_grad_norm_ before optimizer.step()):
 *   1. add the penalty gradient l1 * sign(w) + 2 * l2 * w to each trainable weight's grad (in place);
 *   2. measure the global L2 norm of all trainable grads; scale them by clip_norm / (norm + 1e-6) when that
 *      is below 1 (in place, like torch.nn.utils.clip_grad_norm_);
 *   3. apply the kind's update with each group's learning rate.
 * A non-finite gradient stops the step before any weight changes: FV_ERR_NUMERIC naming the parameter. */
fv_status fv_optim_step(fv_optimizer *opt);
void fv_optim_zero_grad(fv_optimizer *opt);
/* The value of the L1/L2 penalty for the current weights (to add to the reported loss). */
double fv_optim_penalty(const fv_optimizer *opt);
/* Global L2 norm of the gradients before clipping, as of the last step. */
double fv_optim_last_grad_norm(const fv_optimizer *opt);
long fv_optim_steps(const fv_optimizer *opt);

/* State (step counts and per-parameter buffers) to and from a file (format in src/optim/state_file.c),
 * written atomically: a failed save leaves any old file as it was. Loading checks the magic, version,
 * optimizer kind, buffer layout, every parameter's name and shape, sizes and a checksum, and changes
 * nothing unless all of it is right (FV_ERR_FORMAT naming the file and the problem; FV_ERR_IO when it
 * cannot be opened). The optimizer must have the same groups of parameters, in the same order. */
fv_status fv_optim_save(const fv_optimizer *opt, const char *path);
fv_status fv_optim_load(fv_optimizer *opt, const char *path);
/* The same bytes in memory (for a model file's "optimizer" blob): a malloc'd buffer the caller frees, and a
 * reader that checks and restores like fv_optim_load; what names the bytes in messages ("model.fvm"). */
fv_status fv_optim_save_mem(const fv_optimizer *opt, void **buf, size_t *len);
fv_status fv_optim_load_mem(fv_optimizer *opt, const void *buf, size_t len, const char *what);

/* ---- schedules ---------------------------------------------------------------------------------- */

typedef enum { FV_SCHED_CONSTANT = 0, FV_SCHED_STEP, FV_SCHED_EXPONENTIAL, FV_SCHED_COSINE } fv_schedule_kind;

typedef struct {
    fv_schedule_kind kind;
    int step_size;       /* STEP: multiply by gamma every step_size epochs */
    float gamma;         /* STEP, EXPONENTIAL */
    int t_max;           /* COSINE: epochs of one half period */
    float min_factor;    /* COSINE: eta_min / base lr */
} fv_schedule;

/* Factor of the base learning rate at an epoch (0-based), as PyTorch's StepLR, ExponentialLR and
 * CosineAnnealingLR give it: gamma^(epoch / step_size), gamma^epoch, and
 * min + (1 - min) * (1 + cos(pi * epoch / t_max)) / 2 (periodic past t_max, as PyTorch's).
 * NaN for an invalid schedule or a negative epoch. */
float fv_schedule_factor(const fv_schedule *s, int epoch);
/* FV_OK, or FV_ERR_ARG with a message naming the bad field (step_size, t_max >= 1; gamma, min_factor
 * finite and >= 0). */
fv_status fv_schedule_check(fv_ctx *ctx, const fv_schedule *s);

#ifdef __cplusplus
}
#endif
#endif
