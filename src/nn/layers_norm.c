/* Layer types of the norm family (layer, instance and group normalization; resize): their keys, how each becomes a
 * graph node, and their ONNX form (fv_generic_type in model_internal.h). The norms' learned scale and shift are
 * parameters named "<layer>.weight" and "<layer>.bias" as in PyTorch's nn.LayerNorm, nn.InstanceNorm*d and
 * nn.GroupNorm, so weights map by name; their ONNX import and export (Scale and B as initializers, Resize's many
 * forms) need more than the generic translation and live in src/io/onnx_ops_norm.c and onnx_export.c. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

#define KEY(n, k, field, req) {n, k, offsetof(fv_layer_attrs, field), req, NULL}
#define CHOICE(n, field, list) {n, FV_K_CHOICE, offsetof(fv_layer_attrs, field), false, list}

/* The choices in the order of fv_resample_mode, fv_coord_transform and fv_nearest_round (ONNX's names). */
static const char *const resize_modes[] = {"nearest", "linear", "cubic", NULL};
static const char *const coord_modes[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                          "tf_half_pixel_for_nn", NULL};
static const char *const nearest_modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};

/* layer_norm's affine lives in `bias` (default true, as nn.LayerNorm's elementwise_affine); instance_norm's in
 * `flag` (default false, as nn.InstanceNorm2d's affine); group_norm's in `bias` (true, as nn.GroupNorm's). */
static const fv_layer_key layer_norm_keys[] = {KEY("axis", FV_K_AXIS, axis, false), KEY("eps", FV_K_FLOAT, eps, false),
                                               KEY("affine", FV_K_BOOL, bias, false), {NULL}};
static const fv_layer_key instance_norm_keys[] = {KEY("eps", FV_K_FLOAT, eps, false),
                                                  KEY("affine", FV_K_BOOL, flag, false), {NULL}};
static const fv_layer_key group_norm_keys[] = {KEY("groups", FV_K_INT, groups, true), KEY("eps", FV_K_FLOAT, eps, false),
                                               KEY("affine", FV_K_BOOL, bias, false), {NULL}};
static const fv_layer_key resize_keys[] = {
    KEY("size", FV_K_SHAPE, shape, false), KEY("scales", FV_K_FLOATS, scales, false),
    CHOICE("mode", choice[0], resize_modes), CHOICE("coordinate_transformation_mode", choice[1], coord_modes),
    CHOICE("nearest_mode", choice[2], nearest_modes), KEY("cubic_coeff_a", FV_K_FLOAT, alpha, false),
    KEY("exclude_outside", FV_K_BOOL, flag, false), {NULL}};

static void layer_norm_defaults(fv_layer_attrs *a) { a->axis = -1; }
/* The norms' weights start at 1 and their biases at 0, as PyTorch's. */
static void norm_init(int j, fv_init_spec *spec) { spec->kind = j == 0 ? FV_INIT_ONES : FV_INIT_ZEROS; }
static void resize_defaults(fv_layer_attrs *a) { a->alpha = -0.75f; }

static bool affine(const fv_layer *l)
{
    return strcmp(l->type->name, "instance_norm") == 0 ? l->a.flag : l->a.bias;
}

static void shape_text(const fv_tensor *t, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "(");
    for (int d = 0; d < t->ndim && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (used < size) snprintf(out + used, size - used, ")");
}

/* weight and bias of the given shape when affine. */
static fv_status affine_params(fv_model *m, fv_layer *l, int ndim, const int64_t *shape)
{
    if (!affine(l)) return FV_OK;
    if (!fv_layer_new_param(m, l, "weight", FV_PARAM_WEIGHT, ndim, shape) ||
        !fv_layer_new_param(m, l, "bias", FV_PARAM_WEIGHT, ndim, shape))
        return fv_errcode(m->ctx);
    return FV_OK;
}

/* The normalized shape x.shape[axis:]; the batch dimension may not be among it (its size is not the model's). */
static fv_status layer_norm_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    int rank = in0->ndim, axis = l->a.axis < 0 ? l->a.axis + rank : l->a.axis;
    char shape[128];
    shape_text(in0, shape, sizeof shape);
    if (axis < 0 || axis >= rank)
        return fv_error(m->ctx, FV_ERR_SHAPE, "layer_norm '%s': axis=%d is out of range for an input of shape %s",
                        l->name, l->a.axis, shape);
    if (axis == 0 && l->batched)
        return fv_error(m->ctx, FV_ERR_SHAPE, "layer_norm '%s': axis=%d normalizes over the batch dimension of an "
                        "input of shape %s", l->name, l->a.axis, shape);
    return affine_params(m, l, rank - axis, in0->shape + axis);
}

/* (C) for an (N, C, ...) input. */
static fv_status channel_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    if (in0->ndim < 2) {
        char shape[128];
        shape_text(in0, shape, sizeof shape);
        return fv_error(m->ctx, FV_ERR_SHAPE, "%s '%s': needs an (N, C, ...) input, got one of shape %s", l->type->name,
                        l->name, shape);
    }
    return affine_params(m, l, 1, in0->shape + 1);
}

static fv_node *param_node(fv_graph *g, const fv_layer *l, int k)
{
    return k < l->n_params ? fv_use_param(g, l->params[k]) : NULL;
}

static fv_node *build_layer_norm(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_node *w = param_node(g, l, 0), *b = param_node(g, l, 1);
    fv_graph_set_next_name(g, l->name);
    return fv_layer_norm(g, in[0], w, b, l->a.axis, l->a.eps);
}

static fv_node *build_instance_norm(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_node *w = param_node(g, l, 0), *b = param_node(g, l, 1);
    fv_graph_set_next_name(g, l->name);
    return fv_instance_norm(g, in[0], w, b, l->a.eps);
}

static fv_node *build_group_norm(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_node *w = param_node(g, l, 0), *b = param_node(g, l, 1);
    fv_graph_set_next_name(g, l->name);
    return fv_group_norm(g, in[0], w, b, l->a.groups, l->a.eps);
}

/* The resize arguments of a layer's keys. */
static fv_resize_args fv_layer_resize_args(const fv_layer *l)
{
    fv_resize_args r = fv_resize_defaults();
    r.mode = (fv_resample_mode)l->a.choice[0];
    r.coord = (fv_coord_transform)l->a.choice[1];
    r.nearest = (fv_nearest_round)l->a.choice[2];
    r.cubic_a = l->a.alpha;
    r.exclude_outside = l->a.flag;
    return r;
}

/* size (the last axes' output sizes) or scales (their factors), exactly one; the batch dimension stays. */
static fv_node *build_resize(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    const fv_layer_attrs *a = &l->a;
    const fv_tensor *x = fv_node_value(in[0]);
    int n = a->ndim ? a->ndim : a->scales.n;
    if ((a->ndim > 0) == (a->scales.n > 0)) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "resize '%s': give size (HxW...) or scales, %s", l->name,
                 a->ndim ? "not both" : "one of them");
        return NULL;
    }
    if (l->batched && n >= x->ndim) {
        fv_error(fv_graph_ctx(g), FV_ERR_SHAPE, "resize '%s': %d %s for an input of rank %d would resize its batch "
                 "dimension", l->name, n, a->ndim ? "sizes" : "scales", x->ndim);
        return NULL;
    }
    double scales[FV_LAYER_MAX_LIST];
    for (int i = 0; i < a->scales.n; i++) scales[i] = a->scales.v[i];
    fv_resize_args r = fv_layer_resize_args(l);
    fv_graph_set_next_name(g, l->name);
    return fv_resize(g, in[0], n, a->ndim ? a->shape : NULL, a->ndim ? NULL : scales, &r);
}

/* ONNX forms: import and export are by handlers (onnx_ops_norm.c, onnx_export.c), which the rows' operator
 * names and opsets describe for fv_onnx_operators. */
const fv_generic_type fv_layers_norm[] = {
    {.base = {"layer_norm", "LayerNormalization", FV_L_GENERIC, 0, 1, 1, layer_norm_keys},
     .build = build_layer_norm, .make_params = layer_norm_params, .init = norm_init, .onnx_op = "LayerNormalization", .onnx_since = 17,
     .defaults = layer_norm_defaults},
    {.base = {"instance_norm", "InstanceNormalization", FV_L_GENERIC, 0, 1, 1, instance_norm_keys},
     .build = build_instance_norm, .make_params = channel_params, .init = norm_init, .onnx_op = "InstanceNormalization",
     .onnx_since = 6},
    {.base = {"group_norm", "GroupNormalization", FV_L_GENERIC, 0, 1, 1, group_norm_keys},
     .build = build_group_norm, .make_params = channel_params, .init = norm_init, .onnx_op = "GroupNormalization", .onnx_since = 18},
    {.base = {"resize", "Resizing", FV_L_GENERIC, 0, 1, 1, resize_keys}, .build = build_resize, .onnx_op = "Resize",
     .onnx_since = 11, .defaults = resize_defaults},
    {.base = {NULL}},
};
