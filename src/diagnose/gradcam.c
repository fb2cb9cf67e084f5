/* Grad-CAM: the gradient of one class score with respect to an inner feature map, averaged over space into
 * per-channel weights, then the weighted sum of the channels, rectified. The graph computes the gradient of the
 * kept node only: every parameter is frozen for the pass, so the model's own gradients are left untouched. */
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/diagnose.h"
#include "fovea/ops.h"

/* A feature map computed by the model (not its input) with more than one pixel. */
static bool spatial(fv_model *m, int layer)
{
    int64_t s[FV_MAX_DIMS];
    return layer >= 1 && fv_model_layer_shape(m, layer, s) == 3 && s[1] * s[2] > 1;
}

int fv_gradcam_default_layer(fv_model *m)
{
    int n = fv_model_layer_count(m);
    for (int i = n - 1; i > 0; i--) {
        const char *t = fv_model_layer_type(m, i);
        if (strcmp(t, "flatten") == 0 || strcmp(t, "global_avg_pool") == 0 || strcmp(t, "global_max_pool") == 0) {
            int in = fv_model_layer_input(m, i, 0);
            if (spatial(m, in)) return in;
        }
    }
    for (int i = n - 1; i > 0; i--)
        if (spatial(m, i)) return i;
    fv_error(fv_model_ctx(m), FV_ERR_ARG, "model '%s' has no spatial feature map (C, H, W) for Grad-CAM",
             fv_model_name(m));
    return -1;
}

/* "layer 'x' is not a spatial feature map of model 'm'; valid layers: a, b, c" */
static int unknown_layer(fv_model *m, const char *name, bool exists)
{
    char list[900] = "";
    size_t len = 0;
    for (int i = 1; i < fv_model_layer_count(m) && len + 70 < sizeof list; i++)
        if (spatial(m, i)) len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", fv_model_layer_name(m, i));
    fv_error(fv_model_ctx(m), FV_ERR_ARG, "layer '%s' %s model '%s'; layers with spatial feature maps: %s", name,
             exists ? "is not a spatial feature map of" : "does not exist in", fv_model_name(m), len ? list : "(none)");
    return -1;
}

static int pick_layer(fv_model *m, const char *name)
{
    if (!name) return fv_gradcam_default_layer(m);
    int k = fv_model_find_layer(m, name);
    if (k < 1 || !spatial(m, k)) return unknown_layer(m, name, k >= 0);
    return k;
}

/* The class score node: the model's output, or the input of a final softmax (scores before softmax). */
static fv_node *scores_of(fv_model *m, fv_node *out)
{
    int last = fv_model_layer_count(m) - 1;
    return strcmp(fv_model_layer_type(m, last), "softmax") == 0 ? fv_node_input(out, 0) : out;
}

/* Sum over channels of alpha_k A^k, rectified and scaled to a maximum of 1. */
static fv_tensor *combine(fv_ctx *ctx, const fv_tensor *a, const fv_tensor *da)
{
    int64_t C = a->shape[1], H = a->shape[2], W = a->shape[3], P = H * W;
    fv_tensor *cam = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){H, W});
    double *acc = calloc((size_t)P, sizeof *acc);
    if (!cam || !acc) {
        fv_tensor_free(cam), free(acc);
        fv_error(ctx, FV_ERR_NOMEM, "out of memory for a Grad-CAM map");
        return NULL;
    }
    for (int64_t c = 0; c < C; c++) {
        double alpha = 0;
        for (int64_t p = 0; p < P; p++) alpha += fv_f32(da)[c * P + p];
        alpha /= (double)P;
        for (int64_t p = 0; p < P; p++) acc[p] += alpha * fv_f32(a)[c * P + p];
    }
    double mx = 0;
    for (int64_t p = 0; p < P; p++) acc[p] = acc[p] > 0 ? acc[p] : 0, mx = acc[p] > mx ? acc[p] : mx;
    for (int64_t p = 0; p < P; p++) fv_f32(cam)[p] = (float)(mx > 0 ? acc[p] / mx : acc[p]);
    free(acc);
    return cam;
}

/* Freeze every parameter for the pass (their gradients are not wanted), remembering who was trainable. */
static bool *freeze_all(fv_model *m)
{
    int n = fv_model_param_count(m);
    bool *was = calloc((size_t)(n ? n : 1), sizeof *was);
    for (int i = 0; was && i < n; i++) {
        was[i] = fv_model_param(m, i)->trainable;
        fv_param_set_trainable(fv_model_param(m, i), false);
    }
    return was;
}

static void restore(fv_model *m, const bool *was)
{
    for (int i = 0; i < fv_model_param_count(m); i++)
        if (was[i]) fv_param_set_trainable(fv_model_param(m, i), true);
}

fv_tensor *fv_gradcam(fv_model *m, const fv_tensor *x, int cls, const char *layer, int *cls_used)
{
    if (!m || !x) return NULL;
    fv_ctx *ctx = fv_model_ctx(m);
    if (x->dtype != FV_F32 || x->ndim != 4 || x->shape[0] != 1) {
        fv_model_explain_input(m, x, fv_error(ctx, FV_ERR_SHAPE, "Grad-CAM takes one image (1, C, H, W)"));
        return NULL;
    }
    int k = pick_layer(m, layer);
    if (k < 0) return NULL;
    fv_node *in, *out, **nodes = NULL;
    fv_graph *g = fv_model_build(m, 1, &in, &out, &nodes);
    bool *was = g ? freeze_all(m) : NULL;
    fv_tensor *seed = NULL, *cam = NULL;
    if (!g || !was) goto done;
    fv_graph_set_training(g, false);
    fv_node *scores = scores_of(m, out), *a = nodes[k];
    if (fv_node_keep_grad(g, a) != FV_OK || fv_graph_set_input(g, in, x) != FV_OK || fv_graph_forward(g) != FV_OK) {
        fv_model_explain_input(m, x, fv_errcode(ctx));
        goto done;
    }
    const fv_tensor *z = fv_node_value(scores);
    int64_t K = z->size;
    if (cls < 0) {
        cls = 0;
        for (int64_t c = 1; c < K; c++)
            if (fv_f32(z)[c] > fv_f32(z)[cls]) cls = (int)c;
    } else if (cls >= K) {
        fv_error(ctx, FV_ERR_ARG, "class %d is out of range: model '%s' has %lld classes (0 to %lld)", cls,
                 fv_model_name(m), (long long)K, (long long)K - 1);
        goto done;
    }
    if (!(seed = fv_tensor_new(ctx, FV_F32, z->ndim, z->shape))) goto done;
    fv_f32(seed)[cls] = 1.0f;
    if (fv_graph_backward_seed(g, scores, seed) != FV_OK) goto done;
    if ((cam = combine(ctx, fv_node_value(a), fv_node_grad(a))) && cls_used) *cls_used = cls;
done:
    if (was) restore(m, was);
    free(was);
    fv_tensor_free(seed);
    free(nodes);
    fv_graph_free(g);
    return cam;
}
