/* RMSProp: torch.optim.RMSprop 1.13's single-tensor rule, with eps added outside the square root, optional
 * momentum (a buffer that starts at zero), the centered variant and coupled weight decay. */
#include <math.h>

#include "optim_internal.h"

enum { SQUARE_AVG, MOMENTUM_BUF, GRAD_AVG };

/* The buffers are always at fixed positions in `state`; unused ones are simply not allocated. The layout
 * lists the allocated ones in order, so momentum (when present) comes before grad_avg. */
static fv_optim_layout rmsprop_layout(const fv_optim_config *c)
{
    fv_optim_layout l = {0};
    l.names[l.n++] = "square_avg";
    if (c->momentum > 0) l.names[l.n++] = "momentum_buffer";
    if (c->centered) l.names[l.n++] = "grad_avg";
    return l;
}

static void rmsprop_update(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                           float *const *state)
{
    const float wd = c->weight_decay, a = c->alpha, one_a = (float)(1.0 - (double)c->alpha);
    const float mom = c->momentum, eps = c->eps, neg_lr = (float)-lr;
    float *sq = state[0];
    float *buf = mom > 0 ? state[1] : NULL;
    float *gavg = c->centered ? state[mom > 0 ? 2 : 1] : NULL;
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (wd != 0) d = d + wd * w[i];
        sq[i] = sq[i] * a + one_a * d * d;
        float avg;
        if (gavg) {
            gavg[i] = gavg[i] * a + one_a * d;
            avg = sqrtf(sq[i] + -1.0f * gavg[i] * gavg[i]);
        } else {
            avg = sqrtf(sq[i]);
        }
        avg = avg + eps;
        if (buf) {
            buf[i] = buf[i] * mom + d / avg;
            w[i] = w[i] + neg_lr * buf[i];
        } else {
            w[i] = w[i] + neg_lr * d / avg;
        }
    }
    (void)step;
}

const fv_optim_rule fv_optim_rmsprop_rule = {rmsprop_layout, rmsprop_update};
