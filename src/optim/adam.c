/* Adam and AdamW: torch.optim.Adam / AdamW 1.13's single-tensor rules (no amsgrad). Adam adds the weight
 * decay to the gradient; AdamW first shrinks the weights by (1 - lr * weight_decay), decoupled from the
 * moments. Bias corrections use the parameter's own step count. */
#include <math.h>

#include "optim_internal.h"

static fv_optim_layout adam_layout(const fv_optim_config *c)
{
    fv_optim_layout l = {2, {"exp_avg", "exp_avg_sq"}};
    (void)c;
    return l;
}

static void adam_update(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                        float *const *state)
{
    const bool decoupled = c->kind == FV_OPT_ADAMW;
    const float wd = c->weight_decay, b1 = c->beta1, b2 = c->beta2, eps = c->eps;
    const float one_b1 = (float)(1.0 - (double)b1), one_b2 = (float)(1.0 - (double)b2);
    const double bc1 = 1.0 - pow((double)b1, (double)step), bc2 = 1.0 - pow((double)b2, (double)step);
    const float neg_step = (float)(-lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float shrink = (float)(1.0 - lr * (double)wd);
    float *m = state[0], *v = state[1];
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (decoupled) w[i] = w[i] * shrink;
        else if (wd != 0) d = d + wd * w[i];
        m[i] = m[i] * b1 + one_b1 * d;
        v[i] = v[i] * b2 + one_b2 * d * d;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        w[i] = w[i] + neg_step * m[i] / denom;
    }
}

const fv_optim_rule fv_optim_adam_rule = {adam_layout, adam_update};
