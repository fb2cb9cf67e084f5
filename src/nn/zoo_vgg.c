/* VGG 11/13/16/19 (configurations A, B, D, E of Simonyan and Zisserman), with or without batch norm, as
 * torchvision numbers their layers: features.<i> in one sequence (conv, [bn,] relu per 3x3 convolution, a 2x2
 * max pool per stage), an adaptive 7x7 average pool, classifier.<i>. */
#include "zoo_internal.h"

void fv_zoo_vgg(fv_zoo_b *b, int depth, int batch_norm)
{
    static const int widths[5] = {64, 128, 256, 512, 512};
    int convs[5] = {2, 2, 2, 2, 2}; /* vgg13 */
    if (depth == 11) convs[0] = convs[1] = 1;
    if (depth == 16) convs[2] = convs[3] = convs[4] = 3;
    if (depth == 19) convs[2] = convs[3] = convs[4] = 4;
    int i = 0;
    for (int stage = 0; stage < 5; stage++) {
        for (int k = 0; k < convs[stage]; k++) {
            fv_zoo_add(b, "conv2d", "features.%d filters=%d kernel=3 padding=1", i++, widths[stage]);
            if (batch_norm) fv_zoo_add(b, "batch_norm", "features.%d", i++);
            fv_zoo_add(b, "relu", "features.%d", i++);
        }
        fv_zoo_add(b, "max_pool", "features.%d kernel=2 stride=2", i++);
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, "adaptive_avg_pool", "avgpool size=7");
    fv_zoo_add(b, "flatten", "flatten");
    fv_zoo_add(b, "dense", "classifier.0 units=4096");
    fv_zoo_add(b, "relu", "classifier.1");
    fv_zoo_add(b, "dropout", "classifier.2 rate=0.5");
    fv_zoo_add(b, "dense", "classifier.3 units=4096");
    fv_zoo_add(b, "relu", "classifier.4");
    fv_zoo_add(b, "dropout", "classifier.5 rate=0.5");
    fv_zoo_add(b, "dense", "classifier.6 units=%d", b->opt->num_classes);
}
