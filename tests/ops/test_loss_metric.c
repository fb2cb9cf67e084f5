/* The metric-learning losses against PyTorch (tests/reference/gen_loss_metric.py: contrastive written out in
 * PyTorch, F.triplet_margin_loss, F.cosine_embedding_loss; each reduction; gen_loss_mined.py: the triplet loss
 * mined batch-hard and batch-all) and finite differences, plus the
 * contrastive loss's zero gradient at distance 0 and bad inputs: mismatched shapes, a target of the wrong
 * length, bad p and margins, an unknown reduction. */
#include <math.h>

#include "opcheck.h"
#include "test.h"

static fv_loss_reduction reduction(const fx_file *fx) { return (fv_loss_reduction)fx_int(fx, "attr:reduction", 0, 0); }

static fv_node *build_contrastive(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_contrastive_loss(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"), opcheck_leaf(in, "target"),
                               fx_float(fx, "attr:margin", 1.0f), reduction(fx));
}

static fv_node *build_triplet(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_triplet_margin_loss(g, opcheck_leaf(in, "anchor"), opcheck_leaf(in, "positive"),
                                  opcheck_leaf(in, "negative"), fx_float(fx, "attr:margin", 1.0f),
                                  fx_float(fx, "attr:p", 2.0f), fx_float(fx, "attr:eps", 1e-6f),
                                  fx_int(fx, "attr:swap", 0, 0) != 0, reduction(fx));
}

static fv_node *build_cosine(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_cosine_embedding_loss(g, opcheck_leaf(in, "a"), opcheck_leaf(in, "b"), opcheck_leaf(in, "target"),
                                    fx_float(fx, "attr:margin", 0.0f), reduction(fx));
}

static fv_node *build_mined(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_triplet_mined_loss(g, opcheck_leaf(in, "embeddings"), opcheck_leaf(in, "labels"),
                                 fx_float(fx, "attr:margin", 1.0f), (fv_triplet_mining)fx_int(fx, "attr:mining", 0, 0));
}

static bool says(const fv_ctx *ctx, const char *a, const char *b)
{
    return strstr(fv_errmsg(ctx), a) && (!b || strstr(fv_errmsg(ctx), b));
}

/* Two identical embeddings, a different pair: the loss is margin^2 / 2 and the gradient 0, not NaN. */
static void contrastive_at_zero(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = fv_input(g, "a", FV_F32, 2, (int64_t[]){1, 3}), *b = fv_input(g, "b", FV_F32, 2, (int64_t[]){1, 3});
    fv_node *t = fv_input(g, "t", FV_F32, 1, (int64_t[]){1});
    fv_tensor *x = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){1, 3}, (float[]){0.5f, -1.0f, 2.0f});
    fv_tensor *y = fv_tensor_from(ctx, FV_F32, 1, (int64_t[]){1}, (float[]){0.0f});
    fv_graph_set_input(g, a, x), fv_graph_set_input(g, b, x), fv_graph_set_input(g, t, y);
    fv_node_keep_grad(g, a);
    fv_node *loss = fv_contrastive_loss(g, a, b, t, 2.0f, FV_LOSS_MEAN);
    bool ok = loss && fv_graph_forward(g) == FV_OK && fv_graph_backward(g, loss) == FV_OK;
    const float *ga = ok ? fv_f32(fv_node_grad(a)) : NULL;
    CHECK(ok && fv_f32(fv_node_value(loss))[0] == 2.0f && ga[0] == 0.0f && ga[1] == 0.0f && ga[2] == 0.0f,
          "contrastive: a different pair at distance 0 costs margin^2 / 2 and has a zero gradient (%g)",
          ok ? (double)ga[0] : NAN);
    fv_tensor_free(x), fv_tensor_free(y);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_inputs(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *a = fv_input(g, "a", FV_F32, 2, (int64_t[]){4, 3}), *b = fv_input(g, "b", FV_F32, 2, (int64_t[]){4, 2});
    fv_node *c = fv_input(g, "c", FV_F32, 2, (int64_t[]){4, 3}), *t = fv_input(g, "t", FV_F32, 1, (int64_t[]){5});
    fv_node *t4 = fv_input(g, "t4", FV_F32, 1, (int64_t[]){4}), *ti = fv_input(g, "ti", FV_I32, 1, (int64_t[]){4});
    fv_node *v = fv_input(g, "v", FV_F32, 1, (int64_t[]){3});
    CHECK(!fv_contrastive_loss(g, a, b, t4, 1.0f, FV_LOSS_MEAN) && says(ctx, "(4,3)", "(4,2)"),
          "contrastive names both shapes: %s", fv_errmsg(ctx));
    CHECK(!fv_cosine_embedding_loss(g, a, c, t, 0.0f, FV_LOSS_SUM) && says(ctx, "target (5)", "(4,3)"),
          "a target of 5 for 4 rows is refused: %s", fv_errmsg(ctx));
    CHECK(!fv_cosine_embedding_loss(g, a, c, ti, 0.0f, FV_LOSS_SUM) && says(ctx, "float32", "int32"),
          "an int32 target is refused: %s", fv_errmsg(ctx));
    CHECK(!fv_triplet_margin_loss(g, a, c, b, 1.0f, 2.0f, 1e-6f, false, FV_LOSS_MEAN) && says(ctx, "negative", "(4,2)"),
          "triplet names the negative's shape: %s", fv_errmsg(ctx));
    CHECK(!fv_triplet_margin_loss(g, a, c, c, 1.0f, 0.0f, 1e-6f, false, FV_LOSS_MEAN) && says(ctx, "p 0", NULL),
          "triplet refuses p 0: %s", fv_errmsg(ctx));
    CHECK(!fv_triplet_margin_loss(g, a, c, c, NAN, 2.0f, 1e-6f, false, FV_LOSS_MEAN) && says(ctx, "margin nan", NULL),
          "triplet refuses a NaN margin: %s", fv_errmsg(ctx));
    CHECK(!fv_contrastive_loss(g, v, v, t4, 1.0f, FV_LOSS_MEAN) && says(ctx, "2 dimensions", "(3)"),
          "rank-1 embeddings are refused: %s", fv_errmsg(ctx));
    CHECK(!fv_contrastive_loss(g, a, c, t4, 1.0f, (fv_loss_reduction)7) && says(ctx, "reduction 7", NULL),
          "an unknown reduction is refused: %s", fv_errmsg(ctx));
    fv_node *y3 = fv_input(g, "y3", FV_I32, 1, (int64_t[]){3});
    CHECK(!fv_triplet_mined_loss(g, a, y3, 1.0f, FV_TRIPLET_BATCH_HARD) && says(ctx, "labels int32 (3)", "(4,3)"),
          "mined triplets: 3 labels for 4 rows are refused: %s", fv_errmsg(ctx));
    CHECK(!fv_triplet_mined_loss(g, a, t4, 1.0f, FV_TRIPLET_BATCH_ALL) && says(ctx, "float32", NULL),
          "mined triplets: float labels are refused: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* The mined loss with int32 identities: the value and gradient of int64 ones, bit for bit. */
static void mined_int32(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    float e[18];
    for (int i = 0; i < 18; i++) e[i] = (float)((i * 7) % 11) * 0.3f - 1.4f;
    int64_t y64[6] = {0, 0, 1, 1, 2, 0};
    int32_t y32[6] = {0, 0, 1, 1, 2, 0};
    float got[2][19];
    for (int k = 0; k < 2; k++) {
        fv_graph *g = fv_graph_new(ctx);
        fv_node *x = fv_input(g, "e", FV_F32, 2, (int64_t[]){6, 3});
        fv_node *y = fv_input(g, "y", k ? FV_I32 : FV_I64, 1, (int64_t[]){6});
        fv_tensor *xv = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){6, 3}, e);
        fv_tensor *yv = fv_tensor_from(ctx, k ? FV_I32 : FV_I64, 1, (int64_t[]){6}, k ? (void *)y32 : (void *)y64);
        fv_graph_set_input(g, x, xv), fv_graph_set_input(g, y, yv);
        fv_node_keep_grad(g, x);
        fv_node *l = fv_triplet_mined_loss(g, x, y, 1.0f, FV_TRIPLET_BATCH_HARD);
        bool ok = l && fv_graph_forward(g) == FV_OK && fv_graph_backward(g, l) == FV_OK;
        got[k][0] = ok ? fv_f32(fv_node_value(l))[0] : NAN;
        for (int i = 0; ok && i < 18; i++) got[k][1 + i] = fv_f32(fv_node_grad(x))[i];
        fv_tensor_free(xv), fv_tensor_free(yv);
        fv_graph_free(g);
    }
    CHECK(got[0][0] > 0 && memcmp(got[0], got[1], sizeof got[0]) == 0,
          "mined triplets: int32 identities give int64's loss (%g) and gradient", (double)got[0][0]);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("contrastive_loss_", build_contrastive);
    opcheck_all("triplet_margin_loss_", build_triplet);
    opcheck_all("cosine_embedding_loss_", build_cosine);
    opcheck_all("triplet_mined_loss_", build_mined);
    contrastive_at_zero();
    mined_int32();
    bad_inputs();
    return test_finish();
}
