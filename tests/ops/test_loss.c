/* Losses against PyTorch (tests/reference/gen_loss.py) and finite differences, plus bad inputs: wrong
 * shapes and dtypes, out-of-range labels (reported by forward, never read), bad smoothing and beta. */
#include "opcheck.h"
#include "test.h"

static fv_node *build_ce(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_cross_entropy(g, opcheck_leaf(in, "logits"), opcheck_leaf(in, "labels"), opcheck_leaf(in, "weights"),
                            fx_float(fx, "attr:label_smoothing", 0.0f));
}

static fv_node *build_bce(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_bce_with_logits(g, opcheck_leaf(in, "logits"), opcheck_leaf(in, "targets"));
}

static fv_node *build_mse(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_mse_loss(g, opcheck_leaf(in, "pred"), opcheck_leaf(in, "target"));
}

static fv_node *build_l1(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_l1_loss(g, opcheck_leaf(in, "pred"), opcheck_leaf(in, "target"));
}

static fv_node *build_smooth_l1(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_smooth_l1_loss(g, opcheck_leaf(in, "pred"), opcheck_leaf(in, "target"), fx_float(fx, "attr:beta", 1.0f));
}

static bool says(const fv_ctx *ctx, const char *a, const char *b)
{
    return strstr(fv_errmsg(ctx), a) && (!b || strstr(fv_errmsg(ctx), b));
}

/* Logits (3, 4) and labels set to `bad` at index 1: forward must fail naming the label and its index. */
static void label_out_of_range(int32_t bad)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *z = fv_input(g, "z", FV_F32, 2, (int64_t[]){3, 4});
    fv_node *y = fv_input(g, "y", FV_I32, 1, (int64_t[]){3});
    fv_tensor *lab = fv_tensor_from(ctx, FV_I32, 1, (int64_t[]){3}, (int32_t[]){0, bad, 2});
    fv_graph_set_input(g, y, lab);
    fv_node *loss = fv_cross_entropy(g, z, y, NULL, 0.0f);
    CHECK(loss != NULL, "cross_entropy builds before the labels are known");
    char value[32];
    snprintf(value, sizeof value, "label %d", (int)bad);
    CHECK(fv_graph_forward(g) == FV_ERR_ARG && says(ctx, "cross_entropy", value) && says(ctx, "labels[1]", "[0, 4)"),
          "label %d is reported by forward: %s", (int)bad, fv_errmsg(ctx));
    fv_tensor_free(lab);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* A bad label in a spatial map is located by its (n, h, w) position. */
static void spatial_label_out_of_range(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *z = fv_input(g, "z", FV_F32, 4, (int64_t[]){2, 3, 2, 2});
    fv_node *y = fv_input(g, "y", FV_I32, 3, (int64_t[]){2, 2, 2});
    fv_tensor *lab = fv_tensor_from(ctx, FV_I32, 3, (int64_t[]){2, 2, 2}, (int32_t[]){0, 1, 2, 0, 1, 1, 2, 3});
    fv_graph_set_input(g, y, lab);
    fv_node *loss = fv_cross_entropy(g, z, y, NULL, 0.1f);
    CHECK(loss && fv_graph_forward(g) != FV_OK && says(ctx, "label 3", "labels[1,1,1]"),
          "spatial label 3 of 3 classes is located: %s", fv_errmsg(ctx));
    fv_tensor_free(lab);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void cross_entropy_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *z = fv_input(g, "z", FV_F32, 2, (int64_t[]){5, 7});
    fv_node *y = fv_input(g, "y", FV_I32, 1, (int64_t[]){5});
    fv_node *yf = fv_input(g, "yf", FV_F32, 1, (int64_t[]){5});
    fv_node *y4 = fv_input(g, "y4", FV_I32, 1, (int64_t[]){4});
    fv_node *w6 = fv_input(g, "w6", FV_F32, 1, (int64_t[]){6});
    fv_node *zs = fv_input(g, "zs", FV_F32, 4, (int64_t[]){2, 4, 3, 5});
    fv_node *ys = fv_input(g, "ys", FV_I32, 3, (int64_t[]){2, 5, 3});
    CHECK(!fv_cross_entropy(g, z, yf, NULL, 0) && says(ctx, "cross_entropy", "int32"),
          "float labels are rejected: %s", fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, z, y4, NULL, 0) && says(ctx, "(4)", "(5,7)"), "4 labels for 5 rows: %s",
          fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, zs, ys, NULL, 0) && says(ctx, "(2,5,3)", "(2,4,3,5)"),
          "spatial labels of the wrong shape: %s", fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, z, y, w6, 0) && says(ctx, "class_weights (6)", "7"), "6 weights for 7 classes: %s",
          fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, z, y, NULL, 1.0f) && says(ctx, "label_smoothing 1", NULL), "smoothing 1: %s",
          fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, z, y, NULL, -0.1f) && says(ctx, "label_smoothing -0.1", NULL), "smoothing -0.1: %s",
          fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, y4, y4, NULL, 0) && says(ctx, "logits", "float32"), "int logits: %s", fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, yf, y, NULL, 0) && says(ctx, "logits", "(5)"), "1-D logits: %s", fv_errmsg(ctx));
    CHECK(!fv_cross_entropy(g, NULL, y, NULL, 0), "a NULL input propagates");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void pairwise_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = fv_input(g, "a", FV_F32, 2, (int64_t[]){3, 4});
    fv_node *b = fv_input(g, "b", FV_F32, 2, (int64_t[]){4, 3});
    fv_node *c = fv_input(g, "c", FV_F32, 2, (int64_t[]){3, 4});
    fv_node *k = fv_input(g, "k", FV_I32, 2, (int64_t[]){3, 4});
    CHECK(!fv_mse_loss(g, a, b) && says(ctx, "mse_loss", "(3,4)") && says(ctx, "(4,3)", NULL),
          "mse_loss names both shapes: %s", fv_errmsg(ctx));
    CHECK(!fv_l1_loss(g, a, b) && says(ctx, "l1_loss", "(4,3)"), "l1_loss shapes: %s", fv_errmsg(ctx));
    CHECK(!fv_smooth_l1_loss(g, a, b, 1.0f) && says(ctx, "smooth_l1_loss", "(4,3)"), "smooth_l1_loss shapes: %s",
          fv_errmsg(ctx));
    CHECK(!fv_smooth_l1_loss(g, a, c, -0.5f) && says(ctx, "smooth_l1_loss", "beta -0.5"), "negative beta: %s",
          fv_errmsg(ctx));
    CHECK(!fv_bce_with_logits(g, a, b) && says(ctx, "bce_with_logits", "(3,4)") && says(ctx, "(4,3)", NULL),
          "bce_with_logits names both shapes: %s", fv_errmsg(ctx));
    CHECK(!fv_mse_loss(g, a, k) && says(ctx, "target", "float32"), "int target: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* The loss is a scalar node and smooth L1 with beta 0 is L1, as in PyTorch. */
static void scalar_and_beta0(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    int64_t shape[] = {2, 3};
    fv_node *p = fv_input(g, "p", FV_F32, 2, shape), *t = fv_input(g, "t", FV_F32, 2, shape);
    fv_tensor *pv = fv_tensor_from(ctx, FV_F32, 2, shape, (float[]){1, -2, 0.5f, 0, 3, -1});
    fv_tensor *tv = fv_tensor_from(ctx, FV_F32, 2, shape, (float[]){0, 0, 0.5f, 1, 1, 1});
    fv_graph_set_input(g, p, pv);
    fv_graph_set_input(g, t, tv);
    fv_node_keep_grad(g, p);
    fv_node *l1 = fv_l1_loss(g, p, t), *s0 = fv_smooth_l1_loss(g, p, t, 0.0f);
    CHECK(fv_graph_forward(g) == FV_OK && fv_node_value(l1)->ndim == 0 && fv_node_value(l1)->size == 1,
          "a loss is a scalar node");
    CHECK(fv_f32(fv_node_value(s0))[0] == fv_f32(fv_node_value(l1))[0] &&
              fabsf(fv_f32(fv_node_value(l1))[0] - 8.0f / 6.0f) < 1e-6f,
          "smooth L1 with beta 0 equals L1: %g", (double)fv_f32(fv_node_value(s0))[0]);
    /* Gradients too, including sign(0) = 0 at the element where pred == target. */
    float g_l1[6], g_s0[6];
    fv_graph_backward(g, l1);
    memcpy(g_l1, fv_f32(fv_node_grad(p)), sizeof g_l1);
    fv_graph_backward(g, s0);
    memcpy(g_s0, fv_f32(fv_node_grad(p)), sizeof g_s0);
    CHECK(memcmp(g_l1, g_s0, sizeof g_l1) == 0 && g_l1[2] == 0.0f && fabsf(g_l1[0] - 1.0f / 6.0f) < 1e-7f,
          "smooth L1 with beta 0 has L1's gradient, 0 where d = 0: %g %g", (double)g_s0[2], (double)g_s0[0]);
    fv_tensor_free(pv);
    fv_tensor_free(tv);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("cross_entropy_", build_ce);
    opcheck_all("bce_with_logits_", build_bce);
    opcheck_all("mse_loss_", build_mse);
    opcheck_all("l1_loss_", build_l1);
    opcheck_all("smooth_l1_loss_", build_smooth_l1);
    label_out_of_range(4);
    label_out_of_range(-1);
    spatial_label_out_of_range();
    cross_entropy_errors();
    pairwise_errors();
    scalar_and_beta0();
    return test_finish();
}
