/* Adam and AdamW: torch.optim.Adam / AdamW 1.13's single-tensor rules (no amsgrad). Adam adds the weight
 * decay to the gradient; AdamW first shrinks the weights by (1 - lr * weight_decay), decoupled from the
 * moments. Bias corrections use the parameter's own step count. */
#include <math.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "optim_internal.h"

/* The per-element arithmetic (float, PyTorch's order of operations), shared by the scalar and vector loops. */
typedef struct {
    bool decoupled;
    float wd, b1, b2, one_b1, one_b2, neg_step, bc2_sqrt, eps, shrink;
} adam_scalars;

#ifdef __SSE2__
/* Four elements at a time with the scalar loop's operations in its order: SSE's add, multiply, divide and
 * square root round exactly as the scalar ones (no fused multiply-add), so the bits are the same. GCC keeps
 * the scalar loop scalar (sqrtf may set errno). Returns the elements done. */
static int64_t adam_update_sse(const adam_scalars *k, int64_t n, float *w, const float *g, float *m, float *v)
{
    const __m128 wd = _mm_set1_ps(k->wd), b1 = _mm_set1_ps(k->b1), b2 = _mm_set1_ps(k->b2);
    const __m128 one_b1 = _mm_set1_ps(k->one_b1), one_b2 = _mm_set1_ps(k->one_b2), eps = _mm_set1_ps(k->eps);
    const __m128 neg_step = _mm_set1_ps(k->neg_step), bc2_sqrt = _mm_set1_ps(k->bc2_sqrt);
    const __m128 shrink = _mm_set1_ps(k->shrink);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 d = _mm_loadu_ps(g + i), wi = _mm_loadu_ps(w + i);
        if (k->decoupled) wi = _mm_mul_ps(wi, shrink);
        else if (k->wd != 0) d = _mm_add_ps(d, _mm_mul_ps(wd, wi));
        __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), b1), _mm_mul_ps(one_b1, d));
        __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), b2), _mm_mul_ps(_mm_mul_ps(one_b2, d), d));
        __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), bc2_sqrt), eps);
        wi = _mm_add_ps(wi, _mm_div_ps(_mm_mul_ps(neg_step, mi), denom));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(w + i, wi);
    }
    return i;
}
#endif

static fv_optim_layout adam_layout(const fv_optim_config *c)
{
    fv_optim_layout l = {2, {"exp_avg", "exp_avg_sq"}};
    (void)c;
    return l;
}

static void adam_update(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                        float *const *state)
{
    const double bc1 = 1.0 - pow((double)c->beta1, (double)step), bc2 = 1.0 - pow((double)c->beta2, (double)step);
    const adam_scalars k = {.decoupled = c->kind == FV_OPT_ADAMW, .wd = c->weight_decay, .b1 = c->beta1,
                            .b2 = c->beta2, .one_b1 = (float)(1.0 - (double)c->beta1),
                            .one_b2 = (float)(1.0 - (double)c->beta2), .neg_step = (float)(-lr / bc1),
                            .bc2_sqrt = (float)sqrt(bc2), .eps = c->eps,
                            .shrink = (float)(1.0 - lr * (double)c->weight_decay)};
    float *m = state[0], *v = state[1];
    int64_t i = 0;
#ifdef __SSE2__
    i = adam_update_sse(&k, n, w, g, m, v);
#endif
    for (; i < n; i++) {
        float d = g[i];
        if (k.decoupled) w[i] = w[i] * k.shrink;
        else if (k.wd != 0) d = d + k.wd * w[i];
        m[i] = m[i] * k.b1 + k.one_b1 * d;
        v[i] = v[i] * k.b2 + k.one_b2 * d * d;
        float denom = sqrtf(v[i]) / k.bc2_sqrt + k.eps;
        w[i] = w[i] + k.neg_step * m[i] / denom;
    }
}

const fv_optim_rule fv_optim_adam_rule = {adam_layout, adam_update};
