/* Layer types of the layout family (reshape, transpose, squeeze, unsqueeze, expand, tile, slice, split, gather, scatter, pad, depth/space): their keys, how each becomes a graph node,
 * and their ONNX form (fv_generic_type in model_internal.h). */
#include "model_internal.h"

const fv_generic_type fv_layers_layout[] = {
    {.base = {NULL}},
};
