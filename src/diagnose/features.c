/* Feature extraction: the activations of one layer for a whole data set, flattened per sample: the tabular
 * data set that classical classifiers and the embedding plots work on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/diagnose.h"
#include "fovea/train.h"

int fv_features_default_layer(fv_model *m)
{
    int n = fv_model_layer_count(m);
    for (int i = n - 1; i > 0; i--)
        if (strcmp(fv_model_layer_type(m, i), "dense") == 0) return fv_model_layer_input(m, i, 0);
    if (n >= 2) return n - 2;
    fv_error(fv_model_ctx(m), FV_ERR_ARG, "model '%s' has no layer before its output", fv_model_name(m));
    return -1;
}

static int pick(fv_model *m, const char *name)
{
    if (!name) return fv_features_default_layer(m);
    int k = fv_model_find_layer(m, name);
    if (k >= 0) return k;
    char list[900] = "";
    size_t len = 0;
    for (int i = 0; i < fv_model_layer_count(m) && len + 70 < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", fv_model_layer_name(m, i));
    fv_error(fv_model_ctx(m), FV_ERR_ARG, "layer '%s' does not exist in model '%s'; its layers: %s", name,
             fv_model_name(m), list);
    return -1;
}

fv_tensor *fv_extract_features(fv_model *m, const fv_data_source *data, const char *layer, int batch_size,
                               fv_tensor **labels)
{
    if (!m || !data || !data->fetch || batch_size < 1) return NULL;
    fv_ctx *ctx = fv_model_ctx(m);
    if (data->count < 1) {
        fv_error(ctx, FV_ERR_ARG, "feature extraction: the data set is empty");
        return NULL;
    }
    int k = pick(m, layer);
    if (k < 0) return NULL;
    int64_t shape[FV_MAX_DIMS], features = 1, n = data->count, batch = batch_size < n ? batch_size : n;
    int nd = fv_model_layer_shape(m, k, shape);
    for (int d = 0; d < nd; d++) features *= shape[d];
    fv_node *in, *out, **nodes = NULL;
    fv_graph *g = fv_model_build(m, batch, &in, &out, &nodes);
    int64_t xs[FV_MAX_DIMS] = {batch};
    int xd = fv_model_input_shape(m, xs + 1);
    fv_tensor *feats = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){n, features});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, &n), *xb = fv_tensor_new(ctx, FV_F32, xd + 1, xs);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    fv_status s = g && feats && y && xb && idx ? FV_OK : fv_errcode(ctx) ? fv_errcode(ctx) : FV_ERR_NOMEM;
    if (s == FV_ERR_NOMEM && !*fv_errmsg(ctx)) fv_error(ctx, s, "out of memory extracting features");
    if (g) fv_graph_set_training(g, false);
    for (int64_t first = 0; !s && first < n; first += batch) {
        int cnt = (int)(n - first < batch ? n - first : batch);
        for (int i = 0; i < cnt; i++) idx[i] = first + i;
        fv_tensor xv = *xb, yv = *y;
        xv.shape[0] = cnt, xv.size = xb->size / batch * cnt, xv.owns = false;
        yv.shape[0] = cnt, yv.size = cnt, yv.data = fv_i32(y) + first, yv.owns = false;
        if ((s = data->fetch(data->data, -1, idx, cnt, &xv, &yv)) != FV_OK) break;
        if ((s = fv_graph_set_input(g, in, &xv)) != FV_OK || (s = fv_graph_forward(g)) != FV_OK) break;
        memcpy(fv_f32(feats) + first * features, fv_node_value(nodes[k])->data, (size_t)(cnt * features) * sizeof(float));
    }
    fv_tensor_free(xb);
    free(idx), free(nodes);
    fv_graph_free(g);
    if (s) {
        fv_tensor_free(feats), fv_tensor_free(y);
        return NULL;
    }
    if (labels) *labels = y;
    else fv_tensor_free(y);
    return feats;
}
