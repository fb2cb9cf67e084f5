/* depth_to_space and space_to_depth (ONNX DepthToSpace / SpaceToDepth) on (..., C, H, W) of any dtype, in
 * both channel orders: DCR (ONNX's default: the block offset is the slower part of the channel, channel =
 * (by * b + bx) * C' + c) and CRD (the channel is the slower part, channel = c * b * b + by * b + bx, which is
 * PyTorch's pixel_shuffle / pixel_unshuffle). Leading dimensions are batch. Each is one 6-D gather. */
#include <stdio.h>

#include "../graph/graph_internal.h"
#include "fovea/ops.h"
#include "layout_map.h"

typedef struct {
    int64_t block;
    fv_depth_mode mode;
} depth_attr;

/* x as (B, C, H, W), leading dimensions folded into B. */
static void dims4(const fv_tensor *x, int64_t *B, int64_t *C, int64_t *H, int64_t *W)
{
    int r = x->ndim;
    *B = 1;
    for (int d = 0; d < r - 3; d++) *B *= x->shape[d];
    *C = x->shape[r - 3], *H = x->shape[r - 2], *W = x->shape[r - 1];
}

static fv_status check(fv_graph *g, fv_node *n)
{
    const depth_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    if (x->ndim < 3)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input %s must have at least 3 dimensions (..., C, H, W)",
                             fv_dims(x));
    if (a->block < 1 || a->block > (1 << 20))
        return fv_node_error(g, n, FV_ERR_ARG, "block size %lld must be in [1, 2^20] (input %s)",
                             (long long)a->block, fv_dims(x));
    if (a->mode != FV_DEPTH_DCR && a->mode != FV_DEPTH_CRD)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown mode %d (input %s)", (int)a->mode, fv_dims(x));
    return FV_OK;
}

static fv_status d2s_infer(fv_graph *g, fv_node *n)
{
    fv_status s = check(g, n);
    if (s) return s;
    const depth_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t b = a->block, shape[FV_MAX_DIMS], B, C, H, W;
    char what[160];
    dims4(x, &B, &C, &H, &W);
    if (C % (b * b))
        return fv_node_error(g, n, FV_ERR_SHAPE, "channels %lld of input %s are not a multiple of block %lld squared",
                             (long long)C, fv_dims(x), (long long)b);
    for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
    shape[x->ndim - 3] = C / (b * b);
    snprintf(what, sizeof what, "input %s with block %lld", fv_dims(x), (long long)b);
    if (!fv_size_mul(H, b, FV_MAX_TENSOR_BYTES, &shape[x->ndim - 2]) ||
        !fv_size_mul(W, b, FV_MAX_TENSOR_BYTES, &shape[x->ndim - 1]))
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s: the output is too large", what);
    return fv_layout_set_shape(g, n, x->dtype, x->ndim, shape, what);
}

static fv_status s2d_infer(fv_graph *g, fv_node *n)
{
    fv_status s = check(g, n);
    if (s) return s;
    const depth_attr *a = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    int64_t b = a->block, shape[FV_MAX_DIMS], B, C, H, W;
    char what[160];
    dims4(x, &B, &C, &H, &W);
    if (H % b || W % b)
        return fv_node_error(g, n, FV_ERR_SHAPE, "height %lld and width %lld of input %s must be multiples of block %lld",
                             (long long)H, (long long)W, fv_dims(x), (long long)b);
    for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
    snprintf(what, sizeof what, "input %s with block %lld", fv_dims(x), (long long)b);
    if (!fv_size_mul(C, b * b, FV_MAX_TENSOR_BYTES, &shape[x->ndim - 3]))
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s: the output is too large", what);
    shape[x->ndim - 2] = H / b, shape[x->ndim - 1] = W / b;
    return fv_layout_set_shape(g, n, x->dtype, x->ndim, shape, what);
}

/* Fill map d with i * step for i < size. */
static void ramp(fv_layout_map *m, int d, int64_t size, int64_t step)
{
    m->shape[d] = size;
    for (int64_t i = 0; i < size; i++) m->map[d][i] = i * step;
}

static fv_status init6(fv_graph *g, fv_node *n, fv_layout_map *m, const int64_t *shape6)
{
    return fv_layout_map_init(g, n, m, 6, shape6);
}

/* Output (B, C', H, by, W, bx) reading input (B, C' b b, H, W). */
static fv_status d2s_maps(fv_graph *g, fv_node *n, fv_layout_map *m)
{
    const depth_attr *a = n->attr;
    int64_t b = a->block, B, C, H, W;
    dims4(&n->in[0]->value, &B, &C, &H, &W);
    int64_t Co = C / (b * b), HW = H * W;
    fv_status s = init6(g, n, m, (int64_t[]){B, Co, H, b, W, b});
    if (s) return s;
    bool dcr = a->mode == FV_DEPTH_DCR;
    ramp(m, 0, B, C * HW);
    ramp(m, 1, Co, dcr ? HW : b * b * HW);
    ramp(m, 2, H, W);
    ramp(m, 3, b, dcr ? b * Co * HW : b * HW);
    ramp(m, 4, W, 1);
    ramp(m, 5, b, dcr ? Co * HW : HW);
    return FV_OK;
}

/* DCR output (B, by, bx, C, H', W'), CRD output (B, C, by, bx, H', W'), reading input (B, C, H' b, W' b). */
static fv_status s2d_maps(fv_graph *g, fv_node *n, fv_layout_map *m)
{
    const depth_attr *a = n->attr;
    int64_t b = a->block, B, C, H, W;
    dims4(&n->in[0]->value, &B, &C, &H, &W);
    bool dcr = a->mode == FV_DEPTH_DCR;
    int by = dcr ? 1 : 2, bx = dcr ? 2 : 3, c = dcr ? 3 : 1;
    int64_t shape[6];
    shape[0] = B, shape[by] = b, shape[bx] = b, shape[c] = C, shape[4] = H / b, shape[5] = W / b;
    fv_status s = init6(g, n, m, shape);
    if (s) return s;
    ramp(m, 0, B, C * H * W);
    ramp(m, by, b, W);
    ramp(m, bx, b, 1);
    ramp(m, c, C, H * W);
    ramp(m, 4, H / b, b * W);
    ramp(m, 5, W / b, b);
    return FV_OK;
}

static fv_status d2s_forward(fv_graph *g, fv_node *n) { return fv_layout_map_forward(g, n, d2s_maps, NULL); }
static void d2s_backward(fv_graph *g, fv_node *n) { fv_layout_map_backward(g, n, d2s_maps); }
static fv_status s2d_forward(fv_graph *g, fv_node *n) { return fv_layout_map_forward(g, n, s2d_maps, NULL); }
static void s2d_backward(fv_graph *g, fv_node *n) { fv_layout_map_backward(g, n, s2d_maps); }

const fv_op_def fv_op_depth_to_space = {"depth_to_space", d2s_infer, d2s_forward, d2s_backward, false};
const fv_op_def fv_op_space_to_depth = {"space_to_depth", s2d_infer, s2d_forward, s2d_backward, false};

fv_node *fv_depth_to_space(fv_graph *g, fv_node *x, int block, fv_depth_mode mode)
{
    depth_attr a = {block, mode};
    return fv_graph_add(g, FV_OP_DEPTH_TO_SPACE, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_space_to_depth(fv_graph *g, fv_node *x, int block, fv_depth_mode mode)
{
    depth_attr a = {block, mode};
    return fv_graph_add(g, FV_OP_SPACE_TO_DEPTH, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_pixel_shuffle(fv_graph *g, fv_node *x, int factor)
{
    return fv_depth_to_space(g, x, factor, FV_DEPTH_CRD);
}

fv_node *fv_pixel_unshuffle(fv_graph *g, fv_node *x, int factor)
{
    return fv_space_to_depth(g, x, factor, FV_DEPTH_CRD);
}
