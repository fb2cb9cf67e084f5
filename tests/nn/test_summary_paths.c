/* `summary --explain` on the segmentation nets (fv_model_summary with explain): the spatial sizes along both
 * paths, U-Net's contracting and expanding one and FCN-8s' body and score/upsample one: every crop, join and
 * resize explained with its numbers, and the closing list of where sizes change and paths meet. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "test.h"

/* The summary of zoo model name (options o) with --explain, as a malloc'd string (NULL if it did not build). */
static char *explained(fv_ctx *ctx, const char *name, const fv_zoo_options *o)
{
    fv_model *m = fv_zoo_build(ctx, name, o);
    if (!m) return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (f) {
        fv_model_summary(m, f, true);
        fclose(f);
    }
    fv_model_free(m);
    return text;
}

/* Each of the lines must be in text; prints the first missing. */
static bool has_all(const char *text, const char *const *lines, int n)
{
    for (int i = 0; i < n; i++)
        if (!text || !strstr(text, lines[i])) {
            printf("  missing: %s\n", lines[i]);
            return false;
        }
    return true;
}

/* The explained summary of name holds every one of the n lines. */
static void expect_lines(fv_ctx *ctx, const char *name, const fv_zoo_options *o, const char *const *lines, int n,
                         const char *what)
{
    char *text = explained(ctx, name, o);
    CHECK(has_all(text, lines, n), "%s: %s", name, what);
    free(text);
}
#define N_LINES(a) ((int)(sizeof(a) / sizeof(a)[0]))

static void unet(fv_ctx *ctx)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.channels = 1, o.height = o.width = 64, o.num_classes = 11;
    static const char *const joins[] = {
        "      from enc1.relu2: (None, 16, 64, 64)\n      from up1: (None, 16, 64, 64)\n"
        "      D2 = 16 + 16 = 32; H2 x W2 = 64 x 64, as every input's",
        "      from enc3.relu2: (None, 64, 16, 16)\n      from up3: (None, 64, 16, 16)\n"
        "      D2 = 64 + 64 = 128; H2 x W2 = 16 x 16, as every input's"};
    expect_lines(ctx, "unet", &o, joins, N_LINES(joins),
                 "each concat shows its skip and upsampled inputs and D2 = D1a + D1b");
    static const char *const path[] = {
        "Spatial sizes (H x W) where they change and where paths meet:\n",
        "  input (InputLayer)                               64 x 64\n",
        "  down1 (MaxPooling2D)                             32 x 32\n",
        "  down3 (MaxPooling2D)                               8 x 8\n",
        "  up3 (Conv2DTranspose)                            16 x 16\n",
        "  concat3 (Concatenate)                            16 x 16  meets enc3.relu2 16 x 16, up3 16 x 16\n",
        "  concat1 (Concatenate)                            64 x 64  meets enc1.relu2 64 x 64, up1 64 x 64\n"};
    expect_lines(ctx, "unet", &o, path, N_LINES(path),
                 "the contracting path 64 -> 32 -> 16 -> 8 and the expanding one back, with the sizes each concat "
                 "joins");
}

static void fcn8s(fv_ctx *ctx)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.alpha = 1.0 / 32; /* the sizes are the paper's net's; a narrow one builds faster */
    static const char *const lines[] = {
        "      W2 = ceil((W1 - F + P1 + P2)/S) + 1 = ceil((422 - 2 + 0 + 0)/2) + 1 = 211   (ceil_mode)",
        "      H2 = end - start = 23 - 5 = 18   (a crop of H1 = 27 at offset 5)",
        "      W2 = end - start = 47 - 9 = 38   (a crop of W1 = 53 at offset 9)",
        "      H2 = end - start = 255 - 31 = 224   (a crop of H1 = 312 at offset 31)",
        "      from upscore2: (None, 21, 18, 18)\n      from score_pool4c: (None, 21, 18, 18)\n",
        "  conv1_1 (Conv2D)                               422 x 422\n",
        "  fc6 (Conv2D)                                       8 x 8\n",
        "  fuse_pool4 (Add)                                 18 x 18  meets upscore2 18 x 18, score_pool4c 18 x 18\n",
        "  upscore8 (Conv2DTranspose)                     312 x 312\n",
        "  score (Slice)                                  224 x 224\n"};
    expect_lines(ctx, "fcn8s", &o, lines, N_LINES(lines),
                 "the pad of 100 (422), ceil pools, fc6 at 8x8, the crops at offsets 5, 9 and 31 and the sums on the "
                 "score path, each with its numbers");
}

static void resize(fv_ctx *ctx)
{
    fv_zoo_options o = fv_zoo_defaults();
    static const char *const lines[] = {"      H2 = 28 from H1 = 14 (x2)", "      W2 = 224 from W1 = 28 (x8)"};
    expect_lines(ctx, "lraspp_mobilenet_v3_large", &o, lines, N_LINES(lines),
                 "the resizes to the low features' and the input's size");
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    unet(ctx);
    fcn8s(ctx);
    resize(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
