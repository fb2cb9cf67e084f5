/* Layer types of the layout family (reshape, transpose, squeeze, unsqueeze, flatten_axis, expand, tile, slice,
 * split, gather, gather_elements, scatter_elements, pad_nd, depth_to_space, space_to_depth, pixel_shuffle,
 * pixel_unshuffle): their keys, how each becomes a graph node, and their ONNX form (fv_generic_type in
 * model_internal.h). Shapes and axes count over the whole tensor, batch included. ONNX import of the operators
 * whose forms differ between opsets or that need the batch size goes through src/io/onnx_ops_layout.c; export
 * of expand with a `like` input, split and pixel_shuffle through onnx_export.c's export_layout. */
#include <stddef.h>
#include <string.h>

#include "model_internal.h"

#define KEY(n, k, field, req) {n, k, offsetof(fv_layer_attrs, field), req, NULL}
#define CHOICE(n, field, list) {n, FV_K_CHOICE, offsetof(fv_layer_attrs, field), false, list}

static const char *const pad_modes[] = {"constant", "reflect", "edge", NULL};  /* fv_pad_kind's order */
static const char *const depth_modes[] = {"DCR", "CRD", NULL};               /* fv_depth_mode's order */
static const char *const scatter_modes[] = {"none", "add", NULL};            /* fv_scatter_reduction's */

static const fv_layer_key reshape_keys[] = {KEY("shape", FV_K_INTS, dims, true),
                                            KEY("allowzero", FV_K_BOOL, flag, false), {NULL}};
static const fv_layer_key transpose_keys[] = {KEY("perm", FV_K_INTS, axes, false), {NULL}};
static const fv_layer_key squeeze_keys[] = {KEY("axes", FV_K_INTS, axes, false), {NULL}};
static const fv_layer_key unsqueeze_keys[] = {KEY("axes", FV_K_INTS, axes, true), {NULL}};
static const fv_layer_key axis_keys[] = {KEY("axis", FV_K_AXIS, axis, false), {NULL}};
static const fv_layer_key expand_keys[] = {KEY("shape", FV_K_INTS, dims, true), {NULL}};
static const fv_layer_key tile_keys[] = {KEY("repeats", FV_K_INTS, dims, true), {NULL}};
static const fv_layer_key slice_keys[] = {KEY("starts", FV_K_INTS, starts, true), KEY("ends", FV_K_INTS, ends, true),
                                          KEY("axes", FV_K_INTS, axes, false), KEY("steps", FV_K_INTS, steps, false),
                                          {NULL}};
/* index is a one-entry list (an integer key of its own would refuse 0) */
static const fv_layer_key split_keys[] = {KEY("axis", FV_K_AXIS, axis, false), KEY("sizes", FV_K_INTS, dims, false),
                                          KEY("parts", FV_K_INT, size, false), KEY("index", FV_K_INTS, starts, true),
                                          {NULL}};
static const fv_layer_key scatter_keys[] = {KEY("axis", FV_K_AXIS, axis, false),
                                            CHOICE("reduction", choice[0], scatter_modes), {NULL}};
static const fv_layer_key pad_keys[] = {KEY("pads", FV_K_INTS, dims, true), CHOICE("mode", choice[0], pad_modes),
                                        KEY("value", FV_K_FLOAT, value, false), {NULL}};
static const fv_layer_key d2s_keys[] = {KEY("blocksize", FV_K_INT, size, true), CHOICE("mode", choice[0], depth_modes),
                                        {NULL}};
static const fv_layer_key s2d_keys[] = {KEY("blocksize", FV_K_INT, size, true), {NULL}};
static const fv_layer_key factor_keys[] = {KEY("factor", FV_K_INT, size, true), {NULL}};

/* ---- defaults (ONNX's) ------------------------------------------------------------------------------ */

static void axis0_defaults(fv_layer_attrs *a) { a->axis = 0; }

/* ---- building ----------------------------------------------------------------------------------------- */

static fv_node *build_reshape(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    for (int i = 0; l->a.flag && i < l->a.dims.n; i++)
        if (l->a.dims.v[i] == 0) {
            fv_error(fv_graph_ctx(g), FV_ERR_UNSUPPORTED, "reshape '%s': allowzero with a 0 in the shape (an empty "
                               "dimension) is not supported", l->name);
            return NULL;
        }
    return fv_reshape(g, in[0], l->a.dims.n, l->a.dims.v);
}

static fv_node *build_transpose(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_transpose(g, in[0], l->a.axes.n, l->a.axes.n ? l->a.axes.v : NULL);
}

static fv_node *build_squeeze(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_squeeze(g, in[0], l->a.axes.n, l->a.axes.v);
}

static fv_node *build_unsqueeze(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_unsqueeze(g, in[0], l->a.axes.n, l->a.axes.v);
}

/* The identity: a view of the input under its own shape (every dimension copied). Models whose output is an
 * input, and ONNX graphs of that form, need a layer to name. */
static fv_node *build_identity(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    (void)l;
    const fv_tensor *x = fv_node_value(in[0]);
    int64_t same[FV_MAX_DIMS] = {0};
    return fv_reshape(g, in[0], x ? x->ndim : 0, same);
}

static fv_node *build_flatten_axis(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_flatten_axis(g, in[0], l->a.axis);
}

/* With a second input (like), each -1 of shape takes like's dimension at the same position from the left: the
 * batch size of another tensor (a ViT's class token expanded to (N, 1, 768) follows the images' batch). */
static fv_node *build_expand(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    int64_t shape[FV_LAYER_MAX_LIST];
    int n = l->a.dims.n;
    for (int i = 0; i < n; i++) {
        shape[i] = l->a.dims.v[i];
        if (shape[i] != -1) continue;
        const fv_tensor *like = l->n_in > 1 ? fv_node_value(in[1]) : NULL;
        if (!like || i >= like->ndim) {
            fv_error(fv_graph_ctx(g), FV_ERR_SHAPE, "expand '%s': shape entry %d is -1 but %s", l->name, i,
                               like ? "the like input has no dimension there" : "there is no like input");
            return NULL;
        }
        shape[i] = like->shape[i];
    }
    return fv_expand(g, in[0], n, shape);
}

static fv_node *build_tile(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_tile(g, in[0], l->a.dims.n, l->a.dims.v);
}

static fv_node *build_slice(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    const fv_layer_attrs *a = &l->a;
    if (a->ends.n != a->starts.n || (a->axes.n && a->axes.n != a->starts.n) || (a->steps.n && a->steps.n != a->starts.n)) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "slice '%s': starts, ends, axes and steps must have as many entries "
                           "(%d, %d, %d, %d)", l->name, a->starts.n, a->ends.n, a->axes.n, a->steps.n);
        return NULL;
    }
    return fv_slice(g, in[0], a->starts.n, a->starts.v, a->ends.v, a->axes.n ? a->axes.v : NULL,
                    a->steps.n ? a->steps.v : NULL);
}

static fv_node *build_split(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    const fv_layer_attrs *a = &l->a;
    int n = a->dims.n ? a->dims.n : a->size;
    int64_t index = a->starts.n == 1 ? a->starts.v[0] : -1;
    if (n < 1 || index < 0 || index >= n || (a->dims.n && a->size && a->size != a->dims.n)) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "split '%s': needs sizes or parts (%d parts) and one index from 0 to "
                           "parts - 1", l->name, n);
        return NULL;
    }
    fv_node *out[FV_LAYER_MAX_LIST] = {0};
    if (fv_split(g, in[0], a->axis, n, a->dims.n ? a->dims.v : NULL, out) != 0) return NULL;
    return out[index];
}

static fv_node *build_gather(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_gather(g, in[0], in[1], l->a.axis);
}

static fv_node *build_gather_elements(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_gather_elements(g, in[0], in[1], l->a.axis);
}

static fv_node *build_scatter_elements(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_scatter_elements(g, in[0], in[1], in[2], l->a.axis, (fv_scatter_reduction)l->a.choice[0]);
}

static fv_node *build_pad_nd(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_pad(g, in[0], l->a.dims.n, l->a.dims.v, (fv_pad_kind)l->a.choice[0], l->a.value);
}

static fv_node *build_d2s(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_depth_to_space(g, in[0], l->a.size, (fv_depth_mode)l->a.choice[0]);
}

static fv_node *build_s2d(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_space_to_depth(g, in[0], l->a.size, FV_DEPTH_DCR);
}

static fv_node *build_pixel_shuffle(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_pixel_shuffle(g, in[0], l->a.size);
}

static fv_node *build_pixel_unshuffle(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    return fv_pixel_unshuffle(g, in[0], l->a.size);
}

/* ---- the table ------------------------------------------------------------------------------------------ */

#define ROW(name, keras, min_in, max_in, keys, stem) \
    .base = {name, keras, FV_L_GENERIC, 0, min_in, max_in, keys}, .build = build_##stem

static const fv_layer_key no_keys[] = {{NULL}};

const fv_generic_type fv_layers_layout[] = {
    {ROW("identity", "Identity", 1, 1, no_keys, identity), .onnx_op = "Identity", .onnx_since = 1},
    /* allowzero is not exported: a shape with a 0 and allowzero is refused, and without a 0 it changes nothing */
    {ROW("reshape", "Reshape", 1, 1, reshape_keys, reshape), .onnx_op = "Reshape", .onnx_since = 5,
     .onnx = {{"shape", NULL, 1, 5}}},
    {ROW("transpose", "Permute", 1, 1, transpose_keys, transpose), .onnx_op = "Transpose", .onnx_since = 1,
     .onnx = {{"perm", NULL, -1, 0}}},
    {ROW("squeeze", "Squeeze", 1, 1, squeeze_keys, squeeze), .onnx_op = "Squeeze", .onnx_since = 1,
     .onnx = {{"axes", NULL, 1, 13}}},
    {ROW("unsqueeze", "Unsqueeze", 1, 1, unsqueeze_keys, unsqueeze), .onnx_op = "Unsqueeze", .onnx_since = 1,
     .onnx = {{"axes", NULL, 1, 13}}},
    {ROW("flatten_axis", "Flatten", 1, 1, axis_keys, flatten_axis), .onnx_op = "Flatten", .onnx_since = 1,
     .onnx = {{"axis", NULL, -1, 0}}},
    {ROW("expand", "Expand", 1, 2, expand_keys, expand), .onnx_op = "Expand", .onnx_since = 8,
     .onnx = {{"shape", NULL, 1, 8}}},
    {ROW("tile", "Tile", 1, 1, tile_keys, tile), .onnx_op = "Tile", .onnx_since = 6, .onnx = {{"repeats", NULL, 1, 6}}},
    {ROW("slice", "Slice", 1, 1, slice_keys, slice), .onnx_op = "Slice", .onnx_since = 10,
     .onnx = {{"starts", NULL, 1, 10}, {"ends", NULL, 2, 10}, {"axes", NULL, 3, 10}, {"steps", NULL, 4, 10}}},
    /* one layer per part; exported as a Split node whose other outputs go unused */
    {ROW("split", "Split", 1, 1, split_keys, split), .defaults = axis0_defaults},
    {ROW("gather", "Gather", 2, 2, axis_keys, gather), .onnx_op = "Gather", .onnx_since = 1,
     .defaults = axis0_defaults, .onnx = {{"axis", NULL, -1, 0}}},
    {ROW("gather_elements", "GatherElements", 2, 2, axis_keys, gather_elements), .onnx_op = "GatherElements",
     .onnx_since = 11, .defaults = axis0_defaults, .onnx = {{"axis", NULL, -1, 0}}},
    {ROW("scatter_elements", "ScatterElements", 3, 3, scatter_keys, scatter_elements), .onnx_op = "ScatterElements",
     .onnx_since = 11, .defaults = axis0_defaults, .onnx = {{"axis", NULL, -1, 0}, {"reduction", NULL, -1, 0}}},
    {ROW("pad_nd", "Pad", 1, 1, pad_keys, pad_nd), .onnx_op = "Pad", .onnx_since = 11,
     .onnx = {{"pads", NULL, 1, 11}, {"mode", NULL, -1, 0}, {"value", "constant_value", 2, 11}}},
    {ROW("depth_to_space", "DepthToSpace", 1, 1, d2s_keys, d2s), .onnx_op = "DepthToSpace", .onnx_since = 1,
     .onnx = {{"blocksize", NULL, -1, 0}, {"mode", NULL, -1, 0}}},
    {ROW("space_to_depth", "SpaceToDepth", 1, 1, s2d_keys, s2d), .onnx_op = "SpaceToDepth", .onnx_since = 1,
     .onnx = {{"blocksize", NULL, -1, 0}}},
    /* exported as DepthToSpace in CRD order (what ONNX export of F.pixel_shuffle gives) */
    {ROW("pixel_shuffle", "PixelShuffle", 1, 1, factor_keys, pixel_shuffle)},
    {ROW("pixel_unshuffle", "PixelUnshuffle", 1, 1, factor_keys, pixel_unshuffle)},
    {.base = {NULL}},
};
