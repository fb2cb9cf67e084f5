/* fovea train: fit a model on a data set with an optimizer, callbacks, a history file and checkpoints; save
 * the trained model. --resume continues an interrupted run from a checkpoint to the same end result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli_augment.h"
#include "cli_data.h"
#include "cli_images.h"
#include "cli_resume.h"
#include "cli_detect.h"
#include "cli_task.h"
#include "commands.h"
#include "fovea/augment.h"

static const fv_cli_opt opts[] = {
    {.name = "model", .type = FV_CLI_STRING, .def = "fmnist-cnn", .metavar = "NAME|FILE", .help = "built-in model, description (.fvd) or model file"},
    {.name = "weights", .type = FV_CLI_STRING, .def = NULL, .metavar = "FILE", .help = "start from the weights of a model or ONNX file of the same architecture, paired by structure"},
    {.name = "data", .type = FV_CLI_STRING, .def = NULL, .metavar = "SET|DIR|CSV", .help = "fashion-mnist, mnist, a directory of IDX files, a folder of class folders of images, a CSV of path,label, or a segmentation set (images/ and masks/, or a CSV of image,mask)"},
    CLI_TASK_OPTS,
    CLI_IMAGE_SET_OPTS,
    CLI_SUBSET_OPTS,
    {.name = "classes", .type = FV_CLI_INT, .def = NULL, .metavar = "K", .help = "a new classifier of K outputs on a pretrained model (default: the data's class count, when the model's differs)", .min = 1, .max = 1 << 24},
    {.name = "head", .type = FV_CLI_STRING, .def = NULL, .metavar = "LAYER", .help = "the dense layer a new classifier replaces, and the head of --freeze all-but-head and --lr-body (default: the last dense layer)"},
    {.name = "include-top", .type = FV_CLI_STRING, .def = "true", .metavar = NULL, .help = "false: keep the convolutional base alone (Keras' include_top=False) and put a new classifier on it", .choices = "true|false"},
    {.name = "pooling", .type = FV_CLI_STRING, .def = "none", .metavar = NULL, .help = "with --include-top false: how the base's maps reach the classifier (none: flattened)", .choices = "none|avg|max"},
    {.name = "scratch", .type = FV_CLI_FLAG, .def = NULL, .metavar = NULL, .help = "train the model's architecture from freshly drawn weights (a baseline for transfer)"},
    {.name = "freeze", .type = FV_CLI_STRING, .def = NULL, .metavar = "SPEC", .help = "keep pretrained weights: all-but-head, up-to=LAYER, fraction=F or NAME,NAME (exact names; * as a wildcard)"},
    {.name = "unfreeze-at", .type = FV_CLI_STRING, .def = NULL, .metavar = "EPOCH[:LAYERS]", .help = "gradual unfreezing: from this epoch on, these layers (default all) train too"},
    {.name = "lr-body", .type = FV_CLI_FLOAT, .def = NULL, .metavar = "X", .help = "learning rate of every layer but the head (fine-tune the pretrained body more gently)", .min = 0, .max = HUGE_VAL, .min_exclusive = true},
    CLI_NORMALIZE_OPTS,
    CLI_RESIZE_OPTS,
    {.name = "augment", .type = FV_CLI_STRING, .def = NULL, .metavar = "SPEC", .help = "augment the training images on the loader's threads, e.g. 'rotate=10 shift=0.1 zoom=0.9:1.1 hflip=0.5' (docs/AUGMENT.md); the flags below add to it"},
    CLI_AUGMENT_OPTS,
    {.name = "epochs", .type = FV_CLI_INT, .def = "5", .metavar = "N", .help = "passes over the training set", .min = 1, .max = 1e6},
    {.name = "batch", .type = FV_CLI_INT, .def = "64", .metavar = "N", .help = "batch size: 1 is SGD, the whole set is batch GD", .min = 1, .max = 1e7},
    {.name = "optimizer", .type = FV_CLI_STRING, .def = "adam", .metavar = NULL, .help = "update rule", .choices = "sgd|momentum|nesterov|rmsprop|adagrad|adam|adamw"},
    {.name = "lr", .type = FV_CLI_FLOAT, .def = NULL, .metavar = "X", .help = "learning rate (default: the optimizer's, as in PyTorch; sgd 0.01)", .min = 0,
     .max = HUGE_VAL},
    {.name = "momentum", .type = FV_CLI_FLOAT, .def = "0.9", .metavar = "X", .help = "momentum of momentum/nesterov/rmsprop", .min = 0, .max = 1},
    {.name = "weight-decay", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "PyTorch's weight decay (decoupled for adamw)", .min = 0, .max = HUGE_VAL},
    {.name = "l1", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "L1 penalty on weights", .min = 0, .max = HUGE_VAL},
    {.name = "l2", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "L2 penalty on weights (both: elastic net)", .min = 0, .max = HUGE_VAL},
    {.name = "clip-norm", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "clip gradients to this global norm (0: off)", .min = 0, .max = HUGE_VAL},
    {.name = "label-smoothing", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "label smoothing of the cross-entropy", .min = 0, .max = 1},
    {.name = "class-weights", .type = FV_CLI_STRING, .def = NULL, .metavar = "W,W,...|balanced", .help = "per-class loss weights"},
    {.name = "schedule", .type = FV_CLI_STRING, .def = "constant", .metavar = NULL, .help = "learning-rate schedule per epoch",
     .choices = "constant|step|exponential|cosine"},
    {.name = "step-size", .type = FV_CLI_INT, .def = "10", .metavar = "N", .help = "step schedule: epochs between cuts", .min = 1, .max = 1e6},
    {.name = "gamma", .type = FV_CLI_FLOAT, .def = "0.1", .metavar = "X", .help = "step/exponential schedule factor", .min = 0, .max = HUGE_VAL},
    {.name = "seed", .type = FV_CLI_INT, .def = "1", .metavar = "N", .help = "seed of weights, shuffling and dropout", .min = 0, .max = 9e15},
    {.name = "validation-split", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "hold out this fraction for validation: the last one, or for image folders a random one drawn from --seed", .min = 0, .max = 0.99},
    {.name = "validation", .type = FV_CLI_STRING, .def = NULL, .metavar = "test|DIR|CSV", .help = "validate on the data set's test split, or on an image folder or CSV, instead"},
    {.name = "limit", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = CLI_LIMIT_HELP, .min = 0, .max = 9e15},
    {.name = "out", .type = FV_CLI_STRING, .def = "model.fvm", .metavar = "FILE", .help = "where to save the trained model (checked before training; if saving fails, ./fovea-unsaved-PID.fvm)"},
    {.name = "history", .type = FV_CLI_STRING, .def = NULL, .metavar = "FILE.csv", .help = "CSV history of every epoch (locked while written; a resume cuts it back to the checkpoint's epoch)"},
    {.name = "monitor", .type = FV_CLI_STRING, .def = "val_loss", .metavar = "NAME", .help = "metric the callbacks watch: loss or a metric of the task, val_ in front for validation (val_mean_iou)"},
    {.name = "mode", .type = FV_CLI_STRING, .def = "auto", .metavar = NULL, .help = "whether the monitored metric should fall or rise (auto: rise for accuracies, AUC, F1, IoU, Dice, R^2)", .choices = "auto|min|max"},
    {.name = "early-stopping", .type = FV_CLI_INT, .def = "0", .metavar = "PATIENCE", .help = "stop after this many epochs without improvement (0: off)",
     .min = 0, .max = 1e6},
    {.name = "min-delta", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "smallest change that counts as an improvement", .min = 0, .max = HUGE_VAL},
    {.name = "restore-best", .type = FV_CLI_FLAG, .def = NULL, .metavar = NULL, .help = "early stopping restores the best epoch's weights"},
    {.name = "checkpoint", .type = FV_CLI_STRING, .def = NULL, .metavar = "TEMPLATE", .help = "save after each epoch, e.g. ckpt-{epoch:02d}-{val_loss:.4f}.fvm"},
    {.name = "save-best-only", .type = FV_CLI_FLAG, .def = NULL, .metavar = NULL, .help = "checkpoint only when the monitored metric improved"},
    {.name = "reduce-lr", .type = FV_CLI_INT, .def = "0", .metavar = "PATIENCE", .help = "reduce the learning rate on a plateau (0: off)", .min = 0, .max = 1e6},
    {.name = "lr-factor", .type = FV_CLI_FLOAT, .def = "0.1", .metavar = "X", .help = "factor of --reduce-lr", .min = 0, .max = 1, .min_exclusive = true},
    {.name = "min-lr", .type = FV_CLI_FLOAT, .def = "0", .metavar = "X", .help = "lowest learning rate of --reduce-lr", .min = 0, .max = HUGE_VAL},
    {.name = "cooldown", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "epochs --reduce-lr waits after a cut", .min = 0, .max = 1e6},
    {.name = "resume", .type = FV_CLI_STRING, .def = NULL, .metavar = "FILE", .help = "continue from a checkpoint (the same data; flags left out take its values, flags given must match them)"},
    {.name = "quiet", .type = FV_CLI_FLAG, .def = NULL, .metavar = NULL, .help = "print nothing but errors"},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores); results do not depend on it", .min = 0, .max = 4096},
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_cmd cmd = {.prog = "fovea train", "Train a model and save it.", opts, sizeof opts / sizeof opts[0], NULL, 0};

static int optimizer_config(const fv_cli_args *a, fv_optim_config *c)
{
    const char *name = fv_cli_str(a, "optimizer");
    if (strcmp(name, "sgd") == 0 || strcmp(name, "momentum") == 0 || strcmp(name, "nesterov") == 0) {
        *c = fv_optim_defaults(FV_OPT_SGD);
        c->lr = 0.01f;
        if (strcmp(name, "sgd") != 0) c->momentum = (float)fv_cli_float(a, "momentum");
        c->nesterov = strcmp(name, "nesterov") == 0;
    } else if (strcmp(name, "rmsprop") == 0) {
        *c = fv_optim_defaults(FV_OPT_RMSPROP);
        if (fv_cli_given(a, "momentum")) c->momentum = (float)fv_cli_float(a, "momentum");
    } else if (strcmp(name, "adagrad") == 0) {
        *c = fv_optim_defaults(FV_OPT_ADAGRAD);
    } else {
        *c = fv_optim_defaults(strcmp(name, "adamw") == 0 ? FV_OPT_ADAMW : FV_OPT_ADAM);
    }
    if (fv_cli_given(a, "lr")) c->lr = (float)fv_cli_float(a, "lr");
    if (fv_cli_given(a, "weight-decay")) c->weight_decay = (float)fv_cli_float(a, "weight-decay");
    c->l1 = (float)fv_cli_float(a, "l1");
    c->l2 = (float)fv_cli_float(a, "l2");
    c->clip_norm = (float)fv_cli_float(a, "clip-norm");
    return 0;
}

static fv_schedule schedule_config(const fv_cli_args *a, int epochs)
{
    fv_schedule s = {FV_SCHED_CONSTANT, 1, 1, 1, 0};
    const char *k = fv_cli_str(a, "schedule");
    s.gamma = (float)fv_cli_float(a, "gamma");
    s.step_size = (int)fv_cli_int(a, "step-size");
    s.t_max = epochs;
    if (strcmp(k, "step") == 0) s.kind = FV_SCHED_STEP;
    else if (strcmp(k, "exponential") == 0) s.kind = FV_SCHED_EXPONENTIAL;
    else if (strcmp(k, "cosine") == 0) s.kind = FV_SCHED_COSINE;
    return s;
}

/* "1,2.5,1" or "balanced" (n / (k * count of the class), as scikit-learn and Keras users compute them). */
static float *class_weights(const fv_cli_args *a, const cli_data *d, int k)
{
    const char *spec = fv_cli_str(a, "class-weights");
    if (!spec) return NULL;
    float *w = calloc((size_t)k, sizeof *w);
    if (!w) return NULL;
    if (strcmp(spec, "balanced") == 0) {
        cli_data_balanced_weights(d, w, k);
        return w;
    }
    const char *p = spec;
    for (int i = 0; i < k; i++) {
        char *end;
        w[i] = strtof(p, &end);
        if (end == p || !(w[i] >= 0) || !isfinite(w[i]) || (i < k - 1 && *end != ',') || (i == k - 1 && *end)) {
            fprintf(stderr, "fovea train: --class-weights expects %d non-negative numbers separated by commas or "
                    "'balanced', got '%s'\n", k, spec);
            free(w);
            return NULL;
        }
        p = end + 1;
    }
    return w;
}

/* --unfreeze-at EPOCH[:LAYERS]; 2 after printing a bad value. */
static int add_unfreeze(fv_trainer *t, const fv_cli_args *a)
{
    const char *spec = fv_cli_str(a, "unfreeze-at");
    if (!spec) return 0;
    char *end;
    long e = strtol(spec, &end, 10);
    fv_callback *cb = end != spec && e >= 1 && e <= 1000000 && (!*end || (*end == ':' && end[1]))
                          ? fv_unfreeze_at((int)e, *end ? end + 1 : NULL) : NULL;
    if (!cb) {
        fprintf(stderr, "fovea train: --unfreeze-at expects EPOCH (>= 1) or EPOCH:LAYERS, got '%s'\n", spec);
        return 2;
    }
    return fv_trainer_add_callback(t, cb) == FV_OK ? 0 : 1;
}

static void add_callbacks(fv_trainer *t, const fv_cli_args *a)
{
    const char *monitor = fv_cli_str(a, "monitor"), *mode_name = fv_cli_str(a, "mode");
    fv_monitor_mode mode = strcmp(mode_name, "min") == 0   ? FV_MONITOR_MIN
                           : strcmp(mode_name, "max") == 0 ? FV_MONITOR_MAX
                                                            : FV_MONITOR_AUTO;
    if (fv_cli_int(a, "early-stopping") > 0)
        fv_trainer_add_callback(t, fv_early_stopping(monitor, fv_cli_float(a, "min-delta"),
                                                     (int)fv_cli_int(a, "early-stopping"), mode,
                                                     fv_cli_flag(a, "restore-best")));
    if (fv_cli_str(a, "checkpoint"))
        fv_trainer_add_callback(t, fv_model_checkpoint(fv_cli_str(a, "checkpoint"), monitor,
                                                       fv_cli_flag(a, "save-best-only"), mode));
    if (fv_cli_int(a, "reduce-lr") > 0)
        fv_trainer_add_callback(t, fv_reduce_lr_on_plateau(monitor, fv_cli_float(a, "lr-factor"),
                                                           (int)fv_cli_int(a, "reduce-lr"), fv_cli_float(a, "min-delta"),
                                                           (int)fv_cli_int(a, "cooldown"), fv_cli_float(a, "min-lr"),
                                                           mode));
}

/* Whether the data's class names are exactly src's, in any order. */
static bool same_classes(const cli_data *d, const fv_model *src)
{
    int k = cli_data_classes(d);
    if (!cli_data_class_name(d, 0) || !fv_model_class_name(src, k - 1) || fv_model_class_name(src, k)) return false;
    for (int c = 0; c < k; c++) {
        bool found = false;
        for (int j = 0; j < k && !found; j++) found = strcmp(cli_data_class_name(d, c), fv_model_class_name(src, j)) == 0;
        if (!found) return false;
    }
    return true;
}

/* The data's class names into the model, checked now (valid UTF-8, no control characters, one per output)
 * rather than when the trained model is saved. 1 after printing why. */
static int set_class_names(fv_ctx *ctx, fv_model *m, const cli_data *d, const char *spec)
{
    int k = cli_data_classes(d);
    const char **names = malloc((size_t)k * sizeof *names);
    fv_status s = names ? FV_OK : FV_ERR_NOMEM;
    for (int i = 0; names && i < k; i++) names[i] = cli_data_class_name(d, i);
    if (!s) s = fv_model_set_class_names(m, names, k);
    free(names);
    char shown[512];
    if (s)
        fprintf(stderr, "fovea train: %s: the class names of the data: %s\n", fv_printable(spec, shown, sizeof shown),
                s == FV_ERR_NOMEM ? "out of memory" : cli_message("fovea train", fv_errmsg(ctx)));
    return s ? 1 : 0;
}

/* --weights: another model's weights carried into m (fv_model_copy_weights), e.g. torchvision's ResNet
 * exported to ONNX into the zoo's resnet18. Fine-tuning on the classes src was trained on, in another order
 * (a folder sorted differently): the data is renumbered to src's order, so that its output rows keep their
 * classes; other classes are a new task, and keep the data's names. */
/* A source whose end differs (another head, no top): what fits from the start is carried, and the layers left
 * with their new weights are named. */
static fv_status carry_what_fits(fv_ctx *ctx, fv_model *m, const fv_model *src, const char *path)
{
    int carried = 0;
    char *left = NULL;
    fv_clear_error(ctx);
    fv_status s = fv_model_copy_weights_prefix(m, src, &carried, &left);
    if (!s)
        printf("Weights from %s: %d weighted layers carried%s%s\n", path, carried, left ? "; left as initialised: " : "",
               left ? left : "");
    free(left);
    return s;
}

static int start_from(fv_ctx *ctx, fv_model *m, const char *path, cli_data *d, const char *data_spec)
{
    fv_model *src = fv_model_load(ctx, path);
    if (src && same_classes(d, src)) {
        if (cli_data_match_model(ctx, d, src, "fovea train")) {
            fv_model_free(src);
            return 1;
        }
        if (set_class_names(ctx, m, d, data_spec)) { /* renumbered to src's order: the model's names follow */
            fv_model_free(src);
            return 1;
        }
    }
    fv_status s = src ? fv_model_copy_weights(m, src) : fv_errcode(ctx);
    if (s && src) s = carry_what_fits(ctx, m, src, path);
    fv_model_free(src);
    if (s) {
        fprintf(stderr, "fovea train: --weights %s: %s\n", path, cli_message("weights", fv_errmsg(ctx)));
        return 1;
    }
    return 0;
}

/* --weights for a task other than classification: the weights by structure, no class names to reconcile. */
static int copy_weights_from(fv_ctx *ctx, fv_model *m, const char *path)
{
    fv_model *src = fv_model_load(ctx, path);
    fv_status s = src ? fv_model_copy_weights(m, src) : fv_errcode(ctx);
    fv_model_free(src);
    if (s) fprintf(stderr, "fovea train: --weights %s: %s\n", path, cli_message("weights", fv_errmsg(ctx)));
    return s != FV_OK;
}

/* Whether the model named carries trained weights (a model file or an ONNX file): only such a model gets a new
 * head for other classes unasked; a description or a built-in name of the wrong width is a mistake to report
 * (a corrupt label file can make a data set of 256 classes). */
static bool pretrained(const char *path)
{
    size_t n = strlen(path);
    if (n > 5 && strcasecmp(path + n - 5, ".onnx") == 0) return true;
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    bool yes = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "FVMD", 4) == 0;
    if (f) fclose(f);
    return yes;
}

/* A pretrained model fitted to the data's classes: its base with a new classifier (--include-top false), or a
 * new head when --classes or --head asks, or when its output differs from the data's classes. Frees m when it
 * makes another; NULL after printing why. */
static fv_model *new_top(fv_ctx *ctx, const fv_cli_args *a, fv_model *m, int data_classes)
{
    int k = fv_cli_given(a, "classes") ? (int)fv_cli_int(a, "classes") : data_classes;
    const char *pooling = fv_cli_str(a, "pooling"), *head = fv_cli_str(a, "head");
    fv_model *n = NULL;
    if (strcmp(fv_cli_str(a, "include-top"), "false") == 0) {
        fv_zoo_pooling p = pooling[0] == 'a' ? FV_ZOO_POOL_AVG : pooling[0] == 'm' ? FV_ZOO_POOL_MAX : FV_ZOO_POOL_NONE;
        n = fv_model_base(m, p, k);
    } else if (fv_cli_given(a, "classes") || head ||
               (fv_model_output_size(m) != k && pretrained(fv_cli_str(a, "model")))) {
        if (fv_model_output_size(m) == k && !head) return m;
        n = fv_model_new_head(m, head, k);
    } else {
        return m;
    }
    fv_model_free(m);
    if (!n) cli_fail("fovea train", ctx);
    else if (!fv_cli_flag(a, "quiet"))
        printf("New classifier: %lld outputs on '%s' (%s)\n", (long long)fv_model_output_size(n),
               fv_model_layer_name(n, fv_model_layer_count(n) - 1), fv_model_name(n));
    return n;
}

/* --freeze, after the weights are in. 1 after printing why. */
static int freeze(fv_ctx *ctx, const fv_cli_args *a, fv_model *m)
{
    const char *spec = fv_cli_str(a, "freeze");
    if (!spec || fv_cli_str(a, "resume")) return 0; /* a checkpoint keeps its own frozen layers */
    int n = 0;
    if (fv_model_freeze(m, spec, fv_cli_str(a, "head"), &n) != FV_OK) {
        fprintf(stderr, "fovea train: --freeze %s: %s\n", spec, fv_errmsg(ctx));
        return 1;
    }
    fv_param_totals pt = fv_model_param_totals(m);
    if (!fv_cli_flag(a, "quiet"))
        printf("Frozen: %d layers; trainable params: %lld of %lld\n", n, (long long)pt.trainable, (long long)pt.total);
    return 0;
}

/* The model: from the checkpoint when resuming, else by name or file, sized to the data. */
static fv_model *train_model(fv_ctx *ctx, const fv_cli_args *a, cli_data *d)
{
    const char *resume = fv_cli_str(a, "resume");
    if (resume) {
        fv_model *m = fv_model_load(ctx, resume);
        if (!m) cli_fail("fovea train", ctx);
        return m;
    }
    int64_t s[3];
    cli_data_shape(d, s);
    fv_model *m = cli_model(ctx, "fovea train", fv_cli_str(a, "model"), (int)s[0], (int)s[1], (int)s[2],
                            cli_data_classes(d));
    bool classify = m && strcmp(cli_task_name(a, m), "classify") == 0;
    if (m && classify) m = new_top(ctx, a, m, cli_data_classes(d));
    if (m && fv_cli_flag(a, "scratch") && (fv_model_init(m) != FV_OK || fv_model_unfreeze(m, NULL, NULL) != FV_OK)) {
        cli_fail("fovea train", ctx);
        fv_model_free(m);
        return NULL;
    }
    if (m && classify && cli_data_class_name(d, 0) && set_class_names(ctx, m, d, fv_cli_str(a, "data"))) {
        fv_model_free(m);
        return NULL;
    }
    if (m && fv_cli_str(a, "weights") && classify && start_from(ctx, m, fv_cli_str(a, "weights"), d, fv_cli_str(a, "data"))) {
        fv_model_free(m);
        return NULL;
    }
    if (m && fv_cli_str(a, "weights") && !classify && copy_weights_from(ctx, m, fv_cli_str(a, "weights"))) {
        fv_model_free(m);
        return NULL;
    }
    if (m && cli_store_preprocess(a, 0, NULL, m, "fovea train")) { /* --normalize: applied by the graph from step 1 */
        fv_model_free(m);
        return NULL;
    }
    if (m && freeze(ctx, a, m)) {
        fv_model_free(m);
        return NULL;
    }
    return m;
}

/* The validation data: the set's test split, another image set (at the training images' size), or a seeded
 * random part of an image set (--validation-split; IDX sets keep Keras' last fraction, split in fit). */
static int open_validation(fv_ctx *ctx, const fv_cli_args *a, cli_data *train, cli_data_opts o, cli_data **val,
                           fv_fit_config *c)
{
    const char *spec = fv_cli_str(a, "validation");
    if (spec) {
        bool images = strcmp(spec, "test") != 0;
        int64_t s[3];
        cli_data_shape(train, s);
        o.channels = (int)s[0], o.height = (int)s[1], o.width = (int)s[2];
        *val = cli_data_open_opts(ctx, images ? spec : fv_cli_str(a, "data"), false, 0, &o);
        return *val ? 0 : 1;
    }
    if (c->validation_split > 0 && cli_data_is_images(train)) {
        c->validation_split = 0;
        return cli_data_split(ctx, train, fv_cli_float(a, "validation-split"), (uint64_t)fv_cli_int(a, "seed"), val);
    }
    return 0;
}

/* --augment and the augmentation flags: the pipeline, applied on the training loader's threads from (seed,
 * epoch, sample). 0 also when there is none; 2 after printing a bad flag; 1 with the reason in ctx. */
static int use_augment(fv_ctx *ctx, const fv_cli_args *a, cli_data *train, fv_augment **aug)
{
    int rc = cli_augment_from_args(ctx, a, "fovea train", fv_cli_str(a, "augment"), aug);
    if (rc || !*aug) return rc;
    return cli_data_use_loader(ctx, train, *aug, (uint64_t)fv_cli_int(a, "seed"), (int)fv_cli_int(a, "loader-threads"));
}

/* The flags every run shares into the fit configuration. */
static void fit_config(const fv_cli_args *a, fv_fit_config *c)
{
    c->epochs = (int)fv_cli_int(a, "epochs");
    c->batch_size = (int)fv_cli_int(a, "batch");
    c->seed = (uint64_t)fv_cli_int(a, "seed");
    c->label_smoothing = (float)fv_cli_float(a, "label-smoothing");
    c->verbose = fv_cli_flag(a, "quiet") ? FV_VERBOSE_QUIET : FV_VERBOSE_AUTO;
    c->history_csv = fv_cli_str(a, "history");
    optimizer_config(a, &c->optim);
    c->schedule = schedule_config(a, c->epochs);
    if (fv_cli_given(a, "lr-body")) c->lr_body = fv_cli_float(a, "lr-body"), c->head_layer = fv_cli_str(a, "head");
}

/* The settings kept in checkpoints, then --resume: "Resuming at epoch 3 of 5 from ck.fvm". 1 on failure; sets
 * *complete when the checkpoint already holds all the run's epochs (there is nothing to train, the model is
 * saved to --out all the same). */
static int start_run(fv_trainer *t, const fv_cli_args *a, int64_t done, int epochs, bool *complete)
{
    char *settings = cli_run_settings(&cmd, a);
    fv_status s = settings ? fv_trainer_set_settings(t, settings) : FV_ERR_NOMEM;
    free(settings);
    const char *resume = fv_cli_str(a, "resume");
    if (s || !resume) return s != FV_OK;
    if (fv_trainer_resume(t, resume) != FV_OK) return 1;
    *complete = done >= epochs;
    if (fv_cli_flag(a, "quiet")) return 0;
    if (*complete)
        printf("The run in %s is already complete (%lld of %d epochs); nothing to train\n", resume, (long long)done, epochs);
    else
        printf("Resuming at epoch %lld of %d from %s\n", (long long)done + 1, epochs, resume);
    return 0;
}

static void print_loader_stats(const cli_data *d)
{
    const fv_loader *l = cli_data_loader(d);
    if (!l) return;
    fv_loader_stats st = fv_loader_get_stats(l);
    printf("Data loader: %lld batches, %lld made ahead; training waited %.2f s for data\n", (long long)st.batches,
           (long long)st.prefetched, st.wait_seconds);
}

/* Before anything is loaded: every output writable, none over an input (a checkpoint may be the file resumed
 * from: that is how a run keeps one latest checkpoint). */
static int check_files(const fv_cli_args *a)
{
    const char *prog = "fovea train";
    cli_file in[] = {{"--model", fv_cli_str(a, "model")}, {"--weights", fv_cli_str(a, "weights")},
                     {"--data", fv_cli_str(a, "data")}, {"--validation", fv_cli_str(a, "validation")},
                     {"--resume", fv_cli_str(a, "resume")}, {NULL, NULL}};
    cli_file out[] = {{"--out", fv_cli_str(a, "out")}, {"--history", fv_cli_str(a, "history")},
                      {"--checkpoint", fv_cli_str(a, "checkpoint")}, {NULL, NULL}};
    cli_file out_no_checkpoint[] = {out[0], out[1], {NULL, NULL}};
    int rc = cli_check_files(prog, in, out_no_checkpoint);
    in[4].flag = NULL; /* the checkpoint against the other inputs and outputs */
    if (!rc) rc = cli_check_files(prog, in, out);
    return rc;
}

/* The final save failed after training: the run is not thrown away but saved in the working directory (or the
 * temporary directory when that fails too), and the message says where. Returns 1: what was asked failed. */
static int save_elsewhere(fv_ctx *ctx, fv_model *m)
{
    char why[512], path[512];
    snprintf(why, sizeof why, "%s", cli_message("fovea train", fv_errmsg(ctx)));
    const char *tmp = getenv("TMPDIR");
    const char *dirs[] = {".", tmp && *tmp ? tmp : "/tmp"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/fovea-unsaved-%ld.fvm", dirs[i], (long)getpid());
        if (fv_model_save(m, path) == FV_OK) {
            fprintf(stderr, "fovea train: %s; the trained model was saved to %s instead\n", why, path);
            return 1;
        }
    }
    fprintf(stderr, "fovea train: %s; saving it to %s failed too: %s\n", why, path, fv_errmsg(ctx));
    return 1;
}

/* Train (unless the resumed run is complete) and save to --out: 0; 1 when the save failed (saved elsewhere, said);
 * -1 when training failed (the reason in ctx). */
static int fit_and_save(fv_ctx *ctx, fv_trainer *t, const fv_cli_args *a, const fv_data_source *ts, bool complete)
{
    if (!complete && fv_trainer_fit(t, ts) != FV_OK) return -1;
    fv_model *m = fv_trainer_model(t);
    if (fv_model_save(m, fv_cli_str(a, "out")) != FV_OK) return save_elsewhere(ctx, m);
    if (!fv_cli_flag(a, "quiet")) printf("Saved model to %s\n", fv_cli_str(a, "out"));
    return 0;
}

/* --class-weights for arrays: explicit numbers only ("balanced" needs class counts a tuple set does not keep). */
static float *tuple_class_weights(const fv_cli_args *a, int *k)
{
    const char *spec = fv_cli_str(a, "class-weights");
    *k = 1;
    for (const char *p = spec; *p; p++) *k += *p == ',';
    if (strcmp(spec, "balanced") == 0) {
        fprintf(stderr, "fovea train: --class-weights balanced needs --data; give the weights with --inputs\n");
        return NULL;
    }
    return class_weights(a, NULL, *k);
}

/* The model for arrays: from the checkpoint, or by name or file sized to the first input (C, H, W) and, for
 * classify and segment, to the largest target + 1 classes. */
static fv_model *tuple_model(fv_ctx *ctx, const fv_cli_args *a, const fv_tensor_set *set, int det_classes)
{
    const char *prog = "fovea train";
    if (fv_cli_str(a, "resume")) {
        fv_model *m = fv_model_load(ctx, fv_cli_str(a, "resume"));
        if (!m) cli_fail(prog, ctx);
        return m;
    }
    const fv_tensor *x = fv_tensor_set_input(set, 0), *y = fv_tensor_set_target(set);
    int dims[3] = {0, 0, 0}, classes = 0;
    for (int d = 1; d < x->ndim && d < 4; d++) dims[d - 1] = (int)x->shape[d];
    const char *task = cli_task_name(a, NULL);
    for (int64_t i = 0; y && y->dtype == FV_I32 && (!strcmp(task, "classify") || !strcmp(task, "segment")) && i < y->size; i++)
        if (fv_i32(y)[i] >= classes && fv_i32(y)[i] != fv_cli_int(a, "ignore-index") && fv_i32(y)[i] < 100000)
            classes = fv_i32(y)[i] + 1;
    if (det_classes > 0) classes = det_classes; /* a detector: classes.txt's or the labels' */
    fv_model *m = cli_model(ctx, prog, fv_cli_str(a, "model"), dims[0], dims[1], dims[2], classes);
    if (m && fv_cli_str(a, "weights") && copy_weights_from(ctx, m, fv_cli_str(a, "weights"))) {
        fv_model_free(m);
        return NULL;
    }
    return m;
}

/* The largest mask id in the set other than the ignore value (-1 when none). */
static int32_t largest_id(const fv_tensor_set *set, int64_t ignore)
{
    const fv_tensor *y = fv_tensor_set_target(set);
    int32_t top = -1;
    for (int64_t i = 0; y && y->dtype == FV_I32 && i < y->size; i++)
        if (fv_i32(y)[i] > top && fv_i32(y)[i] != ignore) top = fv_i32(y)[i];
    return top;
}

/* A segmentation set for a model of fewer classes than its masks hold (a --model file, a checkpoint): opened
 * again with the model's class count, so that the masks at fault are named and skipped (or refused, --strict)
 * before any step. The model then keeps its task, so that evaluate and predict know it. */
static int seg_fit_model(fv_ctx *ctx, const fv_cli_args *a, fv_model *m, fv_tensor_set **set)
{
    int k = cli_seg_classes(m);
    const char *data = fv_cli_str(a, "data");
    if (k && !fv_cli_str(a, "inputs") && fv_is_segmentation_set(data) && largest_id(*set, fv_cli_int(a, "ignore-index")) >= k) {
        fv_tensor_set_free(*set);
        if (!(*set = cli_tuple_open(ctx, a, "fovea train", k))) return 1;
    }
    if (fv_model_task(m)) return 0;
    char line[512];
    const char *loss = fv_cli_str(a, "loss");
    snprintf(line, sizeof line, "segment ignore_index=%lld%s%s", (long long)fv_cli_int(a, "ignore-index"),
             loss ? " loss=" : "", loss ? loss : "");
    if (fv_model_set_task(m, line) == FV_OK) return 0;
    return cli_fail("fovea train", ctx);
}

/* fovea train --inputs A.npy[,B.npy] [--targets T.npy]: any task on arrays, validated on the last
 * --validation-split of them. */
static int train_tuples(const fv_cli_args *a, int64_t done)
{
    const char *prog = "fovea train";
    int rc = check_files(a);
    if (rc) return rc;
    fv_ctx *ctx = fv_ctx_new((uint64_t)fv_cli_int(a, "seed"));
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    bool detect = cli_is_detection(a, NULL);
    int det_classes = 0;
    fv_tensor_set *set = detect ? cli_det_open(ctx, a, prog, NULL, &det_classes) : cli_tuple_open(ctx, a, prog, 0);
    fv_model *m = NULL;
    fv_trainer *t = NULL;
    fv_task *task = NULL;
    fv_augment *aug = NULL;
    fv_loader *loader = NULL;
    float *cw = NULL;
    int n_cw = 0;
    fv_fit_config c = fv_fit_defaults();
    rc = 1;
    if (!set) goto done;
    fit_config(a, &c);
    c.validation_split = fv_cli_float(a, "validation-split");
    if (fv_cli_str(a, "class-weights") && !(cw = tuple_class_weights(a, &n_cw))) goto done;
    if (!(m = tuple_model(ctx, a, set, det_classes))) goto done;
    if (detect) { /* a YOLO model's own loss: its heads name the anchors */
        if (!(task = fv_yolo_task(ctx, m, (int)fv_tensor_set_target(set)->shape[1], NULL)) ||
            (!fv_model_task(m) && fv_model_set_task(m, "detect") != FV_OK))
            goto fail;
    } else if ((rc = cli_task_from_args(ctx, a, prog, m, cw, n_cw, c.label_smoothing, &task)) != 0) {
        goto done;
    }
    rc = 1;
    if ((rc = cli_augment_from_args(ctx, a, prog, fv_cli_str(a, "augment"), &aug)) != 0) goto done;
    rc = 1;
    bool segment = !detect && strcmp(cli_task_name(a, m), "segment") == 0;
    if (segment && (rc = seg_fit_model(ctx, a, m, &set)) != 0) goto done;
    rc = 1;
    if (aug && fv_tensor_set_augment(set, aug, c.seed, detect ? FV_PAIR_BOXES : segment ? FV_PAIR_MASK : FV_PAIR_NONE) !=
                   FV_OK)
        goto fail;
    if (aug) { /* augmented samples are made on the loader's threads, ahead of the step */
        fv_loader_options lo = fv_loader_defaults();
        lo.threads = (int)fv_cli_int(a, "loader-threads");
        if (!(loader = fv_loader_new_tuples(ctx, set, &lo))) goto fail;
    }
    c.task = task;
    if (!(t = fv_trainer_new(m, &c))) goto fail;
    add_callbacks(t, a);
    if ((rc = add_unfreeze(t, a)) != 0) goto done;
    rc = 1;
    bool complete = false;
    if (start_run(t, a, done, c.epochs, &complete)) goto fail;
    fv_data_source ts = loader ? fv_loader_source(loader) : fv_tensor_set_source(set);
    if ((rc = fit_and_save(ctx, t, a, &ts, complete)) < 0) goto fail;
    goto done;
fail:
    rc = cli_fail(prog, ctx);
done:
    free(cw);
    fv_trainer_free(t);
    fv_task_free(task);
    fv_model_free(m);
    fv_loader_free(loader);
    fv_tensor_set_free(set);
    fv_augment_free(aug);
    fv_ctx_free(ctx);
    return rc;
}

/* An image folder for a pretrained model file (not a built-in name, whose size follows the data): read at the
 * model's input size by its stored resize rule, as evaluate and predict read it. The model is loaded once
 * here for that; returned for the caller to free after the data is open (pre points into nothing of it). */
static fv_model *fit_to_model(fv_ctx *ctx, const fv_cli_args *a, cli_data_opts *o, fv_preprocess *pre)
{
    const char *model = fv_cli_str(a, "resume") ? fv_cli_str(a, "resume") : fv_cli_str(a, "model");
    if (!fv_dataset_is_image_set(fv_cli_str(a, "data"))) return NULL;
    for (const char *const *n = fv_model_names(); *n; n++)
        if (strcmp(*n, model) == 0) return NULL;
    fv_model *m = fv_model_load(ctx, model);
    if (!m) {
        fv_clear_error(ctx); /* the real load reports it */
        return NULL;
    }
    cli_data_fit_model(o, m, fv_model_preprocess(m, pre) ? pre : NULL);
    return m;
}

int cmd_train(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea train";
    if ((status = cli_normalize_once(argc, argv, prog))) {
        fv_cli_free(a);
        return status;
    }
    int64_t done = -1;
    fv_ctx *probe = fv_cli_str(a, "resume") ? fv_ctx_new(0) : NULL;
    status = probe ? cli_resume_settings(probe, &cmd, argc, argv, &a, &done) : 0; /* flags held to the checkpoint's */
    fv_ctx_free(probe);
    if (status) {
        fv_cli_free(a);
        return status;
    }
    bool seg_folder = !fv_cli_str(a, "inputs") && fv_cli_str(a, "data") &&
                      (fv_is_segmentation_set(fv_cli_str(a, "data")) || cli_is_detection(a, NULL));
    if (fv_cli_str(a, "inputs") || seg_folder) { /* arrays, or a folder of images and masks or labels as arrays */
        status = fv_cli_str(a, "data") && !seg_folder ? 2 : train_tuples(a, done);
        if (status == 2 && fv_cli_str(a, "data")) fprintf(stderr, "%s: give --data or --inputs, not both\n", prog);
        fv_cli_free(a);
        return status;
    }
    cli_data_opts o = cli_data_defaults(prog);
    o.announce = !fv_cli_flag(a, "quiet");
    o.seed = (uint64_t)fv_cli_int(a, "seed");
    if (!fv_cli_str(a, "data") || cli_data_opts_from_args(a, &o)) {
        if (!fv_cli_str(a, "data"))
            fprintf(stderr, "%s: --data (a data set, a directory or a CSV) or --inputs (.npy arrays) is required\n",
                    prog);
        fv_cli_free(a);
        return 2;
    }
    if ((status = check_files(a))) {
        fv_cli_free(a);
        return status;
    }
    fv_ctx *ctx = fv_ctx_new((uint64_t)fv_cli_int(a, "seed"));
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_preprocess fit_pre;
    fv_model *peek = fit_to_model(ctx, a, &o, &fit_pre);
    cli_data *train = cli_data_open_opts(ctx, fv_cli_str(a, "data"), true, fv_cli_int(a, "limit"), &o), *val = NULL;
    fv_model_free(peek); /* o no longer needs it: the sizes are copied, the rule read when the set opened */
    fv_model *m = NULL;
    fv_trainer *t = NULL;
    float *cw = NULL;
    fv_augment *aug = NULL;
    fv_task *task = NULL;
    cli_label_adapter *train_adapter = NULL, *val_adapter = NULL;
    int rc = 1;
    fv_fit_config c = fv_fit_defaults();
    c.validation_split = fv_cli_float(a, "validation-split");
    if (!train || open_validation(ctx, a, train, o, &val, &c)) goto fail;
    int aug_rc = train ? use_augment(ctx, a, train, &aug) : 0;
    if (aug_rc == 2) {
        rc = 2;
        goto done;
    }
    if (aug_rc) goto fail;
    if (!(m = train_model(ctx, a, train))) goto done;
    /* a resumed model's classes, or a --validation folder's, are matched by name (refused when they differ) */
    bool classify = strcmp(cli_task_name(a, m), "classify") == 0;
    if (classify && (cli_data_match_model(ctx, train, m, prog) || (val && cli_data_match_model(ctx, val, m, prog))))
        goto done;
    if (!classify) {
        /* the task checks outputs and targets when the trainer starts */
    } else if (cli_data_check_model(train, m, prog, fv_cli_str(a, "data")) ||
               (val && cli_data_check_model(val, m, prog, fv_cli_str(a, "validation") ? fv_cli_str(a, "validation")
                                                                                       : fv_cli_str(a, "data"))) ||
        cli_data_check_labels(train, m, prog, fv_cli_str(a, "data")) ||
        (val && cli_data_check_labels(val, m, prog, fv_cli_str(a, "validation") ? fv_cli_str(a, "validation")
                                                                              : fv_cli_str(a, "data"))))
        goto done;
    fit_config(a, &c);
    if (fv_cli_str(a, "class-weights")) {
        if (!(cw = class_weights(a, train, cli_data_classes(train)))) goto done;
        c.class_weights = cw;
        c.n_class_weights = cli_data_classes(train);
    }
    int task_rc = cli_task_from_args(ctx, a, prog, m, c.class_weights, c.n_class_weights, c.label_smoothing, &task);
    if (task_rc) {
        rc = task_rc;
        goto done;
    }
    c.task = task;
    fv_data_source vs;
    if (val) vs = cli_task_source(ctx, cli_data_source(val), task, c.batch_size, &val_adapter), c.validation = &vs;
    if (!(t = fv_trainer_new(m, &c))) goto fail;
    add_callbacks(t, a);
    if ((rc = add_unfreeze(t, a)) != 0) goto done;
    rc = 1;
    bool complete = false;
    if (start_run(t, a, done, c.epochs, &complete)) goto fail;
    fv_data_source ts = cli_task_source(ctx, cli_data_source(train), task, c.batch_size, &train_adapter);
    if ((rc = fit_and_save(ctx, t, a, &ts, complete)) < 0) goto fail;
    if (!rc && !fv_cli_flag(a, "quiet")) print_loader_stats(train);
    goto done;
fail:
    rc = cli_fail(prog, ctx);
done:
    free(cw);
    fv_trainer_free(t);
    fv_task_free(task);
    cli_task_source_free(train_adapter), cli_task_source_free(val_adapter);
    fv_model_free(m);
    cli_data_free(train);
    cli_data_free(val);
    fv_augment_free(aug);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
