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

/* PyTorch's defaults for the kind (Adam: lr 1e-3, betas 0.9/0.999, eps 1e-8; AdamW: weight decay 1e-2...). */
fv_optim_config fv_optim_defaults(fv_optim_kind kind);
const char *fv_optim_name(fv_optim_kind kind);

typedef struct fv_optimizer fv_optimizer;

fv_optimizer *fv_optim_new(fv_ctx *ctx, const fv_optim_config *cfg);
void fv_optim_free(fv_optimizer *opt);
/* Add a group of parameters with its own base learning rate (lr < 0: the config's). Returns the group's
 * index or -1. Buffers are skipped; frozen parameters are kept but not updated while frozen. */
int fv_optim_add_group(fv_optimizer *opt, fv_param *const *params, int n, float lr);
/* Multiply every group's base learning rate by factor (what a schedule sets each epoch). */
void fv_optim_set_lr_factor(fv_optimizer *opt, float factor);
float fv_optim_group_lr(const fv_optimizer *opt, int group);

/* One update of every trainable parameter from its gradient: clip, add penalties, update. */
fv_status fv_optim_step(fv_optimizer *opt);
void fv_optim_zero_grad(fv_optimizer *opt);
/* The value of the L1/L2 penalty for the current weights (to add to the reported loss). */
double fv_optim_penalty(const fv_optimizer *opt);
/* Global L2 norm of the gradients before clipping, as of the last step. */
double fv_optim_last_grad_norm(const fv_optimizer *opt);
long fv_optim_steps(const fv_optimizer *opt);

/* State (step count and per-parameter buffers) to and from a file, written atomically. Loading checks
 * that the optimizer kind and every parameter's name and shape match. */
fv_status fv_optim_save(const fv_optimizer *opt, const char *path);
fv_status fv_optim_load(fv_optimizer *opt, const char *path);

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
 * CosineAnnealingLR give it. */
float fv_schedule_factor(const fv_schedule *s, int epoch);

#ifdef __cplusplus
}
#endif
#endif
