/* One handler per ONNX operator: it reads the node's attributes and inputs, checks what fovea can express,
 * and adds the layer (copying initializers into its parameters) or folds constants (onnx_fold.c). A few
 * patterns become one layer: x * Sigmoid(x) is silu, x * HardSigmoid(x) hard_swish, MatMul + Add a dense
 * layer. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

static fv_status need_rank(ox_import *im, int layer, int rank, const char *what)
{
    int64_t d[OX_MAX_DIMS];
    int r = ox_layer_dims(im, layer, d);
    if (r == rank) return FV_OK;
    return ox_fail(im, FV_ERR_UNSUPPORTED, "input of rank %d; fovea supports %s", r, what);
}

static ox_entry *out_entry(ox_import *im)
{
    return ox_find(&im->t, im->node->output[0]);
}

/* The layer reading input 0 with no parameter: activations, global pools, flatten. */
static fv_status simple_spec(ox_import *im, fv_layer_spec spec)
{
    int x;
    fv_status s = ox_layer_in(im, 0, &x);
    return s ? s : ox_add_out(im, spec, NULL, &x, 1);
}


/* ---- convolution ----------------------------------------------------------------------------------------- */

typedef struct {
    int64_t kernel[2], stride[2], dilation[2], pad[4];
    char auto_pad[32];
} window;

/* A window's kernel, stride and padding (and a convolution's dilation) into a layer spec; values saturate, so
 * that the layer's checks refuse those out of range. */
static void window_spec(fv_layer_spec *spec, const window *w, bool dilation)
{
    for (int d = 0; d < 2; d++) {
        spec->a.kernel[d] = ox_key_int(w->kernel[d]);
        spec->a.stride[d] = ox_key_int(w->stride[d]);
        if (dilation) spec->a.dilation[d] = ox_key_int(w->dilation[d]);
    }
    for (int d = 0; d < 4; d++) spec->a.pad[d] = ox_key_int(w->pad[d]);
    spec->a.pad_mode = FV_PAD_EXPLICIT;
}

/* kernel_shape, strides, dilations, pads and auto_pad of a 2-D window (convolution or pooling). */
static fv_status read_window(ox_import *im, window *w, bool need_kernel)
{
    int n;
    fv_status s = ox_attr_ints(im, "kernel_shape", w->kernel, 2, &n);
    if (!s && n != 2 && (n >= 0 || need_kernel))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "kernel_shape must have 2 values (fovea's windows are 2-D)");
    if (!s) s = ox_attr_ints(im, "strides", w->stride, 2, &n);
    if (!s && n < 0) w->stride[0] = w->stride[1] = 1;
    if (!s && n == 1) return ox_fail(im, FV_ERR_UNSUPPORTED, "strides must have 2 values");
    if (!s) s = ox_attr_ints(im, "dilations", w->dilation, 2, &n);
    if (!s && n < 0) w->dilation[0] = w->dilation[1] = 1;
    if (!s && n == 1) return ox_fail(im, FV_ERR_UNSUPPORTED, "dilations must have 2 values");
    if (!s) s = ox_attr_ints(im, "pads", w->pad, 4, &n);
    if (!s && n < 0) memset(w->pad, 0, sizeof w->pad);
    if (!s && n >= 0 && n != 4) return ox_fail(im, FV_ERR_UNSUPPORTED, "pads must have 4 values");
    if (!s) s = ox_attr_string(im, "auto_pad", "NOTSET", w->auto_pad, sizeof w->auto_pad);
    if (s) return s;
    if (strcmp(w->auto_pad, "NOTSET") && strcmp(w->auto_pad, "VALID") && strcmp(w->auto_pad, "SAME_UPPER") &&
        strcmp(w->auto_pad, "SAME_LOWER"))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "auto_pad '%s'", w->auto_pad);
    if (strcmp(w->auto_pad, "VALID") == 0) memset(w->pad, 0, sizeof w->pad);
    return FV_OK;
}

/* Explicit pads for SAME_UPPER / SAME_LOWER: the output is ceil(in / stride); the odd pixel goes at the end
 * (upper) or the start (lower). */
static void same_pads(window *w, const int64_t *in_hw)
{
    bool lower = strcmp(w->auto_pad, "SAME_LOWER") == 0;
    for (int d = 0; d < 2; d++) {
        int64_t s = w->stride[d] > 0 ? w->stride[d] : 1, out = (in_hw[d] + s - 1) / s;
        int64_t total = (out - 1) * s + (w->kernel[d] - 1) * w->dilation[d] + 1 - in_hw[d];
        if (total < 0) total = 0;
        w->pad[d + (lower ? 0 : 2)] = total - total / 2;
        w->pad[d + (lower ? 2 : 0)] = total / 2;
    }
}

static fv_status op_conv(ox_import *im)
{
    int x;
    const ox_tensor *w, *b = NULL;
    int64_t group, xd[OX_MAX_DIMS];
    window win;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_const_in(im, 1, &w);
    if (!s && ox_in(im, 2)) s = ox_const_in(im, 2, &b);
    if (!s) s = ox_attr_int(im, "group", 1, &group);
    if (!s) s = read_window(im, &win, false);
    if (s) return s;
    if (ox_layer_dims(im, x, xd) != 4 || w->ndim != 4)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "fovea convolves 2-D images: input of rank %d, weight of rank %d",
                       ox_layer_dims(im, x, xd), w->ndim);
    if (ox_attr(im, "kernel_shape") && (win.kernel[0] != w->dims[2] || win.kernel[1] != w->dims[3]))
        return ox_fail(im, FV_ERR_SHAPE, "kernel_shape %lldx%lld disagrees with the weight's %lldx%lld",
                       (long long)win.kernel[0], (long long)win.kernel[1], (long long)w->dims[2], (long long)w->dims[3]);
    win.kernel[0] = w->dims[2], win.kernel[1] = w->dims[3];
    if (group < 1 || group > (1 << 24) || w->dims[1] * group != xd[1])
        return ox_fail(im, FV_ERR_SHAPE, "weight '%s' of shape (%lld, %lld, %lld, %lld) with group %lld reads %lld "
                       "channels; the input has %lld", ox_in(im, 1)->name, (long long)w->dims[0], (long long)w->dims[1],
                       (long long)w->dims[2], (long long)w->dims[3], (long long)group, (long long)(w->dims[1] * group),
                       (long long)xd[1]);
    if (strcmp(win.auto_pad, "SAME_LOWER") == 0) same_pads(&win, xd + 2);
    fv_layer_spec spec = fv_spec_conv2d(NULL, ox_key_int(w->dims[0]), 1);
    window_spec(&spec, &win, true);
    if (strncmp(win.auto_pad, "SAME_UPPER", 10) == 0) spec.a.pad_mode = FV_PAD_SAME;
    else if (strcmp(win.auto_pad, "VALID") == 0) spec.a.pad_mode = FV_PAD_VALID;
    if (spec.a.pad_mode != FV_PAD_EXPLICIT) memset(spec.a.pad, 0, sizeof spec.a.pad);
    spec.a.groups = ox_key_int(group);
    spec.a.bias = b != NULL;
    if (b && b->n != w->dims[0])
        return ox_fail(im, FV_ERR_SHAPE, "bias '%s' has %lld values for %lld filters", ox_in(im, 2)->name,
                       (long long)b->n, (long long)w->dims[0]);
    int l = ox_add_spec(im, spec, ox_in(im, 1)->name, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    if ((s = ox_set_param(im, l, 0, w, ox_in(im, 1)->name, false, 1.0f))) return s;
    if (b && (s = ox_set_param(im, l, 1, b, ox_in(im, 2)->name, false, 1.0f))) return s;
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

/* Explicit pads for output_shape or SAME auto_pad, with ONNX's rule: total = stride (in - 1) + output_padding
 * + (kernel - 1) dilation + 1 - out, split with the odd pixel at the start (at the end for SAME_UPPER); a
 * negative total (an output larger than the full one) becomes extra output padding. */
static fv_status transpose_pads(ox_import *im, int x, const ox_tensor *w, window *win, int64_t *outpad)
{
    int64_t xd[OX_MAX_DIMS], shape[4];
    int n;
    fv_status s = ox_attr_ints(im, "output_shape", shape, 4, &n);
    if (s) return s;
    bool same = strncmp(win->auto_pad, "SAME", 4) == 0;
    if (n < 0 && !same) return FV_OK;
    if (n >= 0 && n != 2 && n != 4) return ox_fail(im, FV_ERR_UNSUPPORTED, "output_shape of %d values", n);
    ox_layer_dims(im, x, xd);
    for (int d = 0; d < 2; d++) {
        int64_t out = n >= 0 ? shape[n - 2 + d] : xd[2 + d] * win->stride[d];
        int64_t total = win->stride[d] * (xd[2 + d] - 1) + outpad[d] + (w->dims[2 + d] - 1) * win->dilation[d] + 1 - out;
        if (total < 0) outpad[d] -= total, total = 0;
        bool upper = strcmp(win->auto_pad, "SAME_UPPER") == 0;
        win->pad[d] = upper ? total / 2 : total - total / 2;
        win->pad[d + 2] = total - win->pad[d];
    }
    return FV_OK;
}

static fv_status op_conv_transpose(ox_import *im)
{
    int x;
    const ox_tensor *w, *b = NULL;
    int64_t group, outpad[2] = {0, 0};
    int n;
    window win;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_const_in(im, 1, &w);
    if (!s && ox_in(im, 2)) s = ox_const_in(im, 2, &b);
    if (!s) s = ox_attr_int(im, "group", 1, &group);
    if (!s) s = read_window(im, &win, false);
    if (!s) s = ox_attr_ints(im, "output_padding", outpad, 2, &n);
    if (s) return s;
    if (n == 1) return ox_fail(im, FV_ERR_UNSUPPORTED, "output_padding must have 2 values");
    if (n < 0) outpad[0] = outpad[1] = 0;
    if ((s = need_rank(im, x, 4, "2-D transposed convolutions"))) return s;
    if (w->ndim != 4) return ox_fail(im, FV_ERR_UNSUPPORTED, "a weight of rank %d (4 expected)", w->ndim);
    if ((s = transpose_pads(im, x, w, &win, outpad))) return s;
    int64_t filters;
    if (group < 1 || !fv_size_mul(w->dims[1], group, 1 << 24, &filters))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "group %lld with %lld filters per group", (long long)group,
                       (long long)w->dims[1]);
    if (b && b->n != filters)
        return ox_fail(im, FV_ERR_SHAPE, "bias has %lld values for %lld filters", (long long)b->n, (long long)filters);
    fv_layer_spec spec = fv_spec_conv_transpose2d(NULL, ox_key_int(filters), 1);
    window_spec(&spec, &win, true);
    spec.a.kernel[0] = ox_key_int(w->dims[2]), spec.a.kernel[1] = ox_key_int(w->dims[3]);
    spec.a.output_padding[0] = ox_key_int(outpad[0]), spec.a.output_padding[1] = ox_key_int(outpad[1]);
    spec.a.groups = ox_key_int(group);
    spec.a.bias = b != NULL;
    int l = ox_add_spec(im, spec, ox_in(im, 1)->name, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    if ((s = ox_set_param(im, l, 0, w, ox_in(im, 1)->name, false, 1.0f))) return s;
    if (b && (s = ox_set_param(im, l, 1, b, ox_in(im, 2)->name, false, 1.0f))) return s;
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

/* ---- normalization ---------------------------------------------------------------------------------------- */

/* fovea's momentum (PyTorch's) from ONNX's (1 - it): the shortest decimal that maps back to the same float,
 * so that fovea -> ONNX -> fovea keeps 0.1 as 0.1. */
static float torch_momentum(float onnx_m)
{
    for (int digits = 1; digits <= 9; digits++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.*g", digits, 1.0 - (double)onnx_m);
        float f = strtof(buf, NULL);
        if ((float)(1.0 - (double)f) == onnx_m) return f;
    }
    return (float)(1.0 - (double)onnx_m);
}

static fv_status op_batch_norm(ox_import *im)
{
    int x;
    const ox_tensor *p[4];
    float eps, mom;
    int64_t spatial, training, is_test;
    fv_status s = ox_layer_in(im, 0, &x);
    for (int k = 0; k < 4 && !s; k++) s = ox_const_in(im, k + 1, &p[k]);
    if (!s) s = ox_attr_float(im, "epsilon", 1e-5f, &eps);
    if (!s) s = ox_attr_float(im, "momentum", 0.9f, &mom);
    if (!s) s = ox_attr_int(im, "spatial", 1, &spatial);
    if (!s) s = ox_attr_int(im, "training_mode", 0, &training);
    /* opsets before 7 mark inference with is_test=1 (PyTorch 0.3 wrote it); an explicit 0 asks for batch
     * statistics, which an inference graph cannot give */
    if (!s) s = ox_attr_int(im, "is_test", 1, &is_test);
    if (s) return s;
    if (!spatial) return ox_fail(im, FV_ERR_UNSUPPORTED, "spatial=0 (per-position statistics) is not supported");
    if (training || !is_test)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "%s: fovea imports inference graphs",
                       training ? "training_mode=1" : "is_test=0");
    int64_t xd[OX_MAX_DIMS];
    int r = ox_layer_dims(im, x, xd);
    if (r != 2 && r != 4) return ox_fail(im, FV_ERR_UNSUPPORTED, "input of rank %d (2 or 4 expected)", r);
    fv_layer_spec spec = fv_spec_batch_norm(NULL);
    spec.a.eps = eps, spec.a.momentum = torch_momentum(mom);
    int l = ox_add_spec(im, spec, ox_in(im, 1)->name, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    for (int k = 0; k < 4 && !s; k++) s = ox_set_param(im, l, k, p[k], ox_in(im, k + 1)->name, false, 1.0f);
    if (s) return s;
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

static fv_status op_lrn(ox_import *im)
{
    int64_t size;
    float alpha, beta, bias;
    fv_status s = ox_attr_int(im, "size", 0, &size);
    if (!s) s = ox_attr_float(im, "alpha", 1e-4f, &alpha);
    if (!s) s = ox_attr_float(im, "beta", 0.75f, &beta);
    if (!s) s = ox_attr_float(im, "bias", 1.0f, &bias);
    if (s) return s;
    if (size < 1 || size % 2 == 0)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "size %lld: fovea's LRN (PyTorch's window) equals ONNX's for odd sizes "
                       "only", (long long)size);
    fv_layer_spec spec = fv_spec_lrn(NULL, ox_key_int(size));
    spec.a.alpha = alpha, spec.a.beta = beta, spec.a.k = bias;
    return simple_spec(im, spec);
}

/* ---- activations ------------------------------------------------------------------------------------------ */

static fv_status op_relu(ox_import *im) { return simple_spec(im, fv_spec_relu(NULL)); }
static fv_status op_tanh(ox_import *im) { return simple_spec(im, fv_spec_activation(NULL, FV_ACT_TANH)); }
static fv_status op_hard_swish(ox_import *im) { return simple_spec(im, fv_spec_activation(NULL, FV_ACT_HARD_SWISH)); }

static fv_status op_alpha(ox_import *im, const char *type, float def)
{
    fv_layer_spec spec = fv_spec_of_type(type, NULL);
    fv_status s = ox_attr_float(im, "alpha", def, &spec.a.alpha);
    return s ? s : simple_spec(im, spec);
}

static fv_status op_leaky_relu(ox_import *im) { return op_alpha(im, "leaky_relu", 0.01f); }
static fv_status op_elu(ox_import *im) { return op_alpha(im, "elu", 1.0f); }

/* Whether this node's only reader is a Mul by this node's own input (x * act(x)). */
static bool feeds_own_mul(ox_import *im)
{
    ox_entry *out = out_entry(im);
    if (!out || out->n_users != 1 || out->is_output) return false;
    const Onnx__NodeProto *u = im->g->node[out->user];
    if (strcmp(u->op_type, "Mul") || u->n_input != 2 || !u->input[0] || !u->input[1]) return false;
    const char *x = im->node->input[0];
    return (strcmp(u->input[0], out->name) == 0 && strcmp(u->input[1], x) == 0) ||
           (strcmp(u->input[1], out->name) == 0 && strcmp(u->input[0], x) == 0);
}

/* Sigmoid and HardSigmoid: a gate that the Mul after it may turn into silu or hard_swish. */
static fv_status gate(ox_import *im, const char *type)
{
    int x;
    fv_status s = ox_layer_in(im, 0, &x);
    if (s) return s;
    if (!feeds_own_mul(im)) return ox_add_out(im, fv_spec_of_type(type, NULL), NULL, &x, 1);
    ox_value v = {.kind = OX_GATE, .layer = x, .node = im->node_index};
    ox_set_out(im, 0, v);
    return FV_OK;
}

static fv_status op_sigmoid(ox_import *im) { return gate(im, "sigmoid"); }

static fv_status op_hard_sigmoid(ox_import *im)
{
    float alpha, beta;
    fv_status s = ox_attr_float(im, "alpha", 0.2f, &alpha);
    if (!s) s = ox_attr_float(im, "beta", 0.5f, &beta);
    if (s) return s;
    if (fabsf(alpha - 1.0f / 6.0f) > 1e-6f || beta != 0.5f) { /* not PyTorch's: the general form */
        int x;
        if ((s = ox_layer_in(im, 0, &x))) return s;
        fv_layer_spec spec = fv_spec_of_type("hard_sigmoid_ab", NULL);
        spec.a.alpha = alpha, spec.a.beta = beta;
        return ox_add_out(im, spec, NULL, &x, 1);
    }
    return gate(im, "hard_sigmoid");
}

/* Clip to [0, 6] is relu6 and to [0, +inf) relu, other bounds a clip layer; bounds come as attributes before
 * opset 11, inputs after. */
static fv_status op_clip(ox_import *im)
{
    float lo = -INFINITY, hi = INFINITY;
    fv_status s = FV_OK;
    if (im->opset < 11) {
        s = ox_attr_float(im, "min", -INFINITY, &lo);
        if (!s) s = ox_attr_float(im, "max", INFINITY, &hi);
    }
    for (int k = 1; k <= 2 && !s; k++) {
        const ox_tensor *c;
        if (!ox_in(im, k)) continue;
        if ((s = ox_const_in(im, k, &c))) return s;
        if (c->n != 1 || c->type != OX_F32) return ox_fail(im, FV_ERR_UNSUPPORTED, "a bound that is not one float");
        *(k == 1 ? &lo : &hi) = ((const float *)c->data)[0];
    }
    if (s) return s;
    if (isnan(lo) || isnan(hi)) return ox_fail(im, FV_ERR_UNSUPPORTED, "a bound that is NaN");
    if (lo == 0.0f && hi == 6.0f) return simple_spec(im, fv_spec_activation(NULL, FV_ACT_RELU6));
    if (lo == 0.0f && hi == INFINITY) return simple_spec(im, fv_spec_relu(NULL));
    fv_layer_spec spec = fv_spec_of_type("clip", NULL); /* an infinite bound is the default: none */
    if (lo > -INFINITY) spec.a.lo = lo;
    if (hi < INFINITY) spec.a.hi = hi;
    return simple_spec(im, spec);
}

static fv_status op_softmax(ox_import *im) { return ox_math_softmax(im, false); }

/* ---- pooling ---------------------------------------------------------------------------------------------- */

static fv_status pool(ox_import *im, bool avg)
{
    int x;
    int64_t ceil_mode, include_pad = 0, xd[OX_MAX_DIMS];
    window win;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = read_window(im, &win, true);
    if (!s) s = ox_attr_int(im, "ceil_mode", 0, &ceil_mode);
    if (!s && avg) s = ox_attr_int(im, "count_include_pad", 0, &include_pad);
    if (!s) s = need_rank(im, x, 4, "2-D pooling");
    if (s) return s;
    if (win.dilation[0] != 1 || win.dilation[1] != 1)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "dilated pooling (dilations %lldx%lld)", (long long)win.dilation[0],
                       (long long)win.dilation[1]);
    ox_layer_dims(im, x, xd);
    if (strncmp(win.auto_pad, "SAME", 4) == 0) same_pads(&win, xd + 2);
    fv_layer_spec spec = avg ? fv_spec_avg_pool(NULL, 1) : fv_spec_max_pool(NULL, 1);
    window_spec(&spec, &win, false);
    if (win.stride[0] == win.kernel[0] && win.stride[1] == win.kernel[1]) /* fovea's pools default to the kernel */
        spec.a.stride[0] = spec.a.stride[1] = 0;
    spec.a.ceil_mode = ceil_mode != 0;
    if (avg) spec.a.count_include_pad = include_pad != 0;
    return ox_add_out(im, spec, NULL, &x, 1);
}

static fv_status op_max_pool(ox_import *im)
{
    int64_t order;
    fv_status s = ox_attr_int(im, "storage_order", 0, &order);
    return s ? s : pool(im, false);
}

static fv_status op_avg_pool(ox_import *im) { return pool(im, true); }

static fv_status global_pool(ox_import *im, const char *type)
{
    int x;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = need_rank(im, x, 4, "2-D pooling of (N, C, H, W)");
    return s ? s : ox_add_out(im, fv_spec_of_type(type, NULL), NULL, &x, 1);
}

static fv_status op_global_avg(ox_import *im) { return global_pool(im, "global_avg_pool"); }
static fv_status op_global_max(ox_import *im) { return global_pool(im, "global_max_pool"); }

/* ReduceMean / ReduceMax over H and W of (N, C, H, W): global pooling, flattened when keepdims is 0 (how
 * x.mean((2, 3)) exports). Axes are an attribute before opset 18, an input after. Any other reduction is a
 * reduction layer (ox_reduce_layer). */
static fv_status reduce_pool(ox_import *im, const char *type, const char *general)
{
    int x, n;
    int64_t axes[OX_MAX_DIMS], keep, xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_ints(im, "axes", axes, OX_MAX_DIMS, &n);
    if (!s && n < 0 && ox_in(im, 1) && ox_in(im, 1)->v.kind == OX_CONST) s = ox_ints_in(im, 1, axes, OX_MAX_DIMS, &n);
    if (!s) s = ox_attr_int(im, "keepdims", 1, &keep);
    if (s) return s;
    bool ok = n == 2 && ox_layer_dims(im, x, xd) == 4;
    for (int i = 0; ok && i < 2; i++) ok = axes[i] == 2 || axes[i] == 3 || axes[i] == -1 || axes[i] == -2;
    if (ok) ok = (axes[0] + 4) % 4 != (axes[1] + 4) % 4;
    if (!ok) return ox_reduce_layer(im, general);
    int l = ox_add_plain(im, type, NULL, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    if (keep) {
        ox_set_layer_out(im, 0, l);
        return FV_OK;
    }
    return ox_add_out(im, fv_spec_flatten(NULL), NULL, &l, 1);
}

static fv_status op_reduce_mean(ox_import *im) { return reduce_pool(im, "global_avg_pool", "reduce_mean"); }
static fv_status op_reduce_max(ox_import *im) { return reduce_pool(im, "global_max_pool", "reduce_max"); }

/* ---- shapes ----------------------------------------------------------------------------------------------- */

/* (N, features) from x: a flatten layer, also before a Gemm that fovea's dense layer could feed from a pooled
 * (N, C, 1, 1) map directly, so that models keep PyTorch's structure (avgpool, flatten, fc). */
static fv_status to_features(ox_import *im, int x) { return ox_add_out(im, fv_spec_flatten(NULL), NULL, &x, 1); }

/* Whether this Flatten is the one fv_onnx_save writes before a dense layer reading a pooled (N, C, 1, 1) map:
 * named "<gemm>/flatten" and read only by that Gemm. The dense layer takes such maps itself. */
static bool feeds_own_dense(ox_import *im, const int64_t *xd, int r)
{
    ox_entry *out = out_entry(im);
    if (r != 4 || xd[2] != 1 || xd[3] != 1 || !out || out->n_users != 1 || out->is_output) return false;
    const Onnx__NodeProto *u = im->g->node[out->user];
    const char *name = im->node->name, *uname = u->name;
    size_t n = uname ? strlen(uname) : 0;
    return strcmp(u->op_type, "Gemm") == 0 && name && n && strncmp(name, uname, n) == 0 &&
           strcmp(name + n, "/flatten") == 0;
}

static fv_status op_flatten(ox_import *im)
{
    int x;
    int64_t axis, xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "axis", 1, &axis);
    if (s) return s;
    int r = ox_layer_dims(im, x, xd);
    if (axis != 1 && axis != 1 - r) return ox_layout_flatten(im, x, axis, r);
    if (feeds_own_dense(im, xd, r)) {
        ox_set_layer_out(im, 0, x);
        return FV_OK;
    }
    return to_features(im, x);
}

static bool is_batch(ox_import *im, int64_t v) { return v == OX_DIM_BATCH || (v > 0 && v == im->batch); }

/* Reshape of a layer's output: to (N, features) it is a flatten, to its own shape nothing, otherwise a reshape
 * layer (onnx_ops_layout.c). */
static fv_status op_reshape(ox_import *im)
{
    int x, n;
    int64_t shape[OX_MAX_DIMS], xd[OX_MAX_DIMS], allowzero;
    fv_status s = ox_layer_in(im, 0, &x);
    const ox_tensor *c;
    if (!s) s = ox_const_in(im, 1, &c);
    if (!s) s = ox_attr_int(im, "allowzero", 0, &allowzero);
    if (s) return s;
    if (c->type != OX_I64 || c->ndim != 1 || c->n > OX_MAX_DIMS)
        return ox_fail(im, FV_ERR_FORMAT, "the shape must be an int64 vector");
    n = (int)c->n;
    memcpy(shape, c->data, (size_t)n * sizeof *shape);
    int r = ox_layer_dims(im, x, xd);
    int64_t features = fv_size_product(r - 1, xd + 1, INT64_MAX); /* a layer's shape: checked when it was added */
    for (int d = 0; d < n; d++)
        if (shape[d] == 0 && !allowzero && d < r) shape[d] = xd[d];
    int64_t rest = 1;
    int infer = -1;
    bool ok = n >= 1;
    for (int d = 1; ok && d < n; d++) {
        if (shape[d] == -1 && infer < 0) infer = d;
        else ok = shape[d] > 0 && fv_size_mul(rest, shape[d], OX_MAX_ELEMENTS, &rest);
    }
    if (ok && shape[0] == -1 && infer < 0 && rest == features) shape[0] = im->batch; /* (-1, features) */
    if (ok && infer > 0 && is_batch(im, shape[0]) && rest > 0 && features % rest == 0) shape[infer] = features / rest;
    ok = ok && is_batch(im, shape[0]);
    for (int d = 1; ok && d < n; d++) ok = shape[d] > 0;
    int64_t got = 1;
    for (int d = 1; ok && d < n; d++) ok = fv_size_mul(got, shape[d], OX_MAX_ELEMENTS, &got);
    ok = ok && got == features;
    bool same = ok && n == r;
    for (int d = 1; same && d < n; d++) same = shape[d] == xd[d];
    if (same) {
        ox_set_layer_out(im, 0, x);
        return FV_OK;
    }
    if (ok && n == 2) return to_features(im, x);
    return ox_layout_reshape(im, x, (const int64_t *)c->data, n, allowzero != 0);
}

/* Squeeze of a pooled (N, C, 1, 1) map to (N, C) is a flatten; any other a squeeze layer. */
static fv_status op_squeeze(ox_import *im)
{
    int x, n;
    int64_t axes[OX_MAX_DIMS], xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_ints(im, "axes", axes, OX_MAX_DIMS, &n);
    if (!s && n < 0 && ox_in(im, 1)) s = ox_ints_in(im, 1, axes, OX_MAX_DIMS, &n);
    if (s) return s;
    int r = ox_layer_dims(im, x, xd);
    bool ok = r == 4 && xd[2] == 1 && xd[3] == 1 && (n < 0 || n == 2);
    for (int i = 0; ok && i < n; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
        ok = a == 2 || a == 3;
    }
    if (ok && n == 2) ok = axes[0] != axes[1] && (axes[0] < 0 ? axes[0] + r : axes[0]) != (axes[1] < 0 ? axes[1] + r : axes[1]);
    if (!ok) return ox_layout_generic(im);
    return to_features(im, x);
}

/* CastLike (opset 15): Cast to the element type of input 1 (a layer or a constant). */
static fv_status op_cast_like(ox_import *im)
{
    int x;
    fv_status s = ox_layer_in(im, 0, &x);
    if (s) return s;
    ox_entry *like = ox_in(im, 1);
    int to;
    if (like->v.kind == OX_CONST) {
        int32_t t = like->v.c.onnx_type;
        to = t == OX_T_FLOAT ? FV_F32 : t == OX_T_INT32 ? FV_I32 : t == OX_T_INT64 ? FV_I64 : t == OX_T_BOOL ? FV_BOOL
           : -1;
        if (to < 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "casts like a tensor of ONNX type %d: fovea casts to float, "
                                "int32, int64 and bool", (int)t);
    } else {
        int l;
        if ((s = ox_layer_in(im, 1, &l))) return s;
        to = (int)fv_model_layer_dtype(im->m, l);
    }
    fv_layer_spec spec = fv_spec_of_type("cast", NULL);
    spec.a.dtype = to; /* the key to= */
    return ox_add_out(im, spec, NULL, &x, 1);
}

static fv_status op_identity(ox_import *im)
{
    int x;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) ox_set_layer_out(im, 0, x);
    return s;
}

/* Dropout's mask output at inference: every element kept, a constant true of x's shape (a shape that follows the
 * batch has no constant form: refused). */
static fv_status dropout_mask(ox_import *im, int x)
{
    const Onnx__NodeProto *nd = im->node;
    ox_entry *e = nd->n_output > 1 && nd->output[1] && *nd->output[1] ? ox_find(&im->t, nd->output[1]) : NULL;
    if (!e || !e->n_users) return FV_OK;
    int64_t xd[OX_MAX_DIMS];
    int r = ox_layer_dims(im, x, xd);
    for (int d = 0; d < r; d++)
        if (OX_IS_SYMBOL(xd[d])) return ox_fail(im, FV_ERR_UNSUPPORTED, "its mask output follows the batch size");
    int l = ox_add_spec(im, fv_spec_constant(NULL, r, xd, FV_BOOL), NULL, NULL, 0);
    if (l < 0) return fv_errcode(im->ctx);
    fv_param *p;
    fv_model_layer_params(im->m, l, &p, 1);
    memset(p->value.data, 1, (size_t)p->value.size);
    ox_set_layer_out(im, 1, l);
    return FV_OK;
}

static fv_status op_dropout(ox_import *im)
{
    int x;
    float ratio = 0.5f;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_float(im, "ratio", 0.5f, &ratio);
    if (s) return s;
    const ox_tensor *c;
    if (ox_in(im, 1)) {
        if ((s = ox_const_in(im, 1, &c))) return s;
        if (c->n != 1 || c->type != OX_F32) return ox_fail(im, FV_ERR_FORMAT, "ratio must be one float");
        ratio = ((const float *)c->data)[0];
    }
    /* training_mode true with a ratio of 0 is still the identity (Swin's F.dropout(attn, p=0.0) exports so) */
    if (ox_in(im, 2)) {
        if ((s = ox_const_in(im, 2, &c))) return s;
        if (c->n != 1 || (ox_get_f(c, 0) != 0 && ratio != 0.0f))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "training_mode is true: fovea imports inference graphs");
    }
    if (!(ratio >= 0.0f && ratio < 1.0f)) return ox_fail(im, FV_ERR_FORMAT, "ratio %g is outside [0, 1)", ratio);
    if ((s = dropout_mask(im, x))) return s;
    if (ratio == 0.0f) {
        ox_set_layer_out(im, 0, x);
        return FV_OK;
    }
    return ox_add_out(im, fv_spec_dropout(NULL, ratio), NULL, &x, 1);
}

/* Pad of (N, C, H, W) over H and W with a constant is the pad layer; any other rank, axis, mode or cropping a
 * pad_nd layer (onnx_ops_layout.c). */
static fv_status op_pad(ox_import *im)
{
    int x, n = -1, na = -1;
    int64_t pads[2 * OX_MAX_DIMS], axes[OX_MAX_DIMS], full[8] = {0}, xd[OX_MAX_DIMS];
    float value = 0.0f;
    char mode[32];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_string(im, "mode", "constant", mode, sizeof mode);
    if (s) return s;
    if (ox_layer_dims(im, x, xd) != 4 || strcmp(mode, "constant") != 0) return ox_layout_pad(im);
    if (im->opset < 11) s = ox_attr_ints(im, "pads", pads, 2 * OX_MAX_DIMS, &n);
    if (!s && im->opset < 11) s = ox_attr_float(im, "value", 0.0f, &value);
    if (!s && im->opset >= 11) s = ox_ints_in(im, 1, pads, 2 * OX_MAX_DIMS, &n);
    if (!s && ox_in(im, 3)) s = ox_ints_in(im, 3, axes, OX_MAX_DIMS, &na);
    if (s) return s;
    if (ox_in(im, 2)) {
        const ox_tensor *c;
        if ((s = ox_const_in(im, 2, &c))) return s;
        if (c->n != 1 || c->type != OX_F32) return ox_layout_pad(im);
        value = ((const float *)c->data)[0];
    }
    if (na < 0) {
        if (n != 8) return ox_fail(im, FV_ERR_FORMAT, "%d pads for a rank-4 input (8 expected)", n);
        memcpy(full, pads, sizeof full);
    } else {
        if (n != 2 * na) return ox_fail(im, FV_ERR_FORMAT, "%d pads for %d axes", n, na);
        for (int i = 0; i < na; i++) {
            int64_t a = axes[i] < 0 ? axes[i] + 4 : axes[i];
            if (a < 0 || a > 3) return ox_fail(im, FV_ERR_FORMAT, "axis %lld of a rank-4 input", (long long)axes[i]);
            full[a] = pads[i], full[a + 4] = pads[i + na];
        }
    }
    bool none = true; /* PyTorch exports an average pooling with its padding as a Pad of zeros: nothing to do */
    for (int i = 0; i < 8; i++) none = none && full[i] == 0;
    if (none) {
        ox_set_layer_out(im, 0, x);
        return FV_OK;
    }
    bool two_d = !full[0] && !full[1] && !full[4] && !full[5];
    for (int i = 0; i < 8; i++) two_d = two_d && full[i] >= 0;
    if (!two_d) return ox_layout_pad(im);
    /* top, left, bottom, right: the begin and end pads of H and W */
    fv_layer_spec spec = fv_spec_pad(NULL, ox_key_int(full[2]), ox_key_int(full[3]), ox_key_int(full[6]),
                                     ox_key_int(full[7]), value);
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* ---- resizing --------------------------------------------------------------------------------------------- */

/* Integer factors of H and W from scales (floats) or sizes (ints) for the 4 dimensions. quiet: FV_ERR_UNSUPPORTED
 * without a message (the caller then builds a general resize layer, onnx_ops_norm.c). */
#define RESIZE_FAIL(...) (quiet ? FV_ERR_UNSUPPORTED : ox_fail(im, FV_ERR_UNSUPPORTED, __VA_ARGS__))
static fv_status resize_factors(ox_import *im, int x, const ox_tensor *scales, const ox_tensor *sizes, int64_t *f,
                                bool quiet)
{
    int64_t xd[OX_MAX_DIMS];
    ox_layer_dims(im, x, xd);
    const ox_tensor *c = sizes ? sizes : scales;
    if (c->n != 4) return RESIZE_FAIL("%lld %s for a rank-4 input", (long long)c->n,
                                  sizes ? "sizes" : "scales");
    for (int d = 0; d < 4; d++) {
        double v = sizes ? 0 : ox_get_f(c, d);
        int64_t sz = sizes ? ox_get_i(c, d) : 0;
        if (d < 2) {
            bool same = sizes ? (d == 0 ? is_batch(im, sz) || sz == xd[0] : sz == xd[1]) : v == 1.0;
            if (!same) return RESIZE_FAIL("resizing the batch or channel dimension");
            continue;
        }
        if (sizes) {
            if (OX_IS_SYMBOL(sz) || sz < xd[d] || sz % xd[d])
                return RESIZE_FAIL("size %lld from %lld: fovea upsamples by whole factors",
                               (long long)sz, (long long)xd[d]);
            f[d - 2] = sz / xd[d];
        } else {
            if (!(v >= 1.0 && v <= 65536.0 && v == floor(v)))
                return RESIZE_FAIL("scale %g: fovea upsamples by whole factors", v);
            f[d - 2] = (int64_t)v;
        }
    }
    return FV_OK;
}

/* The upsample layer's mode (and align_corners) for ONNX's interpolation settings, or an error. Nearest with
 * floor (asymmetric coordinates) is PyTorch's; with whole factors, half-pixel coordinates rounded either way
 * pick the same pixels. */
static fv_status resize_mode(ox_import *im, const char *mode, const char *coord, const char *nearest,
                             fv_resize_mode *out, bool *align, bool quiet)
{
    bool half = !strcmp(coord, "half_pixel") || !strcmp(coord, "pytorch_half_pixel");
    *align = false;
    if (!strcmp(mode, "nearest")) {
        bool floor_ok = !strcmp(coord, "asymmetric") && !strcmp(nearest, "floor");
        bool round_ok = (half || !strcmp(coord, "tf_half_pixel_for_nn")) && strncmp(nearest, "round_prefer", 12) == 0;
        if (floor_ok || round_ok) return *out = FV_RESIZE_NEAREST, FV_OK;
        return RESIZE_FAIL("nearest with coordinate_transformation_mode '%s' and nearest_mode '%s' "
                       "(fovea's is asymmetric + floor, PyTorch's)", coord, nearest);
    }
    if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) {
        *out = FV_RESIZE_BILINEAR, *align = !strcmp(coord, "align_corners");
        if (half || *align) return FV_OK;
        return RESIZE_FAIL("linear with coordinate_transformation_mode '%s' (fovea's bilinear "
                       "takes half_pixel or align_corners)", coord);
    }
    return RESIZE_FAIL("mode '%s': fovea resizes with nearest or bilinear", mode);
}

/* An upsample layer of x by whole factors f (height, width). */
static fv_status upsample_layer(ox_import *im, int x, const int64_t *f, fv_resize_mode mode, bool align)
{
    fv_layer_spec spec = fv_spec_upsample(NULL, 1, mode);
    spec.a.scale[0] = ox_key_int(f[0]), spec.a.scale[1] = ox_key_int(f[1]);
    spec.a.align_corners = align;
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* Resize: whole upsampling factors of (N, C, H, W) in the modes the upsample layer has become one (as before);
 * everything else a general resize layer (ox_resize_any). */
static fv_status op_resize(ox_import *im)
{
    int x, na;
    char mode[32], coord[40], nearest[40], policy[40];
    int64_t antialias, axes[OX_MAX_DIMS], f[2], xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_string(im, "mode", "nearest", mode, sizeof mode);
    if (!s) s = ox_attr_string(im, "coordinate_transformation_mode", im->opset < 11 ? "asymmetric" : "half_pixel",
                               coord, sizeof coord);
    if (!s) s = ox_attr_string(im, "nearest_mode", im->opset < 11 ? "floor" : "round_prefer_floor", nearest,
                               sizeof nearest);
    if (!s) s = ox_attr_string(im, "keep_aspect_ratio_policy", "stretch", policy, sizeof policy);
    if (!s) s = ox_attr_int(im, "antialias", 0, &antialias);
    if (!s) s = ox_attr_ints(im, "axes", axes, OX_MAX_DIMS, &na);
    if (s) return s;
    /* opset 10: X, scales; 11 on: X, roi, scales, sizes */
    const ox_tensor *scales = NULL, *sizes = NULL;
    int ks = im->opset < 11 ? 1 : 2;
    if (ox_in(im, ks) && (s = ox_const_in(im, ks, &scales))) return s;
    if (scales && scales->n == 0) scales = NULL; /* an empty scales beside sizes */
    if (im->opset >= 11 && ox_in(im, 3) && (s = ox_const_in(im, 3, &sizes))) return s;
    if (sizes && sizes->n == 0) sizes = NULL;
    if (!scales == !sizes) return ox_fail(im, FV_ERR_FORMAT, "give either scales or sizes");
    if (!strcmp(coord, "tf_crop_and_resize"))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "coordinate_transformation_mode 'tf_crop_and_resize' (a region of "
                       "interest) is not supported");
    bool plain = ox_layer_dims(im, x, xd) == 4 && na < 0 && !strcmp(policy, "stretch") && !antialias;
    fv_resize_mode up;
    bool align;
    if (plain && !resize_mode(im, mode, coord, nearest, &up, &align, true) &&
        !resize_factors(im, x, scales, sizes, f, true))
        return upsample_layer(im, x, f, up, align);
    return ox_resize_any(im, x, mode, coord, nearest, scales, sizes);
}

/* Upsample (opsets 7 to 9): scales as an attribute (7, 8) or an input (9); asymmetric coordinates, nearest
 * rounding down. Whole factors of (N, C, H, W) in nearest mode are an upsample layer, the rest a resize layer. */
static fv_status op_upsample(ox_import *im)
{
    int x, n;
    char mode[32];
    float sv[OX_MAX_DIMS];
    int64_t f[2], xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_string(im, "mode", "nearest", mode, sizeof mode);
    if (!s) s = ox_attr_floats(im, "scales", sv, OX_MAX_DIMS, &n);
    if (s) return s;
    ox_tensor attr = {.type = OX_F32, .ndim = 1, .n = n, .data = sv, .dims = {n}};
    const ox_tensor *scales = &attr;
    if (n < 0 && (s = ox_const_in(im, 1, &scales))) return s;
    if (ox_layer_dims(im, x, xd) == 4 && !strcmp(mode, "nearest") && !resize_factors(im, x, scales, NULL, f, true))
        return upsample_layer(im, x, f, FV_RESIZE_NEAREST, false);
    return ox_resize_any(im, x, mode, "asymmetric", "floor", scales, NULL);
}

/* ---- dense ------------------------------------------------------------------------------------------------ */

/* Whether x (a layer) can feed a dense layer: (N, K), or a pooled (N, K, 1, 1) map it flattens itself. */
static bool dense_shape(ox_import *im, int x)
{
    int64_t xd[OX_MAX_DIMS];
    int r = ox_layer_dims(im, x, xd);
    return r == 2 || (r == 4 && xd[2] == 1 && xd[3] == 1);
}

/* Gemm: a dense layer when A is a layer of (N, K), B a constant 2-D weight, A not transposed and C a bias (one
 * value per output, or one value); otherwise a gemm layer of A, B and C. */
static fv_status op_gemm(ox_import *im)
{
    int x;
    const ox_tensor *w = NULL, *c = NULL;
    float alpha, beta;
    int64_t trans_a, trans_b, broadcast;
    ox_entry *a = ox_in(im, 0), *b = ox_in(im, 1), *ce = ox_in(im, 2);
    fv_status s = ox_attr_float(im, "alpha", 1.0f, &alpha);
    if (!s) s = ox_attr_float(im, "beta", 1.0f, &beta);
    if (!s) s = ox_attr_int(im, "transA", 0, &trans_a);
    if (!s) s = ox_attr_int(im, "transB", 0, &trans_b);
    if (!s) s = ox_attr_int(im, "broadcast", 1, &broadcast);
    if (s) return s;
    bool dense = a->v.kind != OX_CONST && b->v.kind == OX_CONST && b->v.c.ndim == 2 && !trans_a &&
                 (!ce || ce->v.kind == OX_CONST);
    if (dense) w = &b->v.c, c = ce ? &ce->v.c : NULL;
    int64_t units = w ? (trans_b ? w->dims[0] : w->dims[1]) : 0;
    bool bias = c && beta != 0.0f;
    if (bias && !(c->n == 1 || (c->n == units && (c->ndim == 1 || (c->ndim == 2 && c->dims[0] == 1)))))
        dense = false;
    if ((s = ox_layer_in(im, 0, &x))) return s;
    if (dense && !dense_shape(im, x)) dense = false;
    if (!dense) {
        int in[3] = {x, 0, 0}, n = ce ? 3 : 2;
        for (int k = 1; k < n; k++)
            if ((s = ox_layer_in(im, k, &in[k]))) return s;
        fv_layer_spec spec = fv_spec_of_type("gemm", NULL);
        spec.a.alpha = alpha, spec.a.beta = beta;
        spec.a.flag = trans_a != 0, spec.a.flag2 = trans_b != 0; /* the keys trans_a= and trans_b= */
        return ox_add_out(im, spec, NULL, in, n);
    }
    fv_layer_spec spec = fv_spec_dense(NULL, ox_key_int(units));
    spec.a.bias = bias;
    int l = ox_add_spec(im, spec, b->name, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    if ((s = ox_set_param(im, l, 0, w, b->name, !trans_b, alpha))) return s;
    if (bias && (s = ox_set_param(im, l, 1, c, ce->name, false, beta))) return s;
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

/* MatMul: by a constant 2-D weight, a dense layer (joined with a following Add of a bias); otherwise a matmul
 * layer of both operands (batched, 1-D, a constant one becoming a constant layer). */
static fv_status op_matmul(ox_import *im)
{
    int x;
    ox_entry *b = ox_in(im, 1);
    fv_status s = ox_layer_in(im, 0, &x);
    if (s) return s;
    if (b->v.kind != OX_CONST || b->v.c.ndim != 2 || b->v.c.type != OX_F32 || !dense_shape(im, x)) {
        int in[2] = {x, 0};
        if ((s = ox_layer_in(im, 1, &in[1]))) return s;
        return ox_add_out(im, fv_spec_of_type("matmul", NULL), NULL, in, 2);
    }
    const ox_tensor *w = &b->v.c;
    ox_entry *out = out_entry(im);
    if (out && out->n_users == 1 && !out->is_output && strcmp(im->g->node[out->user]->op_type, "Add") == 0) {
        ox_value v = {.kind = OX_MATMUL, .layer = x, .node = im->node_index, .c = *w};
        v.c.owned = false;
        ox_set_out(im, 0, v);
        return FV_OK;
    }
    fv_layer_spec spec = fv_spec_dense(NULL, ox_key_int(w->dims[1]));
    spec.a.bias = false;
    int l = ox_add_spec(im, spec, b->name, &x, 1);
    if (l < 0) return fv_errcode(im->ctx);
    if ((s = ox_set_param(im, l, 0, w, b->name, true, 1.0f))) return s;
    ox_set_layer_out(im, 0, l);
    return FV_OK;
}

/* ---- joining ---------------------------------------------------------------------------------------------- */

/* A constant operand becomes a constant layer (broadcast by the add or mul; integer ones matched to int32). */
static fv_status two_layers(ox_import *im, const char *type) { return ox_math_elementwise_as(im, type); }

static fv_status op_mul(ox_import *im)
{
    ox_entry *a = ox_in(im, 0), *b = ox_in(im, 1);
    ox_entry *g = a->v.kind == OX_GATE ? a : b->v.kind == OX_GATE ? b : NULL, *x = g == a ? b : a;
    if (g && x->v.kind == OX_LAYER && strcmp(x->name, im->g->node[g->v.node]->input[0]) == 0) {
        bool hard = strcmp(im->g->node[g->v.node]->op_type, "HardSigmoid") == 0;
        int l = ox_add_spec(im, fv_spec_activation(NULL, hard ? FV_ACT_HARD_SWISH : FV_ACT_SILU), NULL, &x->v.layer, 1);
        if (l < 0) return fv_errcode(im->ctx);
        g->v.kind = OX_LAYER, g->v.layer = l; /* consumed: this Mul was its only reader */
        ox_set_layer_out(im, 0, l);
        return FV_OK;
    }
    return two_layers(im, "mul");
}

static fv_status op_add(ox_import *im)
{
    ox_entry *a = ox_in(im, 0), *b = ox_in(im, 1);
    ox_entry *mm = a->v.kind == OX_MATMUL ? a : b->v.kind == OX_MATMUL ? b : NULL, *bias = mm == a ? b : a;
    if (mm && bias->v.kind == OX_CONST) {
        const ox_tensor *w = &mm->v.c, *c = &bias->v.c;
        int64_t units = w->dims[1];
        if (c->n == units && (c->ndim == 1 || (c->ndim == 2 && c->dims[0] == 1))) {
            const Onnx__NodeProto *add = im->node;
            im->node = im->g->node[mm->v.node]; /* named after the MatMul */
            int l = ox_add_spec(im, fv_spec_dense(NULL, ox_key_int(units)), im->node->input[1], &mm->v.layer, 1);
            fv_status s = l < 0 ? fv_errcode(im->ctx) : ox_set_param(im, l, 0, w, im->node->input[1], true, 1.0f);
            im->node = add;
            if (!s) s = ox_set_param(im, l, 1, c, bias->name, false, 1.0f);
            if (s) return s;
            mm->v.kind = OX_LAYER, mm->v.layer = l;
            ox_set_layer_out(im, 0, l);
            return FV_OK;
        }
    }
    return two_layers(im, "add");
}

/* Concat of layers and constants (constant layers) of any rank, along any axis; one input is passed through. */
static fv_status op_concat(ox_import *im)
{
    const Onnx__NodeProto *nd = im->node;
    int in[FV_LAYER_MAX_INPUTS];
    int64_t axis, xd[OX_MAX_DIMS];
    fv_status s = ox_attr_int(im, "axis", 1, &axis);
    if (s) return s;
    if (nd->n_input > FV_LAYER_MAX_INPUTS)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "%zu inputs (fovea's concat takes %d)", nd->n_input, FV_LAYER_MAX_INPUTS);
    int n = 0;
    for (size_t k = 0; k < nd->n_input; k++) {
        if (!ox_in(im, (int)k)) continue;
        if ((s = ox_layer_in(im, (int)k, &in[n++]))) return s;
    }
    if (!n) return ox_fail(im, FV_ERR_FORMAT, "has no inputs");
    int r = ox_layer_dims(im, in[0], xd);
    if (axis < -r || axis >= r) return ox_fail(im, FV_ERR_FORMAT, "axis %lld of rank-%d inputs", (long long)axis, r);
    if (n == 1) {
        ox_set_layer_out(im, 0, in[0]);
        return FV_OK;
    }
    return ox_add_out(im, fv_spec_concat(NULL, ox_key_int(axis)), NULL, in, n);
}

/* ---- the table -------------------------------------------------------------------------------------------- */

#define WINDOW "auto_pad,dilations,kernel_shape,pads,strides"
#define RESIZE_ATTRS                                                                                               \
    "mode,coordinate_transformation_mode,nearest_mode,cubic_coeff_a,exclude_outside,extrapolation_value,antialias," \
    "axes,keep_aspect_ratio_policy"
/* op, layer handler, fold handler, inputs min..max, outputs, attributes; one list for the table and the names */
#define OX_OPS(X) \
    X("Conv", op_conv, NULL, 2, 3, 1, WINDOW ",group") \
    X("ConvTranspose", op_conv_transpose, NULL, 2, 3, 1, WINDOW ",group,output_padding,output_shape") \
    X("BatchNormalization", op_batch_norm, NULL, 5, 5, 1, "epsilon,momentum,spatial,training_mode,is_test") \
    X("LRN", op_lrn, NULL, 1, 1, 1, "alpha,beta,bias,size") \
    X("Relu", op_relu, NULL, 1, 1, 1, "") \
    X("LeakyRelu", op_leaky_relu, NULL, 1, 1, 1, "alpha") \
    X("Elu", op_elu, NULL, 1, 1, 1, "alpha") \
    X("Tanh", op_tanh, NULL, 1, 1, 1, "") \
    X("Sigmoid", op_sigmoid, NULL, 1, 1, 1, "") \
    X("HardSigmoid", op_hard_sigmoid, NULL, 1, 1, 1, "alpha,beta") \
    X("HardSwish", op_hard_swish, NULL, 1, 1, 1, "") \
    X("Clip", op_clip, NULL, 1, 3, 1, "min,max") \
    X("Softmax", op_softmax, NULL, 1, 1, 1, "axis") \
    X("MaxPool", op_max_pool, NULL, 1, 1, 1, WINDOW ",ceil_mode,storage_order") \
    X("AveragePool", op_avg_pool, NULL, 1, 1, 1, WINDOW ",ceil_mode,count_include_pad") \
    X("GlobalAveragePool", op_global_avg, NULL, 1, 1, 1, "") \
    X("GlobalMaxPool", op_global_max, NULL, 1, 1, 1, "") \
    X("ReduceMean", op_reduce_mean, NULL, 1, 2, 1, "axes,keepdims,noop_with_empty_axes") \
    X("ReduceMax", op_reduce_max, NULL, 1, 2, 1, "axes,keepdims,noop_with_empty_axes") \
    X("Flatten", op_flatten, ox_fold_flatten, 1, 1, 1, "axis") \
    X("Reshape", op_reshape, ox_fold_reshape, 2, 2, 1, "allowzero") \
    X("Squeeze", op_squeeze, ox_fold_squeeze, 1, 2, 1, "axes") \
    X("Gemm", op_gemm, NULL, 2, 3, 1, "alpha,beta,transA,transB,broadcast") \
    X("MatMul", op_matmul, NULL, 2, 2, 1, "") \
    X("Add", op_add, ox_fold_binary, 2, 2, 1, "broadcast") \
    X("Mul", op_mul, ox_fold_binary, 2, 2, 1, "broadcast") \
    X("Sub", ox_math_elementwise, ox_fold_binary, 2, 2, 1, "broadcast") \
    X("Div", ox_math_elementwise, ox_fold_binary, 2, 2, 1, "broadcast") \
    X("Concat", op_concat, ox_fold_concat, 1, 64, 1, "axis") \
    X("Dropout", op_dropout, ox_fold_identity, 1, 3, 2, "ratio,seed") \
    X("Identity", op_identity, ox_fold_identity, 1, 1, 1, "") \
    X("Pad", op_pad, NULL, 1, 4, 1, "mode,pads,value") \
    X("Resize", op_resize, NULL, 1, 4, 1, RESIZE_ATTRS) \
    X("Upsample", op_upsample, NULL, 1, 2, 1, "mode,scales") \
    X("Constant", NULL, ox_fold_constant, 0, 0, 1, "value,value_float,value_floats,value_int,value_ints") \
    X("Shape", ox_fold_shape, ox_fold_shape, 1, 1, 1, "start,end") \
    X("Size", ox_fold_size, ox_fold_size, 1, 1, 1, "") \
    X("Gather", ox_layout_generic, ox_fold_gather, 2, 2, 1, "axis") \
    X("Unsqueeze", ox_layout_generic, ox_fold_unsqueeze, 1, 2, 1, "axes") \
    X("Cast", ox_math_cast, ox_fold_cast, 1, 1, 1, "to,saturate") \
    X("CastLike", op_cast_like, NULL, 2, 2, 1, "saturate") \
    X("Slice", ox_layout_slice, ox_fold_slice, 1, 5, 1, "starts,ends,axes") \
    X("ConstantOfShape", NULL, ox_fold_constant_of_shape, 1, 1, 1, "value") \
    X("Transpose", ox_layout_generic, ox_fold_transpose, 1, 1, 1, "perm") \
    X("Range", NULL, ox_fold_range, 3, 3, 1, "") \
    X("Floor", ox_math_generic, ox_fold_unary, 1, 1, 1, "") \
    X("Ceil", ox_math_generic, ox_fold_unary, 1, 1, 1, "") \
    X("Neg", ox_math_generic, ox_fold_unary, 1, 1, 1, "")

#define OX_OP_ENTRY(...) {__VA_ARGS__},
#define OX_OP_NAME(name, ...) name,
static const ox_op ops[] = {OX_OPS(OX_OP_ENTRY)};
static const ox_op *const families[] = {ox_ops_layout, ox_ops_math, ox_ops_reduce, ox_ops_norm, ox_ops_loss};

/* Every operator read: this file's table, the families' tables and the generic layer types' operators, each
 * name once. Made at the first call (pthread_once: callers may be on several threads). */
static const char *op_names[512];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void add_name(int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(op_names[i], name) == 0) return;
    if (*n < (int)(sizeof op_names / sizeof *op_names) - 1) op_names[(*n)++] = name;
}

static void make_names(void)
{
    int n = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) add_name(&n, ops[i].op);
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const ox_op *o = families[f]; o->op; o++) add_name(&n, o->op);
    for (int i = 0; fv_generic_type_at(i); i++)
        if (fv_generic_type_at(i)->onnx_op) add_name(&n, fv_generic_type_at(i)->onnx_op);
    op_names[n] = NULL;
}

const char *const *fv_onnx_operators(void)
{
    pthread_once(&names_once, make_names);
    return op_names;
}

const ox_op *ox_find_op(const char *op_type)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].op, op_type) == 0) return &ops[i];
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const ox_op *o = families[f]; o->op; o++)
            if (strcmp(o->op, op_type) == 0) return o;
    return NULL;
}
