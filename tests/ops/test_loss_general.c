/* The general classification losses (nll_loss, softmax_cross_entropy) against PyTorch
 * (tests/reference/gen_loss_general.py) and finite differences, plus bad inputs: target shape and dtype,
 * targets out of range (reported by forward with value and position), weights of the wrong length. */
#include "opcheck.h"
#include "test.h"

static fv_node *build_nll(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_nll_loss(g, opcheck_leaf(in, "input"), opcheck_leaf(in, "target"), opcheck_leaf(in, "weight"),
                       (fv_loss_reduction)fx_int(fx, "attr:reduction", 0, 0), fx_int(fx, "attr:ignore_index", 0, -100));
}

static fv_node *build_sce(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_softmax_cross_entropy(g, opcheck_leaf(in, "input"), opcheck_leaf(in, "target"),
                                    opcheck_leaf(in, "weight"), (fv_loss_reduction)fx_int(fx, "attr:reduction", 0, 0),
                                    fx_int(fx, "attr:ignore_index", 0, -100), NULL);
}

static bool says(const fv_ctx *ctx, const char *a, const char *b)
{
    return strstr(fv_errmsg(ctx), a) && (!b || strstr(fv_errmsg(ctx), b));
}

/* A target outside [0, C) that is not ignore_index fails forward, naming its value and position; the same
 * value as ignore_index is fine. */
static void target_out_of_range(fv_dtype dt, int64_t bad, int64_t ignore, bool fails)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 3, (int64_t[]){2, 4, 2});
    fv_node *t = fv_input(g, "t", dt, 2, (int64_t[]){2, 2});
    fv_tensor *tv = dt == FV_I64 ? fv_tensor_from(ctx, dt, 2, (int64_t[]){2, 2}, (int64_t[]){0, 1, 2, bad})
                                 : fv_tensor_from(ctx, dt, 2, (int64_t[]){2, 2}, (int32_t[]){0, 1, 2, (int32_t)bad});
    fv_graph_set_input(g, t, tv);
    fv_node *loss = fv_nll_loss(g, x, t, NULL, FV_LOSS_MEAN, ignore);
    CHECK(loss != NULL, "nll_loss builds before the targets are known");
    char value[48];
    snprintf(value, sizeof value, "target %lld", (long long)bad);
    fv_status s = fv_graph_forward(g);
    if (fails)
        CHECK(s == FV_ERR_ARG && says(ctx, "nll_loss", value) && says(ctx, "target[1,1]", "[0, 4)"),
              "target %lld is reported by forward: %s", (long long)bad, fv_errmsg(ctx));
    else
        CHECK(s == FV_OK && fabsf(fv_f32(fv_node_value(loss))[0]) < 1e30f, "target %lld equal to ignore_index: %s",
              (long long)bad, fv_errmsg(ctx));
    fv_tensor_free(tv);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void shape_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){5, 7});
    fv_node *t = fv_input(g, "t", FV_I64, 1, (int64_t[]){5});
    fv_node *tf = fv_input(g, "tf", FV_F32, 1, (int64_t[]){5});
    fv_node *t4 = fv_input(g, "t4", FV_I32, 1, (int64_t[]){4});
    fv_node *w6 = fv_input(g, "w6", FV_F32, 1, (int64_t[]){6});
    fv_node *xs = fv_input(g, "xs", FV_F32, 4, (int64_t[]){2, 4, 3, 5});
    fv_node *ts = fv_input(g, "ts", FV_I32, 3, (int64_t[]){2, 5, 3});
    fv_graph_set_next_name(g, "loss.a");
    CHECK(!fv_nll_loss(g, x, tf, NULL, FV_LOSS_MEAN, -100) && says(ctx, "nll_loss 'loss.a'", "int64") &&
              says(ctx, "float32", NULL),
          "float targets are refused: %s", fv_errmsg(ctx));
    CHECK(!fv_nll_loss(g, x, t4, NULL, FV_LOSS_SUM, -100) && says(ctx, "target (4)", "input (5,7)"),
          "4 targets for 5 rows: %s", fv_errmsg(ctx));
    CHECK(!fv_nll_loss(g, xs, ts, NULL, FV_LOSS_NONE, -100) && says(ctx, "(2,5,3)", "(2,4,3,5)"),
          "spatial targets of the wrong shape: %s", fv_errmsg(ctx));
    CHECK(!fv_nll_loss(g, x, t, w6, FV_LOSS_MEAN, -100) && says(ctx, "weight (6)", "7"),
          "6 weights for 7 classes: %s", fv_errmsg(ctx));
    CHECK(!fv_softmax_cross_entropy(g, x, t, w6, FV_LOSS_MEAN, -100, NULL) && says(ctx, "weight (6)", "(5,7)"),
          "softmax_cross_entropy checks the weights too: %s", fv_errmsg(ctx));
    CHECK(!fv_nll_loss(g, x, t, NULL, (fv_loss_reduction)3, -100) && says(ctx, "reduction 3", NULL),
          "reduction 3: %s", fv_errmsg(ctx));
    CHECK(!fv_nll_loss(g, tf, t, NULL, FV_LOSS_MEAN, -100) && says(ctx, "input", "(5)"), "1-D input: %s",
          fv_errmsg(ctx));
    CHECK(!fv_nll_loss(g, t4, t4, NULL, FV_LOSS_MEAN, -100) && says(ctx, "input", "float32"), "int input: %s",
          fv_errmsg(ctx));
    CHECK(!fv_nll_loss(g, NULL, t, NULL, FV_LOSS_MEAN, -100), "a NULL input propagates");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* Every target ignored: the mean is 0 / 0 (NaN, as PyTorch), the sum 0, and no gradient flows. Empty batches
 * give an empty 'none' output. */
static void all_ignored_and_empty(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){2, 3});
    fv_node *t = fv_input(g, "t", FV_I32, 1, (int64_t[]){2});
    fv_node *xe = fv_input(g, "xe", FV_F32, 3, (int64_t[]){0, 3, 2});
    fv_node *te = fv_input(g, "te", FV_I64, 2, (int64_t[]){0, 2});
    fv_tensor *xv = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){2, 3}, (float[]){-1, -2, -3, -4, -5, -6});
    fv_tensor *tv = fv_tensor_from(ctx, FV_I32, 1, (int64_t[]){2}, (int32_t[]){7, 7});
    fv_tensor *xev = fv_tensor_from(ctx, FV_F32, 3, (int64_t[]){0, 3, 2}, NULL);
    fv_tensor *tev = fv_tensor_from(ctx, FV_I64, 2, (int64_t[]){0, 2}, NULL);
    fv_graph_set_input(g, x, xv);
    fv_graph_set_input(g, t, tv);
    fv_graph_set_input(g, xe, xev);
    fv_graph_set_input(g, te, tev);
    fv_node_keep_grad(g, x);
    fv_node *mean = fv_nll_loss(g, x, t, NULL, FV_LOSS_MEAN, 7), *sum = fv_nll_loss(g, x, t, NULL, FV_LOSS_SUM, 7);
    fv_node *none = fv_nll_loss(g, xe, te, NULL, FV_LOSS_NONE, -100);
    CHECK(fv_graph_forward(g) == FV_OK, "forward: %s", fv_errmsg(ctx));
    CHECK(isnan(fv_f32(fv_node_value(mean))[0]) && fv_f32(fv_node_value(sum))[0] == 0.0f,
          "all ignored: mean NaN, sum 0");
    CHECK(fv_node_value(none)->ndim == 2 && fv_node_value(none)->size == 0, "empty targets give an empty output");
    CHECK(fv_graph_backward(g, mean) == FV_OK && fv_f32(fv_node_grad(x))[0] == 0.0f, "all ignored: no gradient");
    fv_tensor_free(xv);
    fv_tensor_free(tv);
    fv_tensor_free(xev);
    fv_tensor_free(tev);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("nll_loss_", build_nll);
    opcheck_all("sce_", build_sce);
    target_out_of_range(FV_I32, 4, -100, true);
    target_out_of_range(FV_I64, -1, -100, true);
    target_out_of_range(FV_I64, 1LL << 40, -100, true);
    target_out_of_range(FV_I32, -1, -1, false);
    shape_errors();
    all_ignored_and_empty();
    return test_finish();
}
