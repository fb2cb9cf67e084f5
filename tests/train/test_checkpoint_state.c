/* Numbers a checkpoint gives the trainer are checked before use: a callback counter of 1e300 or NaN (which a
 * cast to int would turn into undefined behaviour), a fractional one, a NaN best value and a non-positive
 * learning-rate factor each refuse the resume with a message naming the file and the field, and change
 * nothing; the untouched checkpoint still resumes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fovea.h"
#include "test.h"

static fv_status fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    (void)data, (void)epoch;
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < 4; p++) fv_f32(x)[i * 4 + p] = (float)((idx[i] * 7 + p) % 5) / 5.0f;
        fv_i32(y)[i] = (int)(idx[i] % 2);
    }
    return FV_OK;
}

static fv_trainer *trainer(fv_ctx *ctx, fv_model **m)
{
    *m = fv_model_parse(ctx, "input shape=4\ndense units=2\n", "tiny");
    if (!*m || fv_model_init(*m) != FV_OK) return NULL;
    fv_fit_config c = fv_fit_defaults();
    c.epochs = 2, c.batch_size = 8, c.seed = 3, c.validation_split = 0.25, c.verbose = FV_VERBOSE_QUIET;
    fv_trainer *t = fv_trainer_new(*m, &c);
    fv_trainer_add_callback(t, fv_early_stopping("val_loss", 0, 5, FV_MONITOR_AUTO, false));
    fv_trainer_add_callback(t, fv_reduce_lr_on_plateau("val_loss", 0.5, 3, 0, 1, 1e-6, FV_MONITOR_AUTO));
    return t;
}

/* The checkpoint at good with one position field changed, written to bad. */
static bool corrupt(fv_ctx *ctx, const char *good, const char *bad, const char *field, double value)
{
    fv_modelfile *mf = fv_modelfile_load(ctx, good);
    bool ok = mf && fv_modelfile_pos_set_real(mf, field, value) == FV_OK && fv_modelfile_save(ctx, mf, bad) == FV_OK;
    fv_modelfile_free(mf);
    return ok;
}

int main(void)
{
    char good[] = "/tmp/fovea_ckpt_good_XXXXXX", bad[] = "/tmp/fovea_ckpt_bad_XXXXXX";
    int fd1 = mkstemp(good), fd2 = mkstemp(bad);
    close(fd1), close(fd2);
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = NULL;
    fv_trainer *t = trainer(ctx, &m);
    fv_data_source src = {32, fetch, NULL, NULL, NULL};
    CHECK(t && fv_trainer_fit(t, &src) == FV_OK && fv_trainer_save(t, good) == FV_OK, "a checkpoint with callback "
          "state (%s)", fv_errmsg(ctx));
    fv_trainer_free(t), fv_model_free(m);

    const struct {
        const char *field;
        double value;
        const char *says;
    } cases[] = {
        {"callback.0.EarlyStopping.1", 1e300, "EarlyStopping's wait) is 1e+300, not an integer from -1 to 1e9"},
        {"callback.0.EarlyStopping.2", NAN, "EarlyStopping's best_epoch) is nan"},
        {"callback.0.EarlyStopping.4", -1e300, "stopped_epoch) is -1e+300"},
        {"callback.1.ReduceLROnPlateau.3", 2.5, "cooldown_counter) is 2.5"},
        {"callback.1.ReduceLROnPlateau.0", NAN, "ReduceLROnPlateau's best) is nan, not a number (not NaN)"},
        {"lr_factor", NAN, "lr_factor is nan, not a number in (0, 1e6]"},
        {"lr_factor", 1e300, "lr_factor is 1e+300, not a number in (0, 1e6]"},
        {"lr_factor", -0.5, "lr_factor is -0.5"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        if (!CHECK(corrupt(ctx, good, bad, cases[k].field, cases[k].value), "%s set to %g (%s)", cases[k].field,
                   cases[k].value, fv_errmsg(ctx)))
            continue;
        t = trainer(ctx, &m);
        float before = fv_f32(&fv_model_param(m, 0)->value)[0];
        fv_status s = fv_trainer_resume(t, bad);
        const char *msg = fv_errmsg(ctx);
        CHECK(s == FV_ERR_FORMAT && strstr(msg, bad) && strstr(msg, cases[k].says) &&
                  fv_f32(&fv_model_param(m, 0)->value)[0] == before,
              "resume refused, naming file and field, weights unchanged: %s", msg);
        fv_trainer_free(t), fv_model_free(m);
    }
    t = trainer(ctx, &m);
    CHECK(fv_trainer_resume(t, good) == FV_OK, "the untouched checkpoint resumes (%s)", fv_errmsg(ctx));
    fv_trainer_free(t), fv_model_free(m);
    unlink(good), unlink(bad);
    fv_ctx_free(ctx);
    return test_finish();
}
