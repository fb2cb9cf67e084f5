/* Optimizers against torch.optim (fixtures from tests/reference/gen_optim.py: 5 steps of every kind, with
 * penalties, clipping, groups and a schedule), schedules against PyTorch's schedulers, config errors,
 * groups and frozen parameters, and the state file (resume bit-identically, refuse bad files unchanged). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "test.h"

#define TOL 1e-5
#define NP 3

static const char *pnames[NP] = {"p0", "p1", "p2"};
static const int pndim[NP] = {2, 1, 4};
static const int64_t pshape[NP][4] = {{3, 4}, {5}, {2, 3, 3, 3}};

static fv_optim_kind kind_of(const char *name)
{
    for (int k = 0; k < FV_OPT_COUNT; k++)
        if (name && strcmp(name, fv_optim_name((fv_optim_kind)k)) == 0) return (fv_optim_kind)k;
    return FV_OPT_COUNT;
}

static fv_optim_config config_from(const fx_file *fx)
{
    fv_optim_config c = fv_optim_defaults(kind_of(fx_str(fx, "meta:kind")));
    c.lr = fx_float(fx, "cfg:lr", c.lr);
    c.momentum = fx_float(fx, "cfg:momentum", 0);
    c.dampening = fx_float(fx, "cfg:dampening", 0);
    c.nesterov = fx_float(fx, "cfg:nesterov", 0) != 0;
    c.alpha = fx_float(fx, "cfg:alpha", c.alpha);
    c.centered = fx_float(fx, "cfg:centered", 0) != 0;
    c.beta1 = fx_float(fx, "cfg:beta1", c.beta1);
    c.beta2 = fx_float(fx, "cfg:beta2", c.beta2);
    c.eps = fx_float(fx, "cfg:eps", c.eps);
    c.lr_decay = fx_float(fx, "cfg:lr_decay", 0);
    c.initial_accumulator = fx_float(fx, "cfg:initial_accumulator", 0);
    c.weight_decay = fx_float(fx, "cfg:weight_decay", 0);
    c.l1 = fx_float(fx, "cfg:l1", 0);
    c.l2 = fx_float(fx, "cfg:l2", 0);
    c.clip_norm = fx_float(fx, "cfg:clip_norm", 0);
    return c;
}

static void free_params(fv_param **p, int n)
{
    for (int i = 0; i < n; i++) fv_param_free(p[i]);
}

static bool make_params(fv_ctx *ctx, fv_param **p)
{
    for (int i = 0; i < NP; i++) p[i] = fv_param_new(ctx, pnames[i], FV_PARAM_WEIGHT, pndim[i], pshape[i]);
    return p[0] && p[1] && p[2];
}

/* Groups as the fixture lists them (contiguous: group g holds the parameters marked g, in order). */
static fv_optimizer *fixture_optimizer(fv_ctx *ctx, const fx_file *fx, fv_param **p)
{
    fv_optim_config cfg = config_from(fx);
    fv_optimizer *opt = fv_optim_new(ctx, &cfg);
    const fv_tensor *group = fx_get(fx, "group"), *glr = fx_get(fx, "group_lr");
    if (!opt || !group || !glr) return opt;
    for (int g = 0; g < glr->size; g++) {
        fv_param *members[NP];
        int n = 0;
        for (int i = 0; i < NP; i++)
            if (fv_i32(group)[i] == g) members[n++] = p[i];
        if (fv_optim_add_group(opt, members, n, fv_f32(glr)[g]) != g) {
            fv_optim_free(opt);
            return NULL;
        }
    }
    return opt;
}

static double rel_scalar(double a, double b) { return fabs(a - b) / (fabs(b) > 0 ? fabs(b) : 1.0); }

/* Weights after each step within TOL of PyTorch's, and so is the displacement from the start (a stricter
 * view of the update itself, since weights near 1 hide small errors in small updates). */
static void check_fixture(const char *path)
{
    fx_file *fx = fx_load(path);
    if (!CHECK(fx != NULL, "%s loads", path)) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_param *p[NP] = {0};
    fv_optimizer *opt = NULL;
    char key[64];
    if (!CHECK(make_params(ctx, p), "parameters")) goto done;
    for (int i = 0; i < NP; i++) {
        snprintf(key, sizeof key, "w0:%s", pnames[i]);
        memcpy(fv_f32(&p[i]->value), fv_f32(fx_get(fx, key)), sizeof(float) * (size_t)p[i]->value.size);
    }
    opt = fixture_optimizer(ctx, fx, p);
    if (!CHECK(opt != NULL, "%s: optimizer (%s)", path, fv_errmsg(ctx))) goto done;
    fv_schedule sched = {FV_SCHED_STEP, fx_int(fx, "sched:step_size", 0, 0), fx_float(fx, "sched:gamma", 1), 0, 0};
    const fv_tensor *pen = fx_get(fx, "penalty"), *norm = fx_get(fx, "norm");
    double w_err = 0, d_err = 0, pen_err = 0, norm_err = 0;
    for (int s = 0; s < 5; s++) {
        if (sched.step_size > 0) fv_optim_set_lr_factor(opt, fv_schedule_factor(&sched, s));
        for (int i = 0; i < NP; i++) {
            snprintf(key, sizeof key, "grad:%d:%s", s, pnames[i]);
            memcpy(fv_f32(&p[i]->grad), fv_f32(fx_get(fx, key)), sizeof(float) * (size_t)p[i]->grad.size);
        }
        pen_err = fmax(pen_err, rel_scalar(fv_optim_penalty(opt), fv_f32(pen)[s]));
        if (!CHECK(fv_optim_step(opt) == FV_OK, "%s: step %d (%s)", path, s, fv_errmsg(ctx))) goto done;
        norm_err = fmax(norm_err, rel_scalar(fv_optim_last_grad_norm(opt), fv_f32(norm)[s]));
        for (int i = 0; i < NP; i++) {
            snprintf(key, sizeof key, "w:%d:%s", s, pnames[i]);
            const float *want = fv_f32(fx_get(fx, key)), *got = fv_f32(&p[i]->value);
            snprintf(key, sizeof key, "w0:%s", pnames[i]);
            const float *w0 = fv_f32(fx_get(fx, key));
            int64_t n = p[i]->value.size;
            float *dg = malloc(sizeof(float) * (size_t)n), *dw = malloc(sizeof(float) * (size_t)n);
            for (int64_t k = 0; k < n; k++) dg[k] = got[k] - w0[k], dw[k] = want[k] - w0[k];
            w_err = fmax(w_err, rel_error(got, want, n));
            d_err = fmax(d_err, rel_error(dg, dw, n));
            free(dg), free(dw);
        }
    }
    CHECK(w_err <= TOL && d_err <= TOL, "%s: weights over 5 steps rel error %.2e, displacement %.2e", path,
          w_err, d_err);
    CHECK(pen_err <= TOL && norm_err <= TOL, "%s: penalty rel error %.2e, gradient norm %.2e", path, pen_err, norm_err);
    CHECK(fv_optim_steps(opt) == 5, "%s: 5 steps counted", path);
done:
    fv_optim_free(opt);
    free_params(p, NP);
    fv_ctx_free(ctx);
    fx_free(fx);
}

static void check_all_fixtures(void)
{
    char **paths = NULL;
    int n = fx_list(FIXTURE_DIR, "optim_", &paths);
    int cases = 0;
    for (int i = 0; i < n; i++) {
        if (strstr(paths[i], "optim_schedule")) continue;
        check_fixture(paths[i]);
        cases++;
    }
    CHECK(cases >= 15, "%d optimizer fixtures found", cases);
    fx_list_free(paths, n);
}

static void check_schedules(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/optim_schedule.fvx");
    if (!CHECK(fx != NULL, "schedule fixture loads")) return;
    const fv_schedule scheds[3] = {
        {FV_SCHED_STEP, 3, 0.5f, 0, 0}, {FV_SCHED_EXPONENTIAL, 0, 0.9f, 0, 0}, {FV_SCHED_COSINE, 0, 0, 5, 0.1f}};
    const char *names[3] = {"step", "exponential", "cosine"};
    for (int k = 0; k < 3; k++) {
        const fv_tensor *want = fx_get(fx, names[k]);
        float got[10];
        for (int e = 0; e < 10; e++) got[e] = fv_schedule_factor(&scheds[k], e);
        double err = rel_error(got, fv_f32(want), 10);
        CHECK(err <= TOL, "%s schedule: 10 epochs rel error %.2e (epoch 9: %g, PyTorch %g)", names[k], err,
              (double)got[9], (double)fv_f32(want)[9]);
    }
    fv_schedule c = {FV_SCHED_CONSTANT, 0, 0, 0, 0};
    CHECK(fv_schedule_factor(&c, 7) == 1.0f, "constant schedule");
    fv_ctx *ctx = fv_ctx_new(0);
    fv_schedule bad1 = {FV_SCHED_STEP, 0, 0.5f, 0, 0}, bad2 = {FV_SCHED_COSINE, 0, 0, 0, 0.1f};
    CHECK(isnan(fv_schedule_factor(&bad1, 1)) && fv_schedule_check(ctx, &bad1) == FV_ERR_ARG &&
              strstr(fv_errmsg(ctx), "step_size 0"),
          "step_size 0 refused: %s", fv_errmsg(ctx));
    CHECK(fv_schedule_check(ctx, &bad2) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "t_max 0"), "t_max 0 refused: %s",
          fv_errmsg(ctx));
    CHECK(isnan(fv_schedule_factor(&scheds[0], -1)), "negative epoch gives NaN");
    fv_ctx_free(ctx);
    fx_free(fx);
}

/* ---- configuration --------------------------------------------------------------------------------- */

static void expect_bad(fv_optim_config c, const char *want1, const char *want2)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_optimizer *opt = fv_optim_new(ctx, &c);
    const char *msg = fv_errmsg(ctx);
    CHECK(!opt && fv_errcode(ctx) == FV_ERR_ARG && strstr(msg, want1) && strstr(msg, want2), "refused: %s", msg);
    fv_optim_free(opt);
    fv_ctx_free(ctx);
}

static void check_config_errors(void)
{
    fv_optim_config c;
    c = fv_optim_defaults(FV_OPT_SGD), c.lr = -0.1f;
    expect_bad(c, "lr -0.1", ">= 0");
    c = fv_optim_defaults(FV_OPT_SGD), c.momentum = -1;
    expect_bad(c, "momentum -1", "sgd");
    c = fv_optim_defaults(FV_OPT_SGD), c.nesterov = true;
    expect_bad(c, "nesterov", "momentum 0");
    c = fv_optim_defaults(FV_OPT_SGD), c.nesterov = true, c.momentum = 0.9f, c.dampening = 0.1f;
    expect_bad(c, "nesterov", "dampening 0.1");
    c = fv_optim_defaults(FV_OPT_ADAM), c.beta1 = 1;
    expect_bad(c, "beta1 1", "[0, 1)");
    c = fv_optim_defaults(FV_OPT_ADAMW), c.beta2 = -0.5f;
    expect_bad(c, "beta2 -0.5", "adamw");
    c = fv_optim_defaults(FV_OPT_ADAM), c.eps = 0;
    expect_bad(c, "eps 0", "> 0");
    c = fv_optim_defaults(FV_OPT_RMSPROP), c.alpha = 1.5f;
    expect_bad(c, "alpha 1.5", "rmsprop");
    c = fv_optim_defaults(FV_OPT_ADAGRAD), c.initial_accumulator = -1;
    expect_bad(c, "initial_accumulator -1", "adagrad");
    c = fv_optim_defaults(FV_OPT_ADAGRAD), c.lr_decay = -0.1f;
    expect_bad(c, "lr_decay -0.1", ">= 0");
    c = fv_optim_defaults(FV_OPT_ADAM), c.lr = NAN;
    expect_bad(c, "lr nan", "finite");
    c = fv_optim_defaults(FV_OPT_SGD), c.weight_decay = INFINITY;
    expect_bad(c, "weight_decay inf", "finite");
    c = fv_optim_defaults(FV_OPT_SGD), c.clip_norm = -1;
    expect_bad(c, "clip_norm -1", ">= 0");
    c = fv_optim_defaults(FV_OPT_SGD), c.kind = (fv_optim_kind)9;
    expect_bad(c, "kind 9", "0..4");

    fv_optim_config a = fv_optim_defaults(FV_OPT_ADAM), w = fv_optim_defaults(FV_OPT_ADAMW);
    fv_optim_config g = fv_optim_defaults(FV_OPT_ADAGRAD), r = fv_optim_defaults(FV_OPT_RMSPROP);
    CHECK(a.lr == 1e-3f && a.beta1 == 0.9f && a.beta2 == 0.999f && a.eps == 1e-8f && a.weight_decay == 0 &&
              w.weight_decay == 1e-2f && g.lr == 1e-2f && g.eps == 1e-10f && r.alpha == 0.99f && r.lr == 1e-2f,
          "PyTorch's defaults");
    CHECK(strcmp(fv_optim_name(FV_OPT_RMSPROP), "rmsprop") == 0, "names");
}

/* ---- groups, frozen parameters, failures of a step ---------------------------------------------------- */

static void fill_grads(fv_param **p, int n, int step)
{
    for (int i = 0; i < n; i++)
        for (int64_t k = 0; k < p[i]->grad.size; k++)
            fv_f32(&p[i]->grad)[k] = fv_rng_uniform(7, (uint64_t)(100 * step + i), (uint64_t)k) - 0.5f;
}

static void fill_weights(fv_param **p, int n)
{
    for (int i = 0; i < n; i++)
        for (int64_t k = 0; k < p[i]->value.size; k++)
            fv_f32(&p[i]->value)[k] = fv_rng_uniform(3, (uint64_t)i, (uint64_t)k) - 0.5f;
}

static void check_groups_and_frozen(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_param *p[NP];
    if (!CHECK(make_params(ctx, p), "parameters")) return;
    fv_param *buf = fv_param_new(ctx, "running_mean", FV_PARAM_BUFFER, 1, (int64_t[]){4});
    fill_weights(p, NP);
    fv_optim_config c = fv_optim_defaults(FV_OPT_ADAM);
    c.lr = 0.1f, c.l2 = 0.5f;
    fv_optimizer *opt = fv_optim_new(ctx, &c);
    fv_param *g0[] = {p[0], buf, p[1]};
    CHECK(fv_optim_add_group(opt, g0, 3, -1) == 0 && p[0]->refs == 2 && buf->refs == 1,
          "group 0: weights retained, buffer skipped");
    fv_param *dup[] = {p[2], p[1]};
    CHECK(fv_optim_add_group(opt, dup, 2, 0.5f) == -1 && strstr(fv_errmsg(ctx), "'p1' is already in group 0") &&
              p[2]->refs == 1,
          "a parameter in two groups is refused, nothing added: %s", fv_errmsg(ctx));
    fv_param *null[] = {p[2], NULL};
    CHECK(fv_optim_add_group(opt, null, 2, 0.5f) == -1 && strstr(fv_errmsg(ctx), "NULL"), "NULL parameter refused: %s",
          fv_errmsg(ctx));
    CHECK(fv_optim_add_group(opt, &p[2], 1, 0.5f) == 1, "group 1");
    fv_optim_set_lr_factor(opt, 0.5f);
    CHECK(fv_optim_group_lr(opt, 0) == 0.05f && fv_optim_group_lr(opt, 1) == 0.25f && fv_optim_group_lr(opt, 2) == -1,
          "group learning rates with the factor");

    /* p1 frozen: not updated, not penalized, not in the norm. */
    fv_param_set_trainable(p[1], false);
    float before[5];
    memcpy(before, fv_f32(&p[1]->value), sizeof before);
    double pen = 0;
    for (int i = 0; i < NP; i += 2)
        for (int64_t k = 0; k < p[i]->value.size; k++) pen += 0.5 * fv_f32(&p[i]->value)[k] * fv_f32(&p[i]->value)[k];
    CHECK(rel_scalar(fv_optim_penalty(opt), pen) < 1e-9, "penalty counts trainable weights only");
    fv_optim_zero_grad(opt);
    fill_grads(p, NP, 0);
    for (int k = 0; k < 5; k++) fv_f32(&p[1]->grad)[k] = 1000;
    fv_status st = fv_optim_step(opt);
    CHECK(st == FV_OK && memcmp(before, fv_f32(&p[1]->value), sizeof before) == 0 &&
              fv_optim_last_grad_norm(opt) > 0 && fv_optim_last_grad_norm(opt) < 100,
          "frozen parameter untouched and outside the norm (%g)", fv_optim_last_grad_norm(opt));
    fv_optim_zero_grad(opt);
    CHECK(fv_f32(&p[1]->grad)[0] == 0 && fv_f32(&p[0]->grad)[3] == 0, "zero_grad");

    /* A NaN gradient: the step fails before any weight changes. */
    fv_param_set_trainable(p[1], true);
    float w0 = fv_f32(&p[0]->value)[0];
    fill_grads(p, NP, 1);
    fv_f32(&p[2]->grad)[5] = NAN;
    st = fv_optim_step(opt);
    CHECK(st == FV_ERR_NUMERIC && strstr(fv_errmsg(ctx), "'p2'") && fv_f32(&p[0]->value)[0] == w0 &&
              fv_optim_steps(opt) == 1,
          "NaN gradient refused, nothing updated: %s", fv_errmsg(ctx));
    fill_grads(p, NP, 1);
    fv_optim_set_lr_factor(opt, NAN);
    st = fv_optim_step(opt);
    CHECK(st == FV_ERR_ARG && strstr(fv_errmsg(ctx), "factor nan"), "NaN lr factor refused: %s",
          fv_errmsg(ctx));
    fv_optim_free(opt);
    CHECK(p[0]->refs == 1 && p[2]->refs == 1, "references released");
    fv_param_free(buf);
    free_params(p, NP);
    fv_ctx_free(ctx);
}

/* ---- state files ------------------------------------------------------------------------------------- */

static char tmpdir[64];

/* A path in the test's temporary directory, in the caller's buffer. */
static const char *tpath(char *buf, const char *name)
{
    snprintf(buf, 512, "%s/%s", tmpdir, name);
    return buf;
}

static fv_optim_config resume_config(fv_optim_kind kind)
{
    fv_optim_config c = fv_optim_defaults(kind);
    c.lr = 0.05f;
    if (kind == FV_OPT_SGD) c.momentum = 0.9f, c.nesterov = true;
    if (kind == FV_OPT_RMSPROP) c.momentum = 0.5f, c.centered = true;
    if (kind == FV_OPT_ADAGRAD) c.lr_decay = 0.1f, c.initial_accumulator = 0.1f;
    c.l1 = 0.01f, c.clip_norm = 2.0f;
    return c;
}

static bool run_steps(fv_optimizer *opt, fv_param **p, int from, int to)
{
    for (int s = from; s < to; s++) {
        fv_optim_zero_grad(opt);
        fill_grads(p, NP, s);
        if (fv_optim_step(opt) != FV_OK) return false;
    }
    return true;
}

static fv_optimizer *new_opt(fv_ctx *ctx, fv_optim_kind kind, fv_param **p)
{
    fv_optim_config c = resume_config(kind);
    fv_optimizer *opt = fv_optim_new(ctx, &c);
    if (opt && (fv_optim_add_group(opt, p, 2, -1) != 0 || fv_optim_add_group(opt, &p[2], 1, 0.02f) != 1)) {
        fv_optim_free(opt);
        return NULL;
    }
    return opt;
}

/* 3 steps, save, 3 steps = 3 steps, save, load into a new optimizer, 3 steps: bit for bit. */
static void check_resume(fv_optim_kind kind)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_param *a[NP], *b[NP];
    if (!make_params(ctx, a) || !make_params(ctx, b)) return;
    fill_weights(a, NP), fill_weights(b, NP);
    fv_optimizer *oa = new_opt(ctx, kind, a), *ob = new_opt(ctx, kind, b), *oc = NULL;
    char fa[512], fb[512];
    tpath(fa, "a.fvop"), tpath(fb, "b.fvop");
    bool ok = oa && ob && run_steps(oa, a, 0, 3) && fv_optim_save(oa, fa) == FV_OK && run_steps(oa, a, 3, 6) &&
              run_steps(ob, b, 0, 3) && fv_optim_save(ob, fb) == FV_OK;
    oc = ok ? new_opt(ctx, kind, b) : NULL;
    ok = ok && oc && fv_optim_load(oc, fb) == FV_OK && fv_optim_steps(oc) == 3 && run_steps(oc, b, 3, 6);
    bool same = ok;
    for (int i = 0; ok && i < NP; i++)
        same &= memcmp(fv_f32(&a[i]->value), fv_f32(&b[i]->value), sizeof(float) * (size_t)a[i]->value.size) == 0;
    CHECK(ok && same && fv_optim_steps(oc) == 6, "%s: resumed from a state file, bit-identical after 6 steps (%s)",
          fv_optim_name(kind), fv_errmsg(ctx));
    fv_optim_free(oa), fv_optim_free(ob), fv_optim_free(oc);
    free_params(a, NP), free_params(b, NP);
    fv_ctx_free(ctx);
}

static long file_bytes(const char *path, unsigned char **data)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    *data = malloc(1 << 16);
    long n = (long)fread(*data, 1, 1 << 16, f);
    fclose(f);
    return n;
}

static void write_bytes(const char *path, const unsigned char *data, long n)
{
    FILE *f = fopen(path, "wb");
    if (f) fwrite(data, 1, (size_t)n, f), fclose(f);
}

static bool same_file(const char *x, const char *y)
{
    unsigned char *a = NULL, *b = NULL;
    long na = file_bytes(x, &a), nb = file_bytes(y, &b);
    bool same = na >= 0 && na == nb && memcmp(a, b, (size_t)na) == 0;
    free(a), free(b);
    return same;
}

/* A failed load must leave the optimizer exactly as it was: its saved state is compared byte for byte. */
static void expect_load_fails(fv_optimizer *opt, fv_ctx *ctx, const char *path, fv_status code, const char *want,
                              const char *what)
{
    char before[512], after[512];
    tpath(before, "before.fvop"), tpath(after, "after.fvop");
    fv_optim_save(opt, before);
    fv_status s = fv_optim_load(opt, path);
    fv_optim_save(opt, after);
    CHECK(s == code && strstr(fv_errmsg(ctx), path) && strstr(fv_errmsg(ctx), want) && same_file(before, after),
          "%s: refused, optimizer unchanged: %s", what, fv_errmsg(ctx));
}

static void check_bad_files(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_param *p[NP];
    if (!make_params(ctx, p)) return;
    fill_weights(p, NP);
    fv_optimizer *opt = new_opt(ctx, FV_OPT_ADAM, p);
    char good[512], bad[512], buf[512];
    tpath(good, "good.fvop"), tpath(bad, "bad.fvop");
    if (!CHECK(opt && run_steps(opt, p, 0, 2) && fv_optim_save(opt, good) == FV_OK, "a state file")) return;
    unsigned char *data = NULL;
    long n = file_bytes(good, &data);
    const long cuts[] = {0, 3, 10, 30, n / 2, n - 1};
    for (int i = 0; i < 6; i++) {
        write_bytes(bad, data, cuts[i]);
        char what[64];
        snprintf(what, sizeof what, "file cut to %ld of %ld bytes", cuts[i], n);
        expect_load_fails(opt, ctx, bad, FV_ERR_FORMAT, cuts[i] < 4 ? "the magic" : "truncated", what);
    }
    data[0] = 'X';
    write_bytes(bad, data, n);
    expect_load_fails(opt, ctx, bad, FV_ERR_FORMAT, "not a fovea optimizer state", "wrong magic");
    data[0] = 'F';
    data[n / 2] ^= 0x10;
    write_bytes(bad, data, n);
    expect_load_fails(opt, ctx, bad, FV_ERR_FORMAT, "checksum", "a flipped bit");
    data[n / 2] ^= 0x10;
    write_bytes(bad, data, n + 1);
    expect_load_fails(opt, ctx, bad, FV_ERR_FORMAT, "trailing", "a trailing byte");
    expect_load_fails(opt, ctx, tpath(buf, "missing.fvop"), FV_ERR_IO, "cannot open", "a missing file");

    /* Same names, one shape differs; another kind; another buffer layout. */
    fv_param *q[NP];
    for (int i = 0; i < NP; i++)
        q[i] = fv_param_new(ctx, pnames[i], FV_PARAM_WEIGHT, pndim[i], i == 1 ? (int64_t[]){6} : pshape[i]);
    fv_optimizer *oq = new_opt(ctx, FV_OPT_ADAM, q);
    expect_load_fails(oq, ctx, good, FV_ERR_FORMAT, "'p1' has shape (5) in the file, (6) in the optimizer", "wrong shape");
    fv_optimizer *os = new_opt(ctx, FV_OPT_SGD, p);
    expect_load_fails(os, ctx, good, FV_ERR_FORMAT, "holds adam state, the optimizer is sgd", "wrong kind");
    fv_optim_config plain = fv_optim_defaults(FV_OPT_SGD);
    fv_optimizer *op = fv_optim_new(ctx, &plain), *om = new_opt(ctx, FV_OPT_SGD, p);
    fv_optim_add_group(op, p, NP, -1);
    fv_optim_save(om, bad);
    expect_load_fails(op, ctx, bad, FV_ERR_FORMAT, "holds 1 state buffer per parameter, this sgd keeps 0", "momentum state into plain SGD");

    /* Failed saves: a missing directory; and a temporary name too long for the file system, where the old
     * file at the path must survive untouched. */
    const char *nodir = tpath(buf, "no/such/dir/state.fvop");
    CHECK(fv_optim_save(opt, nodir) == FV_ERR_IO && strstr(fv_errmsg(ctx), "no/such/dir/state.fvop'"),
          "save into a missing directory fails: %s", fv_errmsg(ctx));
    char longname[256];
    memset(longname, 'x', 250), longname[250] = '\0';
    char longpath[512];
    tpath(longpath, longname);
    write_bytes(longpath, data, n);
    run_steps(opt, p, 2, 3);
    fv_status st = fv_optim_save(opt, longpath);
    const char *msg = fv_errmsg(ctx);
    CHECK(st == FV_ERR_IO && same_file(longpath, good), "a failed save leaves the old file intact: ...%s",
          msg + (strlen(msg) > 60 ? strlen(msg) - 60 : 0));
    remove(longpath);
    free(data);
    fv_optim_free(opt), fv_optim_free(oq), fv_optim_free(os), fv_optim_free(op), fv_optim_free(om);
    free_params(p, NP), free_params(q, NP);
    fv_ctx_free(ctx);
}

/* The in-memory variants: the same bytes as the file, a resume through them, and refusals naming `what`. */
static void check_state_mem(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_param *a[NP], *b[NP];
    if (!make_params(ctx, a) || !make_params(ctx, b)) return;
    fill_weights(a, NP), fill_weights(b, NP);
    fv_optimizer *oa = new_opt(ctx, FV_OPT_ADAM, a), *ob = new_opt(ctx, FV_OPT_ADAM, b);
    char path[512];
    tpath(path, "mem.fvop");
    void *buf = NULL;
    size_t len = 0;
    bool ok = oa && ob && run_steps(oa, a, 0, 3) && fv_optim_save_mem(oa, &buf, &len) == FV_OK && fv_optim_save(oa, path) == FV_OK;
    unsigned char *file = NULL;
    long n = ok ? file_bytes(path, &file) : -1;
    CHECK(ok && n == (long)len && memcmp(file, buf, len) == 0, "save_mem gives the bytes of the file (%zu bytes)", len);
    /* b takes a's state and weights, then both take 3 more steps: bit-identical */
    for (int i = 0; i < NP; i++)
        memcpy(fv_f32(&b[i]->value), fv_f32(&a[i]->value), sizeof(float) * (size_t)a[i]->value.size);
    ok = ok && fv_optim_load_mem(ob, buf, len, "checkpoint.fvm") == FV_OK && fv_optim_steps(ob) == 3 &&
         run_steps(oa, a, 3, 6) && run_steps(ob, b, 3, 6);
    bool same = ok;
    for (int i = 0; ok && i < NP; i++)
        same &= memcmp(fv_f32(&a[i]->value), fv_f32(&b[i]->value), sizeof(float) * (size_t)a[i]->value.size) == 0;
    CHECK(same, "resumed through load_mem, bit-identical after 3 more steps (%s)", fv_errmsg(ctx));
    /* refusals: the optimizer keeps its state, the message names what */
    void *before = NULL, *after = NULL;
    size_t nb = 0, na = 0;
    fv_optim_save_mem(ob, &before, &nb);
    fv_status st = fv_optim_load_mem(ob, buf, len / 2, "checkpoint.fvm");
    CHECK(st == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "optimizer state 'checkpoint.fvm' is truncated"),
          "load_mem refuses a cut buffer: %s", fv_errmsg(ctx));
    ((unsigned char *)buf)[len - 20] ^= 1;
    st = fv_optim_load_mem(ob, buf, len, "checkpoint.fvm");
    CHECK(st == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "'checkpoint.fvm' is corrupt: checksum"),
          "load_mem refuses a flipped bit: %s", fv_errmsg(ctx));
    st = fv_optim_load_mem(ob, NULL, 0, NULL);
    CHECK(st == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "'(memory)'"), "load_mem of nothing: %s", fv_errmsg(ctx));
    fv_optim_save_mem(ob, &after, &na);
    CHECK(na == nb && memcmp(before, after, na) == 0, "refused loads left the optimizer unchanged");
    CHECK(fv_optim_save_mem(ob, NULL, &len) == FV_ERR_ARG, "save_mem without a buffer is an argument error");
    free(buf), free(file), free(before), free(after);
    remove(path);
    fv_optim_free(oa), fv_optim_free(ob);
    free_params(a, NP), free_params(b, NP);
    fv_ctx_free(ctx);
}

/* Adam's state where plain SGD resumes is far larger than SGD's (two buffers per weight against none): the refusal
 * names both optimizers, as it does for small models, rather than counting bytes. */
static void check_large_state_of_another_kind(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_param *w = fv_param_new(ctx, "w", FV_PARAM_WEIGHT, 1, (int64_t[]){8192});
    fv_optim_config ca = fv_optim_defaults(FV_OPT_ADAM), cs = fv_optim_defaults(FV_OPT_SGD);
    fv_optimizer *adam = fv_optim_new(ctx, &ca), *sgd = fv_optim_new(ctx, &cs);
    void *buf = NULL;
    size_t len = 0;
    bool ok = w && adam && sgd && fv_optim_add_group(adam, &w, 1, -1) == 0 && fv_optim_add_group(sgd, &w, 1, -1) == 0 &&
              fv_optim_save_mem(adam, &buf, &len) == FV_OK;
    fv_status st = ok ? fv_optim_load_mem(sgd, buf, len, "ck.fvm") : FV_ERR_ARG;
    CHECK(ok && len > 65536 && st == FV_ERR_FORMAT &&
              strstr(fv_errmsg(ctx), "optimizer state 'ck.fvm' holds adam state, the optimizer is sgd"),
          "%zu bytes of Adam state into SGD: %s", len, fv_errmsg(ctx));
    free(buf);
    fv_optim_free(adam), fv_optim_free(sgd);
    fv_param_free(w);
    fv_ctx_free(ctx);
}

static void check_state_files(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fv_optim_XXXXXX");
    if (!CHECK(mkdtemp(tmpdir) != NULL, "temporary directory")) return;
    for (int k = 0; k < FV_OPT_COUNT; k++) check_resume((fv_optim_kind)k);
    check_bad_files();
    check_state_mem();
    check_large_state_of_another_kind();
    const char *files[] = {"a.fvop", "b.fvop", "good.fvop", "bad.fvop", "before.fvop", "after.fvop"};
    char buf[512];
    for (int i = 0; i < 6; i++) remove(tpath(buf, files[i]));
    CHECK(rmdir(tmpdir) == 0, "no temporary file left behind");
}

int main(void)
{
    check_all_fixtures();
    check_schedules();
    check_config_errors();
    check_groups_and_frozen();
    check_state_files();
    return test_finish();
}
