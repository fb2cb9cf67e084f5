/* fovea run MODEL --input x.npy --output y.npy: one forward pass (eval mode) of a batch, so that any model can
 * be checked against another framework on the same numbers. */
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "input", .type = FV_CLI_STRING, .def = NULL, .metavar = "X.npy", .help = "the batch (N, C, H, W) or (N, features), float32"},
    {.name = "output", .type = FV_CLI_STRING, .def = NULL, .metavar = "Y.npy", .help = "where to write the model's output (the last layer's values)"},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores); results do not depend on it", .min = 0, .max = 4096},
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a built-in name, description or model file"}};
static const fv_cli_cmd cmd = {.prog = "fovea run", "Run one forward pass on a batch from a .npy file.", opts, sizeof opts / sizeof opts[0], pos, sizeof pos / sizeof pos[0]};

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
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_tensor *x = m ? fv_npy_read(ctx, fv_cli_str(a, "input")) : NULL;
    fv_graph *g = NULL;
    fv_node *in, *out;
    int rc = 1;
    if (m && !x) cli_fail(prog, ctx);
    if (x && x->dtype != FV_F32) {
        fprintf(stderr, "%s: %s holds integers; the input must be float32 or float64\n", prog, fv_cli_str(a, "input"));
    } else if (x && (g = fv_model_build(m, x->shape[0], &in, &out, NULL)) != NULL) {
        fv_graph_set_training(g, false);
        if (fv_graph_set_input(g, in, x) != FV_OK || fv_graph_forward(g) != FV_OK) {
            cli_fail(prog, ctx);
        } else if (fv_cli_str(a, "output")) {
            rc = fv_npy_write(ctx, fv_cli_str(a, "output"), fv_node_value(out)) == FV_OK ? 0 : cli_fail(prog, ctx);
        } else {
            const fv_tensor *y = fv_node_value(out);
            printf("output shape (");
            for (int d = 0; d < y->ndim; d++) printf("%s%lld", d ? ", " : "", (long long)y->shape[d]);
            printf(")\n");
            rc = 0;
        }
    } else if (x) {
        cli_fail(prog, ctx);
    }
    fv_graph_free(g);
    fv_tensor_free(x);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
