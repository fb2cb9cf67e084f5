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
    fv_data_source s = {count, r->scratch ? range_fetch : NULL, r, base->prefetch ? range_prefetch : NULL};
    return s;
}

/* ---- the trainer ----------------------------------------------------------------------------------- */

static fv_status build_graph(fv_trainer *t)
{
    fv_model *m = t->model;
    int64_t batch = t->cfg.batch_size;
    fv_node *out;
    t->g = fv_model_build(m, batch, &t->x, &out, &t->layer_nodes);
    if (!t->g) return fv_errcode(t->ctx);
    int last = fv_model_layer_count(m) - 1;
    /* A model ending in softmax (as Keras models often do) trains on the softmax's input: the loss applies it. */
    t->logits = strcmp(fv_model_layer_type(m, last), "softmax") == 0 ? fv_node_input(out, 0) : out;
    if (fv_node_value(t->logits)->ndim != 2)
        return fv_error(t->ctx, FV_ERR_SHAPE, "model '%s': the last layer '%s' gives %d-D outputs; classification "
                        "needs (batch, classes) logits", fv_model_name(m), fv_model_layer_name(m, last),
                        fv_node_value(t->logits)->ndim);
    int64_t k = fv_node_value(t->logits)->shape[1];
    t->y = fv_input(t->g, "labels", FV_I32, 1, &batch);
    if (t->cfg.class_weights) {
        if (t->cfg.n_class_weights != k)
            return fv_error(t->ctx, FV_ERR_ARG, "%d class weights given for a model with %lld classes",
                            t->cfg.n_class_weights, (long long)k);
        t->weights_tensor = fv_tensor_from(t->ctx, FV_F32, 1, &k, t->cfg.class_weights);
        if (!t->weights_tensor || !(t->class_weights = fv_constant(t->g, t->weights_tensor))) return fv_errcode(t->ctx);
    }
    fv_graph_set_next_name(t->g, "loss");
    t->loss = fv_cross_entropy(t->g, t->logits, t->y, t->class_weights, t->cfg.label_smoothing);
    return t->loss ? FV_OK : fv_errcode(t->ctx);
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
    if (build_graph(t) != FV_OK) goto fail;
    if (!(t->opt = fv_optim_new(ctx, &t->cfg.optim))) goto fail;
    int np = fv_model_param_count(m);
    fv_param **params = malloc((size_t)(np ? np : 1) * sizeof *params);
    if (!params) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory creating a trainer");
        goto fail;
    }
    for (int i = 0; i < np; i++) params[i] = fv_model_param(m, i);
    int grp = fv_optim_add_group(t->opt, params, np, -1.0f);
    free(params);
    if (grp < 0) goto fail;
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
    fv_tensor_free(t->weights_tensor);
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

static int64_t count_correct(const fv_tensor *logits, const fv_tensor *labels)
{
    int64_t n = logits->shape[0], k = logits->shape[1], correct = 0;
    const float *z = fv_f32(logits);
    const int32_t *y = fv_i32(labels);
    for (int64_t i = 0; i < n; i++) {
        int64_t best = 0;
        for (int64_t c = 1; c < k; c++)
            if (z[i * k + c] > z[i * k + best]) best = c;
        correct += best == y[i];
    }
    return correct;
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
    if (!all_finite(fv_node_value(t->x))) return "the input batch";
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

typedef struct {
    fv_tensor *x, *y;        /* full batches */
    fv_tensor *xt, *yt;      /* the last, partial batch */
    int64_t *order;
} batch_buffers;

static void buffers_free(batch_buffers *b)
{
    fv_tensor_free(b->x), fv_tensor_free(b->y), fv_tensor_free(b->xt), fv_tensor_free(b->yt);
    free(b->order);
}

static fv_status buffers_new(fv_trainer *t, batch_buffers *b, int64_t n)
{
    memset(b, 0, sizeof *b);
    int64_t shape[FV_MAX_DIMS];
    int nd = fv_model_input_shape(t->model, shape + 1);
    int64_t batch = t->cfg.batch_size < n ? t->cfg.batch_size : n, tail = n % batch;
    shape[0] = batch;
    b->x = fv_tensor_new(t->ctx, FV_F32, nd + 1, shape);
    b->y = fv_tensor_new(t->ctx, FV_I32, 1, shape);
    if (tail) {
        shape[0] = tail;
        b->xt = fv_tensor_new(t->ctx, FV_F32, nd + 1, shape);
        b->yt = fv_tensor_new(t->ctx, FV_I32, 1, shape);
    }
    b->order = malloc((size_t)(n ? n : 1) * sizeof *b->order);
    if (!b->x || !b->y || (tail && (!b->xt || !b->yt)) || !b->order) {
        buffers_free(b);
        return fv_error(t->ctx, FV_ERR_NOMEM, "out of memory for batches of %lld samples", (long long)batch);
    }
    return FV_OK;
}

/* Announce batch `step` to a source that loads ahead (the loader decodes it while this step computes). */
static fv_status prefetch_batch(const fv_data_source *src, const batch_buffers *b, int64_t n, int64_t step, int epoch)
{
    int64_t batch = b->x->shape[0], first = step * batch;
    if (!src->prefetch || first >= n) return FV_OK;
    return src->prefetch(src->data, epoch, b->order + first, (int)(n - first < batch ? n - first : batch));
}

/* Load batch `step` (0-based) of the epoch's order into the graph's inputs; returns its size or -1. */
static int load_batch(fv_trainer *t, const fv_data_source *src, batch_buffers *b, int64_t n, int64_t step, int epoch)
{
    int64_t batch = b->x->shape[0], first = step * batch;
    int k = (int)(n - first < batch ? n - first : batch);
    fv_tensor *x = k == batch ? b->x : b->xt, *y = k == batch ? b->y : b->yt;
    if (src->fetch(src->data, epoch, b->order + first, k, x, y) != FV_OK) return -1;
    int64_t classes = fv_node_value(t->logits)->shape[1];
    for (int i = 0; i < k; i++)
        if (fv_i32(y)[i] < 0 || fv_i32(y)[i] >= classes) {
            fv_error(t->ctx, FV_ERR_ARG, "label %d of sample %lld is outside the model's %lld classes", fv_i32(y)[i],
                     (long long)b->order[first + i], (long long)classes);
            return -1;
        }
    if (fv_graph_set_input(t->g, t->x, x) != FV_OK || fv_graph_set_input(t->g, t->y, y) != FV_OK) return -1;
    return k;
}

static fv_status train_epoch(fv_trainer *t, const fv_data_source *src, batch_buffers *b, int epoch, double *loss,
                             double *accuracy)
{
    int64_t n = src->count, batch = b->x->shape[0], steps = (n + batch - 1) / batch;
    epoch_order(b->order, n, t->cfg.shuffle, t->cfg.seed, epoch);
    fv_graph_set_training(t->g, true);
    fv_progress_begin_epoch(t->progress, epoch + 1, t->cfg.epochs, (long)steps);
    double sum_loss = 0;
    int64_t seen = 0, correct = 0;
    bool penalty = t->cfg.optim.l1 > 0 || t->cfg.optim.l2 > 0;
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
        correct += count_correct(fv_node_value(t->logits), fv_node_value(t->y));
        seen += k;
        const char *names[2] = {"loss", "accuracy"};
        double values[2] = {sum_loss / (double)seen, (double)correct / (double)seen};
        fv_progress_update(t->progress, (long)s + 1, names, values, 2);
    }
    *loss = seen ? sum_loss / (double)seen : NAN;
    *accuracy = seen ? (double)correct / (double)seen : NAN;
    return FV_OK;
}

/* Mean loss (without class weights) and accuracy in eval mode, on the training graph. */
static fv_status validate(fv_trainer *t, const fv_data_source *src, double *loss, double *accuracy)
{
    batch_buffers b;
    int64_t n = src->count;
    fv_status s = buffers_new(t, &b, n);
    if (s) return s;
    for (int64_t i = 0; i < n; i++) b.order[i] = i;
    fv_graph_set_training(t->g, false);
    double sum = 0;
    int64_t correct = 0;
    int64_t steps = (n + b.x->shape[0] - 1) / b.x->shape[0];
    for (int64_t st = 0; st < steps && !s; st++) {
        int k = load_batch(t, src, &b, n, st, -1);
        if (k < 0 || prefetch_batch(src, &b, n, st + 1, -1) != FV_OK || (s = fv_graph_forward(t->g)) != FV_OK) {
            s = fv_errcode(t->ctx) ? fv_errcode(t->ctx) : FV_ERR_ARG;
            break;
        }
        /* the training loss node may carry class weights: recompute the plain mean from the logits */
        const fv_tensor *z = fv_node_value(t->logits);
        const int32_t *y = fv_i32(fv_node_value(t->y));
        int64_t kk = z->shape[1];
        for (int i = 0; i < k; i++) {
            const float *row = fv_f32(z) + (int64_t)i * kk;
            double mx = row[0], se = 0;
            for (int64_t c = 1; c < kk; c++) mx = row[c] > mx ? row[c] : mx;
            for (int64_t c = 0; c < kk; c++) se += exp(row[c] - mx);
            sum += mx + log(se) - row[y[i]];
        }
        correct += count_correct(z, fv_node_value(t->y));
    }
    buffers_free(&b);
    *loss = n ? sum / (double)n : NAN;
    *accuracy = n ? (double)correct / (double)n : NAN;
    return s;
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

/* Keras' CSVLogger sorts the columns by name. */
static const char *const history_with_val[] = {"accuracy", "loss", "lr", "val_accuracy", "val_loss"};
static const char *const history_names[] = {"accuracy", "loss", "lr"};

/* Opened before the first epoch, so that a file that cannot be written (or that another run holds) stops the
 * run before any training rather than after it. */
static fv_status history_open(fv_trainer *t, fv_history_writer **h, bool val)
{
    *h = NULL;
    if (!t->cfg.history_csv) return FV_OK;
    *h = fv_history_open_at(t->ctx, t->cfg.history_csv, val ? history_with_val : history_names, val ? 5 : 3, t->epoch);
    return *h ? FV_OK : fv_errcode(t->ctx);
}

/* A row that cannot be written (a full disk) costs the history, not the run: warn once and train on. */
static void history_row(fv_trainer *t, fv_history_writer **h, int epoch, bool val)
{
    if (!*h) return;
    int n = val ? 5 : 3;
    double v[5];
    for (int i = 0; i < n; i++) v[i] = fv_trainer_log(t, (val ? history_with_val : history_names)[i]);
    if (fv_history_append(*h, epoch, v, n) == FV_OK) return;
    fprintf(stderr, "Warning: %s; training goes on, the history stops before epoch %d\n", fv_errmsg(t->ctx), epoch + 1);
    fv_history_close(*h);
    *h = NULL;
}

fv_status fv_trainer_fit(fv_trainer *t, const fv_data_source *train)
{
    if (!t || !train || !train->fetch) return t ? fv_error(t->ctx, FV_ERR_ARG, "fit: no training data") : FV_ERR_ARG;
    fv_data_source tr = *train, val = {0, NULL, NULL, NULL};
    range_data rt = {0}, rv = {0};
    if (t->cfg.validation) {
        val = *t->cfg.validation;
    } else if (t->cfg.validation_split > 0) {
        int64_t split_at = (int64_t)floor((double)train->count * (1.0 - t->cfg.validation_split));
        tr = make_range(&rt, train, 0, split_at, t->cfg.batch_size);
        val = make_range(&rv, train, split_at, train->count - split_at, t->cfg.batch_size);
        if (!tr.fetch || !val.fetch) {
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
    for (int e = t->epoch; e < t->cfg.epochs && !t->stop; e++) {
        fv_optim_set_lr_factor(t->opt, (float)(t->lr_factor * schedule_factor(t, e)));
        double loss = NAN, acc = NAN, vloss = NAN, vacc = NAN;
        if ((s = train_epoch(t, &tr, &b, e, &loss, &acc)) != FV_OK) goto done;
        if (val.count > 0 && (s = validate(t, &val, &vloss, &vacc)) != FV_OK) goto done;
        t->n_logs = 0;
        set_log(t, "loss", loss);
        set_log(t, "accuracy", acc);
        if (val.count > 0) set_log(t, "val_loss", vloss), set_log(t, "val_accuracy", vacc);
        fv_progress_end_epoch(t->progress, t->log_names, t->log_values, t->n_logs);
        set_log(t, "lr", fv_optim_group_lr(t->opt, 0));
        t->epoch = e + 1;
        t->epochs_done = e + 1;
        history_row(t, &hist, e, val.count > 0);
        if ((s = run_callbacks(t, 1, e)) != FV_OK) goto done;
    }
    s = run_callbacks(t, 2, t->epoch);
done:
    if (hist && fv_history_close(hist) != FV_OK && !s) s = fv_errcode(t->ctx);
    buffers_free(&b);
    free(rt.scratch), free(rv.scratch);
    return s;
}
