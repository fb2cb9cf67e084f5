/* What the commands share: argument parsing with the exit statuses, loading a model by any of its names,
 * and one-line failure messages. */
#include <string.h>

#include "commands.h"

int cli_parse(const fv_cli_cmd *cmd, int argc, char **argv, fv_cli_args **args, int *exit_status)
{
    fv_cli_result r = fv_cli_parse(cmd, argc, argv, stdout, stderr, args);
    if (r == FV_CLI_OK) return 0;
    *exit_status = r == FV_CLI_HELP ? 0 : 2;
    return 1;
}

static const char *strip(const char *prog, const char *msg)
{
    static const char *const same[][2] = {{"train", "fit"}}; /* a command and the library function it names */
    const char *command = strrchr(prog, ' ') ? strrchr(prog, ' ') + 1 : prog;
    size_t n = strlen(command);
    if (strncmp(msg, command, n) == 0 && strncmp(msg + n, ": ", 2) == 0) return msg + n + 2;
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        size_t k = strlen(same[i][1]);
        if (strcmp(command, same[i][0]) == 0 && strncmp(msg, same[i][1], k) == 0 && strncmp(msg + k, ": ", 2) == 0)
            return msg + k + 2;
    }
    return msg;
}

const char *cli_message(const char *prog, const char *msg)
{
    static char shown[4096]; /* the commands print one message at a time */
    return fv_printable(strip(prog, msg), shown, sizeof shown);
}

int cli_fail(const char *prog, fv_ctx *ctx)
{
    fprintf(stderr, "%s: %s\n", prog, ctx && *fv_errmsg(ctx) ? cli_message(prog, fv_errmsg(ctx)) : "failed");
    return 1;
}

fv_model *cli_model(fv_ctx *ctx, const char *prog, const char *spec, int channels, int height, int width, int classes)
{
    for (const char *const *n = fv_model_names(); *n; n++)
        if (strcmp(*n, spec) == 0) {
            fv_model *m = fv_model_by_name(ctx, spec, channels, height, width, classes);
            if (m && fv_model_init(m) != FV_OK) {
                fv_model_free(m);
                m = NULL;
            }
            if (!m) cli_fail(prog, ctx);
            return m;
        }
    fv_model *m = fv_model_load(ctx, spec);
    if (!m) cli_fail(prog, ctx);
    return m;
}

int cli_input_shape(const char *prog, const fv_cli_args *a, int *c, int *h, int *w)
{
    *c = *h = *w = 0;
    const char *shape = fv_cli_str(a, "input");
    if (shape && sscanf(shape, "%dx%dx%d", c, h, w) != 3) {
        fprintf(stderr, "%s: --input expects CxHxW, got '%s'\n", prog, shape);
        return 2;
    }
    return 0;
}
