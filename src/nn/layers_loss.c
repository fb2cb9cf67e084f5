/* Layer types of the loss family: nll_loss (log-probabilities, targets, optional class weights) and
 * softmax_cross_entropy (logits instead of log-probabilities), the per-sample or per-pixel classification
 * losses of ONNX's NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (fv_generic_type in model_internal.h).
 * Keys: reduction=mean|sum|none (ONNX's default first) and ignore_index=K (absent: every target must be a
 * class index). ONNX import is in src/io/onnx_ops_loss.c (SoftmaxCrossEntropyLoss's log_prob output becomes a
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

const fv_generic_type fv_layers_loss[] = {
    {.base = {"nll_loss", "NLLLoss", FV_L_GENERIC, 0, 2, 3, loss_keys}, .build = build_nll,
     .onnx_op = "NegativeLogLikelihoodLoss", .onnx_since = 12, .onnx = {{"reduction", NULL, -1, 0}}},
    {.base = {"softmax_cross_entropy", "CrossEntropyLoss", FV_L_GENERIC, 0, 2, 3, loss_keys}, .build = build_sce,
     .onnx_op = "SoftmaxCrossEntropyLoss", .onnx_since = 12, .onnx = {{"reduction", NULL, -1, 0}}},
    {.base = {NULL}},
};
