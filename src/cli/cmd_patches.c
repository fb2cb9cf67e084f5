/* fovea patches MODEL (--data SET | IMAGE...) --layer NAME --channel C [--n 16] --out patches.png: the input
 * patches (the channel's receptive field) that most activate one channel over a data set or image files,
 * strongest first. */
#include <stdlib.h>

#include "cli_data.h"
#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "data", .type = FV_CLI_STRING, .metavar = "SET|DIR", .help = "fashion-mnist, mnist or a directory of IDX files"},
    {.name = "split", .type = FV_CLI_STRING, .def = "test", .help = "which part of the data set", .choices = "test|train"},
    {.name = "limit", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = CLI_LIMIT_HELP, .min = 0, .max = 9e15},
    {.name = "layer", .type = FV_CLI_STRING, .metavar = "NAME", .help = "layer (default: the last spatial one before pooling/flattening)"},
    {.name = "channel", .type = FV_CLI_INT, .def = "0", .metavar = "C", .help = "channel of the layer", .min = 0, .max = 1e6},
    {.name = "n", .type = FV_CLI_INT, .def = "16", .metavar = "N", .help = "patches to show", .min = 1, .max = 1024},
    {.name = "out", .type = FV_CLI_STRING, .def = "patches.png", .metavar = "FILE.png", .help = "the grid"},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores)", .min = 0, .max = 4096},
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"},
                                 {.name = "IMAGE", .help = "PNG or JPEG images, folders of them, or globs ('*.jpg') "
                                  "to search instead of --data", .optional = true, .repeated = true}};
static const fv_cli_cmd cmd = {.prog = "fovea patches", .summary = "The input patches that most activate a channel.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 2};

/* The grid of the strongest patches over src into --out, and its summary line. 0, or 1 with the reason in ctx
 * (not printed: the caller knows which input to name). */
static int write_patches(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, const fv_data_source *src)
{
    int w = 0, h = 0, ch = 1, n = (int)fv_cli_int(a, "n");
    float values[1024];
    uint8_t *grid = fv_top_patches(m, src, fv_cli_str(a, "layer"), (int)fv_cli_int(a, "channel"), n, values, &w, &h, &ch);
    int rc = !grid || fv_png_write(ctx, fv_cli_str(a, "out"), grid, w, h, ch) != FV_OK;
    if (!rc)
        printf("Wrote %s: %d patches of channel %lld, strongest activation %.4f\n", fv_cli_str(a, "out"),
               n < (int)src->count ? n : (int)src->count, (long long)fv_cli_int(a, "channel"), values[0]);
    free(grid);
    return rc;
}

static int patches_of_images(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, const fv_preprocess *pre,
                             char *const *files, int n)
{
    const char *prog = "fovea patches";
    cli_image_set set;
    fv_data_source src;
    if (cli_check_images(ctx, prog, files, n) || cli_image_source(&set, ctx, prog, m, pre, files, n, &src)) return 1;
    if (!write_patches(ctx, m, a, &src)) return 0;
    return set.failed >= 0 ? cli_fail_on(prog, files[set.failed], ctx) : cli_fail(prog, ctx);
}

static int patches_of_data(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, const fv_preprocess *pre)
{
    const char *prog = "fovea patches", *data = fv_cli_str(a, "data");
    cli_data *d = cli_data_open_model(ctx, data, fv_cli_str(a, "split")[1] == 'r', fv_cli_int(a, "limit"), m, pre);
    if (!d) return cli_fail(prog, ctx);
    int rc = 1;
    if (!cli_data_check_model(d, m, prog, data)) {
        fv_data_source src = cli_data_source(d);
        rc = write_patches(ctx, m, a, &src) ? cli_fail(prog, ctx) : 0;
    }
    cli_data_free(d);
    return rc;
}

int cmd_patches(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea patches";
    bool images = fv_cli_npos(a) > 1, data = fv_cli_str(a, "data") != NULL;
    if (images == data) {
        fprintf(stderr, data ? "%s: give --data or image inputs, not both\n" : "%s: --data (or image inputs) is required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    char **files = NULL;
    int n_files = 0;
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {NULL, NULL}};
    if ((status = cli_image_inputs(prog, a, 1, &files, &n_files)) ||
        (status = cli_check_image_files(prog, fv_cli_pos_at(a, 0), fv_cli_str(a, "data"), files, n_files, outputs))) {
        cli_files_free(files, n_files);
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_preprocess pre;
    int rc = m ? cli_preprocess(a, m, prog, &pre) : 1;
    if (!rc) rc = n_files ? patches_of_images(ctx, m, a, &pre, files, n_files) : patches_of_data(ctx, m, a, &pre);
    cli_files_free(files, n_files);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
