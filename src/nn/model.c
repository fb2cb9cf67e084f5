/* The model: layers in order, each checked against a batch-1 shape graph as it is added, their parameters,
 * metadata (class names, input normalization), and building the layers into graphs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea/init.h"
#include "class_names.h"
#include "model_internal.h"
#include "../core/text.h"

fv_model *fv_model_new(fv_ctx *ctx, const char *name)
{
    if (!ctx) return NULL;
    fv_model *m = calloc(1, sizeof *m);
    if (!m || !(m->shapes = fv_graph_new(ctx)) || !(m->shapes2 = fv_graph_new(ctx))) {
        if (m) fv_graph_free(m->shapes);
        free(m);
        fv_error(ctx, FV_ERR_NOMEM, "out of memory creating a model");
        return NULL;
    }
    fv_graph_set_shapes_only(m->shapes);
    fv_graph_set_shapes_only(m->shapes2);
    m->ctx = ctx;
    m->pre = fv_preprocess_defaults();
    snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "model");
    return m;
}

void fv_model_free(fv_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_layers; i++)
        for (int j = 0; j < m->layers[i].n_params; j++) fv_param_free(m->layers[i].params[j]);
    for (int i = 0; i < m->n_class_names; i++) free(m->class_names[i]);
    free(m->class_names);
    fv_graph_free(m->shapes);
    free(m->shape_nodes);
    fv_graph_free(m->shapes2);
    free(m->shape_nodes2);
    fv_name_index_free(&m->layer_index);
    fv_name_index_free(&m->param_index);
    free(m->params);
    free(m->layers);
    free(m);
}

fv_ctx *fv_model_ctx(const fv_model *m) { return m ? m->ctx : NULL; }

fv_status fv_model_set_task(fv_model *m, const char *text)
{
    if (!m) return FV_ERR_ARG;
    const char *t = text ? text + strspn(text, " \t\r") : "";
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r')) n--;
    if (n >= FV_MODEL_MAX_TASK)
        return fv_error(m->ctx, FV_ERR_ARG, "model '%s': a task line of %zu characters (at most %d)", m->name, n,
                        FV_MODEL_MAX_TASK - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e)
            return fv_error(m->ctx, FV_ERR_ARG, "model '%s': the task line holds a byte 0x%02x that is not printable "
                            "ASCII", m->name, (unsigned char)t[i]);
    memcpy(m->task, t, n);
    m->task[n] = '\0';
    return FV_OK;
}

const char *fv_model_task(const fv_model *m) { return m && m->task[0] ? m->task : NULL; }
const char *fv_model_name(const fv_model *m) { return m ? m->name : ""; }

static const char *layer_name_of(const void *m, int i) { return ((const fv_model *)m)->layers[i].name; }
static const char *param_name_of(const void *m, int k) { return ((const fv_model *)m)->params[k]->name; }

int fv_model_find_layer(const fv_model *m, const char *name)
{
    return m && name ? fv_name_index_find(&m->layer_index, name, layer_name_of, m) : -1;
}

/* Index the new last layer's name and parameters (the model's lookups by name are hashed: a model of
 * 100,000 layers loads in linear time). */
static fv_status index_layer(fv_model *m, const fv_layer *l)
{
    if (m->n_params + l->n_params > m->cap_params) {
        int cap = m->cap_params ? 2 * m->cap_params : 16;
        while (cap < m->n_params + l->n_params) cap *= 2;
        fv_param **p = realloc(m->params, (size_t)cap * sizeof *p);
        if (!p) return fv_error(m->ctx, FV_ERR_NOMEM, "out of memory adding a layer");
        m->params = p, m->cap_params = cap;
    }
    if (!fv_name_index_reserve(&m->layer_index, 1) || !fv_name_index_reserve(&m->param_index, (size_t)l->n_params))
        return fv_error(m->ctx, FV_ERR_NOMEM, "out of memory adding a layer");
    fv_name_index_add(&m->layer_index, l->name, m->n_layers); /* cannot fail now */
    for (int j = 0; j < l->n_params && !l->share; j++) { /* shared parameters are listed once, by their owner */
        fv_name_index_add(&m->param_index, l->params[j]->name, m->n_params);
        m->params[m->n_params++] = l->params[j];
    }
    return FV_OK;
}

static fv_status grow(fv_model *m)
{
    if (m->n_layers < m->cap_layers) return FV_OK;
    int cap = m->cap_layers ? 2 * m->cap_layers : 16;
    fv_layer *l = realloc(m->layers, (size_t)cap * sizeof *l);
    if (l) m->layers = l;
    fv_node **n = realloc(m->shape_nodes, (size_t)cap * sizeof *n);
    if (n) m->shape_nodes = n;
    fv_node **n2 = realloc(m->shape_nodes2, (size_t)cap * sizeof *n2);
    if (n2) m->shape_nodes2 = n2;
    if (!l || !n || !n2) return fv_error(m->ctx, FV_ERR_NOMEM, "out of memory adding a layer");
    m->cap_layers = cap;
    return FV_OK;
}

/* Resolve share=NAME: an earlier layer of the same type (fv_layer_make_params in layers.c then checks the shapes). */
static fv_status resolve_share(fv_model *m, fv_layer *l, const char *share, const char *where)
{
    l->share = 0;
    if (!share || !*share) return FV_OK;
    int k = fv_model_find_layer(m, share);
    if (k < 0)
        return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': share=%s: no layer '%s' before it", where, l->type->name,
                        l->name, share, share);
    if (m->layers[k].type != l->type)
        return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': share=%s: '%s' is a %s, not a %s", where, l->type->name,
                        l->name, share, share, m->layers[k].type->name, l->type->name);
    if (m->layers[k].share) k = m->layers[k].share - 1; /* sharing with a sharer is sharing with its source */
    l->share = k + 1;
    return FV_OK;
}

/* The spec's inputs as a description writes them ("a,b"; an index that names no layer as "#7"), for messages. */
static void from_text(const fv_model *m, const fv_layer_spec *s, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < s->n_in && i < FV_LAYER_MAX_INPUTS && used < size; i++) {
        const char *name = s->in_name[i] ? s->in_name[i] : fv_model_layer_name(m, s->in[i]);
        if (name) used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", name);
        else used += (size_t)snprintf(out + used, size - used, "%s#%d", i ? "," : "", s->in[i]);
    }
}

/* Resolve the spec's inputs (none: the previous layer) into input indices. */
static fv_status resolve_inputs(fv_model *m, fv_layer *l, const fv_layer_spec *s, const char *where)
{
    const fv_layer_type *t = l->type;
    l->n_in = 0;
    if (s->n_in <= 0) {
        if (t->min_in == 0) return FV_OK;
        if (m->n_layers == 0)
            return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': the model has no layer before it (start with an input)",
                            where, t->name, l->name);
        if (t->min_in > 1)
            return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': needs from= with %d layer names", where, t->name, l->name,
                            t->min_in);
        l->in[l->n_in++] = m->n_layers - 1;
        return FV_OK;
    }
    if (t->max_in == 0) return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s' cannot have from=", where, t->name, l->name);
    if (s->n_in > t->max_in)
        return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': takes at most %d inputs", where, t->name, l->name, t->max_in);
    char from[FV_LINE_MAX];
    from_text(m, s, from, sizeof from);
    for (int i = 0; i < s->n_in; i++) {
        int k = s->in_name[i] ? fv_model_find_layer(m, s->in_name[i]) : s->in[i];
        if (k < 0 || k >= m->n_layers) {
            char what[128];
            if (s->in_name[i]) snprintf(what, sizeof what, "no layer '%.63s' before it", s->in_name[i]);
            else snprintf(what, sizeof what, "input %d is layer %d, and the model has %d", i, k, m->n_layers);
            return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': from=%s: %s", where, t->name, l->name, from, what);
        }
        l->in[l->n_in++] = k;
    }
    if (l->n_in < t->min_in)
        return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': needs %d inputs, from= names %d", where, t->name, l->name,
                        t->min_in, l->n_in);
    return FV_OK;
}

/* Keras-style automatic names: conv2d, conv2d_1, conv2d_2 ... the smallest suffix whose name is free. Names
 * are only ever added, so the smallest free suffix never decreases: each type keeps where its last search
 * stopped and goes on from there (not past it: the name it gave may have been replaced by a name token). */
void fv_model_auto_name(fv_model *m, const fv_layer_type *t, char *name, size_t size)
{
    int *next = &m->auto_names[fv_layer_type_index(t)];
    for (;; ++*next) {
        if (*next == 0) snprintf(name, size, "%s", t->name);
        else snprintf(name, size, "%s_%d", t->name, *next);
        if (fv_model_find_layer(m, name) < 0) return;
    }
}

/* An input layer's node in a graph: (batch, shape) or, without a batch, shape alone. The first input is named
 * "input" (what graphs of one-input models have always called it), the others after their layers. */
static fv_node *input_node(fv_model *m, fv_graph *g, const fv_layer *l, int64_t batch)
{
    int64_t shape[FV_MAX_DIMS];
    int nd = 0;
    if (l->a.batch) shape[nd++] = batch;
    for (int d = 0; d < l->a.ndim && nd < FV_MAX_DIMS; d++) shape[nd++] = l->a.shape[d];
    bool first = m->n_inputs == 0 || &m->layers[m->inputs[0]] == l;
    return fv_input(g, first ? "input" : l->name, (fv_dtype)l->a.dtype, nd, shape);
}

static fv_status place_input(fv_model *m, fv_layer *l)
{
    if (m->n_inputs == FV_MODEL_MAX_IO)
        return fv_error(m->ctx, FV_ERR_ARG, "input '%s': a model has at most %d inputs", l->name, FV_MODEL_MAX_IO);
    if (l->a.batch && l->a.ndim > FV_MAX_DIMS - 1)
        return fv_error(m->ctx, FV_ERR_ARG, "input '%s': %d dimensions and the batch make more than %d (batch=false "
                        "gives the whole shape)", l->name, l->a.ndim, FV_MAX_DIMS);
    for (int d = 0; d < l->a.ndim && l->a.batch; d++)
        if (l->a.shape[d] == 0)
            return fv_error(m->ctx, FV_ERR_ARG, "input '%s': dimension %d is 0 (an empty input needs batch=false)",
                            l->name, d);
    fv_node *n = input_node(m, m->shapes, l, 1);
    if (!n) return fv_errcode(m->ctx);
    if (!m->shape_input) m->shape_input = n;
    m->shape_nodes[m->n_layers] = n;
    if (m->shapes2 && !(m->shape_nodes2[m->n_layers] = input_node(m, m->shapes2, l, 2))) return fv_errcode(m->ctx);
    l->batched = l->a.batch;
    return FV_OK;
}

/* The layer at batch 2 too. A layer that builds at batch 1 but not at 2 ends the batch-2 graph (the model is
 * then one of batch 1), without an error: the batch-1 graph has checked the layer. */
static void place_at_batch_2(fv_model *m, fv_layer *l)
{
    if (!m->shapes2) return;
    fv_node *in[FV_LAYER_MAX_INPUTS];
    for (int i = 0; i < l->n_in; i++) in[i] = m->shape_nodes2[l->in[i]];
    fv_node *n = fv_layer_build(m->shapes2, l, in);
    if (n) {
        m->shape_nodes2[m->n_layers] = n;
        const fv_tensor *a = fv_node_value(m->shape_nodes[m->n_layers]), *b = fv_node_value(n);
        l->batched = a->ndim > 0 && a->shape[0] != b->shape[0];
        return;
    }
    fv_clear_error(m->ctx);
    fv_graph_free(m->shapes2);
    m->shapes2 = NULL;
}

/* Add the layer to the shape graph: checks it and gives its output shape. */
static fv_status place_layer(fv_model *m, fv_layer *l)
{
    if (l->type->kind == FV_L_INPUT) return place_input(m, l);
    fv_node *in[FV_LAYER_MAX_INPUTS];
    for (int i = 0; i < l->n_in; i++) in[i] = m->shape_nodes[l->in[i]], l->batched |= m->layers[l->in[i]].batched;
    fv_status s = fv_layer_make_params(m, l, l->n_in ? fv_node_value(in[0]) : NULL);
    fv_node *n = s ? NULL : fv_layer_build(m->shapes, l, in);
    if (!n) {
        for (int j = 0; j < l->n_params; j++) fv_param_free(l->params[j]);
        l->n_params = 0;
        return fv_errcode(m->ctx) ? fv_errcode(m->ctx) : FV_ERR_ARG;
    }
    m->shape_nodes[m->n_layers] = n;
    place_at_batch_2(m, l);
    return FV_OK;
}

/* The layer's type, and whether it may come now (a model starts with an input). */
static const fv_layer_type *spec_type(fv_model *m, const fv_layer_spec *s, const char *where)
{
    const char *name = s->name && *s->name ? s->name : "(unnamed)";
    if (!s->type) {
        fv_error(m->ctx, FV_ERR_ARG, "%slayer '%s': the spec has no type (NULL)", where, name);
        return NULL;
    }
    const fv_layer_type *t = fv_layer_type_find(s->type);
    if (!t) {
        fv_error(m->ctx, FV_ERR_ARG, "%sunknown layer type '%s' (layer '%s')", where, s->type, name);
        return NULL;
    }
    if (m->n_layers == 0 && t->kind != FV_L_INPUT) {
        fv_error(m->ctx, FV_ERR_ARG, "%s%s: a model starts with an input layer (input shape=CxHxW)", where, t->name);
        return NULL;
    }
    return t;
}

/* Name the new layer l: the spec's name, checked and not yet taken, or a made-up one. */
static fv_status name_layer(fv_model *m, fv_layer *l, const fv_layer_spec *s, const char *where)
{
    if (!s->name || !*s->name) {
        fv_model_auto_name(m, l->type, l->name, sizeof l->name);
        return FV_OK;
    }
    fv_status st = fv_layer_check_name(m->ctx, where, l->type, s->name);
    if (st) return st;
    snprintf(l->name, sizeof l->name, "%s", s->name);
    if (fv_model_find_layer(m, l->name) >= 0)
        return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': a layer of that name already exists", where, l->type->name,
                        l->name);
    return FV_OK;
}

int fv_model_add_spec(fv_model *m, const fv_layer_spec *s, const char *where)
{
    if (!m) return -1;
    if (!s) {
        fv_error(m->ctx, FV_ERR_ARG, "%sthe layer spec is NULL", where);
        return -1;
    }
    const fv_layer_type *t = spec_type(m, s, where);
    if (!t || grow(m) != FV_OK) return -1;
    fv_layer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    l->type = t;
    l->a = s->a;
    if (name_layer(m, l, s, where) != FV_OK || fv_layer_check_attrs(m->ctx, where, l) != FV_OK ||
        resolve_inputs(m, l, s, where) != FV_OK || resolve_share(m, l, s->share, where) != FV_OK)
        return -1;
    if (place_layer(m, l) != FV_OK) {
        if (*where) { /* prefix the graph's message with the location */
            char msg[512];
            snprintf(msg, sizeof msg, "%s", fv_errmsg(m->ctx));
            fv_error(m->ctx, fv_errcode(m->ctx), "%s%s", where, msg);
        }
        return -1;
    }
    if (index_layer(m, l) != FV_OK) {
        for (int j = 0; j < l->n_params; j++) fv_param_free(l->params[j]);
        l->n_params = 0;
        return -1;
    }
    if (t->kind == FV_L_INPUT) m->inputs[m->n_inputs++] = m->n_layers;
    return m->n_layers++;
}

int fv_model_add_layer(fv_model *m, const fv_layer_spec *spec) { return fv_model_add_spec(m, spec, ""); }

fv_status fv_model_set_outputs(fv_model *m, const int *layers, int n)
{
    if (!m) return FV_ERR_ARG;
    if (n < 0 || n > FV_MODEL_MAX_IO || (n && !layers))
        return fv_error(m->ctx, FV_ERR_ARG, "model '%s': %d outputs (0 to %d)", m->name, n, FV_MODEL_MAX_IO);
    for (int i = 0; i < n; i++)
        if (layers[i] < 0 || layers[i] >= m->n_layers)
            return fv_error(m->ctx, FV_ERR_ARG, "model '%s': output %d is layer %d, which does not exist", m->name, i,
                            layers[i]);
    for (int i = 0; i < n; i++) m->outputs[i] = layers[i];
    m->n_outputs = n;
    return FV_OK;
}

/* ---- structure ------------------------------------------------------------------------------------- */

static const fv_layer *layer_at(const fv_model *m, int i) { return m && i >= 0 && i < m->n_layers ? &m->layers[i] : NULL; }

int fv_model_layer_count(const fv_model *m) { return m ? m->n_layers : 0; }
const char *fv_model_layer_name(const fv_model *m, int i) { return layer_at(m, i) ? m->layers[i].name : NULL; }
const char *fv_model_layer_type(const fv_model *m, int i) { return layer_at(m, i) ? m->layers[i].type->name : NULL; }
int fv_model_layer_input_count(const fv_model *m, int i) { return layer_at(m, i) ? m->layers[i].n_in : 0; }

int fv_model_layer_input(const fv_model *m, int i, int k)
{
    const fv_layer *l = layer_at(m, i);
    return l && k >= 0 && k < l->n_in ? l->in[k] : -1;
}

int fv_model_layer_shape(const fv_model *m, int i, int64_t *shape)
{
    if (!layer_at(m, i)) return 0;
    const fv_tensor *v = fv_node_value(m->shape_nodes[i]);
    int skip = m->layers[i].batched && v->ndim > 0;
    for (int d = skip; d < v->ndim; d++) shape[d - skip] = v->shape[d];
    return v->ndim - skip;
}

bool fv_model_layer_batched(const fv_model *m, int i) { return layer_at(m, i) && m->layers[i].batched; }

int fv_model_layer_dims(const fv_model *m, int i, int64_t *dims, bool *per_batch)
{
    if (!layer_at(m, i)) return 0;
    const fv_tensor *a = fv_node_value(m->shape_nodes[i]);
    const fv_tensor *b = m->shapes2 ? fv_node_value(m->shape_nodes2[i]) : NULL;
    for (int d = 0; d < a->ndim; d++) {
        dims[d] = a->shape[d];
        per_batch[d] = b ? b->shape[d] != a->shape[d] : d == 0 && m->layers[i].batched;
    }
    return a->ndim;
}

fv_dtype fv_model_layer_dtype(const fv_model *m, int i)
{
    return layer_at(m, i) ? fv_node_value(m->shape_nodes[i])->dtype : FV_F32;
}

int fv_model_input_count(const fv_model *m) { return m ? m->n_inputs : 0; }
int fv_model_input_layer(const fv_model *m, int k) { return m && k >= 0 && k < m->n_inputs ? m->inputs[k] : -1; }

int fv_model_output_layers(const fv_model *m, int *out)
{
    if (!m || !m->n_layers) return 0;
    if (!m->n_outputs) {
        out[0] = m->n_layers - 1;
        return 1;
    }
    memcpy(out, m->outputs, (size_t)m->n_outputs * sizeof *out);
    return m->n_outputs;
}

int fv_model_output_count(const fv_model *m) { return !m || !m->n_layers ? 0 : m->n_outputs ? m->n_outputs : 1; }

int fv_model_output_layer(const fv_model *m, int k)
{
    int out[FV_MODEL_MAX_IO];
    int n = fv_model_output_layers(m, out);
    return k >= 0 && k < n ? out[k] : -1;
}

int fv_model_layer_params(const fv_model *m, int i, fv_param **out, int max)
{
    const fv_layer *l = layer_at(m, i);
    if (!l) return 0;
    int n = 0;
    for (int j = 0; j < l->n_params && n < max; j++) out[n++] = l->params[j];
    return n;
}

int fv_model_param_count(const fv_model *m) { return m ? m->n_params : 0; }

fv_param *fv_model_param(const fv_model *m, int k) { return m && k >= 0 && k < m->n_params ? m->params[k] : NULL; }

fv_param *fv_model_find_param(const fv_model *m, const char *name)
{
    int k = m && name ? fv_name_index_find(&m->param_index, name, param_name_of, m) : -1;
    return k >= 0 ? m->params[k] : NULL;
}

int fv_model_input_shape(const fv_model *m, int64_t *shape) { return fv_model_layer_shape(m, 0, shape); }

int64_t fv_model_output_size(const fv_model *m)
{
    if (!m || !m->n_layers) return 0;
    int64_t s[FV_MAX_DIMS];
    int nd = fv_model_layer_shape(m, fv_model_output_layer(m, 0), s);
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= s[d];
    return nd == 1 ? s[0] : n;
}

fv_param_totals fv_model_param_totals(const fv_model *m)
{
    fv_param_totals t = {0, 0, 0};
    for (int k = 0; k < fv_model_param_count(m); k++) {
        fv_param *p = fv_model_param(m, k);
        t.total += p->value.size;
        if (p->kind == FV_PARAM_WEIGHT && p->trainable) t.trainable += p->value.size;
        else t.non_trainable += p->value.size;
    }
    return t;
}

int fv_model_set_trainable(fv_model *m, const char *prefix, bool trainable)
{
    int matched = 0;
    size_t n = prefix ? strlen(prefix) : 0;
    for (int i = 0; m && i < m->n_layers; i++) {
        /* a module path: "features.1" is features.1 and features.1.*, never features.10 */
        const char *name = m->layers[i].name;
        if (n && (strncmp(name, prefix, n) != 0 || (name[n] != '\0' && name[n] != '.'))) continue;
        matched++;
        for (int j = 0; j < m->layers[i].n_params; j++)
            if (m->layers[i].params[j]->kind == FV_PARAM_WEIGHT) fv_param_set_trainable(m->layers[i].params[j], trainable);
    }
    return matched;
}

/* ---- initialization -------------------------------------------------------------------------------- */

fv_status fv_model_init(fv_model *m)
{
    if (!m) return FV_ERR_ARG;
    for (int i = 0; i < m->n_layers; i++) {
        fv_layer *l = &m->layers[i];
        if (l->type->kind == FV_L_CONSTANT || l->share) continue; /* data; or another layer's, set with that one */
        for (int j = 0; j < l->n_params; j++) {
            fv_param *p = l->params[j];
            fv_init_spec spec = {FV_INIT_ZEROS, 0, 0, 0};
            bool bn = l->type->kind == FV_L_BATCH_NORM;
            if (l->type->kind == FV_L_CONV_TRANSPOSE2D && l->a.choice[0] == FV_CONVT_INIT_BILINEAR) {
                /* the bilinear kernel, and a zero bias so that the layer starts as plain upsampling */
                if (j == 0) fv_init_bilinear(&p->value, l->a.groups);
                else if (fv_init_tensor(m->ctx, &p->value, &spec) != FV_OK) return fv_errcode(m->ctx);
                continue;
            }
            const fv_generic_type *gt = fv_generic(l->type);
            if (bn) spec.kind = (j == 0 || j == 3) ? FV_INIT_ONES : FV_INIT_ZEROS;
            else if (gt && gt->init) gt->init(j, &spec);
            else if (j == 0) spec.kind = FV_INIT_TORCH_DEFAULT;
            else {
                spec.kind = FV_INIT_TORCH_BIAS;
                fv_init_fans(&l->params[0]->value, &spec.fan_in, NULL);
            }
            fv_status s = fv_init_tensor(m->ctx, &p->value, &spec);
            if (s) return s;
        }
    }
    return FV_OK;
}

/* ---- metadata --------------------------------------------------------------------------------------- */

/* There must be one name per output (a name too many or too few shifts every prediction's label). Names set for
 * a model (text) are stored one per line and printed back: each must be text a terminal shows as it is. Names
 * read from a file someone else wrote are only counted: they are kept as they are and printed escaped. */
static fv_status check_class_names(fv_model *m, const char *const *names, int n, bool text)
{
    int64_t outputs = fv_model_output_size(m);
    if (n && outputs > 0 && n != outputs)
        return fv_error(m->ctx, FV_ERR_ARG, "%d class names for the %lld outputs of model '%s'", n, (long long)outputs,
                        fv_model_name(m));
    for (int i = 0; text && i < n; i++) {
        char why[96];
        const char *problem = names[i] ? fv_text_problem(names[i], why, sizeof why) : NULL;
        if (problem) return fv_error(m->ctx, FV_ERR_ARG, "class name %d %s", i, problem);
    }
    return FV_OK;
}

static fv_status store_class_names(fv_model *m, const char *const *names, int n, bool text)
{
    if (!m || n < 0 || (n && !names)) return FV_ERR_ARG;
    fv_status st = check_class_names(m, names, n, text);
    if (st) return st;
    char **copy = n ? calloc((size_t)n, sizeof *copy) : NULL;
    if (n && !copy) return fv_error(m->ctx, FV_ERR_NOMEM, "out of memory storing class names");
    for (int i = 0; i < n; i++) {
        if (!names[i] || !(copy[i] = strdup(names[i]))) {
            for (int j = 0; j < i; j++) free(copy[j]);
            free(copy);
            return fv_error(m->ctx, names[i] ? FV_ERR_NOMEM : FV_ERR_ARG, "class name %d is %s", i,
                            names[i] ? "too much for memory" : "NULL");
        }
    }
    for (int i = 0; i < m->n_class_names; i++) free(m->class_names[i]);
    free(m->class_names);
    m->class_names = copy;
    m->n_class_names = n;
    return FV_OK;
}

fv_status fv_model_set_class_names(fv_model *m, const char *const *names, int n)
{
    return store_class_names(m, names, n, true);
}

fv_status fv_model_load_class_names(fv_model *m, const char *const *names, int n)
{
    return store_class_names(m, names, n, false);
}

const char *fv_model_class_name(const fv_model *m, int k)
{
    return m && k >= 0 && k < m->n_class_names ? m->class_names[k] : NULL;
}

/* The channels of the first input when it is an image (C, H, W), else 0. */
static int image_channels(const fv_model *m)
{
    if (!m->n_inputs) return 0;
    const fv_layer *l = &m->layers[m->inputs[0]];
    return l->a.ndim == 3 && l->a.batch && l->a.dtype == FV_F32 ? (int)l->a.shape[0] : 0;
}

fv_status fv_model_set_preprocess(fv_model *m, const fv_preprocess *p)
{
    if (!m) return FV_ERR_ARG;
    if (!p) {
        m->has_pre = false;
        m->pre = fv_preprocess_defaults();
        return FV_OK;
    }
    int n = p->channels, ic = image_channels(m);
    if (n < 0 || n > FV_MODEL_MAX_NORM)
        return fv_error(m->ctx, FV_ERR_ARG, "normalization for %d channels (at most %d)", n, FV_MODEL_MAX_NORM);
    for (int c = 0; c < n; c++)
        if (!isfinite(p->mean[c]) || !isfinite(p->std[c]) || !(p->std[c] > 0))
            return fv_error(m->ctx, FV_ERR_ARG, "normalization of channel %d: mean %g, std %g (std must be > 0)", c,
                            p->mean[c], p->std[c]);
    if (!isfinite(p->scale) || !(p->scale > 0))
        return fv_error(m->ctx, FV_ERR_ARG, "preprocessing scale %g (must be > 0)", p->scale);
    if (p->resize < FV_RESIZE_STRETCH || p->resize > FV_RESIZE_PAD || p->resize_size < 0 || p->resize_size > 65536)
        return fv_error(m->ctx, FV_ERR_ARG, "preprocessing resize rule %d of size %d", (int)p->resize, p->resize_size);
    bool graph = !fv_preprocess_graph_identity(p);
    if (graph && !ic && m->n_inputs)
        return fv_error(m->ctx, FV_ERR_ARG, "model '%s': preprocessing needs an image input (C, H, W)", m->name);
    if (n > 1 && ic && n != ic)
        return fv_error(m->ctx, FV_ERR_ARG, "normalization of %d channels for model '%s', whose input has %d", n, m->name, ic);
    if (p->bgr && ic && ic != 3)
        return fv_error(m->ctx, FV_ERR_ARG, "BGR order for model '%s', whose input has %d channels (needs 3)", m->name, ic);
    m->pre = *p;
    m->has_pre = true;
    return FV_OK;
}

bool fv_model_preprocess(const fv_model *m, fv_preprocess *p)
{
    if (p) *p = m && m->has_pre ? m->pre : fv_preprocess_defaults();
    return m && m->has_pre;
}

fv_status fv_model_set_normalization(fv_model *m, const float *mean, const float *std, int channels)
{
    if (!m) return FV_ERR_ARG;
    if (channels < 0 || channels > FV_MODEL_MAX_NORM)
        return fv_error(m->ctx, FV_ERR_ARG, "normalization for %d channels (at most %d)", channels, FV_MODEL_MAX_NORM);
    fv_preprocess p;
    fv_model_preprocess(m, &p);
    p.channels = channels;
    for (int c = 0; c < channels; c++) p.mean[c] = mean[c], p.std[c] = std[c];
    return fv_model_set_preprocess(m, &p);
}

int fv_model_normalization(const fv_model *m, float *mean, float *std, int max)
{
    if (!m || !m->has_pre) return 0;
    for (int c = 0; c < m->pre.channels && c < max; c++) {
        if (mean) mean[c] = m->pre.mean[c];
        if (std) std[c] = m->pre.std[c];
    }
    return m->pre.channels;
}

/* ---- building ------------------------------------------------------------------------------------------- */

/* A constant (1, n, 1, 1) of n floats, for the preprocessing step. */
static fv_node *channel_constant(fv_graph *g, fv_ctx *ctx, const float *v, int n)
{
    fv_tensor *t = fv_tensor_from(ctx, FV_F32, 4, (int64_t[]){1, n, 1, 1}, v);
    fv_node *c = t ? fv_constant(g, t) : NULL;
    fv_tensor_free(t);
    return c;
}

/* The model's preprocessing applied to x (N, C, H, W), in torchvision's order and float32 arithmetic: channels
 * reordered, times 255 * scale (skipped at 1/255, the data path's own scale), minus mean, over std. */
static fv_node *preprocess_node(fv_model *m, fv_graph *g, fv_node *x)
{
    const fv_preprocess *p = &m->pre;
    if (x && p->bgr) {
        fv_tensor *t = fv_tensor_from(m->ctx, FV_I64, 1, (int64_t[]){3}, (int64_t[]){2, 1, 0});
        fv_node *idx = t ? fv_constant(g, t) : NULL;
        fv_tensor_free(t);
        x = idx ? fv_gather(g, x, idx, 1) : NULL;
    }
    float k = (float)(255.0 * (double)p->scale);
    if (x && fabs((double)k - 1.0) >= 1e-6) x = fv_mul(g, x, channel_constant(g, m->ctx, &k, 1));
    if (x && p->channels) x = fv_sub(g, x, channel_constant(g, m->ctx, p->mean, p->channels));
    if (x && p->channels) x = fv_div(g, x, channel_constant(g, m->ctx, p->std, p->channels));
    return x;
}

fv_status fv_model_add_inputs(fv_model *m, fv_graph *g, int64_t batch, fv_node **nodes, fv_node **feeds)
{
    for (int k = 0; k < m->n_inputs; k++) {
        fv_node *x = input_node(m, g, &m->layers[m->inputs[k]], batch);
        if (!x) return fv_errcode(m->ctx);
        feeds[k] = nodes[m->inputs[k]] = x;
    }
    if (m->n_inputs && m->has_pre && image_channels(m) && !fv_preprocess_graph_identity(&m->pre) &&
        !(nodes[m->inputs[0]] = preprocess_node(m, g, feeds[0])))
        return fv_errcode(m->ctx);
    return FV_OK;
}

fv_graph *fv_model_build_io(fv_model *m, int64_t batch, fv_node **inputs, fv_node **outputs, fv_node ***layer_nodes)
{
    if (!m || m->n_layers < 2 || batch < 1) {
        if (m) fv_error(m->ctx, FV_ERR_ARG, "model '%s': cannot build %s", m->name,
                        batch < 1 ? "with a batch below 1" : "without layers");
        return NULL;
    }
    fv_graph *g = fv_graph_new(m->ctx);
    fv_node **nodes = calloc((size_t)m->n_layers, sizeof *nodes);
    if (!g || !nodes) {
        fv_error(m->ctx, FV_ERR_NOMEM, "out of memory building model '%s'", m->name);
        goto fail;
    }
    fv_node *feeds[FV_MODEL_MAX_IO];
    if (fv_model_add_inputs(m, g, batch, nodes, feeds) != FV_OK) goto fail;
    for (int i = 1; i < m->n_layers; i++) {
        const fv_layer *l = &m->layers[i];
        if (l->type->kind == FV_L_INPUT) continue;
        fv_node *in[FV_LAYER_MAX_INPUTS];
        for (int k = 0; k < l->n_in; k++) in[k] = nodes[l->in[k]];
        if (!(nodes[i] = fv_layer_build(g, l, in))) goto fail;
    }
    for (int k = 0; inputs && k < m->n_inputs; k++) inputs[k] = feeds[k];
    int out[FV_MODEL_MAX_IO], n_out = fv_model_output_layers(m, out);
    for (int k = 0; outputs && k < n_out; k++) outputs[k] = nodes[out[k]];
    if (layer_nodes) *layer_nodes = nodes;
    else free(nodes);
    return g;
fail:
    free(nodes);
    fv_graph_free(g);
    return NULL;
}

fv_graph *fv_model_build(fv_model *m, int64_t batch, fv_node **input, fv_node **output, fv_node ***layer_nodes)
{
    fv_node *inputs[FV_MODEL_MAX_IO], *outputs[FV_MODEL_MAX_IO];
    fv_graph *g = fv_model_build_io(m, batch, inputs, outputs, layer_nodes);
    if (g && input) *input = inputs[0];
    if (g && output) *output = outputs[0];
    return g;
}
