/* The math family against PyTorch (tests/reference/gen_math.py): binary arithmetic on floats and integers,
 * prelu, unary functions, softmax on any axis, comparisons, logic, where and casts; float results with
 * gradients through opcheck (fast and reference kernels, finite differences), integer and bool results
 * compared exactly. Then the errors: each names the op, the node and the shapes. */
#include <stdlib.h>

#include "opcheck.h"
#include "test.h"

static int attr(const fx_file *fx, const char *name, int def) { return fx_int(fx, name, 0, def); }

static fv_node *build_binary(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_node *a = opcheck_leaf(in, "a");
    fv_node *b = attr(fx, "attr:self", 0) ? a : opcheck_leaf(in, "b");
    return fv_binary(g, a, b, (fv_binary_kind)attr(fx, "attr:kind", -1));
}

static fv_node *build_prelu(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_node *x = opcheck_leaf(in, "x"), *s = opcheck_leaf(in, "slope");
    return attr(fx, "attr:channels", 0) ? fv_prelu_channels(g, x, s) : fv_prelu(g, x, s);
}

static fv_node *build_unary(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_unary(g, opcheck_leaf(in, "x"), (fv_unary_kind)attr(fx, "attr:kind", -1), fx_float(fx, "attr:p0", 0),
                    fx_float(fx, "attr:p1", 0));
}

static fv_node *build_softmax(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_node *x = opcheck_leaf(in, "x");
    int axis = attr(fx, "attr:axis", 0);
    bool log = attr(fx, "attr:log", 0);
    if (attr(fx, "attr:flat", 0)) return fv_softmax_flat(g, x, axis, log);
    return log ? fv_log_softmax(g, x, axis) : fv_softmax(g, x, axis);
}

static fv_node *build_compare(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    int kind = attr(fx, "attr:kind", -1);
    if (kind == 5) return fv_isnan(g, opcheck_leaf(in, "x"));
    if (kind == 6) return fv_isinf(g, opcheck_leaf(in, "x"));
    return fv_compare(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"), (fv_compare_kind)kind);
}

static fv_node *build_logical(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_logical(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"), (fv_logical_kind)attr(fx, "attr:kind", -1));
}

static fv_node *build_where(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_where(g, opcheck_leaf(in, "cond"), opcheck_leaf(in, "a"), opcheck_leaf(in, "b"));
}

static fv_node *build_cast(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_cast(g, opcheck_leaf(in, "x"), (fv_dtype)attr(fx, "attr:dtype", -1));
}

/* ---- fixtures without gradients: forward only, the output compared bit for bit ---------------------- */

static bool same_tensor(const fv_tensor *got, const fv_tensor *want)
{
    if (!got || !want || got->dtype != want->dtype || got->ndim != want->ndim) return false;
    for (int d = 0; d < got->ndim; d++)
        if (got->shape[d] != want->shape[d]) return false;
    return memcmp(got->data, want->data, (size_t)got->size * fv_dtype_size(got->dtype)) == 0;
}

static void exact_fixture(const char *path, opcheck_build build, bool reference)
{
    fx_file *fx = fx_load(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!CHECK(fx != NULL, "%s: fixture loads", base)) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_use_reference_kernels(ctx, reference);
    fv_graph *g = fv_graph_new(ctx);
    opcheck_leaves in = {calloc((size_t)fx->n, sizeof(fv_node *)), calloc((size_t)fx->n, sizeof(char *)), 0};
    for (int i = 0; i < fx->n; i++) {
        const fx_entry *e = &fx->e[i];
        if (!e->t || strncmp(e->name, "in:", 3) != 0) continue;
        fv_node *leaf = fv_input(g, e->name + 3, e->t->dtype, e->t->ndim, e->t->shape);
        if (leaf) fv_graph_set_input(g, leaf, e->t);
        in.leaf[in.n] = leaf;
        in.name[in.n++] = e->name + 3;
    }
    fv_node *out = build(g, &in, fx);
    const char *tag = reference ? " [ref]" : "";
    if (CHECK(out != NULL, "%s%s: builds (%s)", base, tag, fv_errmsg(ctx)) &&
        CHECK(fv_graph_forward(g) == FV_OK, "%s%s: forward (%s)", base, tag, fv_errmsg(ctx))) {
        const fv_tensor *got = fv_node_value(out);
        CHECK(same_tensor(got, fx_get(fx, "out")), "%s%s: %s %s equals PyTorch's exactly", base, tag,
              fv_dtype_name(got->dtype), got->ndim ? "tensor" : "scalar");
    }
    free(in.leaf);
    free(in.name);
    fv_graph_free(g);
    fv_ctx_free(ctx);
    fx_free(fx);
}

/* Every fixture under prefix: those with a seed gradient through opcheck, the rest exactly. */
static void run_all(const char *prefix, opcheck_build build)
{
    char **paths;
    int n = fx_list(FIXTURE_DIR, prefix, &paths);
    CHECK(n > 0, "fixtures %s*.fvx found in %s: %d", prefix, FIXTURE_DIR, n);
    for (int i = 0; i < n; i++) {
        fx_file *fx = fx_load(paths[i]);
        bool graded = fx && fx_get(fx, "dout");
        fx_free(fx);
        if (graded) {
            opcheck_fixture(paths[i], build);
        } else {
            exact_fixture(paths[i], build, false);
            exact_fixture(paths[i], build, true);
        }
    }
    fx_list_free(paths, n);
}

/* ---- errors ------------------------------------------------------------------------------------------- */

static int has(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

static fv_node *input(fv_graph *g, const char *name, fv_dtype dt, int ndim, const int64_t *shape)
{
    return fv_input(g, name, dt, ndim, shape);
}

static void bad_binary(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = input(g, "a", FV_F32, 2, (int64_t[]){2, 3});
    fv_node *b = input(g, "b", FV_F32, 1, (int64_t[]){4});
    fv_node *i = input(g, "i", FV_I32, 2, (int64_t[]){2, 3});
    fv_node *l = input(g, "l", FV_I64, 1, (int64_t[]){3});
    fv_node *m = input(g, "m", FV_BOOL, 1, (int64_t[]){3});
    CHECK(!fv_sub(g, a, b) && has(ctx, "binary 'sub_", "(2,3)", "(4)") && has(ctx, "3 vs 4", NULL, NULL),
          "sub refuses (2,3) - (4): %s", fv_errmsg(ctx));
    CHECK(!fv_div(g, a, i) && has(ctx, "div", "float32 (2,3)", "int32 (2,3)"), "div refuses mixed types: %s",
          fv_errmsg(ctx));
    CHECK(!fv_pow(g, i, i) && has(ctx, "pow", "int32", "float32 only"), "pow refuses integers: %s", fv_errmsg(ctx));
    CHECK(!fv_maximum(g, m, m) && has(ctx, "max", "bool", NULL), "max refuses bool: %s", fv_errmsg(ctx));
    CHECK(!fv_binary(g, a, a, (fv_binary_kind)99) && has(ctx, "unknown binary kind 99", NULL, NULL),
          "an unknown kind: %s", fv_errmsg(ctx));
    CHECK(!fv_binary(g, l, i, FV_BIN_ADD) && has(ctx, "int64 (3)", "int32 (2,3)", NULL),
          "int64 + int32 is refused: %s", fv_errmsg(ctx));
    fv_node *x = input(g, "x", FV_F32, 4, (int64_t[]){2, 3, 4, 5});
    CHECK(!fv_prelu(g, a, x) && has(ctx, "prelu", "(2,3,4,5)", "(2,3)"), "prelu's slope larger than x: %s",
          fv_errmsg(ctx));
    CHECK(!fv_prelu(g, a, input(g, "s411", FV_F32, 3, (int64_t[]){4, 1, 1})) &&
              has(ctx, "prelu", "slope (4,1,1) does not broadcast to x (2,3)", NULL),
          "prelu's output is x's shape: %s", fv_errmsg(ctx));
    CHECK(!fv_prelu(g, x, input(g, "s3", FV_F32, 1, (int64_t[]){3})) && has(ctx, "prelu", "(3)", "(2,3,4,5)"),
          "ONNX prelu aligns a (3) slope on the right: %s", fv_errmsg(ctx));
    CHECK(!fv_prelu_channels(g, x, input(g, "s4", FV_F32, 1, (int64_t[]){4})) && has(ctx, "(4)", "(1) or (3)", NULL),
          "PyTorch prelu wants one slope per channel: %s", fv_errmsg(ctx));
    CHECK(!fv_sub(g, NULL, a) && !fv_minimum_n(g, (fv_node *[]){a, NULL}, 2), "NULL inputs propagate");
    CHECK(!fv_minimum_n(g, NULL, 0) && has(ctx, "min", "at least one input", NULL), "min of nothing: %s",
          fv_errmsg(ctx));
    CHECK(fv_maximum_n(g, &a, 1) == a, "max of one input is that input");
    fv_node *m3 = fv_maximum_n(g, (fv_node *[]){a, x, a}, 3);
    CHECK(!m3 && has(ctx, "max", "(2,3)", "(2,3,4,5)"), "max of three refuses a mismatch: %s", fv_errmsg(ctx));
    fv_node *neg = fv_neg(g, a);
    CHECK(neg && strncmp(fv_node_name(neg), "neg_", 4) == 0, "a refused node passes no name on: %s",
          neg ? fv_node_name(neg) : fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void int_division_by_zero(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = input(g, "a", FV_I64, 1, (int64_t[]){3});
    fv_node *b = input(g, "b", FV_I64, 1, (int64_t[]){3});
    fv_node *q = fv_div(g, a, b);
    fv_tensor *ta = fv_tensor_from(ctx, FV_I64, 1, (int64_t[]){3}, (int64_t[]){7, -7, 1});
    fv_tensor *tb = fv_tensor_from(ctx, FV_I64, 1, (int64_t[]){3}, (int64_t[]){2, 2, 0});
    fv_graph_set_input(g, a, ta);
    fv_graph_set_input(g, b, tb);
    CHECK(q && fv_graph_forward(g) != FV_OK && has(ctx, "div_", "division by zero", "element 2"),
          "integer division by zero fails the forward pass: %s", fv_errmsg(ctx));
    fv_i64(tb)[2] = -1;
    fv_graph_set_input(g, b, tb);
    CHECK(fv_graph_forward(g) == FV_OK && fv_i64(fv_node_value(q))[0] == 3 && fv_i64(fv_node_value(q))[1] == -3,
          "7 / 2 = 3 and -7 / 2 = -3 (toward zero) (%s)", fv_errmsg(ctx));
    fv_tensor_free(ta);
    fv_tensor_free(tb);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_unary(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", FV_F32, 2, (int64_t[]){2, 3});
    fv_node *i = input(g, "i", FV_I32, 2, (int64_t[]){2, 3});
    CHECK(!fv_exp(g, i) && has(ctx, "unary 'exp_", "float32", "int32 (2,3)"), "exp refuses int32: %s",
          fv_errmsg(ctx));
    CHECK(!fv_softplus(g, x, 0.0f, 20.0f) && has(ctx, "softplus_", "beta", NULL), "softplus beta 0: %s",
          fv_errmsg(ctx));
    CHECK(!fv_hardtanh(g, x, 2.0f, 1.0f) && has(ctx, "hardtanh", "min 2", "max 1"), "hardtanh min > max: %s",
          fv_errmsg(ctx));
    CHECK(!fv_clip(g, x, NAN, 1.0f) && has(ctx, "clip", "nan", NULL), "clip with a NaN bound: %s", fv_errmsg(ctx));
    CHECK(!fv_unary(g, x, FV_UN_SELU, INFINITY, 1.0f) && has(ctx, "selu", "finite", NULL), "selu alpha inf: %s",
          fv_errmsg(ctx));
    CHECK(!fv_unary(g, x, (fv_unary_kind)-1, 0, 0) && has(ctx, "unknown unary kind -1", NULL, NULL),
          "an unknown unary kind: %s", fv_errmsg(ctx));
    CHECK(fv_clip(g, x, 1.0f, -1.0f) != NULL, "clip with min > max builds (max wins, as ONNX and PyTorch)");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_softmax(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", FV_F32, 3, (int64_t[]){2, 3, 4});
    fv_node *s = input(g, "s", FV_F32, 0, NULL);
    CHECK(!fv_softmax(g, x, 3) && has(ctx, "softmax", "axis 3", "(2,3,4)"), "softmax axis 3 of rank 3: %s",
          fv_errmsg(ctx));
    CHECK(!fv_log_softmax(g, x, -4) && has(ctx, "log_softmax", "axis -4", NULL), "axis -4: %s", fv_errmsg(ctx));
    CHECK(fv_softmax_flat(g, x, 3, false) && !fv_softmax_flat(g, x, 4, true) && has(ctx, "axis 4", "[-3, 3]", NULL),
          "flattened softmax takes axis 3 of rank 3, not 4: %s", fv_errmsg(ctx));
    CHECK(fv_softmax(g, s, -1) && !fv_softmax(g, s, 1) && has(ctx, "axis 1", "()", NULL),
          "a scalar takes axis -1, not 1: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_compare_where_cast(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", FV_F32, 2, (int64_t[]){2, 3});
    fv_node *y = input(g, "y", FV_F32, 2, (int64_t[]){3, 3});
    fv_node *i = input(g, "i", FV_I64, 2, (int64_t[]){2, 3});
    fv_node *c = input(g, "c", FV_BOOL, 2, (int64_t[]){2, 3});
    fv_node *c4 = input(g, "c4", FV_BOOL, 1, (int64_t[]){4});
    CHECK(!fv_less(g, x, i) && has(ctx, "compare 'less_", "float32 (2,3)", "int64 (2,3)"),
          "less refuses mixed types: %s", fv_errmsg(ctx));
    CHECK(!fv_equal(g, x, y) && has(ctx, "equal", "(2,3)", "(3,3)"), "equal refuses (2,3) vs (3,3): %s",
          fv_errmsg(ctx));
    CHECK(!fv_isnan(g, i) && has(ctx, "isnan", "int64", NULL), "isnan refuses int64: %s", fv_errmsg(ctx));
    CHECK(!fv_logical_and(g, c, x) && has(ctx, "logical 'and_", "input 1 must be bool", "float32 (2,3)"),
          "and refuses float: %s", fv_errmsg(ctx));
    CHECK(!fv_logical_or(g, c, c4) && has(ctx, "or", "(2,3)", "(4)"), "or refuses (2,3) vs (4): %s", fv_errmsg(ctx));
    CHECK(!fv_where(g, x, x, x) && has(ctx, "where", "cond must be bool", "float32 (2,3)"),
          "where wants a bool cond: %s", fv_errmsg(ctx));
    CHECK(!fv_where(g, c, x, i) && has(ctx, "where", "float32 (2,3)", "int64 (2,3)"),
          "where wants a and b of one type: %s", fv_errmsg(ctx));
    CHECK(!fv_where(g, c4, x, x) && has(ctx, "where", "(4), (2,3) and (2,3)", NULL),
          "where names the three shapes: %s", fv_errmsg(ctx));
    CHECK(!fv_cast(g, x, (fv_dtype)7) && has(ctx, "cast", "unknown dtype 7", "(2,3)"), "cast to dtype 7: %s",
          fv_errmsg(ctx));
    fv_node *k = fv_cast(g, x, FV_I32);
    fv_tensor *t = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){2, 3}, (float[]){1.5f, -2.5f, 0, 3e9f, 1, 2});
    fv_graph_set_input(g, x, t);
    CHECK(k && fv_graph_forward(g) != FV_OK && has(ctx, "cast", "element 3", "int32"),
          "a float outside int32 fails the cast: %s", fv_errmsg(ctx));
    fv_tensor_free(t);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* fv_add and fv_mul broadcast over six dimensions (they stopped at five). */
static void add_rank6(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = input(g, "a", FV_F32, 6, (int64_t[]){2, 1, 2, 1, 1, 3});
    fv_node *b = input(g, "b", FV_F32, 6, (int64_t[]){1, 2, 1, 1, 2, 1});
    fv_node *s = fv_add(g, a, b);
    fv_tensor *ta = fv_tensor_new(ctx, FV_F32, 6, (int64_t[]){2, 1, 2, 1, 1, 3});
    fv_tensor *tb = fv_tensor_new(ctx, FV_F32, 6, (int64_t[]){1, 2, 1, 1, 2, 1});
    for (int i = 0; i < 12; i++) fv_f32(ta)[i] = (float)i;
    for (int i = 0; i < 4; i++) fv_f32(tb)[i] = 100.0f * (float)i;
    fv_graph_set_input(g, a, ta);
    fv_graph_set_input(g, b, tb);
    /* out[i0,i1,i2,0,i4,i5] = a[i0,0,i2,0,0,i5] + b[0,i1,0,0,i4,0]; the last element: a[11] + b[3] */
    CHECK(s && fv_graph_forward(g) == FV_OK && fv_node_value(s)->size == 48 &&
              fv_f32(fv_node_value(s))[47] == 311.0f && fv_f32(fv_node_value(s))[4] == 101.0f,
          "rank-6 add (%s)", fv_errmsg(ctx));
    fv_tensor_free(ta);
    fv_tensor_free(tb);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    run_all("math_bin_", build_binary);
    run_all("math_prelu_", build_prelu);
    run_all("math_int_", build_binary);
    run_all("math_un_", build_unary);
    run_all("math_softmax_", build_softmax);
    run_all("math_cmp_", build_compare);
    run_all("math_test_", build_compare);
    run_all("math_logic_", build_logical);
    run_all("math_where_", build_where);
    run_all("math_cast_", build_cast);
    bad_binary();
    int_division_by_zero();
    bad_unary();
    bad_softmax();
    bad_compare_where_cast();
    add_rank6();
    return test_finish();
}
