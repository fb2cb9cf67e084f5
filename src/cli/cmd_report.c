/* fovea report MODEL --data SET --out report.html [--history h.csv] [--tsne]: one self-contained HTML page
 * about a model on a data set (docs in include/fovea/diagnose.h). */
#include "cli_data.h"
#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "data", .type = FV_CLI_STRING, .metavar = "SET|DIR", .help = "fashion-mnist, mnist or a directory of IDX files"},
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
static const fv_cli_cmd cmd = {.prog = "fovea report", .summary = "Write an HTML report about a model on a data set.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 1};

int cmd_report(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea report";
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
    fv_preprocess pre;
    int bad_flags = m ? cli_preprocess(a, m, prog, &pre) : 0;
    cli_data *d = m && !bad_flags ? cli_data_open_model(ctx, fv_cli_str(a, "data"), fv_cli_str(a, "split")[1] == 'r',
                                                       fv_cli_int(a, "limit"), m, &pre) : NULL;
    int rc = 1;
    if (m && !d && !bad_flags) cli_fail(prog, ctx);
    if (d && !cli_data_match_model(ctx, d, m, prog) && !cli_data_check_model(d, m, prog, fv_cli_str(a, "data")) &&
        !cli_data_check_labels(d, m, prog, fv_cli_str(a, "data"))) {
        fv_data_source src = cli_data_source(d);
        fv_report_options o = {fv_cli_str(a, "history"), fv_cli_flag(a, "tsne"), (int)fv_cli_int(a, "dims")};
        if (fv_report_write(m, &src, &o, fv_cli_str(a, "out")) != FV_OK) cli_fail(prog, ctx);
        else printf("Wrote %s (%lld samples)\n", fv_cli_str(a, "out"), (long long)src.count), rc = 0;
    }
    cli_data_free(d);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
