/* fovea patches MODEL --data SET --layer NAME --channel C [--n 16] --out patches.png: the input patches (the
 * channel's receptive field) that most activate one channel over a data set, strongest first. */
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
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"}};
static const fv_cli_cmd cmd = {.prog = "fovea patches", .summary = "The input patches that most activate a channel.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 1};

int cmd_patches(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea patches";
    if (!fv_cli_str(a, "data")) {
        fprintf(stderr, "%s: --data is required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"MODEL", fv_cli_pos_at(a, 0)}, {"--data", fv_cli_str(a, "data")}, {NULL, NULL}};
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_preprocess pre;
    int bad_flags = m ? cli_preprocess(a, m, prog, &pre) : 0;
    cli_data *d = m && !bad_flags ? cli_data_open_model(ctx, fv_cli_str(a, "data"), fv_cli_str(a, "split")[1] == 'r',
                                                       fv_cli_int(a, "limit"), m, &pre) : NULL;
    int rc = 1, w = 0, h = 0, ch = 1, n = (int)fv_cli_int(a, "n");
    float values[1024];
    if (m && !d && !bad_flags) cli_fail(prog, ctx);
    if (d && !cli_data_check_model(d, m, prog, fv_cli_str(a, "data"))) {
        fv_data_source src = cli_data_source(d);
        uint8_t *grid = fv_top_patches(m, &src, fv_cli_str(a, "layer"), (int)fv_cli_int(a, "channel"), n, values, &w, &h, &ch);
        if (!grid || fv_png_write(ctx, fv_cli_str(a, "out"), grid, w, h, ch) != FV_OK) {
            cli_fail(prog, ctx);
        } else {
            printf("Wrote %s: %d patches of channel %lld, strongest activation %.4f\n", fv_cli_str(a, "out"),
                   n < (int)src.count ? n : (int)src.count, (long long)fv_cli_int(a, "channel"), values[0]);
            rc = 0;
        }
        free(grid);
    }
    cli_data_free(d);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
