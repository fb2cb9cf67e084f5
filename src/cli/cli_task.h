/* The task flags that `fovea train` and `fovea evaluate` share (--task segment --loss ce+0.5*dice ...), the
 * task they make, and tuple data from .npy arrays (--inputs a.npy,b.npy --targets t.npy). A class-labelled data
 * set (--data) serves tasks whose target is the class: classify, embed (identities), and binary (two classes,
 * the second positive) through an adapter that hands the labels over as floats. */
#ifndef FV_CLI_TASK_H
#define FV_CLI_TASK_H

#include "args.h"
#include "fovea.h"

/* For a command's table: static const fv_cli_opt opts[] = {..., CLI_TASK_OPTS}; */
#define CLI_TASK_OPTS                                                                                              \
    FV_CLI_CHOICE_OPT("task", "classify", "classify|binary|multilabel|regress|segment|embed|detect",               \
                      "what the model is trained to do (docs/TRAINING.md)"),                                       \
    FV_CLI_STR_OPT("loss", NULL, "EXPR", "the loss as a weighted sum, e.g. ce+0.5*dice (ce bce focal dice mse l1 "  \
                   "smooth_l1 huber contrastive cosine triplet; default: the task's)"),                            \
    FV_CLI_STR_OPT("inputs", NULL, "A.npy[,B.npy]", "samples as arrays, one per model input (instead of --data)"), \
    FV_CLI_STR_OPT("targets", NULL, "T.npy", "the targets of --inputs: labels, masks, values or identities"),     \
    FV_CLI_STR_OPT("pos-weight", NULL, "W[,W...]", "binary/multilabel: weight of the positive term, per label"),  \
    FV_CLI_INT_OPT("ignore-index", "255", "N", "segment: the mask value that counts nowhere", -2147483648.0,      \
                   2147483647.0),                                                                                  \
    FV_CLI_FLOAT_OPT("threshold", "0.5", "P", "binary/multilabel metrics: the probability of a positive", 0, 1),  \
    FV_CLI_FLOAT_OPT("margin", NULL, "X", "embed: the margin (contrastive 1, triplet 1, cosine 0)", -1e30, 1e30), \
    FV_CLI_CHOICE_OPT("mining", "hard", "hard|all|semi", "embed with identities: batch-hard, batch-all or "        \
                      "semi-hard triplets"),                                                                       \
    FV_CLI_FLOAT_OPT("beta", "1", "X", "smooth_l1's beta, huber's delta", 0, 1e30),                               \
    FV_CLI_FLOAT_OPT("focal-alpha", "0.25", "X", "focal loss alpha (< 0: none)", -1, 1),                          \
    FV_CLI_FLOAT_OPT("focal-gamma", "2", "X", "focal loss gamma", 0, 1e6),                                        \
    FV_CLI_FLOAT_OPT("dice-smooth", "1", "X", "Dice smoothing", 0, 1e30)

/* The task the flags say, with class weights and label smoothing for classification (cw may be NULL). When
 * --task is not given and the model has a `task` line (fv_model_task; m may be NULL), that line sets the task
 * and the flags given override its options. 0 with *out set; 2 after printing a bad flag; 1 after printing the
 * library's reason. */
int cli_task_from_args(fv_ctx *ctx, const fv_cli_args *a, const char *prog, const fv_model *m, const float *cw,
                       int n_cw, float label_smoothing, fv_task **out);
/* The task's kind name: --task when given, else the model's task line's (m may be NULL), else "classify". */
const char *cli_task_name(const fv_cli_args *a, const fv_model *m);

/* --inputs/--targets, or a segmentation set given as --data (a folder of images/ and masks/, or a CSV of
 * image,mask), as a tuple set (NULL with the reason printed). classes > 0: masks holding larger ids (other than
 * --ignore-index) are bad pairs. */
fv_tensor_set *cli_tuple_open(fv_ctx *ctx, const fv_cli_args *a, const char *prog, int classes);
/* A segmentation set (--data, --strict, --channels, --ignore-index): its pair count printed, bad pairs listed
 * on stderr, the scan kept in *scan when given (release it). */
fv_tensor_set *cli_seg_open(fv_ctx *ctx, const fv_cli_args *a, const char *prog, int classes, fv_seg_scan *scan);
/* A segmentation model's class count: K of its first output (K, H, W); 0 when it has no such output. */
int cli_seg_classes(const fv_model *m);

/* The source of class-labelled data for a task: the labels as they are (classify, embed) or as floats 0/1
 * (binary, two classes), batches of at most batch samples. adapter holds what the adapted source needs; free it
 * with cli_task_source_free. */
typedef struct cli_label_adapter cli_label_adapter;
fv_data_source cli_task_source(fv_ctx *ctx, fv_data_source base, const fv_task *task, int batch,
                               cli_label_adapter **adapter);
void cli_task_source_free(cli_label_adapter *adapter);

#endif
