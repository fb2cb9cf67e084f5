/* Padding of any rank and dtype (ONNX Pad): begin and end amounts for every axis, negative ones crop; modes
 * constant (a value), reflect (mirrored without repeating the edge, as numpy's 'reflect' and PyTorch's) and
 * edge (the border element repeated, PyTorch's 'replicate'). Cropping happens first: reflect and edge mirror or
 * repeat what remains, as ONNX's reference does. pad2d.c keeps the older 4-D constant op. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "../graph/graph_internal.h"
#include "fovea/ops.h"
#include "layout_map.h"

typedef struct {
    int n;                          /* entries given; must be 2 * rank */
    int64_t pads[2 * FV_MAX_DIMS];  /* x1_begin, x2_begin, ..., x1_end, x2_end, ... */
    fv_pad_kind mode;
    double value;
} pad_attr;

static const char *mode_name(fv_pad_kind m)
{
    return m == FV_PAD_CONSTANT ? "constant" : m == FV_PAD_REFLECT ? "reflect" : m == FV_PAD_EDGE ? "edge" : "?";
}

/* The constant in the output's dtype must be exact: an int64 pad of 0.5 or 1e30 is refused. */
static bool value_fits(fv_dtype t, double v)
{
    if (t == FV_F32) return isnan(v) || isinf(v) || fabs(v) <= FLT_MAX;
    if (v != floor(v)) return false;
    if (t == FV_I32) return v >= -2147483648.0 && v <= 2147483647.0;
    if (t == FV_I64) return v >= -9223372036854775808.0 && v < 9223372036854775808.0;
    return v == 0 || v == 1; /* bool */
}

/* Check one axis of size dim with pads b (begin) and e (end): the kept part and the mode's rules. */
static fv_status check_axis(fv_graph *g, fv_node *n, int d, int64_t dim, int64_t b, int64_t e, int64_t *out)
{
    const pad_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char buf[200];
    fv_layout_list(a->pads, a->n, buf, sizeof buf);
    if (b < -FV_MAX_TENSOR_BYTES || b > FV_MAX_TENSOR_BYTES || e < -FV_MAX_TENSOR_BYTES || e > FV_MAX_TENSOR_BYTES)
        return fv_node_error(g, n, FV_ERR_ARG, "pads %s: axis %d's pads are too large (input %s)", buf, d, fv_dims(x));
    int64_t kept = dim + (b < 0 ? b : 0) + (e < 0 ? e : 0);
    if (kept < 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "pads %s crop %lld elements from axis %d of size %lld (input %s)",
                             buf, (long long)(dim - kept), d, (long long)dim, fv_dims(x));
    int64_t grow = (b > 0 ? b : 0) > (e > 0 ? e : 0) ? (b > 0 ? b : 0) : (e > 0 ? e : 0);
    if (a->mode == FV_PAD_REFLECT && grow > 0 && grow >= kept)
        return fv_node_error(g, n, FV_ERR_SHAPE,
                             "reflect pads %s: axis %d pads %lld but keeps only %lld elements (a pad must be smaller)",
                             buf, d, (long long)grow, (long long)kept);
    if (a->mode == FV_PAD_EDGE && grow > 0 && kept == 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "edge pads %s: axis %d has no element to repeat (input %s)", buf, d,
                             fv_dims(x));
    *out = kept + (b > 0 ? b : 0) + (e > 0 ? e : 0);
    return FV_OK;
}

static fv_status pad_infer(fv_graph *g, fv_node *n)
{
    const pad_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    char what[200];
    if (a->mode != FV_PAD_CONSTANT && a->mode != FV_PAD_REFLECT && a->mode != FV_PAD_EDGE)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown mode %d (input %s)", (int)a->mode, fv_dims(x));
    if (a->n != 2 * x->ndim)
        return fv_node_error(g, n, FV_ERR_ARG, "%d pads given for input %s: needs %d (begin and end of each axis)",
                             a->n, fv_dims(x), 2 * x->ndim);
    if (a->mode == FV_PAD_CONSTANT && !value_fits(x->dtype, a->value))
        return fv_node_error(g, n, FV_ERR_ARG, "constant %g is not a %s value (input %s)", a->value,
                             fv_dtype_name(x->dtype), fv_dims(x));
    int64_t shape[FV_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        fv_status s = check_axis(g, n, d, x->shape[d], a->pads[d], a->pads[d + x->ndim], &shape[d]);
        if (s) return s;
    }
    snprintf(what, sizeof what, "input %s padded (%s)", fv_dims(x), mode_name(a->mode));
    return fv_layout_set_shape(g, n, x->dtype, x->ndim, shape, what);
}

/* The input coordinate output coordinate o reads along an axis of size dim padded by b and e, or -1 for the
 * constant. The kept part is [lo, hi). */
static int64_t source(fv_pad_kind mode, int64_t o, int64_t dim, int64_t b, int64_t e)
{
    int64_t lo = b < 0 ? -b : 0, hi = dim - (e < 0 ? -e : 0), c = o - b;
    if (c >= lo && c < hi) return c;
    if (mode == FV_PAD_CONSTANT) return -1;
    if (mode == FV_PAD_EDGE) return c < lo ? lo : hi - 1;
    int64_t len = hi - lo, period = 2 * (len - 1), r = c - lo; /* reflect; len >= 2 here (infer checked) */
    r %= period;
    if (r < 0) r += period;
    return lo + (r < len ? r : period - r);
}

static fv_status maps(fv_graph *g, fv_node *n, fv_layout_map *m)
{
    const pad_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t st[FV_MAX_DIMS];
    fv_status s = fv_layout_map_init(g, n, m, n->value.ndim, n->value.shape);
    if (s) return s;
    fv_layout_strides(x, st);
    for (int d = 0; d < m->ndim; d++)
        for (int64_t o = 0; o < m->shape[d]; o++) {
            int64_t c = source(a->mode, o, x->shape[d], a->pads[d], a->pads[d + x->ndim]);
            m->map[d][o] = c < 0 ? -1 : c * st[d];
        }
    return FV_OK;
}

static fv_status pad_forward(fv_graph *g, fv_node *n)
{
    const pad_attr *a = n->attr;
    union {
        float f;
        int32_t i;
        int64_t l;
        uint8_t b;
    } fill = {0};
    switch (n->value.dtype) {
    case FV_F32: fill.f = (float)a->value; break;
    case FV_I32: fill.i = (int32_t)a->value; break; /* exact: infer checked the range */
    case FV_I64: fill.l = (int64_t)a->value; break;
    default: fill.b = a->value != 0; break;
    }
    return fv_layout_map_forward(g, n, maps, &fill);
}

static void pad_backward(fv_graph *g, fv_node *n) { fv_layout_map_backward(g, n, maps); }

const fv_op_def fv_op_pad = {"pad", pad_infer, pad_forward, pad_backward, false};

fv_node *fv_pad(fv_graph *g, fv_node *x, int n, const int64_t *pads, fv_pad_kind mode, double value)
{
    if (!g) return NULL;
    if (n > 0 && !pads) {
        fv_error(g->ctx, FV_ERR_ARG, "pad: pads is NULL for %d entries", n);
        return NULL;
    }
    pad_attr a = {.n = n, .mode = mode, .value = value};
    if (n > 2 * FV_MAX_DIMS) a.n = 2 * FV_MAX_DIMS + 1; /* infer reports it */
    for (int i = 0; i < n && i < 2 * FV_MAX_DIMS; i++) a.pads[i] = pads[i];
    return fv_graph_add(g, FV_OP_PAD, &x, 1, 1, &a, sizeof a);
}
