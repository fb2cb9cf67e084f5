/* EfficientNet B0 to B7 as torchvision builds them: B0's seven stages of MBConv blocks (expand, depthwise,
 * squeeze-and-excitation with SiLU and sigmoid, project, residual) scaled in width (channels through
 * _make_divisible) and depth (ceil of the repeats), SiLU throughout, dropout before the classifier. B5-B7 use
 * batch norm with eps 1e-3 and momentum 0.01, as torchvision's do. Stochastic depth, identity at inference,
 * is left out: training runs the residual blocks without it. */
#include <math.h>
#include <stdio.h>

#include "zoo_internal.h"

typedef struct {
    int expand, kernel, stride, in, out, layers;
} mbconv_stage;

/* MBConv features.<stage>.<i> from in to out channels. */
static void mbconv(fv_zoo_b *b, int stage, int i, int expand, int kernel, int stride, int in, int out)
{
    char x[80], name[80], se_in[80];
    snprintf(x, sizeof x, "%s", b->failed ? "" : fv_zoo_last(b));
    int expanded = fv_zoo_make_divisible((double)in * expand, 8), k = 0;
    if (expanded != in) {
        snprintf(name, sizeof name, "features.%d.%d.block.%d", stage, i, k++);
        fv_zoo_conv_bn_act(b, name, NULL, expanded, 1, 1, 1, FV_ACT_SILU);
    }
    snprintf(name, sizeof name, "features.%d.%d.block.%d", stage, i, k++);
    fv_zoo_conv_bn_act(b, name, NULL, expanded, kernel, stride, expanded, FV_ACT_SILU);
    snprintf(se_in, sizeof se_in, "%s", b->failed ? "" : fv_zoo_last(b));
    snprintf(name, sizeof name, "features.%d.%d.block.%d", stage, i, k++);
    fv_zoo_squeeze_excite(b, name, se_in, expanded, in / 4 > 1 ? in / 4 : 1, FV_ACT_SILU, FV_ACT_SIGMOID);
    snprintf(name, sizeof name, "features.%d.%d.block.%d", stage, i, k);
    fv_zoo_conv_bn_act(b, name, NULL, out, 1, 1, 1, FV_ZOO_NO_ACT);
    char bn[96], sum[48];
    snprintf(bn, sizeof bn, "%s.1", name);
    snprintf(sum, sizeof sum, "features.%d.%d.add", stage, i);
    if (stride == 1 && in == out) fv_zoo_add(b, fv_spec_add(sum, bn, x), NULL);
}

void fv_zoo_efficientnet(fv_zoo_b *b, int variant, int unused)
{
    (void)unused;
    static const double width[8] = {1.0, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0};
    static const double depth[8] = {1.0, 1.1, 1.2, 1.4, 1.8, 2.2, 2.6, 3.1};
    static const float dropout[8] = {0.2f, 0.2f, 0.3f, 0.3f, 0.4f, 0.4f, 0.5f, 0.5f};
    static const mbconv_stage stages[7] = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},  {6, 5, 2, 24, 40, 2},
                                           {6, 3, 2, 40, 80, 3},  {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4},
                                           {6, 3, 1, 192, 320, 1}};
    double w = width[variant];
    if (variant >= 5) b->bn_eps = 0.001f, b->bn_momentum = 0.01f;
    fv_zoo_conv_bn_act(b, "features.0", NULL, fv_zoo_make_divisible(32 * w, 8), 3, 2, 1, FV_ACT_SILU);
    for (int s = 0; s < 7; s++) {
        const mbconv_stage *st = &stages[s];
        int in = fv_zoo_make_divisible(st->in * w, 8), out = fv_zoo_make_divisible(st->out * w, 8);
        int layers = (int)ceil(st->layers * depth[variant]);
        for (int i = 0; i < layers; i++)
            mbconv(b, s + 1, i, st->expand, st->kernel, i == 0 ? st->stride : 1, i == 0 ? in : out, out);
    }
    fv_zoo_conv_bn_act(b, "features.8", NULL, 4 * fv_zoo_make_divisible(320 * w, 8), 1, 1, 1, FV_ACT_SILU);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, fv_spec_global_avg_pool("avgpool"), NULL);
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.0", dropout[variant]), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.1", b->opt->num_classes), NULL);
}
