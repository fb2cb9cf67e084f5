/* What the ONNX reader (onnx_read.c: bytes, tensors, the graph's names and order), the importer (onnx_import.c:
 * values, layers, errors; onnx_ops.c: one handler per operator; onnx_fold.c: constant folding) and the writer
 * (onnx_export.c) share. The protobuf structs come from onnx.pb-c.h, generated from third_party/onnx/onnx.proto. */
#ifndef FV_ONNX_INTERNAL_H
#define FV_ONNX_INTERNAL_H

#include <stdarg.h>

#include "../core/internal.h"
#include "../core/name_index.h"
#include "../nn/layer_table.h"
#include "fovea/model.h"
#include "fovea/onnx.h"
#include "onnx.pb-c.h"

#define OX_MAX_DIMS 8
/* Dimensions that folded shape arithmetic may hold: the batch size, unknown while importing (any batch runs),
 * and anything computed from it. */
#define OX_DIM_BATCH (INT64_MIN + 1000003)
#define OX_DIM_UNKNOWN (INT64_MIN + 1000004)
#define OX_IS_SYMBOL(v) ((v) == OX_DIM_BATCH || (v) == OX_DIM_UNKNOWN)
/* Layer names stay short enough for "<name>.running_mean" to fit a parameter's 63 characters. */
#define OX_NAME_MAX 50
/* The largest file and tensor read; protobuf itself stops at 2 GiB. */
#define OX_MAX_FILE ((size_t)2 << 30)
#define OX_MAX_ELEMENTS ((int64_t)1 << 31)
#define OX_FOLD_BUDGET ((int64_t)1 << 25)
#define OX_MAX_NODES 200000 /* loading is linear in the nodes; about 1 KB of memory per layer */

/* ONNX TensorProto data types used here. */
enum { OX_T_FLOAT = 1, OX_T_UINT8 = 2, OX_T_INT8 = 3, OX_T_UINT16 = 4, OX_T_INT16 = 5, OX_T_INT32 = 6,
       OX_T_INT64 = 7, OX_T_BOOL = 9, OX_T_FLOAT16 = 10, OX_T_DOUBLE = 11, OX_T_UINT32 = 12, OX_T_UINT64 = 13 };

typedef enum { OX_F32 = 0, OX_I64 } ox_type;

/* A constant: an initializer, a Constant node's value or a folded result. data is float* or int64_t*; it
 * points into the unpacked protobuf (owned false) or is the constant's own. */
typedef struct {
    ox_type type;
    bool is_bool;  /* OX_I64 read from a bool tensor (0 or 1) */
    int32_t onnx_type; /* the file's element type (OX_T_*; 0 for tensors made while importing) */
    int ndim;
    int64_t dims[OX_MAX_DIMS];
    int64_t n;
    void *data;
    bool owned;
} ox_tensor;

typedef enum {
    OX_UNSET = 0,
    OX_LAYER,  /* the output of a layer of the model */
    OX_CONST,  /* a constant */
    OX_GATE,   /* Sigmoid or HardSigmoid of a layer, waiting for the Mul by that layer that makes it silu or
                * hard_swish; any other use turns it into a layer of its own */
    OX_MATMUL  /* MatMul of a layer by a constant, waiting for the Add of its bias to become one dense layer */
} ox_kind;

typedef struct {
    ox_kind kind;
    int layer;    /* OX_LAYER; OX_GATE and OX_MATMUL: the layer they read */
    int node;     /* OX_GATE, OX_MATMUL: the node that made them (for names and messages) */
    ox_tensor c;  /* OX_CONST; OX_MATMUL: the weight */
} ox_value;

/* One tensor name of the graph. */
typedef struct {
    const char *name;
    int producer;     /* node index; -1: a graph input or an initializer */
    int n_users;      /* nodes reading it, plus one if it is the graph's output */
    int user;         /* the last node reading it */
    bool is_output;
    bool defined;     /* by an initializer, a graph input or a node */
    ox_value v;
} ox_entry;

typedef struct {
    ox_entry *e;
    int n, cap;
    int *slots; /* open addressing: entry index + 1, 0 for an empty slot */
    int n_slots;
} ox_table;

/* A base of layer names ("relu", "layer1.conv1") and the smallest suffix not yet known to be taken. */
typedef struct {
    char base[OX_NAME_MAX + 1];
    int next;
} ox_name_base;

typedef struct {
    fv_ctx *ctx;
    const char *path;            /* names the file in messages */
    Onnx__ModelProto *proto;
    const Onnx__GraphProto *g;
    int64_t opset;               /* of the default domain */
    fv_model *m;
    ox_table t;
    int *order, n_order;         /* the nodes the output needs, in a topological order */
    int *in_entry;               /* each node's inputs as entry indices (-1: left out), node i's from in_start[i]: */
    size_t *in_start;            /* names are looked up once, not at every pass over the graph */
    int64_t batch;               /* the input's batch size: OX_DIM_BATCH when dynamic */
    const Onnx__NodeProto *node; /* the node being imported (for messages) */
    int node_index;
    int64_t folded;              /* elements of the constants made so far (OX_FOLD_BUDGET) */
    ox_name_base *bases;         /* layer names' bases and the next suffix of each (onnx_import.c) */
    int n_bases, cap_bases;
    fv_name_index base_index;
} ox_import;

/* ---- onnx_read.c --------------------------------------------------------------------------------------- */

/* The protobuf, checked for nesting depth before protobuf-c unpacks it; NULL with a message. */
Onnx__ModelProto *ox_unpack(fv_ctx *ctx, const void *data, size_t size, const char *path);
ox_entry *ox_find(ox_table *t, const char *name);
ox_entry *ox_add_name(ox_import *im, const char *name);
void ox_table_free(ox_table *t);
/* The tensor of an initializer or a Constant, checked (type, dimensions, data length). what names it. */
fv_status ox_tensor_from_proto(ox_import *im, const Onnx__TensorProto *p, const char *what, ox_tensor *out);
fv_status ox_tensor_alloc(ox_import *im, ox_tensor *t, ox_type type, int ndim, const int64_t *dims);
void ox_tensor_free(ox_tensor *t);
/* Names every tensor, checks that each input exists and each output is made once, and orders the nodes the
 * graph's output needs (the file's order when it is topological). */
fv_status ox_index_graph(ox_import *im);

/* ---- onnx_import.c ------------------------------------------------------------------------------------- */

/* An error about the current node: "model.onnx: node 'conv1' (Conv): ...". */
fv_status ox_fail(ox_import *im, fv_status code, const char *fmt, ...);
fv_status ox_failv(ox_import *im, fv_status code, const char *fmt, va_list ap);
const char *ox_node_name(const Onnx__NodeProto *nd);
/* Input k of the current node, or NULL when absent (past the end, or an empty name). */
ox_entry *ox_in(ox_import *im, int k);
/* Input k as a layer (a pending gate or MatMul becomes one) or as a constant; errors say which it was not. */
fv_status ox_layer_in(ox_import *im, int k, int *layer);
fv_status ox_const_in(ox_import *im, int k, const ox_tensor **c);
fv_status ox_materialize(ox_import *im, ox_entry *e);
/* A constant used as a tensor becomes a `constant` layer named after it (its value in the layer's buffer); the
 * entry then names that layer, so later readers share it. */
fv_status ox_constant_layer(ox_import *im, ox_entry *e);
/* Output k of the current node gets a value (the entry takes ownership of a constant's data). */
void ox_set_out(ox_import *im, int k, ox_value v);
void ox_set_layer_out(ox_import *im, int k, int layer);
/* A layer's output dimensions with the batch first; returns the rank. */
int ox_layer_dims(ox_import *im, int layer, int64_t *dims);
/* Adds the layer spec s (its name and inputs set here) named after weight (without ".weight") or the node,
 * reading the given layers. Returns its index or -1 with the error set, the node named. The importer adds
 * every layer through here: it never writes a layer as description text to be parsed again. */
int ox_add_spec(ox_import *im, fv_layer_spec s, const char *weight, const int *in, int n_in);
/* The same for a layer of the given type with its default keys. */
int ox_add_plain(ox_import *im, const char *type, const char *weight, const int *in, int n_in);
/* ox_add_spec, the layer then being output 0 of the current node: the error code, or FV_OK. */
fv_status ox_add_out(ox_import *im, fv_layer_spec s, const char *weight, const int *in, int n_in);
/* An ONNX integer as a layer key: values past int's range saturate, so that the layer's checks refuse them
 * instead of seeing them wrap into range. */
static inline int ox_key_int(int64_t v) { return v > INT32_MAX ? INT32_MAX : v < -INT32_MAX ? -INT32_MAX : (int)v; }
/* n ONNX integers as a list key (n < 0: the key is left as it was, absent). A list too long for the key keeps
 * its count alone, which the layer's checks refuse, as they refuse entries past the key's range. */
static inline void ox_key_ints(fv_int_list *list, const int64_t *v, int n)
{
    if (n < 0) return;
    list->n = n;
    for (int i = 0; i < n && i < FV_LAYER_MAX_LIST; i++) list->v[i] = v[i];
}
/* Copies constant c (named cname in messages) into the layer's k-th parameter: transposed when c is (in, out)
 * and the layer wants (out, in), times scale (Gemm's alpha and beta), spread when c holds one value. */
fv_status ox_set_param(ox_import *im, int layer, int k, const ox_tensor *c, const char *cname, bool transpose,
                       float scale);

/* Attributes of the current node; absent ones give the default. */
const Onnx__AttributeProto *ox_attr(ox_import *im, const char *name);
fv_status ox_attr_int(ox_import *im, const char *name, int64_t def, int64_t *out);
fv_status ox_attr_float(ox_import *im, const char *name, float def, float *out);
/* Up to max ints into out, their count into *n (-1 when absent). */
fv_status ox_attr_ints(ox_import *im, const char *name, int64_t *out, int max, int *n);
fv_status ox_attr_floats(ox_import *im, const char *name, float *out, int max, int *n);
fv_status ox_attr_string(ox_import *im, const char *name, const char *def, char *out, size_t size);

/* ---- onnx_ops.c, onnx_fold.c -------------------------------------------------------------------------- */

typedef fv_status (*ox_handler)(ox_import *im);

typedef struct {
    const char *op;
    ox_handler layer; /* when some input is a layer (or the op has no constant form) */
    ox_handler fold;  /* when every input is a constant */
    int min_in, max_in, max_out;
    const char *attrs; /* the attributes understood, comma separated */
} ox_op;

/* The operator of that name, or NULL: the table in onnx_ops.c, then each family's (onnx_ops_<family>.c, ended by
 * a row whose op is NULL; their handlers may call ox_import_generic). */
const ox_op *ox_find_op(const char *op_type);
extern const ox_op ox_ops_layout[], ox_ops_math[], ox_ops_reduce[], ox_ops_norm[], ox_ops_loss[];
/* A Reduce* node as a reduction layer of that type (reduce_sum, reduce_mean, ...): onnx_ops_reduce.c. */
fv_status ox_reduce_layer(ox_import *im, const char *type);

/* Handlers of the math family (onnx_ops_math.c) that the table in onnx_ops.c uses: an operator imported through
 * its generic layer type, elementwise operators (integer constants matched to int32 inputs), Cast, and Softmax / LogSoftmax at any axis and opset. */
fv_status ox_math_generic(ox_import *im);
fv_status ox_math_elementwise(ox_import *im);
fv_status ox_math_elementwise_as(ox_import *im, const char *type); /* as that layer type (add, mul) */
fv_status ox_math_cast(ox_import *im);
fv_status ox_math_softmax(ox_import *im, bool log);

/* Handlers of the layout family (onnx_ops_layout.c) that the table in onnx_ops.c uses: the operator through its
 * generic layer type; Reshape of layer x to a shape (with OX_DIM_BATCH / OX_DIM_UNKNOWN entries); Flatten at any
 * axis; Pad of any rank and mode; Slice. */
fv_status ox_layout_generic(ox_import *im);
fv_status ox_layout_reshape(ox_import *im, int x, const int64_t *shape, int n, bool allowzero);
fv_status ox_layout_flatten(ox_import *im, int x, int64_t axis, int rank);
fv_status ox_layout_pad(ox_import *im);
fv_status ox_layout_slice(ox_import *im);

/* ---- onnx_generic.c ------------------------------------------------------------------------------------- */

/* The generic layer type (src/nn/layers_<family>.c) that imports this operator at this opset, or NULL. */
const fv_generic_type *ox_generic_type(const char *op_type, int64_t opset);
/* The current node as one layer of that type (keys from attributes and constant inputs). */
fv_status ox_import_generic(ox_import *im, const fv_generic_type *t);
/* ---- onnx_ops_norm.c --------------------------------------------------------------------------------------- */

/* The current Resize or Upsample node as a general resize layer reading layer x: mode, coordinate mapping and
 * nearest rounding by their ONNX names, the other attributes (cubic_coeff_a, exclude_outside, axes, antialias,
 * keep_aspect_ratio_policy) read from the node; exactly one of scales and sizes (constants, full rank or one per
 * axes entry). Refuses resizing the batch dimension, antialias, policies other than stretch. */
fv_status ox_resize_any(ox_import *im, int x, const char *mode, const char *coord, const char *nearest,
                        const ox_tensor *scales, const ox_tensor *sizes);

/* Folding of constants (onnx_fold.c), used by the table in onnx_ops.c. */
fv_status ox_fold_constant(ox_import *im);
fv_status ox_fold_identity(ox_import *im);
fv_status ox_fold_shape(ox_import *im);
fv_status ox_fold_gather(ox_import *im);
fv_status ox_fold_unsqueeze(ox_import *im);
fv_status ox_fold_squeeze(ox_import *im);
fv_status ox_fold_concat(ox_import *im);
fv_status ox_fold_cast(ox_import *im);
fv_status ox_fold_slice(ox_import *im);
fv_status ox_fold_reshape(ox_import *im);
fv_status ox_fold_binary(ox_import *im);
fv_status ox_fold_compare(ox_import *im); /* Equal, Less, Greater */
fv_status ox_fold_where(ox_import *im);
fv_status ox_fold_scatter_nd(ox_import *im);
fv_status ox_fold_size(ox_import *im);
/* Expand of a constant to a constant shape; a shape holding the batch size goes to the layer (ox_layout_expand). */
fv_status ox_fold_expand(ox_import *im);
fv_status ox_layout_expand(ox_import *im);
fv_status ox_fold_unary(ox_import *im);
fv_status ox_fold_constant_of_shape(ox_import *im);
fv_status ox_fold_transpose(ox_import *im);
fv_status ox_fold_range(ox_import *im);
fv_status ox_fold_flatten(ox_import *im);

/* Input k as an int64 vector of concrete values (pads, axes, scales as ints). */
fv_status ox_ints_in(ox_import *im, int k, int64_t *out, int max, int *n);
/* Element i of a constant as a double / an int64. */
double ox_get_f(const ox_tensor *c, int64_t i);
int64_t ox_get_i(const ox_tensor *c, int64_t i);

#endif
