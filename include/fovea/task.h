/* fovea tasks: what a model is trained to do. A task says what a batch's target is (its dtype and shape for the
 * model's outputs), which loss turns outputs and target into a scalar, how a target is checked, and which
 * metrics are logged; the fit loop (fovea/train.h) and evaluation run any task the same way. Built in:
 * classification, binary and multi-label decisions, regression, dense prediction (segmentation), embeddings
 * (pairs, triplets, or identities mined inside the batch) and detection (a loss the detector supplies). A
 * user's C code defines its own task by filling an fv_task's callbacks. docs/TRAINING.md has the tables. */
#ifndef FOVEA_TASK_H
#define FOVEA_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "graph.h"
#include "ops_loss.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    FV_TASK_CLASSIFY = 0, /* logits (N, K), int32 class indices (N): softmax cross-entropy */
    FV_TASK_BINARY,       /* logits (N) or (N, 1), float targets 0/1 (N): BCE on logits */
    FV_TASK_MULTILABEL,   /* logits (N, K), float indicator targets (N, K): BCE on logits per label */
    FV_TASK_REGRESS,      /* predictions and float targets of one shape: MSE */
    FV_TASK_SEGMENT,      /* logits (N, K, H, W), int32 class indices (N, H, W): cross-entropy per pixel */
    FV_TASK_EMBED,        /* embeddings: 2 outputs and pair targets (N), 3 outputs (triplets, no target), or 1
                           * output (N, D) with int32 identities (N) mined inside the batch */
    FV_TASK_DETECT,       /* boxes (N, B, 5) of class, x0, y0, x1, y1 (class -1 pads); the loss is the detector's */
    FV_TASK_KIND_COUNT
} fv_task_kind;

/* The loss terms a built-in task can sum (weights apply to each). */
typedef enum {
    FV_TASK_LOSS_DEFAULT = 0, /* the task's own: ce, bce, mse, ce, contrastive/triplet */
    FV_TASK_LOSS_CE,          /* softmax cross-entropy: class weights, label smoothing, ignore index */
    FV_TASK_LOSS_BCE,         /* BCE on logits with pos_weight */
    FV_TASK_LOSS_FOCAL,       /* sigmoid focal loss (binary, multi-label) */
    FV_TASK_LOSS_DICE,        /* soft Dice on softmax (segment) or sigmoid (binary, multi-label) probabilities */
    FV_TASK_LOSS_MSE,
    FV_TASK_LOSS_L1,
    FV_TASK_LOSS_SMOOTH_L1,   /* PyTorch's SmoothL1Loss(beta) */
    FV_TASK_LOSS_HUBER,       /* PyTorch's HuberLoss(delta = beta): beta * smooth L1 */
    FV_TASK_LOSS_CONTRASTIVE, /* pairs: Hadsell et al., targets 1 same / 0 different */
    FV_TASK_LOSS_COSINE,      /* pairs: cosine embedding, targets +1 / -1 */
    FV_TASK_LOSS_TRIPLET,     /* triplets (3 outputs) or mined in the batch (1 output) */
    FV_TASK_LOSS_KIND_COUNT
} fv_task_loss;

#define FV_TASK_MAX_TERMS 4
#define FV_TASK_MAX_METRICS 8

/* How a built-in task is set up; start from fv_task_defaults(kind). */
typedef struct {
    fv_task_kind kind;
    int n_terms;                            /* 0: the task's default loss alone */
    fv_task_loss loss[FV_TASK_MAX_TERMS];   /* a weighted sum: sum weight[i] * loss[i] */
    float weight[FV_TASK_MAX_TERMS];
    const float *class_weights;             /* ce: per-class weights (K), or NULL; copied */
    int n_class_weights;
    float label_smoothing;                  /* ce */
    int64_t ignore_index;                   /* segment: a mask value that counts nowhere (255) */
    const float *pos_weight;                /* bce: per label (K) or one value (1), or NULL; copied */
    int n_pos_weight;
    float threshold;                        /* binary, multi-label metrics: probability threshold (0.5) */
    float focal_alpha, focal_gamma;         /* 0.25, 2 */
    float dice_smooth;                      /* 1 */
    float beta;                             /* smooth L1's beta, Huber's delta (1) */
    float margin;                           /* contrastive 1, triplet 1, cosine 0 (default: NAN = the loss's) */
    float p;                                /* triplet margin loss: the norm (2) */
    bool swap;                              /* triplet margin loss: the distance swap */
    fv_triplet_mining mining;               /* embed with one output: batch-hard */
} fv_task_options;

fv_task_options fv_task_defaults(fv_task_kind kind);
/* "classify", "binary", "multilabel", "regress", "segment", "embed", "detect" (-1 when none). */
int fv_task_kind_from_name(const char *name);
const char *fv_task_kind_name(fv_task_kind kind);
/* A loss expression into o's terms: names joined by '+', each optionally weighted as "0.5*dice"; names: ce,
 * bce, focal, dice, mse, l1, smooth_l1, huber, contrastive, cosine, triplet. Refused (ctx names the term):
 * an unknown name, a weight that is not a finite positive number, more than FV_TASK_MAX_TERMS terms, a loss
 * the task cannot use. */
fv_status fv_task_parse_loss(fv_ctx *ctx, const char *text, fv_task_options *o);

/* A task line as a model description holds it (fv_model_task): the kind, then key=value options, e.g.
 * "segment loss=ce+0.5*dice ignore_index=255" or "embed mining=semi margin=0.2". Keys: loss, ignore_index,
 * threshold, margin, mining (hard, all, semi), beta, focal_alpha, focal_gamma, dice_smooth, label_smoothing,
 * p, swap (true, false), pos_weight (W,W,...: into room, which must outlive the options). o is set from
 * fv_task_defaults of the kind, then the keys; on error (ctx names the key and value) o is unchanged. */
fv_status fv_task_options_parse(fv_ctx *ctx, const char *text, fv_task_options *o, float *room, int room_size);

typedef struct fv_task fv_task;

/* A task: the callbacks the trainer calls. Custom tasks fill them and set user; built-in ones come from
 * fv_task_new. outputs are the model's output nodes (or, with logits set, the inputs of outputs that are
 * softmax or sigmoid layers), in fv_model_output_layer order. */
struct fv_task {
    const char *name;
    bool logits; /* pass a final softmax's or sigmoid's input instead of its output (the loss applies it) */
    /* What a batch's target is for these outputs (nodes at the training batch size): its dtype and shape,
     * batch first; *ndim 0 when the task takes no target. Errors name the outputs and their shapes. */
    fv_status (*target_spec)(fv_task *t, fv_graph *g, fv_node *const *outputs, int n_outputs, fv_dtype *dtype,
                             int *ndim, int64_t *shape);
    /* The loss, a scalar node, from the outputs and the target node (NULL when the task takes none). */
    fv_node *(*loss)(fv_task *t, fv_graph *g, fv_node *const *outputs, int n_outputs, fv_node *target);
    /* Optional: check a batch's target values (labels in range) before the step; ids[i] is sample i's index in
     * the data source, for the message. */
    fv_status (*check_target)(fv_task *t, fv_ctx *ctx, const fv_tensor *target, int n, const int64_t *ids);
    /* Metrics: their names; the first n_running are shown while an epoch runs (the rest at its end). */
    int n_metrics, n_running;
    const char *metric_names[FV_TASK_MAX_METRICS];
    void (*metrics_reset)(fv_task *t);
    /* Count a batch of n samples: the output values (as the loss saw them) and the target (NULL if none). */
    fv_status (*metrics_add)(fv_task *t, fv_ctx *ctx, const fv_tensor *const *outputs, int n_outputs,
                             const fv_tensor *target, int n);
    /* The first n (<= n_metrics) values; NAN for what cannot be computed. Called after each step with
     * n = n_running, so that costly metrics (AUC) are computed only at an epoch's end. */
    void (*metrics_values)(fv_task *t, double *values, int n);
    /* Optional: add a validation batch's loss, summed over its n samples, to *sum (classification's plain
     * cross-entropy without class weights, summed sample by sample); NULL: the loss node's value times n. */
    void (*eval_loss_add)(fv_task *t, const fv_tensor *const *outputs, int n_outputs, const fv_tensor *target,
                          int n, double *sum);
    void (*free)(fv_task *t);
    void *user;
};

/* A built-in task; NULL with the reason in ctx (a bad option: named). */
fv_task *fv_task_new(fv_ctx *ctx, const fv_task_options *o);
/* A detection task whose loss the detector builds: loss(user, g, outputs, n_outputs, boxes) with boxes
 * (N, max_boxes, 5) float32 rows class, x0, y0, x1, y1 (pixels of the input; class -1 pads). */
typedef fv_node *(*fv_detect_loss_fn)(void *user, fv_graph *g, fv_node *const *outputs, int n_outputs,
                                      fv_node *boxes);
fv_task *fv_task_detect(fv_ctx *ctx, int max_boxes, fv_detect_loss_fn loss, void *user);
/* The same, the task owning user: user_free(user) when the task is freed (or at once when it cannot be made). */
fv_task *fv_task_detect_owning(fv_ctx *ctx, int max_boxes, fv_detect_loss_fn loss, void *user,
                               void (*user_free)(void *user));
/* Frees a task (calls its free hook); NULL does nothing. */
void fv_task_free(fv_task *t);
/* The options a built-in task was made from (NULL for custom tasks). */
const fv_task_options *fv_task_options_of(const fv_task *t);
/* The segment task's confusion matrix (rows true class, columns predicted) as its metrics last counted it: every
 * pixel of the epoch or evaluation (fv_evaluate_task) but the ignored ones. NULL for other tasks or before any
 * batch; owned by the task. Per-class IoU and Dice: fv_confusion_overlap (fovea/metrics.h). */
struct fv_confusion;
const struct fv_confusion *fv_task_confusion(const fv_task *t);

#ifdef __cplusplus
}
#endif
#endif
