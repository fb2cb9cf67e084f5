/* The model's fields and its layers, private to src/nn: the description parser (model_text.c), the model
 * (model.c), graph building (layers.c), the summary (summary.c) and the zoo. Code outside src/nn reads models
 * through fovea/model.h and fovea/layer.h; the table of layer types is layer_table.h. */
#ifndef FV_MODEL_INTERNAL_H
#define FV_MODEL_INTERNAL_H

#include "../core/internal.h"
#include "../core/name_index.h"
#include "fovea/init.h"
#include "fovea/model.h"
#include "fovea/ops.h"
#include "layer_table.h"

#define FV_LAYER_MAX_PARAMS 4
/* The longest line of a description: a layer reading FV_LAYER_MAX_INPUTS layers of 63-character names, and keys. */
#define FV_LINE_MAX (FV_LAYER_MAX_INPUTS * 64 + 1024)
#define FV_MODEL_MAX_NORM FV_MODEL_MAX_NORM_CHANNELS

struct fv_layer {
    char name[64];
    const struct fv_layer_type *type;
    fv_layer_attrs a;
    int n_in;
    int in[FV_LAYER_MAX_INPUTS];
    int n_params;
    fv_param *params[FV_LAYER_MAX_PARAMS]; /* owned (one reference) by the model */
    bool batched;  /* its output has the batch dimension first: an input with one, or a layer reading one */
    int share;     /* 1 + the index of the earlier layer whose parameters this one uses (share=NAME), 0: its own */
};

/* Where the value of key k lives in layer l. */
static inline const void *fv_layer_key_field(const fv_layer *l, const fv_layer_key *k)
{
    return (const char *)&l->a + k->offset;
}

struct fv_model {
    fv_ctx *ctx;
    char name[64];
    fv_layer *layers;
    int n_layers, cap_layers;
    /* A batch-1 graph kept in step with the layers: it checks each layer as it is added (shape inference
     * names the layer) and gives every layer's output shape. */
    fv_graph *shapes;
    fv_node *shape_input;                /* the first input layer's node */
    fv_node **shape_nodes;
    /* The same at batch 2, which tells the dimensions that follow the batch (a transpose may move it, a
     * reshape merge it with heads) from those that do not. NULL once a layer could only be built at batch 1
     * (a reshape to a fixed shape): the model then runs at batch 1 alone. */
    fv_graph *shapes2;
    fv_node **shape_nodes2;
    int inputs[FV_MODEL_MAX_IO], n_inputs;   /* the input layers, in order */
    int outputs[FV_MODEL_MAX_IO], n_outputs; /* set by an `outputs` line; none: the last layer */
    fv_name_index layer_index;           /* layer name -> position */
    int auto_names[FV_LAYER_TYPE_COUNT];  /* per type: the smallest suffix not yet known to be taken */
    fv_param **params;                   /* every layer's parameters in order, and their index by name */
    int n_params, cap_params;
    fv_name_index param_index;
    char **class_names;
    int n_class_names;
    fv_preprocess pre; /* applied by every graph when has_pre (model.c, fv_model_add_inputs) */
    bool has_pre;
    char task[FV_MODEL_MAX_TASK]; /* a `task` line's text ("segment loss=ce+0.5*dice"), "" for none */
};

/* The input nodes of a graph built from m at this batch size, one per input layer, in feeds[k] (input k); nodes[layer]
 * gets what the layers read: the input itself, or for the first input of a model with preprocessing, its
 * preprocessed value (channel order, scale, mean and std as graph nodes). */
fv_status fv_model_add_inputs(fv_model *m, fv_graph *g, int64_t batch, fv_node **nodes, fv_node **feeds);
/* The layers the model outputs (its `outputs` list, or the last layer): returns the count, fills out. */
int fv_model_output_layers(const fv_model *m, int *out);

/* A float32 parameter of the layer named "<layer>.<suffix>" (the limits on size checked), or NULL with the error. */
fv_param *fv_layer_new_param(fv_model *m, fv_layer *l, const char *suffix, fv_param_kind kind, int ndim,
                             const int64_t *shape);

/* Create a layer's parameters for inputs of the given shapes (batch first), named "<layer>.weight" etc. */
fv_status fv_layer_make_params(fv_model *m, fv_layer *l, const fv_tensor *in0);
/* Add the layer's node to g reading the given input nodes; NULL with a message naming the layer. */
fv_node *fv_layer_build(fv_graph *g, const fv_layer *l, fv_node *const *in);

/* A conv2d layer with its output clamped to [0, hi] (a fused ReLU or ReLU6), for inference graphs. */
fv_node *fv_layer_build_conv_clamped(fv_graph *g, const fv_layer *l, fv_node *x, float hi);
/* A conv2d layer (clamped to [0, hi] when hi > 0) over x mapped per channel by the parameters scale and shift,
 * clamped to [0, in_hi] when in_hi > 0 (ops/fused.h): a batch norm and its ReLU folded into the input. */
fv_node *fv_layer_build_conv_mapped(fv_graph *g, const fv_layer *l, fv_node *x, fv_param *scale, fv_param *shift,
                                    float in_hi, float hi);
/* A batch norm layer with a fused clamp to [0, hi] (fv_batch_norm_clamped). */
fv_node *fv_layer_build_bn_clamped(fv_graph *g, const fv_layer *l, fv_node *x, float hi);

/* Check a layer and add it as the next (fv_model_add_layer; the description parser passes where, "net.fvd:3: ",
 * to lead its messages). Returns its index or -1. */
int fv_model_add_spec(fv_model *m, const fv_layer_spec *s, const char *where);
/* A free Keras-style name for a new layer of type t: conv2d, conv2d_1 ... */
void fv_model_auto_name(fv_model *m, const fv_layer_type *t, char *name, size_t size);
/* Every key of l within the range the description parser accepts, required ones given (layer_check.c). */
fv_status fv_layer_check_attrs(fv_ctx *ctx, const char *where, const fv_layer *l);
/* A layer name that a description line reads back. */
fv_status fv_layer_check_name(fv_ctx *ctx, const char *where, const fv_layer_type *t, const char *name);

/* Parse "key=value" for a layer (errors name source, line, layer and key). */
fv_status fv_layer_set_key(fv_ctx *ctx, const char *where, fv_layer *l, const char *key, const char *value);
/* Append s to a growing, NUL-terminated string (buf may start NULL). */
fv_status fv_text_append(char **buf, size_t *len, size_t *cap, const char *s);
/* Append the non-default keys of a layer as " key=value" to a growing string. */
fv_status fv_layer_write_keys(const fv_layer *l, char **buf, size_t *len, size_t *cap);

#endif
