/* fovea operators: the builder functions that add one node to a graph.
 * Shapes follow PyTorch: images NCHW, dense weights (out, in), conv weights (Cout, Cin/groups, kH, kW),
 * transposed conv weights (Cin, Cout/groups, kH, kW). Every builder checks its shapes and attributes at
 * once and returns NULL with a message naming the op and the shapes when they do not fit. */
#ifndef FOVEA_OPS_H
#define FOVEA_OPS_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dense ------------------------------------------------------------------------------------------ */

/* y = x w^T + b; x (N, in), w (out, in), b (out) or NULL -> (N, out). */
fv_node *fv_dense(fv_graph *g, fv_node *x, fv_node *w, fv_node *b);

/* ---- convolution ---------------------------------------------------------------------------------- */

typedef enum {
    FV_PAD_EXPLICIT = 0, /* use pad[] */
    FV_PAD_SAME,         /* output = ceil(input / stride); odd totals put the extra row/column at the end (TF) */
    FV_PAD_VALID         /* no padding */
} fv_pad_mode;

typedef struct {
    int stride[2];   /* (h, w), >= 1 */
    int pad[4];      /* top, left, bottom, right; >= 0 */
    fv_pad_mode pad_mode;
    int dilation[2]; /* >= 1 */
    int groups;      /* divides Cin and Cout; groups == Cin == Cout is depthwise */
} fv_conv2d_args;

/* stride 1, no padding, dilation 1, one group. */
fv_conv2d_args fv_conv2d_defaults(void);
/* x (N, Cin, H, W), w (Cout, Cin/groups, kH, kW), b (Cout) or NULL -> (N, Cout, H', W') with
 * H' = floor((H + pad_top + pad_bottom - dilation*(kH-1) - 1) / stride) + 1. */
fv_node *fv_conv2d(fv_graph *g, fv_node *x, fv_node *w, fv_node *b, const fv_conv2d_args *a);
/* conv2d followed by a fused clamp to [0, hi]: ReLU with hi = INFINITY, ReLU6 with hi = 6. One pass over the
 * output less than conv2d + activation; gradients flow as through the pair. Inference graphs use it. */
fv_node *fv_conv2d_clamped(fv_graph *g, fv_node *x, fv_node *w, fv_node *b, const fv_conv2d_args *a, float hi);

typedef struct {
    int stride[2];
    int pad[4];            /* top, left, bottom, right: removed from the full output */
    int output_padding[2]; /* added at the bottom/right, < stride or < dilation */
    int dilation[2];
    int groups;
} fv_conv_transpose2d_args;

fv_conv_transpose2d_args fv_conv_transpose2d_defaults(void);
/* x (N, Cin, H, W), w (Cin, Cout/groups, kH, kW), b (Cout) or NULL -> (N, Cout, H', W') with
 * H' = (H-1)*stride - pad_top - pad_bottom + dilation*(kH-1) + output_padding + 1. */
fv_node *fv_conv_transpose2d(fv_graph *g, fv_node *x, fv_node *w, fv_node *b, const fv_conv_transpose2d_args *a);

/* ---- pooling ----------------------------------------------------------------------------------------- */

typedef struct {
    int kernel[2];
    int stride[2];
    int pad[4];             /* top, left, bottom, right; each at most half the kernel, as PyTorch requires */
    bool ceil_mode;         /* round the output size up; a window must still start inside input or left pad */
    bool count_include_pad; /* average pool: divide by the window size including padding (PyTorch default) */
} fv_pool2d_args;

/* kernel k x k, stride k, no padding, floor mode, count_include_pad true. */
fv_pool2d_args fv_pool2d_defaults(int kernel);
fv_node *fv_max_pool2d(fv_graph *g, fv_node *x, const fv_pool2d_args *a);
fv_node *fv_avg_pool2d(fv_graph *g, fv_node *x, const fv_pool2d_args *a);
/* (N, C, H, W) -> (N, C, 1, 1) */
fv_node *fv_global_avg_pool2d(fv_graph *g, fv_node *x);
fv_node *fv_global_max_pool2d(fv_graph *g, fv_node *x);
/* (N, C, H, W) -> (N, C, out_h, out_w), PyTorch's adaptive_avg_pool2d: output cell (i, j) averages rows
 * [floor(i*H/out_h), ceil((i+1)*H/out_h)) and the columns alike; windows overlap or repeat where the sizes do
 * not divide. */
fv_node *fv_adaptive_avg_pool2d(fv_graph *g, fv_node *x, int out_h, int out_w);

/* ---- normalization and dropout ------------------------------------------------------------------ */

typedef struct {
    float eps;      /* 1e-5 */
    float momentum; /* PyTorch's convention: running = (1 - momentum) * running + momentum * batch; 0.1 */
} fv_batch_norm_args;

fv_batch_norm_args fv_batch_norm_defaults(void);
/* x (N, C) or (N, C, H, W); gamma, beta (C) or NULL for no affine part; running_mean, running_var (C)
 * are buffer parameters: used in eval mode, updated in train mode (variance unbiased, as PyTorch). */
fv_node *fv_batch_norm(fv_graph *g, fv_node *x, fv_node *gamma, fv_node *beta, fv_node *running_mean,
                       fv_node *running_var, const fv_batch_norm_args *a);
/* batch_norm followed by a fused clamp to [0, hi] (ReLU: INFINITY, ReLU6: 6), written as the output is; one pass
 * less than batch_norm + activation, gradients as through the pair. Inference graphs use it (DenseNet's
 * pre-activation batch norms, which no convolution precedes). */
fv_node *fv_batch_norm_clamped(fv_graph *g, fv_node *x, fv_node *gamma, fv_node *beta, fv_node *running_mean,
                               fv_node *running_var, const fv_batch_norm_args *a, float hi);

/* Inverted dropout: in train mode zero each element with probability p and scale the rest by 1/(1-p);
 * identity in eval mode. Element i of the k-th training forward pass is kept when
 * fv_rng_bits(seed, stream, k * size + i) >> 40 >= p * 2^24 (stream drawn from the context). */
fv_node *fv_dropout(fv_graph *g, fv_node *x, float p);
/* The same with a given random stream instead of the context's next one: models name their dropout layers'
 * streams after the layer, so that masks do not depend on what else drew random numbers before (a model
 * initialized, or loaded from a checkpoint, gets the same masks). */
fv_node *fv_dropout_stream(fv_graph *g, fv_node *x, float p, uint64_t stream);

/* Local response normalization across channels (AlexNet, PyTorch's LocalResponseNorm):
 * y_c = x_c / (k + alpha/size * sum_{c' in window} x_c'^2)^beta, window [c - size/2, c + (size-1)/2]. */
fv_node *fv_lrn(fv_graph *g, fv_node *x, int size, float alpha, float beta, float k);

/* ---- activations ------------------------------------------------------------------------------------ */

typedef enum {
    FV_ACT_RELU = 0,
    FV_ACT_LEAKY_RELU,   /* alpha: negative slope (0.01) */
    FV_ACT_RELU6,
    FV_ACT_ELU,          /* alpha (1.0) */
    FV_ACT_SIGMOID,
    FV_ACT_TANH,
    FV_ACT_SILU,         /* x * sigmoid(x), also called swish */
    FV_ACT_HARD_SIGMOID, /* relu6(x + 3) / 6, as PyTorch */
    FV_ACT_HARD_SWISH,   /* x * relu6(x + 3) / 6 */
    FV_ACT_COUNT
} fv_activation_kind;

fv_node *fv_activation(fv_graph *g, fv_node *x, fv_activation_kind kind, float alpha);
fv_node *fv_relu(fv_graph *g, fv_node *x);
fv_node *fv_leaky_relu(fv_graph *g, fv_node *x, float slope);
fv_node *fv_relu6(fv_graph *g, fv_node *x);
fv_node *fv_elu(fv_graph *g, fv_node *x, float alpha);
fv_node *fv_sigmoid(fv_graph *g, fv_node *x);
fv_node *fv_tanh(fv_graph *g, fv_node *x);
fv_node *fv_silu(fv_graph *g, fv_node *x);
fv_node *fv_hard_sigmoid(fv_graph *g, fv_node *x);
fv_node *fv_hard_swish(fv_graph *g, fv_node *x);
const char *fv_activation_name(fv_activation_kind kind);

/* Along one axis (negative counts from the end), numerically stable. */
fv_node *fv_softmax(fv_graph *g, fv_node *x, int axis);
fv_node *fv_log_softmax(fv_graph *g, fv_node *x, int axis);

/* ---- tensor arithmetic and shape ------------------------------------------------------------------ */

/* Elementwise with NumPy broadcasting (so (N,C,H,W) * (N,C,1,1) scales channels, as squeeze-and-excitation
 * needs); gradients are summed over broadcast dimensions. */
fv_node *fv_add(fv_graph *g, fv_node *a, fv_node *b);
fv_node *fv_mul(fv_graph *g, fv_node *a, fv_node *b);
/* Join n tensors along an axis (1 for channels); the other dimensions must agree. */
fv_node *fv_concat(fv_graph *g, fv_node *const *xs, int n, int axis);
/* New shape with the same number of elements: 0 keeps the input's dimension, one -1 is inferred. */
fv_node *fv_reshape(fv_graph *g, fv_node *x, int ndim, const int64_t *shape);
/* (N, ...) -> (N, product of the rest) */
fv_node *fv_flatten(fv_graph *g, fv_node *x);
/* Pad H and W of (N, C, H, W) with a constant: pad = top, left, bottom, right, each >= 0. */
fv_node *fv_pad2d(fv_graph *g, fv_node *x, const int pad[4], float value);

typedef enum { FV_RESIZE_NEAREST = 0, FV_RESIZE_BILINEAR } fv_resize_mode;
/* Resize H and W to out_h x out_w (>= 1). Nearest is PyTorch's 'nearest': src = min(floor(dst * in / out),
 * in - 1), with in / out computed in float32 as PyTorch does (so for a few sizes, e.g. 26 -> 22, a pixel
 * differs from the exact quotient); bilinear follows PyTorch's align_corners convention. Nearest ignores
 * align_corners. */
fv_node *fv_resize2d(fv_graph *g, fv_node *x, int out_h, int out_w, fv_resize_mode mode, bool align_corners);
/* Resize by integer factors (>= 1), as F.interpolate with scale_factor (source coordinates use 1 / scale). */
fv_node *fv_upsample2d(fv_graph *g, fv_node *x, int scale_h, int scale_w, fv_resize_mode mode, bool align_corners);

/* ---- losses (mean over the batch; a scalar node) -------------------------------------------------- */

/* Softmax cross-entropy of logits (N, C) or (N, C, H, W) (generally (N, C, d1, ...)) against int32 class
 * indices (N) or (N, H, W) (generally (N, d1, ...)).
 * class_weights (C) or NULL: the mean is weighted, as PyTorch: sum w[y]*l / sum w[y].
 * label_smoothing in [0, 1): the target is (1 - eps) one-hot + eps / C uniform; as in PyTorch the uniform
 * part is weighted by w[c] too and also divided by sum w[y]. Labels are data: one outside [0, C) makes
 * forward fail, naming its position and value. Only the logits get a gradient. */
fv_node *fv_cross_entropy(fv_graph *g, fv_node *logits, fv_node *labels, fv_node *class_weights,
                          float label_smoothing);
/* Binary cross-entropy on logits, targets in [0, 1] of the same shape. The losses below take two tensors of
 * one shape and differentiate both. */
fv_node *fv_bce_with_logits(fv_graph *g, fv_node *logits, fv_node *targets);
fv_node *fv_mse_loss(fv_graph *g, fv_node *pred, fv_node *target);
fv_node *fv_l1_loss(fv_graph *g, fv_node *pred, fv_node *target);
/* 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (PyTorch's SmoothL1Loss), beta >= 0. Beta 0 is L1,
 * gradient included: at d = 0 the subgradient is 0 (PyTorch's backward gives -1 there, for pred and target). */
fv_node *fv_smooth_l1_loss(fv_graph *g, fv_node *pred, fv_node *target, float beta);

#include "ops_layout.h"

#include "ops_norm.h"
#include "ops_reduce.h"
#include "ops_math.h"
#include "ops_loss.h"

#ifdef __cplusplus
}
#endif
#endif
