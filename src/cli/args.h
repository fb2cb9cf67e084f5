/* The command-line flag parser of the fovea tool: each command declares a table of options and positional
 * arguments, from which parsing, checking and the --help text all follow. Internal to the CLI, not part of
 * the library's public API. Nothing here exits: results come back as a status for main to turn into an exit
 * code. */
#ifndef FV_CLI_ARGS_H
#define FV_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    FV_CLI_INT,    /* --batch 64 (64-bit) */
    FV_CLI_FLOAT,  /* --lr 1e-3 (finite) */
    FV_CLI_STRING, /* --out model.fv */
    FV_CLI_FLAG,   /* --augment, --no-augment, --augment=false */
    FV_CLI_LIST    /* --metrics accuracy,top5 (comma-separated, and/or repeated) */
} fv_cli_type;

/* One option of a command's table, e.g.
 *   {"epochs", FV_CLI_INT, "10", "N", "passes over the training set", .min = 1, .max = 100000}
 * A range [min, max] applies to ints and floats when min, max or min_exclusive is set; then min < max
 * must hold (a table with only .min = 1 is a bug that the parser asserts: write .max = HUGE_VAL for no upper
 * bound). min_exclusive makes it "> min" (a learning rate: .min = 0, .max = HUGE_VAL, .min_exclusive =
 * true). choices ("sgd|adam|rmsprop") restricts a string. def is the default as it would be typed, or NULL
 * for none (a flag then defaults to false); defaults are parsed, not range-checked. */
typedef struct {
    const char *name; /* without the dashes */
    fv_cli_type type;
    const char *def;
    const char *metavar; /* in help: "--epochs N"; NULL: from the type */
    const char *help;
    double min, max;
    bool min_exclusive;
    const char *choices;
} fv_cli_opt;

/* Table entries through these macros name every field, so tables stay clean under -Wextra (whose
 * -Wmissing-field-initializers flags brace lists that leave fields out). For no upper bound give HUGE_VAL
 * (or INT64_MAX) as max; a float that must be > lo: FV_CLI_FLOAT_GT. */
#define FV_CLI_OPT_(nm, ty, df, mv, hp, lo, hi, ex, ch)                                                     \
    {.name = (nm), .type = (ty), .def = (df), .metavar = (mv), .help = (hp), .min = (lo), .max = (hi),     \
     .min_exclusive = (ex), .choices = (ch)}
#define FV_CLI_INT_OPT(name, def, metavar, help, lo, hi) FV_CLI_OPT_(name, FV_CLI_INT, def, metavar, help, lo, hi, false, NULL)
#define FV_CLI_FLOAT_OPT(name, def, metavar, help, lo, hi)                                                 \
    FV_CLI_OPT_(name, FV_CLI_FLOAT, def, metavar, help, lo, hi, false, NULL)
#define FV_CLI_FLOAT_GT(name, def, metavar, help, lo, hi) FV_CLI_OPT_(name, FV_CLI_FLOAT, def, metavar, help, lo, hi, true, NULL)
#define FV_CLI_STR_OPT(name, def, metavar, help) FV_CLI_OPT_(name, FV_CLI_STRING, def, metavar, help, 0, 0, false, NULL)
#define FV_CLI_CHOICE_OPT(name, def, choices, help) FV_CLI_OPT_(name, FV_CLI_STRING, def, NULL, help, 0, 0, false, choices)
#define FV_CLI_FLAG_OPT(name, def, help) FV_CLI_OPT_(name, FV_CLI_FLAG, def, NULL, help, 0, 0, false, NULL)
#define FV_CLI_LIST_OPT(name, def, metavar, help) FV_CLI_OPT_(name, FV_CLI_LIST, def, metavar, help, 0, 0, false, NULL)

/* A positional argument; only the last may be repeated (IMAGE...) and optional ones come after required. */
typedef struct {
    const char *name; /* "DATA_DIR" */
    const char *help;
    bool optional;
    bool repeated;
} fv_cli_pos;

#define FV_CLI_ARG(nm, hp) {.name = (nm), .help = (hp), .optional = false, .repeated = false}
#define FV_CLI_ARG_OPTIONAL(nm, hp) {.name = (nm), .help = (hp), .optional = true, .repeated = false}
#define FV_CLI_ARG_REPEATED(nm, hp) {.name = (nm), .help = (hp), .optional = false, .repeated = true}

typedef struct {
    const char *prog;    /* "fovea train": begins each error and the usage line */
    const char *summary; /* one line under the usage line; may be NULL */
    const fv_cli_opt *opts;
    int n_opts;
    const fv_cli_pos *pos;
    int n_pos;
} fv_cli_cmd;

typedef enum { FV_CLI_OK = 0, FV_CLI_HELP, FV_CLI_ERROR } fv_cli_result;

typedef struct fv_cli_args fv_cli_args;

/* Parse the arguments after the command name (argv[0] is the first of them). Accepts --name=value and
 * --name value, -h/--help anywhere, and "--" to end the options. FV_CLI_HELP: the help was written to out.
 * FV_CLI_ERROR: one line written to err, e.g.
 *   fovea train: unknown flag '--epoch' (did you mean '--epochs'?)
 *   fovea train: --batch expects an integer, got 'abc'
 * *args is set only on FV_CLI_OK; release it with fv_cli_free. */
fv_cli_result fv_cli_parse(const fv_cli_cmd *cmd, int argc, char *const *argv, FILE *out, FILE *err,
                           fv_cli_args **args);
void fv_cli_free(fv_cli_args *a);
/* The help text: usage line, summary, arguments and options aligned, with defaults. */
void fv_cli_help(const fv_cli_cmd *cmd, FILE *out);

/* Values by option name, the default when not given. Asking for a name the table lacks, or with the wrong
 * type, is a bug in the caller and asserts. */
int64_t fv_cli_int(const fv_cli_args *a, const char *name);
double fv_cli_float(const fv_cli_args *a, const char *name);
const char *fv_cli_str(const fv_cli_args *a, const char *name); /* NULL: no default and not given */
bool fv_cli_flag(const fv_cli_args *a, const char *name);
/* The items of a list option; *items stays valid until fv_cli_free. */
int fv_cli_list(const fv_cli_args *a, const char *name, const char *const **items);
/* Whether the option was on the command line (not just defaulted). */
bool fv_cli_given(const fv_cli_args *a, const char *name);
/* Whether the command's table has the option at all (for code shared by commands with different tables). */
bool fv_cli_has(const fv_cli_args *a, const char *name);
/* Positional arguments in order, across all declared positionals. */
int fv_cli_npos(const fv_cli_args *a);
const char *fv_cli_pos_at(const fv_cli_args *a, int i);

#endif
