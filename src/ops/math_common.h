/* What the math family's broadcasting ops share: the NumPy/ONNX broadcast of up to three inputs' shapes,
 * checked with messages that name the op, the node and the shapes, and node names after an op's kind. */
#ifndef FV_OPS_MATH_COMMON_H
#define FV_OPS_MATH_COMMON_H

#include "../graph/graph_internal.h"
#include "../kernels/ref/broadcast.h"

/* The inputs' shapes and the output's, padded on the left with 1s to FV_BCAST_DIMS; ndim is the output's rank
 * (the largest input rank). */
typedef struct {
    int64_t in[3][FV_BCAST_DIMS];
    int64_t out[FV_BCAST_DIMS];
    int ndim;
} fv_bshapes;

/* Broadcast the k (1 to 3) tensors t; what names the computation in errors ("sub", "where"). Returns FV_OK,
 * or an error through fv_node_error naming each shape and the first dimension that disagrees, or an output
 * too large to allocate. */
fv_status fv_bshapes_make(fv_graph *g, const fv_node *n, const char *what, int k, const fv_tensor *const *t,
                          fv_bshapes *s);

/* fv_graph_add, naming the node "<kind>_<id>" unless the user named it (fv_graph_set_next_name). */
fv_node *fv_math_node(fv_graph *g, fv_op_kind op, const char *kind, fv_node *const *in, int n_in, int n_required,
                      const void *attr, size_t attr_size);

#endif
