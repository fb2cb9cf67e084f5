/* The reduce family against PyTorch (tests/reference/gen_reduce.py) and finite differences: reductions,
 * argmax/argmin, top-k (values and indices), cumsum, matmul, gemm, einsum; integer outputs compared exactly;
 * empty reductions; the batched matmul on several threads against one thread and the reference kernels;
 * and the errors each op gives for bad inputs, naming op, node and shapes. */
#include <stdlib.h>

#include "opcheck.h"
#include "test.h"

static int axes_of(const fx_file *fx, int *axes)
{
    const fv_tensor *t = fx_get(fx, "attr:axes");
    int n = t ? (int)t->size : 0;
    for (int i = 0; i < n && i < FV_MAX_DIMS; i++) axes[i] = fx_int(fx, "attr:axes", i, 0);
    return n;
}

static fv_node *build_reduce(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    const char *op = fx_str(fx, "meta:op");
    int kind = 0;
    while (kind < FV_REDUCE_COUNT && strcmp(op + strlen("reduce_"), fv_reduce_name((fv_reduce_kind)kind)) != 0) kind++;
    int axes[FV_MAX_DIMS];
    int n = axes_of(fx, axes);
    return fv_reduce(g, opcheck_leaf(in, "x"), (fv_reduce_kind)kind, axes, n, fx_int(fx, "attr:keepdims", 0, 0));
}

static fv_node *build_topk(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_topk(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:k", 0, 1), fx_int(fx, "attr:axis", 0, 0),
                   fx_int(fx, "attr:largest", 0, 1), true);
}

static fv_node *build_cumsum(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_cumsum(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:axis", 0, 0), fx_int(fx, "attr:exclusive", 0, 0),
                     fx_int(fx, "attr:reverse", 0, 0));
}

static fv_node *build_matmul(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_matmul(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"));
}

static fv_node *build_gemm(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_gemm_node(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"), opcheck_leaf(in, "c"),
                        fx_float(fx, "attr:alpha", 1), fx_float(fx, "attr:beta", 1), fx_int(fx, "attr:ta", 0, 0),
                        fx_int(fx, "attr:tb", 0, 0));
}

static fv_node *build_einsum(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_einsum(g, fx_str(fx, "meta:equation"), opcheck_leaf(in, "a"), opcheck_leaf(in, "b"));
}

/* ---- integer outputs: forward only, compared exactly ---------------------------------------------- */

static fv_node *build_index(fv_graph *g, fv_node *x, const fx_file *fx)
{
    const char *op = fx_str(fx, "meta:op");
    int axis = fx_int(fx, "attr:axis", 0, 0);
    if (strcmp(op, "topk_indices") == 0)
        return fv_topk_indices(g, fv_topk(g, x, fx_int(fx, "attr:k", 0, 1), axis, fx_int(fx, "attr:largest", 0, 1),
                                          true));
    bool keep = fx_int(fx, "attr:keepdims", 0, 0), last = fx_int(fx, "attr:last", 0, 0);
    return strcmp(op, "argmax") == 0 ? fv_argmax(g, x, axis, keep, last) : fv_argmin(g, x, axis, keep, last);
}

static void index_fixture(const char *path, bool reference)
{
    fx_file *fx = fx_load(path);
    const char *tag = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!CHECK(fx != NULL, "%s: fixture loads", tag)) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_use_reference_kernels(ctx, reference);
    fv_graph *g = fv_graph_new(ctx);
    const fv_tensor *xv = fx_get(fx, "in:x"), *want = fx_get(fx, "out");
    fv_node *x = fv_input(g, "x", FV_F32, xv->ndim, xv->shape);
    fv_node *y = x && fv_graph_set_input(g, x, xv) == FV_OK ? build_index(g, x, fx) : NULL;
    if (CHECK(y != NULL, "%s: builds (%s)", tag, fv_errmsg(ctx)) &&
        CHECK(fv_graph_forward(g) == FV_OK, "%s: forward (%s)", tag, fv_errmsg(ctx))) {
        const fv_tensor *got = fv_node_value(y);
        bool same = got->dtype == FV_I64 && got->ndim == want->ndim && got->size == want->size;
        for (int d = 0; same && d < got->ndim; d++) same = got->shape[d] == want->shape[d];
        for (int64_t i = 0; same && i < got->size; i++) same = fv_i64(got)[i] == fx_int_of(want, i);
        CHECK(same, "%s%s: int64 indices %s equal the reference", tag, reference ? " [ref]" : "", "");
    }
    fv_graph_free(g);
    fv_ctx_free(ctx);
    fx_free(fx);
}

static void index_all(const char *prefix)
{
    char **paths;
    int n = fx_list(FIXTURE_DIR, prefix, &paths);
    CHECK(n > 0, "fixtures %s*.fvx found: %d", prefix, n);
    for (int i = 0; i < n; i++) {
        index_fixture(paths[i], false);
        index_fixture(paths[i], true);
    }
    fx_list_free(paths, n);
}

/* ---- helpers -------------------------------------------------------------------------------------- */

static int has(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

static fv_node *input(fv_graph *g, const char *name, int ndim, const int64_t *shape)
{
    return fv_input(g, name, FV_F32, ndim, shape);
}

/* Feed x with values from a fixed pattern. */
static void feed(fv_graph *g, fv_node *x, int ndim, const int64_t *shape)
{
    fv_ctx *ctx = fv_graph_ctx(g);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, ndim, shape);
    if (!t) { /* an empty shape: fv_tensor_new wants dimensions >= 1 */
        static float none; /* no element is read, but memcpy wants a pointer */
        fv_tensor e = {.dtype = FV_F32, .ndim = ndim, .size = 0, .data = &none};
        for (int d = 0; d < ndim; d++) e.shape[d] = shape[d];
        fv_graph_set_input(g, x, &e);
        return;
    }
    for (int64_t i = 0; i < t->size; i++) fv_f32(t)[i] = (float)((i * 37 % 23) - 11) / 7.0f;
    fv_graph_set_input(g, x, t);
    fv_tensor_free(t);
}

/* ---- empty reductions ----------------------------------------------------------------------------- */

static void empty_reductions(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 2, (int64_t[]){3, 0});
    feed(g, x, 2, (int64_t[]){3, 0});
    int ax = 1;
    fv_node *mean = fv_reduce(g, x, FV_REDUCE_MEAN, &ax, 1, false);
    fv_node *lse = fv_reduce(g, x, FV_REDUCE_LOG_SUM_EXP, &ax, 1, false);
    fv_node *prod = fv_reduce(g, x, FV_REDUCE_PROD, &ax, 1, true);
    fv_node *l2 = fv_reduce(g, x, FV_REDUCE_L2, &ax, 1, false);
    if (CHECK(mean && lse && prod && l2 && fv_graph_forward(g) == FV_OK, "empty reductions run (%s)", fv_errmsg(ctx))) {
        bool ok = true;
        for (int i = 0; i < 3; i++) {
            ok = ok && isnan(fv_f32(fv_node_value(mean))[i]);
            ok = ok && isinf(fv_f32(fv_node_value(lse))[i]) && fv_f32(fv_node_value(lse))[i] < 0;
            ok = ok && fv_f32(fv_node_value(prod))[i] == 1.0f && fv_f32(fv_node_value(l2))[i] == 0.0f;
        }
        CHECK(ok && fv_node_value(prod)->ndim == 2, "over a size-0 axis: mean NaN, log-sum-exp -inf, prod 1, l2 0");
    }
    CHECK(fv_reduce(g, x, FV_REDUCE_MAX, &ax, 1, false) == NULL && has(ctx, "reduce_max", "(3,0)", "size 0"),
          "max over an empty axis is refused: %s", fv_errmsg(ctx));
    CHECK(fv_reduce(g, x, FV_REDUCE_MIN, NULL, 0, false) == NULL && has(ctx, "reduce_min", "(3,0)", NULL),
          "min over all axes of an empty tensor is refused: %s", fv_errmsg(ctx));
    int ax0 = 0;
    fv_node *max0 = fv_reduce(g, x, FV_REDUCE_MAX, &ax0, 1, false);
    CHECK(max0 && fv_node_value(max0)->shape[0] == 0, "max over a non-empty axis of an empty tensor is empty (%s)",
          fv_errmsg(ctx));
    CHECK(fv_argmax(g, x, 1, false, false) == NULL && has(ctx, "argmax", "(3,0)", "empty"),
          "argmax over an empty axis is refused: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* ---- bad inputs ----------------------------------------------------------------------------------- */

static void bad_reduce(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 3, (int64_t[]){2, 3, 4});
    fv_graph_set_next_name(g, "pool.mean");
    CHECK(fv_reduce(g, x, FV_REDUCE_MEAN, (int[]){0, 3}, 2, false) == NULL &&
              has(ctx, "reduce_mean 'pool.mean'", "axis 3", "(2,3,4)"),
          "reduce rejects axis 3: %s", fv_errmsg(ctx));
    CHECK(fv_reduce(g, x, FV_REDUCE_SUM, (int[]){-1, 2}, 2, false) == NULL &&
              has(ctx, "reduce_sum", "(-1,2)", "repeat axis 2"),
          "reduce rejects -1 and 2 together on rank 3: %s", fv_errmsg(ctx));
    CHECK(fv_reduce(g, x, FV_REDUCE_SUM, (int[]){-4}, 1, false) == NULL && has(ctx, "axis -4", "(2,3,4)", NULL),
          "reduce rejects axis -4: %s", fv_errmsg(ctx));
    CHECK(fv_reduce(g, x, FV_REDUCE_SUM, NULL, 2, false) == NULL && has(ctx, "reduce_sum", "NULL", NULL),
          "reduce rejects NULL axes: %s", fv_errmsg(ctx));
    CHECK(fv_reduce(g, x, FV_REDUCE_SUM, (int[]){0, 1, 2, 0, 1, 2, 0}, 7, false) == NULL && has(ctx, "7 axes", NULL, NULL),
          "reduce rejects 7 axes: %s", fv_errmsg(ctx));
    CHECK(fv_reduce(g, x, (fv_reduce_kind)99, NULL, 0, false) == NULL && has(ctx, "kind 99", NULL, NULL),
          "reduce rejects kind 99: %s", fv_errmsg(ctx));
    fv_node *lab = fv_input(g, "labels", FV_I64, 1, (int64_t[]){5});
    CHECK(fv_reduce(g, lab, FV_REDUCE_SUM, NULL, 0, false) == NULL && has(ctx, "float32", "int64", NULL),
          "reduce rejects int64: %s", fv_errmsg(ctx));
    CHECK(fv_reduce(g, NULL, FV_REDUCE_SUM, NULL, 0, false) == NULL, "NULL input propagates");
    fv_node *s = input(g, "s", 0, NULL);
    fv_node *rs = fv_reduce(g, s, FV_REDUCE_SUM, (int[]){-1}, 1, true);
    CHECK(rs && fv_node_value(rs)->ndim == 0, "a scalar takes axis -1 (%s)", fv_errmsg(ctx));
    CHECK(fv_reduce(g, s, FV_REDUCE_SUM, (int[]){1}, 1, true) == NULL && has(ctx, "axis 1", "()", NULL),
          "a scalar refuses axis 1: %s", fv_errmsg(ctx));
    CHECK(fv_argmin(g, x, 3, false, false) == NULL && has(ctx, "argmin", "axis 3", "(2,3,4)"),
          "argmin rejects axis 3: %s", fv_errmsg(ctx));
    fv_node *am = fv_argmax(g, x, -1, true, false);
    CHECK(am && fv_node_value(am)->dtype == FV_I64 && fv_node_value(am)->shape[2] == 1, "argmax is int64 (%s)",
          fv_errmsg(ctx));
    CHECK(fv_graph_forward(g) == FV_OK && fv_graph_backward(g, am) != FV_OK && has(ctx, "integer", NULL, NULL),
          "argmax has no gradient: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_topk_cumsum(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 2, (int64_t[]){3, 5});
    fv_graph_set_next_name(g, "head.top");
    CHECK(fv_topk(g, x, 6, 1, true, true) == NULL && has(ctx, "topk 'head.top'", "k 6", "(3,5)"),
          "topk rejects k 6 of 5: %s", fv_errmsg(ctx));
    CHECK(fv_topk(g, x, -1, 1, true, true) == NULL && has(ctx, "k -1", NULL, NULL), "topk rejects k -1: %s",
          fv_errmsg(ctx));
    CHECK(fv_topk(g, x, 1, 2, true, true) == NULL && has(ctx, "axis 2", "(3,5)", NULL), "topk rejects axis 2: %s",
          fv_errmsg(ctx));
    CHECK(fv_topk_indices(g, x) == NULL && has(ctx, "topk_indices", "input 'x'", "not a topk"),
          "topk_indices rejects a non-topk node: %s", fv_errmsg(ctx));
    CHECK(fv_cumsum(g, x, -3, false, false) == NULL && has(ctx, "cumsum", "axis -3", "(3,5)"),
          "cumsum rejects axis -3: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_products(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = input(g, "a", 3, (int64_t[]){2, 3, 4});
    fv_node *b = input(g, "b", 3, (int64_t[]){3, 4, 5});
    fv_node *c = input(g, "c", 2, (int64_t[]){5, 6});
    fv_node *s = input(g, "s", 0, NULL);
    fv_graph_set_next_name(g, "attn.qk");
    CHECK(fv_matmul(g, a, b) == NULL && has(ctx, "matmul 'attn.qk'", "(2,3,4)", "(3,4,5)") &&
              has(ctx, "2 vs 3", "do not broadcast", NULL),
          "matmul rejects batches 2 and 3: %s", fv_errmsg(ctx));
    CHECK(fv_matmul(g, a, c) == NULL && has(ctx, "4 columns", "5 rows", "(5,6)"), "matmul rejects K 4 vs 5: %s",
          fv_errmsg(ctx));
    CHECK(fv_matmul(g, s, c) == NULL && has(ctx, "scalar", "()", NULL), "matmul rejects a scalar: %s",
          fv_errmsg(ctx));
    fv_node *m = input(g, "m", 2, (int64_t[]){4, 5});
    CHECK(fv_gemm_node(g, a, m, NULL, 1, 1, false, false) == NULL && has(ctx, "gemm", "input a", "2 dimensions"),
          "gemm rejects a 3-D a: %s", fv_errmsg(ctx));
    fv_node *p = input(g, "p", 2, (int64_t[]){3, 4});
    CHECK(fv_gemm_node(g, p, m, c, 1, 1, false, false) == NULL && has(ctx, "c (5,6)", "(3,5)", NULL),
          "gemm rejects c (5,6) for (3,5): %s", fv_errmsg(ctx));
    CHECK(fv_gemm_node(g, p, m, NULL, 1, 1, true, false) == NULL && has(ctx, "K = 3", "K = 4", "transposed"),
          "gemm rejects transposed K mismatch: %s", fv_errmsg(ctx));
    fv_node *ok = fv_gemm_node(g, p, m, input(g, "row", 1, (int64_t[]){5}), 1, 1, false, false);
    CHECK(ok && fv_node_value(ok)->shape[0] == 3 && fv_node_value(ok)->shape[1] == 5, "gemm (3,4)(4,5)+(5) (%s)",
          fv_errmsg(ctx));
    CHECK(fv_einsum(g, "bij,jbk->bik", a, b) == NULL && has(ctx, "einsum", "bij,jbk->bik", "batch letters"),
          "einsum refuses a transposed batch layout: %s", fv_errmsg(ctx));
    CHECK(fv_einsum(g, "ij,jk", p, m) == NULL && has(ctx, "explicit output", NULL, NULL),
          "einsum refuses an implicit output: %s", fv_errmsg(ctx));
    CHECK(fv_einsum(g, "ij,kl->il", p, m) == NULL && has(ctx, "'j'", "summed", NULL),
          "einsum refuses a sum within one operand: %s", fv_errmsg(ctx));
    CHECK(fv_einsum(g, "ii,ij->ij", p, m) == NULL && has(ctx, "repeated", NULL, NULL),
          "einsum refuses a repeated letter: %s", fv_errmsg(ctx));
    CHECK(fv_einsum(g, "ij,jk->ik", p, c) == NULL && has(ctx, "(3,4)", "(5,6)", "does not fit"),
          "einsum refuses mismatched sizes: %s", fv_errmsg(ctx));
    CHECK(fv_einsum(g, NULL, p, m) == NULL && has(ctx, "NULL", NULL, NULL), "einsum refuses NULL: %s",
          fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* ---- the batched matmul on threads ---------------------------------------------------------------- */

/* Forward and both gradients of a batched product, on `threads` threads or the reference kernels; outputs
 * copied to res (out, da, db concatenated). */
static int run_matmul(int threads, bool reference, const int64_t *sa, const int64_t *sb, int nd, float *res,
                      int64_t *n_res)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_ctx_set_threads(ctx, threads);
    fv_ctx_use_reference_kernels(ctx, reference);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = input(g, "a", nd, sa), *b = input(g, "b", nd, sb);
    feed(g, a, nd, sa);
    feed(g, b, nd, sb);
    fv_node_keep_grad(g, a);
    fv_node_keep_grad(g, b);
    fv_node *y = fv_matmul(g, a, b);
    int ok = y && fv_graph_forward(g) == FV_OK;
    if (ok) {
        fv_tensor *seed = fv_tensor_new(ctx, FV_F32, fv_node_value(y)->ndim, fv_node_value(y)->shape);
        for (int64_t i = 0; i < seed->size; i++) fv_f32(seed)[i] = (float)((i * 13 % 17) - 8) / 5.0f;
        ok = fv_graph_backward_seed(g, y, seed) == FV_OK;
        fv_tensor_free(seed);
    }
    *n_res = 0;
    const fv_tensor *parts[3] = {ok ? fv_node_value(y) : NULL, ok ? fv_node_grad(a) : NULL,
                                 ok ? fv_node_grad(b) : NULL};
    for (int k = 0; k < 3 && ok; k++) {
        memcpy(res + *n_res, parts[k]->data, (size_t)parts[k]->size * sizeof(float));
        *n_res += parts[k]->size;
    }
    fv_graph_free(g);
    fv_ctx_free(ctx);
    return ok;
}

static void matmul_threads(void)
{
    struct {
        int nd;
        int64_t a[4], b[4];
    } cases[] = {
        {4, {2, 6, 17, 9}, {2, 6, 9, 13}}, /* attention-like: heads shared out whole */
        {3, {7, 33, 5}, {1, 5, 3}},        /* b broadcast: its gradient stays serial */
        {3, {1, 65, 31}, {5, 31, 7}},      /* a broadcast */
        {2, {130, 70}, {70, 90}},          /* one product on the GEMM's threads */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float *r1 = malloc(sizeof(float) * 200000), *r3 = malloc(sizeof(float) * 200000),
              *rr = malloc(sizeof(float) * 200000);
        int64_t n1, n3, nr;
        int ok = run_matmul(1, false, cases[c].a, cases[c].b, cases[c].nd, r1, &n1) &&
                 run_matmul(3, false, cases[c].a, cases[c].b, cases[c].nd, r3, &n3) &&
                 run_matmul(1, true, cases[c].a, cases[c].b, cases[c].nd, rr, &nr);
        CHECK(ok && n1 == n3 && memcmp(r1, r3, (size_t)n1 * sizeof(float)) == 0,
              "matmul case %zu: 3 threads equal 1 thread bit for bit", c);
        CHECK(ok && n1 == nr && rel_error(r1, rr, n1) < 1e-5, "matmul case %zu: fast equals reference (%.2e)", c,
              ok ? rel_error(r1, rr, n1) : -1.0);
        free(r1);
        free(r3);
        free(rr);
    }
}

int main(void)
{
    opcheck_all("reduce_", build_reduce);
    opcheck_all("topk_", build_topk);
    opcheck_all("cumsum_", build_cumsum);
    opcheck_all("matmul_", build_matmul);
    opcheck_all("gemm_", build_gemm);
    opcheck_all("einsum_", build_einsum);
    index_all("argmax_");
    index_all("argmin_");
    index_all("topkidx_");
    empty_reductions();
    bad_reduce();
    bad_topk_cumsum();
    bad_products();
    matmul_threads();
    return test_finish();
}
