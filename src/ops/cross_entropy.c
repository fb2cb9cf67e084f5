/* Softmax cross-entropy loss (PyTorch's F.cross_entropy with reduction 'mean'): logits (N, C, d1, ...)
 * against int32 class indices (N, d1, ...), optional class weights and label smoothing. A scalar node. */
#include <math.h>
#include <stdio.h>

#include "../graph/graph_internal.h"
#include "../kernels/ref/loss.h"
#include "fovea/ops.h"

enum { IN_LOGITS, IN_LABELS, IN_WEIGHTS };

typedef struct {
    float label_smoothing;
} ce_attr;

/* Positions per sample: the product of the dimensions after the class axis (1 for (N, C)). */
static int64_t positions(const fv_tensor *logits)
{
    int64_t s = 1;
    for (int d = 2; d < logits->ndim; d++) s *= logits->shape[d];
    return s;
}

/* labels must be logits' shape without the class axis. */
static fv_status check_labels_shape(fv_graph *g, fv_node *n)
{
    const fv_tensor *z = &n->in[IN_LOGITS]->value, *y = &n->in[IN_LABELS]->value;
    if (y->dtype != FV_I32)
        return fv_node_error(g, n, FV_ERR_ARG, "labels must be int32 class indices, got float32 %s", fv_dims(y));
    bool fits = y->ndim == z->ndim - 1 && y->shape[0] == z->shape[0];
    for (int d = 1; fits && d < y->ndim; d++) fits = y->shape[d] == z->shape[d + 1];
    if (!fits)
        return fv_node_error(g, n, FV_ERR_SHAPE, "labels %s do not match logits %s (expected logits' shape without "
                             "the class axis 1)", fv_dims(y), fv_dims(z));
    return FV_OK;
}

static fv_status ce_infer(fv_graph *g, fv_node *n)
{
    const ce_attr *at = n->attr;
    fv_status s = fv_expect(g, n, IN_LOGITS, -1, "logits");
    if (s) return s;
    const fv_tensor *z = &n->in[IN_LOGITS]->value;
    if (z->ndim < 2)
        return fv_node_error(g, n, FV_ERR_SHAPE, "logits must be (N, C) or (N, C, d1, ...), got %s", fv_dims(z));
    if ((s = check_labels_shape(g, n))) return s;
    if (n->in[IN_WEIGHTS]) {
        if ((s = fv_expect(g, n, IN_WEIGHTS, -1, "class_weights"))) return s;
        const fv_tensor *w = &n->in[IN_WEIGHTS]->value;
        if (w->ndim != 1 || w->shape[0] != z->shape[1])
            return fv_node_error(g, n, FV_ERR_SHAPE,
                                 "class_weights %s must have one entry per class: %lld of logits %s", fv_dims(w),
                                 (long long)z->shape[1], fv_dims(z));
    }
    if (!(at->label_smoothing >= 0.0f && at->label_smoothing < 1.0f))
        return fv_node_error(g, n, FV_ERR_ARG, "label_smoothing %g must be in [0, 1)", (double)at->label_smoothing);
    fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

/* "[n,h,w]": the position of flat index i in labels, for messages. */
static const char *label_index(const fv_tensor *y, int64_t i, char *buf, size_t len)
{
    int64_t coord[FV_MAX_DIMS];
    for (int d = y->ndim - 1; d >= 0; d--) {
        coord[d] = i % y->shape[d];
        i /= y->shape[d];
    }
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < y->ndim && k < len; d++)
        k += (size_t)snprintf(buf + k, len - k, d ? ",%lld" : "%lld", (long long)coord[d]);
    if (k < len) snprintf(buf + k, len - k, "]");
    return buf;
}

/* Labels are data, known only at forward time: a class index outside [0, C) is reported here, before the
 * kernel would index logits and weights with it. */
static fv_status check_label_values(fv_graph *g, fv_node *n)
{
    const fv_tensor *z = &n->in[IN_LOGITS]->value, *y = &n->in[IN_LABELS]->value;
    const int32_t *lab = fv_i32(y);
    int64_t C = z->shape[1];
    for (int64_t i = 0; i < y->size; i++) {
        if (lab[i] >= 0 && lab[i] < C) continue;
        char where[96];
        return fv_node_error(g, n, FV_ERR_ARG,
                             "label %d at labels%s is outside the %lld classes [0, %lld) of logits %s", (int)lab[i],
                             label_index(y, i, where, sizeof where), (long long)C, (long long)C, fv_dims(z));
    }
    return FV_OK;
}

static fv_status ce_forward(fv_graph *g, fv_node *n)
{
    const ce_attr *at = n->attr;
    fv_status s = check_label_values(g, n);
    if (s) return s;
    const fv_tensor *z = &n->in[IN_LOGITS]->value;
    const float *w = n->in[IN_WEIGHTS] ? fv_f32(&n->in[IN_WEIGHTS]->value) : NULL;
    fv_ref_cross_entropy_forward(fv_f32(&n->value), fv_f32(z), fv_i32(&n->in[IN_LABELS]->value), w,
                                 at->label_smoothing, z->shape[0], z->shape[1], positions(z));
    return FV_OK;
}

/* Only the logits get a gradient: labels are indices, and PyTorch does not differentiate the class
 * weights either (a weights parameter keeps a zero gradient). */
static void ce_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    if (!fv_wants_grad(n, IN_LOGITS)) return;
    const ce_attr *at = n->attr;
    const fv_tensor *z = &n->in[IN_LOGITS]->value;
    const float *w = n->in[IN_WEIGHTS] ? fv_f32(&n->in[IN_WEIGHTS]->value) : NULL;
    fv_ref_cross_entropy_backward(fv_f32(&n->in[IN_LOGITS]->grad), fv_f32(&n->grad)[0], fv_f32(z),
                                  fv_i32(&n->in[IN_LABELS]->value), w, at->label_smoothing, z->shape[0], z->shape[1],
                                  positions(z));
}

const fv_op_def fv_op_cross_entropy = {"cross_entropy", ce_infer, ce_forward, ce_backward, false};

fv_node *fv_cross_entropy(fv_graph *g, fv_node *logits, fv_node *labels, fv_node *class_weights,
                          float label_smoothing)
{
    ce_attr at = {label_smoothing};
    return fv_graph_add(g, FV_OP_CROSS_ENTROPY, (fv_node *[]){logits, labels, class_weights}, 3, 2, &at, sizeof at);
}
