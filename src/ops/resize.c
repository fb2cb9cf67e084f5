/* Resizing the trailing axes of a tensor to any size or scale (ONNX Resize, PyTorch F.interpolate): nearest,
 * linear and cubic, with ONNX's coordinate transforms and nearest rounding modes. Forward builds each axis's
 * tap table (kernels/ref/resample.h) and keeps it in the node's kernel cache for backward. */
#include <math.h>
#include <stdlib.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

typedef struct {
    int k;                        /* resized trailing axes */
    bool by_scale;                /* scales given (else sizes) */
    int given;                    /* how many of sizes and scales the caller gave (1 is right) */
    int64_t sizes[FV_MAX_DIMS];   /* requested output sizes of the k axes */
    double scales[FV_MAX_DIMS];
    fv_resize_args args;
} resize_attr;

/* The tap tables of the last forward: idx then weights for each axis, one block. */
typedef struct {
    fv_ref_resample_axis ax[FV_MAX_DIMS];
    int64_t *idx;
    double *w;
} resize_tables;

fv_resize_args fv_resize_defaults(void)
{
    return (fv_resize_args){FV_RESAMPLE_NEAREST, FV_COORD_HALF_PIXEL, FV_ROUND_PREFER_FLOOR, -0.75, false};
}

static fv_status check_args(fv_graph *g, fv_node *n, const fv_tensor *x)
{
    const fv_resize_args *a = &((const resize_attr *)n->attr)->args;
    if ((unsigned)a->mode > FV_RESAMPLE_CUBIC)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown mode %d for x %s", (int)a->mode, fv_dims(x));
    if ((unsigned)a->coord > FV_COORD_TF_HALF_PIXEL_FOR_NN)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown coordinate transform %d for x %s", (int)a->coord, fv_dims(x));
    if ((unsigned)a->nearest > FV_ROUND_CEIL)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown nearest rounding %d for x %s", (int)a->nearest, fv_dims(x));
    if (!isfinite(a->cubic_a))
        return fv_node_error(g, n, FV_ERR_ARG, "cubic_a %g must be finite", a->cubic_a);
    return FV_OK;
}

/* Output size along resized axis d (of input size in), or -1 after an error. */
static int64_t out_size(fv_graph *g, fv_node *n, const fv_tensor *x, int d, int64_t in)
{
    const resize_attr *at = n->attr;
    int64_t out = at->sizes[d];
    if (at->by_scale) {
        double s = at->scales[d], o = floor((double)in * s);
        if (!(s > 0) || !isfinite(s)) {
            fv_node_error(g, n, FV_ERR_ARG, "scale %g of resized axis %d must be finite and > 0 (x %s)", s, d,
                          fv_dims(x));
            return -1;
        }
        if (o > 4e18) {
            fv_node_error(g, n, FV_ERR_SHAPE, "scale %g makes resized axis %d of x %s too large", s, d, fv_dims(x));
            return -1;
        }
        out = (int64_t)o;
    } else if (out < 0) {
        fv_node_error(g, n, FV_ERR_ARG, "output size %lld of resized axis %d must be >= 0 (x %s)", (long long)out, d,
                      fv_dims(x));
        return -1;
    }
    if (in == 0 && out > 0) {
        fv_node_error(g, n, FV_ERR_SHAPE, "x %s has an empty axis %d to resize to %lld", fv_dims(x),
                      x->ndim - at->k + d, (long long)out);
        return -1;
    }
    if (in > 0 && out == 0) { /* ONNX and PyTorch refuse it too: there is nothing to sample into */
        fv_node_error(g, n, FV_ERR_SHAPE, "resizes axis %d of x %s to 0 pixels%s", x->ndim - at->k + d, fv_dims(x),
                      at->by_scale ? " (its scale rounds the size down to 0)" : "");
        return -1;
    }
    return out;
}

static fv_status resize_infer(fv_graph *g, fv_node *n)
{
    const resize_attr *at = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    if (at->k < 1 || at->k > x->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "%d resized axes for x %s with %d dimensions (1 to %d)", at->k,
                             fv_dims(x), x->ndim, x->ndim);
    if (at->given != 1)
        return fv_node_error(g, n, FV_ERR_ARG, "give exactly one of sizes and scales for x %s (%s given)", fv_dims(x),
                             at->given ? "both" : "neither");
    if ((s = check_args(g, n, x))) return s;
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
    for (int d = 0; d < at->k; d++) {
        int axis = x->ndim - at->k + d;
        if ((shape[axis] = out_size(g, n, x, d, x->shape[axis])) < 0) return FV_ERR_ARG;
    }
    if (fv_size_product(x->ndim, shape, FV_MAX_TENSOR_BYTES / 4) < 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "output of x %s resized is too large", fv_dims(x));
    fv_node_set_shape(n, FV_F32, x->ndim, shape);
    return FV_OK;
}

static void free_tables(void *p)
{
    resize_tables *t = p;
    if (t) free(t->idx), free(t->w);
    free(t);
}

/* Build the tables for the current shapes into the node's cache; the planes count into *P. */
static fv_status build_tables(fv_graph *g, fv_node *n, int64_t *P)
{
    const resize_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value, *y = &n->value;
    int T = fv_ref_resample_taps(at->args.mode), lead = x->ndim - at->k;
    int64_t total = 0;
    *P = 1;
    for (int d = 0; d < lead; d++) *P *= x->shape[d];
    for (int d = lead; d < x->ndim; d++) total += y->shape[d] * T;
    free_tables(n->kernel_cache);
    n->kernel_cache = NULL;
    resize_tables *t = calloc(1, sizeof *t);
    if (t) t->idx = malloc((size_t)(total ? total : 1) * sizeof *t->idx), t->w = malloc((size_t)(total ? total : 1) * sizeof *t->w);
    if (!t || !t->idx || !t->w) {
        free_tables(t);
        return fv_node_error(g, n, FV_ERR_NOMEM, "out of memory for the tap tables of x %s", fv_dims(x));
    }
    n->kernel_cache = t, n->kernel_cache_free = free_tables;
    int64_t off = 0;
    for (int d = 0; d < at->k; d++) {
        int64_t in = x->shape[lead + d], out = y->shape[lead + d];
        t->ax[d] = (fv_ref_resample_axis){in, out, T, t->idx + off, t->w + off};
        if (in > 0) fv_ref_resample_table(t->idx + off, t->w + off, &at->args, in, out, at->by_scale ? at->scales[d] : 0);
        off += out * T;
    }
    return FV_OK;
}

static fv_status resize_forward(fv_graph *g, fv_node *n)
{
    int64_t P;
    fv_status s = build_tables(g, n, &P);
    if (s) return s;
    const resize_tables *t = n->kernel_cache;
    if (n->value.size > 0)
        fv_resample_forward(g->ctx, fv_f32(&n->value), fv_f32(&n->in[0]->value), P, ((const resize_attr *)n->attr)->k, t->ax);
    return FV_OK;
}

static void resize_backward(fv_graph *g, fv_node *n)
{
    if (!fv_wants_grad(n, 0) || n->value.size == 0) return;
    const fv_tensor *x = &n->in[0]->value;
    int k = ((const resize_attr *)n->attr)->k;
    int64_t P = 1;
    for (int d = 0; d < x->ndim - k; d++) P *= x->shape[d];
    const resize_tables *t = n->kernel_cache;
    fv_resample_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), P, k, t->ax);
}

const fv_op_def fv_op_resize = {"resize", resize_infer, resize_forward, resize_backward, false};

fv_node *fv_resize(fv_graph *g, fv_node *x, int n_axes, const int64_t *sizes, const double *scales,
                   const fv_resize_args *args)
{
    resize_attr a = {0};
    a.k = n_axes;
    a.args = args ? *args : fv_resize_defaults();
    a.given = (sizes != NULL) + (scales != NULL);
    a.by_scale = scales != NULL;
    for (int d = 0; a.given == 1 && d < n_axes && d < FV_MAX_DIMS; d++) {
        if (sizes) a.sizes[d] = sizes[d];
        else a.scales[d] = scales[d];
    }
    return fv_graph_add(g, FV_OP_RESIZE, &x, 1, 1, &a, sizeof a);
}
