/* Layers as typed specifications: what a layer is (its type, name, inputs and attributes) as a C struct that
 * fv_model_add_layer checks and adds to a model, and that fv_model_layer_spec gives back for any layer. The
 * description text (docs/MODELS.md) is parsed into the same struct, so a layer built here and the same layer
 * written as text are checked by the same code and make the same model.
 *
 *     fv_layer_spec c = fv_spec_conv2d("conv1", 32, 3);
 *     fv_spec_padding(&c, 1, 1);
 *     int i = fv_model_add_layer(m, &c);   // -1, and fv_errmsg names the layer and the attribute
 */
#ifndef FOVEA_LAYER_H
#define FOVEA_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fv_model fv_model;

/* The most inputs a layer reads (DenseNet-121 concatenates 25 maps). */
#define FV_LAYER_MAX_INPUTS 64
/* Lists of numbers an attribute holds (a permutation, scales): up to two per axis of a rank-6 tensor. */
#define FV_LAYER_MAX_LIST 12

typedef struct {
    int n;
    int64_t v[FV_LAYER_MAX_LIST];
} fv_int_list;
typedef struct {
    int n;
    float v[FV_LAYER_MAX_LIST];
} fv_float_list;

/* Every attribute any layer type has; a type reads the ones its keys name (docs/MODELS.md lists each type's
 * keys and the field behind each). Values are checked when the layer is added, with the ranges the text
 * parser accepts. */
typedef struct {
    int filters, units;         /* conv2d, conv_transpose2d; dense */
    int kernel[2], stride[2], dilation[2], groups; /* height, width; pools: stride 0 means the kernel */
    int pad[4];                 /* top, left, bottom, right (pad_mode FV_PAD_EXPLICIT) */
    fv_pad_mode pad_mode;       /* conv2d only may be FV_PAD_SAME or FV_PAD_VALID */
    int output_padding[2];
    bool bias, ceil_mode, count_include_pad, align_corners;
    float eps, momentum, rate, alpha, beta, k, value;
    int size, axis;
    int scale[2];               /* upsample */
    int out_size[2];            /* adaptive pools: the output's height and width */
    int mode;                   /* upsample: an fv_resize_mode */
    int64_t shape[FV_MAX_DIMS]; /* input: without the batch dimension (C, H, W or features) or whole; constant */
    int ndim;
    int dtype;                  /* input, constant, cast: an fv_dtype */
    bool batch;                 /* input: the graph adds a batch dimension in front of shape */
    /* the general tensor layers */
    fv_int_list axes;           /* axes of reductions, squeeze/unsqueeze, slices; a transpose's permutation */
    fv_int_list dims;           /* a target shape (reshape, expand), repeats (tile), sizes (resize, split), pads */
    fv_int_list starts, ends, steps; /* slice */
    fv_float_list scales;       /* resize */
    int choice[3];              /* keys with named values: the index of the value in the key's choices */
    bool keepdims, flag;        /* reductions; a second switch a type names (exclusive, largest, ...) */
    float lo, hi;               /* clip, hard-tanh */
    bool flag2;                 /* a third switch (cumsum's reverse, gemm's trans_b) */
    char text[64];              /* a string key (einsum's equation) */
} fv_layer_attrs;

/* conv_transpose2d's init= key (attrs.choice[0]): PyTorch's draw, or a bilinear upsampling kernel
 * (fv_init_bilinear) that fv_model_init writes instead of drawing. */
enum { FV_CONVT_INIT_DEFAULT = 0, FV_CONVT_INIT_BILINEAR = 1 };

/* One layer. Start from a constructor below (they set the type, PyTorch's defaults, and mark the attributes
 * a type requires as not yet given), then change fields. The strings are read when the layer is added and
 * need live no longer. */
typedef struct {
    const char *type;   /* the type's name, as descriptions write it ("conv2d"); NULL is refused */
    const char *name;   /* NULL or "": made up as Keras does ("conv2d_1"); at most 63 characters, no spaces,
                         * '=', ',' or '#' (the description text must read it back) */
    int n_in;           /* 0: the previous layer, for types that read one */
    int in[FV_LAYER_MAX_INPUTS];              /* the input layers by index ... */
    const char *in_name[FV_LAYER_MAX_INPUTS]; /* ... or, where not NULL, by name */
    const char *share;  /* NULL, or an earlier layer of the same type whose parameters this one uses (share=) */
    fv_layer_attrs a;
} fv_layer_spec;

/* ---- constructors: the type fixed at compile time, the required attributes as parameters ---------------- */

fv_layer_spec fv_spec_input(const char *name, int ndim, const int64_t *shape); /* float32, batch in front */
fv_layer_spec fv_spec_constant(const char *name, int ndim, const int64_t *shape, fv_dtype dtype);
fv_layer_spec fv_spec_conv2d(const char *name, int filters, int kernel);
fv_layer_spec fv_spec_conv_transpose2d(const char *name, int filters, int kernel);
fv_layer_spec fv_spec_dense(const char *name, int units);
fv_layer_spec fv_spec_batch_norm(const char *name);
fv_layer_spec fv_spec_dropout(const char *name, float rate);
/* relu, leaky_relu (alpha 0.01), relu6, elu (alpha 1), sigmoid, tanh, silu, hard_sigmoid, hard_swish */
fv_layer_spec fv_spec_activation(const char *name, fv_activation_kind kind);
fv_layer_spec fv_spec_relu(const char *name);
fv_layer_spec fv_spec_leaky_relu(const char *name, float alpha);
fv_layer_spec fv_spec_softmax(const char *name, int axis);
fv_layer_spec fv_spec_max_pool(const char *name, int kernel);
fv_layer_spec fv_spec_avg_pool(const char *name, int kernel);
fv_layer_spec fv_spec_global_avg_pool(const char *name);
fv_layer_spec fv_spec_global_max_pool(const char *name);
fv_layer_spec fv_spec_adaptive_avg_pool(const char *name, int height, int width);
fv_layer_spec fv_spec_flatten(const char *name);
fv_layer_spec fv_spec_add(const char *name, const char *a, const char *b);
fv_layer_spec fv_spec_mul(const char *name, const char *a, const char *b);
fv_layer_spec fv_spec_concat(const char *name, int axis); /* inputs: fv_spec_from for each */
fv_layer_spec fv_spec_pad(const char *name, int top, int left, int bottom, int right, float value);
fv_layer_spec fv_spec_upsample(const char *name, int scale, fv_resize_mode mode);
fv_layer_spec fv_spec_lrn(const char *name, int size);

/* Any type by name, the general tensor layers among them ("reshape", "reduce_mean", ...): their attributes
 * are then set field by field. An unknown type is reported by fv_model_add_layer. */
fv_layer_spec fv_spec_of_type(const char *type, const char *name);

/* Append an input by layer name or index (past FV_LAYER_MAX_INPUTS, fv_model_add_layer refuses the spec). */
void fv_spec_from(fv_layer_spec *s, const char *layer);
void fv_spec_from_layer(fv_layer_spec *s, int layer);
/* Strides and symmetric explicit padding of convolutions and pools (height, width). */
void fv_spec_stride(fv_layer_spec *s, int h, int w);
void fv_spec_padding(fv_layer_spec *s, int h, int w);

/* Check the spec as the description parser checks a line (type, name, every attribute's range, required
 * attributes, inputs, share=), create its parameters (zero-filled) and add it. Returns the layer's index, or
 * -1 with a message naming the layer and the attribute. */
int fv_model_add_layer(fv_model *m, const fv_layer_spec *spec);

/* ---- introspection ------------------------------------------------------------------------------------ */

/* Layer i as a spec: its type, name, inputs by index (in_name all NULL), share (the owner's name or NULL) and
 * attributes. The strings belong to the model. */
fv_status fv_model_layer_spec(const fv_model *m, int layer, fv_layer_spec *out);
/* The layer whose parameters layer i uses (share=), or -1 when it has its own. */
int fv_model_layer_share(const fv_model *m, int layer);

#ifdef __cplusplus
}
#endif
#endif
