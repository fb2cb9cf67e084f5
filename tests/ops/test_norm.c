/* batch_norm, dropout and lrn against PyTorch (tests/reference/gen_norm.py) and finite differences; dropout's
 * pass counter and masks, eval-mode batch norm gradients, and the bad-input errors. */
#include "opcheck.h"
#include "test.h"

static fv_node *build_bn(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_batch_norm_args a = fv_batch_norm_defaults();
    a.eps = fx_float(fx, "attr:eps", a.eps);
    a.momentum = fx_float(fx, "attr:momentum", a.momentum);
    return fv_batch_norm(g, opcheck_leaf(in, "x"), opcheck_leaf(in, "gamma"), opcheck_leaf(in, "beta"),
                         opcheck_leaf(in, "running_mean"), opcheck_leaf(in, "running_var"), &a);
}

static fv_node *build_dropout(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_dropout(g, opcheck_leaf(in, "x"), fx_float(fx, "attr:p", -1.0f));
}

static fv_node *build_lrn(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_lrn(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:size", 0, 0), fx_float(fx, "attr:alpha", 0),
                  fx_float(fx, "attr:beta", 0), fx_float(fx, "attr:k", 0));
}

/* A parameter filled with a + b * sin(i + phase): varied values without a generator. */
static fv_param *param(fv_ctx *ctx, const char *name, fv_param_kind kind, int64_t size, float a, float b)
{
    fv_param *p = fv_param_new(ctx, name, kind, 1, &size);
    for (int64_t i = 0; p && i < size; i++) fv_f32(&p->value)[i] = a + b * sinf((float)i + (float)size);
    return p;
}

static fv_tensor *wavy(fv_ctx *ctx, int ndim, const int64_t *shape, float phase)
{
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, ndim, shape);
    for (int64_t i = 0; t && i < t->size; i++) fv_f32(t)[i] = 1.3f * sinf(0.7f * (float)i + phase) + 0.2f;
    return t;
}

/* Eval mode (frozen statistics, as in fine-tuning or Grad-CAM): finite differences on x, gamma and beta only,
 * since the running statistics are buffers and get no gradient. */
static void bn_eval_gradcheck(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    int64_t shape[4] = {2, 3, 3, 4};
    fv_tensor *xv = wavy(ctx, 4, shape, 0.3f), *seed = wavy(ctx, 4, shape, 1.1f);
    fv_param *gamma = param(ctx, "gamma", FV_PARAM_WEIGHT, 3, 1.0f, 0.4f);
    fv_param *beta = param(ctx, "beta", FV_PARAM_WEIGHT, 3, 0.0f, 0.5f);
    fv_param *rm = param(ctx, "rm", FV_PARAM_BUFFER, 3, 0.1f, 0.3f), *rv = param(ctx, "rv", FV_PARAM_BUFFER, 3, 0.8f, 0.3f);
    fv_node *x = fv_input(g, "x", FV_F32, 4, shape);
    fv_graph_set_input(g, x, xv);
    fv_node_keep_grad(g, x);
    fv_node *leaves[3] = {x, fv_use_param(g, gamma), fv_use_param(g, beta)};
    fv_node *y = fv_batch_norm(g, x, leaves[1], leaves[2], fv_use_param(g, rm), fv_use_param(g, rv), NULL);
    fv_graph_set_training(g, false);
    if (CHECK(y && fv_graph_forward(g) == FV_OK && fv_graph_backward_seed(g, y, seed) == FV_OK,
              "batch_norm eval graph runs (%s)", fv_errmsg(ctx))) {
        int checked, bad = gradcheck(g, y, seed, leaves, 3, 16, &checked);
        CHECK(bad == 0 && checked > 0, "batch_norm eval-mode gradients match finite differences (%d elements)", checked);
        CHECK(fv_f32(&rm->value)[1] == 0.1f + 0.3f * sinf(4.0f), "batch_norm eval mode leaves running_mean alone");
    }
    fv_graph_free(g);
    fv_param_free(gamma), fv_param_free(beta), fv_param_free(rm), fv_param_free(rv);
    fv_tensor_free(xv), fv_tensor_free(seed);
    fv_ctx_free(ctx);
}

/* Output and input gradient of one dropout pass against the mask rebuilt from the generator. */
static int dropout_pass_ok(fv_node *x, fv_node *y, const fv_tensor *dy, uint64_t stream, uint64_t k, float p)
{
    const fv_tensor *xv = fv_node_value(x), *yv = fv_node_value(y), *dx = fv_node_grad(x);
    uint64_t threshold = (uint64_t)(p * 16777216.0);
    int bad = 0;
    for (int64_t i = 0; i < xv->size; i++) {
        bool keep = (fv_rng_bits(1, stream, k * (uint64_t)xv->size + (uint64_t)i) >> 40) >= threshold;
        float want = keep ? (float)(fv_f32(xv)[i] / (1.0 - p)) : 0.0f;
        float dwant = keep ? (float)(fv_f32(dy)[i] / (1.0 - p)) : 0.0f;
        bad += fv_f32(yv)[i] != want || !dx || fv_f32(dx)[i] != dwant;
    }
    return bad == 0;
}

static void dropout_passes(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    int64_t shape[2] = {5, 13};
    fv_tensor *xv = wavy(ctx, 2, shape, 0.0f), *dy = wavy(ctx, 2, shape, 2.0f);
    fv_node *x = fv_input(g, "x", FV_F32, 2, shape);
    fv_graph_set_input(g, x, xv);
    fv_node_keep_grad(g, x);
    fv_node *y0 = fv_dropout(g, x, 0.3f), *y = fv_dropout(g, y0, 0.0f);
    CHECK(y0 && y, "dropout builds (%s)", fv_errmsg(ctx));
    if (!y) goto done;
    /* y0 took stream 0, y stream 1; p == 0 is the identity, so y's gradient is y0's. */
    for (uint64_t k = 0; k < 2; k++) {
        fv_graph_forward(g);
        fv_graph_backward_seed(g, y, dy);
        CHECK(dropout_pass_ok(x, y, dy, 0, k, 0.3f), "dropout pass %d: out and dx = dy * mask / (1 - p)", (int)k);
    }
    fv_graph_set_training(g, false);
    fv_graph_forward(g);
    fv_graph_backward_seed(g, y, dy);
    CHECK(rel_error(fv_f32(fv_node_value(y)), fv_f32(xv), xv->size) == 0 &&
              rel_error(fv_f32(fv_node_grad(x)), fv_f32(dy), dy->size) == 0,
          "dropout eval mode is the identity, forward and backward");
    fv_graph_set_training(g, true);
    fv_graph_forward(g);
    fv_graph_backward_seed(g, y, dy);
    CHECK(dropout_pass_ok(x, y, dy, 0, 2, 0.3f), "dropout: an eval pass does not advance the mask counter");
done:
    fv_graph_free(g);
    fv_tensor_free(xv), fv_tensor_free(dy);
    fv_ctx_free(ctx);
}

static bool says(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

static void bn_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_param *v3 = param(ctx, "v3", FV_PARAM_BUFFER, 3, 1.0f, 0.1f), *v4 = param(ctx, "v4", FV_PARAM_BUFFER, 4, 1.0f, 0.1f);
    fv_node *c3 = fv_use_param(g, v3), *c4 = fv_use_param(g, v4);
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){2, 3, 4, 4});
    fv_node *x3 = fv_input(g, "x3", FV_F32, 3, (int64_t[]){2, 3, 4});
    CHECK(!fv_batch_norm(g, x, c4, NULL, c3, c3, NULL) && says(ctx, "batch_norm", "gamma (4)", "(2,3,4,4)"),
          "batch_norm rejects gamma of the wrong size: %s", fv_errmsg(ctx));
    CHECK(!fv_batch_norm(g, x, c3, c3, c3, c4, NULL) && says(ctx, "running_var (4)", "3 channels", NULL),
          "batch_norm rejects running_var of the wrong size: %s", fv_errmsg(ctx));
    CHECK(!fv_batch_norm(g, x3, NULL, NULL, c3, c3, NULL) && says(ctx, "batch_norm", "(2,3,4)", NULL),
          "batch_norm rejects a 3-D input: %s", fv_errmsg(ctx));
    fv_clear_error(ctx); /* a NULL input after an error is that error propagating, not a new one */
    CHECK(!fv_batch_norm(g, x, NULL, NULL, NULL, c3, NULL) && says(ctx, "running_mean", NULL, NULL),
          "batch_norm requires running statistics: %s", fv_errmsg(ctx));
    fv_batch_norm_args a = fv_batch_norm_defaults();
    a.eps = -1.0f;
    CHECK(!fv_batch_norm(g, x, NULL, NULL, c3, c3, &a) && says(ctx, "eps -1", NULL, NULL),
          "batch_norm rejects eps < 0: %s", fv_errmsg(ctx));
    a = fv_batch_norm_defaults();
    a.momentum = 1.5f;
    CHECK(!fv_batch_norm(g, x, NULL, NULL, c3, c3, &a) && says(ctx, "momentum 1.5", NULL, NULL),
          "batch_norm rejects momentum 1.5: %s", fv_errmsg(ctx));
    CHECK(!fv_batch_norm(g, NULL, NULL, NULL, c3, c3, NULL), "batch_norm propagates a NULL input");
    fv_graph_free(g);

    /* One value per channel: an error in train mode (no variance), fine in eval mode. */
    g = fv_graph_new(ctx);
    fv_node *one = fv_input(g, "one", FV_F32, 4, (int64_t[]){1, 3, 1, 1});
    fv_node *y = fv_batch_norm(g, one, NULL, NULL, fv_use_param(g, v3), fv_use_param(g, v3), NULL);
    CHECK(y && fv_graph_forward(g) != FV_OK && says(ctx, "more than 1 value per channel", "(1,3,1,1)", NULL),
          "batch_norm train mode rejects one value per channel: %s", fv_errmsg(ctx));
    fv_graph_set_training(g, false);
    CHECK(fv_graph_forward(g) == FV_OK, "batch_norm eval mode accepts one value per channel");
    fv_graph_free(g);
    fv_param_free(v3), fv_param_free(v4);
    fv_ctx_free(ctx);
}

static void dropout_lrn_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){2, 3, 4, 4});
    fv_node *x2 = fv_input(g, "x2", FV_F32, 2, (int64_t[]){2, 3});
    CHECK(!fv_dropout(g, x, 1.0f) && says(ctx, "dropout", "p 1 ", "[0, 1)"), "dropout rejects p = 1: %s",
          fv_errmsg(ctx));
    CHECK(!fv_dropout(g, x, -0.25f) && says(ctx, "dropout", "-0.25", NULL), "dropout rejects p < 0: %s", fv_errmsg(ctx));
    CHECK(!fv_dropout(g, x, NAN) && says(ctx, "dropout", "nan", NULL), "dropout rejects NaN p: %s", fv_errmsg(ctx));
    CHECK(!fv_dropout(g, NULL, 0.5f), "dropout propagates a NULL input");
    CHECK(!fv_lrn(g, x, 0, 1e-4f, 0.75f, 2.0f) && says(ctx, "lrn", "size 0", NULL), "lrn rejects size 0: %s",
          fv_errmsg(ctx));
    CHECK(!fv_lrn(g, x, -3, 1e-4f, 0.75f, 2.0f) && says(ctx, "lrn", "size -3", NULL), "lrn rejects size -3: %s",
          fv_errmsg(ctx));
    CHECK(!fv_lrn(g, x2, 3, 1e-4f, 0.75f, 2.0f) && says(ctx, "lrn", "(2,3)", NULL), "lrn rejects a 2-D input: %s",
          fv_errmsg(ctx));
    CHECK(!fv_lrn(g, x, 3, INFINITY, 0.75f, 2.0f) && says(ctx, "lrn", "alpha inf", NULL),
          "lrn rejects an infinite alpha: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("batch_norm_", build_bn);
    opcheck_all("dropout_", build_dropout);
    opcheck_all("lrn_", build_lrn);
    bn_eval_gradcheck();
    dropout_passes();
    bn_errors();
    dropout_lrn_errors();
    return test_finish();
}
