/* The built-in tasks' state, shared by their construction (task.c), their losses (task_loss.c) and their
 * metrics (task_metrics.c). */
#ifndef FV_TASK_INTERNAL_H
#define FV_TASK_INTERNAL_H

#include "../core/internal.h"
#include "fovea/metrics.h"
#include "fovea/task.h"

/* The three forms of an embedding task, by the model's output count. */
enum { FV_EMBED_MINED = 1, FV_EMBED_PAIRS = 2, FV_EMBED_TRIPLETS = 3 };

typedef struct {
    fv_task base; /* first: a built-in task is an fv_task */
    fv_task_options o;
    fv_ctx *ctx;
    fv_tensor *class_weights, *pos_weight; /* copies of the options' arrays, as graph constants' sources */
    int64_t classes;                       /* K, known once target_spec has seen the outputs */
    int embed_form;
    int max_boxes;                         /* detect */
    fv_detect_loss_fn detect_loss;
    void *detect_user;
    void (*detect_user_free)(void *user); /* NULL: the caller keeps the user data */
    /* metrics */
    int64_t seen, correct;                 /* classify; binary accuracy; embed's in-batch nearest neighbour */
    int64_t tp, fp, fn, tn;                /* binary */
    float *scores;                         /* binary and multi-label AUC: every score and its truth */
    uint8_t *truth;
    int64_t n_scores, cap_scores;
    fv_multilabel *ml;
    fv_regression reg;
    fv_confusion *cm;                      /* segment */
    double pos_dist, neg_dist;             /* embed pairs: summed distances */
    int64_t n_pos, n_neg;
} fv_builtin_task;

static inline fv_builtin_task *fv_builtin(fv_task *t) { return (fv_builtin_task *)t; }

/* The losses and targets of the built-in kinds (task_loss.c). */
fv_status fv_task_target_spec(fv_task *t, fv_graph *g, fv_node *const *outputs, int n_outputs, fv_dtype *dtype,
                              int *ndim, int64_t *shape);
fv_node *fv_task_builtin_loss(fv_task *t, fv_graph *g, fv_node *const *outputs, int n_outputs, fv_node *target);
fv_status fv_task_check_target(fv_task *t, fv_ctx *ctx, const fv_tensor *target, int n, const int64_t *ids);
void fv_task_classify_loss_add(fv_task *t, const fv_tensor *const *outputs, int n_outputs, const fv_tensor *target,
                               int n, double *sum);

/* The metrics of the built-in kinds (task_metrics.c): names into the task, and the hooks. */
void fv_task_metrics_setup(fv_builtin_task *b);
void fv_task_metrics_reset(fv_task *t);
fv_status fv_task_metrics_add(fv_task *t, fv_ctx *ctx, const fv_tensor *const *outputs, int n_outputs,
                              const fv_tensor *target, int n);
void fv_task_metrics_values(fv_task *t, double *values, int n);
void fv_task_metrics_free(fv_builtin_task *b);

#endif
