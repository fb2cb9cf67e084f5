/* The typed layer API (fovea/layer.h): constructors that fill a spec with a type's defaults (PyTorch's) and its
 * required attributes, helpers for inputs, strides and padding, and a model's layers read back as specs. Adding
 * a spec is fv_model_add_spec in model.c, the one path that descriptions take too. */
#include <string.h>

#include "model_internal.h"

fv_layer_spec fv_spec_of_type(const char *type, const char *name)
{
    fv_layer_spec s;
    memset(&s, 0, sizeof s);
    s.type = type;
    s.name = name;
    const fv_layer_type *t = type ? fv_layer_type_find(type) : NULL;
    if (t) {
        s.type = t->name; /* the table's string: it outlives the caller's */
        fv_layer_spec_defaults(t, &s.a);
    }
    return s;
}

void fv_spec_from(fv_layer_spec *s, const char *layer)
{
    if (!s) return;
    if (s->n_in < FV_LAYER_MAX_INPUTS) s->in_name[s->n_in] = layer;
    if (s->n_in <= FV_LAYER_MAX_INPUTS) s->n_in++; /* one past the most: refused when added */
}

void fv_spec_from_layer(fv_layer_spec *s, int layer)
{
    if (!s) return;
    if (s->n_in < FV_LAYER_MAX_INPUTS) s->in[s->n_in] = layer, s->in_name[s->n_in] = NULL;
    if (s->n_in <= FV_LAYER_MAX_INPUTS) s->n_in++;
}

void fv_spec_stride(fv_layer_spec *s, int h, int w)
{
    if (s) s->a.stride[0] = h, s->a.stride[1] = w;
}

void fv_spec_padding(fv_layer_spec *s, int h, int w)
{
    if (!s) return;
    s->a.pad[0] = s->a.pad[2] = h;
    s->a.pad[1] = s->a.pad[3] = w;
    s->a.pad_mode = FV_PAD_EXPLICIT;
}

static void square(int *pair, int v) { pair[0] = pair[1] = v; }

static fv_layer_spec shaped(const char *type, const char *name, int ndim, const int64_t *shape, fv_dtype dtype)
{
    fv_layer_spec s = fv_spec_of_type(type, name);
    s.a.ndim = ndim; /* out of range, or no shape with dimensions: refused when added */
    for (int d = 0; d < ndim && d < FV_MAX_DIMS && shape; d++) s.a.shape[d] = shape[d];
    if (ndim > 0 && !shape) s.a.ndim = -1;
    s.a.dtype = (int)dtype;
    return s;
}

fv_layer_spec fv_spec_input(const char *name, int ndim, const int64_t *shape)
{
    return shaped("input", name, ndim, shape, FV_F32);
}

fv_layer_spec fv_spec_constant(const char *name, int ndim, const int64_t *shape, fv_dtype dtype)
{
    return shaped("constant", name, ndim, shape, dtype);
}

static fv_layer_spec conv(const char *type, const char *name, int filters, int kernel)
{
    fv_layer_spec s = fv_spec_of_type(type, name);
    s.a.filters = filters;
    square(s.a.kernel, kernel);
    return s;
}

fv_layer_spec fv_spec_conv2d(const char *name, int filters, int kernel) { return conv("conv2d", name, filters, kernel); }

fv_layer_spec fv_spec_conv_transpose2d(const char *name, int filters, int kernel)
{
    return conv("conv_transpose2d", name, filters, kernel);
}

fv_layer_spec fv_spec_dense(const char *name, int units)
{
    fv_layer_spec s = fv_spec_of_type("dense", name);
    s.a.units = units;
    return s;
}

fv_layer_spec fv_spec_batch_norm(const char *name) { return fv_spec_of_type("batch_norm", name); }

fv_layer_spec fv_spec_dropout(const char *name, float rate)
{
    fv_layer_spec s = fv_spec_of_type("dropout", name);
    s.a.rate = rate;
    return s;
}

/* The description's name of each activation kind (silu for FV_ACT_SILU; "swish" is its other name). */
static const char *const activation_types[FV_ACT_COUNT] = {
    [FV_ACT_RELU] = "relu",       [FV_ACT_LEAKY_RELU] = "leaky_relu",     [FV_ACT_RELU6] = "relu6",
    [FV_ACT_ELU] = "elu",         [FV_ACT_SIGMOID] = "sigmoid",           [FV_ACT_TANH] = "tanh",
    [FV_ACT_SILU] = "silu",       [FV_ACT_HARD_SIGMOID] = "hard_sigmoid", [FV_ACT_HARD_SWISH] = "hard_swish"};

fv_layer_spec fv_spec_activation(const char *name, fv_activation_kind kind)
{
    /* a kind out of range leaves the type NULL, which fv_model_add_layer refuses naming the layer */
    return fv_spec_of_type((unsigned)kind < FV_ACT_COUNT ? activation_types[kind] : NULL, name);
}

fv_layer_spec fv_spec_relu(const char *name) { return fv_spec_activation(name, FV_ACT_RELU); }

fv_layer_spec fv_spec_leaky_relu(const char *name, float alpha)
{
    fv_layer_spec s = fv_spec_activation(name, FV_ACT_LEAKY_RELU);
    s.a.alpha = alpha;
    return s;
}

fv_layer_spec fv_spec_softmax(const char *name, int axis)
{
    fv_layer_spec s = fv_spec_of_type("softmax", name);
    s.a.axis = axis;
    return s;
}

static fv_layer_spec pool(const char *type, const char *name, int kernel)
{
    fv_layer_spec s = fv_spec_of_type(type, name);
    square(s.a.kernel, kernel);
    return s;
}

fv_layer_spec fv_spec_max_pool(const char *name, int kernel) { return pool("max_pool", name, kernel); }
fv_layer_spec fv_spec_avg_pool(const char *name, int kernel) { return pool("avg_pool", name, kernel); }
fv_layer_spec fv_spec_global_avg_pool(const char *name) { return fv_spec_of_type("global_avg_pool", name); }
fv_layer_spec fv_spec_global_max_pool(const char *name) { return fv_spec_of_type("global_max_pool", name); }
fv_layer_spec fv_spec_flatten(const char *name) { return fv_spec_of_type("flatten", name); }

fv_layer_spec fv_spec_adaptive_avg_pool(const char *name, int height, int width)
{
    fv_layer_spec s = fv_spec_of_type("adaptive_avg_pool", name);
    s.a.out_size[0] = height, s.a.out_size[1] = width;
    return s;
}

static fv_layer_spec binary(const char *type, const char *name, const char *a, const char *b)
{
    fv_layer_spec s = fv_spec_of_type(type, name);
    if (a) fv_spec_from(&s, a);
    if (b) fv_spec_from(&s, b);
    return s;
}

fv_layer_spec fv_spec_add(const char *name, const char *a, const char *b) { return binary("add", name, a, b); }
fv_layer_spec fv_spec_mul(const char *name, const char *a, const char *b) { return binary("mul", name, a, b); }

fv_layer_spec fv_spec_concat(const char *name, int axis)
{
    fv_layer_spec s = fv_spec_of_type("concat", name);
    s.a.axis = axis;
    return s;
}

fv_layer_spec fv_spec_pad(const char *name, int top, int left, int bottom, int right, float value)
{
    fv_layer_spec s = fv_spec_of_type("pad", name);
    s.a.pad[0] = top, s.a.pad[1] = left, s.a.pad[2] = bottom, s.a.pad[3] = right;
    s.a.pad_mode = FV_PAD_EXPLICIT;
    s.a.value = value;
    return s;
}

fv_layer_spec fv_spec_upsample(const char *name, int scale, fv_resize_mode mode)
{
    fv_layer_spec s = fv_spec_of_type("upsample", name);
    square(s.a.scale, scale);
    s.a.mode = (int)mode;
    return s;
}

fv_layer_spec fv_spec_lrn(const char *name, int size)
{
    fv_layer_spec s = fv_spec_of_type("lrn", name);
    s.a.size = size;
    return s;
}

/* ---- introspection ---------------------------------------------------------------------------------- */

fv_status fv_model_layer_spec(const fv_model *m, int i, fv_layer_spec *out)
{
    if (!m || !out) return FV_ERR_ARG;
    if (i < 0 || i >= m->n_layers)
        return fv_error(m->ctx, FV_ERR_ARG, "model '%s' has no layer %d (it has %d)", m->name, i, m->n_layers);
    const fv_layer *l = &m->layers[i];
    memset(out, 0, sizeof *out);
    out->type = l->type->name;
    out->name = l->name;
    out->n_in = l->n_in;
    memcpy(out->in, l->in, (size_t)l->n_in * sizeof *l->in);
    out->share = l->share ? m->layers[l->share - 1].name : NULL;
    out->a = l->a;
    return FV_OK;
}

int fv_model_layer_share(const fv_model *m, int i)
{
    return m && i >= 0 && i < m->n_layers ? m->layers[i].share - 1 : -1;
}
