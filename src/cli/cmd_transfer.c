/* fovea transfer SRC --data TRAIN --layer L --head METHOD --out OUT: a classical head (logistic regression,
 * linear or RBF SVM, Gaussian naive Bayes, random forest, XGBoost) fitted on the features of layer L of SRC
 * (global-pooled or flattened), saved with the layers it reads as one model file that evaluate, predict and
 * report use as any model. The library does the work (fovea/classical.h); this file parses and prints.
 * `fovea transfer plan` (cmd_transfer_plan.c) dispatches here on its first argument. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_data.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    FV_CLI_STR_OPT("data", NULL, "SET|DIR|CSV", "the training data: fashion-mnist, mnist, a directory of IDX files, a "
                   "folder of class folders of images, or a CSV of path,label"),
    FV_CLI_CHOICE_OPT("split", "train", "train|test", "which part of the data set to fit on"),
    CLI_IMAGE_SET_OPTS,
    CLI_SUBSET_OPTS,
    FV_CLI_INT_OPT("limit", "0", "N", CLI_LIMIT_HELP, 0, 9e15),
    FV_CLI_STR_OPT("layer", NULL, "NAME", "the layer whose output are the features (default: the input of the last "
                   "dense layer)"),
    FV_CLI_CHOICE_OPT("head", NULL, "logreg|linear_svm|svm_rbf|gaussian_nb|random_forest|xgboost", "the classifier to fit"),
    FV_CLI_CHOICE_OPT("pool", "avg", "avg|max|flatten", "a spatial (C, H, W) layer: global average or max pooling, or "
                      "flattened"),
    FV_CLI_FLAG_OPT("standardize", NULL, "standardize the features first (StandardScaler, kept in the model as a layer)"),
    FV_CLI_STR_OPT("out", NULL, "OUT.fvm", "the model file: the layers up to --layer and the fitted head"),
    FV_CLI_FLOAT_GT("C", "1", "C", "logreg, linear_svm, svm_rbf: inverse regularization strength", 0, HUGE_VAL),
    FV_CLI_STR_OPT("gamma", "scale", "scale|auto|X", "svm_rbf: RBF kernel coefficient (scale: 1 / (features * "
                   "variance); auto: 1 / features)"),
    FV_CLI_FLOAT_OPT("tol", "0", "X", "stopping tolerance (0: scikit-learn's, 1e-4 liblinear, 1e-3 libsvm)", 0, HUGE_VAL),
    FV_CLI_FLOAT_GT("cache-mb", "200", "MB", "svm_rbf: libsvm's kernel cache", 0, 1e7),
    FV_CLI_INT_OPT("trees", "100", "N", "random_forest: trees; xgboost: boosting rounds", 1, 100000),
    FV_CLI_INT_OPT("max-depth", "-1", "N", "random_forest: 0 for none (default); xgboost: 6 (default)", -1, 1000),
    FV_CLI_INT_OPT("min-samples-split", "2", "N", "random_forest", 2, 1e9),
    FV_CLI_INT_OPT("min-samples-leaf", "1", "N", "random_forest", 1, 1e9),
    FV_CLI_FLOAT_GT("learning-rate", "0.3", "X", "xgboost: shrinkage (eta)", 0, 1),
    FV_CLI_FLOAT_OPT("var-smoothing", "1e-9", "X", "gaussian_nb: share of the largest variance added to all", 0, HUGE_VAL),
    FV_CLI_INT_OPT("seed", "0", "N", "random_forest and xgboost: seed of the random draws", 0, 9e15),
    FV_CLI_FLOAT_OPT("max-memory-mb", "0", "MB", "refuse a fit estimated to need more (0: half of the memory)", 0, HUGE_VAL),
    FV_CLI_INT_OPT("batch", "256", "N", "samples per forward pass while extracting features", 1, 1e7),
    FV_CLI_INT_OPT("threads", "0", "N", "threads (0: all cores)", 0, 4096),
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {FV_CLI_ARG("SRC", "a model file, description or built-in model name")};
static const fv_cli_cmd cmd = {.prog = "fovea transfer", .summary = "Fit a classical classifier on a network's "
                               "features and save both as one model.", .opts = opts, .n_opts = sizeof opts / sizeof opts[0],
                               .pos = pos, .n_pos = 1};

/* The options into o; 2 after printing why (a malformed --gamma). */
static int head_options(const fv_cli_args *a, const char *prog, fv_head_options *o)
{
    *o = fv_head_defaults((fv_head_method)fv_head_method_from_name(fv_cli_str(a, "head")));
    o->C = fv_cli_float(a, "C");
    const char *gamma = fv_cli_str(a, "gamma");
    char *end = NULL;
    if (strcmp(gamma, "scale") == 0) o->gamma = FV_GAMMA_SCALE;
    else if (strcmp(gamma, "auto") == 0) o->gamma = FV_GAMMA_AUTO;
    else if (!((o->gamma = strtod(gamma, &end)) > 0) || *end || !isfinite(o->gamma)) {
        fprintf(stderr, "%s: --gamma expects scale, auto or a positive number, got '%s'\n", prog, gamma);
        return 2;
    }
    o->tol = fv_cli_float(a, "tol");
    o->cache_mb = fv_cli_float(a, "cache-mb");
    o->trees = (int)fv_cli_int(a, "trees");
    if (fv_cli_int(a, "max-depth") >= 0) o->max_depth = (int)fv_cli_int(a, "max-depth");
    o->min_samples_split = (int)fv_cli_int(a, "min-samples-split");
    o->min_samples_leaf = (int)fv_cli_int(a, "min-samples-leaf");
    o->learning_rate = fv_cli_float(a, "learning-rate");
    o->var_smoothing = fv_cli_float(a, "var-smoothing");
    o->seed = (uint64_t)fv_cli_int(a, "seed");
    o->standardize = fv_cli_flag(a, "standardize");
    o->max_memory_mb = fv_cli_float(a, "max-memory-mb");
    return 0;
}

static int fit_and_save(fv_ctx *ctx, const fv_cli_args *a, const char *prog, fv_model *src, cli_data *d,
                        const fv_head_options *o)
{
    const char *layer = fv_cli_str(a, "layer"), *spec = fv_cli_str(a, "data"), *pool = fv_cli_str(a, "pool");
    if (!layer) {
        int k = fv_features_default_layer(src);
        if (k < 0) return cli_fail(prog, ctx);
        layer = fv_model_layer_name(src, k);
    }
    fv_body_pool how = pool[0] == 'a' ? FV_BODY_POOL_AVG : pool[0] == 'm' ? FV_BODY_POOL_MAX : FV_BODY_FLATTEN;
    fv_model *body = fv_model_body(src, layer, how);
    if (!body) return cli_fail_on(prog, "--layer", ctx);
    int rc = 1;
    fv_tensor *x = NULL, *y = NULL;
    char pb[256];
    if (!cli_data_check_model(d, body, prog, spec)) {
        fv_data_source data = cli_data_source(d);
        int last = fv_model_layer_count(body) - 1;
        x = fv_extract_features(body, &data, fv_model_layer_name(body, last), (int)fv_cli_int(a, "batch"), &y);
        if (!x) cli_fail_on(prog, spec, ctx);
    }
    int k = cli_data_classes(d);
    if (x) {
        double need = fv_head_memory_estimate(o, x->shape[0], x->shape[1], k) / 1048576.0;
        double limit = (o->max_memory_mb > 0 ? o->max_memory_mb * 1048576.0 : fv_head_default_memory_limit()) / 1048576.0;
        printf("%s on %lld samples x %lld features of layer '%s' (%d classes); memory about %.0f MiB of %.0f MiB allowed\n",
               fv_head_method_name(o->method), (long long)x->shape[0], (long long)x->shape[1],
               fv_printable(layer, pb, sizeof pb), k, need, limit);
        fflush(stdout);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int head = fv_head_fit(body, -1, x, y, k, o);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (head < 0) cli_fail_on(prog, spec, ctx);
        else {
            const char **names = calloc((size_t)k, sizeof *names);
            int named = 0;
            for (int c = 0; names && c < k; c++) named += (names[c] = cli_data_class_name(d, c)) != NULL;
            fv_status s = names && named == k ? fv_model_set_class_names(body, names, k) : FV_OK;
            free(names);
            if (s == FV_OK) s = fv_model_save(body, fv_cli_str(a, "out"));
            if (s != FV_OK) cli_fail_on(prog, fv_cli_str(a, "out"), ctx);
            else {
                printf("fitted in %.2f s; saved %s: %d layers, the head '%s' (%s)\n",
                       (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec), fv_cli_str(a, "out"),
                       fv_model_layer_count(body), fv_model_layer_name(body, head), fv_model_layer_type(body, head));
                rc = 0;
            }
        }
    }
    fv_tensor_free(x), fv_tensor_free(y);
    fv_model_free(body);
    return rc;
}

int cmd_transfer(int argc, char **argv)
{
    const char *prog = "fovea transfer";
    if (argc > 0 && strcmp(argv[0], "plan") == 0) return cmd_transfer_plan(argc - 1, argv + 1);
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    if (!fv_cli_str(a, "data") || !fv_cli_str(a, "head") || !fv_cli_str(a, "out")) {
        fprintf(stderr, "%s: --data, --head and --out are required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    fv_head_options o;
    if ((status = head_options(a, prog, &o))) {
        fv_cli_free(a);
        return status;
    }
    const cli_file inputs[] = {{"SRC", fv_cli_pos_at(a, 0)}, {"--data", fv_cli_str(a, "data")}, {NULL, NULL}};
    const cli_file outputs[] = {{"--out", fv_cli_str(a, "out")}, {NULL, NULL}};
    if ((status = cli_check_files(prog, inputs, outputs))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *src = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    cli_data_opts dopts = cli_data_defaults(prog);
    dopts.seed = (uint64_t)fv_cli_int(a, "seed");
    cli_data *d = src && !cli_data_opts_from_args(a, &dopts)
                      ? cli_data_open_opts(ctx, fv_cli_str(a, "data"), fv_cli_str(a, "split")[1] == 'r',
                                           fv_cli_int(a, "limit"), &dopts)
                      : NULL;
    int rc = 1;
    if (src && !d) cli_fail_on(prog, fv_cli_str(a, "data"), ctx);
    else if (d) rc = fit_and_save(ctx, a, prog, src, d, &o);
    cli_data_free(d);
    fv_model_free(src);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
