/* Layer types of the norm family (layer, instance and group normalization; resize): their keys, how each becomes a graph node,
 * and their ONNX form (fv_generic_type in model_internal.h). */
#include "model_internal.h"

const fv_generic_type fv_layers_norm[] = {
    {.base = {NULL}},
};
