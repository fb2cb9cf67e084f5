/* fovea features MODEL --data SET [--layer NAME] --out X.npy [--labels Y.npy] [--csv X.csv]: the activations of
 * a layer (by default the classifier head's input) for a whole data set, for classical classifiers and plots. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_data.h"
#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "data", .type = FV_CLI_STRING, .metavar = "SET|DIR", .help = "fashion-mnist, mnist or a directory of IDX files"},
    {.name = "split", .type = FV_CLI_STRING, .def = "test", .help = "which part of the data set", .choices = "test|train"},
    {.name = "limit", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = CLI_LIMIT_HELP, .min = 0, .max = 9e15},
    {.name = "layer", .type = FV_CLI_STRING, .metavar = "NAME", .help = "layer to read (default: the input of the last dense layer)"},
    {.name = "out", .type = FV_CLI_STRING, .metavar = "X.npy", .help = "the features (samples, features) as float32"},
    {.name = "labels", .type = FV_CLI_STRING, .metavar = "Y.npy", .help = "the samples' labels as int32"},
    {.name = "csv", .type = FV_CLI_STRING, .metavar = "X.csv", .help = "features and label as CSV (header f0,f1,...,label)"},
    {.name = "batch", .type = FV_CLI_INT, .def = "256", .metavar = "N", .help = "samples per forward pass", .min = 1, .max = 1e7},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores)", .min = 0, .max = 4096},
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"}};
static const fv_cli_cmd cmd = {.prog = "fovea features", .summary = "Extract a layer's activations for a data set.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 1};

typedef struct {
    const fv_tensor *x, *y;
} csv_job;

static int fill_csv(FILE *f, void *arg)
{
    const csv_job *job = arg;
    int64_t n = job->x->shape[0], d = job->x->shape[1];
    for (int64_t j = 0; j < d; j++) fprintf(f, "f%lld,", (long long)j);
    fprintf(f, "label\n");
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < d; j++) fprintf(f, "%.9g,", fv_f32(job->x)[i * d + j]);
        fprintf(f, "%d\n", fv_i32(job->y)[i]);
    }
    return ferror(f) ? EIO : 0;
}

/* CSV written atomically, like every file fovea writes. */
static int write_csv(const char *path, const fv_tensor *x, const fv_tensor *y)
{
    csv_job job = {x, y};
    int err = fv_atomic_write(path, fill_csv, &job);
    if (err) return fprintf(stderr, "fovea features: cannot write '%s': %s\n", path, fv_write_strerror(err)), 1;
    return 0;
}

int cmd_features(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea features";
    if (!fv_cli_str(a, "data") || (!fv_cli_str(a, "out") && !fv_cli_str(a, "csv"))) {
        fprintf(stderr, "%s: --data and --out (or --csv) are required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"MODEL", fv_cli_pos_at(a, 0)}, {"--data", fv_cli_str(a, "data")}, {NULL, NULL}};
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {"--labels", fv_cli_str(a, "labels")},
                                {"--csv", fv_cli_str(a, "csv")}, {NULL, NULL}};
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
    fv_tensor *x = NULL, *y = NULL;
    int rc = 1;
    if (m && !d && !bad_flags) cli_fail(prog, ctx);
    if (d && !cli_data_match_model(ctx, d, m, prog) && !cli_data_check_model(d, m, prog, fv_cli_str(a, "data"))) {
        fv_data_source src = cli_data_source(d);
        x = fv_extract_features(m, &src, fv_cli_str(a, "layer"), (int)fv_cli_int(a, "batch"), &y);
        if (!x) cli_fail(prog, ctx);
        else if (fv_cli_str(a, "out") && fv_npy_write(ctx, fv_cli_str(a, "out"), x) != FV_OK) cli_fail(prog, ctx);
        else if (fv_cli_str(a, "labels") && fv_npy_write(ctx, fv_cli_str(a, "labels"), y) != FV_OK) cli_fail(prog, ctx);
        else if (fv_cli_str(a, "csv") && write_csv(fv_cli_str(a, "csv"), x, y)) {
        } else {
            int k = fv_cli_str(a, "layer") ? fv_model_find_layer(m, fv_cli_str(a, "layer")) : fv_features_default_layer(m);
            char pb[256];
            printf("%lld samples x %lld features from layer '%s'\n", (long long)x->shape[0], (long long)x->shape[1],
                   fv_printable(fv_model_layer_name(m, k), pb, sizeof pb));
            rc = 0;
        }
    }
    fv_tensor_free(x), fv_tensor_free(y);
    cli_data_free(d);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
