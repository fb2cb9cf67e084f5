/* fovea augment IMAGE --preview grid.png [--n 16] [--seed S] [--rotate 15 --zoom 0.9:1.1 ...]: n augmented
 * versions of one image (keys 0 .. n-1 of the seed), tiled into a grid, to see what a pipeline does before
 * training with it. */
#include <stdlib.h>
#include <string.h>

#include "cli_augment.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    FV_CLI_STR_OPT("preview", NULL, "GRID.png", "write the augmented versions as a grid (required)"),
    FV_CLI_INT_OPT("n", "16", "N", "how many versions", 1, 1024),
    FV_CLI_INT_OPT("seed", "1", "S", "the augmentation's seed (version i uses key i)", 0, INT64_MAX),
    FV_CLI_INT_OPT("cols", "0", "N", "grid columns (0: about the square root of n)", 0, 1024),
    FV_CLI_STR_OPT("augment", NULL, "SPEC", "a whole pipeline as text, e.g. 'rotate=10 zoom=0.9:1.1 hflip=0.5' (before the flags)"),
    CLI_AUGMENT_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
};
static const fv_cli_pos pos[] = {FV_CLI_ARG("IMAGE", "a PNG or JPEG image")};
static const fv_cli_cmd cmd = {.prog = "fovea augment", .summary = "A grid of augmented versions of one image.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 1};

/* Gray or RGB floats (c, h, w) of the image: alpha dropped, 16 bits to 8. */
static float *load(fv_ctx *ctx, const char *path, int *c, int *h, int *w)
{
    fv_image im = {0}, conv = {0};
    if (fv_image_read(ctx, path, &im) != FV_OK) return NULL;
    int channels = im.channels <= 2 ? 1 : 3;
    float *x = NULL;
    if (fv_image_convert(ctx, &im, channels, 8, &conv) == FV_OK) {
        *c = channels, *h = conv.height, *w = conv.width;
        x = malloc((size_t)channels * conv.height * conv.width * sizeof(float));
        if (x) fv_image_to_floats(&conv, NULL, NULL, x);
    }
    fv_image_release(&im);
    fv_image_release(&conv);
    return x;
}

/* Tile n samples (c, h, w) into rows x cols with a 2-pixel white gap, as 8-bit interleaved pixels. */
static uint8_t *tile(const float *s, int n, int c, int h, int w, int cols, int *gw, int *gh)
{
    int rows = (n + cols - 1) / cols, gap = 2;
    *gw = cols * w + (cols - 1) * gap, *gh = rows * h + (rows - 1) * gap;
    uint8_t *g = malloc((size_t)*gw * *gh * c);
    if (!g) return NULL;
    memset(g, 255, (size_t)*gw * *gh * c);
    for (int i = 0; i < n; i++) {
        int ox = (i % cols) * (w + gap), oy = (i / cols) * (h + gap);
        const float *p = s + (size_t)i * c * h * w;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < c; k++) {
                    float v = p[((size_t)k * h + y) * w + x];
                    v = v < 0 ? 0 : v > 1 ? 1 : v;
                    g[((size_t)(oy + y) * *gw + ox + x) * c + k] = (uint8_t)(v * 255.0f + 0.5f);
                }
    }
    return g;
}

/* n copies of x (per floats each), copy i augmented with key i. */
static float *augment_copies(fv_ctx *ctx, const fv_augment *aug, uint64_t seed, const float *x, int c, int h, int w,
                             int n, const char *prog)
{
    size_t per = (size_t)c * h * w;
    float *all = malloc(per * n * sizeof(float));
    if (!all) fprintf(stderr, "%s: out of memory\n", prog);
    for (int i = 0; all && i < n; i++) {
        memcpy(all + per * i, x, per * sizeof(float));
        if (aug && fv_augment_apply(aug, seed, (uint64_t)i, all + per * i, c, h, w, NULL, 0, NULL, NULL) != FV_OK) {
            cli_fail(prog, ctx);
            free(all);
            all = NULL;
        }
    }
    return all;
}

static int preview(fv_ctx *ctx, const fv_cli_args *a, const fv_augment *aug, const char *prog)
{
    int c, h, w, n = (int)fv_cli_int(a, "n"), cols = (int)fv_cli_int(a, "cols");
    float *x = load(ctx, fv_cli_pos_at(a, 0), &c, &h, &w);
    if (!x) return cli_fail(prog, ctx);
    float *all = augment_copies(ctx, aug, (uint64_t)fv_cli_int(a, "seed"), x, c, h, w, n, prog);
    if (cols <= 0)
        for (cols = 1; cols * cols < n; cols++) {}
    int gw = 0, gh = 0, rc = 1;
    uint8_t *grid = all ? tile(all, n, c, h, w, cols < n ? cols : n, &gw, &gh) : NULL;
    if (all && !grid) fprintf(stderr, "%s: out of memory\n", prog);
    else if (grid && fv_png_write(ctx, fv_cli_str(a, "preview"), grid, gw, gh, c) != FV_OK) cli_fail(prog, ctx);
    else if (grid) {
        char desc[2048];
        fv_augment_describe(aug, desc, sizeof desc);
        printf("Wrote %s: %d versions of %s (%dx%d, %d channel%s), grid %dx%d; pipeline: %s\n", fv_cli_str(a, "preview"),
               n, fv_cli_pos_at(a, 0), w, h, c, c > 1 ? "s" : "", gw, gh, aug ? desc : "(none: the image itself)");
        rc = 0;
    }
    free(grid);
    free(all);
    free(x);
    return rc;
}

int cmd_augment(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea augment";
    if (!fv_cli_str(a, "preview")) {
        fprintf(stderr, "%s: give --preview GRID.png (the file to write)\n", prog);
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"IMAGE", fv_cli_pos_at(a, 0)}, {NULL, NULL}};
    const cli_file outputs[] = {{"--preview", fv_cli_str(a, "preview")}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, false);
    fv_augment *aug = NULL;
    int rc = cli_augment_from_args(ctx, a, prog, fv_cli_str(a, "augment"), &aug);
    if (rc == 0) rc = preview(ctx, a, aug, prog);
    fv_augment_free(aug);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
