/* fovea convert IN OUT: a model between fovea's model file (.fvm) and ONNX (.onnx), in either direction; IN may
 * also be a built-in name, a description or a Darknet .cfg, and --weights fills it from a model of the same
 * architecture (fv_model_copy_weights), which is how torchvision's ONNX weights become a zoo model file, or from
 * a Darknet .weights file; OUT ending in .weights writes Darknet's weights file. */
#include <string.h>
#include <strings.h>

#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "opset", .type = FV_CLI_INT, .def = "13", .metavar = "N", .help = "ONNX opset to write (11 to 18)", .min = FV_ONNX_MIN_OPSET, .max = FV_ONNX_MAX_OPSET},
    {.name = "weights", .type = FV_CLI_STRING, .def = NULL, .metavar = "FILE", .help = "take the weights of this model or ONNX file, paired by structure, or of a Darknet .weights file"},
    {.name = "classes", .type = FV_CLI_INT, .def = "0", .metavar = "K", .help = "outputs of a built-in model (0: its default)", .min = 0, .max = 1e6},
    {.name = "input", .type = FV_CLI_STRING, .def = NULL, .metavar = "CxHxW", .help = "input shape of a built-in model"},
    CLI_NORMALIZE_OPTS,
    CLI_RESIZE_OPTS,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "IN", .help = "a model file, an .onnx file, a built-in name or a description"},
                                 {.name = "OUT", .help = "the file to write: .onnx for ONNX, .weights for Darknet, anything else a fovea model file"}};
static const fv_cli_cmd cmd = {.prog = "fovea convert", "Convert a model between fovea's model file and ONNX.", opts,
                               sizeof opts / sizeof opts[0], pos, sizeof pos / sizeof pos[0]};

static bool ends_with(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

static bool is_onnx(const char *path) { return ends_with(path, ".onnx"); }

static int convert(fv_ctx *ctx, fv_cli_args *a, int c, int h, int w, int argc, char **argv)
{
    const char *prog = "fovea convert", *out = fv_cli_pos_at(a, 1), *weights = fv_cli_str(a, "weights");
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), c, h, w, (int)fv_cli_int(a, "classes"));
    if (!m) return 1;
    int rc = 0;
    if (weights && ends_with(weights, ".weights")) { /* Darknet's, in its layer order */
        if (fv_darknet_read_weights(ctx, m, weights) != FV_OK) rc = cli_fail(prog, ctx);
    } else if (weights) {
        fv_model *src = fv_model_load(ctx, weights);
        if (!src || fv_model_copy_weights(m, src) != FV_OK) {
            fprintf(stderr, "%s: --weights %s: %s\n", prog, weights, cli_message("weights", fv_errmsg(ctx)));
            rc = 1;
        }
        fv_model_free(src);
    }
    if (!rc) rc = cli_store_preprocess(a, argc, argv, m, prog);
    if (!rc) {
        fv_status s = is_onnx(out) ? fv_onnx_save(m, out, (int)fv_cli_int(a, "opset"))
                      : ends_with(out, ".weights") ? fv_darknet_write_weights(ctx, m, out)
                                                   : fv_model_save(m, out);
        rc = s ? cli_fail(prog, ctx) : 0;
    }
    fv_model_free(m);
    return rc;
}

int cmd_convert(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    int c, h, w;
    const char *prog = "fovea convert";
    if (cli_input_shape(prog, a, &c, &h, &w) || cli_normalize_once(argc, argv, prog)) {
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"IN", fv_cli_pos_at(a, 0)}, {"--weights", fv_cli_str(a, "weights")}, {NULL, NULL}};
    const cli_file outputs[] = {{"OUT", fv_cli_pos_at(a, 1)}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, false, true);
    int rc = convert(ctx, a, c, h, w, argc, argv);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
