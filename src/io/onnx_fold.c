/* Constant folding: the shape arithmetic exporters write around Reshape, Pad and Resize (Shape, Gather, Slice,
 * Concat, Cast ...) evaluated while importing, on int64 and float constants. The batch size is a symbol
 * (OX_DIM_BATCH), and whatever is computed from it becomes OX_DIM_UNKNOWN, so a Reshape to (N, -1) still
 * folds while nothing can silently depend on a batch size fixed at import. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

static size_t esize(ox_type t) { return t == OX_F32 ? 4 : 8; }

static fv_status out_const(ox_import *im, int k, ox_tensor *t)
{
    ox_value v = {.kind = OX_CONST, .c = *t};
    ox_set_out(im, k, v);
    return FV_OK;
}

/* A constant that shares c's data with new dimensions. */
static fv_status out_view(ox_import *im, const ox_tensor *c, int ndim, const int64_t *dims)
{
    ox_tensor v = *c;
    v.owned = false;
    v.ndim = ndim;
    for (int d = 0; d < ndim; d++) v.dims[d] = dims[d];
    return out_const(im, 0, &v);
}

static int64_t norm_axis(int64_t axis, int rank) { return axis < 0 ? axis + rank : axis; }

static fv_status bad_axis(ox_import *im, int64_t axis, int rank)
{
    return ox_fail(im, FV_ERR_FORMAT, "axis %lld is out of range for rank %d", (long long)axis, rank);
}

/* Axes from the attribute (before opset 13) or from input k. */
static fv_status axes_of(ox_import *im, int k, int64_t *axes, int *n)
{
    fv_status s = ox_attr_ints(im, "axes", axes, OX_MAX_DIMS, n);
    if (!s && *n < 0 && ox_in(im, k)) s = ox_ints_in(im, k, axes, OX_MAX_DIMS, n);
    return s;
}

fv_status ox_fold_constant(ox_import *im)
{
    const Onnx__NodeProto *nd = im->node;
    if (nd->n_attribute != 1) return ox_fail(im, FV_ERR_FORMAT, "needs exactly one value attribute");
    const Onnx__AttributeProto *a = nd->attribute[0];
    ox_tensor t;
    fv_status s;
    if (strcmp(a->name, "value") == 0) {
        if (!a->t) return ox_fail(im, FV_ERR_FORMAT, "attribute 'value' holds no tensor");
        char what[300];
        snprintf(what, sizeof what, "the value of Constant '%.250s'", ox_node_name(nd));
        ox_tensor view;
        if ((s = ox_tensor_from_proto(im, a->t, what, &view))) return s;
        return out_const(im, 0, &view); /* a view into the protobuf, which outlives the import, or its own copy */
    }
    bool fl = strncmp(a->name, "value_float", 11) == 0;
    bool many = a->name[strlen(a->name) - 1] == 's';
    int64_t n = many ? (int64_t)(fl ? a->n_floats : a->n_ints) : 1;
    if (!many && !(fl ? a->has_f : a->has_i)) return ox_fail(im, FV_ERR_FORMAT, "attribute '%s' has no value", a->name);
    if ((s = ox_tensor_alloc(im, &t, fl ? OX_F32 : OX_I64, many, &n))) return s;
    for (int64_t i = 0; i < n; i++) {
        if (fl) ((float *)t.data)[i] = many ? a->floats[i] : a->f;
        else ((int64_t *)t.data)[i] = many ? a->ints[i] : a->i;
    }
    return out_const(im, 0, &t);
}

fv_status ox_fold_identity(ox_import *im)
{
    const ox_tensor *c;
    fv_status s = ox_const_in(im, 0, &c);
    return s ? s : out_view(im, c, c->ndim, c->dims);
}

/* Shape of a layer's output (the batch as a symbol) or of a constant; opset 15's start and end. */
fv_status ox_fold_shape(ox_import *im)
{
    ox_entry *e = ox_in(im, 0);
    int64_t dims[OX_MAX_DIMS];
    int rank;
    if (e->v.kind == OX_CONST) {
        rank = e->v.c.ndim;
        memcpy(dims, e->v.c.dims, sizeof dims);
    } else {
        int layer;
        fv_status s = ox_layer_in(im, 0, &layer);
        if (s) return s;
        rank = ox_layer_dims(im, layer, dims);
    }
    int64_t start, end;
    fv_status s = ox_attr_int(im, "start", 0, &start);
    if (!s) s = ox_attr_int(im, "end", rank, &end);
    if (s) return s;
    start = norm_axis(start, rank), end = norm_axis(end, rank);
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < start ? start : end > rank ? rank : end;
    ox_tensor t;
    int64_t n = end - start;
    if ((s = ox_tensor_alloc(im, &t, OX_I64, 1, &n))) return s;
    for (int64_t i = 0; i < n; i++) ((int64_t *)t.data)[i] = dims[start + i];
    return out_const(im, 0, &t);
}

/* Size: the element count, a constant (the batch symbol's multiples stay symbols). */
fv_status ox_fold_size(ox_import *im)
{
    ox_entry *e = ox_in(im, 0);
    int64_t dims[OX_MAX_DIMS], n = 1;
    int rank;
    if (e->v.kind == OX_CONST) {
        rank = e->v.c.ndim;
        memcpy(dims, e->v.c.dims, sizeof dims);
    } else {
        int layer;
        fv_status s = ox_layer_in(im, 0, &layer);
        if (s) return s;
        rank = ox_layer_dims(im, layer, dims);
    }
    for (int d = 0; d < rank; d++) n = OX_IS_SYMBOL(dims[d]) || OX_IS_SYMBOL(n) ? OX_DIM_UNKNOWN : n * dims[d];
    ox_tensor t;
    fv_status s = ox_tensor_alloc(im, &t, OX_I64, 0, NULL);
    if (s) return s;
    ((int64_t *)t.data)[0] = n;
    return out_const(im, 0, &t);
}

static void copy_elem(ox_tensor *dst, int64_t i, const ox_tensor *src, int64_t j)
{
    size_t sz = esize(src->type);
    memcpy((char *)dst->data + (size_t)i * sz, (const char *)src->data + (size_t)j * sz, sz);
}

fv_status ox_fold_gather(ox_import *im)
{
    const ox_tensor *data, *idx;
    int64_t axis;
    fv_status s = ox_const_in(im, 0, &data);
    if (!s) s = ox_const_in(im, 1, &idx);
    if (!s) s = ox_attr_int(im, "axis", 0, &axis);
    if (s) return s;
    int r = data->ndim;
    axis = norm_axis(axis, r);
    if (axis < 0 || axis >= r) return bad_axis(im, axis, r);
    if (idx->type != OX_I64) return ox_fail(im, FV_ERR_FORMAT, "indices must be integers");
    if (r + idx->ndim - 1 > OX_MAX_DIMS) return ox_fail(im, FV_ERR_UNSUPPORTED, "result of more than 8 dimensions");
    int64_t dims[OX_MAX_DIMS], outer = 1, inner = 1, len = data->dims[axis];
    int nd = 0;
    for (int d = 0; d < axis; d++) outer *= data->dims[d], dims[nd++] = data->dims[d];
    for (int d = 0; d < idx->ndim; d++) dims[nd++] = idx->dims[d];
    for (int d = (int)axis + 1; d < r; d++) inner *= data->dims[d], dims[nd++] = data->dims[d];
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, data->type, nd, dims))) return s;
    for (int64_t o = 0, i = 0; o < outer; o++)
        for (int64_t q = 0; q < idx->n; q++) {
            int64_t j = ((const int64_t *)idx->data)[q];
            if (j < 0) j += len;
            if (j < 0 || j >= len) {
                ox_tensor_free(&t);
                return ox_fail(im, FV_ERR_FORMAT, "index %lld is out of range for a dimension of %lld",
                               (long long)((const int64_t *)idx->data)[q], (long long)len);
            }
            for (int64_t k = 0; k < inner; k++) copy_elem(&t, i++, data, (o * len + j) * inner + k);
        }
    return out_const(im, 0, &t);
}

fv_status ox_fold_unsqueeze(ox_import *im)
{
    const ox_tensor *c;
    int64_t axes[OX_MAX_DIMS];
    int n;
    fv_status s = ox_const_in(im, 0, &c);
    if (!s) s = axes_of(im, 1, axes, &n);
    if (s) return s;
    if (n < 0) return ox_fail(im, FV_ERR_FORMAT, "has no axes");
    int r = c->ndim + n;
    if (r > OX_MAX_DIMS) return ox_fail(im, FV_ERR_UNSUPPORTED, "result of more than 8 dimensions");
    bool added[OX_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        int64_t a = norm_axis(axes[i], r);
        if (a < 0 || a >= r || added[a]) return bad_axis(im, axes[i], r);
        added[a] = true;
    }
    int64_t dims[OX_MAX_DIMS];
    for (int d = 0, k = 0; d < r; d++) dims[d] = added[d] ? 1 : c->dims[k++];
    return out_view(im, c, r, dims);
}

fv_status ox_fold_squeeze(ox_import *im)
{
    const ox_tensor *c;
    int64_t axes[OX_MAX_DIMS];
    int n;
    fv_status s = ox_const_in(im, 0, &c);
    if (!s) s = axes_of(im, 1, axes, &n);
    if (s) return s;
    bool drop[OX_MAX_DIMS] = {false};
    for (int d = 0; n < 0 && d < c->ndim; d++) drop[d] = c->dims[d] == 1;
    for (int i = 0; i < n; i++) {
        int64_t a = norm_axis(axes[i], c->ndim);
        if (a < 0 || a >= c->ndim || c->dims[a] != 1) return bad_axis(im, axes[i], c->ndim);
        drop[a] = true;
    }
    int64_t dims[OX_MAX_DIMS];
    int r = 0;
    for (int d = 0; d < c->ndim; d++)
        if (!drop[d]) dims[r++] = c->dims[d];
    return out_view(im, c, r, dims);
}

fv_status ox_fold_flatten(ox_import *im)
{
    const ox_tensor *c;
    int64_t axis;
    fv_status s = ox_const_in(im, 0, &c);
    if (!s) s = ox_attr_int(im, "axis", 1, &axis);
    if (s) return s;
    axis = norm_axis(axis, c->ndim);
    if (axis < 0 || axis > c->ndim) return bad_axis(im, axis, c->ndim);
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < c->ndim; d++) dims[d >= axis] *= c->dims[d];
    return out_view(im, c, 2, dims);
}

fv_status ox_fold_concat(ox_import *im)
{
    const Onnx__NodeProto *nd = im->node;
    const ox_tensor *first;
    int64_t axis;
    fv_status s = ox_const_in(im, 0, &first);
    if (!s) s = ox_attr_int(im, "axis", im->opset < 4 ? 1 : 0, &axis); /* optional, 1, before opset 4 */
    if (s) return s;
    int r = first->ndim;
    axis = norm_axis(axis, r);
    if (axis < 0 || axis >= r) return bad_axis(im, axis, r);
    int64_t dims[OX_MAX_DIMS], outer = 1, inner = 1;
    memcpy(dims, first->dims, sizeof dims);
    dims[axis] = 0;
    for (size_t k = 0; k < nd->n_input; k++) {
        const ox_tensor *c;
        if ((s = ox_const_in(im, (int)k, &c))) return s;
        bool ok = c->ndim == r && c->type == first->type;
        for (int d = 0; ok && d < r; d++) ok = d == axis || c->dims[d] == first->dims[d];
        if (!ok) return ox_fail(im, FV_ERR_SHAPE, "input %zu does not match the others in type or dimensions", k);
        dims[axis] += c->dims[axis];
    }
    for (int d = 0; d < axis; d++) outer *= dims[d];
    for (int d = (int)axis + 1; d < r; d++) inner *= dims[d];
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, first->type, r, dims))) return s;
    int64_t i = 0;
    for (int64_t o = 0; o < outer; o++)
        for (size_t k = 0; k < nd->n_input; k++) {
            const ox_tensor *c = &ox_in(im, (int)k)->v.c;
            int64_t chunk = c->dims[axis] * inner;
            for (int64_t j = 0; j < chunk; j++) copy_elem(&t, i++, c, o * chunk + j);
        }
    return out_const(im, 0, &t);
}

fv_status ox_fold_cast(ox_import *im)
{
    const ox_tensor *c;
    int64_t to;
    fv_status s = ox_const_in(im, 0, &c);
    if (!s) s = ox_attr_int(im, "to", 0, &to);
    if (s) return s;
    bool to_float = to == OX_T_FLOAT || to == OX_T_DOUBLE || to == OX_T_FLOAT16;
    bool to_int = to == OX_T_INT64 || to == OX_T_INT32 || to == OX_T_INT16 || to == OX_T_INT8 || to == OX_T_UINT8 ||
                  to == OX_T_UINT16 || to == OX_T_UINT32 || to == OX_T_UINT64 || to == OX_T_BOOL;
    if (!to_float && !to_int) return ox_fail(im, FV_ERR_UNSUPPORTED, "cast to data type %lld", (long long)to);
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, to_float ? OX_F32 : OX_I64, c->ndim, c->dims))) return s;
    for (int64_t i = 0; i < c->n; i++) {
        if (to_float) {
            if (c->type == OX_I64 && OX_IS_SYMBOL(((const int64_t *)c->data)[i])) {
                ox_tensor_free(&t);
                return ox_fail(im, FV_ERR_UNSUPPORTED, "casts a value computed from the batch size to float");
            }
            ((float *)t.data)[i] = (float)ox_get_f(c, i);
            continue;
        }
        int64_t v;
        if (c->type == OX_F32) {
            double f = ox_get_f(c, i);
            if (!(f > -9e18 && f < 9e18)) {
                ox_tensor_free(&t);
                return ox_fail(im, FV_ERR_UNSUPPORTED, "casts %g to an integer", f);
            }
            v = (int64_t)f;
        } else {
            v = ((const int64_t *)c->data)[i];
        }
        ((int64_t *)t.data)[i] = to == OX_T_BOOL && !OX_IS_SYMBOL(v) ? v != 0 : v;
    }
    return out_const(im, 0, &t);
}

/* One axis of a Slice, with ONNX's clamping: the first index and the count. A step longer than the axis takes
 * one element at most, so it is clamped to d + 1 (in *step too): the sums below cannot overflow then. */
static void slice_axis(int64_t d, int64_t start, int64_t end, int64_t *stepp, int64_t *first, int64_t *count)
{
    int64_t step = *stepp = *stepp > d ? d + 1 : *stepp < -d ? -d - 1 : *stepp;
    if (start < 0) start += d;
    if (end < 0) end += d;
    if (step > 0) {
        start = start < 0 ? 0 : start > d ? d : start;
        end = end < 0 ? 0 : end > d ? d : end;
        *count = end > start ? (end - start + step - 1) / step : 0;
    } else {
        start = start < 0 ? 0 : start > d - 1 ? d - 1 : start;
        end = end < -1 ? -1 : end > d - 1 ? d - 1 : end;
        *count = start > end ? (start - end - step - 1) / -step : 0;
    }
    *first = start;
}

fv_status ox_fold_slice(ox_import *im)
{
    const ox_tensor *c;
    fv_status s = ox_const_in(im, 0, &c);
    if (s) return s;
    int r = c->ndim;
    int64_t starts[OX_MAX_DIMS], ends[OX_MAX_DIMS], axes[OX_MAX_DIMS], steps[OX_MAX_DIMS];
    int ns, ne, na = -1, nt = -1;
    if (im->opset < 10) {
        s = ox_attr_ints(im, "starts", starts, OX_MAX_DIMS, &ns);
        if (!s) s = ox_attr_ints(im, "ends", ends, OX_MAX_DIMS, &ne);
        if (!s) s = ox_attr_ints(im, "axes", axes, OX_MAX_DIMS, &na);
    } else {
        s = ox_ints_in(im, 1, starts, OX_MAX_DIMS, &ns);
        if (!s) s = ox_ints_in(im, 2, ends, OX_MAX_DIMS, &ne);
        if (!s && ox_in(im, 3)) s = ox_ints_in(im, 3, axes, OX_MAX_DIMS, &na);
        if (!s && ox_in(im, 4)) s = ox_ints_in(im, 4, steps, OX_MAX_DIMS, &nt);
    }
    if (s) return s;
    if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nt >= 0 && nt != ns))
        return ox_fail(im, FV_ERR_FORMAT, "starts, ends, axes and steps differ in length");
    int64_t first[OX_MAX_DIMS], step[OX_MAX_DIMS], dims[OX_MAX_DIMS];
    for (int d = 0; d < r; d++) first[d] = 0, step[d] = 1, dims[d] = c->dims[d];
    for (int i = 0; i < ns; i++) {
        int64_t a = na >= 0 ? norm_axis(axes[i], r) : i;
        int64_t st = nt >= 0 ? steps[i] : 1;
        if (a < 0 || a >= r) return bad_axis(im, na >= 0 ? axes[i] : i, r);
        if (st == 0) return ox_fail(im, FV_ERR_FORMAT, "a step of 0");
        step[a] = st;
        slice_axis(c->dims[a], starts[i], ends[i], &step[a], &first[a], &dims[a]);
    }
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, c->type, r, dims))) return s;
    int64_t idx[OX_MAX_DIMS] = {0};
    for (int64_t i = 0; i < t.n; i++) {
        int64_t src = 0;
        for (int d = 0; d < r; d++) src = src * c->dims[d] + first[d] + idx[d] * step[d];
        copy_elem(&t, i, c, src);
        for (int d = r - 1; d >= 0 && ++idx[d] == dims[d]; d--) idx[d] = 0;
    }
    return out_const(im, 0, &t);
}

fv_status ox_fold_reshape(ox_import *im)
{
    const ox_tensor *c;
    int64_t shape[OX_MAX_DIMS], allowzero = 0;
    int n;
    fv_status s = ox_const_in(im, 0, &c);
    if (!s) s = ox_ints_in(im, 1, shape, OX_MAX_DIMS, &n);
    if (!s) s = ox_attr_int(im, "allowzero", 0, &allowzero);
    if (s) return s;
    int64_t known = 1;
    int infer = -1;
    for (int d = 0; d < n; d++) {
        if (shape[d] == 0 && !allowzero) {
            if (d >= c->ndim) return ox_fail(im, FV_ERR_SHAPE, "copies dimension %d of a rank-%d tensor", d, c->ndim);
            shape[d] = c->dims[d];
        }
        if (shape[d] == -1 && infer < 0) infer = d;
        else if (shape[d] < 0) return ox_fail(im, FV_ERR_SHAPE, "a dimension of %lld", (long long)shape[d]);
        else if (!fv_size_mul(known, shape[d], OX_MAX_ELEMENTS, &known))
            return ox_fail(im, FV_ERR_SHAPE, "dimension %d of the new shape (%lld) makes more than 2^31 elements", d,
                           (long long)shape[d]);
    }
    if (infer >= 0) shape[infer] = known ? c->n / known : 0;
    if ((infer >= 0 && known * shape[infer] != c->n) || (infer < 0 && known != c->n))
        return ox_fail(im, FV_ERR_SHAPE, "%lld elements cannot take the new shape", (long long)c->n);
    return out_view(im, c, n, shape);
}

/* Broadcast dimensions of a and b (NumPy rules) into dims; returns the rank or -1. */
static int broadcast(const ox_tensor *a, const ox_tensor *b, int64_t *dims)
{
    int r = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < r; d++) {
        int64_t x = d - (r - a->ndim) >= 0 ? a->dims[d - (r - a->ndim)] : 1;
        int64_t y = d - (r - b->ndim) >= 0 ? b->dims[d - (r - b->ndim)] : 1;
        if (x != y && x != 1 && y != 1) return -1;
        dims[d] = x == 1 ? y : x;
    }
    return r;
}

/* The flat index into t of an output position idx (rank r) under broadcasting. */
static int64_t source_index(const ox_tensor *t, const int64_t *idx, int r)
{
    int64_t j = 0;
    for (int d = r - t->ndim; d < r; d++) {
        int64_t dim = t->dims[d - (r - t->ndim)];
        j = j * dim + (dim == 1 ? 0 : idx[d]);
    }
    return j;
}

static bool int_op(char op, int64_t x, int64_t y, int64_t *out)
{
    if (OX_IS_SYMBOL(x) || OX_IS_SYMBOL(y)) {
        *out = OX_DIM_UNKNOWN;
        return true;
    }
    switch (op) {
    case '+': return !__builtin_add_overflow(x, y, out);
    case '-': return !__builtin_sub_overflow(x, y, out);
    case '*': return !__builtin_mul_overflow(x, y, out);
    case '%': /* ONNX's Mod with fmod 0: the sign of the divisor, as Python's % */
        if (y == 0 || (x == INT64_MIN && y == -1)) return false;
        *out = x % y;
        if (*out && (*out < 0) != (y < 0)) *out += y;
        return true;
    default:
        if (y == 0 || (x == INT64_MIN && y == -1)) return false;
        *out = x / y;
        return true;
    }
}

fv_status ox_fold_binary(ox_import *im)
{
    const ox_tensor *a, *b;
    fv_status s = ox_const_in(im, 0, &a);
    if (!s) s = ox_const_in(im, 1, &b);
    if (s) return s;
    const char *name = im->node->op_type;
    char op = strcmp(name, "Add") == 0 ? '+' : strcmp(name, "Sub") == 0 ? '-' : strcmp(name, "Mul") == 0 ? '*'
            : strcmp(name, "Mod") == 0 ? '%' : '/';
    if (a->type != b->type) return ox_fail(im, FV_ERR_FORMAT, "inputs of different types");
    int64_t fmod_flag = 0;
    if (op == '%' && (s = ox_attr_int(im, "fmod", 0, &fmod_flag))) return s;
    if (fmod_flag && a->type != OX_F32)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "fmod=1 on integers (C's remainder) is not supported");
    if (!fmod_flag && op == '%' && a->type == OX_F32)
        return ox_fail(im, FV_ERR_FORMAT, "Mod of floats needs fmod=1");
    int64_t dims[OX_MAX_DIMS];
    int r = broadcast(a, b, dims);
    if (r < 0) return ox_fail(im, FV_ERR_SHAPE, "inputs of shapes that do not broadcast");
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, a->type, r, dims))) return s;
    int64_t idx[OX_MAX_DIMS] = {0};
    for (int64_t i = 0; i < t.n; i++) {
        int64_t ja = source_index(a, idx, r), jb = source_index(b, idx, r);
        if (t.type == OX_F32) {
            float x = ((const float *)a->data)[ja], y = ((const float *)b->data)[jb];
            ((float *)t.data)[i] = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y
                                 : op == '%' ? fmodf(x, y) : x / y; /* float Mod is fmod=1: C's fmodf */
        } else if (!int_op(op, ((const int64_t *)a->data)[ja], ((const int64_t *)b->data)[jb], (int64_t *)t.data + i)) {
            ox_tensor_free(&t);
            return ox_fail(im, FV_ERR_FORMAT, "integer overflow or division by zero");
        }
        for (int d = r - 1; d >= 0 && ++idx[d] == dims[d]; d--) idx[d] = 0;
    }
    return out_const(im, 0, &t);
}

/* Whether x == y, x < y or x > y for shape arithmetic, or -1 when a batch-dependent size makes it unknown. A
 * size is never negative, so a symbol differs from (and exceeds) any negative number: PyTorch's export of
 * expand(n, -1, -1) compares the shape with -1. */
static int compare_ints(char op, int64_t x, int64_t y)
{
    bool sx = OX_IS_SYMBOL(x), sy = OX_IS_SYMBOL(y);
    if (!sx && !sy) return op == '=' ? x == y : op == '<' ? x < y : x > y;
    if (op == '=' && x == OX_DIM_BATCH && y == OX_DIM_BATCH) return 1;
    if ((sx && !sy && y < 0) || (sy && !sx && x < 0)) return op == '=' ? 0 : op == '<' ? sy : sx;
    return -1;
}

fv_status ox_fold_compare(ox_import *im)
{
    const ox_tensor *a, *b;
    fv_status s = ox_const_in(im, 0, &a);
    if (!s) s = ox_const_in(im, 1, &b);
    if (s) return s;
    const char *name = im->node->op_type;
    char op = strcmp(name, "Equal") == 0 ? '=' : strcmp(name, "Less") == 0 ? '<' : '>';
    if (a->type != b->type) return ox_fail(im, FV_ERR_FORMAT, "inputs of different types");
    int64_t dims[OX_MAX_DIMS];
    int r = broadcast(a, b, dims);
    if (r < 0) return ox_fail(im, FV_ERR_SHAPE, "inputs of shapes that do not broadcast");
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, OX_I64, r, dims))) return s;
    t.is_bool = true;
    int64_t idx[OX_MAX_DIMS] = {0};
    for (int64_t i = 0; i < t.n; i++) {
        int64_t ja = source_index(a, idx, r), jb = source_index(b, idx, r);
        int v;
        if (a->type == OX_F32) {
            float x = ((const float *)a->data)[ja], y = ((const float *)b->data)[jb];
            v = op == '=' ? x == y : op == '<' ? x < y : x > y;
        } else {
            v = compare_ints(op, ((const int64_t *)a->data)[ja], ((const int64_t *)b->data)[jb]);
        }
        if (v < 0) {
            ox_tensor_free(&t);
            return ox_fail(im, FV_ERR_UNSUPPORTED, "compares a size that depends on the batch with %s",
                           "another such size or a positive number: the answer depends on the batch size");
        }
        ((int64_t *)t.data)[i] = v;
        for (int d = r - 1; d >= 0 && ++idx[d] == dims[d]; d--) idx[d] = 0;
    }
    return out_const(im, 0, &t);
}

/* Where on constants: the condition picks from a or b, all three broadcast together. */
fv_status ox_fold_where(ox_import *im)
{
    const ox_tensor *c, *a, *b;
    fv_status s = ox_const_in(im, 0, &c);
    if (!s) s = ox_const_in(im, 1, &a);
    if (!s) s = ox_const_in(im, 2, &b);
    if (s) return s;
    if (a->type != b->type || c->type != OX_I64) return ox_fail(im, FV_ERR_FORMAT, "inputs of mismatched types");
    int64_t ab[OX_MAX_DIMS], dims[OX_MAX_DIMS];
    int rab = broadcast(a, b, ab);
    ox_tensor tab = {.ndim = rab < 0 ? 0 : rab};
    for (int d = 0; d < tab.ndim; d++) tab.dims[d] = ab[d];
    int r = rab < 0 ? -1 : broadcast(c, &tab, dims);
    if (r < 0) return ox_fail(im, FV_ERR_SHAPE, "inputs of shapes that do not broadcast");
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, a->type, r, dims))) return s;
    int64_t idx[OX_MAX_DIMS] = {0};
    for (int64_t i = 0; i < t.n; i++) {
        bool pick_a = ((const int64_t *)c->data)[source_index(c, idx, r)] != 0;
        const ox_tensor *src = pick_a ? a : b;
        int64_t j = source_index(src, idx, r);
        if (t.type == OX_F32) ((float *)t.data)[i] = ((const float *)src->data)[j];
        else ((int64_t *)t.data)[i] = ((const int64_t *)src->data)[j];
        for (int d = r - 1; d >= 0 && ++idx[d] == dims[d]; d--) idx[d] = 0;
    }
    return out_const(im, 0, &t);
}

/* ScatterND on constants (reduction none): Swin's attention mask is made by slice assignments into a zero
 * tensor, which PyTorch exports as ScatterND of constants. indices (..., k) address the first k axes of data;
 * each addressed slice takes the matching slice of updates, later writes winning. */
fv_status ox_fold_scatter_nd(ox_import *im)
{
    const ox_tensor *data, *idx, *upd;
    fv_status s = ox_const_in(im, 0, &data);
    if (!s) s = ox_const_in(im, 1, &idx);
    if (!s) s = ox_const_in(im, 2, &upd);
    if (s) return s;
    char reduction[16];
    if ((s = ox_attr_string(im, "reduction", "none", reduction, sizeof reduction))) return s;
    if (strcmp(reduction, "none") != 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "reduction '%s'", reduction);
    if (idx->type != OX_I64 || idx->ndim < 1 || upd->type != data->type)
        return ox_fail(im, FV_ERR_FORMAT, "indices must be int64 and updates of the data's type");
    int k = (int)idx->dims[idx->ndim - 1];
    if (k < 1 || k > data->ndim || idx->ndim - 1 + data->ndim - k != upd->ndim)
        return ox_fail(im, FV_ERR_SHAPE, "indices of last dimension %d do not fit data of rank %d and updates of "
                       "rank %d", k, data->ndim, upd->ndim);
    int64_t slice = 1, count = idx->n / k;
    for (int d = k; d < data->ndim; d++) slice *= data->dims[d];
    for (int d = 0; d < idx->ndim - 1; d++)
        if (upd->dims[d] != idx->dims[d]) return ox_fail(im, FV_ERR_SHAPE, "updates do not match the indices");
    for (int d = k; d < data->ndim; d++)
        if (upd->dims[idx->ndim - 1 + d - k] != data->dims[d])
            return ox_fail(im, FV_ERR_SHAPE, "updates do not match the data's slices");
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, data->type, data->ndim, data->dims))) return s;
    t.is_bool = data->is_bool;
    size_t elem = data->type == OX_F32 ? sizeof(float) : sizeof(int64_t);
    memcpy(t.data, data->data, (size_t)data->n * elem);
    for (int64_t i = 0; i < count; i++) {
        int64_t at = 0;
        for (int d = 0; d < k; d++) {
            int64_t v = ((const int64_t *)idx->data)[i * k + d];
            if (v < 0) v += data->dims[d];
            if (OX_IS_SYMBOL(v) || v < 0 || v >= data->dims[d]) {
                ox_tensor_free(&t);
                return ox_fail(im, FV_ERR_SHAPE, "index %lld of axis %d is out of range [0, %lld)",
                               (long long)((const int64_t *)idx->data)[i * k + d], d, (long long)data->dims[d]);
            }
            at = at * data->dims[d] + v;
        }
        memcpy((char *)t.data + (size_t)(at * slice) * elem, (const char *)upd->data + (size_t)(i * slice) * elem,
               (size_t)slice * elem);
    }
    return out_const(im, 0, &t);
}

fv_status ox_fold_expand(ox_import *im)
{
    const ox_tensor *x, *shape;
    fv_status s = ox_const_in(im, 0, &x);
    if (!s) s = ox_const_in(im, 1, &shape);
    if (s) return s;
    if (shape->type != OX_I64 || shape->ndim != 1 || shape->n > OX_MAX_DIMS)
        return ox_fail(im, FV_ERR_FORMAT, "the shape must be an int64 vector of at most %d entries", OX_MAX_DIMS);
    ox_tensor target = {.type = OX_I64, .ndim = (int)shape->n};
    for (int d = 0; d < target.ndim; d++) {
        target.dims[d] = ((const int64_t *)shape->data)[d];
        if (OX_IS_SYMBOL(target.dims[d])) return ox_layout_expand(im); /* follows the batch: a layer */
        if (target.dims[d] < 0) return ox_fail(im, FV_ERR_SHAPE, "shape entry %d is %lld", d, (long long)target.dims[d]);
    }
    int64_t dims[OX_MAX_DIMS];
    int r = broadcast(x, &target, dims);
    if (r < 0) return ox_fail(im, FV_ERR_SHAPE, "the input does not broadcast to the shape");
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, x->type, r, dims))) return s;
    t.is_bool = x->is_bool;
    int64_t idx[OX_MAX_DIMS] = {0};
    for (int64_t i = 0; i < t.n; i++) {
        int64_t j = source_index(x, idx, r);
        if (t.type == OX_F32) ((float *)t.data)[i] = ((const float *)x->data)[j];
        else ((int64_t *)t.data)[i] = ((const int64_t *)x->data)[j];
        for (int d = r - 1; d >= 0 && ++idx[d] == dims[d]; d--) idx[d] = 0;
    }
    return out_const(im, 0, &t);
}

fv_status ox_fold_unary(ox_import *im)
{
    const ox_tensor *c;
    fv_status s = ox_const_in(im, 0, &c);
    if (s) return s;
    const char *op = im->node->op_type;
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, c->type, c->ndim, c->dims))) return s;
    for (int64_t i = 0; i < c->n; i++) {
        if (c->type == OX_F32) {
            float x = ((const float *)c->data)[i];
            ((float *)t.data)[i] = op[0] == 'F' ? floorf(x) : op[0] == 'C' ? ceilf(x) : -x;
        } else {
            int64_t x = ((const int64_t *)c->data)[i];
            ((int64_t *)t.data)[i] = op[0] != 'N' || OX_IS_SYMBOL(x) ? (op[0] == 'N' ? OX_DIM_UNKNOWN : x)
                                     : x == INT64_MIN ? OX_DIM_UNKNOWN : -x;
        }
    }
    return out_const(im, 0, &t);
}

fv_status ox_fold_constant_of_shape(ox_import *im)
{
    int64_t dims[OX_MAX_DIMS];
    int n;
    fv_status s = ox_ints_in(im, 0, dims, OX_MAX_DIMS, &n);
    if (s) return s;
    ox_tensor value = {.type = OX_F32, .n = 1, .data = (float[]){0.0f}};
    const Onnx__AttributeProto *a = ox_attr(im, "value");
    if (a) {
        if (!a->t) return ox_fail(im, FV_ERR_FORMAT, "attribute 'value' holds no tensor");
        if ((s = ox_tensor_from_proto(im, a->t, "attribute 'value'", &value))) return s;
        if (value.n != 1) {
            ox_tensor_free(&value);
            return ox_fail(im, FV_ERR_FORMAT, "attribute 'value' must hold one value");
        }
    }
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, value.type, n, dims)) == FV_OK)
        for (int64_t i = 0; i < t.n; i++) copy_elem(&t, i, &value, 0);
    ox_tensor_free(&value);
    return s ? s : out_const(im, 0, &t);
}

fv_status ox_fold_transpose(ox_import *im)
{
    const ox_tensor *c;
    int64_t perm[OX_MAX_DIMS];
    int n;
    fv_status s = ox_const_in(im, 0, &c);
    if (!s) s = ox_attr_ints(im, "perm", perm, OX_MAX_DIMS, &n);
    if (s) return s;
    int r = c->ndim;
    if (n < 0)
        for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
    else if (n != r) return ox_fail(im, FV_ERR_FORMAT, "perm has %d values for rank %d", n, r);
    bool seen[OX_MAX_DIMS] = {false};
    int64_t dims[OX_MAX_DIMS], stride[OX_MAX_DIMS];
    int64_t acc = 1;
    for (int d = r - 1; d >= 0; d--) stride[d] = acc, acc *= c->dims[d];
    for (int d = 0; d < r; d++) {
        if (perm[d] < 0 || perm[d] >= r || seen[perm[d]]) return ox_fail(im, FV_ERR_FORMAT, "perm is not a permutation");
        seen[perm[d]] = true;
        dims[d] = c->dims[perm[d]];
    }
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, c->type, r, dims))) return s;
    int64_t idx[OX_MAX_DIMS] = {0};
    for (int64_t i = 0; i < t.n; i++) {
        int64_t src = 0;
        for (int d = 0; d < r; d++) src += idx[d] * stride[perm[d]];
        copy_elem(&t, i, c, src);
        for (int d = r - 1; d >= 0 && ++idx[d] == dims[d]; d--) idx[d] = 0;
    }
    return out_const(im, 0, &t);
}

fv_status ox_fold_range(ox_import *im)
{
    const ox_tensor *in[3];
    fv_status s = FV_OK;
    for (int k = 0; k < 3 && !s; k++) s = ox_const_in(im, k, &in[k]);
    if (s) return s;
    for (int k = 0; k < 3; k++)
        if (in[k]->n != 1 || in[k]->type != in[0]->type || (in[k]->type == OX_I64 && OX_IS_SYMBOL(ox_get_i(in[k], 0))))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "start, limit and delta must be scalars of one type");
    double start = ox_get_f(in[0], 0), limit = ox_get_f(in[1], 0), delta = ox_get_f(in[2], 0);
    double count = delta != 0 ? ceil((limit - start) / delta) : -1;
    if (!(count >= 0 && count <= 1e7)) return ox_fail(im, FV_ERR_UNSUPPORTED, "a range of %g elements", count);
    int64_t n = (int64_t)count;
    ox_tensor t;
    if ((s = ox_tensor_alloc(im, &t, in[0]->type, 1, &n))) return s;
    for (int64_t i = 0; i < n; i++) {
        if (t.type == OX_F32) ((float *)t.data)[i] = (float)(start + (double)i * delta);
        else ((int64_t *)t.data)[i] = ox_get_i(in[0], 0) + i * ox_get_i(in[2], 0);
    }
    return out_const(im, 0, &t);
}
