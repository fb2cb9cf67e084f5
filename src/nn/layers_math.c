/* Layer types of the math family (elementwise arithmetic, unary functions, comparisons, where, cast, activations): their keys, how each becomes a graph node,
 * and their ONNX form (fv_generic_type in model_internal.h). */
#include "model_internal.h"

const fv_generic_type fv_layers_math[] = {
    {.base = {NULL}},
};
