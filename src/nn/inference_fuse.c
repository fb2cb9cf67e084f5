/* Patterns that an inference graph computes as one operator (see inference_fuse.h). ONNX exporters write layer
 * norm and GELU out in primitive operators when the opset has no single one for them (LayerNormalization came
 * in opset 17, Gelu in 20), and PyTorch does so below that:
 *   layer norm: m = reduce_mean(x); d = x - m; v = reduce_mean(d ^ 2); y = d / sqrt(v + eps) [* scale] [+ bias]
 *   GELU:       y = x * (erf(x / sqrt 2) + 1) * 0.5   (x / sqrt 2 also as x * (1 / sqrt 2); either operand order)
 * Nine passes over the activations become two, five become one. A pattern matches only where each inner layer
 * has no reader outside it (find_readers counts the model's outputs as readers), so nothing else can see what
 * the fused operator no longer computes. The fused operators compute the same functions (layer norm's variance
 * is the mean of squared deviations, eps inside the root) with their own rounding: results agree to float
 * precision, not bit for bit. */
#include <math.h>
#include <string.h>

#include "inference_fuse.h"

#define SQRT2_F 1.41421356237309505f
#define SQRT1_2_F 0.70710678118654752f

static bool is(const fv_model *m, int i, const char *type) { return i >= 0 && !strcmp(m->layers[i].type->name, type); }

/* A float constant of one element, and its value. */
static bool scalar(const fv_model *m, int i, float *v)
{
    const fv_layer *l = &m->layers[i];
    if (l->type->kind != FV_L_CONSTANT || l->n_params != 1) return false;
    const fv_tensor *t = &l->params[0]->value;
    if (t->dtype != FV_F32 || t->size != 1) return false;
    *v = fv_f32(t)[0];
    return true;
}

static bool scalar_is(const fv_model *m, int i, float want, float tol)
{
    float v;
    return scalar(m, i, &v) && fabsf(v - want) <= tol;
}

/* A binary layer one of whose inputs satisfies `test`: the other input, or -1. */
static int other_than(const fv_model *m, int i, bool (*test)(const fv_model *, int, const void *), const void *arg)
{
    const fv_layer *l = &m->layers[i];
    if (l->n_in != 2) return -1;
    if (test(m, l->in[1], arg)) return l->in[0];
    if (test(m, l->in[0], arg)) return l->in[1];
    return -1;
}

static bool is_value(const fv_model *m, int i, const void *want) { return scalar_is(m, i, *(const float *)want, 0.0f); }
static bool is_layer(const fv_model *m, int i, const void *want) { return i == *(const int *)want; }
static bool is_float_constant(const fv_model *m, int i, const void *unused)
{
    (void)unused;
    const fv_layer *l = &m->layers[i];
    return l->type->kind == FV_L_CONSTANT && l->n_params == 1 && l->params[0]->value.dtype == FV_F32;
}

/* The only layer that reads layer i, or -1 (several readers, or an output that no layer reads). */
static int sole_reader(const fv_readers *r, int i) { return r->count[i] == 1 ? r->last[i] : -1; }

/* reduce_mean keeping dims over the last axes of an input of rank `rank`: the first of them, else -1. */
static int trailing_axes(const fv_layer *l, int rank)
{
    if (!l->a.keepdims || l->a.axes.n < 1 || l->a.axes.n > rank) return -1;
    int first = rank - l->a.axes.n;
    bool seen[FV_MAX_DIMS] = {false};
    for (int k = 0; k < l->a.axes.n; k++) {
        int64_t a = l->a.axes.v[k] < 0 ? l->a.axes.v[k] + rank : l->a.axes.v[k];
        if (a < first || a >= rank || seen[a]) return -1;
        seen[a] = true;
    }
    return first;
}

/* A scale or bias constant that is exactly x's normalized shape, or its last dimension alone when only the
 * last axis is normalized: what fv_layer_norm takes as given. */
static bool affine_shape(const fv_model *m, int c, const int64_t *xshape, int rank, int axis)
{
    const fv_tensor *t = &m->layers[c].params[0]->value;
    if (t->ndim != rank - axis) return false;
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] != xshape[axis + d]) return false;
    return true;
}

/* Layer `div` is the division at the heart of a written-out layer norm: fill f, extended over the scale and
 * bias that follow when they do. */
static bool is_scalar(const fv_model *m, int i, const void *unused)
{
    (void)unused;
    float v;
    return scalar(m, i, &v);
}

/* Layer `div` is the division at the heart of a written-out layer norm: fill f, extended over the scale and
 * bias that follow when they do. */
static bool layer_norm_at(const fv_model *m, const fv_readers *r, int div, fv_fusion *f)
{
    const int *readers = r->count;
    if (!is(m, div, "div") || m->layers[div].n_in != 2) return false;
    int d = m->layers[div].in[0], s = m->layers[div].in[1];
    if (!is(m, d, "sub") || !is(m, s, "sqrt") || readers[d] != 2 || readers[s] != 1) return false;
    int x = m->layers[d].in[0], mean = m->layers[d].in[1], v_eps = m->layers[s].in[0], var, sq;
    float eps, two = 2.0f;
    if (!is(m, mean, "reduce_mean") || readers[mean] != 1 || m->layers[mean].in[0] != x) return false;
    if (!is(m, v_eps, "add") || readers[v_eps] != 1 || (var = other_than(m, v_eps, is_scalar, NULL)) < 0) return false;
    int eps_c = m->layers[v_eps].in[0] == var ? m->layers[v_eps].in[1] : m->layers[v_eps].in[0];
    if (!scalar(m, eps_c, &eps) || !(eps >= 0.0f) || !isfinite(eps)) return false;
    if (!is(m, var, "reduce_mean") || readers[var] != 1) return false;
    sq = m->layers[var].in[0];
    if (!is(m, sq, "pow") || readers[sq] != 1 || m->layers[sq].in[0] != d || !is_value(m, m->layers[sq].in[1], &two)) return false;
    int64_t shape[FV_MAX_DIMS + 1];
    int rank = fv_model_layer_shape(m, x, shape + 1) + (m->layers[x].batched ? 1 : 0);
    const int64_t *xshape = m->layers[x].batched ? shape : shape + 1;
    int axis = trailing_axes(&m->layers[mean], rank);
    if (axis < 0 || trailing_axes(&m->layers[var], rank) != axis || m->layers[mean].a.axes.n != m->layers[var].a.axes.n)
        return false;
    *f = (fv_fusion){.kind = FV_FUSE_LAYER_NORM, .x = x, .scale = -1, .bias = -1, .axis = axis, .eps = eps};
    int inner[] = {mean, d, sq, var, v_eps, s, div};
    for (int k = 0; k < 7; k++) f->absorbed[f->n_absorbed++] = inner[k];
    int last = div, next = sole_reader(r, last), c;
    if (next >= 0 && is(m, next, "mul") && (c = other_than(m, next, is_layer, &last)) >= 0 &&
        is_float_constant(m, c, NULL) && affine_shape(m, c, xshape, rank, axis)) {
        f->scale = c, f->absorbed[f->n_absorbed++] = next, last = next;
        next = sole_reader(r, last);
    }
    if (next >= 0 && is(m, next, "add") && (c = other_than(m, next, is_layer, &last)) >= 0 &&
        is_float_constant(m, c, NULL) && affine_shape(m, c, xshape, rank, axis)) {
        f->bias = c, f->absorbed[f->n_absorbed++] = next, last = next;
    }
    f->last = last;
    return true;
}

static bool is_inv_sqrt2(const fv_model *m, int i, const void *unused)
{
    (void)unused;
    return scalar_is(m, i, SQRT1_2_F, 1e-6f);
}

/* Layer `erf` is the erf of a written-out exact GELU. */
static bool gelu_at(const fv_model *m, const fv_readers *r, int erf, fv_fusion *f)
{
    const int *readers = r->count;
    if (!is(m, erf, "erf") || readers[erf] != 1) return false;
    int scaled = m->layers[erf].in[0], x;
    float one = 1.0f, half = 0.5f;
    if (readers[scaled] != 1 || m->layers[scaled].n_in != 2) return false;
    if (is(m, scaled, "div") && scalar_is(m, m->layers[scaled].in[1], SQRT2_F, 1e-6f)) x = m->layers[scaled].in[0];
    else if (is(m, scaled, "mul") && (x = other_than(m, scaled, is_inv_sqrt2, NULL)) >= 0) {}
    else return false;
    int plus = sole_reader(r, erf);
    if (plus < 0 || !is(m, plus, "add") || other_than(m, plus, is_value, &one) != erf) return false;
    int prod = sole_reader(r, plus);
    if (prod < 0 || !is(m, prod, "mul") || other_than(m, prod, is_layer, &plus) != x) return false;
    int out = sole_reader(r, prod);
    if (out < 0 || !is(m, out, "mul") || other_than(m, out, is_value, &half) != prod) return false;
    *f = (fv_fusion){.kind = FV_FUSE_GELU, .x = x, .scale = -1, .bias = -1, .last = out};
    int inner[] = {scaled, erf, plus, prod, out};
    for (int k = 0; k < 5; k++) f->absorbed[f->n_absorbed++] = inner[k];
    return true;
}

bool fv_inference_fusion_at(const fv_model *m, const fv_readers *r, int i, fv_fusion *f)
{
    return layer_norm_at(m, r, i, f) || gelu_at(m, r, i, f);
}

fv_node *fv_inference_fusion_build(fv_graph *g, const fv_fusion *f, const char *name, fv_node *const *nodes)
{
    fv_graph_set_next_name(g, name);
    if (f->kind == FV_FUSE_GELU) return fv_gelu(g, nodes[f->x], false);
    return fv_layer_norm(g, nodes[f->x], f->scale >= 0 ? nodes[f->scale] : NULL, f->bias >= 0 ? nodes[f->bias] : NULL,
                         f->axis, f->eps);
}
