/* The optimizer object: parameter groups with their own base learning rate, the learning-rate factor that
 * schedules set, and the step driver. One step is: penalties into the gradients, clipping by the global
 * norm, then the kind's update of every trainable parameter (the order of a PyTorch loop whose loss holds
 * the penalty and which calls clip_grad_norm_ before optimizer.step()). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/pool.h"
#include "optim_internal.h"

static const fv_optim_rule *rule_of(fv_optim_kind kind)
{
    switch (kind) {
    case FV_OPT_SGD: return &fv_optim_sgd_rule;
    case FV_OPT_RMSPROP: return &fv_optim_rmsprop_rule;
    case FV_OPT_ADAGRAD: return &fv_optim_adagrad_rule;
    default: return &fv_optim_adam_rule; /* Adam and AdamW */
    }
}

fv_optimizer *fv_optim_new(fv_ctx *ctx, const fv_optim_config *cfg)
{
    if (fv_optim_check_config(ctx, cfg) != FV_OK) return NULL;
    fv_optimizer *opt = calloc(1, sizeof *opt);
    if (!opt) {
        fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory creating the optimizer", fv_optim_name(cfg->kind));
        return NULL;
    }
    opt->ctx = ctx;
    opt->cfg = *cfg;
    opt->rule = *rule_of(cfg->kind);
    opt->layout = opt->rule.layout(cfg);
    opt->lr_factor = 1.0f;
    return opt;
}

static void slot_free_state(fv_optim_slot *s)
{
    for (int j = 0; j < FV_OPTIM_MAX_STATE; j++) free(s->state[j]), s->state[j] = NULL;
}

static void slot_release(fv_optim_slot *s)
{
    slot_free_state(s);
    fv_param_free(s->p);
}

void fv_optim_free(fv_optimizer *opt)
{
    if (!opt) return;
    for (int k = 0; k < opt->n_slots; k++) slot_release(&opt->slots[k]);
    free(opt->slots);
    free(opt->group_lr);
    free(opt);
}

/* Refuse what PyTorch refuses (a parameter in two groups) and what cannot be updated. */
static fv_status check_group(fv_optimizer *opt, fv_param *const *params, int n, float lr)
{
    const char *name = fv_optim_name(opt->cfg.kind);
    if (n < 0 || (n > 0 && !params))
        return fv_error(opt->ctx, FV_ERR_ARG, "%s: a group of %d parameters%s", name, n, n < 0 ? "" : " given as NULL");
    if (isnan(lr) || isinf(lr))
        return fv_error(opt->ctx, FV_ERR_ARG, "%s: group learning rate %g is not a finite number", name, (double)lr);
    for (int i = 0; i < n; i++) {
        const fv_param *p = params[i];
        if (!p) return fv_error(opt->ctx, FV_ERR_ARG, "%s: parameter %d of the group is NULL", name, i);
        if (p->value.size != p->grad.size || p->value.dtype != FV_F32)
            return fv_error(opt->ctx, FV_ERR_ARG, "%s: parameter '%s' has no float gradient of its size", name, p->name);
        for (int k = 0; k < opt->n_slots; k++)
            if (opt->slots[k].p == p)
                return fv_error(opt->ctx, FV_ERR_ARG, "%s: parameter '%s' is already in group %d", name, p->name,
                                opt->slots[k].group);
        for (int j = 0; j < i; j++)
            if (params[j] == p)
                return fv_error(opt->ctx, FV_ERR_ARG, "%s: parameter '%s' appears twice in the group", name, p->name);
    }
    return FV_OK;
}

static fv_status slot_init(fv_optimizer *opt, fv_optim_slot *s, fv_param *p, int group)
{
    memset(s, 0, sizeof *s);
    for (int j = 0; j < opt->layout.n; j++) {
        s->state[j] = calloc((size_t)p->value.size, sizeof(float));
        if (!s->state[j]) {
            for (int i = 0; i < j; i++) free(s->state[i]);
            return fv_error(opt->ctx, FV_ERR_NOMEM, "%s: out of memory for the state of '%s' (%lld floats)",
                            fv_optim_name(opt->cfg.kind), p->name, (long long)p->value.size);
        }
    }
    s->p = p;
    s->group = group;
    return FV_OK;
}

/* All or nothing: on failure the optimizer is as before. */
int fv_optim_add_group(fv_optimizer *opt, fv_param *const *params, int n, float lr)
{
    if (!opt || check_group(opt, params, n, lr) != FV_OK) return -1;
    float *lrs = realloc(opt->group_lr, sizeof(float) * (size_t)(opt->n_groups + 1));
    if (!lrs) goto nomem;
    opt->group_lr = lrs;
    fv_optim_slot *slots = realloc(opt->slots, sizeof *slots * (size_t)(opt->n_slots + n + 1));
    if (!slots) goto nomem;
    opt->slots = slots;
    int group = opt->n_groups, added = 0;
    for (int i = 0; i < n; i++) {
        if (params[i]->kind == FV_PARAM_BUFFER) continue; /* updated by the forward pass, never trained */
        if (slot_init(opt, &opt->slots[opt->n_slots + added], params[i], group) != FV_OK) {
            while (added > 0) slot_free_state(&opt->slots[opt->n_slots + --added]);
            return -1;
        }
        added++;
    }
    for (int i = 0; i < added; i++) opt->slots[opt->n_slots + i].p->refs++;
    opt->n_slots += added;
    opt->group_lr[group] = lr < 0 ? opt->cfg.lr : lr;
    opt->n_groups++;
    return group;
nomem:
    fv_error(opt->ctx, FV_ERR_NOMEM, "%s: out of memory adding a group", fv_optim_name(opt->cfg.kind));
    return -1;
}

/* Checked at the next step, which fails with a message if the factor is not a finite number >= 0. */
void fv_optim_set_lr_factor(fv_optimizer *opt, float factor)
{
    if (opt) opt->lr_factor = factor;
}

float fv_optim_group_lr(const fv_optimizer *opt, int group)
{
    if (!opt || group < 0 || group >= opt->n_groups) return -1.0f;
    return (float)((double)opt->group_lr[group] * (double)opt->lr_factor);
}

/* Sum of squares of n floats over 8 interleaved double lanes added in a fixed tree: independent chains run at
 * the adder's throughput where one chain waits on its latency. The order depends on the data alone. */
static double sum_squares(const float *g, int64_t n)
{
    double acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
#pragma omp simd
        for (int j = 0; j < 8; j++) acc[j] += (double)g[i + j] * (double)g[i + j];
    for (int j = 0; i < n; i++, j++) acc[j] += (double)g[i] * (double)g[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Sum of squares of the trainable gradients; *bad names a parameter whose gradient is not finite. */
static double grad_sumsq(const fv_optimizer *opt, const char **bad)
{
    double total = 0;
    *bad = NULL;
    for (int k = 0; k < opt->n_slots; k++) {
        const fv_param *p = opt->slots[k].p;
        if (!p->trainable) continue;
        double sum = sum_squares(fv_f32(&p->grad), p->grad.size);
        if (!isfinite(sum) && !*bad) *bad = p->name;
        total += sum;
    }
    return total;
}

/* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1. */
static void clip(fv_optimizer *opt, double norm)
{
    double coef = (double)opt->cfg.clip_norm / (norm + 1e-6);
    if (coef >= 1) return;
    const float f = (float)coef;
    for (int k = 0; k < opt->n_slots; k++) {
        fv_param *p = opt->slots[k].p;
        if (!p->trainable) continue;
        float *g = fv_f32(&p->grad);
        for (int64_t i = 0; i < p->grad.size; i++) g[i] = g[i] * f;
    }
}

/* One parameter's update, on ranges of its elements for the threads. Every rule is elementwise, so a range
 * gets the same bits whoever updates it and whatever the split. */
typedef struct {
    const fv_optimizer *opt;
    const fv_optim_slot *slot;
    double lr;
} update_job;

#define UPDATE_CHUNK 32768 /* elements per piece: below two pieces, waking threads costs more than it saves */

static void update_range(void *arg, int64_t i0, int64_t i1, int worker)
{
    const update_job *j = arg;
    const fv_optim_slot *s = j->slot;
    float *state[FV_OPTIM_MAX_STATE] = {0};
    for (int b = 0; b < FV_OPTIM_MAX_STATE; b++)
        if (s->state[b]) state[b] = s->state[b] + i0;
    j->opt->rule.update(&j->opt->cfg, j->lr, s->step, i1 - i0, fv_f32(&s->p->value) + i0, fv_f32(&s->p->grad) + i0,
                        state);
}

static void update_slot(const fv_optimizer *opt, const fv_optim_slot *s, int threads)
{
    update_job j = {opt, s, (double)opt->group_lr[s->group] * (double)opt->lr_factor};
    int64_t n = s->p->value.size;
    fv_parallel_for(n >= 2 * UPDATE_CHUNK ? threads : 1, n, UPDATE_CHUNK, update_range, &j);
}

/* A non-finite gradient stops the step before any weight changes (PyTorch would write NaN into every
 * weight): the training loop can skip the batch or stop, and the model is still intact. */
fv_status fv_optim_step(fv_optimizer *opt)
{
    if (!opt) return FV_ERR_ARG;
    const char *name = fv_optim_name(opt->cfg.kind);
    if (!isfinite(opt->lr_factor) || opt->lr_factor < 0)
        return fv_error(opt->ctx, FV_ERR_ARG, "%s: learning-rate factor %g must be a finite number >= 0", name,
                        (double)opt->lr_factor);
    fv_optim_add_penalty_grad(opt);
    const char *bad;
    opt->last_norm = sqrt(grad_sumsq(opt, &bad));
    if (bad)
        return fv_error(opt->ctx, FV_ERR_NUMERIC, "%s step %ld: the gradient of '%s' is not finite (global norm %g); "
                        "no weight was updated", name, opt->steps + 1, bad, opt->last_norm);
    if (opt->cfg.clip_norm > 0) clip(opt, opt->last_norm);
    int threads = fv_ctx_reference_kernels(opt->ctx) ? 1 : fv_ctx_threads(opt->ctx);
    for (int k = 0; k < opt->n_slots; k++) {
        fv_optim_slot *s = &opt->slots[k];
        if (!s->p->trainable) continue;
        s->step++;
        update_slot(opt, s, threads);
    }
    opt->steps++;
    return FV_OK;
}

void fv_optim_zero_grad(fv_optimizer *opt)
{
    if (!opt) return;
    for (int k = 0; k < opt->n_slots; k++) fv_param_zero_grad(opt->slots[k].p);
}

double fv_optim_penalty(const fv_optimizer *opt) { return opt ? fv_optim_penalty_value(opt) : 0; }
double fv_optim_last_grad_norm(const fv_optimizer *opt) { return opt ? opt->last_norm : 0; }
long fv_optim_steps(const fv_optimizer *opt) { return opt ? opt->steps : 0; }
