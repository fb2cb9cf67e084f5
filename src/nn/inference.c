/* Inference graphs: the model in eval mode with each batch norm that follows a convolution folded into that
 * convolution's weights and bias (W' = W * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps)), which
 * removes a whole pass over the activations; a ReLU or ReLU6 after such a convolution becomes its fused
 * clamp (one more pass less); values are dropped after their last reader (graph/memory.c). Every convolution's
 * weights are the graph's own (folded or copied when it is built), so the kernels may keep them packed between
 * runs. Training and diagnosis use fv_model_build, where every layer keeps its own output and reads the model's
 * current weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "inference_fuse.h"
#include "model_internal.h"

/* How many layers read each layer and the last of them, found once for the model (per layer would be
 * quadratic). NULL counts on no memory. */
static fv_readers find_readers(const fv_model *m)
{
    fv_readers r = {calloc((size_t)m->n_layers, sizeof *r.count), malloc((size_t)m->n_layers * sizeof *r.last)};
    if (!r.count || !r.last) {
        free(r.count), free(r.last);
        return (fv_readers){NULL, NULL};
    }
    for (int k = 0; k < m->n_layers; k++) r.last[k] = -1;
    for (int k = 0; k < m->n_layers; k++)
        for (int j = 0; j < m->layers[k].n_in; j++) r.count[m->layers[k].in[j]]++, r.last[m->layers[k].in[j]] = k;
    int out[FV_MODEL_MAX_IO], n_out = fv_model_output_layers(m, out);
    for (int k = 0; k < n_out; k++) r.count[out[k]]++; /* an output is read: it is never folded away */
    return r;
}

/* Layer i is a batch norm over a convolution that nothing else reads: fold it. */
static bool foldable(const fv_model *m, const int *readers, int i)
{
    const fv_layer *bn = &m->layers[i];
    if (bn->type->kind != FV_L_BATCH_NORM || bn->n_in != 1) return false;
    int j = bn->in[0];
    return m->layers[j].type->kind == FV_L_CONV2D && readers[j] == 1;
}

/* The folded convolution's weight and bias, as new parameters (the graph takes the only references). */
static fv_status fold(const fv_model *m, const fv_layer *conv, const fv_layer *bn, fv_param **w, fv_param **b)
{
    const fv_tensor *W = &conv->params[0]->value;
    int64_t K = W->shape[0], per = W->size / K;
    *w = fv_param_new(m->ctx, conv->params[0]->name, FV_PARAM_WEIGHT, W->ndim, W->shape);
    *b = fv_param_new(m->ctx, bn->name, FV_PARAM_WEIGHT, 1, &K);
    if (!*w || !*b) return fv_errcode(m->ctx);
    const float *gamma = fv_f32(&bn->params[0]->value), *beta = fv_f32(&bn->params[1]->value);
    const float *mean = fv_f32(&bn->params[2]->value), *var = fv_f32(&bn->params[3]->value);
    const float *bias = conv->a.bias ? fv_f32(&conv->params[1]->value) : NULL;
    for (int64_t k = 0; k < K; k++) {
        double s = gamma[k] / sqrt((double)var[k] + bn->a.eps);
        for (int64_t e = 0; e < per; e++) fv_f32(&(*w)->value)[k * per + e] = (float)(fv_f32(W)[k * per + e] * s);
        fv_f32(&(*b)->value)[k] = (float)(((bias ? bias[k] : 0.0) - mean[k]) * s + beta[k]);
    }
    return FV_OK;
}

/* Layer k is a ReLU or ReLU6 over a convolution (or a foldable batch norm over one) that nothing else reads:
 * it becomes the convolution's fused clamp. Gives the convolution, the batch norm (-1 for none) and the bound. */
static bool fusable(const fv_model *m, const int *readers, int k, int *conv, int *bn, float *hi)
{
    const fv_layer *l = &m->layers[k];
    if (l->type->kind != FV_L_ACTIVATION || (l->type->act != FV_ACT_RELU && l->type->act != FV_ACT_RELU6)) return false;
    int p = l->in[0];
    if (readers[p] != 1) return false;
    *hi = l->type->act == FV_ACT_RELU ? INFINITY : 6.0f;
    if (m->layers[p].type->kind == FV_L_CONV2D) return *conv = p, *bn = -1, true;
    if (foldable(m, readers, p)) return *conv = m->layers[p].in[0], *bn = p, true;
    return false;
}

/* Layer k is a ReLU or ReLU6 over a batch norm that no convolution folds and nothing else reads (DenseNet's
 * pre-activations): the batch norm's fused clamp. Gives the batch norm and the bound. */
static bool clamps_bn(const fv_model *m, const int *readers, int k, int *bn, float *hi)
{
    const fv_layer *l = &m->layers[k];
    if (l->type->kind != FV_L_ACTIVATION || (l->type->act != FV_ACT_RELU && l->type->act != FV_ACT_RELU6)) return false;
    int p = l->in[0];
    if (readers[p] != 1 || m->layers[p].type->kind != FV_L_BATCH_NORM || foldable(m, readers, p)) return false;
    *hi = l->type->act == FV_ACT_RELU ? INFINITY : 6.0f;
    *bn = p;
    return true;
}

/* Layer k is a pointwise convolution (1x1, stride 1, no padding) over a batch norm that no convolution folds, or
 * over a ReLU or ReLU6 of one, and nothing else reads those (DenseNet's BN-ReLU-conv): the batch norm and its
 * clamp become a map of the convolution's input, applied as the GEMM packs it (ops/fused.h). Gives the batch
 * norm, the activation (-1 for none) and the clamp's bound (0 for none). */
static bool maps_input(const fv_model *m, const int *readers, int k, int *bn, int *act, float *in_hi)
{
    const fv_layer *l = &m->layers[k];
    const fv_layer_attrs *a = &l->a;
    if (l->type->kind != FV_L_CONV2D || l->n_in != 1 || l->n_params < 1) return false;
    const fv_tensor *w = &l->params[0]->value;
    bool no_pad = a->pad_mode != FV_PAD_EXPLICIT || (!a->pad[0] && !a->pad[1] && !a->pad[2] && !a->pad[3]);
    if (w->ndim != 4 || w->shape[2] != 1 || w->shape[3] != 1 || a->stride[0] != 1 || a->stride[1] != 1 || !no_pad)
        return false;
    int p = l->in[0];
    const fv_layer *pl = &m->layers[p];
    *act = -1, *in_hi = 0.0f;
    if (pl->type->kind == FV_L_ACTIVATION && (pl->type->act == FV_ACT_RELU || pl->type->act == FV_ACT_RELU6)) {
        if (readers[p] != 1) return false;
        *act = p, *in_hi = pl->type->act == FV_ACT_RELU ? INFINITY : 6.0f;
        p = pl->in[0];
    }
    *bn = p;
    return readers[p] == 1 && m->layers[p].type->kind == FV_L_BATCH_NORM && m->layers[p].n_in == 1 &&
           !foldable(m, readers, p);
}

/* The batch norm's eval-mode map as a scale and a shift per channel: s = gamma / sqrt(var + eps),
 * t = beta - mean * s (in double, then rounded), as new parameters (the graph takes the only references). */
static fv_status bn_map(const fv_model *m, const fv_layer *bn, fv_param **scale, fv_param **shift)
{
    int64_t C = bn->params[0]->value.shape[0];
    *scale = fv_param_new(m->ctx, bn->params[0]->name, FV_PARAM_WEIGHT, 1, &C);
    *shift = fv_param_new(m->ctx, bn->params[1]->name, FV_PARAM_WEIGHT, 1, &C);
    if (!*scale || !*shift) return fv_errcode(m->ctx);
    const float *gamma = fv_f32(&bn->params[0]->value), *beta = fv_f32(&bn->params[1]->value);
    const float *mean = fv_f32(&bn->params[2]->value), *var = fv_f32(&bn->params[3]->value);
    for (int64_t c = 0; c < C; c++) {
        double s = gamma[c] / sqrt((double)var[c] + bn->a.eps);
        fv_f32(&(*scale)->value)[c] = (float)s;
        fv_f32(&(*shift)->value)[c] = (float)(beta[c] - mean[c] * s);
    }
    return FV_OK;
}

/* A copy of parameter p, which the graph will own alone. */
static fv_param *copy(const fv_model *m, const fv_param *p)
{
    fv_param *c = fv_param_new(m->ctx, p->name, p->kind, p->value.ndim, p->value.shape);
    if (c) memcpy(fv_f32(&c->value), fv_f32(&p->value), (size_t)p->value.size * sizeof(float));
    return c;
}

/* The convolution `conv`, with batch norm `bn` folded in (-1: none) and a clamp (hi > 0), named `name` (the
 * convolution's: a shape error in the chain is the convolution's, and must name it, not the ReLU after it), over
 * the node of its input layer, or (maps_input) of the batch norm's input, mapped. Its weights are the graph's own
 * (folded, or copied): the graph is a snapshot of the model, so its convolutions may keep their weights arranged
 * for the kernels from one run to the next (ops/conv2d.c). */
static fv_node *build_chain(fv_graph *g, const fv_model *m, const int *readers, fv_node **nodes, int conv, int bn,
                            float hi, const char *name)
{
    fv_layer l = m->layers[conv];
    fv_param *w = NULL, *b = NULL, *scale = NULL, *shift = NULL;
    fv_node *out = NULL, *x = nodes[l.in[0]];
    int pre_bn, pre_act;
    float in_hi;
    bool mapped = maps_input(m, readers, conv, &pre_bn, &pre_act, &in_hi);
    if (mapped && bn_map(m, &m->layers[pre_bn], &scale, &shift) != FV_OK) goto done;
    if (mapped) x = nodes[m->layers[pre_bn].in[0]];
    if (bn >= 0) {
        if (fold(m, &m->layers[conv], &m->layers[bn], &w, &b) != FV_OK) goto done;
        l.a.bias = true;
        l.params[0] = w, l.params[1] = b, l.n_params = 2;
    } else {
        if (!(w = copy(m, l.params[0])) || (l.a.bias && !(b = copy(m, l.params[1])))) goto done;
        l.params[0] = w;
        if (l.a.bias) l.params[1] = b;
    }
    snprintf(l.name, sizeof l.name, "%s", name);
    if (mapped) out = fv_layer_build_conv_mapped(g, &l, x, scale, shift, in_hi, hi);
    else out = hi > 0 ? fv_layer_build_conv_clamped(g, &l, x, hi) : fv_layer_build(g, &l, &x);
done:
    fv_param_free(w); /* the graph holds its own references */
    fv_param_free(b);
    fv_param_free(scale);
    fv_param_free(shift);
    return out;
}

/* Marks in own[] the float constants that a product (matmul, gemm) reads as its right operand: the graph gets
 * its own copy of each, so that the product may keep it packed for the GEMM between runs (ops/matmul.c), as
 * convolutions keep their weights. */
static void mark_product_operands(const fv_model *m, bool *own)
{
    for (int k = 0; k < m->n_layers; k++) {
        const fv_layer *l = &m->layers[k];
        if (l->n_in < 2 || (strcmp(l->type->name, "matmul") && strcmp(l->type->name, "gemm"))) continue;
        const fv_layer *c = &m->layers[l->in[1]];
        own[l->in[1]] = c->type->kind == FV_L_CONSTANT && c->n_params == 1 && c->params[0]->value.dtype == FV_F32;
    }
}

static fv_node *build_own_constant(fv_graph *g, const fv_model *m, const fv_layer *l, fv_node **in)
{
    fv_layer own = *l;
    if (!(own.params[0] = copy(m, l->params[0]))) return NULL;
    fv_node *n = fv_layer_build(g, &own, in);
    fv_param_free(own.params[0]); /* the graph holds its own reference */
    return n;
}

fv_graph *fv_model_build_inference_io(fv_model *m, int64_t batch, fv_node **inputs, fv_node **outputs)
{
    if (!m || m->n_layers < 2 || batch < 1) return fv_model_build_io(m, batch, inputs, outputs, NULL); /* its errors */
    fv_graph *g = fv_graph_new(m->ctx);
    fv_node **nodes = calloc((size_t)m->n_layers, sizeof *nodes);
    bool *skip = calloc((size_t)m->n_layers, sizeof *skip), *own = calloc((size_t)m->n_layers, sizeof *own);
    fv_readers r = find_readers(m);
    const int *readers = r.count;
    int *fused = calloc((size_t)m->n_layers, sizeof *fused);
    fv_fusion *fusions = calloc((size_t)m->n_layers, sizeof *fusions);
    int n_fusions = 0;
    if (!g || !nodes || !skip || !own || !readers || !fused || !fusions) {
        fv_error(m->ctx, FV_ERR_NOMEM, "out of memory building model '%s'", m->name);
        goto fail;
    }
    fv_graph_set_training(g, false);
    int conv, bn, act;
    float hi;
    for (int i = 1; i < m->n_layers; i++) {
        if (maps_input(m, readers, i, &bn, &act, &hi)) { /* the batch norm and its ReLU go into the convolution */
            skip[bn] = true;
            if (act >= 0) skip[act] = true;
        }
        if (fusable(m, readers, i, &conv, &bn, &hi)) {
            skip[conv] = true;
            if (bn >= 0) skip[bn] = true;
        } else if (clamps_bn(m, readers, i, &bn, &hi)) {
            skip[bn] = true;
        } else if (foldable(m, readers, i)) {
            skip[m->layers[i].in[0]] = true;
        }
    }
    for (int i = 1; i < m->n_layers; i++) { /* written-out layer norms and GELUs: fused[last] = 1 + its index */
        fv_fusion *f = &fusions[n_fusions];
        if (skip[i] || !fv_inference_fusion_at(m, &r, i, f)) continue;
        bool free_of_others = true;
        for (int k = 0; k < f->n_absorbed; k++) free_of_others &= !skip[f->absorbed[k]] && !fused[f->absorbed[k]];
        if (!free_of_others) continue;
        for (int k = 0; k < f->n_absorbed; k++) skip[f->absorbed[k]] = f->absorbed[k] != f->last;
        fused[f->last] = ++n_fusions;
    }
    mark_product_operands(m, own);
    fv_node *feeds[FV_MODEL_MAX_IO];
    if (fv_model_add_inputs(m, g, batch, nodes, feeds) != FV_OK) goto fail;
    for (int i = 1; i < m->n_layers; i++) {
        const fv_layer *l = &m->layers[i];
        if (skip[i] || l->type->kind == FV_L_INPUT) continue; /* skipped: a convolution built with its batch norm */
        fv_node *in[FV_LAYER_MAX_INPUTS];
        for (int k = 0; k < l->n_in; k++) in[k] = nodes[l->in[k]];
        if (fused[i])
            nodes[i] = fv_inference_fusion_build(g, &fusions[fused[i] - 1], l->name, nodes);
        else if (clamps_bn(m, readers, i, &bn, &hi))
            nodes[i] = fv_layer_build_bn_clamped(g, &m->layers[bn], nodes[m->layers[bn].in[0]], hi);
        else if (fusable(m, readers, i, &conv, &bn, &hi))
            nodes[i] = build_chain(g, m, readers, nodes, conv, bn, hi, m->layers[conv].name);
        else if (foldable(m, readers, i))
            nodes[i] = build_chain(g, m, readers, nodes, l->in[0], i, 0.0f, m->layers[l->in[0]].name);
        else if (l->type->kind == FV_L_CONV2D && l->n_in == 1)
            nodes[i] = build_chain(g, m, readers, nodes, i, -1, 0.0f, l->name);
        else if (own[i])
            nodes[i] = build_own_constant(g, m, l, in);
        else
            nodes[i] = fv_layer_build(g, l, in);
        if (!nodes[i]) goto fail;
    }
    for (int k = 0; inputs && k < m->n_inputs; k++) inputs[k] = feeds[k];
    int out[FV_MODEL_MAX_IO], n_out = fv_model_output_layers(m, out);
    for (int k = 0; k < n_out; k++) {
        if (outputs) outputs[k] = nodes[out[k]];
        fv_node_keep_value(nodes[out[k]]); /* another layer may read it too */
    }
    free(nodes), free(skip), free(own), free(r.count), free(r.last), free(fused), free(fusions);
    fv_graph_set_inference(g, true);
    return g;
fail:
    free(nodes), free(skip), free(own), free(r.count), free(r.last), free(fused), free(fusions);
    fv_graph_free(g);
    return NULL;
}

fv_graph *fv_model_build_inference(fv_model *m, int64_t batch, fv_node **input, fv_node **output)
{
    fv_node *inputs[FV_MODEL_MAX_IO], *outputs[FV_MODEL_MAX_IO];
    fv_graph *g = fv_model_build_inference_io(m, batch, inputs, outputs);
    if (g && input) *input = inputs[0];
    if (g && output) *output = outputs[0];
    return g;
}

fv_tensor *fv_model_output(fv_model *m, const fv_tensor *x)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_node *in, *out;
    fv_graph *g = fv_model_build_inference(m, x->shape[0], &in, &out);
    fv_tensor *r = NULL;
    if (g && fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK) {
        const fv_tensor *v = fv_node_value(out);
        r = fv_tensor_from(ctx, v->dtype, v->ndim, v->shape, v->data);
    } else if (g) {
        fv_model_explain_input(m, x, fv_errcode(ctx));
    }
    fv_graph_free(g);
    return r;
}
