/* L1, L2 and elastic-net penalties with Keras's semantics: loss += l1 * sum|w| + l2 * sum w^2 over the
 * trainable weights (never buffers, never frozen weights). The optimizer adds their gradient,
 * l1 * sign(w) + 2 * l2 * w, to each weight's gradient before clipping and the update, which is what a
 * PyTorch loop gets by adding the same penalty to its loss. */
#include <math.h>

#include "optim_internal.h"

bool fv_optim_penalized(const fv_optim_slot *s)
{
    return s->p->kind == FV_PARAM_WEIGHT && s->p->trainable;
}

double fv_optim_penalty_value(const fv_optimizer *opt)
{
    const double l1 = opt->cfg.l1, l2 = opt->cfg.l2;
    if (l1 == 0 && l2 == 0) return 0;
    double abs_sum = 0, sq_sum = 0;
    for (int k = 0; k < opt->n_slots; k++) {
        const fv_optim_slot *s = &opt->slots[k];
        if (!fv_optim_penalized(s)) continue;
        const float *w = fv_f32(&s->p->value);
        for (int64_t i = 0; i < s->p->value.size; i++) {
            abs_sum += fabs((double)w[i]);
            sq_sum += (double)w[i] * (double)w[i];
        }
    }
    return l1 * abs_sum + l2 * sq_sum;
}

/* sign(0) = 0, as torch.sign (the subgradient PyTorch's abs backward uses). */
static float sign(float x) { return x > 0 ? 1.0f : x < 0 ? -1.0f : 0.0f; }

void fv_optim_add_penalty_grad(fv_optimizer *opt)
{
    const float l1 = opt->cfg.l1, l2 = opt->cfg.l2;
    if (l1 == 0 && l2 == 0) return;
    for (int k = 0; k < opt->n_slots; k++) {
        fv_optim_slot *s = &opt->slots[k];
        if (!fv_optim_penalized(s)) continue;
        const float *w = fv_f32(&s->p->value);
        float *g = fv_f32(&s->p->grad);
        for (int64_t i = 0; i < s->p->value.size; i++) g[i] = g[i] + (l1 * sign(w[i]) + l2 * (2.0f * w[i]));
    }
}
