/* Keras' callbacks with Keras' semantics: EarlyStopping, ModelCheckpoint and ReduceLROnPlateau. Each keeps
 * its counters in get/set_state so that a checkpoint resumes them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea/model.h"
#include "trainer_internal.h"

typedef struct {
    fv_callback cb;
    char monitor[64];
    fv_monitor_mode mode;
    double min_delta, best;
    int patience, wait, best_epoch, stopped_epoch;
    /* EarlyStopping */
    bool restore;
    float **best_weights;
    int n_weights;
    /* ModelCheckpoint */
    char path[1024];
    bool best_only;
    /* ReduceLROnPlateau */
    double factor, min_lr;
    int cooldown, cooldown_counter;
} monitor_cb;

/* Keras' "auto": maximize accuracies and AUC, and the tasks' other scores where higher is better (precision,
 * recall, F1, IoU, Dice, R^2, the distance between different identities); minimize anything else (losses,
 * errors, the distance within an identity). */
static bool maximizing(const monitor_cb *m)
{
    static const char *const higher[] = {"acc", "auc", "precision", "recall", "f1", "iou", "dice", "r2",
                                         "neg_distance"};
    if (m->mode != FV_MONITOR_AUTO) return m->mode == FV_MONITOR_MAX;
    if (strstr(m->monitor, "loss")) return false;
    for (size_t i = 0; i < sizeof higher / sizeof *higher; i++)
        if (strstr(m->monitor, higher[i])) return true;
    return false;
}

/* current better than best by more than delta. */
static bool improved(const monitor_cb *m, double current, double best, double delta)
{
    return maximizing(m) ? current - delta > best : current + delta < best;
}

static double monitored(monitor_cb *m, fv_trainer *t, bool *ok)
{
    double v = fv_trainer_log(t, m->monitor);
    *ok = !isnan(v);
    if (!*ok && fv_trainer_out(t)) {
        char names[512];
        fv_trainer_log_list(t, names, sizeof names);
        fprintf(fv_trainer_out(t), "Warning: %s conditioned on metric '%s' which is not available. Available "
                "metrics are: %s\n", m->cb.name, m->monitor, names);
    }
    return v;
}

static monitor_cb *monitor_new(const char *name, const char *monitor, fv_monitor_mode mode)
{
    monitor_cb *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cb.name = name;
    m->cb.user = m;
    snprintf(m->monitor, sizeof m->monitor, "%s", monitor && *monitor ? monitor : "val_loss");
    m->mode = mode;
    m->best = maximizing(m) ? -INFINITY : INFINITY;
    m->stopped_epoch = -1;
    return m;
}

static void free_weights(monitor_cb *m)
{
    for (int i = 0; i < m->n_weights; i++) free(m->best_weights[i]);
    free(m->best_weights);
    m->best_weights = NULL;
    m->n_weights = 0;
}

static void monitor_free(fv_callback *cb)
{
    monitor_cb *m = cb->user;
    free_weights(m);
    free(m);
}

static int monitor_get_state(const fv_callback *cb, double *v, int max)
{
    const monitor_cb *m = cb->user;
    double s[5] = {m->best, m->wait, m->best_epoch, m->cooldown_counter, m->stopped_epoch};
    for (int i = 0; i < 5 && i < max; i++) v[i] = s[i];
    return 5;
}

/* The counters are epochs or counts of epochs: integers from -1 (stopped_epoch before a stop) up. */
#define MONITOR_MAX_COUNT 1e9

int fv_callback_state_check(const fv_callback *cb, const double *v, int n, const char **field, const char **want)
{
    static const char *const names[5] = {"best", "wait", "best_epoch", "cooldown_counter", "stopped_epoch"};
    if (cb->get_state != monitor_get_state) return -1; /* another's callback: its values are its own business */
    for (int i = 0; i < n && i < 5; i++) {
        bool ok = i == 0 ? !isnan(v[i]) : v[i] >= -1 && v[i] <= MONITOR_MAX_COUNT && v[i] == floor(v[i]);
        if (!ok) {
            *field = names[i];
            *want = i == 0 ? "a number (not NaN)" : "an integer from -1 to 1e9";
            return i;
        }
    }
    return -1;
}

static void monitor_set_state(fv_callback *cb, const double *v, int n)
{
    monitor_cb *m = cb->user;
    if (n < 5) return;
    m->best = v[0], m->wait = (int)v[1], m->best_epoch = (int)v[2], m->cooldown_counter = (int)v[3];
    m->stopped_epoch = (int)v[4];
}

/* ---- EarlyStopping ---------------------------------------------------------------------------------- */

static fv_status snapshot(monitor_cb *m, fv_model *model)
{
    int n = fv_model_param_count(model);
    if (!m->best_weights) {
        if (!(m->best_weights = calloc((size_t)(n ? n : 1), sizeof *m->best_weights)))
            return fv_error(fv_model_ctx(model), FV_ERR_NOMEM, "EarlyStopping: out of memory keeping the best weights");
        m->n_weights = n;
        for (int i = 0; i < n; i++)
            if (!(m->best_weights[i] = malloc((size_t)fv_model_param(model, i)->value.size * sizeof(float))))
                return fv_error(fv_model_ctx(model), FV_ERR_NOMEM, "EarlyStopping: out of memory keeping the best weights");
    }
    for (int i = 0; i < n; i++) {
        fv_param *p = fv_model_param(model, i);
        memcpy(m->best_weights[i], p->value.data, (size_t)p->value.size * sizeof(float));
    }
    return FV_OK;
}

static void restore(monitor_cb *m, fv_model *model)
{
    for (int i = 0; i < m->n_weights; i++) {
        fv_param *p = fv_model_param(model, i);
        memcpy(p->value.data, m->best_weights[i], (size_t)p->value.size * sizeof(float));
    }
}

static fv_status early_epoch_end(fv_callback *cb, fv_trainer *t, int epoch)
{
    monitor_cb *m = cb->user;
    bool ok;
    double current = monitored(m, t, &ok);
    if (!ok) return FV_OK;
    fv_status s;
    if (m->restore && !m->best_weights && (s = snapshot(m, fv_trainer_model(t))) != FV_OK) return s;
    m->wait++;
    if (improved(m, current, m->best, m->min_delta)) {
        m->best = current;
        m->best_epoch = epoch;
        m->wait = 0;
        if (m->restore && (s = snapshot(m, fv_trainer_model(t))) != FV_OK) return s;
        return FV_OK;
    }
    if (m->wait >= m->patience && epoch > 0) {
        m->stopped_epoch = epoch;
        fv_trainer_stop(t);
        FILE *out = fv_trainer_out(t);
        if (m->restore && m->best_weights) {
            if (out) fprintf(out, "Restoring model weights from the end of the best epoch: %d.\n", m->best_epoch + 1);
            restore(m, fv_trainer_model(t));
        }
        if (out) fprintf(out, "Epoch %d: early stopping\n", epoch + 1);
    }
    return FV_OK;
}

fv_callback *fv_early_stopping(const char *monitor, double min_delta, int patience, fv_monitor_mode mode,
                               bool restore_best_weights)
{
    monitor_cb *m = monitor_new("EarlyStopping", monitor, mode);
    if (!m) return NULL;
    m->min_delta = fabs(min_delta);
    m->patience = patience < 0 ? 0 : patience;
    m->restore = restore_best_weights;
    m->cb.on_epoch_end = early_epoch_end;
    m->cb.get_state = monitor_get_state;
    m->cb.set_state = monitor_set_state;
    m->cb.free = monitor_free;
    return &m->cb;
}

/* ---- ModelCheckpoint -------------------------------------------------------------------------------- */

/* Fill {epoch}, {epoch:02d}, {name} and {name:.4f} from the logs, as Keras formats its file paths. */
static fv_status fill_template(fv_trainer *t, const char *tmpl, int epoch, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = tmpl; *p;) {
        if (*p != '{') {
            if (o + 1 >= size) goto long_path;
            out[o++] = *p++;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close || close - p > 96)
            return fv_error(fv_model_ctx(fv_trainer_model(t)), FV_ERR_ARG, "checkpoint path '%s': unclosed '{'", tmpl);
        char field[100], spec[100] = "";
        memcpy(field, p + 1, (size_t)(close - p - 1));
        field[close - p - 1] = '\0';
        char *colon = strchr(field, ':');
        if (colon) snprintf(spec, sizeof spec, "%%%s", colon + 1), *colon = '\0';
        char value[128];
        if (strcmp(field, "epoch") == 0) {
            if (!*spec || !strchr("diu", spec[strlen(spec) - 1]) || strspn(spec + 1, "0123456789") != strlen(spec) - 2)
                snprintf(spec, sizeof spec, "%%d");
            snprintf(value, sizeof value, spec, epoch + 1);
        } else {
            double v = fv_trainer_log(t, field);
            if (isnan(v))
                return fv_error(fv_model_ctx(fv_trainer_model(t)), FV_ERR_ARG,
                                "checkpoint path '%s': no metric '%s' in this epoch's logs", tmpl, field);
            if (!*spec || !strchr("fgeFGE", spec[strlen(spec) - 1]) || strspn(spec + 1, "0123456789.") != strlen(spec) - 2)
                snprintf(spec, sizeof spec, "%%g");
            snprintf(value, sizeof value, spec, v);
        }
        size_t n = strlen(value);
        if (o + n >= size) goto long_path;
        memcpy(out + o, value, n);
        o += n;
        p = close + 1;
    }
    out[o] = '\0';
    return FV_OK;
long_path:
    return fv_error(fv_model_ctx(fv_trainer_model(t)), FV_ERR_ARG, "checkpoint path from '%s' is too long", tmpl);
}

static fv_status checkpoint_epoch_end(fv_callback *cb, fv_trainer *t, int epoch)
{
    monitor_cb *m = cb->user;
    char path[1200];
    fv_status s = fill_template(t, m->path, epoch, path, sizeof path);
    if (s) return s;
    FILE *out = fv_trainer_out(t);
    if (m->best_only) {
        bool ok;
        double current = monitored(m, t, &ok);
        if (!ok) return FV_OK;
        if (!improved(m, current, m->best, 0)) {
            if (out) fprintf(out, "Epoch %d: %s did not improve from %.5f\n", epoch + 1, m->monitor, m->best);
            return FV_OK;
        }
        if (out) fprintf(out, "Epoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch + 1, m->monitor,
                         m->best, current, path);
        m->best = current;
        m->best_epoch = epoch;
    } else if (out) {
        fprintf(out, "Epoch %d: saving model to %s\n", epoch + 1, path);
    }
    /* A checkpoint that cannot be written (a full disk) costs that checkpoint, not the run: the final save, with
     * its own fallback, is what a finished run must not lose. */
    s = fv_trainer_save(t, path);
    if (s != FV_ERR_IO) return s;
    fprintf(stderr, "Warning: epoch %d's checkpoint was not saved: %s; training goes on\n", epoch + 1,
            fv_errmsg(fv_model_ctx(fv_trainer_model(t))));
    return FV_OK;
}

fv_callback *fv_model_checkpoint(const char *path_template, const char *monitor, bool save_best_only,
                                 fv_monitor_mode mode)
{
    if (!path_template || strlen(path_template) >= sizeof((monitor_cb *)0)->path) return NULL;
    monitor_cb *m = monitor_new("ModelCheckpoint", monitor, mode);
    if (!m) return NULL;
    snprintf(m->path, sizeof m->path, "%s", path_template);
    m->best_only = save_best_only;
    m->cb.on_epoch_end = checkpoint_epoch_end;
    m->cb.get_state = monitor_get_state;
    m->cb.set_state = monitor_set_state;
    m->cb.free = monitor_free;
    return &m->cb;
}

/* ---- ReduceLROnPlateau ------------------------------------------------------------------------------ */

static fv_status plateau_epoch_end(fv_callback *cb, fv_trainer *t, int epoch)
{
    monitor_cb *m = cb->user;
    bool ok;
    double current = monitored(m, t, &ok);
    if (!ok) return FV_OK;
    if (m->cooldown_counter > 0) {
        m->cooldown_counter--;
        m->wait = 0;
    }
    if (improved(m, current, m->best, m->min_delta)) {
        m->best = current;
        m->wait = 0;
    } else if (m->cooldown_counter <= 0) {
        m->wait++;
        if (m->wait >= m->patience) {
            double old_lr = fv_trainer_lr(t);
            if (old_lr > (float)m->min_lr) {
                double lr = old_lr * m->factor;
                if (lr < m->min_lr) lr = m->min_lr;
                fv_trainer_set_lr(t, lr);
                if (fv_trainer_out(t))
                    fprintf(fv_trainer_out(t), "Epoch %d: ReduceLROnPlateau reducing learning rate to %g.\n",
                            epoch + 1, (double)(float)lr);
                m->cooldown_counter = m->cooldown;
                m->wait = 0;
            }
        }
    }
    return FV_OK;
}

fv_callback *fv_reduce_lr_on_plateau(const char *monitor, double factor, int patience, double min_delta, int cooldown,
                                     double min_lr, fv_monitor_mode mode)
{
    if (!(factor > 0 && factor < 1)) return NULL; /* Keras refuses factor >= 1 */
    monitor_cb *m = monitor_new("ReduceLROnPlateau", monitor, mode);
    if (!m) return NULL;
    m->factor = factor;
    m->patience = patience < 0 ? 0 : patience;
    m->min_delta = fabs(min_delta);
    m->cooldown = cooldown < 0 ? 0 : cooldown;
    m->min_lr = min_lr < 0 ? 0 : min_lr;
    m->cb.on_epoch_end = plateau_epoch_end;
    m->cb.get_state = monitor_get_state;
    m->cb.set_state = monitor_set_state;
    m->cb.free = monitor_free;
    return &m->cb;
}

/* ---- gradual unfreezing ------------------------------------------------------------------------------- */

typedef struct {
    fv_callback cb;
    int epoch;        /* 1-based: the first epoch that trains the layers */
    char layers[1024];
    bool done;
} unfreeze_cb;

static fv_status unfreeze_now(unfreeze_cb *u, fv_trainer *t)
{
    int n = 0;
    fv_status s = fv_model_unfreeze(fv_trainer_model(t), u->layers[0] ? u->layers : NULL, &n);
    if (s) return s;
    u->done = true;
    if (fv_trainer_out(t))
        fprintf(fv_trainer_out(t), "Epoch %d on: %d layers unfrozen (%s)\n", u->epoch, n, u->layers[0] ? u->layers : "all");
    return FV_OK;
}

/* A run resumed at or past the epoch trains the layers from its start. */
static fv_status unfreeze_begin(fv_callback *cb, fv_trainer *t)
{
    unfreeze_cb *u = cb->user;
    return !u->done && fv_trainer_epochs_done(t) + 1 >= u->epoch ? unfreeze_now(u, t) : FV_OK;
}

static fv_status unfreeze_epoch_end(fv_callback *cb, fv_trainer *t, int epoch)
{
    unfreeze_cb *u = cb->user;
    return !u->done && epoch + 2 >= u->epoch ? unfreeze_now(u, t) : FV_OK; /* epoch + 2: the next one, 1-based */
}

static void unfreeze_free(fv_callback *cb) { free(cb->user); }

fv_callback *fv_unfreeze_at(int epoch, const char *layers)
{
    if (epoch < 1 || (layers && strlen(layers) >= sizeof((unfreeze_cb *)0)->layers)) return NULL;
    unfreeze_cb *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->cb.name = "UnfreezeAt";
    u->cb.user = u;
    u->cb.on_train_begin = unfreeze_begin;
    u->cb.on_epoch_end = unfreeze_epoch_end;
    u->cb.free = unfreeze_free;
    u->epoch = epoch;
    snprintf(u->layers, sizeof u->layers, "%s", layers ? layers : "");
    return &u->cb;
}
