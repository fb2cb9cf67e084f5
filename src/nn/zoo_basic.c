/* Built-in models by name: the small ones, written in the description language so that `fovea summary
 * --describe` shows users the text to start their own from (the course's dense baseline, LeNet-5 and
 * FMNIST-CNN, ../shared/BENCHMARKS.md), and the zoo's (zoo.c) with their own defaults. */
#include <stdio.h>
#include <string.h>

#include "zoo_internal.h"

#define ZOO_NAME(name, fn, a, c, takes) name,
static const char *const names[] = {"fmnist-cnn", "lenet5", "mlp", "yolo-fmnist", FV_ZOO_LIST(ZOO_NAME) NULL};

const char *const *fv_model_names(void) { return names; }

static const char fmnist_cnn[] =
    "model fmnist-cnn\n"
    "input input shape=%dx%dx%d\n"
    "conv2d conv1 filters=32 kernel=3 padding=1\n"
    "batch_norm bn1\n"
    "relu relu1\n"
    "max_pool pool1 kernel=2\n"
    "conv2d conv2 filters=64 kernel=3 padding=1\n"
    "batch_norm bn2\n"
    "relu relu2\n"
    "max_pool pool2 kernel=2\n"
    "flatten flatten\n"
    "dense fc1 units=128\n"
    "relu relu3\n"
    "dropout dropout rate=0.5\n"
    "dense fc2 units=%d\n";

/* LeCun et al. 1998 with tanh and average pooling; a 28x28 input is padded by 2 to the original 32x32. */
static const char lenet5[] =
    "model lenet5\n"
    "input input shape=%dx%dx%d\n"
    "conv2d conv1 filters=6 kernel=5 padding=%d\n"
    "tanh tanh1\n"
    "avg_pool pool1 kernel=2\n"
    "conv2d conv2 filters=16 kernel=5\n"
    "tanh tanh2\n"
    "avg_pool pool2 kernel=2\n"
    "flatten flatten\n"
    "dense fc1 units=120\n"
    "tanh tanh3\n"
    "dense fc2 units=84\n"
    "tanh tanh4\n"
    "dense fc3 units=%d\n";

static const char mlp[] =
    "model mlp\n"
    "input input shape=%dx%dx%d\n"
    "flatten flatten\n"
    "dense fc1 units=256\n"
    "relu relu1\n"
    "dense fc2 units=128\n"
    "relu relu2\n"
    "dense fc3 units=%d\n";

/* A small YOLOv3-style detector for the composed canvases (fovea data compose --boxes: 64x64, items of up to
 * 28x28 pixels): four conv, batch norm, leaky ReLU (0.1) blocks as Darknet's tiny models stack them, three max
 * pools to a stride-8 grid, and one head of three anchors, the dimension clusters of 6,000 composed boxes
 * (fv_anchor_kmeans, mean IoU 0.85). Classes default to the composed folder's 11 (its masks' ids; 0, the
 * background, never an object). */
static const char yolo_fmnist[] =
    "model yolo-fmnist\n"
    "input input shape=%dx%dx%d\n"
    "conv2d conv1 filters=16 kernel=3 padding=1 bias=false\n"
    "batch_norm bn1\n"
    "leaky_relu act1 alpha=0.1\n"
    "max_pool pool1 kernel=2\n"
    "conv2d conv2 filters=32 kernel=3 padding=1 bias=false\n"
    "batch_norm bn2\n"
    "leaky_relu act2 alpha=0.1\n"
    "max_pool pool2 kernel=2\n"
    "conv2d conv3 filters=64 kernel=3 padding=1 bias=false\n"
    "batch_norm bn3\n"
    "leaky_relu act3 alpha=0.1\n"
    "max_pool pool3 kernel=2\n"
    "conv2d conv4 filters=128 kernel=3 padding=1 bias=false\n"
    "batch_norm bn4\n"
    "leaky_relu act4 alpha=0.1\n"
    "conv2d conv5 filters=128 kernel=3 padding=1 bias=false\n"
    "batch_norm bn5\n"
    "leaky_relu act5 alpha=0.1\n"
    "conv2d head filters=%d kernel=1\n"
    "yolo yolo classes=%d anchors=13,28,28,16,22,28\n";

fv_model *fv_model_by_name(fv_ctx *ctx, const char *name, int channels, int height, int width, int num_classes)
{
    if (!ctx) return NULL;
    if (fv_zoo_has(name)) {
        fv_zoo_options o = fv_zoo_defaults();
        o.channels = channels, o.height = height, o.width = width, o.num_classes = num_classes;
        return fv_zoo_build(ctx, name, &o);
    }
    int c = channels > 0 ? channels : 1, h = height > 0 ? height : 28, w = width > 0 ? width : 28;
    int k = num_classes > 0 ? num_classes : 10;
    char text[2048];
    if (name && strcmp(name, "fmnist-cnn") == 0) snprintf(text, sizeof text, fmnist_cnn, c, h, w, k);
    else if (name && strcmp(name, "lenet5") == 0) snprintf(text, sizeof text, lenet5, c, h, w, h == 28 ? 2 : 0, k);
    else if (name && strcmp(name, "mlp") == 0) snprintf(text, sizeof text, mlp, c, h, w, k);
    else if (name && strcmp(name, "yolo-fmnist") == 0) {
        int classes = num_classes > 0 ? num_classes : 11;
        snprintf(text, sizeof text, yolo_fmnist, c, height > 0 ? height : 64, width > 0 ? width : 64,
                 3 * (5 + classes), classes);
    }
    else {
        char list[1024] = "";
        size_t n = 0;
        for (int i = 0; names[i] && n < sizeof list; i++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", names[i]);
        fv_error(ctx, FV_ERR_ARG, "unknown model '%s' (built in: %s; or a description file)", name ? name : "(null)",
                 list);
        return NULL;
    }
    return fv_model_parse(ctx, text, name);
}
