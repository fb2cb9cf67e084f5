/* ResNet 18/34 (basic blocks) and 50/101/152 (bottlenecks) as torchvision builds them: ResNet v1.5, whose
 * bottleneck strides in its 3x3 convolution, with a 1x1 convolution and batch norm (downsample.0, .1) on the
 * shortcut wherever the shape changes. Layer names follow torchvision's modules (layer2.0.conv1, ...); the
 * block's sum and final ReLU are <block>.add and <block>.relu. */
#include <stdio.h>

#include "zoo_internal.h"

/* One block named p reading x; returns through out the name of its output layer. */
static void block(fv_zoo_b *b, const char *p, const char *x, int planes, int stride, bool bottleneck, int in_ch,
                  char *out, size_t out_size)
{
    int expansion = bottleneck ? 4 : 1;
    if (bottleneck) {
        fv_zoo_add(b, "conv2d", "%s.conv1 filters=%d kernel=1 bias=false from=%s", p, planes, x);
        fv_zoo_add(b, "batch_norm", "%s.bn1", p);
        fv_zoo_add(b, "relu", "%s.relu1", p);
        fv_zoo_add(b, "conv2d", "%s.conv2 filters=%d kernel=3 stride=%d padding=1 bias=false", p, planes, stride);
        fv_zoo_add(b, "batch_norm", "%s.bn2", p);
        fv_zoo_add(b, "relu", "%s.relu2", p);
        fv_zoo_add(b, "conv2d", "%s.conv3 filters=%d kernel=1 bias=false", p, planes * 4);
        fv_zoo_add(b, "batch_norm", "%s.bn3", p);
    } else {
        fv_zoo_add(b, "conv2d", "%s.conv1 filters=%d kernel=3 stride=%d padding=1 bias=false from=%s", p, planes,
                   stride, x);
        fv_zoo_add(b, "batch_norm", "%s.bn1", p);
        fv_zoo_add(b, "relu", "%s.relu1", p);
        fv_zoo_add(b, "conv2d", "%s.conv2 filters=%d kernel=3 padding=1 bias=false", p, planes);
        fv_zoo_add(b, "batch_norm", "%s.bn2", p);
    }
    char residual[80], shortcut[80];
    snprintf(residual, sizeof residual, "%s", b->failed ? "" : fv_zoo_last(b));
    snprintf(shortcut, sizeof shortcut, "%s", x);
    if (stride != 1 || in_ch != planes * expansion) {
        fv_zoo_add(b, "conv2d", "%s.downsample.0 filters=%d kernel=1 stride=%d bias=false from=%s", p,
                   planes * expansion, stride, x);
        fv_zoo_add(b, "batch_norm", "%s.downsample.1", p);
        snprintf(shortcut, sizeof shortcut, "%s.downsample.1", p);
    }
    fv_zoo_add(b, "add", "%s.add from=%s,%s", p, residual, shortcut);
    fv_zoo_add(b, "relu", "%s.relu", p);
    snprintf(out, out_size, "%s.relu", p);
}

void fv_zoo_resnet(fv_zoo_b *b, int depth, int unused)
{
    (void)unused;
    int blocks[4] = {2, 2, 2, 2}; /* resnet18 */
    if (depth == 34 || depth == 50) blocks[0] = 3, blocks[1] = 4, blocks[2] = 6, blocks[3] = 3;
    if (depth == 101) blocks[0] = 3, blocks[1] = 4, blocks[2] = 23, blocks[3] = 3;
    if (depth == 152) blocks[0] = 3, blocks[1] = 8, blocks[2] = 36, blocks[3] = 3;
    bool bottleneck = depth >= 50;
    fv_zoo_add(b, "conv2d", "conv1 filters=64 kernel=7 stride=2 padding=3 bias=false");
    fv_zoo_add(b, "batch_norm", "bn1");
    fv_zoo_add(b, "relu", "relu");
    fv_zoo_add(b, "max_pool", "maxpool kernel=3 stride=2 padding=1");
    char x[80] = "maxpool", p[64];
    int channels = 64;
    for (int stage = 0; stage < 4; stage++) {
        int planes = 64 << stage;
        for (int i = 0; i < blocks[stage]; i++) {
            snprintf(p, sizeof p, "layer%d.%d", stage + 1, i);
            block(b, p, x, planes, stage > 0 && i == 0 ? 2 : 1, bottleneck, channels, x, sizeof x);
            channels = planes * (bottleneck ? 4 : 1);
        }
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, "global_avg_pool", "avgpool");
    fv_zoo_add(b, "flatten", "flatten");
    fv_zoo_add(b, "dense", "fc units=%d", b->opt->num_classes);
}
