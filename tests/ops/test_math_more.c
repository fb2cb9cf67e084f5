/* The later math and reduce kinds against PyTorch (tests/reference/gen_math_more.py): trigonometric and
 * hyperbolic functions, softsign, thresholded ReLU, shrink, hard sigmoid, CELU, mod and fmod on floats and
 * integers, the n-input sum and mean, reduce log-sum and hardmax, through opcheck (fast and reference kernels,
 * gradients, finite differences); then isinf by sign, and the errors, each naming the op, the node and the
 * shapes. */
#include <math.h>
#include <stdlib.h>

#include "opcheck.h"
#include "test.h"

static int attr(const fx_file *fx, const char *name, int def) { return fx_int(fx, name, 0, def); }

static fv_node *build_unary(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_unary(g, opcheck_leaf(in, "x"), (fv_unary_kind)attr(fx, "attr:kind", -1), fx_float(fx, "attr:p0", 0),
                    fx_float(fx, "attr:p1", 0));
}

static fv_node *build_binary(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_binary(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"), (fv_binary_kind)attr(fx, "attr:kind", -1));
}

static fv_node *build_sum(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_node *xs[8];
    int n = attr(fx, "attr:n", 0);
    for (int i = 0; i < n && i < 8; i++) {
        char name[8];
        snprintf(name, sizeof name, "x%d", i);
        xs[i] = opcheck_leaf(in, name);
    }
    return attr(fx, "attr:mean", 0) ? fv_mean_n(g, xs, n) : fv_sum_n(g, xs, n);
}

static fv_node *build_log_sum(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    int axes[FV_MAX_DIMS], n = attr(fx, "attr:n_axes", 0);
    for (int i = 0; i < n; i++) axes[i] = fx_int(fx, "attr:axes", i, 0);
    return fv_reduce(g, opcheck_leaf(in, "x"), FV_REDUCE_LOG_SUM, axes, n, attr(fx, "attr:keepdims", 0));
}

static fv_node *build_hardmax(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_hardmax(g, opcheck_leaf(in, "x"), attr(fx, "attr:axis", 0), attr(fx, "attr:flat", 0));
}

/* Integer fixtures (no gradient): the output compared bit for bit, on the fast and the reference kernels. */
static void exact_fixtures(const char *prefix, opcheck_build build)
{
    char **paths;
    int n = fx_list(FIXTURE_DIR, prefix, &paths);
    CHECK(n > 0, "fixtures %s*.fvx found: %d", prefix, n);
    for (int i = 0; i < n; i++)
        for (int ref = 0; ref < 2; ref++) {
            fx_file *fx = fx_load(paths[i]);
            if (!CHECK(fx != NULL, "%s loads", paths[i])) continue;
            fv_ctx *ctx = fv_ctx_new(1);
            fv_ctx_use_reference_kernels(ctx, ref);
            fv_graph *g = fv_graph_new(ctx);
            const fv_tensor *ta = fx_get(fx, "in:a"), *tb = fx_get(fx, "in:b"), *want = fx_get(fx, "out");
            fv_node *leaf[2] = {fv_input(g, "a", ta->dtype, ta->ndim, ta->shape),
                                fv_input(g, "b", tb->dtype, tb->ndim, tb->shape)};
            opcheck_leaves in = {leaf, (const char *[]){"a", "b"}, 2};
            fv_node *y = build(g, &in, fx);
            bool ok = y && !fv_graph_set_input(g, leaf[0], ta) && !fv_graph_set_input(g, leaf[1], tb) &&
                      !fv_graph_forward(g);
            const fv_tensor *got = ok ? fv_node_value(y) : NULL;
            ok = ok && got->dtype == want->dtype && got->size == want->size &&
                 memcmp(got->data, want->data, (size_t)got->size * fv_dtype_size(got->dtype)) == 0;
            CHECK(ok, "%s%s: equals PyTorch's exactly (%s)", paths[i], ref ? " [ref]" : "", fv_errmsg(ctx));
            fv_graph_free(g);
            fv_ctx_free(ctx);
            fx_free(fx);
        }
    fx_list_free(paths, n);
}

/* isinf of one sign, the other or neither, and isnan unchanged. */
static void check_isinf_signs(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    int64_t n = 5;
    fv_node *x = fv_input(g, "x", FV_F32, 1, &n);
    fv_node *y[4] = {fv_isinf_signs(g, x, true, false), fv_isinf_signs(g, x, false, true),
                     fv_isinf_signs(g, x, false, false), fv_isinf_signs(g, x, true, true)};
    const float v[5] = {INFINITY, -INFINITY, NAN, 0.0f, -2.0f};
    fv_tensor *t = fv_tensor_from(ctx, FV_F32, 1, &n, v);
    const char *want[4] = {"10000", "01000", "00000", "11000"};
    bool ok = fv_graph_set_input(g, x, t) == FV_OK && fv_graph_forward(g) == FV_OK;
    for (int k = 0; k < 4; k++) {
        char got[6] = "";
        for (int i = 0; ok && i < 5; i++) got[i] = fv_bool(fv_node_value(y[k]))[i] ? '1' : '0';
        CHECK(ok && strcmp(got, want[k]) == 0, "isinf signs case %d: %s (want %s)", k, got, want[k]);
    }
    fv_tensor_free(t);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static int has(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

static void check_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    int64_t s3[3] = {2, 3, 4}, s1 = 5;
    fv_node *x = fv_input(g, "x", FV_F32, 3, s3), *v = fv_input(g, "v", FV_F32, 1, &s1);
    fv_node *i = fv_input(g, "i", FV_I32, 3, s3);
    fv_node *r = fv_unary(g, x, FV_UN_CELU, 0.0f, 0.0f);
    CHECK(!r && has(ctx, "celu", "alpha", NULL), "celu of alpha 0 refused: %s", fv_errmsg(ctx));
    r = fv_unary(g, x, FV_UN_SHRINK, NAN, 0.0f);
    CHECK(!r && has(ctx, "shrink", "nan", NULL), "shrink of NaN lambd refused: %s", fv_errmsg(ctx));
    r = fv_binary(g, x, v, FV_BIN_MOD);
    CHECK(!r && has(ctx, "mod", "(2,3,4)", "(5)"), "mod of shapes that do not broadcast refused: %s", fv_errmsg(ctx));
    r = fv_binary(g, x, i, FV_BIN_FMOD);
    CHECK(!r && has(ctx, "fmod", "int32", "float32"), "fmod of mixed types refused: %s", fv_errmsg(ctx));
    r = fv_sum_n(g, (fv_node *[]){x, v}, 2);
    CHECK(!r && has(ctx, "add", "(2,3,4)", "(5)"), "sum of shapes that do not broadcast refused: %s", fv_errmsg(ctx));
    r = fv_mean_n(g, (fv_node *[]){i, i}, 2);
    CHECK(!r && has(ctx, "mean", "int32", NULL), "mean of integers refused: %s", fv_errmsg(ctx));
    r = fv_hardmax(g, x, 3, false);
    CHECK(!r && has(ctx, "hardmax", "axis 3", "(2,3,4)"), "hardmax axis out of range refused: %s", fv_errmsg(ctx));
    r = fv_hardmax(g, x, -4, true);
    CHECK(!r && has(ctx, "hardmax", "axis -4", "(2,3,4)"), "flat hardmax axis out of range refused: %s", fv_errmsg(ctx));
    r = fv_reduce(g, x, FV_REDUCE_LOG_SUM, (int[]){1, -2}, 2, false);
    CHECK(!r && has(ctx, "reduce_log_sum", "repeat", "(2,3,4)"), "log_sum with a repeated axis refused: %s",
          fv_errmsg(ctx));
    fv_graph_free(g);
    /* integer remainder by zero fails the forward pass naming the element */
    g = fv_graph_new(ctx);
    int64_t two = 2;
    fv_node *a = fv_input(g, "a", FV_I32, 1, &two), *b = fv_input(g, "b", FV_I32, 1, &two);
    fv_node *m = fv_binary(g, a, b, FV_BIN_MOD);
    fv_tensor *ta = fv_tensor_from(ctx, FV_I32, 1, &two, (int32_t[]){5, 7});
    fv_tensor *tb = fv_tensor_from(ctx, FV_I32, 1, &two, (int32_t[]){3, 0});
    fv_status st = m ? fv_graph_set_input(g, a, ta) : FV_ERR_ARG;
    if (!st) st = fv_graph_set_input(g, b, tb);
    if (!st) st = fv_graph_forward(g);
    CHECK(st == FV_ERR_NUMERIC && has(ctx, "mod", "division by zero", "element 1"), "mod by zero fails: %s",
          fv_errmsg(ctx));
    fv_tensor_free(ta), fv_tensor_free(tb);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("more_un_", build_unary);
    opcheck_all("more_bin_", build_binary);
    exact_fixtures("more_int_", build_binary);
    opcheck_all("more_sum_", build_sum);
    opcheck_all("more_mean_", build_sum);
    opcheck_all("more_log_sum_", build_log_sum);
    opcheck_all("more_hardmax_", build_hardmax);
    check_isinf_signs();
    check_errors();
    return test_finish();
}
