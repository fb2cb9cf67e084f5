/* Softmax and log-softmax along one axis of a tensor of any rank (channels of (N, C) logits or of (N, C, H, W)
 * segmentation maps), or over the trailing dimensions [axis, r) taken together (ONNX before opset 13, which
 * sees the input as 2-D). The requested axis is kept as given (negative counts from the end) and resolved at
 * every shape inference, since an input's shape may change after building. A scalar is a line of one
 * element (axis 0 or -1, as PyTorch). */
#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

typedef struct {
    int axis;  /* as requested: negative counts from the end */
    bool flat; /* normalize over dimensions [axis, r) together; axis may then be r (lines of one element) */
} softmax_attr;

static fv_status softmax_infer(fv_graph *g, fv_node *n)
{
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    const softmax_attr *at = n->attr;
    int lo = x->ndim ? -x->ndim : -1, hi = at->flat ? x->ndim : x->ndim ? x->ndim - 1 : 0;
    if (at->axis < lo || at->axis > hi)
        return fv_node_error(g, n, FV_ERR_ARG, "axis %d is out of range [%d, %d] for input %s with %d dimensions",
                             at->axis, lo, hi, fv_dims(x), x->ndim);
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

/* The input viewed as (outer, C, inner) around the axis (infer has checked that it is in range). */
static void split(const fv_node *n, int64_t *outer, int64_t *C, int64_t *inner)
{
    const fv_tensor *x = &n->in[0]->value;
    const softmax_attr *at = n->attr;
    int axis = at->axis < 0 ? at->axis + x->ndim : at->axis;
    if (axis < 0) axis = 0; /* a scalar's -1 */
    *outer = *C = *inner = 1;
    for (int d = 0; d < x->ndim; d++)
        *(d < axis ? outer : d == axis || at->flat ? C : inner) *= x->shape[d];
}

static fv_status forward(fv_graph *g, fv_node *n, bool log_out)
{
    int64_t outer, C, inner;
    split(n, &outer, &C, &inner);
    fv_softmax_forward(g->ctx, fv_f32(&n->value), fv_f32(&n->in[0]->value), outer, C, inner, log_out);
    return FV_OK;
}

static void backward(fv_graph *g, fv_node *n, bool log_out)
{
    if (!fv_wants_grad(n, 0)) return;
    int64_t outer, C, inner;
    split(n, &outer, &C, &inner);
    fv_softmax_backward(g->ctx, fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_f32(&n->value), outer, C, inner, log_out);
}

static fv_status softmax_forward(fv_graph *g, fv_node *n)
{
    return forward(g, n, false);
}

static fv_status log_softmax_forward(fv_graph *g, fv_node *n)
{
    return forward(g, n, true);
}

static void softmax_backward(fv_graph *g, fv_node *n)
{
    backward(g, n, false);
}

static void log_softmax_backward(fv_graph *g, fv_node *n)
{
    backward(g, n, true);
}

const fv_op_def fv_op_softmax = {"softmax", softmax_infer, softmax_forward, softmax_backward, false};
const fv_op_def fv_op_log_softmax = {"log_softmax", softmax_infer, log_softmax_forward, log_softmax_backward, false};

fv_node *fv_softmax(fv_graph *g, fv_node *x, int axis)
{
    softmax_attr a = {axis, false};
    return fv_graph_add(g, FV_OP_SOFTMAX, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_log_softmax(fv_graph *g, fv_node *x, int axis)
{
    softmax_attr a = {axis, false};
    return fv_graph_add(g, FV_OP_LOG_SOFTMAX, &x, 1, 1, &a, sizeof a);
}

fv_node *fv_softmax_flat(fv_graph *g, fv_node *x, int axis, bool log_out)
{
    softmax_attr a = {axis, true};
    return fv_graph_add(g, log_out ? FV_OP_LOG_SOFTMAX : FV_OP_SOFTMAX, &x, 1, 1, &a, sizeof a);
}
