/* Elementwise add and mul with NumPy broadcasting over up to 6 dimensions (ranks aligned on the right), as
 * residual connections and squeeze-and-excitation's channel scaling need. Gradients are summed over the
 * dimensions an input was broadcast along. */
#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

_Static_assert(FV_BCAST_DIMS == FV_MAX_DIMS, "broadcasting covers every rank");

enum { IN_A, IN_B };

/* Both inputs' shapes and the output's, padded on the left to FV_BCAST_DIMS. */
typedef struct {
    int64_t a[FV_BCAST_DIMS], b[FV_BCAST_DIMS], out[FV_BCAST_DIMS];
} shapes;

static void pad_shapes(const fv_node *n, shapes *s)
{
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    fv_bcast_pad(s->a, a->ndim, a->shape);
    fv_bcast_pad(s->b, b->ndim, b->shape);
    for (int d = 0; d < FV_BCAST_DIMS; d++) s->out[d] = s->a[d] == 1 ? s->b[d] : s->a[d];
}

static fv_status elementwise_infer(fv_graph *g, fv_node *n)
{
    fv_status st;
    if ((st = fv_expect(g, n, IN_A, -1, "input a")) || (st = fv_expect(g, n, IN_B, -1, "input b"))) return st;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    shapes s;
    pad_shapes(n, &s);
    for (int d = 0; d < FV_BCAST_DIMS; d++)
        if (s.a[d] != s.b[d] && s.a[d] != 1 && s.b[d] != 1)
            return fv_node_error(g, n, FV_ERR_SHAPE,
                                 "shapes %s and %s do not broadcast (%lld vs %lld, dimension %d from the end)",
                                 fv_dims(a), fv_dims(b), (long long)s.a[d], (long long)s.b[d], FV_BCAST_DIMS - d);
    int ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    fv_node_set_shape(n, FV_F32, ndim, s.out + FV_BCAST_DIMS - ndim);
    return FV_OK;
}

static fv_status forward(fv_graph *g, fv_node *n, fv_bcast_op op)
{
    shapes s;
    pad_shapes(n, &s);
    fv_bcast_forward(g->ctx, fv_f32(&n->value), s.out, fv_f32(&n->in[IN_A]->value), s.a,
                     fv_f32(&n->in[IN_B]->value), s.b, op);
    return FV_OK;
}

/* d(a + b)/da = 1; d(a * b)/da = b, so mul's gradient of one input is weighted by the other. */
static void backward(fv_graph *g, fv_node *n, fv_bcast_op op)
{
    shapes s;
    pad_shapes(n, &s);
    const float *dout = fv_f32(&n->grad);
    const float *a = fv_f32(&n->in[IN_A]->value), *b = fv_f32(&n->in[IN_B]->value);
    bool mul = op == FV_BCAST_MUL;
    if (fv_wants_grad(n, IN_A))
        fv_bcast_grad(g->ctx, fv_f32(&n->in[IN_A]->grad), s.a, dout, s.out, mul ? b : NULL, s.b);
    if (fv_wants_grad(n, IN_B))
        fv_bcast_grad(g->ctx, fv_f32(&n->in[IN_B]->grad), s.b, dout, s.out, mul ? a : NULL, s.a);
}

static fv_status add_forward(fv_graph *g, fv_node *n)
{
    return forward(g, n, FV_BCAST_ADD);
}

static fv_status mul_forward(fv_graph *g, fv_node *n)
{
    return forward(g, n, FV_BCAST_MUL);
}

static void add_backward(fv_graph *g, fv_node *n)
{
    backward(g, n, FV_BCAST_ADD);
}

static void mul_backward(fv_graph *g, fv_node *n)
{
    backward(g, n, FV_BCAST_MUL);
}

const fv_op_def fv_op_add = {"add", elementwise_infer, add_forward, add_backward, false};
const fv_op_def fv_op_mul = {"mul", elementwise_infer, mul_forward, mul_backward, false};

fv_node *fv_add(fv_graph *g, fv_node *a, fv_node *b)
{
    return fv_graph_add(g, FV_OP_ADD, (fv_node *[]){a, b}, 2, 2, NULL, 0);
}

fv_node *fv_mul(fv_graph *g, fv_node *a, fv_node *b)
{
    return fv_graph_add(g, FV_OP_MUL, (fv_node *[]){a, b}, 2, 2, NULL, 0);
}
