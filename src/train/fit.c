/* The fit loop: epochs of shuffled mini-batches through forward, backward and an optimizer step, with
 * running metrics on the progress display, validation at each epoch's end, the CSV history, callbacks, and a
 * clear stop naming the layer where a NaN or infinity first appeared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea/model.h"
#include "fovea/ops.h"
#include "trainer_internal.h"

#define SHUFFLE_STREAM 0x5348554646ull /* "SHUFF": the shuffling's own stream of the generator */

fv_fit_config fv_fit_defaults(void)
{
    fv_fit_config c;
    memset(&c, 0, sizeof c);
    c.epochs = 1;
    c.batch_size = 32;
    c.shuffle = true;
    c.seed = 1;
    c.optim = fv_optim_defaults(FV_OPT_ADAM);
    c.schedule.kind = FV_SCHED_CONSTANT;
    c.verbose = FV_VERBOSE_AUTO;
    return c;
}

/* Part of a source (samples [first, first + count)), for the validation split. */
typedef struct {
    const fv_data_source *base;
    int64_t first;
    int64_t *scratch; /* room for one batch of shifted indices */
} range_data;

static fv_status range_fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    range_data *r = data;
    for (int i = 0; i < n; i++) r->scratch[i] = idx[i] + r->first;
    return r->base->fetch(r->base->data, epoch, r->scratch, n, x, y);
}

static fv_status range_fetch_io(void *data, int epoch, const int64_t *idx, int n, fv_tensor *const *xs, int n_inputs,
                                fv_tensor *y)
{
    range_data *r = data;
    for (int i = 0; i < n; i++) r->scratch[i] = idx[i] + r->first;
    return r->base->fetch_io(r->base->data, epoch, r->scratch, n, xs, n_inputs, y);
}

/* The prefetch hook copies the indices before returning, so the scratch can be shared with fetch. */
static fv_status range_prefetch(void *data, int epoch, const int64_t *idx, int n)
{
    range_data *r = data;
    for (int i = 0; i < n; i++) r->scratch[i] = idx[i] + r->first;
    return r->base->prefetch(r->base->data, epoch, r->scratch, n);
}

static fv_data_source make_range(range_data *r, const fv_data_source *base, int64_t first, int64_t count, int batch)
{
    r->base = base;
    r->first = first;
    r->scratch = malloc((size_t)(batch > 0 ? batch : 1) * sizeof *r->scratch);
    fv_data_source s = {count, r->scratch && base->fetch ? range_fetch : NULL, r, base->prefetch ? range_prefetch : NULL,
                        r->scratch && base->fetch_io ? range_fetch_io : NULL};
    return s;
}

/* ---- the trainer ----------------------------------------------------------------------------------- */

/* What the task sees of output k: a final softmax's or sigmoid's input when the task takes logits (a Keras
 * model ending in softmax trains on its input: the loss applies it). */
static fv_node *task_view(const fv_trainer *t, int k, fv_node *out)
{
    const char *type = fv_model_layer_type(t->model, fv_model_output_layer(t->model, k));
    bool squashes = strcmp(type, "softmax") == 0 || strcmp(type, "sigmoid") == 0;
    return t->task->logits && squashes ? fv_node_input(out, 0) : out;
}

/* The task's words on a model that does not fit it, led by the model's name. */
static fv_status task_error(fv_trainer *t, fv_status s)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", fv_errmsg(t->ctx));
    return fv_error(t->ctx, s, "model '%s': %s", fv_model_name(t->model), msg);
}

static fv_status build_graph(fv_trainer *t)
{
    fv_model *m = t->model;
    int64_t batch = t->cfg.batch_size;
    fv_node *outs[FV_MODEL_MAX_IO];
    t->n_inputs = fv_model_input_count(m), t->n_outputs = fv_model_output_count(m);
    t->g = fv_model_build_io(m, batch, t->inputs, outs, &t->layer_nodes);
    if (!t->g) return fv_errcode(t->ctx);
    for (int k = 0; k < t->n_outputs; k++) t->outputs[k] = task_view(t, k, outs[k]);
    fv_status s = t->task->target_spec(t->task, t->g, t->outputs, t->n_outputs, &t->target_dtype, &t->target_ndim,
                                       t->target_shape);
    if (s) return task_error(t, s);
    if (t->target_ndim > 0) {
        t->target_shape[0] = batch;
        t->y = fv_input(t->g, t->target_dtype == FV_I32 ? "labels" : "target", t->target_dtype, t->target_ndim,
                        t->target_shape);
        if (!t->y) return fv_errcode(t->ctx);
    }
    fv_graph_set_next_name(t->g, "loss");
    if (!(t->loss = t->task->loss(t->task, t->g, t->outputs, t->n_outputs, t->y))) return task_error(t, fv_errcode(t->ctx));
    if (fv_node_value(t->loss)->size != 1 || fv_node_value(t->loss)->dtype != FV_F32)
        return fv_error(t->ctx, FV_ERR_SHAPE, "model '%s': the task %s's loss is not a float scalar", fv_model_name(m),
                        t->task->name);
    fv_node_set_name(t->loss, "loss");
    if (t->task->metrics_reset) t->task->metrics_reset(t->task);
    return FV_OK;
}

/* Classification made from the configuration's class weights and label smoothing, when it names no task. */
static fv_status own_task(fv_trainer *t)
{
    if (t->cfg.task) {
        t->task = t->cfg.task;
        return FV_OK;
    }
    fv_task_options o = fv_task_defaults(FV_TASK_CLASSIFY);
    o.class_weights = t->cfg.class_weights, o.n_class_weights = t->cfg.class_weights ? t->cfg.n_class_weights : 0;
    o.label_smoothing = t->cfg.label_smoothing;
    t->task = fv_task_new(t->ctx, &o);
    t->owns_task = t->task != NULL;
    return t->task ? FV_OK : fv_errcode(t->ctx);
}

/* The optimizer's groups: every parameter at the configured rate, or, with lr_body, the head's first (so that
 * the logged "lr" is the head's) and the body's at lr_body. */
static fv_status add_groups(fv_trainer *t)
{
    fv_model *m = t->model;
    int np = fv_model_param_count(m), head = -1;
    if (t->cfg.lr_body > 0 && (head = fv_model_head_layer(m, t->cfg.head_layer)) < 0) return fv_errcode(t->ctx);
    fv_param **params = malloc((size_t)(np ? np : 1) * sizeof *params), *own[FV_MODEL_MAX_IO * 4];
    if (!params) return fv_error(t->ctx, FV_ERR_NOMEM, "out of memory creating a trainer");
    int n_head = head >= 0 ? fv_model_layer_params(m, head, own, FV_MODEL_MAX_IO * 4) : 0, n = 0;
    for (int i = 0; i < np; i++) {
        fv_param *p = fv_model_param(m, i);
        bool in_head = false;
        for (int k = 0; k < n_head; k++) in_head |= own[k] == p;
        if (!in_head) params[n++] = p;
    }
    fv_status s = FV_OK;
    if (n_head && fv_optim_add_group(t->opt, own, n_head, -1.0f) < 0) s = fv_errcode(t->ctx);
    if (!s && fv_optim_add_group(t->opt, params, n, n_head ? (float)t->cfg.lr_body : -1.0f) < 0) s = fv_errcode(t->ctx);
    free(params);
    return s;
}

fv_trainer *fv_trainer_new(fv_model *m, const fv_fit_config *cfg)
{
    fv_ctx *ctx = fv_model_ctx(m);
    if (!m || !cfg) return NULL;
    if (cfg->epochs < 0 || cfg->batch_size < 1 || !(cfg->validation_split >= 0 && cfg->validation_split < 1)) {
        fv_error(ctx, FV_ERR_ARG, "fit: epochs %d must be >= 0, batch size %d >= 1, validation split %g in [0, 1)",
                 cfg->epochs, cfg->batch_size, cfg->validation_split);
        return NULL;
    }
    if (fv_schedule_check(ctx, &cfg->schedule) != FV_OK) return NULL;
    fv_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory creating a trainer");
        return NULL;
    }
    t->ctx = ctx;
    t->model = m;
    t->cfg = *cfg;
    if (!t->cfg.out) t->cfg.out = stdout;
    t->epoch = cfg->initial_epoch;
    t->lr_factor = 1.0;
    if (own_task(t) != FV_OK || build_graph(t) != FV_OK) goto fail;
    if (!(t->opt = fv_optim_new(ctx, &t->cfg.optim))) goto fail;
    if (add_groups(t) != FV_OK) goto fail;
    static const fv_progress_mode modes[] = {FV_PROGRESS_AUTO, FV_PROGRESS_TTY, FV_PROGRESS_PLAIN, FV_PROGRESS_QUIET};
    if (!(t->progress = fv_progress_new(t->cfg.out, modes[t->cfg.verbose & 3]))) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory creating a trainer");
        goto fail;
    }
    return t;
fail:
    fv_trainer_free(t);
    return NULL;
}

void fv_trainer_free(fv_trainer *t)
{
    if (!t) return;
    for (int i = 0; i < t->n_callbacks; i++)
        if (t->callbacks[i]->free) t->callbacks[i]->free(t->callbacks[i]);
    fv_progress_free(t->progress);
    fv_optim_free(t->opt);
    fv_graph_free(t->g);
    if (t->owns_task) fv_task_free(t->task);
    free(t->layer_nodes);
    free(t->settings);
    free(t);
}

fv_status fv_trainer_add_callback(fv_trainer *t, fv_callback *cb)
{
    if (!cb) return t ? fv_error(t->ctx, FV_ERR_ARG, "callback is NULL") : FV_ERR_ARG;
    if (!t || t->n_callbacks == FV_MAX_CALLBACKS) {
        if (cb->free) cb->free(cb);
        return t ? fv_error(t->ctx, FV_ERR_ARG, "at most %d callbacks", FV_MAX_CALLBACKS) : FV_ERR_ARG;
    }
    t->callbacks[t->n_callbacks++] = cb;
    return FV_OK;
}

double fv_trainer_log(const fv_trainer *t, const char *name)
{
    for (int i = 0; t && name && i < t->n_logs; i++)
        if (strcmp(t->log_names[i], name) == 0) return t->log_values[i];
    return NAN;
}

fv_model *fv_trainer_model(const fv_trainer *t) { return t ? t->model : NULL; }
fv_optimizer *fv_trainer_optimizer(const fv_trainer *t) { return t ? t->opt : NULL; }
void fv_trainer_stop(fv_trainer *t)
{
    if (t) t->stop = true;
}
bool fv_trainer_stopped(const fv_trainer *t) { return t && t->stop; }
int fv_trainer_epochs_done(const fv_trainer *t) { return t ? t->epochs_done : 0; }
FILE *fv_trainer_out(const fv_trainer *t) { return t && t->cfg.verbose != FV_VERBOSE_QUIET ? t->cfg.out : NULL; }

static double schedule_factor(const fv_trainer *t, int epoch)
{
    double f = fv_schedule_factor(&t->cfg.schedule, epoch);
    return isfinite(f) ? f : 1.0;
}

double fv_trainer_lr(const fv_trainer *t)
{
    return t ? fv_optim_group_lr(t->opt, 0) : NAN;
}

void fv_trainer_set_lr(fv_trainer *t, double lr)
{
    if (!t || !(lr >= 0)) return;
    double base = t->cfg.optim.lr * schedule_factor(t, t->epoch > 0 ? t->epoch - 1 : 0);
    t->lr_factor = base > 0 ? lr / base : 1.0;
    fv_optim_set_lr_factor(t->opt, (float)(t->lr_factor * schedule_factor(t, t->epoch > 0 ? t->epoch - 1 : 0)));
}

/* ---- one epoch ------------------------------------------------------------------------------------ */

/* The order of an epoch's samples: a Fisher-Yates shuffle drawn from (seed, epoch), so that a resumed run
 * sees the same batches as an uninterrupted one. */
static void epoch_order(int64_t *order, int64_t n, bool shuffle, uint64_t seed, int epoch)
{
    for (int64_t i = 0; i < n; i++) order[i] = i;
    if (!shuffle) return;
    for (int64_t i = n - 1; i > 0; i--) {
        uint64_t r = fv_rng_bits(seed, SHUFFLE_STREAM, (uint64_t)epoch * (uint64_t)n + (uint64_t)i);
        int64_t j = (int64_t)(r % (uint64_t)(i + 1));
        int64_t tmp = order[i];
        order[i] = order[j], order[j] = tmp;
    }
}

static bool all_finite(const fv_tensor *v)
{
    if (v->dtype != FV_F32 || !v->data) return true;
    const float *p = fv_f32(v);
    for (int64_t i = 0; i < v->size; i++)
        if (!isfinite(p[i])) return false;
    return true;
}

/* Where non-finite values first appear in the forward pass: the input batch, or the first layer whose
 * output holds a NaN or an infinity; NULL when every value is finite. */
static const char *first_non_finite(fv_trainer *t, char *buf, size_t size)
{
    for (int k = 0; k < t->n_inputs; k++)
        if (!all_finite(fv_node_value(t->inputs[k]))) {
            if (t->n_inputs == 1) return "the input batch";
            snprintf(buf, size, "the batch of input '%s'", fv_model_layer_name(t->model, fv_model_input_layer(t->model, k)));
            return buf;
        }
    for (int i = 1; i < fv_model_layer_count(t->model); i++)
        if (!all_finite(fv_node_value(t->layer_nodes[i]))) {
            snprintf(buf, size, "the output of layer '%s' (%s)", fv_model_layer_name(t->model, i),
                     fv_model_layer_type(t->model, i));
            return buf;
        }
    return NULL;
}

static fv_status non_finite_loss(fv_trainer *t, double loss, int epoch, long step)
{
    char buf[160];
    const char *where = first_non_finite(t, buf, sizeof buf);
    return fv_error(t->ctx, FV_ERR_NUMERIC, "loss is %s at epoch %d, step %ld (global step %lld): the first "
                    "non-finite value is in %s", isnan(loss) ? "NaN" : "infinite", epoch + 1, step,
                    (long long)t->global_step + 1, where ? where : "the loss itself (the logits are finite)");
}

/* The optimizer refused a non-finite gradient: say when, and where the forward pass first went wrong (a NaN
 * can vanish in the forward pass, e.g. through relu, and still poison the gradients). */
static fv_status non_finite_gradient(fv_trainer *t, int epoch, long step)
{
    char buf[160], msg[400];
    const char *where = first_non_finite(t, buf, sizeof buf);
    snprintf(msg, sizeof msg, "%s", fv_errmsg(t->ctx));
    return fv_error(t->ctx, FV_ERR_NUMERIC, "epoch %d, step %ld (global step %lld): %s%s%s", epoch + 1, step,
                    (long long)t->global_step + 1, msg, where ? "; the first non-finite value is in " : "",
                    where ? where : "");
}

/* The batches of every input and of the target: full ones, and the last, partial one of an epoch. */
typedef struct {
    int n_inputs;
    fv_tensor *x[FV_MODEL_MAX_IO], *xt[FV_MODEL_MAX_IO];
    fv_tensor *y, *yt;       /* NULL when the task takes no target */
    int64_t batch;
    int64_t *order;
} batch_buffers;

static void buffers_free(batch_buffers *b)
{
    for (int k = 0; k < b->n_inputs; k++) fv_tensor_free(b->x[k]), fv_tensor_free(b->xt[k]);
    fv_tensor_free(b->y), fv_tensor_free(b->yt);
    free(b->order);
}

/* One batch of n samples of every input and of the target. */
static bool buffers_alloc(fv_trainer *t, batch_buffers *b, int64_t n, fv_tensor **x, fv_tensor **y)
{
    int64_t shape[FV_MAX_DIMS];
    for (int k = 0; k < b->n_inputs; k++) {
        int layer = fv_model_input_layer(t->model, k);
        int nd = fv_model_layer_shape(t->model, layer, shape + 1);
        shape[0] = n;
        if (!(x[k] = fv_tensor_new(t->ctx, fv_model_layer_dtype(t->model, layer), nd + 1, shape))) return false;
    }
    if (!t->y) return true;
    memcpy(shape, t->target_shape, sizeof shape);
    shape[0] = n;
    return (*y = fv_tensor_new(t->ctx, t->target_dtype, t->target_ndim, shape)) != NULL;
}

static fv_status buffers_new(fv_trainer *t, batch_buffers *b, int64_t n)
{
    memset(b, 0, sizeof *b);
    b->n_inputs = t->n_inputs;
    int64_t batch = t->cfg.batch_size < n ? t->cfg.batch_size : n, tail = n % batch;
    b->batch = batch;
    bool ok = buffers_alloc(t, b, batch, b->x, &b->y) && (!tail || buffers_alloc(t, b, tail, b->xt, &b->yt));
    b->order = malloc((size_t)(n ? n : 1) * sizeof *b->order);
    if (!ok || !b->order) {
        buffers_free(b);
        return fv_error(t->ctx, FV_ERR_NOMEM, "out of memory for batches of %lld samples", (long long)batch);
    }
    return FV_OK;
}

/* Announce batch `step` to a source that loads ahead (the loader decodes it while this step computes). */
static fv_status prefetch_batch(const fv_data_source *src, const batch_buffers *b, int64_t n, int64_t step, int epoch)
{
    int64_t batch = b->batch, first = step * batch;
    if (!src->prefetch || first >= n) return FV_OK;
    return src->prefetch(src->data, epoch, b->order + first, (int)(n - first < batch ? n - first : batch));
}

static fv_status fetch(fv_trainer *t, const fv_data_source *src, int epoch, const int64_t *idx, int k,
                       fv_tensor *const *xs, fv_tensor *y)
{
    if (src->fetch_io) return src->fetch_io(src->data, epoch, idx, k, xs, t->n_inputs, y);
    if (t->n_inputs != 1 || !src->fetch)
        return fv_error(t->ctx, FV_ERR_ARG, "model '%s' has %d inputs; the data source gives %s",
                        fv_model_name(t->model), t->n_inputs, src->fetch ? "one" : "none (no fetch)");
    return src->fetch(src->data, epoch, idx, k, xs[0], y);
}

/* Load batch `step` (0-based) of the epoch's order into the graph's inputs; returns its size or -1. */
static int load_batch(fv_trainer *t, const fv_data_source *src, batch_buffers *b, int64_t n, int64_t step, int epoch)
{
    int64_t batch = b->batch, first = step * batch;
    int k = (int)(n - first < batch ? n - first : batch);
    fv_tensor *const *xs = k == batch ? b->x : b->xt;
    fv_tensor *y = k == batch ? b->y : b->yt;
    const int64_t *idx = b->order + first;
    if (fetch(t, src, epoch, idx, k, xs, y) != FV_OK) return -1;
    if (y && t->task->check_target && t->task->check_target(t->task, t->ctx, y, k, idx) != FV_OK) return -1;
    for (int i = 0; i < t->n_inputs; i++)
        if (fv_graph_set_input(t->g, t->inputs[i], xs[i]) != FV_OK) return -1;
    if (y && fv_graph_set_input(t->g, t->y, y) != FV_OK) return -1;
    return k;
}

/* Count the batch just computed in the task's metrics. */
static fv_status count_batch(fv_trainer *t, int k)
{
    const fv_tensor *outs[FV_MODEL_MAX_IO];
    for (int i = 0; i < t->n_outputs; i++) outs[i] = fv_node_value(t->outputs[i]);
    if (!t->task->metrics_add) return FV_OK;
    return t->task->metrics_add(t->task, t->ctx, outs, t->n_outputs, t->y ? fv_node_value(t->y) : NULL, k);
}

static void task_values(fv_trainer *t, double *v, int n)
{
    for (int i = 0; i < n; i++) v[i] = NAN;
    if (t->task->metrics_values && n > 0) t->task->metrics_values(t->task, v, n);
}

static void reset_metrics(fv_trainer *t)
{
    if (t->task->metrics_reset) t->task->metrics_reset(t->task);
}

/* metrics[0] receives the loss, then the task's metrics. */
static fv_status train_epoch(fv_trainer *t, const fv_data_source *src, batch_buffers *b, int epoch, double *metrics)
{
    int64_t n = src->count, batch = b->batch, steps = (n + batch - 1) / batch;
    epoch_order(b->order, n, t->cfg.shuffle, t->cfg.seed, epoch);
    fv_graph_set_training(t->g, true);
    fv_progress_begin_epoch(t->progress, epoch + 1, t->cfg.epochs, (long)steps);
    reset_metrics(t);
    double sum_loss = 0;
    int64_t seen = 0;
    bool penalty = t->cfg.optim.l1 > 0 || t->cfg.optim.l2 > 0;
    const char *names[FV_TASK_MAX_METRICS + 1] = {"loss"};
    int shown = 1 + t->task->n_running;
    for (int i = 1; i < shown; i++) names[i] = t->task->metric_names[i - 1];
    for (int64_t s = 0; s < steps; s++) {
        int k = load_batch(t, src, b, n, s, epoch);
        if (k < 0 || prefetch_batch(src, b, n, s + 1, epoch) != FV_OK) return fv_errcode(t->ctx);
        fv_graph_zero_grad(t->g);
        fv_status st = fv_graph_forward(t->g);
        if (st) return st;
        double l = fv_f32(fv_node_value(t->loss))[0];
        if (!isfinite(l)) return non_finite_loss(t, l, epoch, (long)s + 1);
        if ((st = fv_graph_backward(t->g, t->loss)) != FV_OK) return st;
        if ((st = fv_optim_step(t->opt)) != FV_OK)
            return st == FV_ERR_NUMERIC ? non_finite_gradient(t, epoch, (long)s + 1) : st;
        t->global_step++;
        if (penalty) l += fv_optim_penalty(t->opt);
        sum_loss += l * k;
        if ((st = count_batch(t, k)) != FV_OK) return st;
        seen += k;
        double values[FV_TASK_MAX_METRICS + 1] = {sum_loss / (double)seen};
        task_values(t, values + 1, t->task->n_running);
        fv_progress_update(t->progress, (long)s + 1, names, values, shown);
    }
    metrics[0] = seen ? sum_loss / (double)seen : NAN;
    task_values(t, metrics + 1, t->task->n_metrics);
    return FV_OK;
}

/* The mean loss (the task's eval_loss_add, or the loss node's value per sample) and the task's metrics in eval
 * mode, on the training graph; metrics[0] receives the loss. */
static fv_status validate(fv_trainer *t, const fv_data_source *src, double *metrics)
{
    batch_buffers b;
    int64_t n = src->count;
    fv_status s = buffers_new(t, &b, n);
    if (s) return s;
    for (int64_t i = 0; i < n; i++) b.order[i] = i;
    fv_graph_set_training(t->g, false);
    reset_metrics(t);
    double sum = 0;
    int64_t steps = (n + b.batch - 1) / b.batch;
    for (int64_t st = 0; st < steps && !s; st++) {
        int k = load_batch(t, src, &b, n, st, -1);
        if (k < 0 || prefetch_batch(src, &b, n, st + 1, -1) != FV_OK || (s = fv_graph_forward(t->g)) != FV_OK) {
            s = fv_errcode(t->ctx) ? fv_errcode(t->ctx) : FV_ERR_ARG;
            break;
        }
        if (t->task->eval_loss_add) {
            const fv_tensor *outs[FV_MODEL_MAX_IO];
            for (int i = 0; i < t->n_outputs; i++) outs[i] = fv_node_value(t->outputs[i]);
            t->task->eval_loss_add(t->task, outs, t->n_outputs, t->y ? fv_node_value(t->y) : NULL, k, &sum);
        } else {
            sum += (double)fv_f32(fv_node_value(t->loss))[0] * k;
        }
        s = count_batch(t, k);
    }
    buffers_free(&b);
    metrics[0] = n ? sum / (double)n : NAN;
    task_values(t, metrics + 1, t->task->n_metrics);
    return s;
}

fv_status fv_trainer_evaluate(fv_trainer *t, const fv_data_source *src, double *metrics)
{
    if (!src || (!src->fetch && !src->fetch_io) || src->count < 1)
        return fv_error(t->ctx, FV_ERR_ARG, "evaluate: no samples");
    return validate(t, src, metrics);
}

static void set_log(fv_trainer *t, const char *name, double v)
{
    for (int i = 0; i < t->n_logs; i++)
        if (strcmp(t->log_names[i], name) == 0) {
            t->log_values[i] = v;
            return;
        }
    if (t->n_logs < FV_MAX_LOGS) t->log_names[t->n_logs] = name, t->log_values[t->n_logs++] = v;
}

static void print_banner(fv_trainer *t, int64_t n_train, int64_t n_val)
{
    fv_param_totals pt = fv_model_param_totals(t->model);
    int64_t act = 0;
    for (int i = 0; i < fv_graph_node_count(t->g); i++) {
        fv_node *nd = fv_graph_node(t->g, i);
        if (fv_node_param(nd)) continue;
        const fv_tensor *v = fv_node_value(nd);
        int64_t s = 1;
        for (int d = 0; d < v->ndim; d++) s *= v->shape[d];
        act += s;
    }
    int states = t->cfg.optim.kind == FV_OPT_SGD ? (t->cfg.optim.momentum > 0) : t->cfg.optim.kind == FV_OPT_ADAGRAD ? 1 : 2;
    fv_banner_info info = {pt.total, pt.trainable, pt.non_trainable,
                           (uint64_t)(pt.total + (int64_t)(pt.trainable * (1 + states))) * 4u, (uint64_t)act * 8u,
                           fv_ctx_reference_kernels(t->ctx) ? "none (reference kernels)" : fv_simd_name(), fv_ctx_threads(t->ctx), n_train, n_val, t->cfg.batch_size};
    fv_progress_banner(t->progress, &info);
}

static fv_status run_callbacks(fv_trainer *t, int which, int epoch)
{
    for (int i = 0; i < t->n_callbacks; i++) {
        fv_callback *cb = t->callbacks[i];
        fv_status s = FV_OK;
        if (which == 0 && cb->on_train_begin) s = cb->on_train_begin(cb, t);
        if (which == 1 && cb->on_epoch_end) s = cb->on_epoch_end(cb, t, epoch);
        if (which == 2 && cb->on_train_end) s = cb->on_train_end(cb, t);
        if (s) return s;
    }
    return FV_OK;
}

/* The logs of an epoch: "loss", the task's metrics, and with validation the same led by "val_". */
static int log_names(fv_trainer *t, bool val, const char **names)
{
    int n = 0, m = t->task->n_metrics;
    names[n++] = "loss";
    for (int i = 0; i < m; i++) names[n++] = t->task->metric_names[i];
    for (int i = 0; val && i <= m; i++) {
        snprintf(t->log_keys[i], sizeof t->log_keys[i], "val_%s", i ? t->task->metric_names[i - 1] : "loss");
        names[n++] = t->log_keys[i];
    }
    return n;
}

void fv_trainer_log_list(const fv_trainer *t, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < t->n_logs && used < size; i++)
        if (strcmp(t->log_names[i], "lr") != 0)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "", t->log_names[i]);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keras' CSVLogger sorts the columns by name: the logs and "lr". */
static int history_columns(fv_trainer *t, bool val, const char **names)
{
    int n = log_names(t, val, names);
    names[n++] = "lr";
    qsort(names, (size_t)n, sizeof *names, by_name);
    return n;
}

/* Opened before the first epoch, so that a file that cannot be written (or that another run holds) stops the
 * run before any training rather than after it. */
static fv_status history_open(fv_trainer *t, fv_history_writer **h, bool val)
{
    *h = NULL;
    if (!t->cfg.history_csv) return FV_OK;
    const char *names[FV_MAX_LOGS];
    int n = history_columns(t, val, names);
    *h = fv_history_open_at(t->ctx, t->cfg.history_csv, names, n, t->epoch);
    return *h ? FV_OK : fv_errcode(t->ctx);
}

/* A row that cannot be written (a full disk) costs the history, not the run: warn once and train on. */
static void history_row(fv_trainer *t, fv_history_writer **h, int epoch, bool val)
{
    if (!*h) return;
    const char *names[FV_MAX_LOGS];
    double v[FV_MAX_LOGS];
    int n = history_columns(t, val, names);
    for (int i = 0; i < n; i++) v[i] = fv_trainer_log(t, names[i]);
    if (fv_history_append(*h, epoch, v, n) == FV_OK) return;
    fprintf(stderr, "Warning: %s; training goes on, the history stops before epoch %d\n", fv_errmsg(t->ctx), epoch + 1);
    fv_history_close(*h);
    *h = NULL;
}

/* One epoch: train, validate, log, and the callbacks. */
static fv_status run_epoch(fv_trainer *t, const fv_data_source *tr, const fv_data_source *val, batch_buffers *b,
                           fv_history_writer **hist, int e)
{
    fv_optim_set_lr_factor(t->opt, (float)(t->lr_factor * schedule_factor(t, e)));
    double values[FV_MAX_LOGS];
    const char *names[FV_MAX_LOGS];
    int m = 1 + t->task->n_metrics, n = log_names(t, val->count > 0, names);
    fv_status s = train_epoch(t, tr, b, e, values);
    if (!s && val->count > 0) s = validate(t, val, values + m);
    if (s) return s;
    t->n_logs = 0;
    for (int i = 0; i < n; i++) set_log(t, names[i], values[i]);
    fv_progress_end_epoch(t->progress, t->log_names, t->log_values, t->n_logs);
    set_log(t, "lr", fv_optim_group_lr(t->opt, 0));
    t->epoch = e + 1;
    t->epochs_done = e + 1;
    history_row(t, hist, e, val->count > 0);
    return run_callbacks(t, 1, e);
}

fv_status fv_trainer_fit(fv_trainer *t, const fv_data_source *train)
{
    if (!t || !train || (!train->fetch && !train->fetch_io))
        return t ? fv_error(t->ctx, FV_ERR_ARG, "fit: no training data") : FV_ERR_ARG;
    fv_data_source tr = *train, val = {0, NULL, NULL, NULL, NULL};
    range_data rt = {0}, rv = {0};
    if (t->cfg.validation) {
        val = *t->cfg.validation;
    } else if (t->cfg.validation_split > 0) {
        int64_t split_at = (int64_t)floor((double)train->count * (1.0 - t->cfg.validation_split));
        tr = make_range(&rt, train, 0, split_at, t->cfg.batch_size);
        val = make_range(&rv, train, split_at, train->count - split_at, t->cfg.batch_size);
        if ((!tr.fetch && !tr.fetch_io) || (!val.fetch && !val.fetch_io)) {
            free(rt.scratch), free(rv.scratch);
            return fv_error(t->ctx, FV_ERR_NOMEM, "out of memory splitting off validation data");
        }
    }
    fv_status s = FV_OK;
    batch_buffers b = {0};
    fv_history_writer *hist = NULL;
    if (tr.count < 1) {
        s = fv_error(t->ctx, FV_ERR_ARG, "fit: no training samples (%lld given, validation split %g)",
                     (long long)train->count, t->cfg.validation_split);
        goto done;
    }
    if ((s = history_open(t, &hist, val.count > 0)) != FV_OK) goto done;
    if ((s = buffers_new(t, &b, tr.count)) != FV_OK) goto done;
    print_banner(t, tr.count, val.count);
    t->stop = false;
    if ((s = run_callbacks(t, 0, t->epoch)) != FV_OK) goto done;
    for (int e = t->epoch; e < t->cfg.epochs && !t->stop; e++)
        if ((s = run_epoch(t, &tr, &val, &b, &hist, e)) != FV_OK) goto done;
    s = run_callbacks(t, 2, t->epoch);
done:
    if (hist && fv_history_close(hist) != FV_OK && !s) s = fv_errcode(t->ctx);
    buffers_free(&b);
    free(rt.scratch), free(rv.scratch);
    return s;
}
