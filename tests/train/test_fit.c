/* The fit loop on a small synthetic problem: it learns; EarlyStopping, ModelCheckpoint and ReduceLROnPlateau
 * fire at the epochs Keras' rules give; restore_best_weights restores them; the history CSV holds the numbers
 * the progress lines print; a resumed run ends bit-identical to an uninterrupted one; NaN stops name where. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fovea.h"
#include "fovea/progress.h"
#include "test.h"

#define N_SAMPLES 96

static const char *net_text = "model tiny\n"
                              "input input shape=1x4x4\n"
                              "flatten flat\n"
                              "dense fc1 units=8\n"
                              "relu relu1\n"
                              "dropout drop rate=0.25\n"
                              "dense fc2 units=2\n";

/* Class 0: pixels in [0, 0.5); class 1: [0.5, 1). Sample i has class i % 2. */
typedef struct {
    float poison; /* value written into sample 5's first pixel (NaN tests), 0 for none */
} blobs;

static fv_status blobs_fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    const blobs *b = data;
    (void)epoch;
    for (int i = 0; i < n; i++) {
        int cls = (int)(idx[i] % 2);
        for (int p = 0; p < 16; p++)
            fv_f32(x)[i * 16 + p] = 0.5f * cls + 0.5f * fv_rng_uniform(99, 1, (uint64_t)idx[i] * 16 + p);
        if (b->poison != 0 && idx[i] == 5) fv_f32(x)[i * 16] = b->poison;
        fv_i32(y)[i] = cls;
    }
    return FV_OK;
}

/* Without dropout: full-batch gradient descent with a small step then lowers the loss at every epoch. */
static fv_model *tiny_plain(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, "input shape=1x4x4\nflatten\ndense fc1 units=8\nrelu\ndense fc2 units=2\n", "plain");
    if (m) fv_model_init(m);
    return m;
}

static fv_model *tiny(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, net_text, "tiny");
    if (m) fv_model_init(m);
    return m;
}

static fv_fit_config config(int epochs)
{
    fv_fit_config c = fv_fit_defaults();
    c.epochs = epochs;
    c.batch_size = 16;
    c.seed = 5;
    c.validation_split = 0.25;
    c.verbose = FV_VERBOSE_QUIET;
    c.optim.lr = 0.01f;
    return c;
}

static void learns(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_model *m = tiny(ctx);
    blobs b = {0};
    fv_data_source src = {N_SAMPLES, blobs_fetch, &b, NULL, NULL};
    fv_fit_config c = config(15);
    fv_trainer *t = fv_trainer_new(m, &c);
    CHECK(t && fv_trainer_fit(t, &src) == FV_OK, "fit runs (%s)", fv_errmsg(ctx));
    CHECK(fv_trainer_log(t, "val_accuracy") == 1.0, "separable blobs: val_accuracy %.4f", fv_trainer_log(t, "val_accuracy"));
    fv_eval_result r;
    CHECK(fv_evaluate(m, &src, 10, &r) == FV_OK && r.accuracy == 1.0 && r.confusion[0] == 48 && r.confusion[3] == 48,
          "evaluate: accuracy %.4f, confusion diagonal", r.accuracy);
    CHECK(r.nonfinite == 0 && r.first_nonfinite == -1, "evaluate: no non-finite outputs");
    fv_eval_result_free(&r);
    /* a NaN pixel in sample 5 gives NaN logits (ReLU lets it through, as PyTorch's does), which evaluate counts */
    b.poison = NAN;
    CHECK(fv_evaluate(m, &src, 10, &r) == FV_OK && r.nonfinite == 1 && r.first_nonfinite == 5,
          "evaluate: a NaN input is counted as a non-finite output (%lld, first %lld)", (long long)r.nonfinite,
          (long long)r.first_nonfinite);
    fv_eval_result_free(&r);
    fv_trainer_free(t);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* ---- callbacks -------------------------------------------------------------------------------------- */

typedef struct {
    float *saved;       /* fc1.weight at the end of epoch 1, before corruption */
    double lr[32];
    double val_loss[32];
} probe;

/* After epoch 1 (0-based): remember the weights, then spoil them and stop learning, so that val_loss gets
 * worse from epoch 2 on. Added after the Keras callbacks, so they see epoch 1's weights unspoiled. */
static fv_status spoil(fv_callback *cb, fv_trainer *t, int epoch)
{
    probe *p = cb->user;
    fv_model *m = fv_trainer_model(t);
    fv_param *w = fv_model_find_param(m, "fc2.weight");
    p->lr[epoch] = fv_trainer_lr(t);
    p->val_loss[epoch] = fv_trainer_log(t, "val_loss");
    if (epoch == 1) {
        p->saved = malloc((size_t)w->value.size * sizeof(float));
        memcpy(p->saved, w->value.data, (size_t)w->value.size * sizeof(float));
        for (int64_t i = 0; i < w->value.size; i++) fv_f32(&w->value)[i] = (i % 2) ? 3.0f : -3.0f;
        fv_trainer_set_lr(t, 0.0);
    }
    return FV_OK;
}

static void early_stopping_and_checkpoints(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_model *m = tiny_plain(ctx);
    blobs b = {0};
    fv_data_source src = {N_SAMPLES, blobs_fetch, &b, NULL, NULL};
    fv_fit_config c = config(10);
    c.batch_size = N_SAMPLES; /* full-batch gradient descent: val_loss falls steadily while learning */
    c.optim = fv_optim_defaults(FV_OPT_SGD);
    c.optim.lr = 0.05f;
    char dir[] = "/tmp/fovea_fit_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temporary directory");
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "%s/ckpt-{epoch:02d}-{val_loss:.3f}.fvm", dir);
    probe p = {0};
    fv_callback user = {.name = "spoil", .on_epoch_end = spoil, .user = &p};
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_trainer_add_callback(t, fv_early_stopping("val_loss", 0, 2, FV_MONITOR_AUTO, true));
    fv_trainer_add_callback(t, fv_model_checkpoint(tmpl, "val_loss", true, FV_MONITOR_AUTO));
    fv_trainer_add_callback(t, &user);
    CHECK(fv_trainer_fit(t, &src) == FV_OK, "fit with callbacks (%s)", fv_errmsg(ctx));
    /* epoch 1 is the best; 2 and 3 are worse; patience 2 stops at epoch 3 (0-based): 4 epochs run */
    CHECK(fv_trainer_epochs_done(t) == 4, "EarlyStopping stops after epoch 4 of 10 (ran %d)", fv_trainer_epochs_done(t));
    CHECK(p.val_loss[1] < p.val_loss[0] && p.val_loss[2] > p.val_loss[1], "val_loss %.4f %.4f %.4f", p.val_loss[0],
          p.val_loss[1], p.val_loss[2]);
    fv_param *w = fv_model_find_param(m, "fc2.weight");
    CHECK(p.saved && memcmp(p.saved, w->value.data, (size_t)w->value.size * sizeof(float)) == 0,
          "restore_best_weights puts back epoch 2's weights");
    /* ModelCheckpoint(save_best_only): epochs 1 and 2 improved, 3 and 4 did not */
    char path[256];
    int saved[5] = {0};
    for (int e = 1; e <= 4; e++) {
        snprintf(path, sizeof path, "%s/ckpt-%02d-%.3f.fvm", dir, e, p.val_loss[e - 1]);
        saved[e] = access(path, F_OK) == 0;
        if (saved[e]) {
            fv_model *back = fv_model_load(ctx, path);
            CHECK(back != NULL, "checkpoint %s loads (%s)", path, fv_errmsg(ctx));
            fv_model_free(back);
            unlink(path);
        }
    }
    CHECK(saved[1] && saved[2] && !saved[3] && !saved[4], "checkpoints written after epochs 1, 2 only (%d %d %d %d)",
          saved[1], saved[2], saved[3], saved[4]);
    free(p.saved);
    fv_trainer_free(t);
    rmdir(dir);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static fv_status record_lr(fv_callback *cb, fv_trainer *t, int epoch)
{
    ((probe *)cb->user)->lr[epoch] = fv_trainer_log(t, "lr");
    return FV_OK;
}

static void reduce_lr_on_plateau(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_model *m = tiny_plain(ctx);
    blobs b = {0};
    fv_data_source src = {N_SAMPLES, blobs_fetch, &b, NULL, NULL};
    fv_fit_config c = config(8);
    c.batch_size = N_SAMPLES;
    c.optim = fv_optim_defaults(FV_OPT_SGD);
    c.optim.lr = 0.04f;
    probe p = {0};
    fv_callback user = {.name = "lr", .on_epoch_end = record_lr, .user = &p};
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_trainer_add_callback(t, &user);
    /* "improving" means rising here, and the loss only falls: a plateau from epoch 1 on. Patience 2 reduces
     * after epoch 3 (1-based); cooldown 1 then skips one epoch, so the next cut follows epoch 5. */
    fv_trainer_add_callback(t, fv_reduce_lr_on_plateau("loss", 0.5, 2, 0, 1, 0.005, FV_MONITOR_MAX));
    CHECK(fv_trainer_fit(t, &src) == FV_OK, "fit with ReduceLROnPlateau (%s)", fv_errmsg(ctx));
    double want[8] = {0.04, 0.04, 0.04, 0.02, 0.02, 0.01, 0.01, 0.005};
    bool same = true;
    for (int e = 0; e < 8; e++) same = same && fabs(p.lr[e] - want[e]) < 1e-9;
    CHECK(same, "learning rates per epoch %g %g %g %g %g %g %g %g", p.lr[0], p.lr[1], p.lr[2], p.lr[3], p.lr[4],
          p.lr[5], p.lr[6], p.lr[7]);
    fv_trainer_free(t);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* ---- history and progress agree --------------------------------------------------------------------------- */

static void history_matches_progress(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_model *m = tiny(ctx);
    blobs b = {0};
    fv_data_source src = {N_SAMPLES, blobs_fetch, &b, NULL, NULL};
    fv_fit_config c = config(3);
    char csv[] = "/tmp/fovea_hist_XXXXXX";
    int fd = mkstemp(csv);
    close(fd);
    char *log = NULL;
    size_t log_len = 0;
    FILE *out = open_memstream(&log, &log_len);
    c.verbose = FV_VERBOSE_LINES;
    c.out = out;
    c.history_csv = csv;
    fv_trainer *t = fv_trainer_new(m, &c);
    CHECK(t && fv_trainer_fit(t, &src) == FV_OK, "fit with history (%s)", fv_errmsg(ctx));
    fv_trainer_free(t);
    fclose(out);
    fv_history *h = fv_history_read(ctx, csv);
    CHECK(h && h->n_rows == 3, "history has 3 rows");
    int lines = 0;
    for (char *line = strtok(log, "\n"); h && line; line = strtok(NULL, "\n")) {
        char *at = strstr(line, " - loss: ");
        if (!at || lines >= h->n_rows) continue;
        static const char *const names[] = {"loss", "accuracy", "val_loss", "val_accuracy"};
        for (int k = 0; k < 4; k++) {
            char key[32];
            snprintf(key, sizeof key, " - %s: ", names[k]);
            char *v = strstr(line, key);
            double printed = v ? atof(v + strlen(key)) : NAN;
            char want[32];
            snprintf(want, sizeof want, "%.4f", h->values[lines * h->n_cols + fv_history_column(h, names[k])]);
            CHECK(v && fabs(printed - atof(want)) < 1e-12, "epoch %d %s: progress %.4f, history %s", lines + 1,
                  names[k], printed, want);
        }
        lines++;
    }
    CHECK(lines == 3, "three epoch lines in the progress output (%d)", lines);
    fv_history_free(h);
    free(log);
    unlink(csv);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* ---- resuming --------------------------------------------------------------------------------------- */

static float *train_weights(int epochs_first, const char *ckpt, int total, int64_t *size)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_model *m = tiny(ctx);
    blobs b = {0};
    fv_data_source src = {N_SAMPLES, blobs_fetch, &b, NULL, NULL};
    fv_fit_config c = config(epochs_first);
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_trainer_add_callback(t, fv_early_stopping("val_loss", 0, 100, FV_MONITOR_AUTO, false));
    fv_status s = fv_trainer_fit(t, &src);
    if (!s && ckpt) s = fv_trainer_save(t, ckpt);
    fv_trainer_free(t);
    fv_model_free(m);
    float *w = NULL;
    if (!s && ckpt) { /* a new process, in effect: fresh context, model from the description, resume */
        fv_ctx_free(ctx);
        ctx = fv_ctx_new(3);
        m = tiny(ctx);
        c.epochs = total;
        t = fv_trainer_new(m, &c);
        fv_trainer_add_callback(t, fv_early_stopping("val_loss", 0, 100, FV_MONITOR_AUTO, false));
        s = fv_trainer_resume(t, ckpt);
        CHECK(s == FV_OK, "resume from %s (%s)", ckpt, fv_errmsg(ctx));
        if (!s) s = fv_trainer_fit(t, &src);
        fv_trainer_free(t);
    } else {
        m = tiny(ctx); /* unused model only to keep the shape of the code simple */
    }
    if (!s) {
        fv_param *p = fv_model_find_param(m, "fc1.weight");
        *size = p->value.size;
        w = malloc((size_t)*size * sizeof(float));
        memcpy(w, p->value.data, (size_t)*size * sizeof(float));
    }
    fv_model_free(m);
    fv_ctx_free(ctx);
    return w;
}

static void resume_is_exact(void)
{
    char ckpt[] = "/tmp/fovea_ckpt_XXXXXX";
    int fd = mkstemp(ckpt);
    close(fd);
    int64_t n1 = 0, n2 = 0;
    /* uninterrupted: 6 epochs in one go */
    fv_ctx *ctx = fv_ctx_new(3);
    fv_model *m = tiny(ctx);
    blobs b = {0};
    fv_data_source src = {N_SAMPLES, blobs_fetch, &b, NULL, NULL};
    fv_fit_config c = config(6);
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_trainer_add_callback(t, fv_early_stopping("val_loss", 0, 100, FV_MONITOR_AUTO, false));
    CHECK(fv_trainer_fit(t, &src) == FV_OK, "uninterrupted run");
    fv_param *p = fv_model_find_param(m, "fc1.weight");
    n1 = p->value.size;
    float *a = malloc((size_t)n1 * sizeof(float));
    memcpy(a, p->value.data, (size_t)n1 * sizeof(float));
    fv_trainer_free(t);
    fv_model_free(m);
    fv_ctx_free(ctx);
    /* interrupted after 2 epochs, resumed to 6 */
    float *r = train_weights(2, ckpt, 6, &n2);
    CHECK(r && n1 == n2 && memcmp(a, r, (size_t)n1 * sizeof(float)) == 0, "resumed run ends bit-identical");
    free(a), free(r);
    unlink(ckpt);
}

/* ---- non-finite values --------------------------------------------------------------------------------- */

static void stops_on_nan(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_model *m = tiny(ctx);
    blobs b = {NAN};
    fv_data_source src = {N_SAMPLES, blobs_fetch, &b, NULL, NULL};
    fv_fit_config c = config(2);
    c.validation_split = 0;
    fv_trainer *t = fv_trainer_new(m, &c);
    fv_status s = fv_trainer_fit(t, &src);
    CHECK(s == FV_ERR_NUMERIC && strstr(fv_errmsg(ctx), "input batch") && strstr(fv_errmsg(ctx), "epoch 1"),
          "NaN in the data: %s", fv_errmsg(ctx));
    fv_trainer_free(t);
    b.poison = 0;
    fv_f32(&fv_model_find_param(m, "fc2.weight")->value)[3] = INFINITY;
    t = fv_trainer_new(m, &c);
    s = fv_trainer_fit(t, &src);
    CHECK(s == FV_ERR_NUMERIC && strstr(fv_errmsg(ctx), "layer 'fc2'"), "infinite weight: %s", fv_errmsg(ctx));
    fv_trainer_free(t);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    learns();
    early_stopping_and_checkpoints();
    reduce_lr_on_plateau();
    history_matches_progress();
    resume_is_exact();
    stops_on_nan();
    return test_finish();
}
