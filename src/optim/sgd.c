/* SGD with momentum, dampening, Nesterov momentum and (coupled) weight decay: torch.optim.SGD 1.13's
 * single-tensor rule. The momentum buffer starts as a copy of the first gradient, as in PyTorch. */
#include "optim_internal.h"

static fv_optim_layout sgd_layout(const fv_optim_config *c)
{
    fv_optim_layout l = {0};
    if (c->momentum != 0) l.names[l.n++] = "momentum_buffer";
    return l;
}

/* Scalars are rounded to float once, as PyTorch passes them to float32 kernels; elements are updated with
 * PyTorch's order of operations. */
static void sgd_update(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                       float *const *state)
{
    const float wd = c->weight_decay, mom = c->momentum, neg_lr = (float)-lr;
    const float keep = (float)(1.0 - (double)c->dampening);
    float *buf = state[0];
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (wd != 0) d = d + wd * w[i];
        if (mom != 0) {
            buf[i] = step == 1 ? d : buf[i] * mom + keep * d;
            d = c->nesterov ? d + mom * buf[i] : buf[i];
        }
        w[i] = w[i] + neg_lr * d;
    }
}

const fv_optim_rule fv_optim_sgd_rule = {sgd_layout, sgd_update};
