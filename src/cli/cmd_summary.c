/* fovea summary MODEL [--explain] [--describe]: Keras' summary table, the arithmetic behind each layer, or
 * the model's description text. */
#include <stdlib.h>

#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "explain", .type = FV_CLI_FLAG, .def = NULL, .metavar = NULL, .help = "show each layer's output-size and parameter arithmetic"},
    {.name = "describe", .type = FV_CLI_FLAG, .def = NULL, .metavar = NULL, .help = "print the model's description (docs/MODELS.md) instead"},
    {.name = "classes", .type = FV_CLI_INT, .def = "0", .metavar = "K", .help = "outputs of a built-in model (0: its default: 10 for the small ones, 1000 for the zoo)", .min = 0, .max = 1e6},
    {.name = "input", .type = FV_CLI_STRING, .def = NULL, .metavar = "CxHxW", .help = "input shape of a built-in model (default 1x28x28)"},
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a built-in name (fmnist-cnn, lenet5, mlp), a description or a model file"}};
static const fv_cli_cmd cmd = {.prog = "fovea summary", "Print a model's layers, output shapes and parameters.", opts, sizeof opts / sizeof opts[0], pos, sizeof pos / sizeof pos[0]};

int cmd_summary(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    int c, h, w;
    if (cli_input_shape("fovea summary", a, &c, &h, &w)) {
        fv_cli_free(a);
        return 2;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, false, true);
    fv_model *m = cli_model(ctx, "fovea summary", fv_cli_pos_at(a, 0), c, h, w, (int)fv_cli_int(a, "classes"));
    int rc = 1;
    if (m) {
        if (fv_cli_flag(a, "describe")) {
            char *d = fv_model_describe(m);
            rc = d && fputs(d, stdout) >= 0 ? 0 : cli_fail("fovea summary", ctx);
            free(d);
        } else {
            rc = fv_model_summary(m, stdout, fv_cli_flag(a, "explain")) == FV_OK ? 0 : cli_fail("fovea summary", ctx);
        }
    }
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
