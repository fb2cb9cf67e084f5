/* A resumed run ends as the uninterrupted one only with the same settings: the learning rate, the batch size,
 * the validation split, the optimizer, the schedule, the callbacks, the augmentation. Each checkpoint keeps the
 * flags that decide the result as text ("name=value" lines; a bare "name" for a flag that was not set); on
 * --resume a flag given again must have the stored value, and a flag left out takes it, as Keras' users expect
 * of model.fit(initial_epoch=...) with the same arguments. --epochs may grow (training on from a finished run)
 * unless the cosine schedule spans it. */
#include <stdlib.h>
#include <string.h>

#include "cli_resume.h"
#include "fovea/modelfile.h"

/* Flags that do not change the weights of a resumed run: where the data and outputs are, how it is printed
 * and how many threads run it (results do not depend on them). */
static const char *const free_flags[] = {"model", "weights", "data", "strict", "quick-scan", "loader-threads", "out",
                                         "history", "checkpoint", "save-best-only", "resume", "quiet", "threads", "epochs"};

static bool is_free(const char *name)
{
    for (size_t i = 0; i < sizeof free_flags / sizeof free_flags[0]; i++)
        if (strcmp(name, free_flags[i]) == 0) return true;
    return false;
}

/* The option's value as stored: NULL when unset (no default, not given) or not storable. */
static const char *value_text(const fv_cli_opt *o, const fv_cli_args *a, char *buf, size_t size)
{
    if (!o->def && !fv_cli_given(a, o->name) && o->type != FV_CLI_FLAG) return NULL;
    switch (o->type) {
    case FV_CLI_INT: snprintf(buf, size, "%lld", (long long)fv_cli_int(a, o->name)); return buf;
    case FV_CLI_FLOAT: snprintf(buf, size, "%.17g", fv_cli_float(a, o->name)); return buf;
    case FV_CLI_FLAG: return fv_cli_flag(a, o->name) ? "true" : "false";
    case FV_CLI_STRING: return fv_cli_str(a, o->name) && !strchr(fv_cli_str(a, o->name), '\n') ? fv_cli_str(a, o->name) : NULL;
    default: return NULL; /* lists: none in train's table */
    }
}

/* Appends "name=value\n" or "name\n" to *text (of *len bytes); false when out of memory. */
static bool append(char **text, size_t *len, const char *name, const char *value)
{
    size_t n = strlen(name) + (value ? strlen(value) + 1 : 0) + 2;
    char *t = realloc(*text, *len + n);
    if (!t) return false;
    *len += (size_t)snprintf(t + *len, n, "%s%s%s\n", name, value ? "=" : "", value ? value : "");
    *text = t;
    return true;
}

char *cli_run_settings(const fv_cli_cmd *cmd, const fv_cli_args *a)
{
    char *text = calloc(1, 1), buf[64];
    size_t len = 0;
    for (int i = 0; text && i < cmd->n_opts; i++) {
        const fv_cli_opt *o = &cmd->opts[i];
        if (o->type == FV_CLI_LIST || (is_free(o->name) && strcmp(o->name, "epochs") != 0)) continue;
        if (!append(&text, &len, o->name, value_text(o, a, buf, sizeof buf))) {
            free(text);
            return NULL;
        }
    }
    return text;
}

/* The stored value of name in the settings text: *found false when absent; NULL value when stored unset. */
static const char *stored(const char *text, const char *name, bool *found, char *buf, size_t size)
{
    size_t n = strlen(name);
    *found = false;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t len = strchr(line, '\n') ? (size_t)(strchr(line, '\n') - line) : strlen(line);
        if (len < n || strncmp(line, name, n) != 0 || (len > n && line[n] != '=')) continue;
        *found = true;
        if (len == n) return NULL;
        snprintf(buf, size, "%.*s", (int)(len - n - 1), line + n + 1);
        return buf;
    }
    return NULL;
}

static bool same_value(const fv_cli_opt *o, const char *given, const char *kept)
{
    if (!given || !kept) return given == kept;
    if (o->type == FV_CLI_INT) return strtoll(given, NULL, 10) == strtoll(kept, NULL, 10);
    if (o->type == FV_CLI_FLOAT) return strtod(given, NULL) == strtod(kept, NULL);
    return strcmp(given, kept) == 0;
}

/* A value as the user would type it: 0.002, not 0.0020000000949949026. */
static const char *shown(const fv_cli_opt *o, const char *v, char *buf, size_t size)
{
    if (!v) return "not set";
    if (o->type == FV_CLI_FLOAT) return snprintf(buf, size, "%.7g", strtod(v, NULL)), buf;
    if (o->type == FV_CLI_FLAG) return strcmp(v, "true") == 0 ? "on" : "off";
    return v;
}

static int refuse(const fv_cli_cmd *cmd, const fv_cli_opt *o, const char *path, const char *given, const char *kept,
                  const char *why)
{
    char b1[64], b2[64];
    fprintf(stderr, "%s: --%s %s differs from the checkpoint '%s' (%s)%s; give the same value, or leave --%s out to "
            "use the stored one\n", cmd->prog, o->name, shown(o, given, b1, sizeof b1), path, shown(o, kept, b2, sizeof b2),
            why, o->name);
    return 2;
}

/* Compares every setting; appends "--name=value" to extra for those left out. 0, or 2 after refusing. */
static int compare(const fv_cli_cmd *cmd, const fv_cli_args *a, const char *text, const char *path, char **extra,
                   int *n_extra)
{
    char gb[64], kb[4096];
    bool cosine = false;
    for (int i = 0; i < cmd->n_opts; i++) {
        const fv_cli_opt *o = &cmd->opts[i];
        bool found;
        /* only the settings this program stores: a checkpoint is input, and may not choose --out or --data */
        if (o->type == FV_CLI_LIST || (is_free(o->name) && strcmp(o->name, "epochs") != 0)) continue;
        const char *kept = stored(text, o->name, &found, kb, sizeof kb);
        if (!found) continue;
        if (strcmp(o->name, "schedule") == 0) /* the schedule in force: given, or else the stored one */
            cosine = strcmp(fv_cli_given(a, o->name) ? fv_cli_str(a, o->name) : kept ? kept : "", "cosine") == 0;
        if (fv_cli_given(a, o->name)) {
            const char *given = value_text(o, a, gb, sizeof gb);
            if (strcmp(o->name, "epochs") == 0) continue; /* checked below, once the schedule is known */
            if (!same_value(o, given, kept)) return refuse(cmd, o, path, given, kept, "");
        } else if (kept) {
            size_t n = strlen(o->name) + strlen(kept) + 4;
            if (!(extra[*n_extra] = malloc(n))) return 1;
            if (o->type == FV_CLI_FLAG) snprintf(extra[*n_extra], n, "--%s%s", strcmp(kept, "true") ? "no-" : "", o->name);
            else snprintf(extra[*n_extra], n, "--%s=%s", o->name, kept);
            (*n_extra)++;
        }
    }
    for (int i = 0; cosine && i < cmd->n_opts; i++) {
        const fv_cli_opt *o = &cmd->opts[i];
        bool found;
        const char *kept = stored(text, o->name, &found, kb, sizeof kb);
        if (strcmp(o->name, "epochs") == 0 && found && fv_cli_given(a, o->name) &&
            !same_value(o, value_text(o, a, gb, sizeof gb), kept))
            return refuse(cmd, o, path, value_text(o, a, gb, sizeof gb), kept, ": the cosine schedule spans the run's epochs");
    }
    return 0;
}

int cli_resume_settings(fv_ctx *ctx, const fv_cli_cmd *cmd, int argc, char **argv, fv_cli_args **a, int64_t *done)
{
    *done = -1;
    const char *path = fv_cli_str(*a, "resume");
    if (!path) return 0;
    fv_modelfile *mf = fv_modelfile_load(ctx, path);
    if (!mf) {
        fv_clear_error(ctx);
        return 0;
    }
    if (!fv_modelfile_pos_get_int(mf, FV_POS_EPOCH, done)) *done = -1;
    const char *text = fv_modelfile_meta_get(mf, FV_META_TRAIN_SETTINGS);
    int n_extra = 0, rc = 0;
    char **extra = text ? calloc((size_t)cmd->n_opts + 1, sizeof *extra) : NULL;
    char **all = text ? calloc((size_t)(argc + cmd->n_opts + 1), sizeof *all) : NULL;
    if (text && (!extra || !all)) rc = 1, fprintf(stderr, "%s: out of memory\n", cmd->prog);
    if (!rc && text) rc = compare(cmd, *a, text, path, extra, &n_extra);
    if (!rc && n_extra) { /* parse again with the stored values of the flags left out */
        memcpy(all, argv, (size_t)argc * sizeof *all);
        memcpy(all + argc, extra, (size_t)n_extra * sizeof *all);
        fv_cli_args *again = NULL;
        if (fv_cli_parse(cmd, argc + n_extra, all, stdout, stderr, &again) != FV_CLI_OK) {
            rc = 2;
        } else {
            fv_cli_free(*a);
            *a = again;
        }
    }
    for (int i = 0; i < n_extra; i++) free(extra[i]);
    free(extra), free(all);
    fv_modelfile_free(mf);
    return rc;
}
