/* Training-pass fusion of a ReLU (or ReLU6) into the batch norm before it. A convolution, batch norm, ReLU
 * chain is the body of most CNNs here; in a training pass the ReLU reads the batch norm's output from memory
 * and writes a copy of it, and both stay alive until backward. When the ReLU is the batch norm's only reader,
 * the batch norm applies the clamp itself, while each channel's planes are still in the cache, and the ReLU's
 * value becomes a view of that buffer: one pass over the activations and one buffer fewer per pair (a U-Net
 * at 64x64, batch 32: 15 million activations).
 *
 * Nothing else changes: the ReLU's backward reads its input, now the clamped output, and clamp(x) > 0 exactly
 * when x > 0 (and clamp(x) < 6 exactly when x < 6), NaN included; the batch norm's backward reads its input
 * x, never its output. The decision is made again before every training forward, from the graph as it is
 * then: a node added later that reads the batch norm, or fv_node_keep_value on it, undoes the fusion. Only
 * training passes (fv_graph_training) fuse: eval-mode passes, where diagnostics read layers' values (feature
 * maps, embeddings, Grad-CAM), keep every value as the model says; inference graphs have their own fusions
 * (nn/inference.c). */
#include <stdlib.h>

#include "graph_internal.h"

/* Whether n's value may be clamped in place: a batch norm that nothing but one node reads, once, and that
 * nobody asked to keep. */
static bool sole_reader(const fv_node *n, const int *readers)
{
    return n->op == FV_OP_BATCH_NORM && readers[n->id] == 1 && !n->keep_value;
}

void fv_graph_fuse_training(fv_graph *g)
{
    int *readers = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *readers);
    for (int i = 0; i < g->n_nodes; i++) g->nodes[i]->fused_clamp = 0.0f, g->nodes[i]->fused_view = false;
    if (!readers || !g->training || g->inference) { /* unfused: correct, only slower */
        free(readers);
        return;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i]->n_in; k++)
            if (g->nodes[i]->in[k]) readers[g->nodes[i]->in[k]->id]++;
    for (int i = 0; i < g->n_nodes; i++) {
        fv_node *n = g->nodes[i], *src = n->n_in ? n->in[0] : NULL;
        float hi = n->op == FV_OP_ACTIVATION ? fv_activation_clamp(n) : 0.0f;
        if (!(hi > 0.0f) || !src || n->keep_value || !sole_reader(src, readers)) continue;
        src->fused_clamp = hi;
        n->fused_view = true;
    }
    free(readers);
}
