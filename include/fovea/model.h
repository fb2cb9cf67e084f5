/* Models: a network as a list of named layers (what Keras calls a functional model), described by a text a
 * person can read and write, holding its parameters, and built into graphs for training and inference.
 * The description format is documented in docs/MODELS.md. */
#ifndef FOVEA_MODEL_H
#define FOVEA_MODEL_H

#include <stdio.h>

#include "graph.h"
#include "image.h"
#include "layer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fv_model fv_model;

/* The most inputs and outputs a model has (arrays for fv_model_build_io need no more). */
#define FV_MODEL_MAX_IO 16

/* The most input channels a model records a normalization for. */
#define FV_MODEL_MAX_NORM_CHANNELS FV_PREPROCESS_MAX_CHANNELS

/* An empty model; add an input layer first. name: the model's name for summaries (may be NULL). */
fv_model *fv_model_new(fv_ctx *ctx, const char *name);
void fv_model_free(fv_model *m);
fv_ctx *fv_model_ctx(const fv_model *m);
const char *fv_model_name(const fv_model *m);

/* Add one layer from the description syntax without the type: fv_model_add(m, "conv2d", "conv1 filters=32
 * kernel=3 padding=1"). The first word may be a name (otherwise one is made up as Keras does, "conv2d_1");
 * the layer reads the previous layer unless from=a,b names its inputs. Returns the layer's index or -1
 * with a message naming the layer and the key. Parameters are created (zero-filled) with the layer. */
int fv_model_add(fv_model *m, const char *type, const char *args);

/* A whole description (one layer per line, '#' comments; docs/MODELS.md). source names the text in errors
 * ("mynet.fvd:7: ..."). */
fv_model *fv_model_parse(fv_ctx *ctx, const char *text, const char *source);
/* The description of a model: a malloc'd string that fv_model_parse turns back into the same model. */
char *fv_model_describe(const fv_model *m);

/* A built-in model by name: the small ones ("fmnist-cnn", "lenet5", "mlp"; default input 1x28x28, 10
 * classes) and every zoo model (fv_zoo_build; default input 3x224x224, 1000 classes), for inputs of channels x
 * height x width (0s: the model's own default) and num_classes outputs (0: the default). NULL with a message
 * listing the names. */
fv_model *fv_model_by_name(fv_ctx *ctx, const char *name, int channels, int height, int width, int num_classes);
/* The names fv_model_by_name knows, NULL-terminated. */
const char *const *fv_model_names(void);

/* ---- the model zoo ------------------------------------------------------------------------------------ */

/* What Keras' pooling argument says for a model built without its top. */
typedef enum {
    FV_ZOO_POOL_NONE = 0, /* the last feature map, (C, H, W) */
    FV_ZOO_POOL_AVG,      /* global average pooling, then flattened: (C) */
    FV_ZOO_POOL_MAX       /* global max pooling, then flattened: (C) */
} fv_zoo_pooling;

/* How unet's decoder doubles the size of a feature map. */
typedef enum {
    FV_ZOO_UP_TRANSPOSE = 0, /* a 2x2 transposed convolution of stride 2 that halves the channels (with bias) */
    FV_ZOO_UP_BILINEAR       /* bilinear upsampling (align_corners false), no parameters, channels kept */
} fv_zoo_upsample;

/* Options of the zoo's builders, as Keras' applications take them. Start from fv_zoo_defaults(). */
typedef struct {
    int num_classes;        /* outputs of the classifier (0: the model's own, 1000; 21 for the segmentation
                             * models, Pascal VOC's 20 and background) */
    int channels, height, width; /* the input (3 x 224 x 224) */
    bool include_top;       /* the classifier (true); false: the convolutional base alone */
    fv_zoo_pooling pooling; /* without the top: what ends the model (FV_ZOO_POOL_NONE) */
    double alpha;           /* width multiplier: Keras' alpha for mobilenet_v1, torchvision's width_mult for
                             * mobilenet_v2 and _v3 and the backbone of deeplabv3_ / lraspp_mobilenet_v3_large,
                             * every width of fcn32s/16s/8s (1.0); other models refuse another value */
    bool aux_logits;        /* googlenet: its two auxiliary classifiers, as side branches that end in logits
                             * aux1.fc2 and aux2.fc2 (false; needs the top) */
    /* unet only (other models refuse values other than the defaults): */
    int depth;              /* down steps, each a 2x2 max pool (3; 1 to 8): height and width must be multiples
                             * of 2^depth */
    int base_width;         /* channels of the first level, doubled at each step down (16) */
    fv_zoo_upsample upsample; /* the decoder's upsampling (FV_ZOO_UP_TRANSPOSE) */
    bool no_batch_norm;     /* false: conv without bias, batch norm, ReLU; true: conv with bias, ReLU */
} fv_zoo_options;

fv_zoo_options fv_zoo_defaults(void);

/* A zoo model: alexnet; vgg11, vgg13, vgg16, vgg19 and their _bn variants; googlenet; resnet18, 34, 50, 101,
 * 152; mobilenet_v1 (as Keras defines it); mobilenet_v2, mobilenet_v3_small, mobilenet_v3_large;
 * efficientnet_b0 to _b7; unet (Ronneberger et al.'s U-Net with padded convolutions, per-pixel logits of the
 * input's size; names enc1.conv1, down1, bottleneck, up1, concat1, dec1.conv1, head; zoo_unet.c); fcn32s,
 * fcn16s, fcn8s (Long et al.'s FCN on VGG-16 with the Caffe reference's names conv1_1 .. fc6, fc7, score_fr,
 * score_pool4, score_pool3, upscore2, upscore_pool4, upscore8, its pad of 100 and crops, so the logits have the
 * input's size; the upscore layers start as bilinear kernels; zoo_fcn.c); fcn_resnet50,
 * deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large (torchvision.models.segmentation with aux_loss=False:
 * backbone.*, classifier.*, logits resized bilinearly to the input's size by a last layer named out;
 * zoo_segmentation.c). The segmentation models default to 21 classes.
 * Structure, layer and parameter names are torchvision's ("layer1.0.conv1.weight"), Keras' for mobilenet_v1
 * ("conv_dw_1.weight"); parameters are zero-filled (fv_model_init draws them). Every model outputs logits (no
 * softmax). opt NULL: the defaults. NULL with a message naming the model, the input
 * size and the layer that failed. */
fv_model *fv_zoo_build(fv_ctx *ctx, const char *name, const fv_zoo_options *opt);
/* Whether name is a zoo model. */
bool fv_zoo_has(const char *name);

/* Initialize every parameter as PyTorch does by default (conv and dense: kaiming-uniform with a = sqrt(5),
 * biases uniform in +-1/sqrt(fan_in); batch norm: gamma 1, beta 0, running mean 0, variance 1), drawing from
 * the context's generator. */
fv_status fv_model_init(fv_model *m);

/* ---- structure -------------------------------------------------------------------------------------- */

int fv_model_layer_count(const fv_model *m);
const char *fv_model_layer_name(const fv_model *m, int layer);
const char *fv_model_layer_type(const fv_model *m, int layer);  /* "conv2d", "relu", ... */
int fv_model_find_layer(const fv_model *m, const char *name);   /* index or -1 */
int fv_model_layer_input_count(const fv_model *m, int layer);
int fv_model_layer_input(const fv_model *m, int layer, int i);  /* index of the i-th input layer */
/* Output shape of a layer without the batch dimension (C, H, W or features); returns its ndim. */
int fv_model_layer_shape(const fv_model *m, int layer, int64_t *shape);
/* The parameters of a layer (weights first, then buffers) and of the whole model, in layer order. */
int fv_model_layer_params(const fv_model *m, int layer, fv_param **out, int max);
int fv_model_param_count(const fv_model *m);
fv_param *fv_model_param(const fv_model *m, int i);
fv_param *fv_model_find_param(const fv_model *m, const char *name);
/* The first input's shape without the batch dimension; returns its ndim (1 or 3 for images and features). */
int fv_model_input_shape(const fv_model *m, int64_t *shape);
/* Inputs and outputs. A model has one or more input layers (each a graph input, in the order they were added)
 * and one or more outputs: the layers an `outputs a,b` line (or fv_model_set_outputs) names, else the last
 * layer. Indices are layer indices. */
int fv_model_input_count(const fv_model *m);
int fv_model_input_layer(const fv_model *m, int k);
int fv_model_output_count(const fv_model *m);
int fv_model_output_layer(const fv_model *m, int k);
fv_status fv_model_set_outputs(fv_model *m, const int *layers, int n);
/* Whether a layer's output has the batch dimension first (it reads an input with batch=true), which
 * fv_model_layer_shape leaves out; constants and what is computed from them alone have none. */
bool fv_model_layer_batched(const fv_model *m, int layer);
/* A layer's output shape at batch 1, whole; per_batch[d] is true for the dimensions that grow with the batch
 * (then dims[d] is their size per batch element: a transpose may move the batch, a reshape merge it with
 * heads). Returns the rank. */
int fv_model_layer_dims(const fv_model *m, int layer, int64_t *dims, bool *per_batch);
fv_dtype fv_model_layer_dtype(const fv_model *m, int layer);
/* After running m on x failed with status s: when x is not a float batch of the model's input shape, the message in
 * the context is led by what the model expects, "model 'm' expects (N, 1, 28, 28), got (2, 3, 224, 224): " and
 * the failing layer's own words. Returns s. */
fv_status fv_model_explain_input(fv_model *m, const fv_tensor *x, fv_status s);
/* Number of outputs (classes) of the last layer. */
int64_t fv_model_output_size(const fv_model *m);

typedef struct {
    int64_t total, trainable, non_trainable; /* non-trainable: batch norm statistics and frozen weights */
} fv_param_totals;
fv_param_totals fv_model_param_totals(const fv_model *m);

/* Freeze (no gradient, no update) or unfreeze every weight of the layer named prefix and of the layers inside
 * it as a module path ("features.1" and "features.1.conv", never "features.10"); NULL or "": all. Returns how
 * many layers matched. fv_model_freeze takes rules and patterns. */
int fv_model_set_trainable(fv_model *m, const char *prefix, bool trainable);

/* fv_model_copy_weights for models whose ends differ (a new head, a base without its top): the pairs are
 * carried from the start for as long as they fit; dst's layers from the first misfit on keep their weights
 * and are named in *left_out (malloc'd "fc, ...", or NULL when every layer was carried). *carried gets the
 * pairs carried. An error, and nothing carried, when not even the first pair fits. */
fv_status fv_model_copy_weights_prefix(fv_model *dst, const fv_model *src, int *carried, char **left_out);

/* ---- transfer learning --------------------------------------------------------------------------------- */

/* The classifier a new head replaces: the layer named (it must be dense), or the last dense layer the first
 * output depends on; -1 with a message when there is none. */
int fv_model_head_layer(const fv_model *m, const char *name);
/* A copy of src whose head (fv_model_head_layer(src, head)) is a new dense layer of `classes` units under the
 * same name, initialised as PyTorch initialises Linear (from the context's generator); every other layer keeps
 * its parameters, trainable flag and sharing, and the normalization and task line carry over (class names do
 * not: they were the old head's). Layers after the head are kept (a softmax); one whose shape depended on the
 * old width is an error naming it. */
fv_model *fv_model_new_head(const fv_model *src, const char *head, int classes);
/* src's convolutional base, Keras' include_top=False: the layers up to the first flatten, global pool, 1x1
 * adaptive pool or dense layer that reads a feature map on the way to the first output (side branches that
 * only the top needs go with it), then the pooling (none, avg, max: a global pool and a flatten), then, for
 * classes > 0, a flatten if still needed and a new dense classifier "fc" initialised as above. */
fv_model *fv_model_base(const fv_model *src, fv_zoo_pooling pooling, int classes);

/* Freeze weights for fine-tuning (buffers never train). spec: "all", "none" (unfreeze everything),
 * "all-but-head" (head as for fv_model_head_layer), "up-to=LAYER" (every layer with weights up to and
 * including LAYER, or the last layer of the module path LAYER: up-to=layer3 ends at layer3.1's last layer), "fraction=F" (the first ceil(F * W) of the W layers with weights, F in (0, 1]), or a
 * comma-separated list of exact layer names, '*' matching any run of characters ("features.*"). A name or
 * pattern that matches no layer with weights, an unknown LAYER or a bad fraction is an error naming it, and
 * nothing changes. A frozen batch norm also runs in inference mode in training passes (Keras' rule).
 * *n_layers (may be NULL) receives how many layers were frozen. The frozen layers are kept in model files. */
fv_status fv_model_freeze(fv_model *m, const char *spec, const char *head, int *n_layers);
/* Unfreeze the named layers (list or patterns as above), or every layer when names is NULL or "". */
fv_status fv_model_unfreeze(fv_model *m, const char *names, int *n_layers);
/* The frozen layers' names, comma-separated ("" when none): malloc'd, NULL without memory. */
char *fv_model_frozen_layers(const fv_model *m);

/* ---- metadata --------------------------------------------------------------------------------------- */

/* Class names (n == output size; each valid UTF-8 without control characters, else FV_ERR_ARG) and input
 * normalization (x - mean) / std per channel, kept in model files. */
fv_status fv_model_set_class_names(fv_model *m, const char *const *names, int n);
const char *fv_model_class_name(const fv_model *m, int k); /* NULL when none was set */
fv_status fv_model_set_normalization(fv_model *m, const float *mean, const float *std, int channels);
/* Returns the number of channels with normalization (0 for none) and copies up to max of each. */
int fv_model_normalization(const fv_model *m, float *mean, float *std, int max);
/* The whole preprocessing (fovea/image.h): channel order, scale, mean and std, applied by every graph built from
 * the model as its first step (the graph's input takes RGB in [0, 1]), and the resize rule the data path follows.
 * Kept in model files and ONNX metadata. mean/std must have 1 value or one per input channel, std > 0; BGR needs
 * 3 channels. NULL removes it (the model then takes its input as given, as before preprocessing existed).
 * fv_model_set_normalization changes the mean and std alone. */
fv_status fv_model_set_preprocess(fv_model *m, const fv_preprocess *p);
/* Whether the model stores preprocessing; *p gets it, or fv_preprocess_defaults() when none. */
bool fv_model_preprocess(const fv_model *m, fv_preprocess *p);

/* What the model is trained for, as a description's `task` line says it ("segment loss=ce+0.5*dice
 * ignore_index=255"; docs/TRAINING.md): kept verbatim (at most FV_MODEL_MAX_TASK - 1 printable characters,
 * no line break), written back by fv_model_describe and so kept in model files; read by the trainer's
 * fv_task_options_parse. NULL or "" clears it; fv_model_task gives NULL when there is none. */
#define FV_MODEL_MAX_TASK 256
fv_status fv_model_set_task(fv_model *m, const char *text);
const char *fv_model_task(const fv_model *m);

/* ---- building ------------------------------------------------------------------------------------------- */

/* The model as a graph: an input node "input" of shape (batch, input shape), every layer a node (named as
 * the layer), the last layer's output the logits. The graph uses the model's parameters (shared: several
 * graphs of one model train the same weights). *layer_nodes, if given, receives a malloc'd array mapping each
 * layer to its node. NULL with a message naming the layer on error. */
fv_graph *fv_model_build(fv_model *m, int64_t batch, fv_node **input, fv_node **output, fv_node ***layer_nodes);

/* The same for a model of several inputs and outputs: inputs[k] receives the node of input k (in
 * fv_model_input_layer order), outputs[k] that of output k; either may be NULL. fv_model_build gives the first
 * of each. */
fv_graph *fv_model_build_io(fv_model *m, int64_t batch, fv_node **inputs, fv_node **outputs, fv_node ***layer_nodes);
fv_graph *fv_model_build_inference_io(fv_model *m, int64_t batch, fv_node **inputs, fv_node **outputs);

/* The model for inference: eval mode, every batch norm that follows a convolution folded into it (one pass
 * over the activations less). Same outputs as fv_model_build in eval mode up to float rounding; the folded
 * convolutions' own outputs do not exist as nodes (use fv_model_build to look inside a model). The graph's
 * convolutions work on a copy of their weights taken when it is built (folded or copied), which the kernels keep
 * packed from the first run on: build a new graph after changing the model's weights. */
fv_graph *fv_model_build_inference(fv_model *m, int64_t batch, fv_node **input, fv_node **output);

/* The model's first output for the batch x in eval mode (an inference graph built for x's batch), copied: raw
 * outputs, no softmax (fv_predict gives class probabilities). NULL with the reason in the model's context, led by
 * what the model expects when x does not fit it. */
fv_tensor *fv_model_output(fv_model *m, const fv_tensor *x);

/* ---- files -------------------------------------------------------------------------------------------- */

/* A model file (docs/FORMAT.md) holding the description, every parameter and buffer, class names and input
 * normalization; written atomically. */
fv_status fv_model_save(const fv_model *m, const char *path);
/* A model file, or a description text (parameters then initialized by fv_model_init). Everything is checked
 * (every parameter present with its shape, nothing extra) before a model is returned. */
fv_model *fv_model_load(fv_ctx *ctx, const char *path);

/* Lower level, for checkpoints that add optimizer state and a training position to the same file. */
struct fv_modelfile;
struct fv_modelfile *fv_model_to_modelfile(const fv_model *m);
fv_model *fv_model_from_modelfile(fv_ctx *ctx, const struct fv_modelfile *mf, const char *path);
/* Copy weights from a model file into m (same parameter names and shapes), e.g. to restore a checkpoint. */
fv_status fv_model_load_weights(fv_model *m, const struct fv_modelfile *mf, const char *path);
/* Copy every weight of src into dst, a model of the same architecture whose layers may be named differently
 * (an ONNX import of torchvision's resnet18 into fv_zoo_build's): layers with weights, each with the batch norm
 * that directly follows it, are paired in layer order and must agree on type, weight shape, stride, dilation and
 * groups. A batch norm that one model keeps and the other folded into a convolution's bias (as PyTorch's ONNX
 * export does in eval mode) is converted, so that dst computes what src computes. Nothing is changed unless
 * every pair fits; the error names the first pair that does not. */
fv_status fv_model_copy_weights(fv_model *dst, const fv_model *src);

/* ---- summary ------------------------------------------------------------------------------------------- */

/* Keras' summary table: layer (type), output shape, parameters, and "Connected to" when the model has
 * branches; then the totals. explain adds each layer's arithmetic (output size and parameter formulas with
 * the numbers filled in). */
fv_status fv_model_summary(const fv_model *m, FILE *out, bool explain);

#ifdef __cplusplus
}
#endif
#endif
