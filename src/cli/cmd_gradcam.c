/* fovea gradcam MODEL [IMAGE.npy | --data SET --index I] [--class K] [--layer NAME] [--out heat.png]
 * [--raw heat.npy]: where the model looks for a class, as a heat map over the image and as raw numbers. */
#include <stdlib.h>

#include "cli_data.h"
#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "class", .type = FV_CLI_INT, .def = "-1", .metavar = "K", .help = "class to explain (default: the predicted one)",
     .min = -1, .max = 1e6},
    {.name = "layer", .type = FV_CLI_STRING, .metavar = "NAME", .help = "feature map (default: the last spatial one before pooling/flattening)"},
    {.name = "out", .type = FV_CLI_STRING, .metavar = "HEAT.png", .help = "the map upsampled and overlaid on the image"},
    {.name = "raw", .type = FV_CLI_STRING, .metavar = "HEAT.npy", .help = "the map at the layer's resolution, divided by its maximum"},
    {.name = "data", .type = FV_CLI_STRING, .metavar = "SET|DIR", .help = "take the image from this data set's test split"},
    {.name = "index", .type = FV_CLI_INT, .def = "0", .metavar = "I", .help = "which image of --data", .min = 0, .max = 9e15},
    {.name = "alpha", .type = FV_CLI_FLOAT, .def = "0.5", .metavar = "X", .help = "weight of the heat map in the overlay", .min = 0, .max = 1},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores)", .min = 0, .max = 4096},
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"},
                                 {.name = "IMAGE", .help = "a PNG or JPEG image (fitted to the model's input), or a .npy (1, C, H, W) in [0, 1]",
                                  .optional = true}};
static const fv_cli_cmd cmd = {.prog = "fovea gradcam", .summary = "Grad-CAM: where the model looks for a class.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 2};

static int write_outputs(fv_ctx *ctx, const fv_cli_args *a, const fv_tensor *cam, const fv_tensor *x)
{
    if (fv_cli_str(a, "raw") && fv_npy_write(ctx, fv_cli_str(a, "raw"), cam) != FV_OK) return 1;
    if (!fv_cli_str(a, "out")) return 0;
    int c = (int)x->shape[1], h = (int)x->shape[2], w = (int)x->shape[3];
    uint8_t *rgb = fv_heatmap_overlay(cam, fv_f32(x), c, h, w, (float)fv_cli_float(a, "alpha"));
    fv_status s = rgb ? fv_png_write(ctx, fv_cli_str(a, "out"), rgb, w, h, 3) : FV_ERR_NOMEM;
    free(rgb);
    return s != FV_OK;
}

int cmd_gradcam(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea gradcam";
    if (fv_cli_npos(a) < 2 && !fv_cli_str(a, "data")) {
        fprintf(stderr, "%s: give an IMAGE (PNG, JPEG or .npy) or --data SET --index I\n", prog);
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"MODEL", fv_cli_pos_at(a, 0)}, {"IMAGE", fv_cli_pos_at(a, 1)},
                               {"--data", fv_cli_str(a, "data")}, {NULL, NULL}};
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {"--raw", fv_cli_str(a, "raw")}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    int32_t label = -1;
    fv_preprocess pre;
    int rc = m ? cli_preprocess(a, m, prog, &pre) : 1, cls = -1;
    if (!rc && cli_apply_labels(m, NULL, prog)) rc = 1;
    fv_tensor *x = m && !rc ? cli_load_image(ctx, a, m, &pre, &label, prog) : NULL, *cam = NULL;
    rc = 1;
    if (m && !x && *fv_errmsg(ctx)) cli_fail(prog, ctx);
    const char *source = fv_cli_pos_at(a, 1) ? fv_cli_pos_at(a, 1) : fv_cli_str(a, "data");
    if (x && (cam = fv_gradcam(m, x, (int)fv_cli_int(a, "class"), fv_cli_str(a, "layer"), &cls)) == NULL)
        cli_fail_on(prog, source, ctx);
    if (cam && write_outputs(ctx, a, cam, x) != 0) cli_fail(prog, ctx);
    else if (cam) {
        const char *name = fv_model_class_name(m, cls);
        char pb[256], lb[256]; /* names from the model file, printed escaped */
        printf("Grad-CAM of class %d%s%s%s at layer '%s' (%lldx%lld)", cls, name ? " (" : "",
               name ? fv_printable(name, pb, sizeof pb) : "", name ? ")" : "",
               fv_printable(fv_cli_str(a, "layer") ? fv_cli_str(a, "layer") : fv_model_layer_name(m, fv_gradcam_default_layer(m)),
                            lb, sizeof lb),
               (long long)cam->shape[0], (long long)cam->shape[1]);
        if (label >= 0) printf("; true class %d", label);
        printf("\n");
        rc = 0;
    }
    fv_tensor_free(cam), fv_tensor_free(x);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
