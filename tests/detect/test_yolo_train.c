/* A YOLO detector end to end: composed Fashion-MNIST canvases written as a detection folder, read back
 * (fv_det_load), the built-in yolo-fmnist trained through fv_yolo_task for a few epochs, then scored with
 * fv_yolo_evaluate and fv_det_eval: it must learn (mAP50 far above the untrained net's), the same seed must give
 * the same weights, and detection must refuse what does not fit. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#define TRAIN 400
#define TEST 120

static char dir[64];

static fv_tensor_set *compose(fv_ctx *ctx, const fv_dataset *items, const char *name, int count, uint64_t seed)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fv_compose_options o = fv_compose_defaults();
    o.yolo_labels = true, o.seed = seed;
    if (fv_compose_write(ctx, items, &o, count, path) != FV_OK) return NULL;
    return fv_det_load(ctx, path, NULL, NULL);
}

/* yolo-fmnist trained `epochs` epochs (0: as initialised) from seed; its COCO mAP50 on test into *map50. */
static fv_model *train(fv_ctx *ctx, fv_tensor_set *train_set, fv_tensor_set *test_set, int epochs, double *map50)
{
    (void)ctx;
    ctx = fv_ctx_new(5); /* the weights are drawn from the model's context: a fresh one, the same draws */
    fv_ctx_set_threads(ctx, 2);
    fv_model *m = fv_model_by_name(ctx, "yolo-fmnist", 1, 64, 64, 11);
    if (!m || fv_model_init(m) != FV_OK) {
        fv_model_free(m), fv_ctx_free(ctx);
        return NULL;
    }
    fv_task *task = fv_yolo_task(ctx, m, (int)fv_tensor_set_target(train_set)->shape[1], NULL);
    fv_fit_config c = fv_fit_defaults();
    c.batch_size = 32, c.epochs = epochs, c.verbose = FV_VERBOSE_QUIET, c.task = task, c.seed = 3;
    c.optim = fv_optim_defaults(FV_OPT_ADAM);
    c.optim.lr = 2e-3f;
    fv_trainer *t = epochs ? fv_trainer_new(m, &c) : NULL;
    fv_data_source src = fv_tensor_set_source(train_set);
    bool ok = task && (!epochs || (t && fv_trainer_fit(t, &src) == FV_OK));
    fv_trainer_free(t);
    fv_task_free(task);
    fv_yolo_info info;
    fv_det_eval *e = fv_det_eval_new(ctx, 11);
    fv_yolo_detect_options o = fv_yolo_detect_defaults();
    o.conf = 0.05f;
    fv_coco_summary s = {0};
    ok = ok && e && fv_yolo_info_of(ctx, m, &info) == FV_OK && fv_yolo_evaluate(m, &info, test_set, 64, &o, e) == FV_OK &&
         fv_det_eval_coco(e, &s, NULL) == FV_OK;
    fv_det_eval_free(e);
    *map50 = s.map50;
    if (!ok) {
        fprintf(stderr, "training failed: %s\n", fv_errmsg(ctx));
        fv_model_free(m), fv_ctx_free(ctx), m = NULL;
    }
    return m; /* its context lives on with it (drop frees both) */
}

static void drop(fv_model *m)
{
    fv_ctx *ctx = m ? fv_model_ctx(m) : NULL;
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, 2);
    snprintf(dir, sizeof dir, "/tmp/fovea-yolo-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    fv_dataset *items = fv_dataset_find(ctx, "fashion-mnist", true);
    fv_tensor_set *tr = items ? compose(ctx, items, "train", TRAIN, 1) : NULL;
    fv_tensor_set *te = items ? compose(ctx, items, "test", TEST, 2) : NULL;
    if (!CHECK(tr && te, "composed canvases as detection folders: %s", fv_errmsg(ctx))) return test_finish();
    double untrained = 0.0, trained = 0.0, again = 0.0;
    fv_model *m0 = train(ctx, tr, te, 0, &untrained);
    fv_model *m = train(ctx, tr, te, 6, &trained);
    CHECK(m0 && m && trained > 0.25 && trained > untrained + 0.2,
          "yolo-fmnist learns: COCO mAP50 %.3f after 6 epochs of %d canvases (untrained %.3f): %s", trained, TRAIN,
          untrained, m ? "" : fv_errmsg(ctx));
    double one = 0.0; /* determinism on one epoch each of the test canvases: the same seed, the same weights */
    fv_model *m1 = train(ctx, te, te, 1, &one), *m2 = train(ctx, te, te, 1, &again);
    bool same = m1 && m2;
    for (int i = 0; same && i < fv_model_param_count(m1); i++) {
        const fv_param *a = fv_model_param(m1, i), *b = fv_model_param(m2, i);
        same = memcmp(a->value.data, b->value.data, (size_t)a->value.size * sizeof(float)) == 0;
    }
    CHECK(same && again == one, "the same seed: the same weights and mAP50 after an epoch (%.3f)", again);
    /* detection refuses what does not fit */
    fv_yolo_info info;
    fv_model *cls = fv_model_by_name(ctx, "fmnist-cnn", 1, 28, 28, 10);
    CHECK(fv_yolo_info_of(ctx, cls, &info) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "not a yolo head"),
          "a classifier is no detector: %s", fv_errmsg(ctx));
    CHECK(!fv_yolo_task(ctx, cls, 4, NULL), "and gets no yolo task");
    if (m && fv_yolo_info_of(ctx, m, &info) == FV_OK) {
        fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, 32, 32});
        float b[400], s[100];
        int32_t c[100];
        int64_t n[1];
        fv_ctx *mc = fv_model_ctx(m);
        CHECK(fv_yolo_run(m, &info, x, NULL, b, s, c, n) != FV_OK && strstr(fv_errmsg(mc), "expects"),
              "an image of the wrong size: %s", fv_errmsg(mc));
        fv_tensor_free(x);
    }
    fv_model_free(cls), drop(m0), drop(m), drop(m1), drop(m2);
    fv_tensor_set_free(tr), fv_tensor_set_free(te);
    fv_dataset_free(items);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    fv_ctx_free(ctx);
    return test_finish();
}
