/* fovea featuremaps MODEL [IMAGE.npy | --data SET --index I] [--layer NAME] --out grid.png: every channel of a
 * layer's output for one image, as a grid. */
#include <stdlib.h>

#include "cli_data.h"
#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "layer", .type = FV_CLI_STRING, .metavar = "NAME", .help = "layer (default: the last spatial one before pooling/flattening)"},
    {.name = "out", .type = FV_CLI_STRING, .def = "featuremaps.png", .metavar = "FILE.png", .help = "the grid"},
    {.name = "data", .type = FV_CLI_STRING, .metavar = "SET|DIR", .help = "take the image from this data set's test split"},
    {.name = "index", .type = FV_CLI_INT, .def = "0", .metavar = "I", .help = "which image of --data", .min = 0, .max = 9e15},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores)", .min = 0, .max = 4096},
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"},
                                 {.name = "IMAGE", .help = "a PNG or JPEG image (fitted to the model's input), or a .npy (1, C, H, W) in [0, 1]",
                                  .optional = true}};
static const fv_cli_cmd cmd = {.prog = "fovea featuremaps", .summary = "The feature maps of a layer for one image.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 2};

int cmd_featuremaps(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea featuremaps";
    if (fv_cli_npos(a) < 2 && !fv_cli_str(a, "data")) {
        fprintf(stderr, "%s: give an IMAGE (PNG, JPEG or .npy) or --data SET --index I\n", prog);
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"MODEL", fv_cli_pos_at(a, 0)}, {"IMAGE", fv_cli_pos_at(a, 1)},
                               {"--data", fv_cli_str(a, "data")}, {NULL, NULL}};
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    int32_t label;
    fv_preprocess pre;
    fv_tensor *x = m && !cli_preprocess(a, m, prog, &pre) ? cli_load_image(ctx, a, m, &pre, &label, prog) : NULL;
    int rc = 1, w = 0, h = 0;
    uint8_t *grid = x ? fv_feature_map_grid(m, x, fv_cli_str(a, "layer"), &w, &h) : NULL;
    if (m && !x && *fv_errmsg(ctx)) cli_fail(prog, ctx);
    if (x && !grid) cli_fail_on(prog, fv_cli_pos_at(a, 1) ? fv_cli_pos_at(a, 1) : fv_cli_str(a, "data"), ctx);
    if (grid && fv_png_write(ctx, fv_cli_str(a, "out"), grid, w, h, 1) != FV_OK) cli_fail(prog, ctx);
    else if (grid) printf("Wrote %s (%dx%d)\n", fv_cli_str(a, "out"), w, h), rc = 0;
    free(grid);
    fv_tensor_free(x);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
