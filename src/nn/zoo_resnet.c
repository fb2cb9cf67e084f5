/* ResNet 18/34 (basic blocks) and 50/101/152 (bottlenecks) as torchvision builds them: ResNet v1.5, whose
 * bottleneck strides in its 3x3 convolution, with a 1x1 convolution and batch norm (downsample.0, .1) on the
 * shortcut wherever the shape changes. Layer names follow torchvision's modules (layer2.0.conv1, ...); the
 * block's sum and final ReLU are <block>.add and <block>.relu. The body can be dilated and named under a prefix
 * (fcn_resnet50's "backbone."). */
#include <stdio.h>

#include "zoo_internal.h"

/* A convolution without bias (torchvision's ResNet has none: a batch norm follows each), then its batch norm;
 * padding keeps the size at stride 1 whatever the dilation. */
static void conv_bn(fv_zoo_b *b, const char *p, const char *conv, const char *bn, const char *from, int filters,
                    int kernel, int stride, int dilation)
{
    char name[96];
    fv_zoo_conv_dilated(b, fv_zoo_name(name, sizeof name, p, conv), from, filters, kernel, stride, dilation, 1,
                        false);
    fv_zoo_bn(b, fv_zoo_name(name, sizeof name, p, bn));
}

/* One block named p reading x (its 3x3 convolutions dilated by dilation); returns through out the name of its
 * output layer. */
static void block(fv_zoo_b *b, const char *p, const char *x, int planes, int stride, int dilation, bool bottleneck,
                  int in_ch, char *out, size_t out_size)
{
    int expansion = bottleneck ? 4 : 1;
    char name[96];
    if (bottleneck) {
        conv_bn(b, p, ".conv1", ".bn1", x, planes, 1, 1, 1);
        fv_zoo_add(b, fv_spec_relu(fv_zoo_name(name, sizeof name, p, ".relu1")), NULL);
        conv_bn(b, p, ".conv2", ".bn2", NULL, planes, 3, stride, dilation);
        fv_zoo_add(b, fv_spec_relu(fv_zoo_name(name, sizeof name, p, ".relu2")), NULL);
        conv_bn(b, p, ".conv3", ".bn3", NULL, planes * 4, 1, 1, 1);
    } else {
        conv_bn(b, p, ".conv1", ".bn1", x, planes, 3, stride, dilation);
        fv_zoo_add(b, fv_spec_relu(fv_zoo_name(name, sizeof name, p, ".relu1")), NULL);
        conv_bn(b, p, ".conv2", ".bn2", NULL, planes, 3, 1, dilation);
    }
    char residual[112], shortcut[112];
    snprintf(residual, sizeof residual, "%s", b->failed ? "" : fv_zoo_last(b));
    snprintf(shortcut, sizeof shortcut, "%s", x);
    if (stride != 1 || in_ch != planes * expansion) {
        conv_bn(b, p, ".downsample.0", ".downsample.1", x, planes * expansion, 1, stride, 1);
        snprintf(shortcut, sizeof shortcut, "%s.downsample.1", p);
    }
    fv_zoo_add(b, fv_spec_add(fv_zoo_name(name, sizeof name, p, ".add"), residual, shortcut), NULL);
    fv_zoo_add(b, fv_spec_relu(fv_zoo_name(name, sizeof name, p, ".relu")), NULL);
    snprintf(out, out_size, "%s.relu", p);
}

/* The body up to layer4, its layers named prefix + torchvision's names; returns the last layer's name in out.
 * dilated: torchvision's replace_stride_with_dilation [False, True, True] (output stride 8): layer3 and layer4
 * keep the size, the first block of each with the dilation reached so far, the others with twice it. */
void fv_zoo_resnet_body(fv_zoo_b *b, const char *prefix, int depth, bool dilated, char *out, size_t out_size)
{
    int blocks[4] = {2, 2, 2, 2}; /* resnet18 */
    if (depth == 34 || depth == 50) blocks[0] = 3, blocks[1] = 4, blocks[2] = 6, blocks[3] = 3;
    if (depth == 101) blocks[0] = 3, blocks[1] = 4, blocks[2] = 23, blocks[3] = 3;
    if (depth == 152) blocks[0] = 3, blocks[1] = 8, blocks[2] = 36, blocks[3] = 3;
    bool bottleneck = depth >= 50;
    char name[96];
    conv_bn(b, prefix, "conv1", "bn1", NULL, 64, 7, 2, 1);
    fv_zoo_add(b, fv_spec_relu(fv_zoo_name(name, sizeof name, prefix, "relu")), NULL);
    fv_layer_spec pool = fv_spec_max_pool(fv_zoo_name(name, sizeof name, prefix, "maxpool"), 3);
    fv_spec_stride(&pool, 2, 2);
    fv_spec_padding(&pool, 1, 1);
    fv_zoo_add(b, pool, NULL);
    snprintf(out, out_size, "%smaxpool", prefix);
    int channels = 64, dilation = 1;
    for (int stage = 0; stage < 4; stage++) {
        int planes = 64 << stage, stride = stage > 0 ? 2 : 1, first = dilation;
        if (dilated && stage >= 2) dilation *= stride, stride = 1;
        for (int i = 0; i < blocks[stage]; i++) {
            char p[96];
            snprintf(p, sizeof p, "%slayer%d.%d", prefix, stage + 1, i);
            block(b, p, out, planes, i == 0 ? stride : 1, i == 0 ? first : dilation, bottleneck, channels, out,
                  out_size);
            channels = planes * (bottleneck ? 4 : 1);
        }
    }
}

void fv_zoo_resnet(fv_zoo_b *b, int depth, int unused)
{
    (void)unused;
    char x[96];
    fv_zoo_resnet_body(b, "", depth, false, x, sizeof x);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, fv_spec_global_avg_pool("avgpool"), NULL);
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
    fv_zoo_add(b, fv_spec_dense("fc", b->opt->num_classes), NULL);
}
