/* SGD with momentum, dampening, Nesterov momentum and (coupled) weight decay: torch.optim.SGD 1.13's
 * single-tensor rule. The momentum buffer starts as a copy of the first gradient, as in PyTorch. */
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "optim_internal.h"

static fv_optim_layout sgd_layout(const fv_optim_config *c)
{
    fv_optim_layout l = {0};
    if (c->momentum != 0) l.names[l.n++] = "momentum_buffer";
    return l;
}

/* Scalars are rounded to float once, as PyTorch passes them to float32 kernels; elements are updated with
 * PyTorch's order of operations. */
#ifdef __SSE2__
/* Four elements at a time with the scalar loop's operations in its order (SSE rounds each as the scalar code
 * does), so the bits are the same. Returns the elements done. */
static int64_t sgd_update_sse(const fv_optim_config *c, float neg_lr_s, float keep_s, bool first, int64_t n,
                              float *w, const float *g, float *buf)
{
    const __m128 wd = _mm_set1_ps(c->weight_decay), mom = _mm_set1_ps(c->momentum), neg_lr = _mm_set1_ps(neg_lr_s);
    const __m128 keep = _mm_set1_ps(keep_s);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 d = _mm_loadu_ps(g + i), wi = _mm_loadu_ps(w + i);
        if (c->weight_decay != 0) d = _mm_add_ps(d, _mm_mul_ps(wd, wi));
        if (c->momentum != 0) {
            __m128 b = first ? d : _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(buf + i), mom), _mm_mul_ps(keep, d));
            _mm_storeu_ps(buf + i, b);
            d = c->nesterov ? _mm_add_ps(d, _mm_mul_ps(mom, b)) : b;
        }
        _mm_storeu_ps(w + i, _mm_add_ps(wi, _mm_mul_ps(neg_lr, d)));
    }
    return i;
}
#endif

static void sgd_update(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                       float *const *state)
{
    const float wd = c->weight_decay, mom = c->momentum, neg_lr = (float)-lr;
    const float keep = (float)(1.0 - (double)c->dampening);
    float *buf = state[0];
    int64_t i = 0;
#ifdef __SSE2__
    i = sgd_update_sse(c, neg_lr, keep, step == 1, n, w, g, buf);
#endif
    for (; i < n; i++) {
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
