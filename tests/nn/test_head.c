/* Transfer learning's model surgery: a new head keeps every other layer's weights and gets PyTorch's Linear
 * initialisation; a convolutional base equals the zoo's own headless build; weights carry as far as they fit
 * and name what they leave; freezing follows exact names (features.1 is not features.10), rules and fractions,
 * survives a model file, and a frozen batch norm runs in inference mode in training passes; --lr-body's groups
 * update the body at its own rate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fovea.h"
#include "test.h"

static bool says(fv_ctx *ctx, const char *a, const char *b)
{
    return strstr(fv_errmsg(ctx), a) && (!b || strstr(fv_errmsg(ctx), b));
}

static bool same_values(const fv_param *a, const fv_param *b)
{
    return a && b && a->value.size == b->value.size &&
           memcmp(a->value.data, b->value.data, (size_t)a->value.size * sizeof(float)) == 0;
}

static void check_new_head(fv_ctx *ctx)
{
    fv_model *src = fv_model_by_name(ctx, "fmnist-cnn", 0, 0, 0, 0);
    CHECK(src && fv_model_init(src) == FV_OK, "fmnist-cnn");
    fv_param_set_trainable(fv_model_find_param(src, "conv1.weight"), false);
    fv_model *m = src ? fv_model_new_head(src, NULL, 3) : NULL;
    CHECK(m && fv_model_output_size(m) == 3 && fv_model_layer_count(m) == fv_model_layer_count(src),
          "a new head of 3 classes replaces fc2 and keeps every layer (%s)", fv_errmsg(ctx));
    if (m) {
        CHECK(same_values(fv_model_find_param(m, "conv2.weight"), fv_model_find_param(src, "conv2.weight")) &&
                  same_values(fv_model_find_param(m, "fc1.bias"), fv_model_find_param(src, "fc1.bias")) &&
                  same_values(fv_model_find_param(m, "bn1.running_var"), fv_model_find_param(src, "bn1.running_var")),
              "the body's weights and buffers carry over");
        CHECK(!fv_model_find_param(m, "conv1.weight")->trainable, "a frozen layer stays frozen");
        const fv_param *w = fv_model_find_param(m, "fc2.weight");
        double bound = 1.0 / sqrt(128.0), worst = 0, sum = 0;
        for (int64_t i = 0; i < w->value.size; i++) worst = fmax(worst, fabs(fv_f32(&w->value)[i])), sum += fabs(fv_f32(&w->value)[i]);
        CHECK(w->value.shape[0] == 3 && worst <= bound && sum > 0.3 * bound * (double)w->value.size,
              "the new head is drawn as PyTorch's Linear, uniform within 1/sqrt(128) (max %.4f)", worst);
    }
    fv_model_free(m);
    CHECK(!fv_model_new_head(src, "conv1", 3) && says(ctx, "'conv1' is a conv2d layer", NULL),
          "a head that is not dense is refused: %s", fv_errmsg(ctx));
    CHECK(!fv_model_new_head(src, "nope", 3) && says(ctx, "no layer 'nope'", NULL), "an unknown head is refused: %s",
          fv_errmsg(ctx));
    fv_model_free(src);
}

/* fv_model_base of torchvision's resnet18 is the zoo's include_top=false build, layer for layer. */
static void check_base(fv_ctx *ctx)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.height = o.width = 64;
    fv_model *full = fv_zoo_build(ctx, "resnet18", &o);
    o.include_top = false, o.pooling = FV_ZOO_POOL_AVG;
    fv_model *headless = fv_zoo_build(ctx, "resnet18", &o);
    fv_model *base = full ? fv_model_base(full, FV_ZOO_POOL_AVG, 0) : NULL;
    int64_t a[FV_MAX_DIMS], b[FV_MAX_DIMS];
    bool ok = base && headless && fv_model_layer_count(base) == fv_model_layer_count(headless) &&
              fv_model_param_count(base) == fv_model_param_count(headless) &&
              fv_model_layer_shape(base, fv_model_layer_count(base) - 1, a) == 1 &&
              fv_model_layer_shape(headless, fv_model_layer_count(headless) - 1, b) == 1 && a[0] == b[0];
    for (int i = 0; ok && i < fv_model_layer_count(base) - 2; i++)
        ok = strcmp(fv_model_layer_name(base, i), fv_model_layer_name(headless, i)) == 0;
    CHECK(ok, "resnet18's base with average pooling is the zoo's include_top=false build (%d layers; %s)",
          base ? fv_model_layer_count(base) : 0, fv_errmsg(ctx));
    fv_model *top = full ? fv_model_base(full, FV_ZOO_POOL_MAX, 7) : NULL;
    CHECK(top && fv_model_output_size(top) == 7 && strcmp(fv_model_layer_type(top, fv_model_layer_count(top) - 1), "dense") == 0,
          "a base with max pooling and a new 7-class classifier");
    /* the full model's weights carry into it as far as they fit: all but the classifier */
    int carried = 0;
    char *left = NULL;
    fv_model_init(full);
    fv_status st = top ? fv_model_copy_weights_prefix(top, full, &carried, &left) : FV_ERR_ARG;
    CHECK(st == FV_OK && carried == 20 && left && strcmp(left, "fc") == 0,
          "weights carry as far as they fit (%d units) and name what they leave (%s)", carried, left ? left : "-");
    free(left);
    fv_model_free(top), fv_model_free(base), fv_model_free(headless), fv_model_free(full);
}

static int frozen_count(const fv_model *m)
{
    int n = 0;
    for (int i = 0; i < fv_model_param_count(m); i++)
        n += fv_model_param(m, i)->kind == FV_PARAM_WEIGHT && !fv_model_param(m, i)->trainable;
    return n;
}

static void check_freeze(fv_ctx *ctx)
{
    char text[2048] = "input x shape=4\n";
    for (int i = 0; i < 12; i++) {
        char line[64];
        snprintf(line, sizeof line, "dense features.%d units=4\n", i);
        strcat(text, line);
    }
    strcat(text, "dense fc units=2\n");
    fv_model *m = fv_model_parse(ctx, text, "twelve");
    int n = 0;
    CHECK(m && fv_model_freeze(m, "features.1", NULL, &n) == FV_OK && n == 1 && frozen_count(m) == 2,
          "features.1 freezes features.1 alone, not features.10 or .11 (%d layers)", n);
    CHECK(fv_model_freeze(m, "features.1*", NULL, &n) == FV_OK && n == 3, "features.1* freezes 1, 10 and 11 (%d)", n);
    fv_model_freeze(m, "none", NULL, NULL);
    CHECK(fv_model_set_trainable(m, "features.1", false) == 1 && frozen_count(m) == 2,
          "fv_model_set_trainable's prefix is a module path: features.1 alone, not features.10");
    CHECK(fv_model_freeze(m, "none", NULL, &n) == FV_OK && frozen_count(m) == 0, "none unfreezes everything");
    CHECK(fv_model_freeze(m, "up-to=features.3", NULL, &n) == FV_OK && n == 4, "up-to=features.3 freezes 0..3 (%d)", n);
    fv_model_freeze(m, "none", NULL, NULL);
    CHECK(fv_model_freeze(m, "fraction=0.5", NULL, &n) == FV_OK && n == 7, "fraction=0.5 of 13 layers freezes 7 (%d)", n);
    fv_model_freeze(m, "none", NULL, NULL);
    CHECK(fv_model_freeze(m, "all-but-head", NULL, &n) == FV_OK && n == 12 && fv_model_find_param(m, "fc.weight")->trainable,
          "all-but-head leaves fc alone trainable (%d frozen)", n);
    CHECK(fv_model_freeze(m, "features.99", NULL, &n) != FV_OK && says(ctx, "'features.99' matches no layer", "exact"),
          "a name matching nothing is refused: %s", fv_errmsg(ctx));
    CHECK(fv_model_freeze(m, "fraction=1.5", NULL, &n) != FV_OK && says(ctx, "(0, 1]", NULL),
          "a fraction above 1 is refused: %s", fv_errmsg(ctx));
    CHECK(fv_model_freeze(m, "up-to=nowhere", NULL, &n) != FV_OK && says(ctx, "no such layer", NULL),
          "up-to an unknown layer is refused: %s", fv_errmsg(ctx));
    char path[] = "/tmp/fovea_frozen_XXXXXX";
    close(mkstemp(path));
    fv_model *back = fv_model_save(m, path) == FV_OK ? fv_model_load(ctx, path) : NULL;
    CHECK(back && frozen_count(back) == 24 && fv_model_find_param(back, "fc.weight")->trainable,
          "the frozen layers survive a model file (%s)", fv_errmsg(ctx));
    fv_param_totals t = back ? fv_model_param_totals(back) : (fv_param_totals){0, 0, 0};
    CHECK(t.trainable == 10 && t.non_trainable == t.total - 10, "the totals count frozen weights as non-trainable");
    unlink(path);
    fv_model_free(back), fv_model_free(m);
}

/* A frozen batch norm in a training pass: running statistics untouched, outputs those of eval mode. */
static void check_frozen_bn(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, "input x shape=2x3x3\nbatch_norm bn\n", "bn");
    fv_model_init(m);
    fv_param *rm = fv_model_find_param(m, "bn.running_mean"), *g = fv_model_find_param(m, "bn.weight");
    fv_f32(&g->value)[0] = 2.0f;
    fv_model_freeze(m, "bn", NULL, NULL);
    fv_node *in, *out;
    fv_graph *gr = fv_model_build(m, 4, &in, &out, NULL);
    int64_t shape[4] = {4, 2, 3, 3};
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, shape);
    for (int i = 0; i < 72; i++) fv_f32(x)[i] = (float)(i % 7) + 1.0f;
    fv_graph_set_input(gr, in, x);
    fv_graph_set_training(gr, true);
    bool ok = fv_graph_forward(gr) == FV_OK && fv_f32(&rm->value)[0] == 0.0f && fv_f32(&rm->value)[1] == 0.0f;
    float y0 = fv_f32(fv_node_value(out))[0];
    CHECK(ok && fabsf(y0 - 2.0f * 1.0f / sqrtf(1.0f + 1e-5f)) < 1e-5f,
          "a frozen batch norm trains in inference mode: running mean unchanged, y = gamma x / sqrt(1 + eps) (%g)", y0);
    fv_model_unfreeze(m, NULL, NULL);
    ok = fv_graph_forward(gr) == FV_OK && fv_f32(&rm->value)[0] != 0.0f;
    CHECK(ok, "unfrozen, it uses and updates batch statistics again");
    fv_tensor_free(x), fv_graph_free(gr), fv_model_free(m);
}

static fv_status fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    (void)data, (void)epoch;
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < 4; p++) fv_f32(x)[i * 4 + p] = (float)((idx[i] * 3 + p) % 5) / 5.0f;
        fv_i32(y)[i] = (int)(idx[i] % 2);
    }
    return FV_OK;
}

/* --lr-body: one SGD step moves the body by lr_body's share of what the head's rate would. */
static void check_lr_body(void)
{
    float before[2][32], after[2][32];
    const char *names[2] = {"body.weight", "fc.weight"};
    double ratio[2] = {0, 0};
    for (int run = 0; run < 2; run++) {
        fv_ctx *ctx = fv_ctx_new(5); /* the same weights in both runs */
        fv_model *m = fv_model_parse(ctx, "input x shape=4\ndense body units=8\nrelu r\ndense fc units=2\n", "lr");
        fv_model_init(m);
        fv_fit_config c = fv_fit_defaults();
        c.optim = fv_optim_defaults(FV_OPT_SGD);
        c.optim.lr = 0.1f, c.batch_size = 8, c.shuffle = false, c.verbose = FV_VERBOSE_QUIET;
        if (run) c.lr_body = 0.01;
        fv_trainer *t = fv_trainer_new(m, &c);
        fv_data_source src = {8, fetch, NULL, NULL, NULL};
        int64_t size[2];
        for (int k = 0; k < 2; k++) {
            const fv_tensor *v = &fv_model_find_param(m, names[k])->value;
            size[k] = v->size; /* body 8x4, head 2x8 */
            memcpy(before[k], v->data, (size_t)v->size * sizeof(float));
        }
        CHECK(t && fv_trainer_fit(t, &src) == FV_OK, "a step (%s)", fv_errmsg(ctx));
        for (int k = 0; k < 2; k++) {
            memcpy(after[k], fv_model_find_param(m, names[k])->value.data, (size_t)size[k] * sizeof(float));
            double d = 0;
            for (int64_t i = 0; i < size[k]; i++) d += fabs(after[k][i] - before[k][i]);
            if (k == 0) ratio[run] = d;                  /* the body's movement ... */
            else ratio[run] /= d > 0 ? d : 1;            /* ... relative to the head's */
        }
        fv_trainer_free(t), fv_model_free(m), fv_ctx_free(ctx);
    }
    CHECK(fabs(ratio[1] / ratio[0] - 0.1) < 1e-3, "with --lr-body 0.01 the body moves a tenth as far relative to the "
          "head as with one rate (%.4f)", ratio[1] / ratio[0]);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    check_new_head(ctx);
    check_base(ctx);
    check_freeze(ctx);
    check_frozen_bn(ctx);
    check_lr_body();
    fv_ctx_free(ctx);
    return test_finish();
}
