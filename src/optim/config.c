/* Optimizer configuration: PyTorch's defaults per kind, the kinds' names, and the checks of a config, which
 * follow torch.optim's constructors (and also refuse NaN and infinite values, and eps <= 0 where eps
 * divides, which would turn every weight into inf or NaN on the first step). */
#include <math.h>

#include "optim_internal.h"

const char *fv_optim_name(fv_optim_kind kind)
{
    static const char *names[FV_OPT_COUNT] = {"sgd", "rmsprop", "adagrad", "adam", "adamw"};
    return (unsigned)kind < FV_OPT_COUNT ? names[kind] : "unknown optimizer";
}

/* torch.optim's defaults. SGD's lr has no default in PyTorch 1.13 (it is required); 1e-3 is the default
 * later PyTorch versions gave it. Fields a kind does not use keep PyTorch's values for the kinds that do. */
fv_optim_config fv_optim_defaults(fv_optim_kind kind)
{
    fv_optim_config c = {0};
    c.kind = kind;
    c.lr = 1e-3f;
    c.alpha = 0.99f;
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.eps = 1e-8f;
    switch (kind) {
    case FV_OPT_RMSPROP: c.lr = 1e-2f; break;
    case FV_OPT_ADAGRAD: c.lr = 1e-2f, c.eps = 1e-10f; break;
    case FV_OPT_ADAMW: c.weight_decay = 1e-2f; break;
    default: break;
    }
    return c;
}

/* Every float option, so that a NaN or an infinity anywhere is caught with its name. */
static fv_status check_finite(fv_ctx *ctx, const fv_optim_config *c)
{
    const struct { const char *name; float v; } f[] = {
        {"lr", c->lr}, {"momentum", c->momentum}, {"dampening", c->dampening}, {"alpha", c->alpha},
        {"beta1", c->beta1}, {"beta2", c->beta2}, {"eps", c->eps}, {"lr_decay", c->lr_decay},
        {"initial_accumulator", c->initial_accumulator}, {"weight_decay", c->weight_decay}, {"l1", c->l1},
        {"l2", c->l2}, {"clip_norm", c->clip_norm},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!isfinite(f[i].v))
            return fv_error(ctx, FV_ERR_ARG, "%s: %s %g is not a finite number", fv_optim_name(c->kind),
                            f[i].name, (double)f[i].v);
    return FV_OK;
}

static fv_status at_least_zero(fv_ctx *ctx, const fv_optim_config *c, const char *name, float v)
{
    if (v >= 0) return FV_OK;
    return fv_error(ctx, FV_ERR_ARG, "%s: %s %g must be >= 0", fv_optim_name(c->kind), name, (double)v);
}

static fv_status positive(fv_ctx *ctx, const fv_optim_config *c, const char *name, float v)
{
    if (v > 0) return FV_OK;
    return fv_error(ctx, FV_ERR_ARG, "%s: %s %g must be > 0", fv_optim_name(c->kind), name, (double)v);
}

static fv_status in_unit(fv_ctx *ctx, const fv_optim_config *c, const char *name, float v, bool one_ok)
{
    if (v >= 0 && (v < 1 || (one_ok && v == 1))) return FV_OK;
    return fv_error(ctx, FV_ERR_ARG, "%s: %s %g must be in [0, 1%c", fv_optim_name(c->kind), name, (double)v,
                    one_ok ? ']' : ')');
}

/* The options every kind shares. */
static fv_status check_common(fv_ctx *ctx, const fv_optim_config *c)
{
    fv_status s;
    if ((s = check_finite(ctx, c)) || (s = at_least_zero(ctx, c, "lr", c->lr)) ||
        (s = at_least_zero(ctx, c, "weight_decay", c->weight_decay)) || (s = at_least_zero(ctx, c, "l1", c->l1)) ||
        (s = at_least_zero(ctx, c, "l2", c->l2)) || (s = at_least_zero(ctx, c, "clip_norm", c->clip_norm)))
        return s;
    return FV_OK;
}

static fv_status check_sgd(fv_ctx *ctx, const fv_optim_config *c)
{
    fv_status s = at_least_zero(ctx, c, "momentum", c->momentum);
    if (s) return s;
    /* PyTorch's rule: Nesterov momentum requires a momentum and zero dampening. */
    if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
        return fv_error(ctx, FV_ERR_ARG, "sgd: nesterov needs momentum > 0 and dampening 0 (momentum %g, dampening %g)",
                        (double)c->momentum, (double)c->dampening);
    return FV_OK;
}

static fv_status check_kind(fv_ctx *ctx, const fv_optim_config *c)
{
    fv_status s = FV_OK;
    switch (c->kind) {
    case FV_OPT_SGD: return check_sgd(ctx, c);
    case FV_OPT_RMSPROP:
        (void)((s = at_least_zero(ctx, c, "momentum", c->momentum)) || (s = in_unit(ctx, c, "alpha", c->alpha, true)) ||
               (s = positive(ctx, c, "eps", c->eps)));
        return s;
    case FV_OPT_ADAGRAD:
        (void)((s = at_least_zero(ctx, c, "lr_decay", c->lr_decay)) ||
               (s = at_least_zero(ctx, c, "initial_accumulator", c->initial_accumulator)) ||
               (s = positive(ctx, c, "eps", c->eps)));
        return s;
    case FV_OPT_ADAM:
    case FV_OPT_ADAMW:
        (void)((s = in_unit(ctx, c, "beta1", c->beta1, false)) || (s = in_unit(ctx, c, "beta2", c->beta2, false)) ||
               (s = positive(ctx, c, "eps", c->eps)));
        return s;
    default: return fv_error(ctx, FV_ERR_ARG, "optimizer kind %d is not one of 0..%d", (int)c->kind, FV_OPT_COUNT - 1);
    }
}

fv_status fv_optim_check_config(fv_ctx *ctx, const fv_optim_config *c)
{
    if (!c) return fv_error(ctx, FV_ERR_ARG, "optimizer: no config given");
    if ((unsigned)c->kind >= FV_OPT_COUNT)
        return fv_error(ctx, FV_ERR_ARG, "optimizer kind %d is not one of 0..%d", (int)c->kind, FV_OPT_COUNT - 1);
    fv_status s = check_common(ctx, c);
    return s ? s : check_kind(ctx, c);
}
