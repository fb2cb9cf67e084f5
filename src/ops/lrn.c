/* Local response normalization across channels (AlexNet; PyTorch's nn.LocalResponseNorm) on (N, C, ...)
 * inputs with 1 to 3 spatial dimensions. */
#include <math.h>

#include "../graph/graph_internal.h"
#include "../kernels/ref/lrn.h"
#include "fovea/ops.h"

enum { AUX_DEN }; /* k + alpha/size * window sum of squares, (same shape as x): backward's denominators */

typedef struct {
    int size;
    float alpha, beta, k;
} lrn_attr;

static fv_status lrn_infer(fv_graph *g, fv_node *n)
{
    const lrn_attr *at = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    const fv_tensor *x = &n->in[0]->value;
    if (x->ndim < 3)
        return fv_node_error(g, n, FV_ERR_SHAPE, "input x must be (N, C, ...) with 3 to 5 dimensions, got %s",
                             fv_dims(x));
    if (at->size <= 0) return fv_node_error(g, n, FV_ERR_ARG, "size %d must be >= 1", at->size);
    if (!isfinite(at->alpha) || !isfinite(at->beta) || !isfinite(at->k))
        return fv_node_error(g, n, FV_ERR_ARG, "alpha %g, beta %g and k %g must be finite", (double)at->alpha,
                             (double)at->beta, (double)at->k);
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

/* Elements per sample and channel. */
static int64_t spatial(const fv_tensor *x)
{
    int64_t s = 1;
    for (int i = 2; i < x->ndim; i++) s *= x->shape[i];
    return s;
}

static fv_status lrn_forward(fv_graph *g, fv_node *n)
{
    const lrn_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    fv_status s = fv_node_aux(g, n, AUX_DEN, FV_F32, x->ndim, x->shape);
    if (s) return s;
    fv_ref_lrn_forward(fv_f32(&n->value), fv_f32(&n->aux[AUX_DEN]), fv_f32(x), x->shape[0], x->shape[1],
                       spatial(x), at->size, at->alpha, at->beta, at->k);
    return FV_OK;
}

static void lrn_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    const lrn_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    if (!fv_wants_grad(n, 0)) return;
    fv_ref_lrn_backward(fv_f32(&n->in[0]->grad), fv_f32(&n->grad), fv_f32(x), fv_f32(&n->aux[AUX_DEN]),
                        x->shape[0], x->shape[1], spatial(x), at->size, at->alpha, at->beta);
}

const fv_op_def fv_op_lrn = {"lrn", lrn_infer, lrn_forward, lrn_backward, false};

fv_node *fv_lrn(fv_graph *g, fv_node *x, int size, float alpha, float beta, float k)
{
    lrn_attr at = {size, alpha, beta, k};
    return fv_graph_add(g, FV_OP_LRN, (fv_node *[]){x}, 1, 1, &at, sizeof at);
}
