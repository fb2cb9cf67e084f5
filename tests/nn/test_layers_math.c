/* The math family's layer types: each description parses, builds and computes what the op built directly
 * computes (bit for bit), describes itself back to the same text, and exports to ONNX and imports back to the
 * same outputs; layers without an ONNX form are refused naming the layer; bad keys name layer and key. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "fovea/ops_math.h"
#include "test.h"

#define MAXIN 4

/* Inputs by letter: f float (2,3,4) in [-2, 2]; g float (3,1) ; p float (2,3,4) positive; s float (2,3,4) with
 * NaN and infinities; i, j int32 (2,3,4) (j nonzero); b, c bool (2,3,4); w float (1,3,1) (a PRelu slope). */
typedef struct {
    char letter;
    const char *decl; /* the input line's keys */
    fv_dtype dtype;
    int ndim;
    int64_t shape[3];
} input_kind;

static const input_kind kinds[] = {
    {'f', "shape=2x3x4 batch=false", FV_F32, 3, {2, 3, 4}},
    {'g', "shape=3x1 batch=false", FV_F32, 2, {3, 1}},
    {'p', "shape=2x3x4 batch=false", FV_F32, 3, {2, 3, 4}},
    {'s', "shape=2x3x4 batch=false", FV_F32, 3, {2, 3, 4}},
    {'i', "shape=2x3x4 dtype=int32 batch=false", FV_I32, 3, {2, 3, 4}},
    {'j', "shape=2x3x4 dtype=int32 batch=false", FV_I32, 3, {2, 3, 4}},
    {'b', "shape=2x3x4 dtype=bool batch=false", FV_BOOL, 3, {2, 3, 4}},
    {'c', "shape=2x3x4 dtype=bool batch=false", FV_BOOL, 3, {2, 3, 4}},
    {'w', "shape=1x3x1 batch=false", FV_F32, 3, {1, 3, 1}},
};

static const input_kind *kind_of(char c)
{
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (kinds[i].letter == c) return &kinds[i];
    return NULL;
}

static fv_tensor *make_input(fv_ctx *ctx, char c)
{
    const input_kind *k = kind_of(c);
    fv_tensor *t = fv_tensor_new(ctx, k->dtype, k->ndim, k->shape);
    for (int64_t i = 0; i < t->size; i++) {
        double v = fmod(i * 0.37 + (c == 'g' ? 0.5 : 0), 4.0) - 2.0;
        switch (c) {
        case 'p': fv_f32(t)[i] = (float)(v + 2.5); break;
        case 's': fv_f32(t)[i] = i % 5 == 0 ? NAN : i % 7 == 0 ? (i % 2 ? INFINITY : -INFINITY) : (float)v; break;
        case 'i': fv_i32(t)[i] = (int32_t)(i * 7 % 23) - 11; break;
        case 'j': fv_i32(t)[i] = (int32_t)(i * 5 % 9) - 4 == 0 ? 3 : (int32_t)(i * 5 % 9) - 4; break;
        case 'b': fv_bool(t)[i] = i % 3 == 0; break;
        case 'c': fv_bool(t)[i] = i % 2 == 0; break;
        default: fv_f32(t)[i] = (float)v; break;
        }
    }
    return t;
}

typedef fv_node *(*direct_fn)(fv_graph *g, fv_node **x);

typedef struct {
    const char *ins;   /* input letters, in order */
    const char *layer; /* the layer line, reading the inputs a, b, c, d */
    direct_fn direct;
    int onnx;          /* 1: exports at opsets 11 to 17; 0: refused; 2: only before opset 13; 3: from 13 (12) on */
} layer_case;

#define D(name, expr) \
    static fv_node *name(fv_graph *g, fv_node **x) { (void)g, (void)x; return expr; }
D(d_add_i, fv_binary(g, x[0], x[1], FV_BIN_ADD))
D(d_mul_i, fv_binary(g, x[0], x[1], FV_BIN_MUL))
D(d_sub, fv_sub(g, x[0], x[1]))
D(d_div, fv_div(g, x[0], x[1]))
D(d_pow, fv_pow(g, x[0], x[1]))
D(d_min3, fv_minimum_n(g, x, 3))
D(d_max, fv_maximum(g, x[0], x[1]))
D(d_neg, fv_neg(g, x[0]))
D(d_abs, fv_abs(g, x[0]))
D(d_exp, fv_exp(g, x[0]))
D(d_log, fv_log(g, x[0]))
D(d_sqrt, fv_sqrt(g, x[0]))
D(d_recip, fv_reciprocal(g, x[0]))
D(d_erf, fv_erf(g, x[0]))
D(d_floor, fv_floor(g, x[0]))
D(d_ceil, fv_ceil(g, x[0]))
D(d_round, fv_round(g, x[0]))
D(d_sign, fv_sign(g, x[0]))
D(d_mish, fv_mish(g, x[0]))
D(d_logsig, fv_log_sigmoid(g, x[0]))
D(d_clip, fv_clip(g, x[0], -0.5f, 0.75f))
D(d_clip_hi, fv_clip(g, x[0], -INFINITY, 1.0f))
D(d_hardtanh, fv_hardtanh(g, x[0], -0.5f, 1.5f))
D(d_gelu, fv_gelu(g, x[0], false))
D(d_gelu_tanh, fv_gelu(g, x[0], true))
D(d_selu, fv_selu(g, x[0]))
D(d_softplus, fv_softplus(g, x[0], 1.0f, 20.0f))
D(d_softplus2, fv_softplus(g, x[0], 2.0f, 10.0f))
D(d_prelu2, fv_prelu(g, x[0], x[1]))
D(d_logsm, fv_log_softmax(g, x[0], -1))
D(d_logsm0, fv_log_softmax(g, x[0], 1))
D(d_smflat, fv_softmax_flat(g, x[0], 1, false))
D(d_lsmflat, fv_softmax_flat(g, x[0], 1, true))
D(d_eq, fv_equal(g, x[0], x[1]))
D(d_lt, fv_less(g, x[0], x[1]))
D(d_le, fv_less_equal(g, x[0], x[1]))
D(d_gt, fv_greater(g, x[0], x[1]))
D(d_ge, fv_greater_equal(g, x[0], x[1]))
D(d_not, fv_logical_not(g, x[0]))
D(d_and, fv_logical_and(g, x[0], x[1]))
D(d_or, fv_logical_or(g, x[0], x[1]))
D(d_xor, fv_logical_xor(g, x[0], x[1]))
D(d_where, fv_where(g, x[0], x[1], x[2]))
D(d_cast_i32, fv_cast(g, x[0], FV_I32))
D(d_cast_i64, fv_cast(g, x[0], FV_I64))
D(d_cast_b, fv_cast(g, x[0], FV_BOOL))
D(d_cast_f, fv_cast(g, x[0], FV_F32))
D(d_isnan, fv_isnan(g, x[0]))
D(d_isinf, fv_isinf(g, x[0]))
D(d_isinf_pos, fv_isinf_signs(g, x[0], true, false))
D(d_isinf_neg, fv_isinf_signs(g, x[0], false, true))
D(d_sin, fv_unary(g, x[0], FV_UN_SIN, 0, 0))
D(d_cos, fv_unary(g, x[0], FV_UN_COS, 0, 0))
D(d_tan, fv_unary(g, x[0], FV_UN_TAN, 0, 0))
D(d_asin, fv_unary(g, x[0], FV_UN_ASIN, 0, 0))
D(d_acos, fv_unary(g, x[0], FV_UN_ACOS, 0, 0))
D(d_atan, fv_unary(g, x[0], FV_UN_ATAN, 0, 0))
D(d_sinh, fv_unary(g, x[0], FV_UN_SINH, 0, 0))
D(d_cosh, fv_unary(g, x[0], FV_UN_COSH, 0, 0))
D(d_asinh, fv_unary(g, x[0], FV_UN_ASINH, 0, 0))
D(d_acosh, fv_unary(g, x[0], FV_UN_ACOSH, 0, 0))
D(d_atanh, fv_unary(g, x[0], FV_UN_ATANH, 0, 0))
D(d_softsign, fv_unary(g, x[0], FV_UN_SOFTSIGN, 0, 0))
D(d_thr, fv_unary(g, x[0], FV_UN_THRESHOLDED_RELU, 1.0f, 0))
D(d_thr2, fv_unary(g, x[0], FV_UN_THRESHOLDED_RELU, -0.5f, 0))
D(d_shrink, fv_unary(g, x[0], FV_UN_SHRINK, 0.5f, 0))
D(d_shrink2, fv_unary(g, x[0], FV_UN_SHRINK, 0.75f, 0.25f))
D(d_hsig, fv_unary(g, x[0], FV_UN_HARD_SIGMOID, 0.2f, 0.5f))
D(d_hsig2, fv_unary(g, x[0], FV_UN_HARD_SIGMOID, -0.3f, 0.25f))
D(d_celu, fv_unary(g, x[0], FV_UN_CELU, 1.0f, 0))
D(d_celu2, fv_unary(g, x[0], FV_UN_CELU, 0.5f, 0))
D(d_mod, fv_binary(g, x[0], x[1], FV_BIN_MOD))
D(d_fmod, fv_binary(g, x[0], x[1], FV_BIN_FMOD))
D(d_sum3, fv_sum_n(g, x, 3))
D(d_sum2, fv_sum_n(g, x, 2))
D(d_mean3, fv_mean_n(g, x, 3))

static fv_node *d_prelu(fv_graph *g, fv_node **x)
{
    int64_t c = 3;
    fv_tensor *w = fv_tensor_new(fv_graph_ctx(g), FV_F32, 1, &c);
    fv_f32(w)[0] = 0.25f, fv_f32(w)[1] = -0.5f, fv_f32(w)[2] = 2.0f;
    fv_node *n = fv_prelu_channels(g, x[0], fv_constant(g, w));
    fv_tensor_free(w);
    return n;
}

static const layer_case cases[] = {
    {"ij", "add y from=a,b", d_add_i, 1},
    {"ij", "mul y from=a,b", d_mul_i, 1},
    {"fg", "sub y from=a,b", d_sub, 1},
    {"ij", "sub y from=a,b", d_sub, 1},
    {"fg", "div y from=a,b", d_div, 1},
    {"ij", "div y from=a,b", d_div, 1},
    {"pg", "pow y from=a,b", d_pow, 1},
    {"fgp", "minimum y from=a,b,c", d_min3, 1},
    {"ij", "maximum y from=a,b", d_max, 1},
    {"f", "neg y", d_neg, 1},
    {"f", "abs y", d_abs, 1},
    {"f", "exp y", d_exp, 1},
    {"p", "log y", d_log, 1},
    {"p", "sqrt y", d_sqrt, 1},
    {"p", "reciprocal y", d_recip, 1},
    {"f", "erf y", d_erf, 1},
    {"f", "floor y", d_floor, 1},
    {"f", "ceil y", d_ceil, 1},
    {"f", "round y", d_round, 1},
    {"f", "sign y", d_sign, 1},
    {"f", "mish y", d_mish, 0},
    {"f", "log_sigmoid y", d_logsig, 0},
    {"f", "clip y min=-0.5 max=0.75", d_clip, 1},
    {"f", "clip y max=1", d_clip_hi, 1},
    {"f", "hard_tanh y min_val=-0.5 max_val=1.5", d_hardtanh, 0},
    {"f", "gelu y", d_gelu, 0},
    {"f", "gelu y approximate=tanh", d_gelu_tanh, 0},
    {"f", "selu y", d_selu, 1},
    {"f", "softplus y", d_softplus, 1},
    {"f", "softplus y beta=2 threshold=10", d_softplus2, 0},
    {"f", "prelu y channels=3", d_prelu, 1},
    {"fw", "prelu y from=a,b", d_prelu2, 1},
    {"f", "log_softmax y axis=-1", d_logsm, 1},
    {"f", "log_softmax y", d_logsm0, 3},
    {"f", "softmax_flat y", d_smflat, 2},
    {"f", "softmax_flat y log=true", d_lsmflat, 2},
    {"fg", "equal y from=a,b", d_eq, 1},
    {"ij", "equal y from=a,b", d_eq, 1},
    {"fg", "less y from=a,b", d_lt, 1},
    {"fg", "less_equal y from=a,b", d_le, 3},
    {"ij", "greater y from=a,b", d_gt, 1},
    {"fg", "greater_equal y from=a,b", d_ge, 3},
    {"b", "logical_not y", d_not, 1},
    {"bc", "logical_and y from=a,b", d_and, 1},
    {"bc", "logical_or y from=a,b", d_or, 1},
    {"bc", "logical_xor y from=a,b", d_xor, 1},
    {"bfg", "where y from=a,b,c", d_where, 1},
    {"f", "cast y to=int32", d_cast_i32, 1},
    {"f", "cast y to=int64", d_cast_i64, 1},
    {"s", "cast y to=bool", d_cast_b, 1},
    {"i", "cast y to=float32", d_cast_f, 1},
    {"s", "isnan y", d_isnan, 1},
    {"s", "isinf y", d_isinf, 1},
    {"s", "isinf y detect_negative=false", d_isinf_pos, 1},
    {"s", "isinf y detect_positive=false", d_isinf_neg, 1},
    {"f", "sin y", d_sin, 1},
    {"f", "cos y", d_cos, 1},
    {"f", "tan y", d_tan, 1},
    {"f", "asin y", d_asin, 1},
    {"f", "acos y", d_acos, 1},
    {"f", "atan y", d_atan, 1},
    {"f", "sinh y", d_sinh, 1},
    {"f", "cosh y", d_cosh, 1},
    {"f", "asinh y", d_asinh, 1},
    {"p", "acosh y", d_acosh, 1},
    {"f", "atanh y", d_atanh, 1},
    {"f", "softsign y", d_softsign, 1},
    {"f", "thresholded_relu y", d_thr, 1},
    {"f", "thresholded_relu y alpha=-0.5", d_thr2, 1},
    {"f", "shrink y", d_shrink, 1},
    {"f", "shrink y lambd=0.75 bias=0.25", d_shrink2, 1},
    {"f", "hard_sigmoid_ab y", d_hsig, 1},
    {"f", "hard_sigmoid_ab y alpha=-0.3 beta=0.25", d_hsig2, 1},
    {"f", "celu y", d_celu, 3},
    {"f", "celu y alpha=0.5", d_celu2, 3},
    {"fg", "mod y from=a,b", d_mod, 1},
    {"fg", "mod y fmod=true from=a,b", d_fmod, 1},
    {"ij", "mod y from=a,b", d_mod, 1},
    {"ij", "mod y fmod=true from=a,b", d_fmod, 1},
    {"fgp", "sum y from=a,b,c", d_sum3, 1},
    {"ij", "sum y from=a,b", d_sum2, 1},
    {"fgp", "mean y from=a,b,c", d_mean3, 1},
};

static const char *const in_names[MAXIN] = {"a", "b", "c", "d"};

static fv_tensor *clone(fv_ctx *ctx, const fv_tensor *t)
{
    return fv_tensor_from(ctx, t->dtype, t->ndim, t->shape, t->data);
}

static char *description(const layer_case *c)
{
    static char text[1024];
    size_t n = 0;
    for (int k = 0; c->ins[k]; k++)
        n += (size_t)snprintf(text + n, sizeof text - n, "input %s %s\n", in_names[k], kind_of(c->ins[k])->decl);
    snprintf(text + n, sizeof text - n, "%s\n", c->layer);
    return text;
}

/* The model's output for the case's inputs (a copy), or NULL. */
static fv_tensor *run(fv_model *m, const layer_case *c)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_node *in[FV_MODEL_MAX_IO], *out[FV_MODEL_MAX_IO];
    fv_graph *g = fv_model_build_io(m, 1, in, out, NULL);
    if (!g) return NULL;
    fv_graph_set_training(g, false);
    fv_tensor *y = NULL;
    bool ok = true;
    for (int k = 0; c->ins[k] && ok; k++) {
        fv_tensor *x = make_input(ctx, c->ins[k]);
        ok = fv_graph_set_input(g, in[k], x) == FV_OK;
        fv_tensor_free(x);
    }
    if (ok && fv_graph_forward(g) == FV_OK) y = clone(ctx, fv_node_value(out[0]));
    fv_graph_free(g);
    return y;
}

static fv_tensor *run_direct(fv_ctx *ctx, const layer_case *c)
{
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x[MAXIN];
    fv_tensor *xs[MAXIN] = {0};
    int n = (int)strlen(c->ins);
    for (int k = 0; k < n; k++) {
        const input_kind *ik = kind_of(c->ins[k]);
        x[k] = fv_input(g, in_names[k], ik->dtype, ik->ndim, ik->shape);
        xs[k] = make_input(ctx, c->ins[k]);
    }
    fv_node *y = c->direct(g, x);
    fv_tensor *out = NULL;
    bool ok = y != NULL;
    for (int k = 0; k < n && ok; k++) ok = fv_graph_set_input(g, x[k], xs[k]) == FV_OK;
    if (ok && fv_graph_forward(g) == FV_OK) out = clone(ctx, fv_node_value(y));
    for (int k = 0; k < n; k++) fv_tensor_free(xs[k]);
    fv_graph_free(g);
    return out;
}

static bool same(const fv_tensor *a, const fv_tensor *b)
{
    if (!a || !b || a->dtype != b->dtype || a->ndim != b->ndim || a->size != b->size) return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return false;
    return memcmp(a->data, b->data, (size_t)a->size * fv_dtype_size(a->dtype)) == 0;
}

/* PyTorch's nn.PReLU slope: a recognizable one, the same the direct graph uses. */
static void set_prelu_weight(fv_model *m)
{
    int l = fv_model_find_layer(m, "y");
    fv_param *p[2];
    if (l >= 0 && fv_model_layer_params(m, l, p, 2) == 1 && p[0]->value.size == 3) {
        fv_f32(&p[0]->value)[0] = 0.25f, fv_f32(&p[0]->value)[1] = -0.5f, fv_f32(&p[0]->value)[2] = 2.0f;
    }
}

static void check_onnx(fv_ctx *ctx, fv_model *m, const layer_case *c, const fv_tensor *want, int opset)
{
    bool ok = c->onnx == 1 || (c->onnx == 2 && opset < 13) || (c->onnx == 3 && opset >= 13);
    void *buf = NULL;
    size_t size = 0;
    fv_status s = fv_onnx_save_mem(m, opset, &buf, &size);
    if (!ok) {
        CHECK(s == FV_ERR_UNSUPPORTED && strstr(fv_errmsg(ctx), "'y'"), "%s: ONNX export at opset %d refused naming "
              "the layer: %s", c->layer, opset, fv_errmsg(ctx));
        free(buf);
        return;
    }
    fv_model *back = s == FV_OK ? fv_onnx_load_mem(ctx, buf, size, "back.onnx") : NULL;
    fv_tensor *y = back ? run(back, c) : NULL;
    CHECK(same(y, want), "%s: ONNX opset %d export and import give the same outputs bit for bit (%s)", c->layer,
          opset, y ? "values differ" : fv_errmsg(ctx));
    fv_tensor_free(y);
    fv_model_free(back);
    free(buf);
}

static void check_case(const layer_case *c)
{
    fv_ctx *ctx = fv_ctx_new(0);
    const char *text = description(c);
    fv_model *m = fv_model_parse(ctx, text, "math.fvd");
    CHECK(m != NULL, "%s parses: %s", c->layer, fv_errmsg(ctx));
    if (!m) {
        fv_ctx_free(ctx);
        return;
    }
    set_prelu_weight(m);
    fv_tensor *y = run(m, c), *want = run_direct(ctx, c);
    CHECK(y && same(y, want), "%s builds, runs and equals the op built directly (%s)", c->layer,
          y && want ? "values differ" : fv_errmsg(ctx));
    char *d = fv_model_describe(m);
    fv_model *m2 = d ? fv_model_parse(ctx, d, "described") : NULL;
    char *d2 = m2 ? fv_model_describe(m2) : NULL;
    CHECK(d && d2 && !strcmp(d, d2) && strstr(d, c->layer), "%s describes itself back: '%s'", c->layer, d ? d : "");
    free(d), free(d2);
    fv_model_free(m2);
    for (int opset = 11; opset <= 17; opset += 2) check_onnx(ctx, m, c, want, opset);
    fv_tensor_free(y), fv_tensor_free(want);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* A description that must fail, with every fragment in the message. */
static void bad(const char *text, const char *what, const char *f1, const char *f2)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_model *m = fv_model_parse(ctx, text, "bad.fvd");
    const char *msg = fv_errmsg(ctx);
    CHECK(!m && strstr(msg, f1) && strstr(msg, f2), "%s is refused naming '%s' and '%s': %s", what, f1, f2, msg);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void check_errors(void)
{
    const char *f = "input a shape=2x3x4 batch=false\n";
    char t[512];
    snprintf(t, sizeof t, "%sclip c1 min=abc\n", f);
    bad(t, "a clip bound that is not a number", "c1", "min=abc");
    snprintf(t, sizeof t, "%sprelu p1 chanels=3\n", f);
    bad(t, "a misspelt prelu key", "p1", "did you mean 'channels'");
    snprintf(t, sizeof t, "%scast k1 to=float16\n", f);
    bad(t, "an unknown cast type", "k1", "float32");
    snprintf(t, sizeof t, "%scast k1\n", f);
    bad(t, "a cast without its type", "k1", "to");
    snprintf(t, sizeof t, "%sgelu g1 approximate=fast\n", f);
    bad(t, "an unknown gelu form", "g1", "tanh");
    snprintf(t, sizeof t, "%sprelu p2 channels=5\n", f);
    bad(t, "a prelu of the wrong channel count", "p2", "(2,3,4)");
    snprintf(t, sizeof t, "%sinput b shape=5 batch=false\nsub s1 from=a,b\n", f);
    bad(t, "a sub of shapes that do not broadcast", "s1", "(2,3,4)");
    snprintf(t, sizeof t, "%slogical_not n1\n", f);
    bad(t, "a logical not of floats", "n1", "bool");
    snprintf(t, sizeof t, "%shard_tanh h1 min_val=2 max_val=1\n", f);
    bad(t, "a hard tanh with min above max", "h1", "2");
    snprintf(t, sizeof t, "%scelu c2 alpha=0\n", f);
    bad(t, "a celu of alpha 0", "c2", "alpha");
    snprintf(t, sizeof t, "%sshrink s2 lamda=1\n", f);
    bad(t, "a misspelt shrink key", "s2", "lamda");
    snprintf(t, sizeof t, "%sinput b shape=2x3x4 dtype=int32 batch=false\nmean m1 from=a,b\n", f);
    bad(t, "a mean of a float and an int", "m1", "int32");
}

/* GELU as opset 13 exporters write it, x * (erf(x / sqrt 2) + 1) * 0.5: through ONNX it imports as div, erf, add
 * and mul layers with constant operands, and computes GELU. */
static void check_gelu_decomposition(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    const char *text = "input a shape=2x3x4 batch=false\nconstant k shape=scalar\ndiv d from=a,k\nerf e\n"
                       "constant one shape=scalar\nadd p from=e,one\nmul m from=a,p\nconstant h shape=scalar\n"
                       "mul y from=m,h\n";
    fv_model *m = fv_model_parse(ctx, text, "gelu.fvd");
    const char *names[3] = {"k", "one", "h"};
    const float values[3] = {1.41421354f, 1.0f, 0.5f};
    for (int i = 0; m && i < 3; i++) {
        fv_param *p;
        if (fv_model_layer_params(m, fv_model_find_layer(m, names[i]), &p, 1) == 1) fv_f32(&p->value)[0] = values[i];
    }
    void *buf = NULL;
    size_t size = 0;
    fv_model *back = m && fv_onnx_save_mem(m, 13, &buf, &size) == FV_OK ? fv_onnx_load_mem(ctx, buf, size, "g.onnx")
                                                                       : NULL;
    layer_case c = {"f", "gelu", d_gelu, 0};
    fv_tensor *y = back ? run(back, &c) : NULL, *want = run_direct(ctx, &c);
    CHECK(y && want && y->size == want->size && rel_error(fv_f32(y), fv_f32(want), y->size) < 1e-6,
          "GELU's Div/Erf/Add/Mul decomposition imports and computes GELU (%s)", y ? "values differ" : fv_errmsg(ctx));
    free(buf);
    fv_tensor_free(y), fv_tensor_free(want);
    fv_model_free(back), fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    check_gelu_decomposition();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_case(&cases[i]);
    check_errors();
    return test_finish();
}
