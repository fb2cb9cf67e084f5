/* What the zoo's builders share (src/nn/zoo_*.c): the list of models, a builder that adds typed layer specs
 * (fovea/layer.h) and keeps the first failure, and the pieces several families use (a convolution with its
 * usual keys, torchvision's Conv2dNormActivation, squeeze-and-excitation, the headless ending,
 * _make_divisible). */
#ifndef FV_ZOO_INTERNAL_H
#define FV_ZOO_INTERNAL_H

#include "model_internal.h"

/* Which options a model takes beyond the common ones. */
enum { FV_ZOO_TAKES_ALPHA = 1, FV_ZOO_TAKES_AUX = 2, FV_ZOO_TAKES_UNET = 4 };
/* Segmentation models: per-pixel logits, 21 classes by default (Pascal VOC's 20 and background). */
enum { FV_ZOO_SEGMENT = 8 };

/* The zoo: X(name, builder, a, b, takes); the builder is called as builder(b, a, b). */
#define FV_ZOO_LIST(X)                                                                                        \
    X("alexnet", fv_zoo_alexnet, 0, 0, 0)                                                                     \
    X("vgg11", fv_zoo_vgg, 11, 0, 0) X("vgg11_bn", fv_zoo_vgg, 11, 1, 0)                                      \
    X("vgg13", fv_zoo_vgg, 13, 0, 0) X("vgg13_bn", fv_zoo_vgg, 13, 1, 0)                                      \
    X("vgg16", fv_zoo_vgg, 16, 0, 0) X("vgg16_bn", fv_zoo_vgg, 16, 1, 0)                                      \
    X("vgg19", fv_zoo_vgg, 19, 0, 0) X("vgg19_bn", fv_zoo_vgg, 19, 1, 0)                                      \
    X("googlenet", fv_zoo_googlenet, 0, 0, FV_ZOO_TAKES_AUX)                                                  \
    X("resnet18", fv_zoo_resnet, 18, 0, 0) X("resnet34", fv_zoo_resnet, 34, 0, 0)                             \
    X("resnet50", fv_zoo_resnet, 50, 0, 0) X("resnet101", fv_zoo_resnet, 101, 0, 0)                          \
    X("resnet152", fv_zoo_resnet, 152, 0, 0)                                                                  \
    X("mobilenet_v1", fv_zoo_mobilenet_v1, 0, 0, FV_ZOO_TAKES_ALPHA)                                          \
    X("mobilenet_v2", fv_zoo_mobilenet_v2, 0, 0, FV_ZOO_TAKES_ALPHA)                                          \
    X("mobilenet_v3_small", fv_zoo_mobilenet_v3, 0, 0, FV_ZOO_TAKES_ALPHA)                                    \
    X("mobilenet_v3_large", fv_zoo_mobilenet_v3, 1, 0, FV_ZOO_TAKES_ALPHA)                                    \
    X("efficientnet_b0", fv_zoo_efficientnet, 0, 0, 0) X("efficientnet_b1", fv_zoo_efficientnet, 1, 0, 0)    \
    X("efficientnet_b2", fv_zoo_efficientnet, 2, 0, 0) X("efficientnet_b3", fv_zoo_efficientnet, 3, 0, 0)    \
    X("efficientnet_b4", fv_zoo_efficientnet, 4, 0, 0) X("efficientnet_b5", fv_zoo_efficientnet, 5, 0, 0)    \
    X("efficientnet_b6", fv_zoo_efficientnet, 6, 0, 0) X("efficientnet_b7", fv_zoo_efficientnet, 7, 0, 0)    \
    X("unet", fv_zoo_unet, 0, 0, FV_ZOO_TAKES_UNET)                                                           \
    X("fcn32s", fv_zoo_fcn, 32, 0, FV_ZOO_SEGMENT | FV_ZOO_TAKES_ALPHA)                                       \
    X("fcn16s", fv_zoo_fcn, 16, 0, FV_ZOO_SEGMENT | FV_ZOO_TAKES_ALPHA)                                       \
    X("fcn8s", fv_zoo_fcn, 8, 0, FV_ZOO_SEGMENT | FV_ZOO_TAKES_ALPHA)                                         \
    X("fcn_resnet50", fv_zoo_fcn_resnet, 50, 0, FV_ZOO_SEGMENT)                                               \
    X("deeplabv3_mobilenet_v3_large", fv_zoo_deeplabv3_mobilenet, 0, 0, FV_ZOO_SEGMENT | FV_ZOO_TAKES_ALPHA)  \
    X("lraspp_mobilenet_v3_large", fv_zoo_lraspp_mobilenet, 0, 0, FV_ZOO_SEGMENT | FV_ZOO_TAKES_ALPHA)

/* A model being built. After the first failure every further call does nothing. */
typedef struct {
    fv_model *m;
    const fv_zoo_options *opt; /* checked, defaults filled in */
    bool failed;
    float bn_eps, bn_momentum; /* the batch norms' (PyTorch's 1e-5 and 0.1 unless the family says otherwise) */
} fv_zoo_b;

/* Add one layer (fv_model_add_layer), reading from when not NULL (else its spec's inputs, else the previous
 * layer). */
void fv_zoo_add(fv_zoo_b *b, fv_layer_spec s, const char *from);

/* A conv2d named name (padding explicit and symmetric). */
void fv_zoo_conv(fv_zoo_b *b, const char *name, const char *from, int filters, int kernel, int stride, int padding,
                 int groups, bool bias);
/* A conv2d with dilation, padded by dilation * (kernel - 1) / 2 so that stride 1 keeps the size. */
void fv_zoo_conv_dilated(fv_zoo_b *b, const char *name, const char *from, int filters, int kernel, int stride,
                         int dilation, int groups, bool bias);
/* p + suffix, a layer name, in buf (returned). */
const char *fv_zoo_name(char *buf, size_t size, const char *p, const char *suffix);

/* A batch norm with the family's eps and momentum. */
void fv_zoo_bn(fv_zoo_b *b, const char *name);

/* torchvision's Conv2dNormActivation named p: p.0 a convolution without bias (padding (kernel - 1) / 2),
 * p.1 a batch norm, p.2 the activation act (relu, relu6, hard_swish, silu; FV_ZOO_NO_ACT: none). from: the
 * input layer (NULL: the previous one). */
#define FV_ZOO_NO_ACT FV_ACT_COUNT
void fv_zoo_conv_bn_act(fv_zoo_b *b, const char *p, const char *from, int filters, int kernel, int stride,
                        int groups, fv_activation_kind act);
/* The same with a dilated convolution (padding dilation * (kernel - 1) / 2). */
void fv_zoo_conv_bn_act_dilated(fv_zoo_b *b, const char *p, const char *from, int filters, int kernel, int stride,
                                int dilation, int groups, fv_activation_kind act);

/* torchvision's SqueezeExcitation named p over the layer x: p.avgpool, p.fc1 (squeeze channels), p.activation,
 * p.fc2 (back to channels), p.scale_activation (scale_act), and the product named p. */
void fv_zoo_squeeze_excite(fv_zoo_b *b, const char *p, const char *x, int channels, int squeeze,
                           fv_activation_kind act, fv_activation_kind scale_act);

/* The end of a model built without its top: nothing, or global average / max pooling then a flatten, as
 * opt->pooling says. */
void fv_zoo_headless(fv_zoo_b *b);

/* torchvision's _make_divisible(v, divisor): v rounded to the nearest multiple of divisor, at least divisor,
 * never more than 10% below v. */
int fv_zoo_make_divisible(double v, int divisor);

/* The name of the last layer added (for from=). */
const char *fv_zoo_last(const fv_zoo_b *b);
/* The (height, width) of a feature map layer's output, for the heads that crop or resize to it; false once the
 * build has failed. */
bool fv_zoo_map_size(fv_zoo_b *b, const char *layer, int64_t hw[2]);

void fv_zoo_alexnet(fv_zoo_b *b, int unused_a, int unused_b);
void fv_zoo_vgg(fv_zoo_b *b, int depth, int batch_norm);
void fv_zoo_googlenet(fv_zoo_b *b, int unused_a, int unused_b);
void fv_zoo_resnet(fv_zoo_b *b, int depth, int unused);
/* ResNet's body (conv1 .. layer4) named prefix + torchvision's names, optionally dilated as torchvision's
 * segmentation backbones (layer3 and layer4 at stride 1, dilations 2 and 4); its last layer's name in out. */
void fv_zoo_resnet_body(fv_zoo_b *b, const char *prefix, int depth, bool dilated, char *out, size_t out_size);
void fv_zoo_mobilenet_v1(fv_zoo_b *b, int unused_a, int unused_b);
void fv_zoo_mobilenet_v2(fv_zoo_b *b, int unused_a, int unused_b);
void fv_zoo_mobilenet_v3(fv_zoo_b *b, int large, int unused);
/* MobileNet v3's features named prefix.<i> (torchvision's features.<i>); dilated: the last stage (the blocks
 * from the last stride-2 one on) at stride 1 with dilation 2, as torchvision's segmentation backbones. Returns
 * the number of the last block (the 1x1 convolution to 6 x the last width: 16 for large, 12 for small). */
int fv_zoo_mobilenet_v3_features(fv_zoo_b *b, const char *prefix, int large, bool dilated);
void fv_zoo_efficientnet(fv_zoo_b *b, int variant, int unused);
void fv_zoo_unet(fv_zoo_b *b, int unused_a, int unused_b);
void fv_zoo_fcn(fv_zoo_b *b, int stride, int unused);
void fv_zoo_fcn_resnet(fv_zoo_b *b, int depth, int unused);
void fv_zoo_deeplabv3_mobilenet(fv_zoo_b *b, int unused_a, int unused_b);
void fv_zoo_lraspp_mobilenet(fv_zoo_b *b, int unused_a, int unused_b);

#endif
