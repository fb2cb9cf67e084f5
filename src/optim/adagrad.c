/* AdaGrad: torch.optim.Adagrad 1.13's dense rule: a running sum of squared gradients that starts at
 * initial_accumulator, a learning rate decayed as lr / (1 + (step - 1) * lr_decay), coupled weight decay. */
#include <math.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "optim_internal.h"

static fv_optim_layout adagrad_layout(const fv_optim_config *c)
{
    fv_optim_layout l = {1, {"sum"}};
    (void)c;
    return l;
}

static void adagrad_update(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                           float *const *state)
{
    const float wd = c->weight_decay, eps = c->eps;
    const float neg_clr = (float)(-lr / (1.0 + (double)(step - 1) * (double)c->lr_decay));
    float *sum = state[0];
    /* PyTorch fills the sum when the optimizer is built; doing it at a parameter's first update is the same
     * and also covers parameters whose state was never touched (frozen until now). */
    if (step == 1)
        for (int64_t i = 0; i < n; i++) sum[i] = c->initial_accumulator;
    int64_t i = 0;
#ifdef __SSE2__
    /* four at a time, the same operations in the same order (SSE's sqrt and divide round as sqrtf and /) */
    const __m128 wd4 = _mm_set1_ps(wd), eps4 = _mm_set1_ps(eps), clr4 = _mm_set1_ps(neg_clr);
    for (; i + 4 <= n; i += 4) {
        __m128 d = _mm_loadu_ps(g + i), wi = _mm_loadu_ps(w + i);
        if (wd != 0) d = _mm_add_ps(d, _mm_mul_ps(wd4, wi));
        __m128 s4 = _mm_add_ps(_mm_loadu_ps(sum + i), _mm_mul_ps(d, d));
        _mm_storeu_ps(sum + i, s4);
        __m128 std4 = _mm_add_ps(_mm_sqrt_ps(s4), eps4);
        _mm_storeu_ps(w + i, _mm_add_ps(wi, _mm_div_ps(_mm_mul_ps(clr4, d), std4)));
    }
#endif
    for (; i < n; i++) {
        float d = g[i];
        if (wd != 0) d = d + wd * w[i];
        sum[i] = sum[i] + d * d;
        float std = sqrtf(sum[i]) + eps;
        w[i] = w[i] + neg_clr * d / std;
    }
}

const fv_optim_rule fv_optim_adagrad_rule = {adagrad_layout, adagrad_update};
