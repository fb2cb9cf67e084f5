/* add, mul (broadcasting), concat, reshape and flatten against PyTorch (tests/reference/gen_shape.py) and
 * finite differences, plus shape errors and shapes that follow a new batch size. */
#include "opcheck.h"
#include "test.h"

static fv_node *build_add(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_add(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"));
}

static fv_node *build_mul(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_mul(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"));
}

/* The inputs x0, x1, ... are the fixture's leaves, in order. */
static fv_node *build_concat(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_concat(g, in->leaf, in->n, fx_int(fx, "attr:axis", 0, 0));
}

static fv_node *build_reshape(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    const fv_tensor *s = fx_get(fx, "attr:shape");
    int64_t shape[FV_MAX_DIMS];
    int ndim = s ? (int)s->size : 0;
    for (int i = 0; i < ndim && i < FV_MAX_DIMS; i++) shape[i] = fx_int(fx, "attr:shape", i, 0);
    return fv_reshape(g, opcheck_leaf(in, "x"), ndim, shape);
}

static fv_node *build_flatten(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_flatten(g, opcheck_leaf(in, "x"));
}

static int has(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

static fv_node *input(fv_graph *g, const char *name, int ndim, const int64_t *shape)
{
    return fv_input(g, name, FV_F32, ndim, shape);
}

static void bad_arithmetic(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = input(g, "a", 4, (int64_t[]){2, 3, 4, 5});
    fv_node *b = input(g, "b", 2, (int64_t[]){3, 4});
    fv_node *c = input(g, "c", 2, (int64_t[]){3, 1});
    CHECK(fv_add(g, a, c) == NULL && has(ctx, "add", "(2,3,4,5)", "(3,1)") && has(ctx, "4 vs 3", NULL, NULL),
          "add rejects (2,3,4,5) + (3,1): %s", fv_errmsg(ctx));
    CHECK(fv_mul(g, b, a) == NULL && has(ctx, "mul", "(3,4)", "(2,3,4,5)"), "mul rejects (3,4) * (2,3,4,5): %s",
          fv_errmsg(ctx));
    fv_node *lab = fv_input(g, "labels", FV_I32, 1, (int64_t[]){5});
    CHECK(fv_add(g, a, lab) == NULL && has(ctx, "float32", NULL, NULL), "add rejects int32: %s", fv_errmsg(ctx));
    CHECK(fv_add(g, a, NULL) == NULL && fv_mul(g, NULL, a) == NULL, "NULL inputs propagate");
    fv_node *ok = fv_mul(g, input(g, "col", 2, (int64_t[]){4, 1}), input(g, "row", 1, (int64_t[]){3}));
    const fv_tensor *v = ok ? fv_node_value(ok) : NULL;
    CHECK(v && v->ndim == 2 && v->shape[0] == 4 && v->shape[1] == 3, "(4,1) * (3) is (4,3) (%s)", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_concat(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x0 = input(g, "x0", 4, (int64_t[]){2, 3, 6, 5});
    fv_node *x1 = input(g, "x1", 4, (int64_t[]){2, 4, 6, 5});
    fv_node *x2 = input(g, "x2", 4, (int64_t[]){2, 4, 5, 5});
    fv_node *x3 = input(g, "x3", 3, (int64_t[]){2, 4, 6});
    CHECK(fv_concat(g, (fv_node *[]){x0, x1, x2}, 3, 1) == NULL && has(ctx, "concat", "input 2 (2,4,5,5)", "(2,3,6,5)"),
          "concat names the mismatching input: %s", fv_errmsg(ctx));
    CHECK(fv_concat(g, (fv_node *[]){x0, x3}, 2, 1) == NULL && has(ctx, "input 1 (2,4,6)", "(2,3,6,5)", NULL),
          "concat rejects a different rank: %s", fv_errmsg(ctx));
    CHECK(fv_concat(g, (fv_node *[]){x0, x1}, 2, 4) == NULL && has(ctx, "axis 4", "(2,3,6,5)", NULL),
          "concat rejects axis 4: %s", fv_errmsg(ctx));
    CHECK(fv_concat(g, (fv_node *[]){x0, x1}, 2, -5) == NULL && has(ctx, "axis -5", NULL, NULL),
          "concat rejects axis -5: %s", fv_errmsg(ctx));
    CHECK(fv_concat(g, (fv_node *[]){x0}, 0, 1) == NULL && has(ctx, "concat", "at least one input", NULL),
          "concat rejects zero inputs: %s", fv_errmsg(ctx));
    CHECK(fv_concat(g, NULL, 2, 1) == NULL && has(ctx, "concat", "NULL", NULL), "concat rejects a NULL array: %s",
          fv_errmsg(ctx));
    CHECK(fv_concat(g, (fv_node *[]){x0, NULL}, 2, 1) == NULL, "concat propagates a NULL input");
    fv_node *y = fv_concat(g, (fv_node *[]){x0, x1, x0}, 3, -3);
    CHECK(y && fv_node_value(y)->shape[1] == 10, "concat of one node twice along axis -3: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_reshape(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 3, (int64_t[]){2, 3, 4});
    CHECK(fv_reshape(g, x, 2, (int64_t[]){5, -1}) == NULL && has(ctx, "reshape", "(2,3,4)", "(5,-1)"),
          "reshape rejects 24 elements into (5,-1): %s", fv_errmsg(ctx));
    CHECK(fv_reshape(g, x, 2, (int64_t[]){5, 5}) == NULL && has(ctx, "(2,3,4)", "24", "(5,5)"),
          "reshape rejects a size mismatch: %s", fv_errmsg(ctx));
    CHECK(fv_reshape(g, x, 3, (int64_t[]){-1, 2, -1}) == NULL && has(ctx, "more than one -1", "(-1,2,-1)", NULL),
          "reshape rejects two -1: %s", fv_errmsg(ctx));
    CHECK(fv_reshape(g, x, 2, (int64_t[]){-2, -12}) == NULL && has(ctx, "negative size -2", NULL, NULL),
          "reshape rejects -2: %s", fv_errmsg(ctx));
    CHECK(fv_reshape(g, x, 4, (int64_t[]){0, 0, 0, 0}) == NULL &&
              has(ctx, "0 at position 3", "(2,3,4) has only 3 dimensions", NULL),
          "reshape rejects 0 beyond the input's rank: %s", fv_errmsg(ctx));
    CHECK(fv_reshape(g, x, 7, (int64_t[]){1, 1, 2, 3, 4, 1, 1}) == NULL && has(ctx, "7 dimensions", NULL, NULL),
          "reshape rejects 7 dimensions: %s", fv_errmsg(ctx));
    fv_node *six = fv_reshape(g, x, 6, (int64_t[]){1, 1, 2, 3, 4, 1});
    CHECK(six && fv_node_value(six)->ndim == 6, "reshape to 6 dimensions: %s", fv_errmsg(ctx));
    CHECK(fv_reshape(g, x, 2, NULL) == NULL && has(ctx, "NULL", NULL, NULL), "reshape rejects a NULL shape: %s",
          fv_errmsg(ctx));
    CHECK(fv_reshape(g, x, 2, (int64_t[]){INT64_MAX, INT64_MAX}) == NULL && has(ctx, "cannot reshape", NULL, NULL),
          "reshape rejects sizes whose product overflows: %s", fv_errmsg(ctx));
    CHECK(fv_reshape(g, NULL, 1, (int64_t[]){-1}) == NULL && fv_flatten(g, NULL) == NULL, "NULL inputs propagate");
    fv_node *s = input(g, "s", 0, NULL);
    CHECK(fv_flatten(g, s) == NULL && has(ctx, "reshape", "()", NULL), "flatten rejects a scalar: %s",
          fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static int shape_is(const fv_node *n, int ndim, const int64_t *shape)
{
    const fv_tensor *v = fv_node_value(n);
    if (!v || v->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (v->shape[i] != shape[i]) return 0;
    return 1;
}

/* Feed (batch, 3, 2, 2) with x[i] = i; return whether forward succeeded. */
static int feed(fv_graph *g, fv_node *x, int64_t batch)
{
    fv_ctx *ctx = fv_graph_ctx(g);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){batch, 3, 2, 2});
    for (int64_t i = 0; i < t->size; i++) fv_f32(t)[i] = (float)i;
    int ok = fv_graph_set_input(g, x, t) == FV_OK && fv_graph_forward(g) == FV_OK;
    fv_tensor_free(t);
    return ok;
}

/* Reshape keeps the requested 0 and -1, so it follows a batch size changed with fv_graph_set_input. */
static void follows_batch(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 4, (int64_t[]){2, 3, 2, 2});
    fv_node *flat = fv_flatten(g, x);
    fv_node *r = fv_reshape(g, x, 3, (int64_t[]){-1, 3, 4});
    fv_node *z = fv_reshape(g, x, 3, (int64_t[]){0, 0, -1});
    CHECK(feed(g, x, 2) && shape_is(flat, 2, (int64_t[]){2, 12}) && shape_is(r, 3, (int64_t[]){2, 3, 4}),
          "batch 2: flatten (2,12), reshape (2,3,4) (%s)", fv_errmsg(ctx));
    CHECK(feed(g, x, 5) && shape_is(flat, 2, (int64_t[]){5, 12}) && shape_is(r, 3, (int64_t[]){5, 3, 4}) &&
              shape_is(z, 3, (int64_t[]){5, 3, 4}) && fv_f32(fv_node_value(flat))[59] == 59.0f,
          "batch 5: flatten (5,12), reshapes (5,3,4) with the data (%s)", fv_errmsg(ctx));
    CHECK(feed(g, x, 1) && shape_is(flat, 2, (int64_t[]){1, 12}) && shape_is(r, 3, (int64_t[]){1, 3, 4}),
          "batch 1: flatten (1,12) (%s)", fv_errmsg(ctx));
    fv_node *fixed = fv_reshape(g, x, 2, (int64_t[]){1, 12});
    CHECK(fixed != NULL, "a fixed reshape (1,12) of batch 1 builds (%s)", fv_errmsg(ctx));
    CHECK(!feed(g, x, 3) && has(ctx, "reshape", "(3,3,2,2)", "(1,12)"),
          "a fixed reshape fails by name when the batch grows: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("add_", build_add);
    opcheck_all("mul_", build_mul);
    opcheck_all("concat_", build_concat);
    opcheck_all("reshape_", build_reshape);
    opcheck_all("flatten_", build_flatten);
    bad_arithmetic();
    bad_concat();
    bad_reshape();
    follows_batch();
    return test_finish();
}
