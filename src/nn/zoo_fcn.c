/* FCN-32s, FCN-16s and FCN-8s on VGG-16 (Long, Shelhamer and Darrell, 2015), as the Caffe reference and
 * torchfcn build them, with their layer names: conv1_1 .. conv5_3 (relu<s>_<i>, pool1 .. pool5), fc6 as a 7x7
 * convolution and fc7 as a 1x1 one (each with relu and dropout 0.5), score_fr (1x1 to the classes), score
 * layers on pool4 and pool3 (score_pool4, score_pool3) and learned upsampling by transposed convolutions without
 * bias whose weights start as bilinear kernels (init=bilinear): upscore (64x64 stride 32) for 32s; upscore2
 * (4x4 stride 2) then upscore16 (32x32 stride 16) for 16s; upscore2, upscore_pool4 (4x4 stride 2) and upscore8
 * (16x16 stride 8) for 8s.
 *
 * The published geometry: conv1_1 pads by 100 and every pool rounds up (Caffe's pooling), so that fc6's 7x7
 * window fits any input and the upsampled maps cover it; each skip is then cropped to the map it is added to,
 * and the last map to the input's size, at the offsets Caffe's crop layers compute from the receptive fields:
 * score_pool4 at 5 (score_pool4c), score_pool3 at 9 (score_pool3c), the final map at 19 (32s), 27 (16s) or
 * 31 (8s), named score. The logits (classes, H, W) thus have the input's size for every H, W >= 1. alpha
 * scales every width (64 .. 512 and fc6/fc7's 4096) for small variants; 1 is the paper's net. */
#include <stdio.h>

#include "zoo_internal.h"

/* The widths of VGG-16's five stages and of fc6/fc7 at alpha. */
static int scaled(const fv_zoo_b *b, int width)
{
    int w = (int)(width * b->opt->alpha + 0.5);
    return w < 1 ? 1 : w;
}

/* conv<s>_<i> with relu<s>_<i> over the five stages, each ending in pool<s>; conv1_1 pads by 100. */
static void vgg16_body(fv_zoo_b *b)
{
    static const int widths[5] = {64, 128, 256, 512, 512}, convs[5] = {2, 2, 3, 3, 3};
    char name[32];
    for (int s = 1; s <= 5; s++) {
        for (int i = 1; i <= convs[s - 1]; i++) {
            snprintf(name, sizeof name, "conv%d_%d", s, i);
            fv_zoo_conv(b, name, NULL, scaled(b, widths[s - 1]), 3, 1, s == 1 && i == 1 ? 100 : 1, 1, true);
            snprintf(name, sizeof name, "relu%d_%d", s, i);
            fv_zoo_add(b, fv_spec_relu(name), NULL);
        }
        snprintf(name, sizeof name, "pool%d", s);
        fv_layer_spec pool = fv_spec_max_pool(name, 2);
        fv_spec_stride(&pool, 2, 2);
        pool.a.ceil_mode = true;
        fv_zoo_add(b, pool, NULL);
    }
}

/* fc6, fc7 and score_fr: the classifier of VGG-16 as convolutions, then the per-location class scores. */
static void fully_convolutional_head(fv_zoo_b *b)
{
    fv_zoo_conv(b, "fc6", NULL, scaled(b, 4096), 7, 1, 0, 1, true);
    fv_zoo_add(b, fv_spec_relu("relu6"), NULL);
    fv_zoo_add(b, fv_spec_dropout("drop6", 0.5f), NULL);
    fv_zoo_conv(b, "fc7", NULL, scaled(b, 4096), 1, 1, 0, 1, true);
    fv_zoo_add(b, fv_spec_relu("relu7"), NULL);
    fv_zoo_add(b, fv_spec_dropout("drop7", 0.5f), NULL);
    fv_zoo_conv(b, "score_fr", NULL, b->opt->num_classes, 1, 1, 0, 1, true);
}

/* A transposed convolution of the classes without bias, kernel 2 * stride, starting as bilinear upsampling. */
static void upscore(fv_zoo_b *b, const char *name, const char *from, int stride)
{
    fv_layer_spec s = fv_spec_conv_transpose2d(name, b->opt->num_classes, 2 * stride);
    fv_spec_stride(&s, stride, stride);
    s.a.bias = false;
    s.a.choice[0] = FV_CONVT_INIT_BILINEAR;
    fv_zoo_add(b, s, from);
}

/* name: layer x cropped to height h and width w from (offset, offset), as Caffe's Crop layer. The published
 * offsets always leave room (the pad of 100 sees to it); a map too small is refused naming both sizes. */
static void crop(fv_zoo_b *b, const char *name, const char *x, int offset, int64_t h, int64_t w)
{
    int64_t have[2];
    if (!fv_zoo_map_size(b, x, have)) return;
    if (have[0] < offset + h || have[1] < offset + w) {
        fv_error(fv_model_ctx(b->m), FV_ERR_ARG, "%s: %s is %lldx%lld, too small to crop %lldx%lld at offset %d",
                 name, x, (long long)have[0], (long long)have[1], (long long)h, (long long)w, offset);
        b->failed = true;
        return;
    }
    fv_layer_spec s = fv_spec_of_type("slice", name);
    s.a.starts = (fv_int_list){2, {offset, offset}};
    s.a.ends = (fv_int_list){2, {offset + h, offset + w}};
    s.a.axes = (fv_int_list){2, {2, 3}};
    fv_zoo_add(b, s, x);
}

/* fuse: upsampled + score_<pool> (a 1x1 convolution of pool<k>) cropped at offset to the upsampled map. */
static void fuse_skip(fv_zoo_b *b, const char *pool, const char *upsampled, int offset, const char *fuse)
{
    char score[32], cropped[32];
    snprintf(score, sizeof score, "score_%s", pool);
    snprintf(cropped, sizeof cropped, "score_%sc", pool);
    fv_zoo_conv(b, score, pool, b->opt->num_classes, 1, 1, 0, 1, true);
    int64_t hw[2];
    if (!fv_zoo_map_size(b, upsampled, hw)) return;
    crop(b, cropped, score, offset, hw[0], hw[1]);
    fv_zoo_add(b, fv_spec_add(fuse, upsampled, cropped), NULL);
}

/* stride: the output stride of the net, 32, 16 or 8. */
void fv_zoo_fcn(fv_zoo_b *b, int stride, int unused)
{
    (void)unused;
    vgg16_body(b);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fully_convolutional_head(b);
    if (stride <= 16) { /* 2x up, plus pool4's scores */
        upscore(b, "upscore2", NULL, 2);
        fuse_skip(b, "pool4", "upscore2", 5, "fuse_pool4");
    }
    if (stride <= 8) { /* 2x up again, plus pool3's scores */
        upscore(b, "upscore_pool4", NULL, 2);
        fuse_skip(b, "pool3", "upscore_pool4", 9, "fuse_pool3");
    }
    /* the rest of the way to the input's size in one step, cropped at Caffe's offset */
    const char *last = stride == 32 ? "upscore" : stride == 16 ? "upscore16" : "upscore8";
    upscore(b, last, NULL, stride);
    crop(b, "score", last, stride == 32 ? 19 : stride == 16 ? 27 : 31, b->opt->height, b->opt->width);
}
