/* The table of layer types: each type's name, kind, input counts and keys (name, how the value is written,
 * where it lives in fv_layer_attrs), and for the general tensor layers how they map to ONNX. It is shared by
 * the model (src/nn), the description parser, and ONNX import and export (src/io), which translate layers by
 * these rows; it holds no model or layer state (that is model_internal.h, private to src/nn). */
#ifndef FV_LAYER_TABLE_H
#define FV_LAYER_TABLE_H

#include <stddef.h>

#include "../core/internal.h"
#include "fovea/init.h"
#include "fovea/layer.h"
#include "fovea/ops.h"

/* A layer of a model (model_internal.h); the generic types' build functions take one. */
typedef struct fv_layer fv_layer;

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

/* The ranges of key values, for the parser and the checks of fv_model_add_layer alike: integers (filters,
 * units, sizes) from 1 to FV_KEY_INT_MAX, kernels, strides and paddings to FV_KEY_SIZE_MAX, list entries of
 * magnitude up to FV_KEY_LIST_MAX; FV_KEY_UNSET marks a required key not given. */
#define FV_KEY_INT_MAX (1L << 24)
#define FV_KEY_SIZE_MAX (1L << 16)
#define FV_KEY_LIST_MAX (1LL << 62)
#define FV_KEY_UNSET INT32_MIN

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
extern const fv_generic_type fv_layers_classical[]; /* layers_classical.c */
extern const fv_generic_type fv_layers_detect[];    /* layers_detect.c */
/* Every generic type in turn: i = 0, 1, ... until NULL. */
const fv_generic_type *fv_generic_type_at(int i);
static inline const fv_generic_type *fv_generic(const fv_layer_type *t)
{
    return t && t->kind == FV_L_GENERIC ? (const fv_generic_type *)t : NULL;
}
/* A key of a type by name (NULL if none), and where its value lives in a set of attributes. */
const fv_layer_key *fv_layer_find_key(const fv_layer_type *t, const char *name);
static inline const void *fv_attrs_field(const fv_layer_attrs *a, const fv_layer_key *k)
{
    return (const char *)a + k->offset;
}

const fv_layer_type *fv_layer_type_find(const char *name);
const fv_layer_type *fv_layer_type_at(int i); /* NULL past the end */
/* A type's position in the table (0 .. FV_LAYER_TYPE_COUNT - 1). */
int fv_layer_type_index(const fv_layer_type *t);
#define FV_LAYER_TYPE_COUNT 160 /* at least the number of types; checked in layer_types.c */
/* The attribute defaults of a type (PyTorch's). */
void fv_layer_defaults(const fv_layer_type *t, fv_layer_attrs *a);
/* The defaults with every required key marked as not given (a value no check accepts), as specs start. */
void fv_layer_spec_defaults(const fv_layer_type *t, fv_layer_attrs *a);
/* Whether a required key still holds that mark. */
bool fv_layer_key_unset(const fv_layer_attrs *a, const fv_layer_key *k);
/* A key's value as the description writes it. */
void fv_layer_format_value(const fv_layer_attrs *a, const fv_layer_key *k, char *out, size_t size);

#endif
