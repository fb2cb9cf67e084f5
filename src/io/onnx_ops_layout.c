/* ONNX operators of the layout family that need more than the generic translation (onnx_generic.c): their
 * handlers. Tile, GatherElements, ScatterElements, DepthToSpace and SpaceToDepth map one to one onto the layer
 * types of src/nn/layers_layout.c and are imported from those rows. The handlers of the main table
 * (onnx_ops.c: Reshape, Squeeze, Flatten, Pad, Transpose, Unsqueeze, Gather, Slice) call these for the cases
 * their older patterns do not cover. Shapes folded from Shape arithmetic hold the batch size as OX_DIM_BATCH:
 * reshape writes 0 for it (copy the input's batch), expand reads it from a batched layer (`like`). */
#include <stdio.h>
#include <string.h>

#include "onnx_internal.h"

fv_status ox_layout_generic(ox_import *im)
{
    const fv_generic_type *t = ox_generic_type(im->node->op_type, im->opset);
    if (!t) return ox_fail(im, FV_ERR_UNSUPPORTED, "no fovea layer takes this operator at opset %lld", (long long)im->opset);
    return ox_import_generic(im, t);
}

/* Reshape of layer x to shape (n entries as the file gives them, symbols included) as a reshape layer: the
 * batch symbol where the input has the batch itself at the same position becomes 0 (copy it), one other
 * batch-dependent entry -1 (Swin's windows (batch x 16, 49, 96) back to (batch, 4, 4, 7, 7, 96) take -1). */
fv_status ox_layout_reshape(ox_import *im, int x, const int64_t *shape, int n, bool allowzero)
{
    int64_t want[OX_MAX_DIMS], xd[OX_MAX_DIMS];
    int r = ox_layer_dims(im, x, xd);
    bool batched = false, infer = false;
    for (int d = 0; d < r; d++) batched |= OX_IS_SYMBOL(xd[d]) || (im->batch > 0 && fv_model_layer_batched(im->m, x));
    for (int d = 0; d < n; d++) infer |= shape[d] == -1;
    for (int d = 0; d < n; d++) {
        want[d] = shape[d];
        if (d < r && shape[d] == OX_DIM_BATCH && xd[d] == OX_DIM_BATCH) want[d] = 0;
        else if (OX_IS_SYMBOL(shape[d])) {
            if (infer)
                return ox_fail(im, FV_ERR_UNSUPPORTED, "the target shape has more than one dimension depending on "
                               "the batch size or unknown (entry %d); fovea needs all but one known", d);
            want[d] = -1, infer = true;
        } else if (shape[d] < -1) return ox_fail(im, FV_ERR_FORMAT, "shape entry %d is %lld", d, (long long)shape[d]);
        else if (shape[d] == 0 && allowzero)
            return ox_fail(im, FV_ERR_UNSUPPORTED, "allowzero with a 0 in the shape (an empty dimension)");
    }
    bool follows = !batched || im->batch != OX_DIM_BATCH;
    for (int d = 0; d < n; d++) follows |= want[d] == -1 || (want[d] == 0 && d < r && OX_IS_SYMBOL(xd[d]));
    if (!follows) { /* a fixed shape of a batched tensor holds at one batch size only */
        char text[200] = "";
        for (int d = 0; d < n; d++)
            snprintf(text + strlen(text), sizeof text - strlen(text), "%s%lld", d ? ", " : "", (long long)want[d]);
        return ox_fail(im, FV_ERR_UNSUPPORTED, "reshape of a batched tensor to the fixed shape (%s): it would hold at "
                       "one batch size only", text);
    }
    fv_layer_spec spec = fv_spec_of_type("reshape", NULL);
    ox_key_ints(&spec.a.dims, want, n); /* the key shape= */
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* Flatten at another axis than 1. */
fv_status ox_layout_flatten(ox_import *im, int x, int64_t axis, int rank)
{
    if (axis < -rank || axis > rank) return ox_fail(im, FV_ERR_FORMAT, "axis %lld of a rank-%d input", (long long)axis, rank);
    if (axis < 0) axis += rank;
    if (axis >= FV_MAX_DIMS) return ox_fail(im, FV_ERR_UNSUPPORTED, "axis %lld of a rank-%d input", (long long)axis, rank);
    fv_layer_spec spec = fv_spec_of_type("flatten_axis", NULL);
    spec.a.axis = (int)axis;
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* Pad of any rank and mode constant, reflect or edge: pads from the attribute (before opset 11) or input 1,
 * the value from the attribute or input 2, axes from input 3 (opset 18). */
fv_status ox_layout_pad(ox_import *im)
{
    int x, n = -1, na = -1;
    int64_t pads[2 * OX_MAX_DIMS], axes[OX_MAX_DIMS], full[2 * FV_MAX_DIMS] = {0}, xd[OX_MAX_DIMS];
    float value = 0.0f;
    char mode[32];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_string(im, "mode", "constant", mode, sizeof mode);
    if (!s && im->opset < 11) s = ox_attr_ints(im, "pads", pads, 2 * OX_MAX_DIMS, &n);
    if (!s && im->opset < 11) s = ox_attr_float(im, "value", 0.0f, &value);
    if (!s && im->opset >= 11) s = ox_ints_in(im, 1, pads, 2 * OX_MAX_DIMS, &n);
    if (!s && ox_in(im, 3)) s = ox_ints_in(im, 3, axes, OX_MAX_DIMS, &na);
    if (s) return s;
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "mode '%s' (fovea pads with constant, reflect or edge)", mode);
    if (ox_in(im, 2)) {
        const ox_tensor *c;
        if ((s = ox_const_in(im, 2, &c))) return s;
        if (c->n != 1 || (c->type == OX_I64 && OX_IS_SYMBOL(ox_get_i(c, 0))))
            return ox_fail(im, FV_ERR_UNSUPPORTED, "a constant_value that is not one number");
        value = (float)ox_get_f(c, 0);
    }
    int r = ox_layer_dims(im, x, xd);
    if (na < 0) {
        if (n != 2 * r) return ox_fail(im, FV_ERR_FORMAT, "%d pads for a rank-%d input (%d expected)", n, r, 2 * r);
        memcpy(full, pads, (size_t)n * sizeof *full);
    } else {
        if (n != 2 * na) return ox_fail(im, FV_ERR_FORMAT, "%d pads for %d axes", n, na);
        for (int i = 0; i < na; i++) {
            int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
            if (a < 0 || a >= r) return ox_fail(im, FV_ERR_FORMAT, "axis %lld of a rank-%d input", (long long)axes[i], r);
            full[a] = pads[i], full[a + r] = pads[i + na];
        }
    }
    fv_layer_spec spec = fv_spec_of_type("pad_nd", NULL);
    ox_key_ints(&spec.a.dims, full, 2 * r); /* the key pads= */
    spec.a.choice[0] = !strcmp(mode, "reflect") ? FV_PAD_REFLECT : !strcmp(mode, "edge") ? FV_PAD_EDGE : FV_PAD_CONSTANT;
    spec.a.value = value;
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* Slice: starts, ends, axes (and steps from opset 10) from attributes before opset 10, constant inputs after.
 * Ends past the end (INT64_MAX) are clamped to what a description holds; the op clamps them again. */
fv_status ox_layout_slice(ox_import *im)
{
    int x, ns = -1, ne = -1, na = -1, nst = -1;
    int64_t st[OX_MAX_DIMS], en[OX_MAX_DIMS], ax[OX_MAX_DIMS], sp[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s && im->opset < 10) {
        s = ox_attr_ints(im, "starts", st, OX_MAX_DIMS, &ns);
        if (!s) s = ox_attr_ints(im, "ends", en, OX_MAX_DIMS, &ne);
        if (!s) s = ox_attr_ints(im, "axes", ax, OX_MAX_DIMS, &na);
    } else if (!s) {
        s = ox_ints_in(im, 1, st, OX_MAX_DIMS, &ns);
        if (!s) s = ox_ints_in(im, 2, en, OX_MAX_DIMS, &ne);
        if (!s && ox_in(im, 3)) s = ox_ints_in(im, 3, ax, OX_MAX_DIMS, &na);
        if (!s && ox_in(im, 4)) s = ox_ints_in(im, 4, sp, OX_MAX_DIMS, &nst);
    }
    if (s) return s;
    if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return ox_fail(im, FV_ERR_FORMAT, "starts, ends, axes and steps of different lengths (%d, %d, %d, %d)", ns, ne,
                       na, nst);
    const int64_t lim = (int64_t)1 << 62;
    int64_t *lists[4] = {st, en, ax, sp};
    int counts[4] = {ns, ne, na, nst};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < counts[k]; i++) {
            if (OX_IS_SYMBOL(lists[k][i]))
                return ox_fail(im, FV_ERR_UNSUPPORTED, "a slice bound depends on the batch size");
            lists[k][i] = lists[k][i] > lim ? lim : lists[k][i] < -lim ? -lim : lists[k][i];
        }
    if (ns == 0) { /* nothing sliced */
        ox_set_layer_out(im, 0, x);
        return FV_OK;
    }
    fv_layer_spec spec = fv_spec_of_type("slice", NULL);
    ox_key_ints(&spec.a.starts, st, ns);
    ox_key_ints(&spec.a.ends, en, ne);
    ox_key_ints(&spec.a.axes, ax, na);
    ox_key_ints(&spec.a.steps, sp, nst);
    return ox_add_out(im, spec, NULL, &x, 1);
}

/* Expand: entries of the shape that are the batch size (OX_DIM_BATCH) become -1 read from a batched layer (the
 * input itself when it is batched and that entry is its batch dimension: then 1 keeps it). */
fv_status ox_layout_expand(ox_import *im)
{
    int in[2], n_in = 1, n;
    int64_t shape[OX_MAX_DIMS];
    const ox_tensor *c;
    fv_status s = ox_layer_in(im, 0, &in[0]);
    if (!s) s = ox_const_in(im, 1, &c);
    if (s) return s;
    if (c->type != OX_I64 || c->ndim != 1 || c->n > OX_MAX_DIMS)
        return ox_fail(im, FV_ERR_FORMAT, "the shape must be an int64 vector of at most %d entries", OX_MAX_DIMS);
    n = (int)c->n;
    memcpy(shape, c->data, (size_t)n * sizeof *shape); /* symbols included (ox_ints_in refuses them) */
    for (int d = 0; d < n; d++) {
        if (shape[d] == OX_DIM_UNKNOWN)
            return ox_fail(im, FV_ERR_UNSUPPORTED, "shape entry %d is computed from the batch size", d);
        if (shape[d] != OX_DIM_BATCH) continue;
        if (d != 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "the batch size at entry %d of the shape (not the first)", d);
        int64_t xd[OX_MAX_DIMS];
        int r = ox_layer_dims(im, in[0], xd);
        if (r == n && fv_model_layer_batched(im->m, in[0])) {
            shape[d] = 1; /* the input's own batch */
            continue;
        }
        int like = -1;
        for (int i = 0; i < fv_model_layer_count(im->m) && like < 0; i++)
            if (fv_model_layer_batched(im->m, i)) like = i;
        if (like < 0) return ox_fail(im, FV_ERR_UNSUPPORTED, "the shape holds the batch size but no layer has one");
        in[1] = like, n_in = 2, shape[d] = -1;
    }
    fv_layer_spec spec = fv_spec_of_type("expand", NULL);
    ox_key_ints(&spec.a.dims, shape, n); /* the key shape= */
    return ox_add_out(im, spec, NULL, in, n_in);
}

/* Split: one split layer per output used. Sizes from the `split` attribute (before 13), input 1 (13 on), or
 * equal parts: num_outputs (18) or the number of outputs. */
static fv_status op_split(ox_import *im)
{
    const Onnx__NodeProto *nd = im->node;
    int x, n = -1;
    int64_t axis, sizes[FV_LAYER_MAX_LIST], parts;
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "axis", 0, &axis);
    if (!s && ox_attr(im, "split")) s = ox_attr_ints(im, "split", sizes, FV_LAYER_MAX_LIST, &n);
    if (!s && n < 0 && ox_in(im, 1)) s = ox_ints_in(im, 1, sizes, FV_LAYER_MAX_LIST, &n);
    if (!s) s = ox_attr_int(im, "num_outputs", (int64_t)nd->n_output, &parts);
    if (s) return s;
    if (nd->n_output > FV_LAYER_MAX_LIST || (n >= 0 && n != (int)nd->n_output) || parts != (int64_t)nd->n_output)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "%zu outputs for %d sizes (fovea splits into 1 to %d parts)", nd->n_output,
                       n < 0 ? (int)parts : n, FV_LAYER_MAX_LIST);
    if (axis < -FV_MAX_DIMS || axis >= FV_MAX_DIMS) return ox_fail(im, FV_ERR_FORMAT, "axis %lld", (long long)axis);
    for (size_t k = 0; k < nd->n_output; k++) {
        ox_entry *e = nd->output[k] && *nd->output[k] ? ox_find(&im->t, nd->output[k]) : NULL;
        if (!e || (e->n_users == 0 && !e->is_output)) continue;
        fv_layer_spec spec = fv_spec_of_type("split", NULL);
        spec.a.axis = (int)axis;
        spec.a.starts.n = 1, spec.a.starts.v[0] = (int64_t)k; /* the key index=, a list of one */
        if (n >= 0) ox_key_ints(&spec.a.dims, sizes, n); /* sizes= */
        else spec.a.size = ox_key_int(parts);             /* parts= */
        int l = ox_add_spec(im, spec, NULL, &x, 1);
        if (l < 0) return fv_errcode(im->ctx);
        ox_set_layer_out(im, (int)k, l);
    }
    return FV_OK;
}

/* A constant layer of the given type and shape (zero-filled: the caller writes its values into *p). */
static int constant_layer(ox_import *im, fv_dtype dtype, int ndim, const int64_t *dims, fv_param **p)
{
    int l = ox_add_spec(im, fv_spec_constant(NULL, ndim, dims, dtype), NULL, NULL, 0);
    if (l >= 0) fv_model_layer_params(im->m, l, p, 1);
    return l;
}

/* Trilu (opset 14): the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes, zero elsewhere,
 * as where(mask, x, 0) with a constant mask: exact for every element type (a product with a 0/1 mask would turn
 * an infinity or NaN outside the triangle into NaN). */
static fv_status op_trilu(ox_import *im)
{
    int x;
    int64_t upper, k = 0, xd[OX_MAX_DIMS];
    fv_status s = ox_layer_in(im, 0, &x);
    if (!s) s = ox_attr_int(im, "upper", 1, &upper);
    if (!s && ox_in(im, 1)) {
        int n;
        if (!(s = ox_ints_in(im, 1, &k, 1, &n)) && n != 1) return ox_fail(im, FV_ERR_FORMAT, "k must be one integer");
    }
    if (s) return s;
    int r = ox_layer_dims(im, x, xd);
    if (r < 2) return ox_fail(im, FV_ERR_SHAPE, "input of rank %d (Trilu needs at least 2)", r);
    int64_t rows = xd[r - 2], cols = xd[r - 1];
    if (OX_IS_SYMBOL(rows) || OX_IS_SYMBOL(cols))
        return ox_fail(im, FV_ERR_UNSUPPORTED, "the last two axes depend on the batch size");
    fv_param *mp, *zp;
    int mask = constant_layer(im, FV_BOOL, 2, (int64_t[]){rows, cols}, &mp);
    fv_dtype dt = fv_model_layer_dtype(im->m, x);
    int zero = mask < 0 ? -1 : constant_layer(im, dt, 0, NULL, &zp); /* a fresh buffer is zero */
    if (zero < 0) return fv_errcode(im->ctx);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            fv_bool(&mp->value)[i * cols + j] = upper ? j - i >= k : j - i <= k;
    return ox_add_out(im, fv_spec_of_type("where", NULL), NULL, (int[]){mask, x, zero}, 3);
}

const ox_op ox_ops_layout[] = {
    {"Trilu", op_trilu, NULL, 1, 2, 1, "upper"},
    {"Expand", ox_layout_expand, ox_fold_expand, 2, 2, 1, ""},
    {"Split", op_split, NULL, 1, 2, FV_LAYER_MAX_LIST, "axis,split,num_outputs"},
    {"ScatterND", NULL, ox_fold_scatter_nd, 3, 3, 1, "reduction"}, /* on constants: Swin's attention mask */
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
