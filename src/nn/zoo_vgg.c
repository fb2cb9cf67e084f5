/* VGG 11/13/16/19 (configurations A, B, D, E of Simonyan and Zisserman), with or without batch norm, as
 * torchvision numbers their layers: features.<i> in one sequence (conv, [bn,] relu per 3x3 convolution, a 2x2
 * max pool per stage), an adaptive 7x7 average pool, classifier.<i>. */
#include <stdio.h>

#include "zoo_internal.h"

void fv_zoo_vgg(fv_zoo_b *b, int depth, int batch_norm)
{
    static const int widths[5] = {64, 128, 256, 512, 512};
    int convs[5] = {2, 2, 2, 2, 2}; /* vgg13 */
    if (depth == 11) convs[0] = convs[1] = 1;
    if (depth == 16) convs[2] = convs[3] = convs[4] = 3;
    if (depth == 19) convs[2] = convs[3] = convs[4] = 4;
    int i = 0;
    char name[32];
    for (int stage = 0; stage < 5; stage++) {
        for (int k = 0; k < convs[stage]; k++) {
            snprintf(name, sizeof name, "features.%d", i++);
            fv_zoo_conv(b, name, NULL, widths[stage], 3, 1, 1, 1, true);
            if (batch_norm) {
                snprintf(name, sizeof name, "features.%d", i++);
                fv_zoo_bn(b, name);
            }
            snprintf(name, sizeof name, "features.%d", i++);
            fv_zoo_add(b, fv_spec_relu(name), NULL);
        }
        snprintf(name, sizeof name, "features.%d", i++);
        fv_layer_spec pool = fv_spec_max_pool(name, 2);
        fv_spec_stride(&pool, 2, 2);
        fv_zoo_add(b, pool, NULL);
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, fv_spec_adaptive_avg_pool("avgpool", 7, 7), NULL);
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.0", 4096), NULL);
    fv_zoo_add(b, fv_spec_relu("classifier.1"), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.2", 0.5f), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.3", 4096), NULL);
    fv_zoo_add(b, fv_spec_relu("classifier.4"), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.5", 0.5f), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.6", b->opt->num_classes), NULL);
}
