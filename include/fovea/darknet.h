/* Darknet interchange: a Darknet network description (.cfg) read as a fovea model, and Darknet's .weights files
 * read into it and written from it. Sections map to layers: [net] to the input (channels x height x width),
 * [convolutional] to conv2d (with batch_norm when batch_normalize=1, and its activation: leaky 0.1, relu,
 * logistic, linear), [maxpool] to max_pool with Darknet's padding (size - 1 by default, its extra row and column
 * at the bottom and right), [route] to concat (or the layer it names), [shortcut] to add, [upsample] to nearest
 * upsampling, [yolo] to a yolo head (fovea/detect.h) with the anchors its mask picks. Layer k of the file
 * (counted from 0 after [net], as Darknet counts) is named "<kind>_<k>" (conv_0, bn_0, leaky_0, maxpool_1, ...).
 * An unknown section or option, or a value out of range, is an error naming the file and line. */
#ifndef FOVEA_DARKNET_H
#define FOVEA_DARKNET_H

#include "core.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The network of a .cfg file; its parameters zero-filled (fv_model_init draws them). NULL with the reason. */
fv_model *fv_darknet_load_cfg(fv_ctx *ctx, const char *cfg_path);

/* A .weights file into m (a model whose convolutions, each with its batch norm, come in Darknet's order: one
 * read by fv_darknet_load_cfg, or any conv-batch-norm model): the header (major, minor, revision, the images
 * seen), then per convolution its biases (or its batch norm's beta, gamma, running mean and variance) and its
 * weights. Darknet normalizes by sqrt(var) + 1e-6, fovea by sqrt(var + eps): the variance is converted so that
 * both divide by the same number. A file shorter or longer than the model needs is an error naming the layer
 * where it ran out, or the bytes left over. */
fv_status fv_darknet_read_weights(fv_ctx *ctx, fv_model *m, const char *path);
/* The same layout written from m (version 0.2.0, 64-bit images seen), atomically. */
fv_status fv_darknet_write_weights(fv_ctx *ctx, const fv_model *m, const char *path);

#ifdef __cplusplus
}
#endif

#endif
