/* torchvision's segmentation models (torchvision.models.segmentation, aux_loss=False) with its structure and
 * parameter names, so that the weights of their ONNX exports load by structure and torchvision's state dicts by
 * name: fcn_resnet50 (a dilated ResNet-50, output stride 8, under "backbone."; FCNHead "classifier.0-4"),
 * deeplabv3_mobilenet_v3_large (a MobileNet v3 Large whose last stage is dilated, output stride 16; DeepLabHead:
 * ASPP "classifier.0" with rates 12, 24, 36 and an image-pooling branch, then "classifier.1-4") and
 * lraspp_mobilenet_v3_large (the same backbone; LR-ASPP "classifier": a 1x1 conv-bn-relu of the stride-16
 * features gated by a sigmoid of their global average, upsampled to the stride-8 features' size, plus a
 * classifier of those). Each ends, as torchvision's forward does, in a bilinear resize (align_corners false)
 * of the logits to the input's size, named out (torchvision's result['out']). */
#include <stdio.h>

#include "zoo_internal.h"

/* name: x resized bilinearly to h x w as F.interpolate(mode="bilinear", align_corners=False) (PyTorch's half
 * pixel centres, which ONNX calls pytorch_half_pixel). */
static void resize_bilinear(fv_zoo_b *b, const char *name, const char *x, int64_t h, int64_t w)
{
    fv_layer_spec s = fv_spec_of_type("resize", name);
    s.a.shape[0] = h, s.a.shape[1] = w, s.a.ndim = 2;
    s.a.choice[0] = 1; /* linear */
    s.a.choice[1] = 1; /* pytorch_half_pixel */
    fv_zoo_add(b, s, x);
}

/* The logits at the input's size, as the models' forward returns them. */
static void upsample_to_input(fv_zoo_b *b)
{
    resize_bilinear(b, "out", NULL, b->opt->height, b->opt->width);
}

/* torchvision's segmentation heads use PyTorch's batch norm defaults, whatever the backbone used. */
static void head_batch_norms(fv_zoo_b *b) { b->bn_eps = 1e-5f, b->bn_momentum = 0.1f; }

/* ---- fcn_resnet50 ---------------------------------------------------------------------------------------- */

void fv_zoo_fcn_resnet(fv_zoo_b *b, int depth, int unused)
{
    (void)unused;
    char x[96];
    fv_zoo_resnet_body(b, "backbone.", depth, true, x, sizeof x);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    /* FCNHead(2048, classes): 3x3 conv to a quarter of the channels, bn, relu, dropout 0.1, 1x1 conv */
    head_batch_norms(b);
    fv_zoo_conv(b, "classifier.0", NULL, 512, 3, 1, 1, 1, false);
    fv_zoo_bn(b, "classifier.1");
    fv_zoo_add(b, fv_spec_relu("classifier.2"), NULL);
    fv_zoo_add(b, fv_spec_dropout("classifier.3", 0.1f), NULL);
    fv_zoo_conv(b, "classifier.4", NULL, b->opt->num_classes, 1, 1, 0, 1, true);
    upsample_to_input(b);
}

/* ---- deeplabv3_mobilenet_v3_large ------------------------------------------------------------------------- */

/* ASPP (Chen et al., 2017) named p on x: a 1x1 branch, three 3x3 branches dilated by the rates, and image
 * pooling (global average, 1x1 conv-bn-relu, spread back over the map), concatenated and projected to 256 with
 * dropout 0.5. */
static void aspp(fv_zoo_b *b, const char *p, const char *x)
{
    static const int rates[3] = {12, 24, 36};
    char name[96], cat[96], outs[5][96]; /* the spec keeps the branches' names until it is added */
    int64_t hw[2];
    if (!fv_zoo_map_size(b, x, hw)) return;
    snprintf(cat, sizeof cat, "%s.cat", p);
    fv_layer_spec c = fv_spec_concat(cat, 1);
    for (int i = 0; i <= 4; i++) {
        char branch[80];
        snprintf(branch, sizeof branch, "%s.convs.%d", p, i);
        if (i == 0) {
            fv_zoo_conv_bn_act(b, branch, x, 256, 1, 1, 1, FV_ACT_RELU);
        } else if (i < 4) {
            fv_zoo_conv_bn_act_dilated(b, branch, x, 256, 3, 1, rates[i - 1], 1, FV_ACT_RELU);
        } else { /* ASPPPooling: .0 the pool, .1 conv, .2 bn, .3 relu, then back to the map's size */
            fv_zoo_add(b, fv_spec_global_avg_pool(fv_zoo_name(name, sizeof name, branch, ".0")), x);
            fv_zoo_conv(b, fv_zoo_name(name, sizeof name, branch, ".1"), NULL, 256, 1, 1, 0, 1, false);
            fv_zoo_bn(b, fv_zoo_name(name, sizeof name, branch, ".2"));
            fv_zoo_add(b, fv_spec_relu(fv_zoo_name(name, sizeof name, branch, ".3")), NULL);
            resize_bilinear(b, fv_zoo_name(name, sizeof name, branch, ".upsample"), NULL, hw[0], hw[1]);
        }
        fv_spec_from(&c, fv_zoo_name(outs[i], sizeof outs[i], branch, i < 4 ? ".2" : ".upsample"));
    }
    fv_zoo_add(b, c, NULL);
    fv_zoo_conv_bn_act(b, fv_zoo_name(name, sizeof name, p, ".project"), NULL, 256, 1, 1, 1, FV_ACT_RELU);
    fv_zoo_add(b, fv_spec_dropout(fv_zoo_name(name, sizeof name, p, ".project.3"), 0.5f), NULL);
}

void fv_zoo_deeplabv3_mobilenet(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    fv_zoo_mobilenet_v3_features(b, "backbone", 1, true);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    char x[96];
    snprintf(x, sizeof x, "%s", b->failed ? "" : fv_zoo_last(b));
    head_batch_norms(b);
    aspp(b, "classifier.0", x);
    fv_zoo_conv(b, "classifier.1", NULL, 256, 3, 1, 1, 1, false);
    fv_zoo_bn(b, "classifier.2");
    fv_zoo_add(b, fv_spec_relu("classifier.3"), NULL);
    fv_zoo_conv(b, "classifier.4", NULL, b->opt->num_classes, 1, 1, 0, 1, true);
    upsample_to_input(b);
}

/* ---- lraspp_mobilenet_v3_large ---------------------------------------------------------------------------- */

/* The name of backbone block idx's output (in out): the layer before block idx + 1's first. */
static void block_output(fv_zoo_b *b, const char *prefix, int idx, char *out, size_t size)
{
    char next[96];
    snprintf(next, sizeof next, "%s.%d.block.0.0", prefix, idx + 1);
    int i = fv_model_find_layer(b->m, next);
    snprintf(out, size, "%s", b->failed || i < 1 ? "" : fv_model_layer_name(b->m, i - 1));
}

void fv_zoo_lraspp_mobilenet(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    fv_zoo_mobilenet_v3_features(b, "backbone", 1, true);
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    /* high: the last features (stride 16); low: block 4's, the output of the stride-8 stage */
    char high[96], low[96];
    int64_t low_hw[2];
    snprintf(high, sizeof high, "%s", b->failed ? "" : fv_zoo_last(b));
    block_output(b, "backbone", 4, low, sizeof low);
    if (!fv_zoo_map_size(b, low, low_hw)) return;
    head_batch_norms(b);
    fv_zoo_conv_bn_act(b, "classifier.cbr", high, 128, 1, 1, 1, FV_ACT_RELU);
    fv_zoo_add(b, fv_spec_global_avg_pool("classifier.scale.0"), high);
    fv_zoo_conv(b, "classifier.scale.1", NULL, 128, 1, 1, 0, 1, false);
    fv_zoo_add(b, fv_spec_activation("classifier.scale.2", FV_ACT_SIGMOID), NULL);
    fv_zoo_add(b, fv_spec_mul("classifier.gated", "classifier.cbr.2", "classifier.scale.2"), NULL);
    resize_bilinear(b, "classifier.upsample", NULL, low_hw[0], low_hw[1]);
    /* torchvision adds low_classifier(low) + high_classifier(x), in that order: keep it for weight transfer */
    fv_zoo_conv(b, "classifier.low_classifier", low, b->opt->num_classes, 1, 1, 0, 1, true);
    fv_zoo_conv(b, "classifier.high_classifier", "classifier.upsample", b->opt->num_classes, 1, 1, 0, 1, true);
    fv_zoo_add(b, fv_spec_add("classifier.add", "classifier.low_classifier", "classifier.high_classifier"), NULL);
    upsample_to_input(b);
}
