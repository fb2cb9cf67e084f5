/* Layer types of the loss family: nll_loss (log-probabilities, targets, optional class weights) and
 * softmax_cross_entropy (logits instead of log-probabilities), the per-sample or per-pixel classification
 * losses of ONNX's NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (fv_generic_type in model_internal.h).
 * Keys: reduction=mean|sum|none (ONNX's default first) and ignore_index=K (absent: every target must be a
 * class index). Then the losses ONNX has no operator for (ops_loss.h): bce_with_logits, sigmoid_focal_loss,
 * dice_loss, kl_div, contrastive_loss, triplet_margin_loss, cosine_embedding_loss, with PyTorch's defaults, and
 * triplet_mined_loss (mining=hard|all|semi in the batch). ONNX import is in src/io/onnx_ops_loss.c (SoftmaxCrossEntropyLoss's log_prob output becomes a
 * log_softmax layer); export is in onnx_export.c's export_loss, since ignore_index is written only when set. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

#define KEY(n, k, field, req) {n, k, offsetof(fv_layer_attrs, field), req, NULL}

static const char *const reductions[] = {"mean", "sum", "none", NULL};
/* ignore_index is a list of at most one value in `axes`, so that "absent" is distinct from every value */
static const fv_layer_key loss_keys[] = {{"reduction", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false,
                                          reductions},
                                         KEY("ignore_index", FV_K_INTS, axes, false), {NULL}};

/* The ignore_index key as the op takes it; false (with the error set) when it holds more than one value. */
static bool ignore_index(fv_graph *g, const fv_layer *l, int64_t *out)
{
    if (l->a.axes.n > 1) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "%s '%s': ignore_index holds %d values (one expected)",
                 l->type->name, l->name, l->a.axes.n);
        return false;
    }
    *out = l->a.axes.n ? l->a.axes.v[0] : FV_NLL_IGNORE_NONE;
    return true;
}

static fv_node *build_nll(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    int64_t ignore;
    if (!ignore_index(g, l, &ignore)) return NULL;
    return fv_nll_loss(g, in[0], in[1], l->n_in > 2 ? in[2] : NULL, (fv_loss_reduction)l->a.choice[0], ignore);
}

/* The log-softmax is its own node, named "<layer>/log_prob"; the loss node carries the layer's name. */
static fv_node *build_sce(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    int64_t ignore;
    if (!ignore_index(g, l, &ignore)) return NULL;
    char name[96];
    snprintf(name, sizeof name, "%.60s/log_prob", l->name);
    fv_graph_set_next_name(g, name);
    fv_node *lp = fv_log_softmax(g, in[0], 1);
    fv_graph_set_next_name(g, l->name);
    return lp ? fv_nll_loss(g, lp, in[1], l->n_in > 2 ? in[2] : NULL, (fv_loss_reduction)l->a.choice[0], ignore)
              : NULL;
}

/* ---- the losses without an ONNX operator ---- */

static const char *const kl_reductions[] = {"mean", "sum", "none", "batchmean", NULL};
static const fv_layer_key bce_keys[] = {{"reduction", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false,
                                         reductions}, {NULL}};
static const fv_layer_key focal_keys[] = {{"reduction", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false,
                                           reductions}, KEY("alpha", FV_K_FLOAT, alpha, false),
                                          KEY("gamma", FV_K_FLOAT, beta, false), {NULL}};
static const fv_layer_key dice_keys[] = {KEY("smooth", FV_K_FLOAT, value, false), {NULL}};
static const fv_layer_key kl_keys[] = {{"reduction", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false,
                                        kl_reductions}, KEY("log_target", FV_K_BOOL, flag, false), {NULL}};
static const fv_layer_key pair_keys[] = {{"reduction", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false,
                                          reductions}, KEY("margin", FV_K_FLOAT, value, false), {NULL}};
static const fv_layer_key triplet_keys[] = {{"reduction", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false,
                                             reductions}, KEY("margin", FV_K_FLOAT, value, false),
                                            KEY("p", FV_K_FLOAT, k, false), KEY("eps", FV_K_FLOAT, eps, false),
                                            KEY("swap", FV_K_BOOL, flag, false), {NULL}};

static const char *const minings[] = {"hard", "all", "semi", NULL};
static const fv_layer_key mined_keys[] = {KEY("margin", FV_K_FLOAT, value, false),
                                          {"mining", FV_K_CHOICE, offsetof(fv_layer_attrs, choice), false, minings},
                                          {NULL}};

static fv_loss_reduction reduction_of(const fv_layer *l) { return (fv_loss_reduction)l->a.choice[0]; }

static fv_node *build_bce(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_bce_with_logits_weighted(g, in[0], in[1], l->n_in > 2 ? in[2] : NULL, reduction_of(l));
}

static fv_node *build_focal(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_sigmoid_focal_loss(g, in[0], in[1], l->a.alpha, l->a.beta, reduction_of(l));
}

static fv_node *build_dice(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_dice_loss(g, in[0], in[1], l->a.value);
}

static fv_node *build_kl(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_kl_div(g, in[0], in[1], reduction_of(l), l->a.flag);
}

static fv_node *build_contrastive(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_contrastive_loss(g, in[0], in[1], in[2], l->a.value, reduction_of(l));
}

static fv_node *build_triplet(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_triplet_margin_loss(g, in[0], in[1], in[2], l->a.value, l->a.k, l->a.eps, l->a.flag, reduction_of(l));
}

static fv_node *build_cosine(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_cosine_embedding_loss(g, in[0], in[1], in[2], l->a.value, reduction_of(l));
}

static fv_node *build_mined(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_triplet_mined_loss(g, in[0], in[1], l->a.value, (fv_triplet_mining)l->a.choice[0]);
}

/* PyTorch's defaults */
static void focal_defaults(fv_layer_attrs *a) { a->alpha = 0.25f, a->beta = 2.0f; }
static void dice_defaults(fv_layer_attrs *a) { a->value = 1.0f; }
static void margin1_defaults(fv_layer_attrs *a) { a->value = 1.0f; }
static void triplet_defaults(fv_layer_attrs *a) { a->value = 1.0f, a->k = 2.0f, a->eps = 1e-6f, a->flag = false; }
static void cosine_defaults(fv_layer_attrs *a) { a->value = 0.0f; }

const fv_generic_type fv_layers_loss[] = {
    {.base = {"nll_loss", "NLLLoss", FV_L_GENERIC, 0, 2, 3, loss_keys}, .build = build_nll,
     .onnx_op = "NegativeLogLikelihoodLoss", .onnx_since = 12, .onnx = {{"reduction", NULL, -1, 0}}},
    {.base = {"softmax_cross_entropy", "CrossEntropyLoss", FV_L_GENERIC, 0, 2, 3, loss_keys}, .build = build_sce,
     .onnx_op = "SoftmaxCrossEntropyLoss", .onnx_since = 12, .onnx = {{"reduction", NULL, -1, 0}}},
    {.base = {"bce_with_logits", "BCEWithLogitsLoss", FV_L_GENERIC, 0, 2, 3, bce_keys}, .build = build_bce},
    {.base = {"sigmoid_focal_loss", "SigmoidFocalLoss", FV_L_GENERIC, 0, 2, 2, focal_keys}, .build = build_focal,
     .defaults = focal_defaults},
    {.base = {"dice_loss", "DiceLoss", FV_L_GENERIC, 0, 2, 2, dice_keys}, .build = build_dice,
     .defaults = dice_defaults},
    {.base = {"kl_div", "KLDivLoss", FV_L_GENERIC, 0, 2, 2, kl_keys}, .build = build_kl},
    {.base = {"contrastive_loss", "ContrastiveLoss", FV_L_GENERIC, 0, 3, 3, pair_keys}, .build = build_contrastive,
     .defaults = margin1_defaults},
    {.base = {"triplet_margin_loss", "TripletMarginLoss", FV_L_GENERIC, 0, 3, 3, triplet_keys},
     .build = build_triplet, .defaults = triplet_defaults},
    {.base = {"cosine_embedding_loss", "CosineEmbeddingLoss", FV_L_GENERIC, 0, 3, 3, pair_keys},
     .build = build_cosine, .defaults = cosine_defaults},
    {.base = {"triplet_mined_loss", "TripletMinedLoss", FV_L_GENERIC, 0, 2, 2, mined_keys}, .build = build_mined,
     .defaults = margin1_defaults},
    {.base = {NULL}},
};
