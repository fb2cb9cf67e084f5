/* The trainer's fields, shared by the fit loop (fit.c), checkpoints (checkpoint.c) and the callbacks. */
#ifndef FV_TRAINER_INTERNAL_H
#define FV_TRAINER_INTERNAL_H

#include "../core/internal.h"
#include "fovea/progress.h"
#include "fovea/task.h"
#include "fovea/train.h"

#define FV_MAX_CALLBACKS 32
/* loss, the task's metrics, their val_ twins, lr */
#define FV_MAX_LOGS (2 * (FV_TASK_MAX_METRICS + 1) + 1)

struct fv_trainer {
    fv_ctx *ctx;
    fv_model *model;
    fv_fit_config cfg;
    fv_optimizer *opt;
    fv_callback *callbacks[FV_MAX_CALLBACKS];
    int n_callbacks;
    /* the task (the configuration's, or classification made from its class weights and label smoothing) */
    fv_task *task;
    bool owns_task;
    /* the training graph: the model's inputs, its outputs as the task sees them, the target and the loss */
    fv_graph *g;
    fv_node *inputs[FV_MODEL_MAX_IO], *outputs[FV_MODEL_MAX_IO];
    int n_inputs, n_outputs;
    fv_node *y, *loss;                      /* y: NULL when the task takes no target */
    fv_dtype target_dtype;
    int target_ndim;
    int64_t target_shape[FV_MAX_DIMS];      /* at the batch size */
    fv_node **layer_nodes;
    char log_keys[FV_MAX_LOGS][48];         /* storage of the val_ names */
    /* position */
    int epoch;              /* the epoch running or next to run (0-based) */
    int epochs_done;
    int64_t global_step;
    bool stop;
    double lr_factor;       /* ReduceLROnPlateau's factor on top of the schedule */
    /* this epoch's logs */
    const char *log_names[FV_MAX_LOGS];
    double log_values[FV_MAX_LOGS];
    int n_logs;
    fv_progress *progress;
    char *settings;         /* the caller's settings of the run, kept in checkpoints (fv_trainer_set_settings) */
};

/* Whether a callback's set_state can take values read from a checkpoint: -1 when it can, else the index of the
 * first it cannot, with its field's name and what it should be in *field and *want (a corrupt file must not
 * reach a cast to int: 1e300 or NaN there is undefined behaviour). */
int fv_callback_state_check(const fv_callback *cb, const double *v, int n, const char **field, const char **want);

/* The loss (metrics[0]) and the task's metrics (metrics[1..]) over src in eval mode, as validation computes them. */
fv_status fv_trainer_evaluate(fv_trainer *t, const fv_data_source *src, double *metrics);

/* The names of this epoch's logs but the learning rate, "loss,accuracy,val_loss,val_accuracy", for messages. */
void fv_trainer_log_list(const fv_trainer *t, char *buf, size_t size);

/* Names of the trainer's position fields in checkpoints. */
#define FV_POS_LR_FACTOR "lr_factor"
#define FV_POS_TRAIN_PASSES "train_passes"

#endif
