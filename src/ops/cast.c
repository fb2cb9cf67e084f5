/* Cast between float32, int32, int64 and bool (ONNX Cast, tensor.to(dtype)); the conversion rules are in
 * kernels/ref/math.h. A float with no integer value in range (NaN, inf, too large) fails the forward pass
 * rather than giving an undefined value. Only a float-to-float cast passes a gradient. */
#include "../kernels/dispatch.h"
#include "fovea/ops.h"
#include "math_common.h"

typedef struct {
    int dtype; /* fv_dtype, an int so that an out-of-range value can be reported */
} cast_attr;

static fv_status cast_infer(fv_graph *g, fv_node *n)
{
    int to = ((const cast_attr *)n->attr)->dtype;
    const fv_tensor *x = &n->in[0]->value;
    if (to < 0 || to >= FV_DTYPE_COUNT)
        return fv_node_error(g, n, FV_ERR_ARG, "cast of %s %s: unknown dtype %d (valid are 0 to %d)",
                             fv_dtype_name(x->dtype), fv_dims(x), to, FV_DTYPE_COUNT - 1);
    fv_node_set_shape(n, (fv_dtype)to, x->ndim, x->shape);
    return FV_OK;
}

static fv_status cast_forward(fv_graph *g, fv_node *n)
{
    const fv_tensor *x = &n->in[0]->value;
    int64_t bad = fv_math_cast(g->ctx, n->value.data, n->value.dtype, x->data, x->dtype, x->size);
    if (bad >= 0)
        return fv_node_error(g, n, FV_ERR_NUMERIC, "cast of float32 %s to %s: element %lld (%g) has no %s value",
                             fv_dims(x), fv_dtype_name(n->value.dtype), (long long)bad, fv_f32(x)[bad],
                             fv_dtype_name(n->value.dtype));
    return FV_OK;
}

static void cast_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    if (n->value.dtype != FV_F32 || !fv_wants_grad(n, 0) || n->in[0]->value.dtype != FV_F32) return;
    float *dx = fv_f32(&n->in[0]->grad);
    const float *dy = fv_f32(&n->grad);
    for (int64_t i = 0; i < n->value.size; i++) dx[i] += dy[i];
}

const fv_op_def fv_op_cast = {"cast", cast_infer, cast_forward, cast_backward, false};

fv_node *fv_cast(fv_graph *g, fv_node *x, fv_dtype dtype)
{
    cast_attr at = {(int)dtype};
    return fv_math_node(g, FV_OP_CAST, "cast", &x, 1, 1, &at, sizeof at);
}
