/* The optimizer's fields and the interface between the step driver (optimizer.c) and the per-kind update
 * rules (sgd.c, rmsprop.c, adagrad.c, adam.c), the penalties (regularize.c) and the state file
 * (state_file.c). Not part of the public API. */
#ifndef FV_OPTIM_INTERNAL_H
#define FV_OPTIM_INTERNAL_H

#include "../core/internal.h"
#include "fovea/optim.h"

/* The most per-parameter state buffers a kind keeps (RMSProp: square_avg, momentum_buffer, grad_avg). */
#define FV_OPTIM_MAX_STATE 3

/* One parameter under the optimizer. Like PyTorch's per-parameter state, each keeps its own step count:
 * a parameter frozen for a while starts its bias corrections (Adam) or momentum (SGD) when first updated. */
typedef struct {
    fv_param *p;                        /* retained (refs++) for the optimizer's lifetime */
    int group;
    long step;                          /* updates of this parameter so far */
    float *state[FV_OPTIM_MAX_STATE];   /* n_state buffers of p->value.size floats, zeroed at creation */
} fv_optim_slot;

/* The state layout of a kind under a config: how many buffers and their names (as PyTorch's state keys). */
typedef struct {
    int n;
    const char *names[FV_OPTIM_MAX_STATE];
} fv_optim_layout;

/* Update one parameter in place: w and g hold n floats, state the layout's buffers, step the parameter's
 * step count including this update (1 on the first), lr the group's current learning rate. g already
 * holds any penalty and clipping; weight decay is the update rule's own business. */
typedef void (*fv_optim_update_fn)(const fv_optim_config *c, double lr, long step, int64_t n, float *w,
                                   const float *g, float *const *state);

typedef struct {
    fv_optim_layout (*layout)(const fv_optim_config *c);
    fv_optim_update_fn update;
} fv_optim_rule;

struct fv_optimizer {
    fv_ctx *ctx;
    fv_optim_config cfg;
    fv_optim_rule rule;
    fv_optim_layout layout;
    float lr_factor;    /* set by schedules; checked at each step */
    long steps;         /* successful calls of fv_optim_step */
    double last_norm;   /* global gradient norm before clipping, at the last step */
    float *group_lr;    /* base learning rate of each group */
    int n_groups;
    fv_optim_slot *slots;
    int n_slots;
};

/* Per-kind rules (sgd.c, rmsprop.c, adagrad.c, adam.c; adam.c serves Adam and AdamW). */
extern const fv_optim_rule fv_optim_sgd_rule, fv_optim_rmsprop_rule, fv_optim_adagrad_rule, fv_optim_adam_rule;

/* Config checks (config.c): records a message naming the option and its value and returns FV_ERR_ARG. */
fv_status fv_optim_check_config(fv_ctx *ctx, const fv_optim_config *c);

/* Penalties (regularize.c). Whether a slot is penalized: a trainable weight. */
bool fv_optim_penalized(const fv_optim_slot *s);
/* l1 * sum|w| + l2 * sum w^2 over the penalized slots, summed in double. */
double fv_optim_penalty_value(const fv_optimizer *opt);
/* grad += l1 * sign(w) + 2 * l2 * w on the penalized slots (the gradient of the penalty). */
void fv_optim_add_penalty_grad(fv_optimizer *opt);

#endif
