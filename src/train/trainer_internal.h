/* The trainer's fields, shared by the fit loop (fit.c), checkpoints (checkpoint.c) and the callbacks. */
#ifndef FV_TRAINER_INTERNAL_H
#define FV_TRAINER_INTERNAL_H

#include "../core/internal.h"
#include "fovea/progress.h"
#include "fovea/train.h"

#define FV_MAX_CALLBACKS 32
#define FV_MAX_LOGS 8

struct fv_trainer {
    fv_ctx *ctx;
    fv_model *model;
    fv_fit_config cfg;
    fv_optimizer *opt;
    fv_callback *callbacks[FV_MAX_CALLBACKS];
    int n_callbacks;
    /* the training graph: logits of the model and a loss on labels */
    fv_graph *g;
    fv_node *x, *y, *logits, *loss;
    fv_node **layer_nodes;
    fv_node *class_weights;
    fv_tensor *weights_tensor;
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

/* Names of the trainer's position fields in checkpoints. */
#define FV_POS_LR_FACTOR "lr_factor"
#define FV_POS_TRAIN_PASSES "train_passes"

#endif
