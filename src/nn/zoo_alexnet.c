/* AlexNet as torchvision builds it (Krizhevsky's "one weird trick" variant: 64-192-384-256-256 filters, no
 * LRN), with its adaptive 6x6 average pool so that inputs other than 224x224 keep the classifier's size. */
#include "zoo_internal.h"

void fv_zoo_alexnet(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    fv_zoo_add(b, "conv2d", "features.0 filters=64 kernel=11 stride=4 padding=2");
    fv_zoo_add(b, "relu", "features.1");
    fv_zoo_add(b, "max_pool", "features.2 kernel=3 stride=2");
    fv_zoo_add(b, "conv2d", "features.3 filters=192 kernel=5 padding=2");
    fv_zoo_add(b, "relu", "features.4");
    fv_zoo_add(b, "max_pool", "features.5 kernel=3 stride=2");
    fv_zoo_add(b, "conv2d", "features.6 filters=384 kernel=3 padding=1");
    fv_zoo_add(b, "relu", "features.7");
    fv_zoo_add(b, "conv2d", "features.8 filters=256 kernel=3 padding=1");
    fv_zoo_add(b, "relu", "features.9");
    fv_zoo_add(b, "conv2d", "features.10 filters=256 kernel=3 padding=1");
    fv_zoo_add(b, "relu", "features.11");
    fv_zoo_add(b, "max_pool", "features.12 kernel=3 stride=2");
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, "adaptive_avg_pool", "avgpool size=6");
    fv_zoo_add(b, "flatten", "flatten");
    fv_zoo_add(b, "dropout", "classifier.0 rate=0.5");
    fv_zoo_add(b, "dense", "classifier.1 units=4096");
    fv_zoo_add(b, "relu", "classifier.2");
    fv_zoo_add(b, "dropout", "classifier.3 rate=0.5");
    fv_zoo_add(b, "dense", "classifier.4 units=4096");
    fv_zoo_add(b, "relu", "classifier.5");
    fv_zoo_add(b, "dense", "classifier.6 units=%d", b->opt->num_classes);
}
