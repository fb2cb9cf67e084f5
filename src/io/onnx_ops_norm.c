/* ONNX operators of the norm family: LayerNormalization, InstanceNormalization and GroupNormalization (their
 * scale and bias constants become the layer's parameters) and the general form of Resize and Upsample (any size
 * or scale, every mode and coordinate mapping but tf_crop_and_resize), which onnx_ops.c's handlers call for what
 * their whole-factor upsample layer cannot express. The layer types are in src/nn/layers_norm.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* ---- scale and bias ------------------------------------------------------------------------------------- */

/* Sets the layer's parameter k from constant input `in` broadcast (right-aligned, as ONNX's scale and bias are)
 * to the parameter's shape; an absent input gives `absent` everywhere. */
static fv_status set_broadcast(ox_import *im, int layer, int k, int in, float absent)
{
    fv_param *ps[4];
    if (fv_model_layer_params(im->m, layer, ps, 4) <= k)
        return ox_fail(im, FV_ERR_STATE, "layer '%s' has no parameter %d", fv_model_layer_name(im->m, layer), k);
    const fv_tensor *p = &ps[k]->value;
    ox_tensor one = {.type = OX_F32, .ndim = 0, .n = 1, .data = &absent};
    if (!ox_in(im, in)) return ox_set_param(im, layer, k, &one, "the default", false, 1.0f);
    const ox_tensor *c;
    fv_status s = ox_const_in(im, in, &c);
    if (s) return s;
    const char *name = ox_in(im, in)->name;
    if (c->type != OX_F32) return ox_fail(im, FV_ERR_UNSUPPORTED, "'%s' holds integers", name);
    bool fits = c->ndim <= p->ndim;
    for (int d = 0; fits && d < c->ndim; d++) {
        int64_t cd = c->dims[c->ndim - 1 - d], pd = p->shape[p->ndim - 1 - d];
        fits = cd == 1 || cd == pd;
    }
    if (!fits) {
        char shape[96];
        return ox_fail(im, FV_ERR_SHAPE, "'%s' (%lld values, rank %d) does not broadcast to %s's shape %s", name,
                       (long long)c->n, c->ndim, ps[k]->name, fv_shape_str(p, shape, sizeof shape));
    }
    if (c->n == p->size) return ox_set_param(im, layer, k, c, name, false, 1.0f);
    float *v = malloc((size_t)(p->size ? p->size : 1) * sizeof *v);
    if (!v) return ox_fail(im, FV_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < p->size; i++) { /* the source index of element i: its coordinates modulo c's dims */
        int64_t rest = i, src = 0, stride = 1;
        for (int d = 0; d < c->ndim; d++) {
            int64_t pd = p->shape[p->ndim - 1 - d], cd = c->dims[c->ndim - 1 - d];
            int64_t coord = pd ? rest % pd : 0;
            rest = pd ? rest / pd : 0;
            src += (cd == 1 ? 0 : coord) * stride;
            stride *= cd;
        }
        v[i] = (float)ox_get_f(c, src);
    }
    ox_tensor full = {.type = OX_F32, .ndim = p->ndim, .n = p->size, .data = v};
    memcpy(full.dims, p->shape, (size_t)p->ndim * sizeof *p->shape);
    s = ox_set_param(im, layer, k, &full, name, false, 1.0f);
    free(v);
    return s;
}

/* Scale (input 1) and bias (input 2) must be constants: fovea's norm layers hold them as parameters. */
static fv_status need_const_affine(ox_import *im, const char *what)
{
    for (int k = 1; k <= 2; k++) {
        ox_entry *e = ox_in(im, k);
        if (e && e->v.kind != OX_CONST)
            return ox_fail(im, FV_ERR_UNSUPPORTED, "%s '%s' is computed in the graph; fovea's %s layer takes it as a "
                           "parameter (a constant)", k == 1 ? "scale" : "bias", e->name, what);
    }
    return FV_OK;
}

/* The norm layer of spec (named after the scale, the node's input 1) reading x, its scale and bias set from the
 * node's constants. */
static fv_status norm_layer(ox_import *im, int x, fv_layer_spec spec)
{
    const char *wname = ox_in(im, 1) ? ox_in(im, 1)->name : NULL;
    int l = ox_add_spec(im, spec, wname, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    fv_status s = set_broadcast(im, l, 0, 1, 1.0f);
    if (!s) s = set_broadcast(im, l, 1, 2, 0.0f);
    if (!s) ox_set_layer_out(im, 0, l);
    return s;
}

/* Whether output k of the current node has readers. */
static bool output_used(ox_import *im, int k)
{
    const Onnx__NodeProto *nd = im->node;
    if ((size_t)k >= nd->n_output || !nd->output[k] || !*nd->output[k]) return false;
    ox_entry *e = ox_find(&im->t, nd->output[k]);
    return e && e->n_users > 0;
}

/* LayerNormalization's optional outputs, the statistics over the normalized axes (kept as size 1): Mean, and
 * InvStdDev = 1 / sqrt(mean((x - Mean)^2) + epsilon), as layers of their own. */
static fv_status layer_norm_stats(ox_import *im, int x, int a, int r, float eps)
{
    fv_layer_spec reduce = fv_spec_of_type("reduce_mean", NULL); /* keepdims: the statistics keep size 1 */
    for (int d = a; d < r && reduce.a.axes.n < FV_LAYER_MAX_LIST; d++) reduce.a.axes.v[reduce.a.axes.n++] = d;
    reduce.a.keepdims = true;
    int mean = ox_add_spec(im, reduce, NULL, &x, 1);
    if (mean < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 1, mean);
    if (!output_used(im, 2)) return FV_OK;
    int two[2] = {x, mean};
    int centered = ox_add_plain(im, "sub", NULL, two, 2);
    int sq = centered < 0 ? -1 : ox_add_plain(im, "mul", NULL, (int[]){centered, centered}, 2);
    int var = sq < 0 ? -1 : ox_add_spec(im, reduce, NULL, &sq, 1);
    int e = var < 0 ? -1 : ox_add_spec(im, fv_spec_constant(NULL, 0, NULL, FV_F32), NULL, NULL, 0);
    if (e < 0) return fv_errcode(im->ctx);
    fv_param *p;
    fv_model_layer_params(im->m, e, &p, 1);
    fv_f32(&p->value)[0] = eps;
    int sum = ox_add_plain(im, "add", NULL, (int[]){var, e}, 2);
    int sd = sum < 0 ? -1 : ox_add_plain(im, "sqrt", NULL, &sum, 1);
    int inv = sd < 0 ? -1 : ox_add_plain(im, "reciprocal", NULL, &sd, 1);
    if (inv < 0) return fv_errcode(im->ctx);
    ox_set_layer_out(im, 2, inv);
    return FV_OK;
}

/* LayerNormalization (opset 17): axis, epsilon; stash_type (the statistics' precision: fovea's are float32 sums
 * in double) is accepted. The Mean and InvStdDev outputs, when read, are layers computing them. */
static fv_status op_layer_norm(ox_import *im)
{
    int x;
    int64_t axis, stash;
    float eps;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "axis", -1, &axis);
    if (!s) s = ox_attr_float(im, "epsilon", 1e-5f, &eps);
    if (!s) s = ox_attr_int(im, "stash_type", 1, &stash);
    if (!s) s = need_const_affine(im, "layer_norm");
    if (s) return s;
    int64_t xd[OX_MAX_DIMS];
    int r = ox_layer_dims(im, x, xd);
    int64_t a = axis < 0 ? axis + r : axis;
    if (a < 0 || a >= r) return ox_fail(im, FV_ERR_FORMAT, "axis %lld for an input of rank %d", (long long)axis, r);
    if (a == 0 && fv_model_layer_batched(im->m, x))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "axis %lld normalizes over the batch dimension", (long long)axis);
    fv_layer_spec spec = fv_spec_of_type("layer_norm", NULL);
    spec.a.axis = ox_key_int(axis), spec.a.eps = eps;
    if ((s = norm_layer(im, x, spec))) return s;
    return output_used(im, 1) || output_used(im, 2) ? layer_norm_stats(im, x, (int)a, r, eps) : FV_OK;
}

static fv_status op_instance_norm(ox_import *im)
{
    int x;
    float eps;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_float(im, "epsilon", 1e-5f, &eps);
    if (!s) s = need_const_affine(im, "instance_norm");
    if (s) return s;
    fv_layer_spec spec = fv_spec_of_type("instance_norm", NULL);
    spec.a.eps = eps, spec.a.flag = true; /* the key affine= */
    return norm_layer(im, x, spec);
}

/* GroupNormalization: opset 18's scale and bias are per group (num_groups values), opset 21's per channel; a
 * per-group value is repeated over the group's C / num_groups channels. */
static fv_status op_group_norm(ox_import *im)
{
    int x;
    int64_t groups, stash;
    float eps;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "num_groups", 0, &groups);
    if (!s) s = ox_attr_float(im, "epsilon", 1e-5f, &eps);
    if (!s) s = ox_attr_int(im, "stash_type", 1, &stash);
    if (!s) s = need_const_affine(im, "group_norm");
    if (s) return s;
    int64_t xd[OX_MAX_DIMS];
    int r = ox_layer_dims(im, x, xd);
    if (r < 2) return ox_fail(im, FV_ERR_UNSUPPORTED, "input of rank %d (N, C, ... expected)", r);
    if (groups < 1 || groups > xd[1] || xd[1] % groups)
        return ox_fail(im, FV_ERR_FORMAT, "num_groups %lld does not divide the %lld channels", (long long)groups,
                       (long long)xd[1]);
    fv_layer_spec spec = fv_spec_of_type("group_norm", NULL);
    spec.a.groups = ox_key_int(groups), spec.a.eps = eps;
    const char *wname = ox_in(im, 1) ? ox_in(im, 1)->name : NULL;
    int l = ox_add_spec(im, spec, wname, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    int64_t per = xd[1] / groups;
    for (int k = 0; k < 2; k++) {
        const ox_tensor *c = NULL;
        if (ox_in(im, k + 1) && (s = ox_const_in(im, k + 1, &c))) return s;
        if (!c || c->n == xd[1] || c->n == 1) {
            if ((s = set_broadcast(im, l, k, k + 1, (float)(1 - k)))) return s;
            continue;
        }
        if (c->n != groups || c->type != OX_F32)
            return ox_fail(im, FV_ERR_SHAPE, "'%s' holds %lld values for %lld groups of %lld channels",
                           ox_in(im, k + 1)->name, (long long)c->n, (long long)groups, (long long)xd[1]);
        float *v = malloc((size_t)xd[1] * sizeof *v);
        if (!v) return ox_fail(im, FV_ERR_NOMEM, "out of memory");
        for (int64_t ch = 0; ch < xd[1]; ch++) v[ch] = ((const float *)c->data)[ch / per];
        ox_tensor full = {.type = OX_F32, .ndim = 1, .dims = {xd[1]}, .n = xd[1], .data = v};
        s = ox_set_param(im, l, k, &full, ox_in(im, k + 1)->name, false, 1.0f);
        free(v);
        if (s) return s;
    }
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

/* ---- resize ------------------------------------------------------------------------------------------------ */

static int choice_of(const char *v, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(v, list[i]) == 0) return i;
    return -1;
}

/* One resize layer for any sizes or scales (full rank, or of the axes attribute's axes); see onnx_internal.h. */
fv_status ox_resize_any(ox_import *im, int x, const char *mode, const char *coord, const char *nearest,
                        const ox_tensor *scales, const ox_tensor *sizes)
{
    /* in the order of fv_resample_mode (bilinear and trilinear being linear), fv_coord_transform and
     * fv_nearest_round, which the resize layer's keys hold */
    static const char *const modes[] = {"nearest", "linear", "cubic", "bilinear", "trilinear", NULL};
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn", NULL};
    static const char *const roundings[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};
    float cubic_a;
    int64_t exclude, antialias, axes[OX_MAX_DIMS];
    char policy[40];
    int na;
    fv_status s = ox_attr_float(im, "cubic_coeff_a", -0.75f, &cubic_a);
    if (!s) s = ox_attr_int(im, "exclude_outside", 0, &exclude);
    if (!s) s = ox_attr_int(im, "antialias", 0, &antialias);
    if (!s) s = ox_attr_string(im, "keep_aspect_ratio_policy", "stretch", policy, sizeof policy);
    if (!s) s = ox_attr_ints(im, "axes", axes, OX_MAX_DIMS, &na);
    if (s) return s;
    int m = choice_of(mode, modes), c = choice_of(coord, coords), n = choice_of(nearest, roundings);
    if (m < 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "mode '%s' (fovea resizes with nearest, linear or cubic)", mode);
    if (c < 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "coordinate_transformation_mode '%s'", coord);
    if (n < 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "nearest_mode '%s'", nearest);
    if (antialias) return ox_fail(im, FV_ERR_UNSUPPORTED, "antialias=1 (an antialiasing filter) is not supported");
    if (strcmp(policy, "stretch"))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "keep_aspect_ratio_policy '%s' (fovea resizes with stretch)", policy);
    if (!isfinite(cubic_a)) return ox_fail(im, FV_ERR_FORMAT, "cubic_coeff_a is not finite");
    int64_t xd[OX_MAX_DIMS];
    int r = ox_layer_dims(im, x, xd);
    bool batched = fv_model_layer_batched(im->m, x);
    const ox_tensor *given = sizes ? sizes : scales;
    int count = na >= 0 ? na : r;
    if (given->n != count)
        return ox_fail(im, FV_ERR_FORMAT, "%lld %s for %d %s", (long long)given->n, sizes ? "sizes" : "scales", count,
                       na >= 0 ? "axes" : "dimensions");
    /* every axis's size or scale; the ones left out keep their size */
    int64_t size[OX_MAX_DIMS];
    double scale[OX_MAX_DIMS];
    bool set[OX_MAX_DIMS] = {false};
    for (int d = 0; d < r; d++) size[d] = xd[d], scale[d] = 1.0;
    for (int i = 0; i < count; i++) {
        int64_t a = na >= 0 ? (axes[i] < 0 ? axes[i] + r : axes[i]) : i;
        if (a < 0 || a >= r || set[a])
            return ox_fail(im, FV_ERR_FORMAT, "axis %lld is out of range or repeated for rank %d", (long long)axes[i], r);
        set[a] = true;
        if (sizes) size[a] = ox_get_i(sizes, i);
        else scale[a] = ox_get_f(scales, i);
    }
    /* the resized axes run from the first that changes to the last; the batch dimension must stay */
    int first = r;
    for (int d = r - 1; d >= 0; d--) {
        bool same = sizes ? size[d] == xd[d] || (d == 0 && batched && (size[d] == OX_DIM_BATCH || size[d] == im->batch))
                          : scale[d] == 1.0;
        if (!same) first = d;
    }
    if (first == r) first = r - 1; /* nothing changes: the last axis resized to its own size */
    if (first == 0 && batched)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "resizing the batch dimension");
    fv_layer_spec spec = fv_spec_of_type("resize", NULL);
    fv_layer_attrs *ka = &spec.a;
    for (int d = first; d < r; d++) {
        if (sizes && (OX_IS_SYMBOL(size[d]) || size[d] < 0 || size[d] > (1 << 24)))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "output size %lld of dimension %d", (long long)size[d], d);
        if (!sizes && !(scale[d] > 0 && isfinite(scale[d])))
            return ox_fail(im, FV_ERR_FORMAT, "scale %g of dimension %d (finite and > 0 expected)", scale[d], d);
        /* ONNX's reference maps align_corners by the unrounded length in * scale, fovea (as PyTorch and most
         * runtimes) by the output size: the same only when in * scale is whole */
        double len = (double)xd[d] * (double)(float)scale[d];
        if (!sizes && c == 2 && len != floor(len))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "align_corners with scale %g of a dimension of %lld (not a whole "
                           "output size: give sizes)", scale[d], (long long)xd[d]);
        if (sizes && d - first < FV_MAX_DIMS) ka->shape[d - first] = size[d]; /* the key size= */
        else if (!sizes && d - first < FV_LAYER_MAX_LIST) ka->scales.v[d - first] = (float)scale[d];
    }
    /* more axes than the key holds keep their count alone, which the layer's checks refuse */
    if (sizes) ka->ndim = r - first;
    else ka->scales.n = r - first;
    ka->choice[0] = m >= 3 ? FV_RESAMPLE_LINEAR : m, ka->choice[1] = c, ka->choice[2] = n;
    ka->alpha = cubic_a, ka->flag = exclude != 0; /* the keys cubic_coeff_a= and exclude_outside= */
    return ox_add_out(im, spec, NULL, &x, 1);
}

const ox_op ox_ops_norm[] = {
    {"LayerNormalization", op_layer_norm, NULL, 1, 3, 3, "axis,epsilon,stash_type"},
    {"InstanceNormalization", op_instance_norm, NULL, 3, 3, 1, "epsilon"},
    {"GroupNormalization", op_group_norm, NULL, 3, 3, 1, "num_groups,epsilon,stash_type"},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
