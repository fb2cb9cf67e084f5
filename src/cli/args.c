/* The fovea tool's flag parser: a command's declarative table of options gives parsing (--x=v, --x v,
 * --no-flag, lists, positionals), checks with one-line errors that name the flag and suggest the nearest
 * one, and the --help text. It never exits; main decides the exit code. */
#include "args.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool given;
    int64_t i;
    double f;
    bool flag;
    char *str;
    char **items;
    int n_items;
} slot;

struct fv_cli_args {
    const fv_cli_cmd *cmd;
    slot *slots; /* one per option */
    char **pos;
    int n_pos;
};

typedef struct {
    const fv_cli_cmd *cmd;
    FILE *err;
    fv_cli_args *a;
    bool failed;
} parser;

static void fail(parser *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The one line of an error: "fovea train: <message>". Only the first error is reported. */
static void fail(parser *p, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = true;
    fprintf(p->err, "%s: ", p->cmd->prog);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->err, fmt, ap);
    va_end(ap);
    fputc('\n', p->err);
}

static char *copy_str(parser *p, const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) {
        fail(p, "out of memory");
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- suggestions ---------------------------------------------------------------------------------- */

/* Edit distance with adjacent transpositions (optimal string alignment), for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 99;
    int d[65][65];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* The closest of n candidates to word, if close enough to be a likely typo (or word is a prefix of it). */
static const char *nearest(const char *word, const char *const *cands, int n)
{
    size_t len = strlen(word);
    int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    const char *best = NULL;
    int best_d = limit + 1;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(word, cands[i]);
        if (len >= 2 && strncmp(cands[i], word, len) == 0 && d > 1) d = limit; /* a prefix: --epo */
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}

static void unknown_flag(parser *p, const char *shown, const char *name)
{
    const fv_cli_cmd *cmd = p->cmd;
    const char **names = malloc((size_t)(cmd->n_opts + 1) * sizeof *names);
    const char *guess = NULL;
    if (names) {
        for (int i = 0; i < cmd->n_opts; i++) names[i] = cmd->opts[i].name;
        names[cmd->n_opts] = "help";
        guess = nearest(name, names, cmd->n_opts + 1);
    }
    if (guess)
        fail(p, "unknown flag '%s' (did you mean '--%s'?)", shown, guess);
    else
        fail(p, "unknown flag '%s' (see '%s --help')", shown, cmd->prog);
    free(names);
}

/* ---- values --------------------------------------------------------------------------------------- */

static bool range_set(const fv_cli_opt *o) { return o->min != 0 || o->max != 0 || o->min_exclusive; }

static void check_range(parser *p, const fv_cli_opt *o, double v, const char *text)
{
    if (!range_set(o)) return;
    assert(o->min < o->max && "fv_cli_opt: a range needs min < max");
    bool low = o->min_exclusive ? v <= o->min : v < o->min;
    if (!low && v <= o->max) return;
    bool open_top = o->max >= 9.2e18; /* INT64_MAX or HUGE_VAL: no upper bound */
    if (open_top)
        fail(p, "--%s must be %s %g, got '%s'", o->name, o->min_exclusive ? "greater than" : "at least", o->min, text);
    else if (o->min_exclusive)
        fail(p, "--%s must be greater than %g and at most %g, got '%s'", o->name, o->min, o->max, text);
    else
        fail(p, "--%s must be between %g and %g, got '%s'", o->name, o->min, o->max, text);
}

static bool parse_bool(const char *s, bool *v)
{
    static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) return *v = true, true;
        if (strcmp(s, no[i]) == 0) return *v = false, true;
    }
    return false;
}

/* Whether s is one of "a|b|c"; on failure the list is written to buf as "a, b, c". */
static bool in_choices(const char *choices, const char *s, char *buf, size_t len)
{
    size_t n = strlen(s);
    for (const char *c = choices; *c;) {
        const char *end = strchr(c, '|');
        size_t m = end ? (size_t)(end - c) : strlen(c);
        if (m == n && strncmp(c, s, n) == 0) return true;
        c += m + (end ? 1 : 0);
    }
    size_t o = 0;
    for (const char *c = choices; *c && o + 3 < len; c++) {
        if (*c == '|') {
            buf[o++] = ',';
            buf[o++] = ' ';
        } else {
            buf[o++] = *c;
        }
    }
    buf[o] = '\0';
    return false;
}

static void bad_choice(parser *p, const fv_cli_opt *o, const char *value, const char *list)
{
    const char *cands[32];
    char names[32][64];
    int n = 0;
    for (const char *c = o->choices; *c && n < 32;) {
        const char *end = strchr(c, '|');
        size_t m = end ? (size_t)(end - c) : strlen(c);
        snprintf(names[n], sizeof names[n], "%.*s", (int)m, c);
        cands[n] = names[n];
        n++;
        c += m + (end ? 1 : 0);
    }
    const char *guess = nearest(value, cands, n);
    if (guess)
        fail(p, "--%s must be one of %s; got '%s' (did you mean '%s'?)", o->name, list, value, guess);
    else
        fail(p, "--%s must be one of %s; got '%s'", o->name, list, value);
}

static void add_items(parser *p, slot *s, const fv_cli_opt *o, const char *value)
{
    for (const char *c = value;;) {
        const char *end = strchr(c, ',');
        size_t m = end ? (size_t)(end - c) : strlen(c);
        if (m == 0) {
            fail(p, "--%s has an empty item in '%s'", o->name, value);
            return;
        }
        char **items = realloc(s->items, (size_t)(s->n_items + 1) * sizeof *items);
        if (!items) {
            fail(p, "out of memory");
            return;
        }
        s->items = items;
        if (!(s->items[s->n_items] = copy_str(p, c, m))) return;
        s->n_items++;
        if (!end) return;
        c = end + 1;
    }
}

static void clear_items(slot *s)
{
    for (int i = 0; i < s->n_items; i++) free(s->items[i]);
    free(s->items);
    s->items = NULL;
    s->n_items = 0;
}

/* Store one value of an option; checked tells whether to apply its range (not to defaults). */
static void set_value(parser *p, const fv_cli_opt *o, slot *s, const char *value, bool checked)
{
    char *end;
    char list[256];
    errno = 0;
    switch (o->type) {
    case FV_CLI_INT: {
        long long v = strtoll(value, &end, 10);
        if (!value[0] || *end || errno == ERANGE) {
            fail(p, "--%s expects an integer, got '%s'", o->name, value);
            return;
        }
        s->i = v;
        if (checked) check_range(p, o, (double)v, value);
        return;
    }
    case FV_CLI_FLOAT: {
        double v = strtod(value, &end);
        if (!value[0] || *end || !isfinite(v)) {
            fail(p, "--%s expects a number, got '%s'", o->name, value);
            return;
        }
        s->f = v;
        if (checked) check_range(p, o, v, value);
        return;
    }
    case FV_CLI_FLAG:
        if (!parse_bool(value, &s->flag)) fail(p, "--%s expects true or false, got '%s'", o->name, value);
        return;
    case FV_CLI_STRING:
        if (o->choices && !in_choices(o->choices, value, list, sizeof list)) {
            bad_choice(p, o, value, list);
            return;
        }
        free(s->str);
        s->str = copy_str(p, value, strlen(value));
        return;
    case FV_CLI_LIST:
        add_items(p, s, o, value);
        return;
    }
}

/* ---- parsing -------------------------------------------------------------------------------------- */

static int find_opt(const fv_cli_cmd *cmd, const char *name, size_t len)
{
    for (int i = 0; i < cmd->n_opts; i++)
        if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0) return i;
    return -1;
}

static void set_defaults(parser *p)
{
    for (int i = 0; i < p->cmd->n_opts && !p->failed; i++) {
        const fv_cli_opt *o = &p->cmd->opts[i];
        if (range_set(o)) assert(o->min < o->max && "fv_cli_opt: a range needs min < max");
        if (o->def) set_value(p, o, &p->a->slots[i], o->def, false);
    }
}

static void add_positional(parser *p, const char *arg)
{
    fv_cli_args *a = p->a;
    char **pos = realloc(a->pos, (size_t)(a->n_pos + 1) * sizeof *pos);
    if (!pos) {
        fail(p, "out of memory");
        return;
    }
    a->pos = pos;
    if ((a->pos[a->n_pos] = copy_str(p, arg, strlen(arg)))) a->n_pos++;
}

/* One "--name[=value]" token; *i advances past a value taken from the next token. */
static void parse_option(parser *p, int argc, char *const *argv, int *i)
{
    const char *arg = argv[*i];
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int k = find_opt(p->cmd, name, len);
    if (k < 0 && len > 3 && strncmp(name, "no-", 3) == 0) {
        int f = find_opt(p->cmd, name + 3, len - 3);
        if (f >= 0 && p->cmd->opts[f].type != FV_CLI_FLAG) {
            fail(p, "unknown flag '--%.*s' (--%s is not an on/off flag)", (int)len, name, p->cmd->opts[f].name);
            return;
        }
        if (f >= 0) {
            if (eq) {
                fail(p, "--%.*s takes no value, got '%s'", (int)len, name, eq + 1);
                return;
            }
            p->a->slots[f].given = true;
            p->a->slots[f].flag = false;
            return;
        }
    }
    if (k < 0) {
        char word[128];
        snprintf(word, sizeof word, "%.*s", (int)(len < 100 ? len : 100), name);
        char shown[160];
        snprintf(shown, sizeof shown, "--%s", word);
        unknown_flag(p, shown, word);
        return;
    }
    const fv_cli_opt *o = &p->cmd->opts[k];
    slot *s = &p->a->slots[k];
    if (o->type == FV_CLI_LIST && !s->given) clear_items(s); /* the first use replaces the default */
    s->given = true;
    if (o->type == FV_CLI_FLAG && !eq) {
        s->flag = true;
        return;
    }
    const char *value = eq ? eq + 1 : NULL;
    if (!value) {
        if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0) {
            fail(p, "--%s needs a value", o->name);
            return;
        }
        value = argv[++*i];
    }
    set_value(p, o, s, value, true);
}

static bool is_number(const char *s)
{
    char *end;
    strtod(s, &end);
    return end != s && *end == '\0';
}

static void check_positionals(parser *p)
{
    const fv_cli_cmd *cmd = p->cmd;
    int required = 0;
    for (int j = 0; j < cmd->n_pos; j++) required += !cmd->pos[j].optional;
    bool unbounded = cmd->n_pos > 0 && cmd->pos[cmd->n_pos - 1].repeated;
    if (p->a->n_pos < required)
        fail(p, "missing argument %s", cmd->pos[p->a->n_pos].name);
    else if (!unbounded && p->a->n_pos > cmd->n_pos)
        fail(p, "unexpected argument '%s'", p->a->pos[cmd->n_pos]);
}

static bool wants_help(int argc, char *const *argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return true;
    }
    return false;
}

static void parse_all(parser *p, int argc, char *const *argv)
{
    bool options_done = false;
    for (int i = 0; i < argc && !p->failed; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0 || is_number(arg)) {
            add_positional(p, arg);
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (arg[1] == '-') {
            parse_option(p, argc, argv, &i);
        } else {
            char word[128];
            snprintf(word, sizeof word, "%s", arg + 1);
            word[strcspn(word, "=")] = '\0';
            unknown_flag(p, arg, word);
        }
    }
    if (!p->failed) check_positionals(p);
}

fv_cli_result fv_cli_parse(const fv_cli_cmd *cmd, int argc, char *const *argv, FILE *out, FILE *err,
                           fv_cli_args **args)
{
    *args = NULL;
    if (wants_help(argc, argv)) {
        fv_cli_help(cmd, out);
        return FV_CLI_HELP;
    }
    parser p = {cmd, err, calloc(1, sizeof(fv_cli_args)), false};
    if (p.a) p.a->slots = calloc((size_t)(cmd->n_opts > 0 ? cmd->n_opts : 1), sizeof(slot));
    if (!p.a || !p.a->slots) {
        fail(&p, "out of memory");
        if (p.a) free(p.a);
        return FV_CLI_ERROR;
    }
    p.a->cmd = cmd;
    set_defaults(&p);
    if (!p.failed) parse_all(&p, argc, argv);
    if (p.failed) {
        fv_cli_free(p.a);
        return FV_CLI_ERROR;
    }
    *args = p.a;
    return FV_CLI_OK;
}

void fv_cli_free(fv_cli_args *a)
{
    if (!a) return;
    for (int i = 0; i < a->cmd->n_opts; i++) {
        free(a->slots[i].str);
        clear_items(&a->slots[i]);
    }
    free(a->slots);
    for (int i = 0; i < a->n_pos; i++) free(a->pos[i]);
    free(a->pos);
    free(a);
}

/* ---- values by name ------------------------------------------------------------------------------- */

static const slot *get(const fv_cli_args *a, const char *name, fv_cli_type type)
{
    int k = find_opt(a->cmd, name, strlen(name));
    assert(k >= 0 && "fv_cli: no such option in the command's table");
    assert(a->cmd->opts[k].type == type && "fv_cli: option read with the wrong type");
    (void)type;
    return &a->slots[k];
}

int64_t fv_cli_int(const fv_cli_args *a, const char *name) { return get(a, name, FV_CLI_INT)->i; }
double fv_cli_float(const fv_cli_args *a, const char *name) { return get(a, name, FV_CLI_FLOAT)->f; }
const char *fv_cli_str(const fv_cli_args *a, const char *name) { return get(a, name, FV_CLI_STRING)->str; }
bool fv_cli_flag(const fv_cli_args *a, const char *name) { return get(a, name, FV_CLI_FLAG)->flag; }

int fv_cli_list(const fv_cli_args *a, const char *name, const char *const **items)
{
    const slot *s = get(a, name, FV_CLI_LIST);
    *items = (const char *const *)s->items;
    return s->n_items;
}

bool fv_cli_has(const fv_cli_args *a, const char *name)
{
    return find_opt(a->cmd, name, strlen(name)) >= 0;
}

bool fv_cli_given(const fv_cli_args *a, const char *name)
{
    int k = find_opt(a->cmd, name, strlen(name));
    assert(k >= 0 && "fv_cli: no such option in the command's table");
    return a->slots[k].given;
}

int fv_cli_npos(const fv_cli_args *a) { return a->n_pos; }
const char *fv_cli_pos_at(const fv_cli_args *a, int i) { return i >= 0 && i < a->n_pos ? a->pos[i] : NULL; }

/* ---- help ----------------------------------------------------------------------------------------- */

#define HELP_WIDTH 80
#define HELP_COLUMN 24

/* "--epochs N", "--optimizer {sgd,adam}", "--augment" */
static void opt_label(const fv_cli_opt *o, char *buf, size_t len)
{
    int n = snprintf(buf, len, "--%s", o->name);
    if (o->type == FV_CLI_FLAG || n < 0 || (size_t)n >= len) return;
    if (o->metavar) {
        snprintf(buf + n, len - (size_t)n, " %s", o->metavar);
    } else if (o->choices) {
        int m = snprintf(buf + n, len - (size_t)n, " {");
        for (const char *c = o->choices; *c && (size_t)(n + m) + 2 < len; c++) buf[n + m++] = *c == '|' ? ',' : *c;
        snprintf(buf + n + m, len - (size_t)(n + m), "}");
    } else {
        static const char *const by_type[] = {"N", "X", "VALUE", "", "LIST"};
        snprintf(buf + n, len - (size_t)n, " %s", by_type[o->type]);
    }
}

/* Write text word-wrapped into the column, the first line continuing after a label of width used. */
static void wrapped(FILE *out, int used, const char *text)
{
    if (!text[0]) {
        fputc('\n', out);
        return;
    }
    if (used > HELP_COLUMN - 2) {
        fputc('\n', out);
        used = 0;
    }
    fprintf(out, "%*s", HELP_COLUMN - used, "");
    int col = HELP_COLUMN;
    const char *w = text;
    while (*w) {
        while (*w == ' ') w++;
        size_t n = strcspn(w, " ");
        if (!n) break;
        if (col > HELP_COLUMN && col + 1 + (int)n > HELP_WIDTH) {
            fprintf(out, "\n%*s", HELP_COLUMN, "");
            col = HELP_COLUMN;
        }
        if (col > HELP_COLUMN) {
            fputc(' ', out);
            col++;
        }
        fwrite(w, 1, n, out);
        col += (int)n;
        w += n;
    }
    fputc('\n', out);
}

static void help_usage(const fv_cli_cmd *cmd, FILE *out)
{
    fprintf(out, "usage: %s [options]", cmd->prog);
    for (int j = 0; j < cmd->n_pos; j++) {
        const fv_cli_pos *ps = &cmd->pos[j];
        fprintf(out, " %s%s%s%s", ps->optional ? "[" : "", ps->name, ps->repeated ? "..." : "", ps->optional ? "]" : "");
    }
    fputc('\n', out);
    if (cmd->summary) fprintf(out, "\n%s\n", cmd->summary);
}

static void help_option(const fv_cli_opt *o, FILE *out)
{
    char label[160], text[1024];
    opt_label(o, label, sizeof label);
    int n = snprintf(text, sizeof text, "%s", o->help ? o->help : "");
    if (o->def && (size_t)n < sizeof text) {
        if (o->type == FV_CLI_FLAG) {
            bool on = false;
            parse_bool(o->def, &on);
            if (on) snprintf(text + n, sizeof text - (size_t)n, "%s(default: on; --no-%s turns it off)", n ? " " : "", o->name);
        } else {
            snprintf(text + n, sizeof text - (size_t)n, "%s(default: %s)", n ? " " : "", o->def);
        }
    }
    fprintf(out, "  %s", label);
    wrapped(out, 2 + (int)strlen(label), text);
}

void fv_cli_help(const fv_cli_cmd *cmd, FILE *out)
{
    help_usage(cmd, out);
    if (cmd->n_pos > 0) fputs("\narguments:\n", out);
    for (int j = 0; j < cmd->n_pos; j++) {
        fprintf(out, "  %s", cmd->pos[j].name);
        wrapped(out, 2 + (int)strlen(cmd->pos[j].name), cmd->pos[j].help ? cmd->pos[j].help : "");
    }
    fputs("\noptions:\n", out);
    for (int i = 0; i < cmd->n_opts; i++) help_option(&cmd->opts[i], out);
    fputs("  -h, --help", out);
    wrapped(out, 12, "show this help");
    fflush(out);
}
