/* fovea run MODEL --input x.npy [--output y.npy] [--repeat N]: a forward pass (eval mode) of a batch, so that
 * any model can be checked against another framework on the same numbers; --repeat times N passes after a
 * warm-up and prints their median and minimum. A model of several inputs takes one --input per input, in the
 * model's order or as NAME=FILE; one --output per model output, in order. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_finite.h"
#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "input", .type = FV_CLI_LIST, .metavar = "[NAME=]X.npy", .help = "the batch (N, C, H, W) or (N, features), float32, or for the first input a PNG or JPEG image (fitted to the model by its preprocessing); once per model input, in order or by input name"},
    {.name = "output", .type = FV_CLI_LIST, .metavar = "Y.npy", .help = "where to write the model's output; once per model output, in order"},
    {.name = "repeat", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "time N forward passes after one warm-up pass",
     .min = 0, .max = 1e7},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores); results do not depend on it",
     .min = 0, .max = 4096},
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a built-in name, description or model file"}};
static const fv_cli_cmd cmd = {.prog = "fovea run", .summary = "Run forward passes on a batch from a .npy file.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 1};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Time n passes after the warm-up already done; prints "median X ms" and "min X ms". */
static int time_passes(fv_graph *g, int64_t n, const char *prog, fv_ctx *ctx)
{
    double *t = malloc((size_t)n * sizeof *t);
    if (!t) return fprintf(stderr, "%s: out of memory\n", prog), 1;
    for (int64_t i = 0; i < n; i++) {
        double t0 = now();
        if (fv_graph_forward(g) != FV_OK) {
            free(t);
            return cli_fail(prog, ctx);
        }
        t[i] = now() - t0;
    }
    qsort(t, (size_t)n, sizeof *t, by_value);
    double median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    printf("%lld passes: median %.3f ms, min %.3f ms\n", (long long)n, median * 1e3, t[0] * 1e3);
    free(t);
    return 0;
}

/* The file of the NAME=FILE item naming model input k, or NULL. */
static const char *named_file(const fv_model *m, int k, const char *const *items, int n)
{
    const char *name = fv_model_layer_name(m, fv_model_input_layer(m, k));
    size_t len = strlen(name);
    for (int i = 0; i < n; i++)
        if (strncmp(items[i], name, len) == 0 && items[i][len] == '=') return items[i] + len + 1;
    return NULL;
}

/* The k-th model input's file: the item naming it, else the next item without a name (the inputs not named take
 * the other items in order). */
static const char *input_file(const fv_model *m, int k, const char *const *items, int n)
{
    const char *f = named_file(m, k, items, n);
    if (f) return f;
    int position = 0; /* among the inputs that take an unnamed item */
    for (int j = 0; j < k; j++) position += !named_file(m, j, items, n);
    for (int i = 0; i < n; i++)
        if (!strchr(items[i], '=') && position-- == 0) return items[i];
    return NULL;
}

/* x converted to the input's element type: .npy integers arrive as int32; an int64 or bool input takes them. */
static fv_tensor *as_dtype(fv_ctx *ctx, fv_tensor *x, fv_dtype want, const char *file, const char *prog)
{
    if (x->dtype == want) return x;
    if (x->dtype != FV_I32 || want == FV_F32) {
        fprintf(stderr, "%s: %s holds %s values; the model's input takes %s\n", prog, file, fv_dtype_name(x->dtype),
                fv_dtype_name(want));
        fv_tensor_free(x);
        return NULL;
    }
    fv_tensor *y = fv_tensor_new(ctx, want, x->ndim, x->shape);
    for (int64_t i = 0; y && i < x->size; i++) {
        if (want == FV_I64) fv_i64(y)[i] = fv_i32(x)[i];
        else fv_bool(y)[i] = fv_i32(x)[i] != 0;
    }
    fv_tensor_free(x);
    if (!y) cli_fail(prog, ctx);
    return y;
}

static void print_shape(const char *name, const fv_tensor *y)
{
    printf("output %s shape (", name);
    for (int d = 0; d < y->ndim; d++) printf("%s%lld", d ? ", " : "", (long long)y->shape[d]);
    printf(")\n");
}

static int run(fv_ctx *ctx, fv_model *m, fv_tensor *const *xs, const char *const *files, const fv_cli_args *a,
               const char *prog)
{
    fv_node *in[FV_MODEL_MAX_IO], *out[FV_MODEL_MAX_IO];
    int n_in = fv_model_input_count(m), n_out = fv_model_output_count(m);
    int64_t batch = 1;
    for (int k = n_in - 1; k >= 0; k--)
        if (fv_model_layer_batched(m, fv_model_input_layer(m, k)) && xs[k]->ndim) batch = xs[k]->shape[0];
    fv_graph *g = fv_model_build_inference_io(m, batch, in, out);
    if (!g) return cli_fail(prog, ctx);
    fv_graph_set_training(g, false);
    int rc = 0;
    for (int k = 0; !rc && k < n_in; k++)
        if (fv_graph_set_input(g, in[k], xs[k]) != FV_OK) rc = cli_fail_on(prog, files[k], ctx);
    if (!rc && fv_graph_forward(g) != FV_OK) {
        fv_model_explain_input(m, xs[0], fv_errcode(ctx));
        rc = cli_fail_on(prog, files[0], ctx);
    }
    const char *const *outs;
    int n_files = fv_cli_list(a, "output", &outs);
    for (int k = 0; !rc && k < n_out; k++) {
        cli_warn_nonfinite(prog, fv_node_value(out[k]), files[0], NULL, NULL, NULL);
        if (k < n_files && fv_npy_write(ctx, outs[k], fv_node_value(out[k])) != FV_OK) rc = cli_fail(prog, ctx);
    }
    if (!rc && fv_cli_int(a, "repeat") > 0) rc = time_passes(g, fv_cli_int(a, "repeat"), prog, ctx);
    if (!rc && fv_cli_int(a, "repeat") > 0)
        printf("peak activation memory %.2f MiB\n", (double)fv_graph_peak_bytes(g) / (1024.0 * 1024.0));
    for (int k = 0; !rc && !n_files && fv_cli_int(a, "repeat") == 0 && k < n_out; k++) {
        const fv_tensor *y = fv_node_value(out[k]);
        if (n_out == 1) {
            printf("output shape (");
            for (int d = 0; d < y->ndim; d++) printf("%s%lld", d ? ", " : "", (long long)y->shape[d]);
            printf(")\n");
        } else {
            print_shape(fv_model_layer_name(m, fv_model_output_layer(m, k)), y);
        }
    }
    fv_graph_free(g);
    return rc;
}

/* Reads one file per model input (each converted to the input's element type). Returns 0 or an exit status. */
static int read_inputs(fv_ctx *ctx, fv_model *m, const char *const *items, int n, fv_tensor **xs, const char **files,
                       const char *prog)
{
    int n_in = fv_model_input_count(m);
    if (n > n_in) {
        fprintf(stderr, "%s: %d --input files for the %d input%s of model '%s'\n", prog, n, n_in, n_in == 1 ? "" : "s",
                fv_model_name(m));
        return 2;
    }
    for (int k = 0; k < n_in; k++) {
        const char *name = fv_model_layer_name(m, fv_model_input_layer(m, k));
        if (!(files[k] = input_file(m, k, items, n))) {
            fprintf(stderr, "%s: no --input for input '%s' (input %d of %d; give --input %s=FILE)\n", prog, name, k + 1,
                    n_in, name);
            return 2;
        }
        fv_tensor *x = NULL;
        if (!cli_is_npy(files[k]) && k == 0) { /* an image: fitted and normalized by the model's preprocessing */
            fv_preprocess pre;
            fv_model_preprocess(m, &pre);
            char *const one[1] = {(char *)files[k]};
            if (!(x = cli_image_batch(ctx, prog, m, &pre, one, 1))) return 1;
        } else if (!(x = fv_npy_read(ctx, files[k]))) {
            return cli_fail(prog, ctx);
        }
        if (!(xs[k] = as_dtype(ctx, x, fv_model_layer_dtype(m, fv_model_input_layer(m, k)), files[k], prog))) return 1;
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea run";
    const char *const *items, *const *outs;
    int n_items = fv_cli_list(a, "input", &items), n_outs = fv_cli_list(a, "output", &outs);
    if (!n_items) {
        fprintf(stderr, "%s: --input is required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    cli_file inputs[FV_MODEL_MAX_IO + 2] = {{"MODEL", fv_cli_pos_at(a, 0)}}, outputs[FV_MODEL_MAX_IO + 1] = {{0}};
    for (int i = 0; i < n_items && i < FV_MODEL_MAX_IO; i++)
        inputs[i + 1] = (cli_file){"--input", strchr(items[i], '=') ? strchr(items[i], '=') + 1 : items[i]};
    for (int i = 0; i < n_outs && i < FV_MODEL_MAX_IO; i++) outputs[i] = (cli_file){"--output", outs[i]};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, false, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_tensor *xs[FV_MODEL_MAX_IO] = {0};
    const char *files[FV_MODEL_MAX_IO] = {0};
    int rc = m ? read_inputs(ctx, m, items, n_items, xs, files, prog) : 1;
    if (!rc && n_outs > fv_model_output_count(m)) {
        fprintf(stderr, "%s: %d --output files for the %d output%s of model '%s'\n", prog, n_outs,
                fv_model_output_count(m), fv_model_output_count(m) == 1 ? "" : "s", fv_model_name(m));
        rc = 2;
    }
    if (!rc) rc = run(ctx, m, xs, files, a, prog);
    for (int k = 0; k < FV_MODEL_MAX_IO; k++) fv_tensor_free(xs[k]);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
