/* Written-out layer norms and GELUs, as ONNX exporters leave them, recognized in a model so that its inference
 * graph computes each with one operator (inference_fuse.c). */
#ifndef FV_NN_INFERENCE_FUSE_H
#define FV_NN_INFERENCE_FUSE_H

#include "model_internal.h"

typedef enum { FV_FUSE_LAYER_NORM = 1, FV_FUSE_GELU } fv_fusion_kind;

#define FV_FUSE_MAX_LAYERS 9

typedef struct {
    fv_fusion_kind kind;
    int x;                 /* the layer whose output the fused operator reads */
    int scale, bias;       /* layer norm: constant layers, or -1 */
    int axis;              /* layer norm: the first normalized axis */
    float eps;
    int last;              /* the layer whose output the fused operator gives */
    int absorbed[FV_FUSE_MAX_LAYERS]; /* the layers it replaces, last included */
    int n_absorbed;
} fv_fusion;

/* Who reads each layer: count[i] layers (an output counts as one more), the last of them last[i] (-1: none). */
typedef struct {
    int *count, *last;
} fv_readers;

/* Whether a pattern has its core at layer i (a layer norm's division, a GELU's erf). */
bool fv_inference_fusion_at(const fv_model *m, const fv_readers *r, int i, fv_fusion *f);
/* The fused operator, named `name`, over the nodes built for the model's layers. */
fv_node *fv_inference_fusion_build(fv_graph *g, const fv_fusion *f, const char *name, fv_node *const *nodes);

#endif
