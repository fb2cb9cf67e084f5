/* fovea features MODEL (--data SET | IMAGE...) [--layer NAME] --out X.npy [--labels Y.npy] [--csv X.csv]: the
 * activations of a layer (by default the classifier head's input) for a whole data set or for image files (one
 * row each, in the order given), for classical classifiers and plots. */
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
    {.name = "labels", .type = FV_CLI_STRING, .metavar = "Y.npy", .help = "the samples' labels as int32 (--data only)"},
    {.name = "csv", .type = FV_CLI_STRING, .metavar = "X.csv", .help = "features and label as CSV (header f0,f1,...,label; "
     "for images file,f0,f1,...)"},
    {.name = "batch", .type = FV_CLI_INT, .def = "256", .metavar = "N", .help = "samples per forward pass", .min = 1, .max = 1e7},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores)", .min = 0, .max = 4096},
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"},
                                 {.name = "IMAGE", .help = "PNG or JPEG images, folders of them, or globs ('*.jpg') "
                                  "instead of --data: one row each, in order", .optional = true, .repeated = true}};
static const fv_cli_cmd cmd = {.prog = "fovea features", .summary = "Extract a layer's activations for a data set or images.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 2};

typedef struct {
    const fv_tensor *x, *y;
    char *const *names; /* the image files, or NULL for a data set */
} csv_job;

/* A file name as one CSV field: quoted, its quotes doubled (names may hold commas). */
static void csv_name(FILE *f, const char *name)
{
    fputc('"', f);
    for (const char *c = name; *c; c++) {
        if (*c == '"') fputc('"', f);
        fputc(*c, f);
    }
    fputs("\",", f);
}

static int fill_csv(FILE *f, void *arg)
{
    const csv_job *job = arg;
    int64_t n = job->x->shape[0], d = job->x->shape[1];
    if (job->names) fprintf(f, "file,");
    for (int64_t j = 0; j < d; j++) fprintf(f, job->names && j == d - 1 ? "f%lld" : "f%lld,", (long long)j);
    fprintf(f, job->names ? "\n" : "label\n");
    for (int64_t i = 0; i < n; i++) {
        if (job->names) csv_name(f, job->names[i]);
        for (int64_t j = 0; j < d; j++) fprintf(f, job->names && j == d - 1 ? "%.9g" : "%.9g,", fv_f32(job->x)[i * d + j]);
        if (job->names) fputc('\n', f);
        else fprintf(f, "%d\n", fv_i32(job->y)[i]);
    }
    return ferror(f) ? EIO : 0;
}

/* CSV written atomically, like every file fovea writes. */
static int write_csv(const char *path, const fv_tensor *x, const fv_tensor *y, char *const *names)
{
    csv_job job = {x, y, names};
    int err = fv_atomic_write(path, fill_csv, &job);
    if (err) return fprintf(stderr, "fovea features: cannot write '%s': %s\n", path, fv_write_strerror(err)), 1;
    return 0;
}

/* The features x (labels y) into --out, --labels and --csv, then the summary line. 0, or 1 after printing why. */
static int write_outputs(fv_ctx *ctx, const fv_cli_args *a, fv_model *m, const fv_tensor *x, const fv_tensor *y,
                         char *const *names)
{
    const char *prog = "fovea features";
    if (fv_cli_str(a, "out") && fv_npy_write(ctx, fv_cli_str(a, "out"), x) != FV_OK) return cli_fail(prog, ctx);
    if (fv_cli_str(a, "labels") && fv_npy_write(ctx, fv_cli_str(a, "labels"), y) != FV_OK) return cli_fail(prog, ctx);
    if (fv_cli_str(a, "csv") && write_csv(fv_cli_str(a, "csv"), x, y, names)) return 1;
    int k = fv_cli_str(a, "layer") ? fv_model_find_layer(m, fv_cli_str(a, "layer")) : fv_features_default_layer(m);
    char pb[256];
    printf("%lld samples x %lld features from layer '%s'\n", (long long)x->shape[0], (long long)x->shape[1],
           fv_printable(fv_model_layer_name(m, k), pb, sizeof pb));
    return 0;
}

/* The features of the image files, one row each in order. */
static int features_of_images(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, const fv_preprocess *pre,
                              char *const *files, int n)
{
    const char *prog = "fovea features";
    cli_image_set set;
    fv_data_source src;
    if (cli_check_images(ctx, prog, files, n) || cli_image_source(&set, ctx, prog, m, pre, files, n, &src)) return 1;
    fv_tensor *y = NULL, *x = fv_extract_features(m, &src, fv_cli_str(a, "layer"), (int)fv_cli_int(a, "batch"), &y);
    int rc = !x ? set.failed >= 0 ? cli_fail_on(prog, files[set.failed], ctx) : cli_fail(prog, ctx)
                : write_outputs(ctx, a, m, x, y, files);
    fv_tensor_free(x), fv_tensor_free(y);
    return rc;
}

static int features_of_data(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, const fv_preprocess *pre)
{
    const char *prog = "fovea features", *data = fv_cli_str(a, "data");
    cli_data *d = cli_data_open_model(ctx, data, fv_cli_str(a, "split")[1] == 'r', fv_cli_int(a, "limit"), m, pre);
    if (!d) return cli_fail(prog, ctx);
    int rc = 1;
    if (!cli_data_match_model(ctx, d, m, prog) && !cli_data_check_model(d, m, prog, data)) {
        fv_data_source src = cli_data_source(d);
        fv_tensor *y = NULL, *x = fv_extract_features(m, &src, fv_cli_str(a, "layer"), (int)fv_cli_int(a, "batch"), &y);
        rc = x ? write_outputs(ctx, a, m, x, y, NULL) : cli_fail(prog, ctx);
        fv_tensor_free(x), fv_tensor_free(y);
    }
    cli_data_free(d);
    return rc;
}

/* The usage errors: 2 after printing one, else 0. */
static int check_usage(const fv_cli_args *a, const char *prog)
{
    bool images = fv_cli_npos(a) > 1, data = fv_cli_str(a, "data") != NULL;
    if (images && data) return fprintf(stderr, "%s: give --data or image inputs, not both\n", prog), 2;
    if (!images && !data) return fprintf(stderr, "%s: --data (or image inputs) and --out (or --csv) are required\n", prog), 2;
    if (!fv_cli_str(a, "out") && !fv_cli_str(a, "csv"))
        return fprintf(stderr, "%s: --out (or --csv) is required\n", prog), 2;
    if (images && fv_cli_str(a, "labels"))
        return fprintf(stderr, "%s: --labels needs --data (image inputs have no labels)\n", prog), 2;
    return 0;
}

int cmd_features(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea features";
    char **files = NULL;
    int n_files = 0;
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {"--labels", fv_cli_str(a, "labels")},
                                {"--csv", fv_cli_str(a, "csv")}, {NULL, NULL}};
    if ((status = check_usage(a, prog)) || (status = cli_image_inputs(prog, a, 1, &files, &n_files)) ||
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
    if (!rc) rc = n_files ? features_of_images(ctx, m, a, &pre, files, n_files) : features_of_data(ctx, m, a, &pre);
    cli_files_free(files, n_files);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
