/* What the commands share: argument parsing with the exit statuses, loading a model by any of its names,
 * the start-up checks of input and output files, and one-line failure messages. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

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

void cli_load_flags(fv_ctx *ctx, const fv_cli_args *a, bool images, bool models)
{
    if (!ctx) return;
    if (images) fv_ctx_set_max_image_bytes(ctx, fv_cli_int(a, "max-image-mb") << 20);
    if (models) fv_ctx_allow_nonfinite(ctx, fv_cli_flag(a, "allow-nonfinite"));
}

int cli_fail_on(const char *prog, const char *source, fv_ctx *ctx)
{
    if (!source) return cli_fail(prog, ctx);
    char shown[512];
    fprintf(stderr, "%s: %s: %s\n", prog, fv_printable(source, shown, sizeof shown),
            ctx && *fv_errmsg(ctx) ? cli_message(prog, fv_errmsg(ctx)) : "failed");
    return 1;
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
    size_t len = strlen(spec);
    if (len > 4 && !strcmp(spec + len - 4, ".cfg")) { /* a Darknet network, its .weights beside it if there */
        fv_model *m = fv_darknet_load_cfg(ctx, spec);
        char weights[4096];
        snprintf(weights, sizeof weights, "%.*s.weights", (int)(len - 4), spec);
        bool have = access(weights, R_OK) == 0;
        if (m && (have ? fv_darknet_read_weights(ctx, m, weights) : fv_model_init(m)) != FV_OK) fv_model_free(m), m = NULL;
        if (!m) cli_fail(prog, ctx);
        else if (!have) fprintf(stderr, "%s: no %s beside %s: random weights\n", prog, weights, spec);
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

/* What a path names, for comparing files whatever their names: an existing regular file by device and inode;
 * a file yet to be made by its directory's device and inode and its name. */
typedef struct {
    dev_t dev;
    ino_t ino;
    const char *name; /* NULL for an existing file */
    bool known;
} file_id;

static file_id identify(const char *path, bool may_be_new)
{
    file_id id = {0};
    struct stat st;
    if (stat(path, &st) == 0) {
        id.known = S_ISREG(st.st_mode); /* /dev/null may be every output at once */
        id.dev = st.st_dev, id.ino = st.st_ino;
        return id;
    }
    if (!may_be_new) return id; /* an input that is no file (fashion-mnist) */
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1, slash ? path : ".");
    if (stat(dir, &st) == 0) {
        id.known = true, id.dev = st.st_dev, id.ino = st.st_ino;
        id.name = slash ? slash + 1 : path;
    }
    return id;
}

static bool same_file(file_id a, file_id b)
{
    if (!a.known || !b.known || a.dev != b.dev || a.ino != b.ino) return false;
    if (!a.name || !b.name) return !a.name && !b.name;
    return strcmp(a.name, b.name) == 0;
}

/* A template's directory holding a '{' is only known once filled in: nothing to check before. */
static bool checkable(const char *path)
{
    const char *brace = strchr(path, '{'), *slash = strrchr(path, '/');
    return !brace || !slash || brace > slash;
}

static int check_writable(const char *prog, const cli_file *o)
{
    int err = fv_output_check(o->path);
    if (!err) return 0;
    const char *slash = strrchr(o->path, '/');
    if (err == ENOENT && slash)
        fprintf(stderr, "%s: cannot write %s '%s': the directory '%.*s' does not exist\n", prog, o->flag, o->path,
                (int)(slash - o->path), o->path);
    else
        fprintf(stderr, "%s: cannot write %s '%s': %s\n", prog, o->flag, o->path, fv_write_strerror(err));
    return 1;
}

int cli_check_files(const char *prog, const cli_file *inputs, const cli_file *outputs)
{
    for (const cli_file *o = outputs; o->flag; o++) {
        if (!o->path || !checkable(o->path)) continue;
        file_id id = identify(o->path, true);
        for (const cli_file *i = inputs; i->flag; i++)
            if (i->path && same_file(id, identify(i->path, false))) {
                fprintf(stderr, "%s: %s '%s' is the input %s '%s': refusing to overwrite it\n", prog, o->flag,
                        o->path, i->flag, i->path);
                return 2;
            }
        for (const cli_file *p = outputs; p < o; p++)
            if (p->path && checkable(p->path) && same_file(id, identify(p->path, true))) {
                fprintf(stderr, "%s: %s '%s' and %s '%s' are the same file: give each output its own\n", prog,
                        p->flag, p->path, o->flag, o->path);
                return 2;
            }
    }
    for (const cli_file *o = outputs; o->flag; o++)
        if (o->path && checkable(o->path) && check_writable(prog, o)) return 1;
    return 0;
}

