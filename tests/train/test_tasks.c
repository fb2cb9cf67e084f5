/* Every built-in task trained through the fit loop against PyTorch (gen_tasks.py): the same model, weights,
 * data and full-batch SGD with momentum give the loss of every step and the final weights to 1e-4; a run cut
 * in two by a checkpoint ends with the same bits as an uninterrupted one; and what cannot be trained (a loss
 * that does not fit the outputs, targets of the wrong kind, masks of another size, a task the data cannot
 * serve) is refused before any step, with a message naming what is wrong. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

#define MAX_STEPS 16

typedef struct {
    double losses[MAX_STEPS];
    int n;
} loss_log;

static fv_status record(fv_callback *cb, fv_trainer *t, int epoch)
{
    loss_log *l = cb->user;
    if (epoch < MAX_STEPS) l->losses[epoch] = fv_trainer_log(t, "loss"), l->n = epoch + 1;
    return FV_OK;
}

static void free_cb(fv_callback *cb) { free(cb); }

static fv_callback *recorder(loss_log *l)
{
    fv_callback *cb = calloc(1, sizeof *cb);
    if (cb) cb->name = "record", cb->on_epoch_end = record, cb->free = free_cb, cb->user = l;
    return cb;
}

/* The fixture's task: its kind, loss expression and options. */
static fv_task *task_of(fv_ctx *ctx, const fx_file *fx)
{
    int kind = fv_task_kind_from_name(fx_str(fx, "meta:task"));
    if (kind < 0) return NULL;
    fv_task_options o = fv_task_defaults((fv_task_kind)kind);
    if (fv_task_parse_loss(ctx, fx_str(fx, "meta:loss"), &o) != FV_OK) return NULL;
    float cw[4], pw[3] = {fx_float(fx, "attr:pos_weight", 0), 0, 0};
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof key, "attr:cw%d", i);
        cw[i] = fx_float(fx, key, -1);
    }
    if (cw[0] >= 0) o.class_weights = cw, o.n_class_weights = 4;
    if (pw[0] > 0) o.pos_weight = pw, o.n_pos_weight = 1;
    if (fx_get(fx, "attr:pw0")) {
        for (int i = 0; i < 3; i++) {
            char key[32];
            snprintf(key, sizeof key, "attr:pw%d", i);
            pw[i] = fx_float(fx, key, 1);
        }
        o.pos_weight = pw, o.n_pos_weight = 3;
    }
    o.label_smoothing = fx_float(fx, "attr:label_smoothing", 0);
    o.beta = fx_float(fx, "attr:beta", 1);
    if (fx_get(fx, "attr:margin")) o.margin = fx_float(fx, "attr:margin", 1);
    o.mining = (fv_triplet_mining)(int)fx_float(fx, "attr:mining", 0);
    return fv_task_new(ctx, &o);
}

/* The fixture's model with its initial weights. */
static fv_model *model_of(fv_ctx *ctx, const fx_file *fx)
{
    fv_model *m = fv_model_parse(ctx, fx_str(fx, "meta:model"), fx->path);
    for (int i = 0; m && i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        char key[128];
        snprintf(key, sizeof key, "param:%s", p->name);
        const fv_tensor *w = fx_get(fx, key);
        if (!w || w->size != p->value.size) {
            CHECK(false, "%s: the initial %s is in the fixture", fx->path, p->name);
            fv_model_free(m);
            return NULL;
        }
        memcpy(p->value.data, w->data, (size_t)w->size * sizeof(float));
    }
    return m;
}

static fv_tensor_set *data_of(fv_ctx *ctx, const fx_file *fx)
{
    const fv_tensor *in[4];
    int n = 0;
    for (; n < 4; n++) {
        char key[16];
        snprintf(key, sizeof key, "in:%d", n);
        if (!(in[n] = fx_get(fx, key))) break;
    }
    return fv_tensor_set_new(ctx, in, n, fx_get(fx, "target"));
}

static fv_fit_config config_of(const fx_file *fx, fv_task *task, int64_t n, int epochs)
{
    fv_fit_config c = fv_fit_defaults();
    c.epochs = epochs, c.batch_size = (int)n, c.shuffle = false, c.verbose = FV_VERBOSE_QUIET, c.task = task;
    c.optim = fv_optim_defaults(FV_OPT_SGD);
    c.optim.lr = fx_float(fx, "attr:lr", 0), c.optim.momentum = fx_float(fx, "attr:momentum", 0);
    return c;
}

/* Train for `epochs` (resuming from `resume` when given, saving to `save` when given); the weights after. */
static float *train(fv_ctx *ctx, const fx_file *fx, int epochs, const char *resume, const char *save, loss_log *log)
{
    fv_task *task = task_of(ctx, fx);
    fv_model *m = task ? model_of(ctx, fx) : NULL;
    fv_tensor_set *set = m ? data_of(ctx, fx) : NULL;
    fv_fit_config c = config_of(fx, task, fv_tensor_set_count(set), epochs);
    fv_trainer *t = set ? fv_trainer_new(m, &c) : NULL;
    fv_data_source src = fv_tensor_set_source(set);
    bool ok = t && (!log || fv_trainer_add_callback(t, recorder(log)) == FV_OK) &&
              (!resume || fv_trainer_resume(t, resume) == FV_OK) && fv_trainer_fit(t, &src) == FV_OK &&
              (!save || fv_trainer_save(t, save) == FV_OK);
    float *w = NULL;
    int64_t total = 0;
    for (int i = 0; ok && i < fv_model_param_count(m); i++) total += fv_model_param(m, i)->value.size;
    if (ok && (w = malloc((size_t)total * sizeof *w)))
        for (int i = 0, at = 0; i < fv_model_param_count(m); i++) {
            const fv_tensor *v = &fv_model_param(m, i)->value;
            memcpy(w + at, v->data, (size_t)v->size * sizeof *w), at += (int)v->size;
        }
    CHECK(ok, "%s: trains (%s)", fx->path, fv_errmsg(ctx));
    fv_trainer_free(t), fv_tensor_set_free(set), fv_model_free(m), fv_task_free(task);
    return w;
}

static void check_against_pytorch(fv_ctx *ctx, const fx_file *fx)
{
    loss_log log = {{0}, 0};
    int steps = fx_int(fx, "attr:steps", 0, 0);
    float *w = train(ctx, fx, steps, NULL, NULL, &log);
    if (!w) return;
    const fv_tensor *ref = fx_get(fx, "losses");
    double worst = 0;
    for (int s = 0; s < steps && s < log.n; s++)
        worst = fmax(worst, fabs(log.losses[s] - fv_f32(ref)[s]) / fmax(1.0, fabs(fv_f32(ref)[s])));
    CHECK(log.n == steps && worst < 1e-4, "%s: %d step losses match PyTorch's (worst %.2e)", fx->path, log.n, worst);
    fv_model *m = fv_model_parse(ctx, fx_str(fx, "meta:model"), fx->path);
    double wworst = 0;
    for (int i = 0, at = 0; m && i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        char key[128];
        snprintf(key, sizeof key, "final:%s", p->name);
        const fv_tensor *f = fx_get(fx, key);
        for (int64_t j = 0; f && j < f->size; j++)
            wworst = fmax(wworst, fabs(w[at + j] - fv_f32(f)[j]) / fmax(1.0, fabs(fv_f32(f)[j])));
        if (!f) wworst = INFINITY;
        at += (int)p->value.size;
    }
    CHECK(m && wworst < 1e-4, "%s: final weights match PyTorch's (worst %.2e)", fx->path, wworst);
    fv_model_free(m);
    free(w);
}

/* Half the steps, a checkpoint, a new trainer resuming it for the rest: the same bits as one run. */
static void check_resume(fv_ctx *ctx, const fx_file *fx)
{
    char path[] = "/tmp/fovea_task_ckpt_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    int steps = fx_int(fx, "attr:steps", 0, 0);
    float *whole = train(ctx, fx, steps, NULL, NULL, NULL);
    float *half = train(ctx, fx, steps / 2, NULL, path, NULL);
    float *rest = half ? train(ctx, fx, steps, path, NULL, NULL) : NULL;
    fv_model *m = fv_model_parse(ctx, fx_str(fx, "meta:model"), fx->path);
    int64_t total = 0;
    for (int i = 0; m && i < fv_model_param_count(m); i++) total += fv_model_param(m, i)->value.size;
    CHECK(whole && rest && memcmp(whole, rest, (size_t)total * sizeof *whole) == 0,
          "%s: resumed from a checkpoint after %d of %d steps, the weights are the same bits", fx->path, steps / 2,
          steps);
    fv_model_free(m);
    free(whole), free(half), free(rest);
    unlink(path);
}

/* ---- refusals ------------------------------------------------------------------------------------------ */

static bool says(fv_ctx *ctx, const char *a, const char *b)
{
    return strstr(fv_errmsg(ctx), a) && (!b || strstr(fv_errmsg(ctx), b));
}

/* A trainer for the task of `kind` with loss `loss` (NULL: the default) on the model text; its error. */
static bool refused_at_start(fv_ctx *ctx, const char *model, fv_task_kind kind, const char *loss)
{
    fv_task_options o = fv_task_defaults(kind);
    if (loss && fv_task_parse_loss(ctx, loss, &o) != FV_OK) return true;
    fv_task *task = fv_task_new(ctx, &o);
    fv_model *m = fv_model_parse(ctx, model, "refusal");
    fv_fit_config c = fv_fit_defaults();
    c.task = task, c.verbose = FV_VERBOSE_QUIET;
    fv_trainer *t = m && task ? fv_trainer_new(m, &c) : NULL;
    bool refused = t == NULL;
    fv_trainer_free(t), fv_model_free(m), fv_task_free(task);
    return refused;
}

/* Train one epoch of the task on a set of arrays; the status. */
static fv_status fit_arrays(fv_ctx *ctx, const char *model, fv_task_options o, const fv_tensor *const *x, int n_in,
                            const fv_tensor *y)
{
    fv_task *task = fv_task_new(ctx, &o);
    fv_model *m = fv_model_parse(ctx, model, "refusal");
    if (m) fv_model_init(m);
    fv_tensor_set *set = fv_tensor_set_new(ctx, x, n_in, y);
    fv_fit_config c = fv_fit_defaults();
    c.task = task, c.verbose = FV_VERBOSE_QUIET, c.batch_size = 4;
    fv_trainer *t = m && task && set ? fv_trainer_new(m, &c) : NULL;
    fv_data_source src = fv_tensor_set_source(set);
    fv_status s = t ? fv_trainer_fit(t, &src) : FV_ERR_ARG;
    fv_trainer_free(t), fv_tensor_set_free(set), fv_model_free(m), fv_task_free(task);
    return s;
}

static void check_refusals(fv_ctx *ctx)
{
    const char *dense = "input x shape=4\ndense fc units=3\n";
    CHECK(refused_at_start(ctx, dense, FV_TASK_SEGMENT, NULL) && says(ctx, "segment", "'fc' is (32, 3)"),
          "segmentation of (N, 3) outputs is refused at start: %s", fv_errmsg(ctx));
    CHECK(refused_at_start(ctx, dense, FV_TASK_BINARY, NULL) && says(ctx, "one logit", "'fc'"),
          "a binary task on 3 outputs is refused, naming the layer: %s", fv_errmsg(ctx));
    CHECK(refused_at_start(ctx, dense, FV_TASK_REGRESS, "dice") && says(ctx, "'dice'", "regress"),
          "a loss the task cannot use is refused: %s", fv_errmsg(ctx));
    CHECK(refused_at_start(ctx, dense, FV_TASK_EMBED, "contrastive") && says(ctx, "two outputs", NULL),
          "a contrastive loss on one output is refused: %s", fv_errmsg(ctx));
    CHECK(refused_at_start(ctx, dense, FV_TASK_CLASSIFY, "0*ce") && says(ctx, "weight '0'", NULL),
          "a zero weight is refused: %s", fv_errmsg(ctx));
    CHECK(refused_at_start(ctx, "input a shape=4\ninput b shape=4\ndense e1 units=2 from=a\ndense e2 units=2 from=b\n"
                          "outputs e1,e3\n", FV_TASK_EMBED, NULL) && says(ctx, "e3", NULL),
          "an outputs line naming a missing layer is refused: %s", fv_errmsg(ctx));

    int64_t xs[2] = {8, 4}, ys[1] = {8}, ms[3] = {8, 5, 5}, is[4] = {8, 1, 6, 6};
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 2, xs), *y = fv_tensor_new(ctx, FV_F32, 1, ys);
    for (int i = 0; i < 8; i++) fv_f32(y)[i] = i == 5 ? 0.5f : (float)(i & 1);
    fv_task_options o = fv_task_defaults(FV_TASK_BINARY);
    CHECK(fit_arrays(ctx, "input x shape=4\ndense fc units=1\n", o, (const fv_tensor *const[]){x}, 1, y) != FV_OK &&
          says(ctx, "0.5", "sample 5"), "a binary target of 0.5 is refused naming the sample: %s", fv_errmsg(ctx));
    o = fv_task_defaults(FV_TASK_CLASSIFY);
    CHECK(fit_arrays(ctx, "input x shape=4\ndense fc units=2\n", o, (const fv_tensor *const[]){x}, 1, y) != FV_OK &&
          says(ctx, "not a whole number", "sample 5"), "fractional class labels are refused: %s", fv_errmsg(ctx));
    o = fv_task_defaults(FV_TASK_EMBED);
    CHECK(fit_arrays(ctx, "input a shape=4\ninput p shape=4\ninput n shape=4\ndense ea units=2 from=a\n"
                     "dense ep units=2 from=p share=ea\ndense en units=2 from=n share=ea\noutputs ea,ep,en\n", o,
                     (const fv_tensor *const[]){x}, 1, NULL) != FV_OK && says(ctx, "3 inputs", "holds 1"),
          "a triplet model on a one-input data set is refused: %s", fv_errmsg(ctx));

    /* a mask of another size than its image */
    fv_tensor *img = fv_tensor_new(ctx, FV_F32, 4, is), *mask = fv_tensor_new(ctx, FV_I32, 3, ms);
    fv_tensor_set *set = fv_tensor_set_new(ctx, (const fv_tensor *const[]){img}, 1, mask);
    fv_augment *aug = fv_augment_new(ctx);
    CHECK(set && aug && fv_augment_parse(aug, "hflip=0.5") == FV_OK &&
          fv_tensor_set_augment(set, aug, 1, FV_PAIR_MASK) != FV_OK && says(ctx, "(8,5,5)", "(8,1,6,6)"),
          "a mask of another size than its image is refused: %s", fv_errmsg(ctx));
    o = fv_task_defaults(FV_TASK_SEGMENT);
    CHECK(fit_arrays(ctx, "input x shape=1x6x6\nconv2d c filters=3 kernel=1\n", o, (const fv_tensor *const[]){img}, 1,
                     mask) != FV_OK && says(ctx, "(8,5,5)", "(4,6,6)"),
          "masks of another size than the outputs are refused: %s", fv_errmsg(ctx));
    fv_augment_free(aug), fv_tensor_set_free(set);
    fv_tensor_free(img), fv_tensor_free(mask), fv_tensor_free(x), fv_tensor_free(y);
}

/* Masks move with their images: a horizontal flip of probability 1 mirrors both. */
static void check_paired_augmentation(fv_ctx *ctx)
{
    int64_t is[4] = {2, 1, 3, 4}, ms[3] = {2, 3, 4};
    fv_tensor *img = fv_tensor_new(ctx, FV_F32, 4, is), *mask = fv_tensor_new(ctx, FV_I32, 3, ms);
    for (int i = 0; i < 24; i++) fv_f32(img)[i] = (float)(i % 12) / 12.0f, fv_i32(mask)[i] = i % 12;
    fv_tensor_set *set = fv_tensor_set_new(ctx, (const fv_tensor *const[]){img}, 1, mask);
    fv_augment *aug = fv_augment_new(ctx);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, is), *y = fv_tensor_new(ctx, FV_I32, 3, ms);
    fv_data_source src = fv_tensor_set_source(set);
    int64_t idx[2] = {0, 1};
    bool ok = set && aug && fv_augment_parse(aug, "hflip=1") == FV_OK &&
              fv_tensor_set_augment(set, aug, 3, FV_PAIR_MASK) == FV_OK &&
              src.fetch(src.data, 0, idx, 2, x, y) == FV_OK;
    bool same = ok;
    for (int i = 0; ok && i < 24; i++) same &= lrintf(fv_f32(x)[i] * 12.0f) == fv_i32(y)[i];
    CHECK(ok && same && fv_i32(y)[0] == 3, "a flipped image's mask is flipped with it (%s)", fv_errmsg(ctx));
    ok = src.fetch(src.data, -1, idx, 2, x, y) == FV_OK && fv_i32(y)[0] == 0;
    CHECK(ok, "validation batches (epoch -1) are not augmented");
    fv_tensor_free(x), fv_tensor_free(y), fv_augment_free(aug), fv_tensor_set_free(set);
    fv_tensor_free(img), fv_tensor_free(mask);
}

/* The loader makes a tuple set's batches on its threads: the same floats and masks as the set itself. */
static void check_loader(fv_ctx *ctx)
{
    int64_t is[4] = {6, 1, 5, 5}, ms[3] = {6, 5, 5}, fs[2] = {6, 3}, bs[4] = {4, 1, 5, 5}, bm[3] = {4, 5, 5}, bf[2] = {4, 3};
    fv_tensor *img = fv_tensor_new(ctx, FV_F32, 4, is), *mask = fv_tensor_new(ctx, FV_I32, 3, ms);
    fv_tensor *feat = fv_tensor_new(ctx, FV_F32, 2, fs);
    for (int i = 0; i < 150; i++) fv_f32(img)[i] = (float)((i * 37) % 101) / 101.0f, fv_i32(mask)[i] = (i * 7) % 3;
    for (int i = 0; i < 18; i++) fv_f32(feat)[i] = (float)i;
    fv_tensor_set *set = fv_tensor_set_new(ctx, (const fv_tensor *const[]){img, feat}, 2, mask);
    fv_augment *aug = fv_augment_new(ctx);
    bool ok = set && aug && fv_augment_parse(aug, "rotate=30 hflip=0.5 brightness=0.3") == FV_OK &&
              fv_tensor_set_augment(set, aug, 5, FV_PAIR_MASK) == FV_OK;
    fv_loader_options lo = fv_loader_defaults();
    lo.threads = 2;
    fv_loader *l = ok ? fv_loader_new_tuples(ctx, set, &lo) : NULL;
    fv_data_source a = fv_tensor_set_source(set), b = fv_loader_source(l);
    fv_tensor *x1[2] = {fv_tensor_new(ctx, FV_F32, 4, bs), fv_tensor_new(ctx, FV_F32, 2, bf)};
    fv_tensor *x2[2] = {fv_tensor_new(ctx, FV_F32, 4, bs), fv_tensor_new(ctx, FV_F32, 2, bf)};
    fv_tensor *y1 = fv_tensor_new(ctx, FV_I32, 3, bm), *y2 = fv_tensor_new(ctx, FV_I32, 3, bm);
    int64_t idx[4] = {5, 0, 3, 2};
    ok = l && b.prefetch(b.data, 2, idx, 4) == FV_OK && a.fetch_io(a.data, 2, idx, 4, x1, 2, y1) == FV_OK &&
         b.fetch_io(b.data, 2, idx, 4, x2, 2, y2) == FV_OK;
    CHECK(ok && memcmp(x1[0]->data, x2[0]->data, 100 * sizeof(float)) == 0 &&
          memcmp(x1[1]->data, x2[1]->data, 12 * sizeof(float)) == 0 && memcmp(y1->data, y2->data, 100 * sizeof(int32_t)) == 0,
          "a tuple loader's augmented batches (images, features, masks) equal the set's own (%s)", fv_errmsg(ctx));
    fv_tensor_free(x1[0]), fv_tensor_free(x1[1]), fv_tensor_free(x2[0]), fv_tensor_free(x2[1]);
    fv_tensor_free(y1), fv_tensor_free(y2);
    fv_loader_free(l), fv_augment_free(aug), fv_tensor_set_free(set);
    fv_tensor_free(img), fv_tensor_free(mask), fv_tensor_free(feat);
}

/* Rows [first, first + n) of a (N, ...) tensor, as a view. */
static fv_tensor rows_of(const fv_tensor *t, int64_t first, int64_t n)
{
    fv_tensor v = *t;
    int64_t per = t->size / t->shape[0];
    v.shape[0] = n, v.size = n * per, v.owns = false;
    v.data = (float *)t->data + first * per;
    return v;
}

/* The binary and multi-label metrics against scikit-learn (gen_task_metrics.py), counted in two batches. */
static void check_decision_metrics(fv_ctx *ctx)
{
    const char *names[] = {"binary_t0.5", "binary_t0.3", "multilabel"};
    for (int f = 0; f < 3; f++) {
        char path[256];
        snprintf(path, sizeof path, FIXTURE_DIR "/task_metrics_%s.fvx", names[f]);
        fx_file *fx = fx_load(path);
        if (!CHECK(fx != NULL, "%s loads", path)) continue;
        const fv_tensor *z = fx_get(fx, "logits"), *t = fx_get(fx, "targets"), *ref = fx_get(fx, "values");
        fv_task_options o = fv_task_defaults((fv_task_kind)fv_task_kind_from_name(fx_str(fx, "meta:task")));
        o.threshold = fx_float(fx, "attr:threshold", 0.5f);
        fv_task *task = fv_task_new(ctx, &o);
        fv_graph *g = fv_graph_new(ctx);
        fv_node *zn = fv_input(g, "z", FV_F32, z->ndim, z->shape);
        fv_dtype dt;
        int nd;
        int64_t shape[FV_MAX_DIMS];
        bool ok = task && zn && task->target_spec(task, g, &zn, 1, &dt, &nd, shape) == FV_OK;
        int64_t n = z->shape[0], half = n / 2;
        fv_tensor z1 = rows_of(z, 0, half), z2 = rows_of(z, half, n - half), t1 = rows_of(t, 0, half),
                  t2 = rows_of(t, half, n - half);
        const fv_tensor *o1 = &z1, *o2 = &z2;
        double v[FV_TASK_MAX_METRICS], worst = 0;
        if (ok) {
            task->metrics_reset(task);
            ok = task->metrics_add(task, ctx, &o1, 1, &t1, (int)half) == FV_OK &&
                 task->metrics_add(task, ctx, &o2, 1, &t2, (int)(n - half)) == FV_OK;
            task->metrics_values(task, v, task->n_metrics);
        }
        for (int i = 0; ok && i < task->n_metrics; i++) worst = fmax(worst, fabs(v[i] - fv_f32(ref)[i]));
        CHECK(ok && task->n_metrics == ref->size && worst < 1e-6, "%s: %d metrics equal scikit-learn's (worst %.1e)",
              path, task ? task->n_metrics : 0, worst);
        fv_graph_free(g), fv_task_free(task), fx_free(fx);
    }
}

/* A toy detector's loss: the model regresses every box row (class and corners) of its image. */
static fv_node *toy_detector_loss(void *user, fv_graph *g, fv_node *const *outputs, int n_outputs, fv_node *boxes)
{
    (void)user, (void)n_outputs;
    const fv_tensor *b = fv_node_value(boxes);
    int64_t shape[2] = {b->shape[0], b->shape[1] * b->shape[2]};
    return fv_mse_loss(g, outputs[0], fv_reshape(g, boxes, 2, shape));
}

/* Detection: box targets (N, B, 5) reach the detector's loss, train it down, and bad boxes are refused; boxes
 * follow their image through a flip, keeping their classes. */
static void check_detection(fv_ctx *ctx)
{
    int64_t xs[2] = {8, 3}, bs[3] = {8, 2, 5};
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 2, xs), *b = fv_tensor_new(ctx, FV_F32, 3, bs);
    for (int i = 0; i < 24; i++) fv_f32(x)[i] = (float)((i * 5) % 7) / 7.0f;
    for (int i = 0; i < 8; i++) {
        float *r = fv_f32(b) + i * 10;
        r[0] = (float)(i % 3), r[1] = (float)i, r[2] = 1, r[3] = (float)i + 2, r[4] = 3;
        r[5] = -1, r[6] = r[7] = r[8] = r[9] = 0;
    }
    fv_task *task = fv_task_detect(ctx, 2, toy_detector_loss, NULL);
    fv_model *m = fv_model_parse(ctx, "input x shape=3\ndense d units=10\n", "detector");
    fv_tensor_set *set = fv_tensor_set_new(ctx, (const fv_tensor *const[]){x}, 1, b);
    bool ok = task && m && set && fv_model_init(m) == FV_OK;
    fv_fit_config c = fv_fit_defaults();
    c.task = task, c.verbose = FV_VERBOSE_QUIET, c.batch_size = 8, c.epochs = 30, c.optim.lr = 0.05f;
    loss_log log = {{0}, 0};
    fv_trainer *t = ok ? fv_trainer_new(m, &c) : NULL;
    fv_data_source src = fv_tensor_set_source(set);
    ok = t && fv_trainer_add_callback(t, recorder(&log)) == FV_OK && fv_trainer_fit(t, &src) == FV_OK;
    CHECK(ok && log.n == MAX_STEPS && log.losses[MAX_STEPS - 1] < 0.5 * log.losses[0],
          "a detector's own loss on box targets trains down (%g -> %g; %s)", log.n ? log.losses[0] : -1.0,
          log.n ? log.losses[log.n - 1] : -1.0, fv_errmsg(ctx));
    fv_trainer_free(t);
    fv_f32(b)[3] = -5.0f; /* x1 < x0 */
    fv_tensor_set_free(set);
    set = fv_tensor_set_new(ctx, (const fv_tensor *const[]){x}, 1, b);
    t = set ? fv_trainer_new(m, &c) : NULL;
    src = fv_tensor_set_source(set);
    CHECK(t && fv_trainer_fit(t, &src) != FV_OK && says(ctx, "box 0 of sample 0", "x0 <= x1"),
          "a box whose corners are swapped is refused naming it: %s", fv_errmsg(ctx));
    fv_trainer_free(t), fv_tensor_set_free(set), fv_model_free(m), fv_task_free(task);
    fv_tensor_free(x), fv_tensor_free(b);

    int64_t is[4] = {1, 1, 4, 6}, bb[3] = {1, 3, 5};
    fv_tensor *img = fv_tensor_new(ctx, FV_F32, 4, is), *boxes = fv_tensor_new(ctx, FV_F32, 3, bb);
    const float rows[15] = {-1, 0, 0, 0, 0, 4, 0, 0, 2, 2, 7, 5, 1, 6, 3}; /* a pad row first, then two boxes */
    memcpy(boxes->data, rows, sizeof rows);
    set = fv_tensor_set_new(ctx, (const fv_tensor *const[]){img}, 1, boxes);
    fv_augment *aug = fv_augment_new(ctx);
    fv_tensor *xb = fv_tensor_new(ctx, FV_F32, 4, is), *yb = fv_tensor_new(ctx, FV_F32, 3, bb);
    int64_t idx = 0;
    src = fv_tensor_set_source(set);
    ok = set && aug && fv_augment_parse(aug, "hflip=1") == FV_OK &&
         fv_tensor_set_augment(set, aug, 1, FV_PAIR_BOXES) == FV_OK && src.fetch(src.data, 0, &idx, 1, xb, yb) == FV_OK;
    const float *y = ok ? fv_f32(yb) : NULL;
    CHECK(ok && y[0] == 4 && y[1] == 4 && y[3] == 6 && y[5] == 7 && y[6] == 0 && y[8] == 1 && y[10] == -1,
          "flipped boxes keep their classes (4, 7), move (x 0..2 -> 4..6, 5..6 -> 0..1) and pads go last (%s)",
          fv_errmsg(ctx));
    fv_tensor_free(xb), fv_tensor_free(yb), fv_augment_free(aug), fv_tensor_set_free(set);
    fv_tensor_free(img), fv_tensor_free(boxes);
}

/* Task lines: what a description's `task` line sets, and what it refuses. */
static void check_task_lines(fv_ctx *ctx)
{
    fv_task_options o = fv_task_defaults(FV_TASK_CLASSIFY);
    float room[8];
    CHECK(fv_task_options_parse(ctx, "multilabel loss=bce+0.5*dice pos_weight=1,2.5 threshold=0.3", &o, room, 8) == FV_OK &&
              o.kind == FV_TASK_MULTILABEL && o.n_terms == 2 && o.loss[1] == FV_TASK_LOSS_DICE && o.weight[1] == 0.5f &&
              o.n_pos_weight == 2 && o.pos_weight[1] == 2.5f && o.threshold == 0.3f,
          "a multilabel task line sets its loss, pos_weight and threshold (%s)", fv_errmsg(ctx));
    CHECK(fv_task_options_parse(ctx, "embed mining=semi margin=0.2 swap=true", &o, room, 8) == FV_OK &&
              o.kind == FV_TASK_EMBED && o.mining == FV_TRIPLET_SEMI_HARD && o.margin == 0.2f && o.swap,
          "an embed task line sets mining, margin and swap");
    fv_task_options before = o;
    CHECK(fv_task_options_parse(ctx, "binary threshold=2", &o, room, 8) != FV_OK && says(ctx, "threshold=2", NULL) &&
              o.kind == before.kind, "a threshold of 2 is refused and changes nothing: %s", fv_errmsg(ctx));
    CHECK(fv_task_options_parse(ctx, "detect", &o, room, 8) != FV_OK && says(ctx, "'detect' is not a task", NULL),
          "detection is not a task line's (its loss is the detector's): %s", fv_errmsg(ctx));
    fv_model *m = fv_model_parse(ctx, "input x shape=4\ndense o units=1\ntask binary pos_weight=3\n", "line");
    char *d = m ? fv_model_describe(m) : NULL;
    CHECK(d && strstr(d, "\ntask binary pos_weight=3\n") && fv_model_task(m) && !strcmp(fv_model_task(m), "binary pos_weight=3"),
          "a task line round-trips through the description");
    free(d), fv_model_free(m);
    CHECK(!fv_model_parse(ctx, "input x shape=4\ndense o units=1\ntask binary \x01\n", "ctl") && says(ctx, "ctl:3:", "0x01"),
          "a control byte in a task line is refused naming the line: %s", fv_errmsg(ctx));
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const char *names[] = {"classify", "binary", "multilabel", "regress", "segment", "embed_pairs", "embed_triplets",
                           "embed_mined"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, FIXTURE_DIR "/task_%s.fvx", names[i]);
        fx_file *fx = fx_load(path);
        if (!CHECK(fx != NULL, "%s loads", path)) continue;
        check_against_pytorch(ctx, fx);
        check_resume(ctx, fx);
        fx_free(fx);
    }
    check_refusals(ctx);
    check_paired_augmentation(ctx);
    check_loader(ctx);
    check_task_lines(ctx);
    check_decision_metrics(ctx);
    check_detection(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
