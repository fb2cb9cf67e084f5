/* Initializers: fans as PyTorch computes them, bounds, means and stds of every kind on a large tensor
 * against the documented formulas and against PyTorch's own init (tests/reference/gen_init.py),
 * determinism, and bad arguments. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

#define KERAS_TRUNC_STD .87962566103423978

static const char *const names[FV_INIT_COUNT] = {
    "zeros",          "ones",           "constant",       "uniform",         "normal",
    "glorot_uniform", "glorot_normal",  "he_uniform",     "he_normal",       "xavier_uniform",
    "xavier_normal",  "kaiming_uniform", "kaiming_normal", "torch_default",  "torch_bias"};

typedef enum { CONSTANT, UNIFORM, NORMAL, TRUNC } dist;

typedef struct {
    dist d;
    double scale; /* constant, uniform bound, or normal stddev before truncation */
} expect;

/* The documented formulas, written independently of src/nn/init.c. */
static expect expected(fv_init_kind k, double v, double fi, double fo)
{
    double gain = v == 0 ? 1 : v, leaky = sqrt(2 / (1 + v * v));
    switch (k) {
    case FV_INIT_ZEROS: return (expect){CONSTANT, 0};
    case FV_INIT_ONES: return (expect){CONSTANT, 1};
    case FV_INIT_CONSTANT: return (expect){CONSTANT, v};
    case FV_INIT_UNIFORM: return (expect){UNIFORM, v};
    case FV_INIT_NORMAL: return (expect){NORMAL, v};
    case FV_INIT_GLOROT_UNIFORM: return (expect){UNIFORM, sqrt(6 / (fi + fo))};
    case FV_INIT_GLOROT_NORMAL: return (expect){TRUNC, sqrt(2 / (fi + fo)) / KERAS_TRUNC_STD};
    case FV_INIT_HE_UNIFORM: return (expect){UNIFORM, sqrt(6 / fi)};
    case FV_INIT_HE_NORMAL: return (expect){TRUNC, sqrt(2 / fi) / KERAS_TRUNC_STD};
    case FV_INIT_XAVIER_UNIFORM: return (expect){UNIFORM, gain * sqrt(6 / (fi + fo))};
    case FV_INIT_XAVIER_NORMAL: return (expect){NORMAL, gain * sqrt(2 / (fi + fo))};
    case FV_INIT_KAIMING_UNIFORM: return (expect){UNIFORM, leaky * sqrt(3 / fi)};
    case FV_INIT_KAIMING_NORMAL: return (expect){NORMAL, leaky / sqrt(fi)};
    case FV_INIT_TORCH_DEFAULT: return (expect){UNIFORM, sqrt(2 / (1 + 5.0)) * sqrt(3 / fi)};
    case FV_INIT_TORCH_BIAS: return (expect){UNIFORM, 1 / sqrt(fi)};
    default: return (expect){CONSTANT, 0};
    }
}

/* The std the values should have: U(-l, l) has l/sqrt(3); Keras' truncation gives back the asked std. */
static double expected_std(expect e)
{
    return e.d == UNIFORM ? e.scale / sqrt(3) : e.d == NORMAL ? e.scale : e.d == TRUNC ? e.scale * KERAS_TRUNC_STD : 0;
}

typedef struct {
    double mean, std, maxabs;
} stats;

static stats measure(const fv_tensor *t)
{
    const float *w = fv_f32(t);
    double s = 0, s2 = 0, m = 0;
    for (int64_t i = 0; i < t->size; i++) {
        s += w[i];
        m = fmax(m, fabs(w[i]));
    }
    double mean = s / (double)t->size;
    for (int64_t i = 0; i < t->size; i++) s2 += (w[i] - mean) * (w[i] - mean);
    return (stats){mean, sqrt(s2 / (double)(t->size - 1)), m};
}

static double rel(double a, double b) { return fabs(a - b) / fabs(b); }

static void check_fans(int ndim, const int64_t *shape, int64_t want_in, int64_t want_out)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, ndim, shape);
    int64_t fi = -1, fo = -1;
    fv_init_fans(t, &fi, &fo);
    char buf[64];
    CHECK(fi == want_in && fo == want_out, "fans of %s: %lld, %lld (PyTorch %lld, %lld)",
          fv_shape_str(t, buf, sizeof buf), (long long)fi, (long long)fo, (long long)want_in, (long long)want_out);
    fv_tensor_free(t);
    fv_ctx_free(ctx);
}

static void fans(void)
{
    check_fans(4, (int64_t[]){64, 32, 3, 3}, 288, 576);   /* conv2d (Cout, Cin, kH, kW) */
    check_fans(2, (int64_t[]){10, 20}, 20, 10);           /* dense (out, in) */
    check_fans(4, (int64_t[]){16, 8, 4, 4}, 128, 256);    /* conv_transpose2d (Cin, Cout, kH, kW) */
    check_fans(4, (int64_t[]){32, 1, 3, 3}, 9, 288);      /* depthwise (C, 1, kH, kW) */
    check_fans(3, (int64_t[]){8, 4, 5}, 20, 40);          /* conv1d */
    check_fans(5, (int64_t[]){4, 3, 2, 2, 2}, 24, 32);    /* conv3d */
    check_fans(1, (int64_t[]){7}, 7, 7);                  /* a vector: its length (PyTorch raises) */
    check_fans(0, NULL, 1, 1);
}

/* One kind on (256, 128, 3, 3): bound, mean and std against the formula. */
static void check_kind(fv_init_kind k, float value)
{
    fv_ctx *ctx = fv_ctx_new(42);
    int64_t shape[] = {256, 128, 3, 3};
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 4, shape);
    fv_init_spec spec = {.kind = k, .value = value};
    int64_t fi, fo;
    fv_init_fans(t, &fi, &fo);
    if (!CHECK(fv_init_tensor(ctx, t, &spec) == FV_OK, "%s(%g) initializes: %s", names[k], (double)value,
               fv_errmsg(ctx)))
        goto done;
    expect e = expected(k, value, (double)fi, (double)fo);
    stats s = measure(t);
    double sd = expected_std(e);
    if (e.d == CONSTANT) {
        CHECK(s.std == 0 && fv_f32(t)[0] == (float)e.scale && fv_f32(t)[t->size - 1] == (float)e.scale,
              "%s fills %g", names[k], e.scale);
        goto done;
    }
    CHECK(fabs(s.mean) < 4 * sd / sqrt((double)t->size), "%s: mean %.2e ~ 0 (std %.3g)", names[k], s.mean, sd);
    CHECK(rel(s.std, sd) < 0.02, "%s: std %.5g, formula %.5g (%.2f%%)", names[k], s.std, sd, 100 * rel(s.std, sd));
    if (e.d == UNIFORM)
        CHECK(s.maxabs <= (float)e.scale && s.maxabs > 0.999 * e.scale, "%s: max |w| %.6g within and near bound %.6g",
              names[k], s.maxabs, e.scale);
    if (e.d == TRUNC)
        CHECK(s.maxabs <= (float)(2 * e.scale) && s.maxabs > 0.99 * 2 * e.scale,
              "%s: max |w| %.6g within and near 2 stddev %.6g", names[k], s.maxabs, 2 * e.scale);
    if (e.d == NORMAL)
        CHECK(s.maxabs > 4 * e.scale, "%s: plain normal is not truncated (max |w| %.3g stddevs)", names[k],
              s.maxabs / e.scale);
done:
    fv_tensor_free(t);
    fv_ctx_free(ctx);
}

static void every_kind(void)
{
    check_kind(FV_INIT_ZEROS, 0);
    check_kind(FV_INIT_ONES, 0);
    check_kind(FV_INIT_CONSTANT, -0.25f);
    check_kind(FV_INIT_UNIFORM, 0.1f);
    check_kind(FV_INIT_NORMAL, 0.05f);
    check_kind(FV_INIT_GLOROT_UNIFORM, 0);
    check_kind(FV_INIT_GLOROT_NORMAL, 0);
    check_kind(FV_INIT_HE_UNIFORM, 0);
    check_kind(FV_INIT_HE_NORMAL, 0);
    check_kind(FV_INIT_XAVIER_UNIFORM, 0);
    check_kind(FV_INIT_XAVIER_UNIFORM, 5.0f / 3);
    check_kind(FV_INIT_XAVIER_NORMAL, 1.4f);
    check_kind(FV_INIT_KAIMING_UNIFORM, 0);
    check_kind(FV_INIT_KAIMING_UNIFORM, 0.2f);
    check_kind(FV_INIT_KAIMING_NORMAL, 0);
    check_kind(FV_INIT_KAIMING_NORMAL, -0.1f);
    check_kind(FV_INIT_TORCH_DEFAULT, 0);
    check_kind(FV_INIT_TORCH_BIAS, 0); /* a 4-D tensor: its own fan-in */
}

/* Draw kind k into a new (n) tensor under seed, after `skip` earlier random calls in the same context. */
static fv_tensor *draw_vec(fv_init_kind k, uint64_t seed, int skip, int64_t n)
{
    fv_ctx *ctx = fv_ctx_new(seed);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){n});
    fv_init_spec spec = {.kind = k, .value = 1.0f};
    for (int i = 0; i <= skip; i++) fv_init_tensor(ctx, t, &spec);
    fv_ctx_free(ctx);
    return t;
}

static bool same(const fv_tensor *a, const fv_tensor *b, int64_t n)
{
    return memcmp(a->data, b->data, (size_t)n * sizeof(float)) == 0;
}

static void determinism(void)
{
    const fv_init_kind kinds[] = {FV_INIT_UNIFORM, FV_INIT_NORMAL, FV_INIT_HE_NORMAL};
    for (int k = 0; k < 3; k++) {
        fv_init_kind kind = kinds[k];
        fv_tensor *a = draw_vec(kind, 7, 0, 1000), *b = draw_vec(kind, 7, 0, 1000);
        fv_tensor *c = draw_vec(kind, 8, 0, 1000), *d = draw_vec(kind, 7, 1, 1000);
        fv_tensor *longer = draw_vec(kind, 7, 0, 3000);
        CHECK(same(a, b, 1000), "%s: same seed, same values", names[kind]);
        CHECK(!same(a, c, 1000), "%s: another seed, other values", names[kind]);
        CHECK(!same(a, d, 1000), "%s: a second call takes a new stream", names[kind]);
        /* Element i depends on its index only: a longer tensor starts with the same values. Truncated
         * normals redraw at counters that depend on the size, so only the plain kinds share a prefix. */
        if (kind != FV_INIT_HE_NORMAL)
            CHECK(same(a, longer, 1000), "%s: values depend on the element index only", names[kind]);
        fv_tensor_free(a), fv_tensor_free(b), fv_tensor_free(c), fv_tensor_free(d), fv_tensor_free(longer);
    }
    /* Constant fills take no stream: a zeros bias does not change the weights drawn after it. */
    fv_ctx *ctx = fv_ctx_new(7);
    fv_tensor *z = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){1000});
    fv_init_tensor(ctx, z, &(fv_init_spec){.kind = FV_INIT_ZEROS});
    fv_init_tensor(ctx, z, &(fv_init_spec){.kind = FV_INIT_UNIFORM, .value = 1.0f});
    fv_tensor *a = draw_vec(FV_INIT_UNIFORM, 7, 0, 1000);
    CHECK(same(a, z, 1000), "a constant fill takes no stream");
    fv_tensor_free(a);
    fv_tensor_free(z);
    fv_ctx_free(ctx);
}

/* spec's fans replace the shape's; torch_bias takes the weight's fan-in. */
static void given_fans(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_tensor *w = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){300, 400});
    fv_init_tensor(ctx, w, &(fv_init_spec){.kind = FV_INIT_HE_UNIFORM, .fan_in = 50});
    stats s = measure(w);
    CHECK(s.maxabs <= (float)sqrt(6.0 / 50) && s.maxabs > 0.999 * sqrt(6.0 / 50), "spec.fan_in 50 sets the bound: %g",
          s.maxabs);
    fv_init_tensor(ctx, w, &(fv_init_spec){.kind = FV_INIT_GLOROT_UNIFORM, .fan_in = 100, .fan_out = 500});
    s = measure(w);
    CHECK(s.maxabs <= (float)sqrt(0.01) && s.maxabs > 0.999 * sqrt(0.01), "spec's fans set glorot's bound: %g",
          s.maxabs);
    fv_tensor *b = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){1 << 17});
    CHECK(fv_init_tensor(ctx, b, &(fv_init_spec){.kind = FV_INIT_TORCH_BIAS, .fan_in = 288}) == FV_OK,
          "torch_bias with the weight's fan-in");
    s = measure(b);
    double bound = 1 / sqrt(288.0);
    CHECK(s.maxabs <= (float)bound && s.maxabs > 0.999 * bound && rel(s.std, bound / sqrt(3)) < 0.02,
          "torch_bias: bound 1/sqrt(288), std %.4g", s.std);
    fv_tensor_free(w);
    fv_tensor_free(b);
    fv_ctx_free(ctx);
}

/* Against PyTorch: its fans, its formula scales, and the std of its own init on the same shape. */
static void against_pytorch(const char *path)
{
    const char *tag = strrchr(path, '/') + 1;
    fx_file *fx = fx_load(path);
    if (!CHECK(fx != NULL, "%s loads", tag)) return;
    const fv_tensor *shp = fx_get(fx, "shape");
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0; d < shp->size; d++) shape[d] = fv_i32(shp)[d];
    fv_ctx *ctx = fv_ctx_new(11);
    fv_tensor *w = fv_tensor_new(ctx, FV_F32, (int)shp->size, shape);
    fv_tensor *b = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){fx_int(fx, "bias_len", 0, 1)});
    int64_t fi, fo;
    fv_init_fans(w, &fi, &fo);
    CHECK(fi == fx_int(fx, "fans", 0, -1) && fo == fx_int(fx, "fans", 1, -1), "%s: fans %lld, %lld as PyTorch", tag,
          (long long)fi, (long long)fo);
    for (int k = FV_INIT_UNIFORM; k < FV_INIT_COUNT; k++) {
        char key[64];
        snprintf(key, sizeof key, "std:%s", names[k]);
        if (!CHECK(fx_get(fx, key) != NULL, "%s: PyTorch's %s recorded", tag, names[k])) continue;
        double torch_std = fx_float(fx, key, 0);
        snprintf(key, sizeof key, "scale:%s", names[k]);
        double torch_scale = fx_float(fx, key, 0);
        snprintf(key, sizeof key, "value:%s", names[k]);
        fv_init_spec spec = {.kind = (fv_init_kind)k, .value = fx_float(fx, key, 0)};
        fv_tensor *t = w;
        if (k == FV_INIT_TORCH_BIAS) spec.fan_in = fi, t = b;
        fv_init_tensor(ctx, t, &spec);
        expect e = expected((fv_init_kind)k, spec.value, (double)fi, (double)fo);
        stats s = measure(t);
        CHECK(rel(e.scale, torch_scale) < 1e-6, "%s %s: scale %.6g, PyTorch %.6g", tag, names[k], e.scale, torch_scale);
        CHECK(rel(s.std, torch_std) < 0.02, "%s %s: std %.5g, PyTorch's init %.5g (%.2f%%)", tag, names[k], s.std,
              torch_std, 100 * rel(s.std, torch_std));
        if (e.d == UNIFORM)
            CHECK(s.maxabs <= (float)torch_scale && s.maxabs > 0.999 * torch_scale, "%s %s: max |w| %.6g, bound %.6g",
                  tag, names[k], s.maxabs, torch_scale);
        if (e.d == TRUNC)
            CHECK(s.maxabs <= (float)(2 * torch_scale), "%s %s: max |w| %.6g within 2 stddev %.6g", tag, names[k],
                  s.maxabs, 2 * torch_scale);
    }
    fv_tensor_free(w);
    fv_tensor_free(b);
    fv_ctx_free(ctx);
    fx_free(fx);
}

static void errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_tensor *ti = fv_tensor_new(ctx, FV_I32, 2, (int64_t[]){3, 4});
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){3, 4});
    fv_tensor *b = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){4});
    struct {
        fv_tensor *t;
        fv_init_spec spec;
        const char *a, *b;
    } cases[] = {
        {ti, {.kind = FV_INIT_HE_UNIFORM}, "float32", "(3,4)"},
        {t, {.kind = FV_INIT_UNIFORM, .value = -0.1f}, "uniform", "range -0.1"},
        {t, {.kind = FV_INIT_NORMAL, .value = -2}, "normal", "stddev -2"},
        {t, {.kind = FV_INIT_NORMAL, .value = NAN}, "normal", "stddev nan"},
        {t, {.kind = FV_INIT_XAVIER_NORMAL, .value = -1}, "xavier_normal", "gain -1"},
        {t, {.kind = FV_INIT_CONSTANT, .value = INFINITY}, "constant", "inf"},
        {t, {.kind = FV_INIT_HE_NORMAL, .fan_in = -3}, "he_normal", "fan_in -3"},
        {b, {.kind = FV_INIT_TORCH_BIAS}, "torch_bias", "(4)"},
        {t, {.kind = FV_INIT_COUNT}, "unknown kind", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fv_status s = fv_init_tensor(ctx, cases[i].t, &cases[i].spec);
        const char *msg = fv_errmsg(ctx);
        CHECK(s == FV_ERR_ARG && strstr(msg, cases[i].a) && (!cases[i].b || strstr(msg, cases[i].b)), "error %zu: %s", i,
              msg);
    }
    CHECK(fv_init_tensor(ctx, NULL, &cases[0].spec) == FV_ERR_ARG, "a NULL tensor: %s", fv_errmsg(ctx));
    fv_tensor_free(ti);
    fv_tensor_free(t);
    fv_tensor_free(b);
    fv_ctx_free(ctx);
}

int main(void)
{
    fans();
    every_kind();
    determinism();
    given_fans();
    char **paths;
    int n = fx_list(FIXTURE_DIR, "init_", &paths);
    CHECK(n > 0, "init fixtures found: %d", n);
    for (int i = 0; i < n; i++) against_pytorch(paths[i]);
    fx_list_free(paths, n);
    errors();
    return test_finish();
}
