/* fovea segment MODEL IMAGE... --out overlay.png [--mask mask.png] [--alpha 0.5]: a segmentation model's
 * argmax class per pixel, drawn over each image at the model's input size in the Pascal VOC palette (class 0,
 * the background, left as the image), and with --mask the class ids as an 8-bit gray PNG. Images are taken and
 * fitted as predict takes them. With several images, the index is inserted before each output's extension
 * (overlay.png: overlay-0.png, overlay-1.png, ...); one image writes the names as given. */
#include <stdlib.h>
#include <string.h>

#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    FV_CLI_STR_OPT("out", NULL, "OVERLAY.png", "the classes over the image (several images: OVERLAY-0.png, ...)"),
    FV_CLI_STR_OPT("mask", NULL, "MASK.png", "the class ids, one 8-bit channel (several images: MASK-0.png, ...)"),
    FV_CLI_FLOAT_OPT("alpha", "0.5", "X", "weight of the class colours in the overlay", 0, 1),
    FV_CLI_INT_OPT("threads", "0", "N", "threads (0: all cores)", 0, 4096),
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a segmentation model: output logits (N, K, H, W)"},
                                 {.name = "IMAGE", .help = "PNG or JPEG images, folders of them, or globs ('*.jpg')",
                                  .repeated = true}};
static const fv_cli_cmd cmd = {.prog = "fovea segment", .summary = "Draw a segmentation model's classes over images.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 2};

static const char *prog = "fovea segment";


static void free_names(char **names, int n)
{
    for (int i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

/* The output names (2 per image: --out, --mask) checked against the model, every image and each other. */
static int output_names(const fv_cli_args *a, char *const *files, int n, char ***names)
{
    cli_file *out = calloc((size_t)2 * n + 1, sizeof *out);
    *names = calloc((size_t)2 * n, sizeof **names);
    int rc = !out || !*names ? fprintf(stderr, "%s: out of memory\n", prog) > 0 : 0;
    for (int i = 0; !rc && i < n; i++) {
        (*names)[2 * i] = cli_indexed_path(fv_cli_str(a, "out"), i, n);
        (*names)[2 * i + 1] = cli_indexed_path(fv_cli_str(a, "mask"), i, n);
        out[2 * i] = (cli_file){"--out", (*names)[2 * i]};
        out[2 * i + 1] = (cli_file){"--mask", (*names)[2 * i + 1]};
        if (!out[2 * i].path || (fv_cli_str(a, "mask") && !out[2 * i + 1].path))
            rc = fprintf(stderr, "%s: out of memory\n", prog) > 0;
    }
    if (!rc) rc = cli_check_image_files(prog, fv_cli_pos_at(a, 0), NULL, files, n, out);
    free(out);
    return rc;
}

/* The model's logits for one image x (1, C, H, W), refused unless (1, K, H, W) with 1 <= K <= 256. */
static fv_tensor *logits(fv_ctx *ctx, fv_model *m, const char *model, const fv_tensor *x)
{
    fv_tensor *r = fv_model_output(m, x);
    if (!r) {
        cli_fail_on(prog, model, ctx);
    } else if (r->ndim != 4 || r->shape[1] > 256) {
        char shape[128] = "(";
        for (int d = 0; d < r->ndim; d++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", d ? ", " : "", (long long)r->shape[d]);
        char pb[512];
        fprintf(stderr, "%s: %s: output %s) is not segmentation logits (N, K, H, W) with K <= 256\n", prog,
                fv_printable(model, pb, sizeof pb), shape);
        fv_tensor_free(r);
        r = NULL;
    }
    return r;
}

/* One image: its overlay to out and its mask to mask_path (when given). 0, or 1 after printing why. */
static int segment_one(fv_ctx *ctx, fv_model *m, const fv_preprocess *pre, const fv_cli_args *a, char *file,
                       const char *out, const char *mask_path)
{
    fv_tensor *x = cli_image_batch(ctx, prog, m, pre, &file, 1);
    fv_tensor *o = x ? logits(ctx, m, fv_cli_pos_at(a, 0), x) : NULL;
    if (!o) {
        fv_tensor_free(x);
        return 1;
    }
    int h = (int)x->shape[2], w = (int)x->shape[3], rc = 0;
    uint8_t *mask = fv_class_mask(o, 0, h, w);
    uint8_t *rgb = mask ? fv_class_overlay(mask, fv_f32(x), (int)x->shape[1], h, w, (float)fv_cli_float(a, "alpha")) : NULL;
    if (!rgb) rc = fprintf(stderr, "%s: out of memory\n", prog) > 0;
    if (!rc && fv_png_write(ctx, out, rgb, w, h, 3) != FV_OK) rc = cli_fail(prog, ctx);
    if (!rc && mask_path && fv_png_write(ctx, mask_path, mask, w, h, 1) != FV_OK) rc = cli_fail(prog, ctx);
    char pb[512], ob[512];
    if (!rc) printf("%s: %lld classes, %dx%d -> %s%s\n", fv_printable(file, pb, sizeof pb), (long long)o->shape[1], w, h,
                    fv_printable(out, ob, sizeof ob), mask_path ? " (+ mask)" : "");
    free(rgb), free(mask);
    fv_tensor_free(o), fv_tensor_free(x);
    return rc;
}


static int run(const fv_cli_args *a, char **files, int n, char **names)
{
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_preprocess pre;
    int rc = m ? cli_preprocess(a, m, prog, &pre) : 1;
    if (!rc) rc = cli_check_images(ctx, prog, files, n);
    for (int i = 0; !rc && i < n; i++) rc = segment_one(ctx, m, &pre, a, files[i], names[2 * i], names[2 * i + 1]);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return rc;
}

int cmd_segment(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    char **files = NULL, **names = NULL;
    int n = 0, rc = 0;
    if (!fv_cli_str(a, "out")) rc = 2, fprintf(stderr, "%s: give --out OVERLAY.png\n", prog);
    else if (fv_cli_npos(a) < 2) rc = 2, fprintf(stderr, "%s: give IMAGE files after the MODEL\n", prog);
    if (!rc) rc = cli_image_args(prog, a, &files, &n);
    if (!rc) rc = output_names(a, files, n, &names);
    if (!rc) rc = run(a, files, n, names);
    free_names(names, 2 * n);
    cli_files_free(files, n);
    fv_cli_free(a);
    return rc;
}
