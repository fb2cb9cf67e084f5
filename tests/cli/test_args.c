/* The CLI's flag parser: values from --x=v and --x v, defaults, flags and their negation, lists,
 * positionals and "--"; each error as its exact one line; the generated --help text. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "args.h"
#include "test.h"

static const fv_cli_opt train_opts[] = {
    FV_CLI_INT_OPT("epochs", "10", "N", "passes over the training set", 1, 100000),
    FV_CLI_INT_OPT("batch", "32", "N", "samples per step", 1, 65536),
    FV_CLI_FLOAT_GT("lr", "0.001", "X", "learning rate", 0, HUGE_VAL),
    FV_CLI_FLOAT_OPT("dropout", "0.5", NULL, "drop probability", 0, 0.9),
    FV_CLI_CHOICE_OPT("optimizer", "adam", "sgd|adam|rmsprop", "update rule"),
    FV_CLI_STR_OPT("out", NULL, "PATH", "where to save the model"),
    FV_CLI_FLAG_OPT("augment", NULL,
                    "random flips and crops of the training images, drawn anew at every epoch from the run's seed "
                    "so that runs repeat exactly"),
    FV_CLI_FLAG_OPT("shuffle", "true", "shuffle each epoch"),
    FV_CLI_LIST_OPT("metrics", "accuracy", NULL, "metrics to report"),
    {.name = "seed", .type = FV_CLI_INT, .def = "0"}, /* designated fields work as well */
};
static const fv_cli_pos train_pos[] = {
    FV_CLI_ARG("DATA_DIR", "one folder of images per class"),
    FV_CLI_ARG_OPTIONAL("VAL_DIR", "validation images, laid out as DATA_DIR"),
};
static const fv_cli_cmd train_cmd = {"fovea train", "Train a model on folders of images.", train_opts,
                                     (int)(sizeof train_opts / sizeof train_opts[0]), train_pos, 2};

static const fv_cli_pos predict_pos[] = {FV_CLI_ARG("MODEL", "model file"), FV_CLI_ARG_REPEATED("IMAGE", "images")};
static const fv_cli_cmd predict_cmd = {"fovea predict", NULL, train_opts + 9, 1, predict_pos, 2};

typedef struct {
    fv_cli_result r;
    fv_cli_args *a;
    char *out, *err;
} outcome;

/* Parse a space-separated command line (no quoting needed by these tests). */
static outcome parse(const fv_cli_cmd *cmd, const char *line)
{
    char *copy = strdup(line), *argv[64];
    int argc = 0;
    for (char *t = strtok(copy, " "); t && argc < 64; t = strtok(NULL, " ")) argv[argc++] = t;
    outcome o = {0};
    size_t lo, le;
    FILE *out = open_memstream(&o.out, &lo), *err = open_memstream(&o.err, &le);
    o.r = fv_cli_parse(cmd, argc, argv, out, err, &o.a);
    fclose(out);
    fclose(err);
    free(copy); /* the parser copies what it keeps */
    return o;
}

static void done(outcome *o)
{
    fv_cli_free(o->a);
    free(o->out);
    free(o->err);
}

static void expect_error(const char *line, const char *want)
{
    outcome o = parse(&train_cmd, line);
    int ok = o.r == FV_CLI_ERROR && !o.a && strcmp(o.err, want) == 0 && !o.out[0];
    CHECK(ok, "error for '%s'", line);
    if (!ok) printf("  got:  %s  want: %s", o.err, want);
    done(&o);
}

static void test_defaults(void)
{
    outcome o = parse(&train_cmd, "data");
    CHECK(o.r == FV_CLI_OK && o.a && !o.err[0], "plain parse");
    if (!o.a) return;
    CHECK(fv_cli_int(o.a, "epochs") == 10 && fv_cli_int(o.a, "batch") == 32, "int defaults");
    CHECK(fv_cli_float(o.a, "lr") == 0.001, "float default");
    CHECK(!strcmp(fv_cli_str(o.a, "optimizer"), "adam") && fv_cli_str(o.a, "out") == NULL, "string defaults");
    CHECK(!fv_cli_flag(o.a, "augment") && fv_cli_flag(o.a, "shuffle"), "flag defaults");
    const char *const *items;
    CHECK(fv_cli_list(o.a, "metrics", &items) == 1 && !strcmp(items[0], "accuracy"), "list default");
    CHECK(!fv_cli_given(o.a, "epochs"), "defaults are not 'given'");
    CHECK(fv_cli_npos(o.a) == 1 && !strcmp(fv_cli_pos_at(o.a, 0), "data") && !fv_cli_pos_at(o.a, 1), "positional");
    done(&o);
}

static void test_values(void)
{
    outcome o = parse(&train_cmd, "--epochs=5 data --batch 64 --lr 1e-2 --augment --no-shuffle --metrics top5,loss "
                                  "--metrics accuracy --optimizer=sgd --out=m.fv --dropout 0 --seed -7 val");
    CHECK(o.r == FV_CLI_OK && o.a, "full parse: %s", o.err);
    if (!o.a) return;
    CHECK(fv_cli_int(o.a, "epochs") == 5 && fv_cli_int(o.a, "batch") == 64 && fv_cli_int(o.a, "seed") == -7,
          "ints (a negative value after a flag)");
    CHECK(fv_cli_float(o.a, "lr") == 1e-2 && fv_cli_float(o.a, "dropout") == 0, "floats");
    CHECK(!strcmp(fv_cli_str(o.a, "optimizer"), "sgd") && !strcmp(fv_cli_str(o.a, "out"), "m.fv"), "strings");
    CHECK(fv_cli_flag(o.a, "augment") && !fv_cli_flag(o.a, "shuffle"), "flag and --no-flag");
    const char *const *items;
    int n = fv_cli_list(o.a, "metrics", &items);
    CHECK(n == 3 && !strcmp(items[0], "top5") && !strcmp(items[1], "loss") && !strcmp(items[2], "accuracy"),
          "list: commas and repeats, replacing the default");
    CHECK(fv_cli_given(o.a, "epochs") && fv_cli_given(o.a, "shuffle") && fv_cli_given(o.a, "out"),
          "given");
    CHECK(fv_cli_npos(o.a) == 2 && !strcmp(fv_cli_pos_at(o.a, 1), "val"), "positionals around options");
    done(&o);

    o = parse(&train_cmd, "--augment=false --shuffle=yes --epochs 3 --epochs 4 -- --weird");
    CHECK(o.r == FV_CLI_OK && o.a && !fv_cli_flag(o.a, "augment") && fv_cli_flag(o.a, "shuffle") &&
              fv_cli_int(o.a, "epochs") == 4 && !strcmp(fv_cli_pos_at(o.a, 0), "--weird"),
          "flag values, the last repeat wins, '--' ends options");
    done(&o);

    o = parse(&predict_cmd, "m.fv a.png b.png c.png -");
    CHECK(o.r == FV_CLI_OK && o.a && fv_cli_npos(o.a) == 5 && !strcmp(fv_cli_pos_at(o.a, 4), "-"),
          "repeated positional, '-' is an argument");
    done(&o);
}

static void test_errors(void)
{
    expect_error("--epoch 3 data", "fovea train: unknown flag '--epoch' (did you mean '--epochs'?)\n");
    expect_error("data --batch abc", "fovea train: --batch expects an integer, got 'abc'\n");
    expect_error("data --batch 3.5", "fovea train: --batch expects an integer, got '3.5'\n");
    expect_error("data --batch 99999999999999999999", "fovea train: --batch expects an integer, got '99999999999999999999'\n");
    expect_error("data --epochs=", "fovea train: --epochs expects an integer, got ''\n");
    expect_error("data --batch", "fovea train: --batch needs a value\n");
    expect_error("data --batch --epochs 3", "fovea train: --batch needs a value\n");
    expect_error("data --batch 0", "fovea train: --batch must be between 1 and 65536, got '0'\n");
    expect_error("data --batch 65537", "fovea train: --batch must be between 1 and 65536, got '65537'\n");
    expect_error("data --lr 0", "fovea train: --lr must be greater than 0, got '0'\n");
    expect_error("data --lr -1", "fovea train: --lr must be greater than 0, got '-1'\n");
    expect_error("data --lr x", "fovea train: --lr expects a number, got 'x'\n");
    expect_error("data --lr nan", "fovea train: --lr expects a number, got 'nan'\n");
    expect_error("data --dropout 0.95", "fovea train: --dropout must be between 0 and 0.9, got '0.95'\n");
    expect_error("data --optimizer adm",
                 "fovea train: --optimizer must be one of sgd, adam, rmsprop; got 'adm' (did you mean 'adam'?)\n");
    expect_error("data --optimizer lbfgs", "fovea train: --optimizer must be one of sgd, adam, rmsprop; got 'lbfgs'\n");
    expect_error("data --augment=maybe", "fovea train: --augment expects true or false, got 'maybe'\n");
    expect_error("data --no-augment=1", "fovea train: --no-augment takes no value, got '1'\n");
    expect_error("data --no-epochs", "fovea train: unknown flag '--no-epochs' (--epochs is not an on/off flag)\n");
    expect_error("data --zzzzzz", "fovea train: unknown flag '--zzzzzz' (see 'fovea train --help')\n");
    expect_error("data -epochs 3", "fovea train: unknown flag '-epochs' (did you mean '--epochs'?)\n");
    expect_error("data --optimzer=sgd", "fovea train: unknown flag '--optimzer' (did you mean '--optimizer'?)\n");
    expect_error("data --aug", "fovea train: unknown flag '--aug' (did you mean '--augment'?)\n");
    expect_error("data --metrics a,,b", "fovea train: --metrics has an empty item in 'a,,b'\n");
    expect_error("--epochs 3", "fovea train: missing argument DATA_DIR\n");
    expect_error("a b c", "fovea train: unexpected argument 'c'\n");

    outcome o = parse(&predict_cmd, "m.fv");
    CHECK(o.r == FV_CLI_ERROR && !strcmp(o.err, "fovea predict: missing argument IMAGE\n"), "missing repeated");
    done(&o);
}

static void test_help(void)
{
    outcome o = parse(&train_cmd, "--epochs x -h");
    CHECK(o.r == FV_CLI_HELP && !o.a && !o.err[0], "-h anywhere gives help, before any error");
    const char *want =
        "usage: fovea train [options] DATA_DIR [VAL_DIR]\n"
        "\n"
        "Train a model on folders of images.\n"
        "\n"
        "arguments:\n"
        "  DATA_DIR              one folder of images per class\n"
        "  VAL_DIR               validation images, laid out as DATA_DIR\n"
        "\n"
        "options:\n"
        "  --epochs N            passes over the training set (default: 10)\n"
        "  --batch N             samples per step (default: 32)\n"
        "  --lr X                learning rate (default: 0.001)\n"
        "  --dropout X           drop probability (default: 0.5)\n"
        "  --optimizer {sgd,adam,rmsprop}\n"
        "                        update rule (default: adam)\n"
        "  --out PATH            where to save the model\n"
        "  --augment             random flips and crops of the training images, drawn\n"
        "                        anew at every epoch from the run's seed so that runs\n"
        "                        repeat exactly\n"
        "  --shuffle             shuffle each epoch (default: on; --no-shuffle turns it\n"
        "                        off)\n"
        "  --metrics LIST        metrics to report (default: accuracy)\n"
        "  --seed N              (default: 0)\n"
        "  -h, --help            show this help\n";
    int ok = !strcmp(o.out, want);
    CHECK(ok, "help text");
    if (!ok) printf("got:\n%s\nwant:\n%s\n", o.out, want);
    done(&o);

    o = parse(&predict_cmd, "--help");
    CHECK(o.r == FV_CLI_HELP && !strncmp(o.out, "usage: fovea predict [options] MODEL IMAGE...\n\narguments:\n", 56),
          "usage line with a repeated argument and no summary");
    done(&o);
    o = parse(&train_cmd, "data -- --help");
    CHECK(o.r == FV_CLI_OK && o.a && !strcmp(fv_cli_pos_at(o.a, 1), "--help"), "--help after '--' is an argument");
    done(&o);
}

int main(void)
{
    test_defaults();
    test_values();
    test_errors();
    test_help();
    return test_finish();
}
