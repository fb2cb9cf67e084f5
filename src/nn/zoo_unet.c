/* U-Net (Ronneberger et al., 2015) with padded 3x3 convolutions, so that the logits have the input's height and
 * width. Level k (1..depth) of the contracting path is a double convolution enc<k> of base_width * 2^(k-1)
 * channels, then a 2x2 max pool down<k>; the bottleneck has base_width * 2^depth channels. The expanding path
 * goes back up level by level: up<k> doubles the size (a 2x2 stride-2 transposed convolution to the level's
 * channels, or bilinear upsampling that keeps them), concat<k> joins it after enc<k>'s output (the skip first,
 * as torch.cat([skip, up], 1)), and dec<k> is a double convolution to the level's channels. A 1x1 convolution
 * head gives num_classes logits per pixel. Double convolution p: p.conv1, p.bn1, p.relu1, p.conv2, p.bn2,
 * p.relu2 (convolutions without bias when batch norm follows; with bias and no p.bn<i> otherwise).
 * Defaults (depth 3, base_width 16, transposed convolutions, batch norm) with 1 channel and 11 classes: the
 * 482,619-parameter U-Net that issue 17 measures in PyTorch. */
#include <stdio.h>

#include "zoo_internal.h"

/* conv-[bn-]relu twice, named p; its output is p.relu2. */
static void double_conv(fv_zoo_b *b, const char *p, const char *from, int filters)
{
    bool bn = !b->opt->no_batch_norm;
    char name[96];
    for (int k = 1; k <= 2; k++) {
        snprintf(name, sizeof name, "%s.conv%d", p, k);
        fv_zoo_conv(b, name, k == 1 ? from : NULL, filters, 3, 1, 1, 1, !bn);
        if (bn) {
            snprintf(name, sizeof name, "%s.bn%d", p, k);
            fv_zoo_bn(b, name);
        }
        snprintf(name, sizeof name, "%s.relu%d", p, k);
        fv_zoo_add(b, fv_spec_relu(name), NULL);
    }
}

/* Each max pool halves the size with floor and the decoder doubles it back: any other size would leave the
 * skip and the upsampled map different sizes, so refuse it here, naming the size, rather than fail deep in a
 * concat. */
static bool size_fits(fv_zoo_b *b)
{
    int step = 1 << b->opt->depth, h = b->opt->height, w = b->opt->width;
    if (h % step == 0 && w % step == 0) return true;
    fv_error(fv_model_ctx(b->m), FV_ERR_ARG,
             "height %d and width %d must be multiples of 2^depth = %d (depth %d: each max pool halves them, the "
             "decoder doubles them back); pad or resize the input, or lower depth",
             h, w, step, b->opt->depth);
    b->failed = true;
    return false;
}

/* up<k>, concat<k> and dec<k> on x (the level below); the output is dec<k>.relu2. */
static void up_level(fv_zoo_b *b, int k, const char *x, int filters)
{
    char up[32], skip[32], cat[32], dec[32];
    snprintf(up, sizeof up, "up%d", k);
    if (b->opt->upsample == FV_ZOO_UP_TRANSPOSE) {
        fv_layer_spec t = fv_spec_conv_transpose2d(up, filters, 2);
        fv_spec_stride(&t, 2, 2);
        fv_zoo_add(b, t, x);
    } else {
        fv_zoo_add(b, fv_spec_upsample(up, 2, FV_RESIZE_BILINEAR), x);
    }
    snprintf(skip, sizeof skip, "enc%d.relu2", k);
    snprintf(cat, sizeof cat, "concat%d", k);
    fv_layer_spec c = fv_spec_concat(cat, 1);
    fv_spec_from(&c, skip);
    fv_spec_from(&c, up);
    fv_zoo_add(b, c, NULL);
    snprintf(dec, sizeof dec, "dec%d", k);
    double_conv(b, dec, NULL, filters);
}

void fv_zoo_unet(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    if (!size_fits(b)) return;
    int depth = b->opt->depth, width = b->opt->base_width;
    char p[32], from[32] = "input";
    for (int k = 1; k <= depth; k++) {
        snprintf(p, sizeof p, "enc%d", k);
        double_conv(b, p, from, width << (k - 1));
        snprintf(from, sizeof from, "down%d", k);
        fv_layer_spec pool = fv_spec_max_pool(from, 2);
        fv_spec_stride(&pool, 2, 2);
        fv_zoo_add(b, pool, NULL);
    }
    double_conv(b, "bottleneck", from, width << depth);
    snprintf(from, sizeof from, "bottleneck.relu2");
    for (int k = depth; k >= 1; k--) {
        up_level(b, k, from, width << (k - 1));
        snprintf(from, sizeof from, "dec%d.relu2", k);
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_conv(b, "head", NULL, b->opt->num_classes, 1, 1, 0, 1, true);
}
