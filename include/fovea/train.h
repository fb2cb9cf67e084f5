/* Training, evaluation and prediction of a model, Keras-style: fit with epochs, mini-batches, shuffling,
 * validation, class weights, callbacks (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, user code), a
 * progress display, a CSV history, checkpoints that resume to the same result. */
#ifndef FOVEA_TRAIN_H
#define FOVEA_TRAIN_H

#include <stdio.h>

#include "model.h"
#include "optim.h"
#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where samples come from: count samples, fetched by index into preallocated batch tensors x (n, shape...)
 * and y, the target the task asks for ((n) int32 labels for classification; NULL when the task takes none).
 * epoch lets a source draw augmentation from (seed, epoch, index) reproducibly; it is -1 for validation and
 * evaluation, which are not augmented. prefetch (optional, may be NULL) announces the batch that the next
 * fetch after this one will ask for, so that a loader (fovea/loader.h) can make it on other threads while the
 * current step runs; it must not change what fetch returns. fetch_io (optional) serves models of several
 * inputs: xs[k] is the batch of the model's input k (fv_model_input_layer order); when it is set the trainer
 * calls it instead of fetch, which may then be NULL. */
typedef struct fv_data_source {
    int64_t count;
    fv_status (*fetch)(void *data, int epoch, const int64_t *indices, int n, fv_tensor *x, fv_tensor *y);
    void *data;
    fv_status (*prefetch)(void *data, int epoch, const int64_t *indices, int n);
    fv_status (*fetch_io)(void *data, int epoch, const int64_t *indices, int n, fv_tensor *const *xs, int n_inputs,
                          fv_tensor *y);
} fv_data_source;

typedef enum { FV_VERBOSE_AUTO = 0, FV_VERBOSE_BAR, FV_VERBOSE_LINES, FV_VERBOSE_QUIET } fv_verbosity;

typedef struct {
    int epochs;                /* 1 */
    int batch_size;            /* 32 as Keras; 1 is stochastic GD; >= the sample count is full-batch GD */
    bool shuffle;              /* true: a new order each epoch from (seed, epoch) */
    uint64_t seed;             /* shuffling (weights are drawn from the model's context) */
    double validation_split;   /* hold out this last fraction of the training samples (before shuffling) */
    const fv_data_source *validation; /* or a separate validation set (takes precedence) */
    fv_task *task;             /* what is trained (fovea/task.h; borrowed, not freed); NULL: classification with
                                * the class weights and label smoothing below */
    const float *class_weights;       /* per-class loss weights (PyTorch's weighted mean), or NULL */
    int n_class_weights;
    float label_smoothing;
    fv_optim_config optim;     /* Adam with PyTorch's defaults */
    double lr_body;            /* > 0: the learning rate of every layer but the head (fine-tuning a pretrained
                                * body more gently); the head (head_layer, or the last dense layer) keeps
                                * optim.lr. 0: one rate for all */
    const char *head_layer;
    fv_schedule schedule;      /* per-epoch learning-rate schedule (constant) */
    fv_verbosity verbose;
    FILE *out;                 /* progress output (stdout) */
    const char *history_csv;   /* append one row per epoch, or NULL */
    int initial_epoch;         /* 0-based epoch to start at (set by resuming) */
} fv_fit_config;

fv_fit_config fv_fit_defaults(void);

typedef struct fv_trainer fv_trainer;

/* ---- callbacks ------------------------------------------------------------------------------------- */

typedef enum { FV_MONITOR_AUTO = 0, FV_MONITOR_MIN, FV_MONITOR_MAX } fv_monitor_mode;

/* A callback: any hook may be NULL. A hook returning an error stops training with it. get/set_state let a
 * checkpoint carry the callback's counters so that a resumed run behaves as an uninterrupted one. */
typedef struct fv_callback {
    const char *name;
    fv_status (*on_train_begin)(struct fv_callback *cb, fv_trainer *t);
    fv_status (*on_epoch_end)(struct fv_callback *cb, fv_trainer *t, int epoch);
    fv_status (*on_train_end)(struct fv_callback *cb, fv_trainer *t);
    int (*get_state)(const struct fv_callback *cb, double *values, int max);
    void (*set_state)(struct fv_callback *cb, const double *values, int n);
    void (*free)(struct fv_callback *cb);
    void *user;
} fv_callback;

/* Keras' EarlyStopping: stop when monitor has not improved by more than min_delta for patience epochs;
 * restore_best_weights puts back the weights of the best epoch when it stops. */
fv_callback *fv_early_stopping(const char *monitor, double min_delta, int patience, fv_monitor_mode mode,
                               bool restore_best_weights);
/* Keras' ModelCheckpoint: save the model (with optimizer state and training position) after each epoch to
 * path_template, where {epoch} (1-based, {epoch:02d} padded) and {<log name>} ({val_loss:.4f}) are filled in;
 * save_best_only: only when monitor improved. */
fv_callback *fv_model_checkpoint(const char *path_template, const char *monitor, bool save_best_only,
                                 fv_monitor_mode mode);
/* Keras' ReduceLROnPlateau: multiply the learning rate by factor after patience epochs without an improvement
 * of more than min_delta, then wait cooldown epochs; never below min_lr. */
fv_callback *fv_reduce_lr_on_plateau(const char *monitor, double factor, int patience, double min_delta, int cooldown,
                                     double min_lr, fv_monitor_mode mode);

/* Gradual unfreezing: from epoch `epoch` (1-based) on, the named layers (a list or patterns as for
 * fv_model_freeze; NULL: every layer) train. A resumed run past that epoch has them unfrozen from its start. */
fv_callback *fv_unfreeze_at(int epoch, const char *layers);

/* ---- the trainer ------------------------------------------------------------------------------------ */

fv_trainer *fv_trainer_new(fv_model *m, const fv_fit_config *cfg);
void fv_trainer_free(fv_trainer *t);
/* The trainer takes ownership of cb (freed with the trainer, even on error). */
fv_status fv_trainer_add_callback(fv_trainer *t, fv_callback *cb);
/* Train on train for cfg.epochs epochs (from cfg.initial_epoch or the resumed position). */
fv_status fv_trainer_fit(fv_trainer *t, const fv_data_source *train);

/* Save the model with the optimizer's state and the training position (a checkpoint), atomically. */
fv_status fv_trainer_save(fv_trainer *t, const char *path);
/* Continue from a checkpoint: weights, optimizer state, epoch, callbacks' counters, learning-rate factor. */
fv_status fv_trainer_resume(fv_trainer *t, const char *path);
/* Text describing how the run was set up (the fovea program writes its flags, "lr=0.002\n..."), kept by every
 * checkpoint under the metadata key FV_META_TRAIN_SETTINGS, so that a resume can hold the run to the same
 * settings; copied. NULL clears it. */
fv_status fv_trainer_set_settings(fv_trainer *t, const char *text);
#define FV_META_TRAIN_SETTINGS "train.settings"

/* For callbacks: the current epoch's logs ("loss", the task's metrics such as "accuracy" or "mean_iou", the same
 * with "val_" in front, "lr"), NAN when absent; the model; the optimizer; a request to stop after this epoch. */
double fv_trainer_log(const fv_trainer *t, const char *name);
fv_model *fv_trainer_model(const fv_trainer *t);
fv_optimizer *fv_trainer_optimizer(const fv_trainer *t);
void fv_trainer_stop(fv_trainer *t);
bool fv_trainer_stopped(const fv_trainer *t);
/* Extra learning-rate factor (ReduceLROnPlateau's), on top of the schedule. */
double fv_trainer_lr(const fv_trainer *t);
void fv_trainer_set_lr(fv_trainer *t, double lr);
FILE *fv_trainer_out(const fv_trainer *t); /* NULL when quiet */
/* The epochs completed so far, and the epoch (0-based) at which training stopped early (-1 if it did not). */
int fv_trainer_epochs_done(const fv_trainer *t);

/* ---- evaluation and prediction ----------------------------------------------------------------------- */

typedef struct {
    double loss, accuracy;
    int64_t count;
    int n_classes;
    int64_t *confusion; /* n_classes x n_classes, rows true class, columns predicted; malloc'd */
    int64_t nonfinite;       /* samples whose outputs hold a NaN or an infinity: their predictions mean nothing */
    int64_t first_nonfinite; /* the first of them (its index in the data source), -1 when none */
} fv_eval_result;

/* Loss (mean softmax cross-entropy) and accuracy of the model in eval mode over a data source. */
fv_status fv_evaluate(fv_model *m, const fv_data_source *data, int batch_size, fv_eval_result *out);
void fv_eval_result_free(fv_eval_result *r);

/* Any task's loss and metrics over a data source, in eval mode: names[i] = values[i] for i < *n (at most
 * FV_TASK_MAX_METRICS + 1: "loss" first, then the task's metrics); count gets the samples seen. */
typedef struct {
    int n;
    const char *names[FV_TASK_MAX_METRICS + 1];
    double values[FV_TASK_MAX_METRICS + 1];
    int64_t count;
} fv_task_result;
fv_status fv_evaluate_task(fv_model *m, fv_task *task, const fv_data_source *data, int batch_size,
                           fv_task_result *out);

/* Class probabilities (n, classes) for a batch x (n, shape...) in eval mode. */
fv_tensor *fv_predict(fv_model *m, const fv_tensor *x);

#ifdef __cplusplus
}
#endif
#endif
