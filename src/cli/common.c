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

void cli_load_flags(fv_ctx *ctx, const fv_cli_args *a, bool images, bool models)
{
    if (!ctx) return;
    if (images) fv_ctx_set_max_image_bytes(ctx, fv_cli_int(a, "max-image-mb") << 20);
    if (models) fv_ctx_allow_nonfinite(ctx, fv_cli_flag(a, "allow-nonfinite"));
}

int cli_fail(const char *prog, fv_ctx *ctx)
{
    fprintf(stderr, "%s: %s\n", prog, ctx && *fv_errmsg(ctx) ? fv_errmsg(ctx) : "failed");
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
