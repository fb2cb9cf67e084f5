/* Operators with a neighbour fused in, which only the inference builder makes (nn/inference.c): they compute
 * in one pass what the model says in two, and have no backward of their own. */
#ifndef FV_OPS_FUSED_H
#define FV_OPS_FUSED_H

#include "fovea/ops.h"

/* conv2d (fv_conv2d_clamped when hi > 0) of x mapped per channel first: x * scale[c] + shift[c], clamped to
 * [0, in_hi] when in_hi > 0. A batch norm in eval mode and its ReLU or ReLU6, in front of a convolution that
 * nothing else's input shares (DenseNet's pre-activations): for pointwise convolutions the map rides on the
 * packing of x for the GEMM, so the batch norm's pass over the activations, and its output, disappear. scale and
 * shift are (Cin) tensors. Runs in inference graphs only (forward refuses otherwise): no gradient flows through
 * the map. */
fv_node *fv_conv2d_mapped_input(fv_graph *g, fv_node *x, fv_node *scale, fv_node *shift, float in_hi, fv_node *w,
                                fv_node *b, const fv_conv2d_args *a, float hi);

#endif
