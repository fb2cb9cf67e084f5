/* Checkpoints: a model file that also holds the optimizer's state and the training position (epoch, steps,
 * learning-rate factor, dropout's pass count, each callback's counters), so that a resumed run ends with the
 * same weights as one that was never interrupted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea/modelfile.h"
#include "trainer_internal.h"

#define MAX_CB_STATE 16

static void cb_key(char *buf, size_t size, int i, const fv_callback *cb, int k)
{
    snprintf(buf, size, "callback.%d.%s.%d", i, cb->name ? cb->name : "user", k);
}

static fv_status put_position(fv_trainer *t, fv_modelfile *mf)
{
    fv_status s = fv_modelfile_pos_set_int(mf, FV_POS_EPOCH, t->epoch);
    if (!s) s = fv_modelfile_pos_set_int(mf, FV_POS_STEP, 0);
    if (!s) s = fv_modelfile_pos_set_int(mf, FV_POS_GLOBAL_STEP, t->global_step);
    if (!s) s = fv_modelfile_pos_set_int(mf, FV_POS_SEED, (int64_t)t->cfg.seed);
    if (!s) s = fv_modelfile_pos_set_real(mf, FV_POS_LR_FACTOR, t->lr_factor);
    if (!s) s = fv_modelfile_pos_set_int(mf, FV_POS_TRAIN_PASSES, (int64_t)fv_graph_train_passes(t->g));
    for (int i = 0; !s && i < t->n_callbacks; i++) {
        fv_callback *cb = t->callbacks[i];
        if (!cb->get_state) continue;
        double v[MAX_CB_STATE];
        int n = cb->get_state(cb, v, MAX_CB_STATE);
        for (int k = 0; !s && k < n && k < MAX_CB_STATE; k++) {
            char key[128];
            cb_key(key, sizeof key, i, cb, k);
            s = fv_modelfile_pos_set_real(mf, key, v[k]);
        }
    }
    return s;
}

fv_status fv_trainer_save(fv_trainer *t, const char *path)
{
    if (!t || !path) return FV_ERR_ARG;
    fv_modelfile *mf = fv_model_to_modelfile(t->model);
    if (!mf) return fv_errcode(t->ctx);
    void *blob = NULL;
    size_t len = 0;
    fv_status s = fv_optim_save_mem(t->opt, &blob, &len);
    if (!s) s = fv_modelfile_set_blob(mf, FV_BLOB_OPTIMIZER, blob, len);
    if (!s) s = put_position(t, mf);
    if (!s && t->settings) s = fv_modelfile_meta_set(mf, FV_META_TRAIN_SETTINGS, t->settings);
    if (!s) s = fv_modelfile_save(t->ctx, mf, path);
    free(blob);
    fv_modelfile_free(mf);
    return s;
}

fv_status fv_trainer_set_settings(fv_trainer *t, const char *text)
{
    if (!t) return FV_ERR_ARG;
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy) return fv_error(t->ctx, FV_ERR_NOMEM, "out of memory for the run's settings");
    free(t->settings);
    t->settings = copy;
    return FV_OK;
}

static fv_status get_int(fv_trainer *t, const fv_modelfile *mf, const char *path, const char *name, int64_t *v)
{
    if (fv_modelfile_pos_get_int(mf, name, v)) return FV_OK;
    return fv_error(t->ctx, FV_ERR_FORMAT, "'%s' is not a checkpoint: it has no training position '%s' (a model file "
                    "saved without training state cannot be resumed; train from it with --model instead)", path, name);
}

/* Every callback's saved values, each checked before any reaches the callback (and before anything changes). */
static fv_status read_callback_states(fv_trainer *t, const fv_modelfile *mf, const char *path,
                                      double states[][MAX_CB_STATE], int *n_states)
{
    for (int i = 0; i < t->n_callbacks; i++) {
        const fv_callback *cb = t->callbacks[i];
        if (!cb->set_state) continue;
        char key[128];
        int n = 0;
        for (; n < MAX_CB_STATE; n++) {
            cb_key(key, sizeof key, i, cb, n);
            if (!fv_modelfile_pos_get_real(mf, key, &states[i][n])) break;
        }
        n_states[i] = n;
        const char *field = "", *want = "";
        int bad = fv_callback_state_check(cb, states[i], n, &field, &want);
        if (bad >= 0) {
            cb_key(key, sizeof key, i, cb, bad);
            return fv_error(t->ctx, FV_ERR_FORMAT, "checkpoint '%s' is corrupt: %s (%s's %s) is %g, not %s", path, key,
                            cb->name ? cb->name : "callback", field, states[i][bad], want);
        }
    }
    return FV_OK;
}

fv_status fv_trainer_resume(fv_trainer *t, const char *path)
{
    if (!t || !path) return FV_ERR_ARG;
    fv_modelfile *mf = fv_modelfile_load(t->ctx, path);
    if (!mf) return fv_errcode(t->ctx);
    int64_t epoch = 0, global = 0, passes = 0, seed = 0;
    double lr_factor = 1;
    size_t len = 0;
    const void *blob = fv_modelfile_blob(mf, FV_BLOB_OPTIMIZER, &len);
    fv_status s = get_int(t, mf, path, FV_POS_EPOCH, &epoch);
    if (!s) s = get_int(t, mf, path, FV_POS_GLOBAL_STEP, &global);
    if (!s) s = get_int(t, mf, path, FV_POS_TRAIN_PASSES, &passes);
    if (!s) s = get_int(t, mf, path, FV_POS_SEED, &seed);
    if (!s && !fv_modelfile_pos_get_real(mf, FV_POS_LR_FACTOR, &lr_factor)) lr_factor = 1;
    if (!s && !blob) s = fv_error(t->ctx, FV_ERR_FORMAT, "checkpoint '%s' has no optimizer state", path);
    if (!s && (epoch < 0 || epoch > 1000000000 || global < 0 || passes < 0))
        s = fv_error(t->ctx, FV_ERR_FORMAT, "checkpoint '%s': impossible position (epoch %lld, step %lld)", path,
                     (long long)epoch, (long long)global);
    /* Callbacks only ever cut the factor; a factor past 1e6 would turn any learning rate into nonsense or infinity. */
    if (!s && !(isfinite(lr_factor) && lr_factor > 0 && lr_factor <= 1e6))
        s = fv_error(t->ctx, FV_ERR_FORMAT, "checkpoint '%s': %s is %g, not a number in (0, 1e6]", path,
                     FV_POS_LR_FACTOR, lr_factor);
    double states[FV_MAX_CALLBACKS][MAX_CB_STATE];
    int n_states[FV_MAX_CALLBACKS] = {0};
    if (!s) s = read_callback_states(t, mf, path, states, n_states);
    if (!s && (uint64_t)seed != t->cfg.seed)
        s = fv_error(t->ctx, FV_ERR_ARG, "checkpoint '%s' was trained with seed %llu, this run has seed %llu: resume "
                     "with the same seed to get the same result", path, (unsigned long long)seed,
                     (unsigned long long)t->cfg.seed);
    /* The optimizer and the weights are checked completely before either changes. */
    if (!s) s = fv_optim_load_mem(t->opt, blob, len, path);
    if (!s) s = fv_model_load_weights(t->model, mf, path);
    if (!s) {
        t->epoch = t->epochs_done = (int)epoch;
        t->global_step = global;
        t->lr_factor = lr_factor;
        fv_graph_set_train_passes(t->g, (uint64_t)passes);
        for (int i = 0; i < t->n_callbacks; i++)
            if (t->callbacks[i]->set_state && n_states[i]) t->callbacks[i]->set_state(t->callbacks[i], states[i], n_states[i]);
    }
    fv_modelfile_free(mf);
    return s;
}
