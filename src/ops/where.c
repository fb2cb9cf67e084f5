/* where(cond, a, b): elements of a where cond is true and of b elsewhere, the three broadcast together (ONNX
 * Where, torch.where). Float a and b get the gradient where they were chosen, summed over their broadcast
 * dimensions; cond gets none. */
#include "../kernels/dispatch.h"
#include "fovea/ops.h"
#include "math_common.h"

enum { IN_COND, IN_A, IN_B };

static fv_status where_infer(fv_graph *g, fv_node *n)
{
    const fv_tensor *c = &n->in[IN_COND]->value, *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    if (c->dtype != FV_BOOL)
        return fv_node_error(g, n, FV_ERR_ARG, "where: cond must be bool, got %s %s", fv_dtype_name(c->dtype),
                             fv_dims(c));
    if (a->dtype != b->dtype)
        return fv_node_error(g, n, FV_ERR_ARG, "where: a and b of different types, %s %s and %s %s",
                             fv_dtype_name(a->dtype), fv_dims(a), fv_dtype_name(b->dtype), fv_dims(b));
    fv_bshapes s;
    fv_status st = fv_bshapes_make(g, n, "where", 3, (const fv_tensor *[]){c, a, b}, &s);
    if (st) return st;
    fv_node_set_shape(n, a->dtype, s.ndim, s.out + FV_BCAST_DIMS - s.ndim);
    return FV_OK;
}

static void shapes_of(const fv_node *n, int64_t s[4][FV_BCAST_DIMS])
{
    for (int i = 0; i < 3; i++) fv_bcast_pad(s[i], n->in[i]->value.ndim, n->in[i]->value.shape);
    fv_bcast_pad(s[3], n->value.ndim, n->value.shape);
}

static fv_status where_forward(fv_graph *g, fv_node *n)
{
    int64_t s[4][FV_BCAST_DIMS];
    shapes_of(n, s);
    fv_math_where(g->ctx, n->value.data, s[3], fv_bool(&n->in[IN_COND]->value), s[0], n->in[IN_A]->value.data, s[1],
                  n->in[IN_B]->value.data, s[2], (int)fv_dtype_size(n->value.dtype));
    return FV_OK;
}

static void where_backward(fv_graph *g, fv_node *n)
{
    if (n->value.dtype != FV_F32) return;
    int64_t s[4][FV_BCAST_DIMS];
    shapes_of(n, s);
    for (int i = IN_A; i <= IN_B; i++)
        if (fv_wants_grad(n, i))
            fv_math_where_grad(g->ctx, fv_f32(&n->in[i]->grad), s[i], fv_f32(&n->grad), s[3],
                               fv_bool(&n->in[IN_COND]->value), s[0], i == IN_A);
}

const fv_op_def fv_op_where = {"where", where_infer, where_forward, where_backward, false};

fv_node *fv_where(fv_graph *g, fv_node *cond, fv_node *a, fv_node *b)
{
    return fv_math_node(g, FV_OP_WHERE, "where", (fv_node *[]){cond, a, b}, 3, 3, NULL, 0);
}
