/* MobileNet v1 as Keras defines it (its layer names, TensorFlow's "same" padding with an explicit bottom-right
 * pad before each strided depthwise convolution, ReLU6, batch norm with eps 1e-3 and Keras' momentum 0.99,
 * a 1x1 convolution as classifier), and MobileNet v2 and v3 as torchvision builds them (features.<i>,
 * inverted residuals, squeeze-and-excitation with hard sigmoid in v3). */
#include <stdio.h>

#include "zoo_internal.h"

/* ---- v1 (Keras) ---------------------------------------------------------------------------------------- */

void fv_zoo_mobilenet_v1(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    static const int pointwise[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    static const int strides[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    const char *bn = " eps=0.001 momentum=0.01"; /* Keras' epsilon, and momentum 0.99 in PyTorch's convention */
    double alpha = b->opt->alpha;
    int channels = (int)(32 * alpha);
    fv_zoo_add(b, "conv2d", "conv1 filters=%d kernel=3 stride=2 padding=same bias=false", channels);
    fv_zoo_add(b, "batch_norm", "conv1_bn%s", bn);
    fv_zoo_add(b, "relu6", "conv1_relu");
    for (int i = 0; i < 13; i++) {
        int id = i + 1;
        if (strides[i] == 2) {
            fv_zoo_add(b, "pad", "conv_pad_%d padding=0x0x1x1", id);
            fv_zoo_add(b, "conv2d", "conv_dw_%d filters=%d kernel=3 stride=2 groups=%d bias=false", id, channels,
                       channels);
        } else {
            fv_zoo_add(b, "conv2d", "conv_dw_%d filters=%d kernel=3 padding=same groups=%d bias=false", id, channels,
                       channels);
        }
        fv_zoo_add(b, "batch_norm", "conv_dw_%d_bn%s", id, bn);
        fv_zoo_add(b, "relu6", "conv_dw_%d_relu", id);
        channels = (int)(pointwise[i] * alpha);
        fv_zoo_add(b, "conv2d", "conv_pw_%d filters=%d kernel=1 bias=false", id, channels);
        fv_zoo_add(b, "batch_norm", "conv_pw_%d_bn%s", id, bn);
        fv_zoo_add(b, "relu6", "conv_pw_%d_relu", id);
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, "global_avg_pool", "global_average_pooling2d");
    fv_zoo_add(b, "dropout", "dropout rate=0.001");
    fv_zoo_add(b, "conv2d", "conv_preds filters=%d kernel=1", b->opt->num_classes);
    fv_zoo_add(b, "flatten", "reshape_2");
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
        fv_zoo_conv_bn_act(b, name, NULL, hidden, 1, 1, 1, "relu6");
    }
    snprintf(name, sizeof name, "%s.%d", p, k++);
    fv_zoo_conv_bn_act(b, name, NULL, hidden, 3, stride, hidden, "relu6");
    fv_zoo_add(b, "conv2d", "%s.%d filters=%d kernel=1 bias=false", p, k, out);
    fv_zoo_add(b, "batch_norm", "%s.%d", p, k + 1);
    if (stride == 1 && inp == out) fv_zoo_add(b, "add", "features.%d.add from=%s.%d,%s", idx, p, k + 1, x);
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
    fv_zoo_conv_bn_act(b, "features.0", NULL, channels, 3, 2, 1, "relu6");
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
    fv_zoo_conv_bn_act(b, name, NULL, last, 1, 1, 1, "relu6");
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, "global_avg_pool", "avgpool");
    fv_zoo_add(b, "flatten", "flatten");
    fv_zoo_add(b, "dropout", "classifier.0 rate=0.2");
    fv_zoo_add(b, "dense", "classifier.1 units=%d", b->opt->num_classes);
}

/* ---- v3 (torchvision) ----------------------------------------------------------------------------------- */

typedef struct {
    int in, kernel, expanded, out;
    bool se, hard_swish;
    int stride;
} bneck;

/* InvertedResidual features.<idx> (v3): [expand,] depthwise, [squeeze-excite,] project, [residual]. */
static void inverted_residual_v3(fv_zoo_b *b, int idx, const bneck *c)
{
    char x[80], name[80], se_in[80];
    snprintf(x, sizeof x, "%s", b->failed ? "" : fv_zoo_last(b));
    const char *act = c->hard_swish ? "hard_swish" : "relu";
    int k = 0;
    if (c->expanded != c->in) {
        snprintf(name, sizeof name, "features.%d.block.%d", idx, k++);
        fv_zoo_conv_bn_act(b, name, NULL, c->expanded, 1, 1, 1, act);
    }
    snprintf(name, sizeof name, "features.%d.block.%d", idx, k++);
    fv_zoo_conv_bn_act(b, name, NULL, c->expanded, c->kernel, c->stride, c->expanded, act);
    if (c->se) {
        snprintf(se_in, sizeof se_in, "%s", b->failed ? "" : fv_zoo_last(b));
        snprintf(name, sizeof name, "features.%d.block.%d", idx, k++);
        fv_zoo_squeeze_excite(b, name, se_in, c->expanded, fv_zoo_make_divisible(c->expanded / 4, 8), "relu",
                              "hard_sigmoid");
    }
    snprintf(name, sizeof name, "features.%d.block.%d", idx, k);
    fv_zoo_conv_bn_act(b, name, NULL, c->out, 1, 1, 1, NULL);
    if (c->stride == 1 && c->in == c->out) fv_zoo_add(b, "add", "features.%d.add from=%s.1,%s", idx, name, x);
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

void fv_zoo_mobilenet_v3(fv_zoo_b *b, int large, int unused)
{
    (void)unused;
    const bneck *cfg = large ? large_cfg : small_cfg;
    int n = large ? 15 : 11;
    double alpha = b->opt->alpha;
    b->bn = " eps=0.001 momentum=0.01";
    fv_zoo_conv_bn_act(b, "features.0", NULL, fv_zoo_make_divisible(cfg[0].in * alpha, 8), 3, 2, 1, "hard_swish");
    for (int i = 0; i < n; i++) {
        bneck c = cfg[i];
        c.in = fv_zoo_make_divisible(c.in * alpha, 8);
        c.expanded = fv_zoo_make_divisible(c.expanded * alpha, 8);
        c.out = fv_zoo_make_divisible(c.out * alpha, 8);
        inverted_residual_v3(b, i + 1, &c);
    }
    char name[32];
    snprintf(name, sizeof name, "features.%d", n + 1);
    fv_zoo_conv_bn_act(b, name, NULL, 6 * fv_zoo_make_divisible(cfg[n - 1].out * alpha, 8), 1, 1, 1, "hard_swish");
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, "global_avg_pool", "avgpool");
    fv_zoo_add(b, "flatten", "flatten");
    fv_zoo_add(b, "dense", "classifier.0 units=%d", fv_zoo_make_divisible((large ? 1280 : 1024) * alpha, 8));
    fv_zoo_add(b, "hard_swish", "classifier.1");
    fv_zoo_add(b, "dropout", "classifier.2 rate=0.2");
    fv_zoo_add(b, "dense", "classifier.3 units=%d", b->opt->num_classes);
}
