/* MobileNet v1 as Keras defines it (its layer names, TensorFlow's "same" padding with an explicit bottom-right
 * pad before each strided depthwise convolution, ReLU6, batch norm with eps 1e-3 and Keras' momentum 0.99,
 * a 1x1 convolution as classifier), and MobileNet v2 and v3 as torchvision builds them (features.<i>,
 * inverted residuals, squeeze-and-excitation with hard sigmoid in v3). */
#include <stdio.h>

#include "zoo_internal.h"

/* ---- v1 (Keras) ---------------------------------------------------------------------------------------- */

/* Keras' batch norm (epsilon 1e-3, momentum 0.99: 0.01 in PyTorch's convention) and ReLU6 after a layer. */
static void bn_relu6(fv_zoo_b *b, const char *bn, const char *relu)
{
    fv_zoo_bn(b, bn);
    fv_zoo_add(b, fv_spec_activation(relu, FV_ACT_RELU6), NULL);
}

void fv_zoo_mobilenet_v1(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    static const int pointwise[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    static const int strides[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    b->bn_eps = 0.001f, b->bn_momentum = 0.01f;
    double alpha = b->opt->alpha;
    int channels = (int)(32 * alpha);
    fv_layer_spec c = fv_spec_conv2d("conv1", channels, 3);
    fv_spec_stride(&c, 2, 2);
    c.a.pad_mode = FV_PAD_SAME, c.a.bias = false;
    fv_zoo_add(b, c, NULL);
    bn_relu6(b, "conv1_bn", "conv1_relu");
    for (int i = 0; i < 13; i++) {
        int id = i + 1;
        char name[32], relu[32];
        if (strides[i] == 2) { /* TensorFlow's "same" for a stride of 2: the extra row and column at the end */
            snprintf(name, sizeof name, "conv_pad_%d", id);
            fv_zoo_add(b, fv_spec_pad(name, 0, 0, 1, 1, 0.0f), NULL);
        }
        snprintf(name, sizeof name, "conv_dw_%d", id);
        c = fv_spec_conv2d(name, channels, 3);
        fv_spec_stride(&c, strides[i], strides[i]);
        if (strides[i] == 1) c.a.pad_mode = FV_PAD_SAME;
        c.a.groups = channels, c.a.bias = false;
        fv_zoo_add(b, c, NULL);
        snprintf(name, sizeof name, "conv_dw_%d_bn", id);
        snprintf(relu, sizeof relu, "conv_dw_%d_relu", id);
        bn_relu6(b, name, relu);
        channels = (int)(pointwise[i] * alpha);
        snprintf(name, sizeof name, "conv_pw_%d", id);
        fv_zoo_conv(b, name, NULL, channels, 1, 1, 0, 1, false);
        snprintf(name, sizeof name, "conv_pw_%d_bn", id);
        snprintf(relu, sizeof relu, "conv_pw_%d_relu", id);
        bn_relu6(b, name, relu);
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, fv_spec_global_avg_pool("global_average_pooling2d"), NULL);
    fv_zoo_add(b, fv_spec_dropout("dropout", 0.001f), NULL);
    fv_zoo_conv(b, "conv_preds", NULL, b->opt->num_classes, 1, 1, 0, 1, true);
    fv_zoo_add(b, fv_spec_flatten("reshape_2"), NULL);
}

/* ---- v2 (torchvision) ----------------------------------------------------------------------------------- */

/* InvertedResidual features.<idx> from inp to out channels. */
static void inverted_residual_v2(fv_zoo_b *b, int idx, int inp, int out, int stride, int expand)
{
    char x[80], p[64], name[80];
    snprintf(x, sizeof x, "%s", b->failed ? "" : fv_zoo_last(b));
    snprintf(p, sizeof p, "features.%d.conv", idx);
    int hidden = inp * expand, k = 0;
    if (expand != 1) {
        snprintf(name, sizeof name, "%s.%d", p, k++);
        fv_zoo_conv_bn_act(b, name, NULL, hidden, 1, 1, 1, FV_ACT_RELU6);
    }
    snprintf(name, sizeof name, "%s.%d", p, k++);
    fv_zoo_conv_bn_act(b, name, NULL, hidden, 3, stride, hidden, FV_ACT_RELU6);
    snprintf(name, sizeof name, "%s.%d", p, k);
    fv_zoo_conv(b, name, NULL, out, 1, 1, 0, 1, false);
    char bn[80], sum[32];
    snprintf(bn, sizeof bn, "%s.%d", p, k + 1);
    fv_zoo_bn(b, bn);
    snprintf(sum, sizeof sum, "features.%d.add", idx);
    if (stride == 1 && inp == out) fv_zoo_add(b, fv_spec_add(sum, bn, x), NULL);
}

void fv_zoo_mobilenet_v2(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    static const int settings[7][4] = {/* expansion t, channels c, repeats n, stride s */
                                       {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                       {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    double alpha = b->opt->alpha;
    int channels = fv_zoo_make_divisible(32 * alpha, 8);
    int last = fv_zoo_make_divisible(1280 * (alpha > 1.0 ? alpha : 1.0), 8);
    fv_zoo_conv_bn_act(b, "features.0", NULL, channels, 3, 2, 1, FV_ACT_RELU6);
    int idx = 1;
    for (int s = 0; s < 7; s++) {
        int out = fv_zoo_make_divisible(settings[s][1] * alpha, 8);
        for (int i = 0; i < settings[s][2]; i++, idx++) {
            inverted_residual_v2(b, idx, channels, out, i == 0 ? settings[s][3] : 1, settings[s][0]);
            channels = out;
        }
    }
    char name[32];
    snprintf(name, sizeof name, "features.%d", idx);
    fv_zoo_conv_bn_act(b, name, NULL, last, 1, 1, 1, FV_ACT_RELU6);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, fv_spec_global_avg_pool("avgpool"), NULL);
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.0", 0.2f), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.1", b->opt->num_classes), NULL);
}

/* ---- v3 (torchvision) ----------------------------------------------------------------------------------- */

typedef struct {
    int in, kernel, expanded, out;
    bool se, hard_swish;
    int stride;
} bneck;

/* InvertedResidual <prefix>.<idx> (v3): [expand,] depthwise (dilated: stride 1, dilation 2), [squeeze-excite,]
 * project, [residual]. */
static void inverted_residual_v3(fv_zoo_b *b, const char *prefix, int idx, const bneck *c, int dilation)
{
    char x[96], p[96], name[112], se_in[112];
    snprintf(x, sizeof x, "%s", b->failed ? "" : fv_zoo_last(b));
    snprintf(p, sizeof p, "%s.%d.block", prefix, idx);
    fv_activation_kind act = c->hard_swish ? FV_ACT_HARD_SWISH : FV_ACT_RELU;
    int k = 0, stride = dilation > 1 ? 1 : c->stride;
    if (c->expanded != c->in) {
        snprintf(name, sizeof name, "%s.%d", p, k++);
        fv_zoo_conv_bn_act(b, name, NULL, c->expanded, 1, 1, 1, act);
    }
    snprintf(name, sizeof name, "%s.%d", p, k++);
    fv_zoo_conv_bn_act_dilated(b, name, NULL, c->expanded, c->kernel, stride, dilation, c->expanded, act);
    if (c->se) {
        snprintf(se_in, sizeof se_in, "%s", b->failed ? "" : fv_zoo_last(b));
        snprintf(name, sizeof name, "%s.%d", p, k++);
        fv_zoo_squeeze_excite(b, name, se_in, c->expanded, fv_zoo_make_divisible(c->expanded / 4, 8), FV_ACT_RELU,
                              FV_ACT_HARD_SIGMOID);
    }
    snprintf(name, sizeof name, "%s.%d", p, k);
    fv_zoo_conv_bn_act(b, name, NULL, c->out, 1, 1, 1, FV_ZOO_NO_ACT);
    char bn[128], sum[112];
    snprintf(bn, sizeof bn, "%s.1", name);
    snprintf(sum, sizeof sum, "%s.%d.add", prefix, idx);
    if (stride == 1 && c->in == c->out) fv_zoo_add(b, fv_spec_add(sum, bn, x), NULL);
}

static const bneck large_cfg[15] = {
    {16, 3, 16, 16, false, false, 1},  {16, 3, 64, 24, false, false, 2},  {24, 3, 72, 24, false, false, 1},
    {24, 5, 72, 40, true, false, 2},   {40, 5, 120, 40, true, false, 1},  {40, 5, 120, 40, true, false, 1},
    {40, 3, 240, 80, false, true, 2},  {80, 3, 200, 80, false, true, 1},  {80, 3, 184, 80, false, true, 1},
    {80, 3, 184, 80, false, true, 1},  {80, 3, 480, 112, true, true, 1},  {112, 3, 672, 112, true, true, 1},
    {112, 5, 672, 160, true, true, 2}, {160, 5, 960, 160, true, true, 1}, {160, 5, 960, 160, true, true, 1}};
static const bneck small_cfg[11] = {
    {16, 3, 16, 16, true, false, 2},  {16, 3, 72, 24, false, false, 2}, {24, 3, 88, 24, false, false, 1},
    {24, 5, 96, 40, true, true, 2},   {40, 5, 240, 40, true, true, 1},  {40, 5, 240, 40, true, true, 1},
    {40, 5, 120, 48, true, true, 1},  {48, 5, 144, 48, true, true, 1},  {48, 5, 288, 96, true, true, 2},
    {96, 5, 576, 96, true, true, 1},  {96, 5, 576, 96, true, true, 1}};

int fv_zoo_mobilenet_v3_features(fv_zoo_b *b, const char *prefix, int large, bool dilated)
{
    const bneck *cfg = large ? large_cfg : small_cfg;
    int n = large ? 15 : 11;
    double alpha = b->opt->alpha;
    b->bn_eps = 0.001f, b->bn_momentum = 0.01f;
    char name[96];
    snprintf(name, sizeof name, "%s.0", prefix);
    fv_zoo_conv_bn_act(b, name, NULL, fv_zoo_make_divisible(cfg[0].in * alpha, 8), 3, 2, 1, FV_ACT_HARD_SWISH);
    for (int i = 0; i < n; i++) {
        bneck c = cfg[i];
        c.in = fv_zoo_make_divisible(c.in * alpha, 8);
        c.expanded = fv_zoo_make_divisible(c.expanded * alpha, 8);
        c.out = fv_zoo_make_divisible(c.out * alpha, 8);
        inverted_residual_v3(b, prefix, i + 1, &c, dilated && i >= n - 3 ? 2 : 1); /* the last stage: 3 blocks */
    }
    snprintf(name, sizeof name, "%s.%d", prefix, n + 1);
    fv_zoo_conv_bn_act(b, name, NULL, 6 * fv_zoo_make_divisible(cfg[n - 1].out * alpha, 8), 1, 1, 1,
                       FV_ACT_HARD_SWISH);
    return n + 1;
}

void fv_zoo_mobilenet_v3(fv_zoo_b *b, int large, int unused)
{
    (void)unused;
    fv_zoo_mobilenet_v3_features(b, "features", large, false);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    double alpha = b->opt->alpha;
    fv_zoo_add(b, fv_spec_global_avg_pool("avgpool"), NULL);
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.0", fv_zoo_make_divisible((large ? 1280 : 1024) * alpha, 8)), NULL);
    fv_zoo_add(b, fv_spec_activation("classifier.1", FV_ACT_HARD_SWISH), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.2", 0.2f), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.3", b->opt->num_classes), NULL);
}
