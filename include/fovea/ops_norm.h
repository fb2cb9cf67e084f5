/* fovea operators of the norm family: layer, instance and group normalization over tensors of any rank up to 6,
 * and resizing of the trailing axes to any size or scale (ONNX Resize, PyTorch F.interpolate).
 * Every builder checks its shapes and attributes at once and returns NULL with a message naming the op, the
 * node and the shapes when they do not fit. All tensors are float32. */
#ifndef FOVEA_OPS_NORM_H
#define FOVEA_OPS_NORM_H

#include <stdbool.h>
#include <stdint.h>

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- normalization ------------------------------------------------------------------------------- */

/* Layer normalization (ONNX LayerNormalization, PyTorch F.layer_norm with normalized_shape = x's dims from
 * axis on): y = (x - mean) / sqrt(var + eps) * scale + bias, the mean and the biased variance taken over the
 * axes [axis, rank) of each slice. x of rank 1 to 6; axis in [-rank, rank) (negative counts from the end).
 * scale and bias (each optional: NULL is 1 and 0) broadcast to the normalized shape x.shape[axis:] by the
 * usual right-aligned rule: their rank is at most rank - axis, each of their dims is 1 or the matching dim
 * (PyTorch's weight is exactly x.shape[axis:]). eps >= 0 and finite. Train and eval are the same. Gradients
 * for x, scale and bias. Refused: rank 0, an axis out of range, a scale or bias that does not broadcast,
 * another dtype. The statistics (ONNX's optional Mean and InvStdDev outputs) are not outputs. */
fv_node *fv_layer_norm(fv_graph *g, fv_node *x, fv_node *scale, fv_node *bias, int axis, float eps);

/* Instance normalization (ONNX InstanceNormalization; PyTorch F.instance_norm without running statistics):
 * x (N, C, D1, ..., Dk) of rank 2 to 6, each (n, c) normalized over its spatial elements, then
 * y = xhat * scale[c] + bias[c]; scale and bias (C) or NULL (1 and 0). With rank 2 (k = 0) every plane is one
 * element and y = bias (PyTorch refuses a single spatial element in training, ONNX needs rank >= 3).
 * Gradients for x, scale and bias. */
fv_node *fv_instance_norm(fv_graph *g, fv_node *x, fv_node *scale, fv_node *bias, float eps);

/* Group normalization (PyTorch F.group_norm, ONNX GroupNormalization opset 21): x (N, C, D1, ..., Dk) of rank
 * 2 to 6, C split into num_groups groups of C / num_groups consecutive channels, each (n, group) normalized
 * over its channels and spatial elements, then y = xhat * scale[c] + bias[c] with per-CHANNEL scale and bias
 * (C) or NULL. num_groups >= 1 must divide C. ONNX opset 18's GroupNormalization has per-GROUP scale and
 * bias (num_groups): repeat each value C / num_groups times (channel c takes group c / (C / num_groups)).
 * Gradients for x, scale and bias. */
fv_node *fv_group_norm(fv_graph *g, fv_node *x, fv_node *scale, fv_node *bias, int num_groups, float eps);

/* ---- resize --------------------------------------------------------------------------------------- */

typedef enum {
    FV_RESAMPLE_NEAREST = 0, /* one source element per output element */
    FV_RESAMPLE_LINEAR,      /* 2 taps per axis: linear, bilinear, trilinear */
    FV_RESAMPLE_CUBIC        /* 4 taps per axis, Keys' cubic convolution with coefficient cubic_a */
} fv_resample_mode;

/* ONNX's coordinate_transformation_mode: the source coordinate x of output index o along an axis of input
 * size in and output size out, where r = 1 / scale when a scale was given and in / out otherwise. */
typedef enum {
    FV_COORD_HALF_PIXEL = 0,      /* x = (o + 0.5) r - 0.5 (PyTorch's align_corners=False) */
    FV_COORD_PYTORCH_HALF_PIXEL,  /* the same, but x = 0 when out = 1 (ONNX's name; PyTorch itself does not) */
    FV_COORD_ALIGN_CORNERS,       /* x = o (in - 1) / (out - 1), 0 when out = 1 (ignores scales) */
    FV_COORD_ASYMMETRIC,          /* x = o r (PyTorch's 'nearest') */
    FV_COORD_TF_HALF_PIXEL_FOR_NN /* x = (o + 0.5) r */
} fv_coord_transform;

/* ONNX's nearest_mode: how nearest rounds x to a source index (then clamped to [0, in - 1]). */
typedef enum {
    FV_ROUND_PREFER_FLOOR = 0, /* nearest integer, halves down */
    FV_ROUND_PREFER_CEIL,      /* nearest integer, halves up */
    FV_ROUND_FLOOR,
    FV_ROUND_CEIL
} fv_nearest_round;

typedef struct {
    fv_resample_mode mode;
    fv_coord_transform coord;
    fv_nearest_round nearest; /* nearest only */
    double cubic_a;           /* cubic only: -0.75 is PyTorch's, -0.5 ONNX's default */
    bool exclude_outside;     /* cubic: taps outside the input get weight 0 and the rest are renormalized */
} fv_resize_args;

/* ONNX Resize's defaults: nearest, half_pixel, round_prefer_floor, cubic_a -0.75, exclude_outside off. */
fv_resize_args fv_resize_defaults(void);

/* Resize the last n_axes axes of x (rank 1 to 6, 1 <= n_axes <= rank; usually (N, C, spatial...) with 1, 2 or
 * 3 spatial axes); the leading axes are independent planes. Exactly one of sizes (n_axes output sizes >= 0) and
 * scales (n_axes finite factors > 0; output size floor(in * scale)) is given, the other NULL. With scales,
 * coordinates map with r = 1 / scale, as ONNX's scales and PyTorch's scale_factor with
 * recompute_scale_factor=False; with sizes, with r = in / out.
 * Linear and cubic weights and sums run in double; nearest computes its coordinate in float32 with PyTorch's
 * operations (r = (float)(1 / scale) or (float)in / (float)out, x = (float)o * r, or ((float)o + 0.5f) * r -
 * 0.5f), so 'nearest' (asymmetric + floor) and 'nearest-exact' (half_pixel + round_prefer_ceil) pick PyTorch's
 * pixels. Out-of-range taps read the edge element (as both PyTorch and ONNX do). An output size of 0 gives an
 * empty tensor; an empty input axis must have an output size of 0. Gradients for x (scatter-adds) in every
 * mode. Refused: n_axes out of range, both or neither of sizes and scales, negative sizes, non-positive or
 * non-finite scales, output sizes beyond the tensor limits, an unknown mode, a cubic_a not finite. */
fv_node *fv_resize(fv_graph *g, fv_node *x, int n_axes, const int64_t *sizes, const double *scales,
                   const fv_resize_args *args);

#ifdef __cplusplus
}
#endif
#endif
