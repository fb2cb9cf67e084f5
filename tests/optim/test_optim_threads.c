/* The optimizers' threaded, vectorized updates against the plain serial loops they replaced (copied here as
 * the oracle): every kind and variant, parameters of odd sizes (1, 3, 7, 17, 33 and big enough to be split
 * among threads), several steps, on 1, 2 and 3 threads: the weights and state must be the same bits. */
#include <stdlib.h>

#include "test.h"

/* ---- the serial rules, as they were (PyTorch 1.13's single-tensor loops) ------------------------------ */

static void sgd_serial(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                       float *buf)
{
    const float wd = c->weight_decay, mom = c->momentum, neg_lr = (float)-lr;
    const float keep = (float)(1.0 - (double)c->dampening);
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

static void rmsprop_serial(const fv_optim_config *c, double lr, int64_t n, float *w, const float *g, float *sq,
                           float *buf, float *gavg)
{
    const float wd = c->weight_decay, a = c->alpha, one_a = (float)(1.0 - (double)c->alpha);
    const float mom = c->momentum, eps = c->eps, neg_lr = (float)-lr;
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
}

static void adagrad_serial(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                           float *sum)
{
    const float wd = c->weight_decay, eps = c->eps;
    const float neg_clr = (float)(-lr / (1.0 + (double)(step - 1) * (double)c->lr_decay));
    if (step == 1)
        for (int64_t i = 0; i < n; i++) sum[i] = c->initial_accumulator;
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (wd != 0) d = d + wd * w[i];
        sum[i] = sum[i] + d * d;
        float std = sqrtf(sum[i]) + eps;
        w[i] = w[i] + neg_clr * d / std;
    }
}

static void adam_serial(const fv_optim_config *c, double lr, long step, int64_t n, float *w, const float *g,
                        float *m, float *v)
{
    const bool decoupled = c->kind == FV_OPT_ADAMW;
    const float wd = c->weight_decay, b1 = c->beta1, b2 = c->beta2, eps = c->eps;
    const float one_b1 = (float)(1.0 - (double)b1), one_b2 = (float)(1.0 - (double)b2);
    const double bc1 = 1.0 - pow((double)b1, (double)step), bc2 = 1.0 - pow((double)b2, (double)step);
    const float neg_step = (float)(-lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float shrink = (float)(1.0 - lr * (double)wd);
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

/* The oracle's state: up to three buffers per parameter, zeroed. */
typedef struct {
    float *w, *s[3];
} oracle;

static void oracle_step(const fv_optim_config *c, long step, int64_t n, oracle *o, const float *g)
{
    switch (c->kind) {
    case FV_OPT_SGD: sgd_serial(c, c->lr, step, n, o->w, g, o->s[0]); break;
    case FV_OPT_RMSPROP: rmsprop_serial(c, c->lr, n, o->w, g, o->s[0], c->momentum > 0 ? o->s[1] : NULL,
                                        c->centered ? o->s[2] : NULL); break;
    case FV_OPT_ADAGRAD: adagrad_serial(c, c->lr, step, n, o->w, g, o->s[0]); break;
    default: adam_serial(c, c->lr, step, n, o->w, g, o->s[0], o->s[1]); break;
    }
}

/* ---- the comparison ------------------------------------------------------------------------------------ */

static const int64_t sizes[] = {1, 3, 7, 17, 33, 65537, 100003};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))
#define STEPS 3

static float value_at(uint64_t seed, uint64_t stream, int64_t i)
{
    return (float)(fv_rng_uniform(seed, stream, (uint64_t)i) - 0.5) * 2.0f;
}

static void fill_grads(fv_param **p, int step)
{
    for (int k = 0; k < NSIZES; k++)
        for (int64_t i = 0; i < sizes[k]; i++) {
            float v = value_at(5, (uint64_t)(step * 16 + k), i);
            if (i % 97 == 3) v = 0.0f; /* zero gradients: Adam's 0/eps, RMSProp's 0/(0 + eps) */
            fv_f32(&p[k]->grad)[i] = v;
        }
}

/* Runs STEPS steps of config c on `threads` threads and compares with the serial oracle; returns the number of
 * parameters whose weights differ in any bit. */
static int run_config(const fv_optim_config *c, int threads)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, threads);
    fv_param *p[NSIZES];
    oracle o[NSIZES];
    for (int k = 0; k < NSIZES; k++) {
        p[k] = fv_param_new(ctx, "p", FV_PARAM_WEIGHT, 1, &sizes[k]);
        o[k].w = malloc((size_t)sizes[k] * sizeof(float));
        for (int j = 0; j < 3; j++) o[k].s[j] = calloc((size_t)sizes[k], sizeof(float));
        for (int64_t i = 0; i < sizes[k]; i++) o[k].w[i] = fv_f32(&p[k]->value)[i] = value_at(3, (uint64_t)k, i);
    }
    fv_optimizer *opt = fv_optim_new(ctx, c);
    int bad = fv_optim_add_group(opt, p, NSIZES, -1) == 0 ? 0 : NSIZES;
    for (int step = 1; step <= STEPS && !bad; step++) {
        fill_grads(p, step);
        if (fv_optim_step(opt) != FV_OK) bad = NSIZES;
        for (int k = 0; k < NSIZES; k++) oracle_step(c, step, sizes[k], &o[k], fv_f32(&p[k]->grad));
    }
    for (int k = 0; k < NSIZES && bad < NSIZES; k++)
        if (memcmp(o[k].w, fv_f32(&p[k]->value), (size_t)sizes[k] * sizeof(float)) != 0) bad++;
    fv_optim_free(opt);
    for (int k = 0; k < NSIZES; k++) {
        fv_param_free(p[k]);
        free(o[k].w);
        for (int j = 0; j < 3; j++) free(o[k].s[j]);
    }
    fv_ctx_free(ctx);
    return bad;
}

static fv_optim_config variant(fv_optim_kind kind, float wd, float momentum, bool flag)
{
    fv_optim_config c = fv_optim_defaults(kind);
    c.lr = 0.01f;
    c.weight_decay = wd;
    c.momentum = momentum;
    if (kind == FV_OPT_SGD) c.nesterov = flag, c.dampening = flag ? 0.0f : 0.25f;
    if (kind == FV_OPT_RMSPROP) c.centered = flag;
    if (kind == FV_OPT_ADAGRAD) c.lr_decay = flag ? 0.01f : 0.0f, c.initial_accumulator = 0.1f;
    return c;
}

int main(void)
{
    const struct {
        const char *name;
        fv_optim_config c;
    } cases[] = {
        {"adam", variant(FV_OPT_ADAM, 0, 0, false)},
        {"adam with weight decay", variant(FV_OPT_ADAM, 0.01f, 0, false)},
        {"adamw", variant(FV_OPT_ADAMW, 0.01f, 0, false)},
        {"sgd", variant(FV_OPT_SGD, 0, 0, false)},
        {"sgd momentum, dampening, weight decay", variant(FV_OPT_SGD, 0.01f, 0.9f, false)},
        {"sgd nesterov", variant(FV_OPT_SGD, 0, 0.9f, true)},
        {"rmsprop", variant(FV_OPT_RMSPROP, 0, 0, false)},
        {"rmsprop centered, momentum, weight decay", variant(FV_OPT_RMSPROP, 0.01f, 0.9f, true)},
        {"adagrad", variant(FV_OPT_ADAGRAD, 0, 0, false)},
        {"adagrad lr decay, weight decay", variant(FV_OPT_ADAGRAD, 0.01f, 0, true)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int t = 1; t <= 3; t++) {
            int bad = run_config(&cases[i].c, t);
            CHECK(bad == 0, "%s on %d thread%s: %d steps equal the serial loop bit for bit (%d of %d parameters "
                  "differ)", cases[i].name, t, t > 1 ? "s" : "", STEPS, bad, NSIZES);
        }
    return test_finish();
}
