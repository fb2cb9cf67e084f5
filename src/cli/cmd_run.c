/* fovea run MODEL --input x.npy [--output y.npy] [--repeat N]: a forward pass (eval mode) of a batch, so that
 * any model can be checked against another framework on the same numbers; --repeat times N passes after a
 * warm-up and prints their median and minimum. */
#include <stdlib.h>
#include <time.h>

#include "cli_finite.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "input", .type = FV_CLI_STRING, .metavar = "X.npy", .help = "the batch (N, C, H, W) or (N, features), float32"},
    {.name = "output", .type = FV_CLI_STRING, .metavar = "Y.npy", .help = "where to write the model's output (the last layer's values)"},
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

static int run(fv_ctx *ctx, fv_model *m, const fv_tensor *x, const fv_cli_args *a, const char *prog)
{
    fv_node *in, *out;
    fv_graph *g = fv_model_build_inference(m, x->shape[0], &in, &out);
    if (!g) return cli_fail(prog, ctx);
    fv_graph_set_training(g, false);
    int rc = 0;
    if (fv_graph_set_input(g, in, x) != FV_OK || fv_graph_forward(g) != FV_OK) {
        fv_model_explain_input(m, x, fv_errcode(ctx));
        rc = cli_fail_on(prog, fv_cli_str(a, "input"), ctx);
    }
    if (!rc) cli_warn_nonfinite(prog, fv_node_value(out), fv_cli_str(a, "input"), NULL, NULL, NULL);
    if (!rc && fv_cli_str(a, "output") && fv_npy_write(ctx, fv_cli_str(a, "output"), fv_node_value(out)) != FV_OK)
        rc = cli_fail(prog, ctx);
    if (!rc && fv_cli_int(a, "repeat") > 0) rc = time_passes(g, fv_cli_int(a, "repeat"), prog, ctx);
    if (!rc && fv_cli_int(a, "repeat") > 0)
        printf("peak activation memory %.2f MiB\n", (double)fv_graph_peak_bytes(g) / (1024.0 * 1024.0));
    if (!rc && !fv_cli_str(a, "output") && fv_cli_int(a, "repeat") == 0) {
        const fv_tensor *y = fv_node_value(out);
        printf("output shape (");
        for (int d = 0; d < y->ndim; d++) printf("%s%lld", d ? ", " : "", (long long)y->shape[d]);
        printf(")\n");
    }
    fv_graph_free(g);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea run";
    if (!fv_cli_str(a, "input")) {
        fprintf(stderr, "%s: --input is required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    const cli_file inputs[] = {{"MODEL", fv_cli_pos_at(a, 0)}, {"--input", fv_cli_str(a, "input")}, {NULL, NULL}};
    const cli_file outputs[] = {{"--output", fv_cli_str(a, "output")}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, false, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_tensor *x = m ? fv_npy_read(ctx, fv_cli_str(a, "input")) : NULL;
    int rc = 1;
    if (m && !x) cli_fail(prog, ctx);
    else if (x && x->dtype != FV_F32)
        fprintf(stderr, "%s: %s holds integers; the input must be float32 or float64\n", prog, fv_cli_str(a, "input"));
    else if (x)
        rc = run(ctx, m, x, a, prog);
    fv_tensor_free(x);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
