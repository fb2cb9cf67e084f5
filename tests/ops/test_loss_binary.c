/* The binary-decision and mask losses against PyTorch (tests/reference/gen_loss_binary.py: BCE on logits with
 * pos_weight, torchvision's sigmoid focal loss, each reduction; the soft Dice loss with one-hot, soft and
 * class-index targets; F.kl_div with each reduction, batchmean included) and finite differences, plus bad inputs: shapes, dtypes, pos_weight's length, gamma,
 * smoothing. */
#include <math.h>

#include "opcheck.h"
#include "test.h"

static fv_loss_reduction reduction(const fx_file *fx) { return (fv_loss_reduction)fx_int(fx, "attr:reduction", 0, 0); }

static fv_node *build_bce(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_bce_with_logits_weighted(g, opcheck_leaf(in, "logits"), opcheck_leaf(in, "targets"),
                                       opcheck_leaf(in, "pos_weight"), reduction(fx));
}

static fv_node *build_focal(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_sigmoid_focal_loss(g, opcheck_leaf(in, "logits"), opcheck_leaf(in, "targets"),
                                 fx_float(fx, "attr:alpha", 0.25f), fx_float(fx, "attr:gamma", 2.0f), reduction(fx));
}

static fv_node *build_dice(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_dice_loss(g, opcheck_leaf(in, "probs"), opcheck_leaf(in, "targets"), fx_float(fx, "attr:smooth", 1.0f));
}

static fv_node *build_kl(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_kl_div(g, opcheck_leaf(in, "input"), opcheck_leaf(in, "target"), reduction(fx),
                     fx_int(fx, "attr:log_target", 0, 0) != 0);
}

static bool says(const fv_ctx *ctx, const char *a, const char *b)
{
    return strstr(fv_errmsg(ctx), a) && (!b || strstr(fv_errmsg(ctx), b));
}

static void bad_inputs(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){4, 3}), *t = fv_input(g, "t", FV_F32, 2, (int64_t[]){4, 2});
    fv_node *w = fv_input(g, "w", FV_F32, 1, (int64_t[]){4}), *t3 = fv_input(g, "t3", FV_F32, 2, (int64_t[]){4, 3});
    fv_node *p = fv_input(g, "p", FV_F32, 4, (int64_t[]){2, 3, 5, 5});
    fv_node *lab = fv_input(g, "lab", FV_I32, 3, (int64_t[]){2, 5, 4}), *u8 = fv_input(g, "u8", FV_BOOL, 4, (int64_t[]){2, 3, 5, 5});
    CHECK(!fv_bce_with_logits_weighted(g, x, t, NULL, FV_LOSS_MEAN) && says(ctx, "(4,3)", "(4,2)"),
          "BCE names both shapes: %s", fv_errmsg(ctx));
    CHECK(!fv_bce_with_logits_weighted(g, x, t3, w, FV_LOSS_MEAN) && says(ctx, "pos_weight (4)", "(4,3)"),
          "a pos_weight of 4 for 3 classes is refused: %s", fv_errmsg(ctx));
    CHECK(!fv_sigmoid_focal_loss(g, x, t3, 0.25f, -1.0f, FV_LOSS_SUM) && says(ctx, "gamma -1", NULL),
          "a negative gamma is refused: %s", fv_errmsg(ctx));
    CHECK(!fv_sigmoid_focal_loss(g, x, t3, 0.25f, 2.0f, FV_LOSS_BATCHMEAN) && says(ctx, "reduction 3", NULL),
          "a reduction it does not have (batchmean) is refused: %s", fv_errmsg(ctx));
    CHECK(!fv_dice_loss(g, p, lab, 1.0f) && says(ctx, "(2,5,4)", "(2,3,5,5)"),
          "Dice: class indices of another size name both shapes: %s", fv_errmsg(ctx));
    CHECK(!fv_dice_loss(g, p, u8, 1.0f) && says(ctx, "bool", NULL), "Dice: bool targets are refused: %s",
          fv_errmsg(ctx));
    CHECK(!fv_dice_loss(g, p, p, NAN) && says(ctx, "smooth nan", NULL), "Dice: a NaN smoothing is refused: %s",
          fv_errmsg(ctx));
    CHECK(!fv_dice_loss(g, w, w, 1.0f) && says(ctx, "(N, C, ...)", NULL), "Dice: a rank-1 input is refused: %s",
          fv_errmsg(ctx));
    CHECK(!fv_kl_div(g, x, t, FV_LOSS_MEAN, false) && says(ctx, "input (4,3)", "target (4,2)"),
          "KL names input and target: %s", fv_errmsg(ctx));
    CHECK(fv_kl_div(g, x, t3, FV_LOSS_BATCHMEAN, false) != NULL, "KL takes batchmean");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("bce_weighted_", build_bce);
    opcheck_all("sigmoid_focal_loss_", build_focal);
    opcheck_all("dice_loss_", build_dice);
    opcheck_all("kl_div_", build_kl);
    bad_inputs();
    return test_finish();
}
