/* Inverted dropout: in train mode each element is zeroed with probability p and the rest scaled by 1/(1-p);
 * identity in eval mode. Masks come from the counter-based generator, so tests can reproduce them. */
#include <string.h>

#include "../graph/graph_internal.h"
#include "fovea/ops.h"

enum { AUX_MASK }; /* 1 where the last training forward kept the element, 0 where it dropped it */

typedef struct {
    float p;
    uint64_t stream; /* taken from the context when the node is built */
    bool masked;     /* the last forward applied a mask (train mode, p > 0): backward must know */
} dropout_attr;

static fv_status dropout_infer(fv_graph *g, fv_node *n)
{
    const dropout_attr *at = n->attr;
    fv_status s = fv_expect(g, n, 0, -1, "input x");
    if (s) return s;
    if (!(at->p >= 0.0f && at->p < 1.0f)) /* also rejects NaN */
        return fv_node_error(g, n, FV_ERR_ARG, "drop probability p %g must be in [0, 1)", (double)at->p);
    const fv_tensor *x = &n->in[0]->value;
    fv_node_set_shape(n, FV_F32, x->ndim, x->shape);
    return FV_OK;
}

/* Fill the mask of training pass k: element i is kept iff its 24 random bits reach p * 2^24. */
static void draw_mask(float *mask, int64_t size, uint64_t seed, uint64_t stream, uint64_t k, float p)
{
    uint64_t threshold = (uint64_t)(p * 16777216.0);
    uint64_t base = k * (uint64_t)size;
    for (int64_t i = 0; i < size; i++)
        mask[i] = (fv_rng_bits(seed, stream, base + (uint64_t)i) >> 40) >= threshold ? 1.0f : 0.0f;
}

static fv_status dropout_forward(fv_graph *g, fv_node *n)
{
    dropout_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value;
    const float *in = fv_f32(x);
    float *out = fv_f32(&n->value);
    at->masked = g->training && at->p > 0.0f;
    if (!at->masked) {
        for (int64_t i = 0; i < x->size; i++) out[i] = in[i];
        return FV_OK;
    }
    fv_status s = fv_node_aux(g, n, AUX_MASK, FV_F32, x->ndim, x->shape);
    if (s) return s;
    float *mask = fv_f32(&n->aux[AUX_MASK]);
    draw_mask(mask, x->size, fv_ctx_seed(g->ctx), at->stream, g->train_passes - 1, at->p); /* pass k: [k*size, (k+1)*size) */
    double keep = 1.0 - (double)at->p;
    for (int64_t i = 0; i < x->size; i++) out[i] = (float)(in[i] * mask[i] / keep);
    return FV_OK;
}

/* A fresh input gradient (fv_grad_fresh) is assigned rather than added to. */
static void dropout_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    const dropout_attr *at = n->attr;
    if (!fv_wants_grad(n, 0)) return;
    float *dx = fv_f32(&n->in[0]->grad);
    const float *dy = fv_f32(&n->grad);
    bool assign = fv_grad_fresh(n, 0);
    if (!at->masked) {
        if (assign) memcpy(dx, dy, sizeof *dx * (size_t)n->value.size);
        else
            for (int64_t i = 0; i < n->value.size; i++) dx[i] += dy[i];
        return;
    }
    const float *mask = fv_f32(&n->aux[AUX_MASK]);
    double keep = 1.0 - (double)at->p;
    if (assign)
        for (int64_t i = 0; i < n->value.size; i++) dx[i] = (float)(dy[i] * mask[i] / keep);
    else
        for (int64_t i = 0; i < n->value.size; i++) dx[i] += (float)(dy[i] * mask[i] / keep);
}

const fv_op_def fv_op_dropout = {"dropout", dropout_infer, dropout_forward, dropout_backward, false};

fv_node *fv_dropout(fv_graph *g, fv_node *x, float p)
{
    if (!g) return NULL;
    dropout_attr at = {.p = p, .stream = 0, .masked = false};
    /* Only a node that will exist takes a stream, so a failed build does not shift later streams. */
    if (x && x->graph == g && p >= 0.0f && p < 1.0f) at.stream = fv_ctx_next_stream(g->ctx);
    return fv_graph_add(g, FV_OP_DROPOUT, (fv_node *[]){x}, 1, 1, &at, sizeof at);
}

fv_node *fv_dropout_stream(fv_graph *g, fv_node *x, float p, uint64_t stream)
{
    if (!g) return NULL;
    dropout_attr at = {.p = p, .stream = stream, .masked = false};
    return fv_graph_add(g, FV_OP_DROPOUT, (fv_node *[]){x}, 1, 1, &at, sizeof at);
}
