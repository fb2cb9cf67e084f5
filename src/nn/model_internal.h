/* The model's fields, its layers and the table of layer types shared by the description parser
 * (model_text.c), the model (model.c), graph building (layers.c) and the summary (summary.c). */
#ifndef FV_MODEL_INTERNAL_H
#define FV_MODEL_INTERNAL_H

#include "../core/internal.h"
#include "../core/name_index.h"
#include "fovea/init.h"
#include "fovea/model.h"
#include "fovea/ops.h"

#define FV_LAYER_MAX_INPUTS 64 /* DenseNet-121 concatenates 25 maps; a line names them all */
#define FV_LAYER_MAX_PARAMS 4
/* The longest line of a description: a layer reading FV_LAYER_MAX_INPUTS layers of 63-character names, and keys. */
#define FV_LINE_MAX (FV_LAYER_MAX_INPUTS * 64 + 1024)
#define FV_MODEL_MAX_NORM FV_MODEL_MAX_NORM_CHANNELS

typedef enum {
    FV_L_INPUT = 0,
    FV_L_CONV2D,
    FV_L_CONV_TRANSPOSE2D,
    FV_L_DENSE,
    FV_L_BATCH_NORM,
    FV_L_DROPOUT,
    FV_L_ACTIVATION,
    FV_L_SOFTMAX,
    FV_L_MAX_POOL,
    FV_L_AVG_POOL,
    FV_L_GLOBAL_AVG_POOL,
    FV_L_GLOBAL_MAX_POOL,
    FV_L_FLATTEN,
    FV_L_ADD,
    FV_L_MUL,
    FV_L_CONCAT,
    FV_L_PAD,
    FV_L_UPSAMPLE,
    FV_L_LRN,
    FV_L_ADAPTIVE_AVG_POOL,
    FV_L_CONSTANT,
    FV_L_GENERIC,   /* the general tensor layers: an fv_generic_type row says how each is built and exported */
    FV_L_KIND_COUNT
} fv_layer_kind;

/* Lists of numbers a key holds ("perm=0,2,1,3", "scales=1,1,1.5,1.5"): up to two per axis of a rank-6 tensor. */
#define FV_LAYER_MAX_LIST 12
typedef struct {
    int n;
    int64_t v[FV_LAYER_MAX_LIST];
} fv_int_list;
typedef struct {
    int n;
    float v[FV_LAYER_MAX_LIST];
} fv_float_list;

/* Every attribute any layer type has; each type reads the ones its keys name (fv_layer_type.keys). */
typedef struct {
    int filters, units;
    int kernel[2], stride[2], dilation[2], groups;
    int pad[4];              /* top, left, bottom, right */
    fv_pad_mode pad_mode;
    int output_padding[2];
    bool bias, ceil_mode, count_include_pad, align_corners;
    float eps, momentum, rate, alpha, beta, k, value;
    int size, axis;
    int scale[2];
    int out_size[2];         /* adaptive pools: the output's height and width */
    int mode;                /* fv_resize_mode */
    int64_t shape[FV_MAX_DIMS]; /* input: without the batch dimension (C, H, W or features) or whole; constant */
    int ndim;
    int dtype;               /* input, constant, cast: an fv_dtype */
    bool batch;              /* input: the graph adds a batch dimension in front of shape */
    /* the general tensor layers */
    fv_int_list axes;        /* axes of reductions, squeeze/unsqueeze, slices; a transpose's permutation */
    fv_int_list dims;        /* a target shape (reshape, expand), repeats (tile), sizes (resize, split), pads */
    fv_int_list starts, ends, steps; /* slice */
    fv_float_list scales;    /* resize */
    int choice[3];           /* keys with named values: the index of the value in the key's choices */
    bool keepdims, flag;     /* reductions; a second switch a type names (exclusive, largest, ...) */
    float lo, hi;            /* clip, hard-tanh */
    bool flag2;              /* a third switch (cumsum's reverse, gemm's trans_b) */
    char text[64];           /* a string key (einsum's equation) */
} fv_layer_attrs;

typedef struct {
    char name[64];
    const struct fv_layer_type *type;
    fv_layer_attrs a;
    int n_in;
    int in[FV_LAYER_MAX_INPUTS];
    int n_params;
    fv_param *params[FV_LAYER_MAX_PARAMS]; /* owned (one reference) by the model */
    bool batched;  /* its output has the batch dimension first: an input with one, or a layer reading one */
    int share;     /* 1 + the index of the earlier layer whose parameters this one uses (share=NAME), 0: its own */
} fv_layer;



/* How a key's value is written. */
typedef enum {
    FV_K_INT, FV_K_PAIR, FV_K_PAD, FV_K_FLOAT, FV_K_BOOL, FV_K_SHAPE, FV_K_MODE,
    FV_K_INTS,   /* comma-separated integers, negative allowed: "0,2,-1" (fv_int_list) */
    FV_K_FLOATS, /* comma-separated finite numbers (fv_float_list) */
    FV_K_CHOICE, /* one of the key's choices, stored as its index (int) */
    FV_K_AXIS,   /* an integer that may be negative (an axis counted from the end) */
    FV_K_TEXT    /* a short string without spaces (fv_layer_attrs.text): einsum's equation */
} fv_key_kind;

typedef struct {
    const char *name;
    fv_key_kind kind;
    size_t offset;  /* into fv_layer_attrs */
    bool required;
    const char *const *choices; /* FV_K_CHOICE: the values, NULL-terminated; the first is the default */
} fv_layer_key;

typedef struct fv_layer_type {
    const char *name;         /* as written in descriptions */
    const char *keras_name;   /* for the summary: "Conv2D" */
    fv_layer_kind kind;
    int act;                  /* fv_activation_kind for FV_L_ACTIVATION */
    int min_in, max_in;
    const fv_layer_key *keys; /* ends with {NULL} */
} fv_layer_type;

/* How one key of a generic layer maps to ONNX: the attribute of that name (attr, or the key's own name), or from
 * opset `since` on the node's input number `input` (a constant), as ONNX moved many attributes to inputs. */
typedef struct {
    const char *key;
    const char *attr;
    int input;   /* -1: always an attribute */
    int since;
} fv_onnx_key;

#define FV_GENERIC_ONNX_KEYS 8

/* A layer type of the general tensor operators (kind FV_L_GENERIC). The rows live in one table per family
 * (layers_<family>.c); build adds the node, make_params (may be NULL) creates parameters. The ONNX fields let
 * the importer and the exporter translate the layer without code of their own: the operator, the first opset
 * that has this form, and where each key goes. Data inputs are the layer's inputs, in order, at the ONNX
 * inputs that no key takes. */
typedef struct {
    fv_layer_type base;
    fv_node *(*build)(fv_graph *g, const fv_layer *l, fv_node *const *in);
    fv_status (*make_params)(fv_model *m, fv_layer *l, const fv_tensor *in0);
    const char *onnx_op;   /* NULL: no ONNX form */
    int onnx_since;
    fv_onnx_key onnx[FV_GENERIC_ONNX_KEYS];
    void (*defaults)(fv_layer_attrs *a); /* NULL, or sets the type's own defaults over the common ones */
    /* NULL, or how fv_model_init starts parameter j (default: PyTorch's kaiming-uniform weight, then biases) */
    void (*init)(int j, fv_init_spec *spec);
} fv_generic_type;

/* The family tables, each ended by a row whose base.name is NULL. */
extern const fv_generic_type fv_layers_layout[], fv_layers_math[], fv_layers_reduce[], fv_layers_norm[];
extern const fv_generic_type fv_layers_loss[];
/* Every generic type in turn: i = 0, 1, ... until NULL. */
const fv_generic_type *fv_generic_type_at(int i);
static inline const fv_generic_type *fv_generic(const fv_layer_type *t)
{
    return t && t->kind == FV_L_GENERIC ? (const fv_generic_type *)t : NULL;
}
/* A key of a type by name (NULL if none), and where its value lives in a layer. */
const fv_layer_key *fv_layer_find_key(const fv_layer_type *t, const char *name);
static inline const void *fv_layer_key_field(const fv_layer *l, const fv_layer_key *k)
{
    return (const char *)&l->a + k->offset;
}

const fv_layer_type *fv_layer_type_find(const char *name);
const fv_layer_type *fv_layer_type_at(int i); /* NULL past the end */
/* A type's position in the table (0 .. FV_LAYER_TYPE_COUNT - 1). */
int fv_layer_type_index(const fv_layer_type *t);
#define FV_LAYER_TYPE_COUNT 160 /* at least the number of types; checked in layer_types.c */
/* The attribute defaults of a type (PyTorch's). */
void fv_layer_defaults(const fv_layer_type *t, fv_layer_attrs *a);

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
    float mean[FV_MODEL_MAX_NORM], std[FV_MODEL_MAX_NORM];
    int norm_channels;
};

/* The input nodes of a graph built from m at this batch size, one per input layer, in nodes[layer]. */
fv_status fv_model_add_inputs(fv_model *m, fv_graph *g, int64_t batch, fv_node **nodes);
/* The layers the model outputs (its `outputs` list, or the last layer): returns the count, fills out. */
int fv_model_output_layers(const fv_model *m, int *out);

/* A float32 parameter of the layer named "<layer>.<suffix>" (the limits on size checked), or NULL with the error. */
fv_param *fv_layer_new_param(fv_model *m, fv_layer *l, const char *suffix, fv_param_kind kind, int ndim,
                             const int64_t *shape);
/* A layer's output shape at batch 1, whole; per[d] is true for the dimensions that grow with the batch (then
 * dims[d] is their size per batch element). Returns the rank. */
int fv_model_layer_dims(const fv_model *m, int layer, int64_t *dims, bool *per_batch);

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

/* Parse "key=value" for a layer (errors name source, line, layer and key). */
fv_status fv_layer_set_key(fv_ctx *ctx, const char *where, fv_layer *l, const char *key, const char *value);
/* Append s to a growing, NUL-terminated string (buf may start NULL). */
fv_status fv_text_append(char **buf, size_t *len, size_t *cap, const char *s);
/* Append the non-default keys of a layer as " key=value" to a growing string. */
fv_status fv_layer_write_keys(const fv_layer *l, char **buf, size_t *len, size_t *cap);

#endif
