/* ONNX operators of the loss family: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12 on) as
 * nll_loss and softmax_cross_entropy layers (src/nn/layers_loss.c). Attributes reduction (mean, sum, none) and
 * ignore_index (absent: none); the class weights are the optional third input. SoftmaxCrossEntropyLoss's
 * optional second output, log_prob, becomes a log_softmax layer over axis 1 reading the scores. */
#include <stdio.h>
#include <string.h>

#include "onnx_internal.h"

/* The keys shared by both operators, from the node's attributes: reduction= (an fv_loss_reduction, in the
 * order of the key's choices) and ignore_index=, a list of one value when the attribute is given. */
static fv_status loss_keys(ox_import *im, fv_layer_attrs *a)
{
    char reduction[16];
    fv_status s = ox_attr_string(im, "reduction", "mean", reduction, sizeof reduction);
    if (s) return s;
    if (strcmp(reduction, "mean") && strcmp(reduction, "sum") && strcmp(reduction, "none"))
        return ox_fail(im, FV_ERR_FORMAT, "reduction '%s' is not mean, sum or none", reduction);
    a->choice[0] = !strcmp(reduction, "mean") ? FV_LOSS_MEAN : !strcmp(reduction, "sum") ? FV_LOSS_SUM : FV_LOSS_NONE;
    if (ox_attr(im, "ignore_index")) {
        int64_t ignore;
        if ((s = ox_attr_int(im, "ignore_index", 0, &ignore))) return s;
        ox_key_ints(&a->axes, &ignore, 1);
    }
    return FV_OK;
}

static fv_status loss_layer(ox_import *im, const char *type, int *layer)
{
    int in[3], n = ox_in(im, 2) ? 3 : 2;
    fv_layer_spec spec = fv_spec_of_type(type, NULL);
    fv_status s = loss_keys(im, &spec.a);
    for (int k = 0; !s && k < n; k++) s = ox_layer_in(im, k, &in[k]);
    if (s) return s;
    *layer = ox_add_spec(im, spec, NULL, in, n);
    if (*layer < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 0, *layer);
    return FV_OK;
}

static fv_status op_nll(ox_import *im)
{
    int l;
    return loss_layer(im, "nll_loss", &l);
}

static fv_status op_sce(ox_import *im)
{
    int l;
    fv_status s = loss_layer(im, "softmax_cross_entropy", &l);
    if (s) return s;
    const Onnx__NodeProto *nd = im->node;
    ox_entry *e = nd->n_output > 1 && nd->output[1] && *nd->output[1] ? ox_find(&im->t, nd->output[1]) : NULL;
    if (!e || (e->n_users == 0 && !e->is_output)) return FV_OK;
    int x;
    if ((s = ox_layer_in(im, 0, &x))) return s;
    char name[OX_NAME_MAX + 16];
    snprintf(name, sizeof name, "%.40s_log_prob.weight", fv_model_layer_name(im->m, l)); /* named as its loss */
    fv_layer_spec spec = fv_spec_of_type("log_softmax", NULL);
    spec.a.axis = 1;
    int lp = ox_add_spec(im, spec, name, &x, 1);
    if (lp < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 1, lp);
    return FV_OK;
}

const ox_op ox_ops_loss[] = {
    {"NegativeLogLikelihoodLoss", op_nll, NULL, 2, 3, 1, "reduction,ignore_index"},
    {"SoftmaxCrossEntropyLoss", op_sce, NULL, 2, 3, 2, "reduction,ignore_index"},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
