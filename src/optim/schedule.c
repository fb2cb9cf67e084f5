/* Learning-rate schedules as a factor of the base learning rate at an epoch, in closed form: StepLR,
 * ExponentialLR and CosineAnnealingLR give these factors for epochs 0, 1, 2, ... (PyTorch's recursive
 * get_lr computes the same numbers up to rounding). The training loop passes the factor to
 * fv_optim_set_lr_factor at the start of each epoch. */
#include <math.h>

#include "optim_internal.h"

fv_status fv_schedule_check(fv_ctx *ctx, const fv_schedule *s)
{
    if (!s) return fv_error(ctx, FV_ERR_ARG, "schedule: none given");
    switch (s->kind) {
    case FV_SCHED_CONSTANT: return FV_OK;
    case FV_SCHED_STEP:
    case FV_SCHED_EXPONENTIAL:
        if (s->kind == FV_SCHED_STEP && s->step_size < 1)
            return fv_error(ctx, FV_ERR_ARG, "step schedule: step_size %d must be >= 1", s->step_size);
        if (!(isfinite(s->gamma) && s->gamma >= 0))
            return fv_error(ctx, FV_ERR_ARG, "%s schedule: gamma %g must be a finite number >= 0",
                            s->kind == FV_SCHED_STEP ? "step" : "exponential", (double)s->gamma);
        return FV_OK;
    case FV_SCHED_COSINE:
        if (s->t_max < 1) return fv_error(ctx, FV_ERR_ARG, "cosine schedule: t_max %d must be >= 1", s->t_max);
        if (!(isfinite(s->min_factor) && s->min_factor >= 0))
            return fv_error(ctx, FV_ERR_ARG, "cosine schedule: min_factor %g must be a finite number >= 0",
                            (double)s->min_factor);
        return FV_OK;
    default: return fv_error(ctx, FV_ERR_ARG, "schedule kind %d is unknown", (int)s->kind);
    }
}

float fv_schedule_factor(const fv_schedule *s, int epoch)
{
    if (epoch < 0 || fv_schedule_check(NULL, s) != FV_OK) return NAN;
    switch (s->kind) {
    case FV_SCHED_STEP: return (float)pow((double)s->gamma, (double)(epoch / s->step_size));
    case FV_SCHED_EXPONENTIAL: return (float)pow((double)s->gamma, (double)epoch);
    case FV_SCHED_COSINE: {
        const double pi = 3.14159265358979323846, lo = s->min_factor;
        return (float)(lo + (1.0 - lo) * (1.0 + cos(pi * (double)epoch / (double)s->t_max)) / 2.0);
    }
    default: return 1.0f;
    }
}
