/* AlexNet as torchvision builds it (Krizhevsky's "one weird trick" variant: 64-192-384-256-256 filters, no
 * LRN), with its adaptive 6x6 average pool so that inputs other than 224x224 keep the classifier's size. */
#include <stdio.h>

#include "zoo_internal.h"

/* features.<i>: a convolution and its ReLU (i + 1). */
static void conv_relu(fv_zoo_b *b, int i, int filters, int kernel, int stride, int padding)
{
    char name[32];
    snprintf(name, sizeof name, "features.%d", i);
    fv_zoo_conv(b, name, NULL, filters, kernel, stride, padding, 1, true);
    snprintf(name, sizeof name, "features.%d", i + 1);
    fv_zoo_add(b, fv_spec_relu(name), NULL);
}

static void max_pool(fv_zoo_b *b, const char *name)
{
    fv_layer_spec s = fv_spec_max_pool(name, 3);
    fv_spec_stride(&s, 2, 2);
    fv_zoo_add(b, s, NULL);
}

void fv_zoo_alexnet(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    conv_relu(b, 0, 64, 11, 4, 2);
    max_pool(b, "features.2");
    conv_relu(b, 3, 192, 5, 1, 2);
    max_pool(b, "features.5");
    conv_relu(b, 6, 384, 3, 1, 1);
    conv_relu(b, 8, 256, 3, 1, 1);
    conv_relu(b, 10, 256, 3, 1, 1);
    max_pool(b, "features.12");
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, fv_spec_adaptive_avg_pool("avgpool", 6, 6), NULL);
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.0", 0.5f), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.1", 4096), NULL);
    fv_zoo_add(b, fv_spec_relu("classifier.2"), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.3", 0.5f), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.4", 4096), NULL);
    fv_zoo_add(b, fv_spec_relu("classifier.5"), NULL);
    fv_zoo_add(b, fv_spec_dense("classifier.6", b->opt->num_classes), NULL);
}
