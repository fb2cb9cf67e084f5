/* RMSProp: torch.optim.RMSprop 1.13's single-tensor rule, with eps added outside the square root, optional
 * momentum (a buffer that starts at zero), the centered variant and coupled weight decay. */
#include <math.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

#ifdef __SSE2__
/* Four elements at a time with the scalar loop's operations in its order (SSE's sqrt and divide round as sqrtf
 * and /), so the bits are the same. Returns the elements done. */
static int64_t rmsprop_update_sse(const fv_optim_config *c, float neg_lr_s, int64_t n, float *w, const float *g,
                                  float *sq, float *buf, float *gavg)
{
    const __m128 wd = _mm_set1_ps(c->weight_decay), a = _mm_set1_ps(c->alpha);
    const __m128 one_a = _mm_set1_ps((float)(1.0 - (double)c->alpha)), mom = _mm_set1_ps(c->momentum);
    const __m128 eps = _mm_set1_ps(c->eps), neg_lr = _mm_set1_ps(neg_lr_s), minus_one = _mm_set1_ps(-1.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 d = _mm_loadu_ps(g + i), wi = _mm_loadu_ps(w + i);
        if (c->weight_decay != 0) d = _mm_add_ps(d, _mm_mul_ps(wd, wi));
        __m128 s = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(sq + i), a), _mm_mul_ps(_mm_mul_ps(one_a, d), d));
        _mm_storeu_ps(sq + i, s);
        __m128 avg;
        if (gavg) {
            __m128 ga = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(gavg + i), a), _mm_mul_ps(one_a, d));
            _mm_storeu_ps(gavg + i, ga);
            avg = _mm_sqrt_ps(_mm_add_ps(s, _mm_mul_ps(_mm_mul_ps(minus_one, ga), ga)));
        } else {
            avg = _mm_sqrt_ps(s);
        }
        avg = _mm_add_ps(avg, eps);
        if (buf) {
            __m128 b = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(buf + i), mom), _mm_div_ps(d, avg));
            _mm_storeu_ps(buf + i, b);
            wi = _mm_add_ps(wi, _mm_mul_ps(neg_lr, b));
        } else {
            wi = _mm_add_ps(wi, _mm_div_ps(_mm_mul_ps(neg_lr, d), avg));
        }
        _mm_storeu_ps(w + i, wi);
    }
    return i;
}
#endif

static void rmsprop_update(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                           float *const *state)
{
    const float wd = c->weight_decay, a = c->alpha, one_a = (float)(1.0 - (double)c->alpha);
    const float mom = c->momentum, eps = c->eps, neg_lr = (float)-lr;
    float *sq = state[0];
    float *buf = mom > 0 ? state[1] : NULL;
    float *gavg = c->centered ? state[mom > 0 ? 2 : 1] : NULL;
    int64_t i = 0;
#ifdef __SSE2__
    i = rmsprop_update_sse(c, neg_lr, n, w, g, sq, buf, gavg);
#endif
    for (; i < n; i++) {
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
