/* fovea evaluate MODEL --data SET: loss, accuracy and the confusion matrix (with per-class precision, recall
 * and F1) of a model on a data set's test split; for other tasks (--task, or arrays through --inputs), the
 * task's loss and metrics one per line, "mean_iou: 0.7312", and for segmentation sets per-class IoU and Dice. */
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "cli_images.h"
#include "cli_detect.h"
#include "cli_task.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "data", .type = FV_CLI_STRING, .def = NULL, .metavar = "SET|DIR|CSV", .help = "fashion-mnist, mnist, a directory of IDX files, a folder of class folders of images, a CSV of path,label, or a segmentation set (images/ and masks/, or a CSV of image,mask)"},
    CLI_TASK_OPTS,
    CLI_IMAGE_SET_OPTS,
    CLI_SUBSET_OPTS,
    {.name = "split", .type = FV_CLI_STRING, .def = "test", .metavar = NULL, .help = "which part of the data set", .choices = "test|train"},
    {.name = "batch", .type = FV_CLI_INT, .def = "256", .metavar = "N", .help = "samples per forward pass", .min = 1, .max = 1e7},
    {.name = "limit", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = CLI_LIMIT_HELP, .min = 0, .max = 9e15},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores); results do not depend on it", .min = 0, .max = 4096},
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"}};
static const fv_cli_cmd cmd = {.prog = "fovea evaluate", "Evaluate a trained model on a data set.", opts, sizeof opts / sizeof opts[0], pos, sizeof pos / sizeof pos[0]};

/* One line when samples gave NaN or infinite outputs: their loss, accuracy and confusion entries mean nothing. */
static void warn_nonfinite(const char *prog, const fv_eval_result *r, const cli_data *d, const char *spec)
{
    if (!r->nonfinite) return;
    char shown[1024]; /* a file name from a folder or a CSV */
    const char *file = cli_data_path(d, r->first_nonfinite);
    if (file) file = fv_printable(file, shown, sizeof shown);
    fprintf(stderr, "%s: warning: %lld of %lld samples gave NaN or infinite outputs, the first sample %lld of %s%s%s%s; "
            "the loss and accuracy below mean nothing for them\n", prog, (long long)r->nonfinite, (long long)r->count,
            (long long)r->first_nonfinite, spec, file ? " (" : "", file ? file : "", file ? ")" : "");
}

/* The task's loss and metrics over src, one per line. */
static int print_task_metrics(fv_ctx *ctx, fv_model *m, fv_task *task, fv_data_source src, int batch)
{
    fv_task_result r;
    if (fv_evaluate_task(m, task, &src, batch, &r) != FV_OK) return cli_fail("fovea evaluate", ctx);
    printf("%lld samples, task %s\n", (long long)r.count, task->name);
    for (int i = 0; i < r.n; i++) printf("%s: %.4f\n", r.names[i], r.values[i]);
    return 0;
}

/* The name of class k: classes.txt's, else the model's, else none (""). */
static const char *class_name(const fv_seg_scan *scan, const fv_model *m, int k)
{
    if (k < scan->n_class_names) return scan->class_names[k];
    const char *n = fv_model_class_name(m, k);
    return n ? n : "";
}

/* Per-class IoU and Dice from the confusion matrix the metrics above came from, a line a class. */
static void print_class_overlap(const fv_confusion *cm, const fv_seg_scan *scan, const fv_model *m)
{
    double *iou = malloc((size_t)cm->k * sizeof *iou), *dice = malloc((size_t)cm->k * sizeof *dice);
    char shown[256];
    if (!iou || !dice) {
        free(iou), free(dice);
        return;
    }
    fv_confusion_overlap(cm, iou, dice, NULL, NULL);
    printf("\nPer class (IoU, Dice; pixels in the truth and the prediction):\n");
    for (int c = 0; c < cm->k; c++) {
        int64_t truth = 0, pred = 0;
        for (int o = 0; o < cm->k; o++) truth += cm->counts[(size_t)c * cm->k + o], pred += cm->counts[(size_t)o * cm->k + c];
        const char *name = fv_printable(class_name(scan, m, c), shown, sizeof shown);
        printf("class %d%s%s%s: ", c, *name ? " (" : "", name, *name ? ")" : "");
        if (truth + pred == 0) printf("absent from the truth and the prediction (not in the means)\n");
        else printf("iou %.4f dice %.4f truth %lld predicted %lld\n", iou[c], dice[c], (long long)truth, (long long)pred);
    }
    free(iou), free(dice);
}

/* A segmentation set: the task's loss and metrics, then per class, all from one confusion matrix over every
 * pixel (masks naming classes the model lacks are bad pairs, named and skipped or refused with --strict). */
static int evaluate_segmentation(fv_ctx *ctx, const fv_cli_args *a, fv_model *m, fv_task *task, int batch)
{
    fv_seg_scan scan;
    fv_tensor_set *set = cli_seg_open(ctx, a, "fovea evaluate", cli_seg_classes(m), &scan);
    int rc = set ? print_task_metrics(ctx, m, task, fv_tensor_set_source(set), batch) : 1;
    if (!rc && fv_task_confusion(task)) print_class_overlap(fv_task_confusion(task), &scan, m);
    fv_seg_scan_release(&scan);
    fv_tensor_set_free(set);
    return rc;
}

/* Any task other than classification: on arrays (--inputs) or on a class-labelled set (embed, binary). */
/* ctx and m (NULL: loaded here) are the caller's when given, freed here. */
static int evaluate_task(const fv_cli_args *a, const char *prog, fv_ctx *ctx, fv_model *m)
{
    if (!ctx) {
        ctx = fv_ctx_new(1);
        cli_load_flags(ctx, a, true, true);
        fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    }
    fv_task *task = NULL;
    if (!m) m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    if (m && cli_is_detection(a, m)) { /* a detector: mAP, not a loss */
        int rc = cli_det_evaluate(ctx, a, prog, m);
        fv_model_free(m);
        fv_ctx_free(ctx);
        return rc;
    }
    int rc = m ? cli_task_from_args(ctx, a, prog, m, NULL, 0, 0.0f, &task) : 1;
    if (rc) fv_model_free(m), m = NULL;
    fv_tensor_set *set = NULL;
    cli_data *d = NULL;
    cli_label_adapter *ad = NULL;
    int batch = (int)fv_cli_int(a, "batch");
    if (m && !fv_cli_str(a, "inputs") && fv_is_segmentation_set(fv_cli_str(a, "data"))) {
        rc = evaluate_segmentation(ctx, a, m, task, batch);
    } else if (m && fv_cli_str(a, "inputs")) {
        if ((set = cli_tuple_open(ctx, a, prog, 0))) rc = print_task_metrics(ctx, m, task, fv_tensor_set_source(set), batch);
        else rc = 1;
    } else if (m) {
        cli_data_opts o = cli_data_defaults(prog);
        o.announce = true;
        d = cli_data_opts_from_args(a, &o) ? NULL
            : cli_data_open_opts(ctx, fv_cli_str(a, "data"), fv_cli_str(a, "split")[1] == 'r', fv_cli_int(a, "limit"), &o);
        rc = d ? print_task_metrics(ctx, m, task, cli_task_source(ctx, cli_data_source(d), task, batch, &ad), batch)
               : cli_fail(prog, ctx);
    } else if (!rc) {
        rc = 1;
    }
    cli_task_source_free(ad);
    cli_data_free(d);
    fv_tensor_set_free(set);
    fv_model_free(m);
    fv_task_free(task);
    fv_ctx_free(ctx);
    return rc;
}

int cmd_evaluate(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea evaluate";
    bool seg_folder = fv_is_segmentation_set(fv_cli_str(a, "data")) || /* images and masks or labels: no classes */
                      (fv_cli_str(a, "data") && fv_is_detection_folder(fv_cli_str(a, "data")));
    if (fv_cli_str(a, "inputs") || strcmp(fv_cli_str(a, "task"), "classify") != 0 || seg_folder) {
        status = (fv_cli_str(a, "inputs") || fv_cli_str(a, "data")) ? evaluate_task(a, prog, NULL, NULL) : 2;
        if (status == 2 && !fv_cli_str(a, "inputs") && !fv_cli_str(a, "data"))
            fprintf(stderr, "%s: --data or --inputs is required\n", prog);
        fv_cli_free(a);
        return status;
    }
    cli_data_opts o = cli_data_defaults(prog);
    o.announce = true;
    if (!fv_cli_str(a, "data") || cli_data_opts_from_args(a, &o)) {
        if (!fv_cli_str(a, "data")) fprintf(stderr, "%s: --data is required (fashion-mnist, mnist, a directory or a CSV)\n", prog);
        fv_cli_free(a);
        return 2;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    if (m && strcmp(cli_task_name(a, m), "classify") != 0) { /* the model's task line names another task */
        status = evaluate_task(a, prog, ctx, m);
        fv_cli_free(a);
        return status;
    }
    int64_t ms[FV_MAX_DIMS];
    /* image folders are read at the model's input size unless told otherwise, fitted by its rule */
    fv_preprocess pre;
    if (m && cli_preprocess(a, m, prog, &pre)) fv_model_free(m), m = NULL;
    if (m && fv_model_input_shape(m, ms) == 3) {
        if (!o.channels) o.channels = (int)ms[0];
        if (!o.height) o.height = (int)ms[1], o.width = (int)ms[2];
        o.pre = &pre;
    }
    cli_data *d = m ? cli_data_open_opts(ctx, fv_cli_str(a, "data"), fv_cli_str(a, "split")[1] == 'r', fv_cli_int(a, "limit"), &o)
                    : NULL;
    fv_eval_result r = {0};
    int rc = 1;
    if (m && !d) cli_fail(prog, ctx);
    if (d && (cli_data_match_model(ctx, d, m, prog) || cli_data_check_model(d, m, prog, fv_cli_str(a, "data")) ||
              cli_data_check_labels(d, m, prog, fv_cli_str(a, "data")))) {
        /* the reason is printed */
    } else if (d) {
        fv_data_source src = cli_data_source(d);
        if (fv_evaluate(m, &src, (int)fv_cli_int(a, "batch"), &r) != FV_OK) {
            cli_fail(prog, ctx);
        } else {
            warn_nonfinite(prog, &r, d, fv_cli_str(a, "data"));
            printf("%lld samples - loss: %.4f - accuracy: %.4f\n", (long long)r.count, r.loss, r.accuracy);
            fv_confusion cm = {ctx, r.n_classes, r.confusion};
            const char **names = calloc((size_t)r.n_classes, sizeof *names);
            for (int k = 0; names && k < r.n_classes; k++) {
                names[k] = fv_model_class_name(m, k);
                if (!names[k]) {
                    free(names);
                    names = NULL;
                }
            }
            printf("\nConfusion matrix (rows: true class, columns: predicted):\n");
            fv_confusion_print(&cm, stdout, names, 12);
            printf("\n");
            fv_confusion_print_report(&cm, stdout, names, 12);
            free(names);
            rc = 0;
        }
    }
    fv_eval_result_free(&r);
    cli_data_free(d);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
