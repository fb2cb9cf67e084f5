/* ONNX operators of the layout family that need more than the generic translation (onnx_generic.c): their
 * handlers. Operators that map one to one onto a layer type are listed in src/nn/layers_layout.c instead. */
#include "onnx_internal.h"

const ox_op ox_ops_layout[] = {
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
