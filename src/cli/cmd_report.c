/* fovea report MODEL --data SET --out report.html [--history h.csv] [--tsne]: one self-contained HTML page
 * about a model on a data set (docs in include/fovea/diagnose.h). A segmentation folder as --data, or a model
 * that segments, makes it the segmentation page instead of the classification one. */
#include "cli_data.h"
#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "data", .type = FV_CLI_STRING, .metavar = "SET|DIR", .help = "fashion-mnist, mnist, a directory of IDX files, or a segmentation folder (DIR/images/, DIR/masks/)"},
    {.name = "split", .type = FV_CLI_STRING, .def = "test", .help = "which part of the data set", .choices = "test|train"},
    {.name = "limit", .type = FV_CLI_INT, .def = "2000", .metavar = "N", .help = CLI_LIMIT_HELP, .min = 0, .max = 9e15},
    {.name = "history", .type = FV_CLI_STRING, .metavar = "H.csv", .help = "history of the training run, for the curves"},
    {.name = "tsne", .type = FV_CLI_FLAG, .help = "embed the features with t-SNE instead of PCA"},
    {.name = "dims", .type = FV_CLI_INT, .def = "2", .metavar = "D", .help = "embedding dimensions: 2, or 3 (shown as three projections)",
     .min = 2, .max = 3},
    {.name = "out", .type = FV_CLI_STRING, .def = "report.html", .metavar = "FILE", .help = "the HTML page"},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores)", .min = 0, .max = 4096},
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"}};
static const char *prog = "fovea report";

/* The segmentation page: the folder's images at the model's channel count, its masks and classes.txt. */
static int segmentation_report(fv_ctx *ctx, const fv_cli_args *a, fv_model *m)
{
    const char *dir = fv_cli_str(a, "data");
    int64_t shape[FV_MAX_DIMS];
    int channels = fv_model_input_shape(m, shape) == 3 ? (int)shape[0] : 0;
    fv_tensor_set *set = fv_tensor_set_load_segmentation(ctx, dir, channels);
    char **names = NULL;
    int n_names = 0, rc = 1;
    if (!set || fv_class_names_read(ctx, dir, &names, &n_names) != FV_OK) {
        cli_fail_on(prog, dir, ctx);
    } else {
        fv_tensor x = *fv_tensor_set_input(set, 0), y = *fv_tensor_set_target(set);
        int64_t limit = fv_cli_int(a, "limit");
        if (limit > 0 && limit < x.shape[0]) /* the first images, in the folder's (sorted) order */
            x.size = x.size / x.shape[0] * limit, y.size = y.size / y.shape[0] * limit, x.shape[0] = y.shape[0] = limit;
        fv_report_options o = {fv_cli_str(a, "history"), false, 2, (const char *const *)names, n_names};
        if (fv_report_write_segmentation(m, &x, &y, &o, fv_cli_str(a, "out")) != FV_OK) cli_fail(prog, ctx);
        else printf("Wrote %s (%lld images, segmentation)\n", fv_cli_str(a, "out"), (long long)x.shape[0]), rc = 0;
    }
    fv_class_names_free(names, n_names);
    fv_tensor_set_free(set);
    return rc;
}

/* A model that segments with data that is not a segmentation folder, or the reverse: said plainly rather than as
 * a mismatch of image sizes or class counts further on. */
static int mismatch(const char *model, const char *data, bool seg_model)
{
    char mbuf[512], dbuf[512];
    const char *mb = fv_printable(model, mbuf, sizeof mbuf), *db = fv_printable(data, dbuf, sizeof dbuf);
    if (seg_model)
        fprintf(stderr, "%s: %s is a segmentation model (logits (N, K, H, W)) but --data %s is not a segmentation "
                "folder (DIR/images/ and DIR/masks/)\n", prog, mb, db);
    else
        fprintf(stderr, "%s: --data %s is a segmentation folder but %s is not a segmentation model (its output is not "
                "logits (N, K, H, W))\n", prog, db, mb);
    return 1;
}

static int classification_report(fv_ctx *ctx, const fv_cli_args *a, fv_model *m)
{
    fv_preprocess pre;
    int rc = 1, bad_flags = cli_preprocess(a, m, prog, &pre);
    cli_data *d = !bad_flags ? cli_data_open_model(ctx, fv_cli_str(a, "data"), fv_cli_str(a, "split")[1] == 'r',
                                                   fv_cli_int(a, "limit"), m, &pre) : NULL;
    if (!d && !bad_flags) cli_fail(prog, ctx);
    if (d && !cli_data_match_model(ctx, d, m, prog) && !cli_data_check_model(d, m, prog, fv_cli_str(a, "data")) &&
        !cli_data_check_labels(d, m, prog, fv_cli_str(a, "data"))) {
        fv_data_source src = cli_data_source(d);
        fv_report_options o = {fv_cli_str(a, "history"), fv_cli_flag(a, "tsne"), (int)fv_cli_int(a, "dims"), NULL, 0};
        if (fv_report_write(m, &src, &o, fv_cli_str(a, "out")) != FV_OK) cli_fail(prog, ctx);
        else printf("Wrote %s (%lld samples)\n", fv_cli_str(a, "out"), (long long)src.count), rc = 0;
    }
    cli_data_free(d);
    return rc;
}

static const fv_cli_cmd cmd = {.prog = "fovea report", .summary = "Write an HTML report about a model on a data set.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 1};

int cmd_report(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    if (!fv_cli_str(a, "data")) {
        fprintf(stderr, "%s: --data is required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"MODEL", fv_cli_pos_at(a, 0)}, {"--data", fv_cli_str(a, "data")},
                               {"--history", fv_cli_str(a, "history")}, {NULL, NULL}};
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    bool seg_folder = fv_is_segmentation_folder(fv_cli_str(a, "data")), seg_model = m && fv_model_segments(m);
    int rc = 1;
    if (m && seg_folder != seg_model) rc = mismatch(fv_cli_pos_at(a, 0), fv_cli_str(a, "data"), seg_model);
    else if (m && seg_folder) rc = segmentation_report(ctx, a, m);
    else if (m) rc = classification_report(ctx, a, m);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
