/* ONNX interchange: a model from an .onnx file (what PyTorch's torch.onnx.export and other tools write) and a
 * fovea model to an .onnx file that onnxruntime and other tools run. The operators and attributes understood
 * are listed in docs/ONNX.md; anything else is refused with a message naming the node and the operator. */
#ifndef FOVEA_ONNX_H
#define FOVEA_ONNX_H

#include <stddef.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The opset fv_onnx_save writes when given 0, and the range it can write. */
#define FV_ONNX_DEFAULT_OPSET 13
#define FV_ONNX_MIN_OPSET 11
#define FV_ONNX_MAX_OPSET 18

/* A model from an ONNX file: the graph's operators become layers (a convolution, its batch norm, ...) named
 * after their weights ("layer1.0.conv1") or their nodes, initializers become the layers' parameters, shape
 * arithmetic (Shape, Gather, Concat ... on constants) is folded away. The input's size is the graph input's
 * (its batch dimension may be dynamic); the output is the graph's one output. Everything is checked (a
 * truncated or malformed file, tensors whose data disagree with their dimensions, missing initializers,
 * cycles, ranks and shapes) before a model is returned; NULL with a message naming the file, the node and the
 * operator otherwise. */
fv_model *fv_onnx_load(fv_ctx *ctx, const char *path);
/* The same from bytes in memory; name stands for the file in messages. */
fv_model *fv_onnx_load_mem(fv_ctx *ctx, const void *data, size_t size, const char *name);

/* The ONNX operators fv_onnx_load understands (some with limits on their attributes, docs/ONNX.md),
 * NULL-terminated. */
const char *const *fv_onnx_operators(void);

/* The model as an ONNX file of the given opset (0: FV_ONNX_DEFAULT_OPSET), written atomically (temporary file,
 * fsync, rename). Input "batch x shape" with a dynamic batch, the last layer's output, parameters as
 * initializers under their own names, class names and input normalization as metadata. Loading it back with
 * fv_onnx_load gives the same model (same layers, same outputs bit for bit). Refused, naming the layer, when a
 * layer has no exact ONNX form (an LRN of even size, an adaptive pool whose sizes do not divide). */
fv_status fv_onnx_save(const fv_model *m, const char *path, int opset);
/* The same into a malloc'd buffer (*data, *size), freed by the caller. */
fv_status fv_onnx_save_mem(const fv_model *m, int opset, void **data, size_t *size);

#ifdef __cplusplus
}
#endif
#endif
