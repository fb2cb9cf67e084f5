/* Layer types of the reduce family (reductions, arg-max/min, top-k, cumulative sums, matmul, gemm): their keys, how each becomes a graph node,
 * and their ONNX form (fv_generic_type in model_internal.h). */
#include "model_internal.h"

const fv_generic_type fv_layers_reduce[] = {
    {.base = {NULL}},
};
