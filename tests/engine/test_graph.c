/* Graph-level behaviour: shared parameters (Siamese twins) and a requested inner gradient against PyTorch, a
 * Grad-CAM-style backward in eval mode with frozen weights, parameters shared between graphs, batch-size
 * changes, and the errors of misuse. Fixtures: tests/reference/gen_graph.py. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

static fv_param *param_of(fv_ctx *ctx, const fx_file *fx, const char *name, fv_param_kind kind)
{
    const fv_tensor *t = fx_get(fx, name);
    fv_param *p = t ? fv_param_new(ctx, name, kind, t->ndim, t->shape) : NULL;
    if (p) memcpy(p->value.data, t->data, (size_t)t->size * sizeof(float));
    return p;
}

static fv_node *input_of(fv_graph *g, const fx_file *fx, const char *name)
{
    const fv_tensor *t = fx_get(fx, name);
    fv_node *n = t ? fv_input(g, name, t->dtype, t->ndim, t->shape) : NULL;
    if (n) fv_graph_set_input(g, n, t);
    return n;
}

static void compare(const char *what, const fv_tensor *got, const fv_tensor *want)
{
    if (!CHECK(got && want && got->size == want->size, "%s present with the reference's size", what)) return;
    double err = rel_error(fv_f32(got), fv_f32(want), got->size);
    CHECK(err <= 1e-5, "%s: rel error %.2e", what, err);
}

/* f_i = relu(conv(x_i; w, b)) for two inputs with ONE parameter pair; out = dense(mean_hw(f1*f2 + f1)). */
static void siamese(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/graph_siamese.fvx");
    if (!CHECK(fx != NULL, "siamese fixture loads")) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    fv_param *w = param_of(ctx, fx, "w", FV_PARAM_WEIGHT), *b = param_of(ctx, fx, "b", FV_PARAM_WEIGHT);
    fv_param *wd = param_of(ctx, fx, "wd", FV_PARAM_WEIGHT), *bd = param_of(ctx, fx, "bd", FV_PARAM_WEIGHT);
    fv_conv2d_args ca = fv_conv2d_defaults();
    ca.stride[0] = ca.stride[1] = 2;
    ca.pad[0] = ca.pad[1] = ca.pad[2] = ca.pad[3] = 1;
    fv_node *x1 = input_of(g, fx, "x1"), *x2 = input_of(g, fx, "x2");
    fv_node *f1 = fv_relu(g, fv_conv2d(g, x1, fv_use_param(g, w), fv_use_param(g, b), &ca));
    fv_node *f2 = fv_relu(g, fv_conv2d(g, x2, fv_use_param(g, w), fv_use_param(g, b), &ca));
    fv_node *e = fv_add(g, fv_mul(g, f1, f2), f1);
    fv_node *out = fv_dense(g, fv_flatten(g, fv_global_avg_pool2d(g, e)), fv_use_param(g, wd), fv_use_param(g, bd));
    CHECK(fv_use_param(g, w) == fv_use_param(g, w), "a parameter has one node per graph");
    if (CHECK(out != NULL, "siamese graph builds (%s)", fv_errmsg(ctx))) {
        fv_node_keep_grad(g, f1);
        fv_node_keep_grad(g, x1);
        CHECK(fv_graph_forward(g) == FV_OK, "siamese forward");
        compare("siamese output", fv_node_value(out), fx_get(fx, "out"));
        CHECK(fv_graph_backward_seed(g, out, fx_get(fx, "dout")) == FV_OK, "siamese backward (%s)", fv_errmsg(ctx));
        compare("shared conv weight gradient (both twins)", &w->grad, fx_get(fx, "grad:w"));
        compare("shared conv bias gradient", &b->grad, fx_get(fx, "grad:b"));
        compare("head weight gradient", &wd->grad, fx_get(fx, "grad:wd"));
        compare("inner feature map gradient", fv_node_grad(f1), fx_get(fx, "grad:f1"));
        compare("input gradient", fv_node_grad(x1), fx_get(fx, "grad:x1"));
        CHECK(fv_node_grad(f2) == NULL, "no gradient kept for a node nobody asked for");

        /* A second backward accumulates into parameters (as PyTorch) and overwrites kept node gradients. */
        float g0 = fv_f32(&w->grad)[0];
        fv_graph_backward_seed(g, out, fx_get(fx, "dout"));
        CHECK(fabsf(fv_f32(&w->grad)[0] - 2 * g0) <= 1e-6f * fabsf(g0) + 1e-12f, "parameter gradients accumulate");
        compare("kept gradient after a second backward", fv_node_grad(f1), fx_get(fx, "grad:f1"));
        fv_graph_zero_grad(g);
        CHECK(fv_f32(&w->grad)[0] == 0.0f, "zero_grad clears parameter gradients");
    }
    fv_graph_free(g);
    fv_param_free(w), fv_param_free(b), fv_param_free(wd), fv_param_free(bd);
    fv_ctx_free(ctx);
    fx_free(fx);
}

/* Grad-CAM's need: d(class score)/d(inner map) in eval mode with every weight frozen. */
static void gradcam_backward(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/graph_gradcam.fvx");
    if (!CHECK(fx != NULL, "gradcam fixture loads")) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    const char *names[] = {"w1", "w2", "gamma", "beta", "rm", "rv", "wd", "bd"};
    fv_param *p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = param_of(ctx, fx, names[i], i == 4 || i == 5 ? FV_PARAM_BUFFER : FV_PARAM_WEIGHT);
        fv_param_set_trainable(p[i], false);
    }
    fv_conv2d_args ca = fv_conv2d_defaults();
    ca.pad[0] = ca.pad[1] = ca.pad[2] = ca.pad[3] = 1;
    fv_batch_norm_args ba = fv_batch_norm_defaults();
    fv_node *x = input_of(g, fx, "x");
    fv_node *h = fv_conv2d(g, x, fv_use_param(g, p[0]), NULL, &ca);
    h = fv_relu(g, fv_batch_norm(g, h, fv_use_param(g, p[2]), fv_use_param(g, p[3]), fv_use_param(g, p[4]),
                                 fv_use_param(g, p[5]), &ba));
    fv_node *a = fv_conv2d(g, h, fv_use_param(g, p[1]), NULL, &ca);
    fv_node *logits = fv_dense(g, fv_flatten(g, fv_global_avg_pool2d(g, fv_relu(g, a))), fv_use_param(g, p[6]),
                               fv_use_param(g, p[7]));
    if (CHECK(logits != NULL, "gradcam graph builds (%s)", fv_errmsg(ctx))) {
        fv_graph_set_training(g, false);
        fv_node_keep_grad(g, a);
        CHECK(fv_graph_forward(g) == FV_OK, "eval forward");
        compare("eval-mode logits", fv_node_value(logits), fx_get(fx, "logits"));
        CHECK(fv_graph_backward_seed(g, logits, fx_get(fx, "seed")) == FV_OK, "one-hot backward (%s)", fv_errmsg(ctx));
        compare("gradient of the class score w.r.t. the inner map", fv_node_grad(a), fx_get(fx, "grad:a"));
        double total = 0;
        for (int i = 0; i < 8; i++)
            for (int64_t k = 0; k < p[i]->grad.size; k++) total += fabs(fv_f32(&p[i]->grad)[k]);
        CHECK(total == 0.0, "frozen parameters receive no gradient");
        CHECK(fv_f32(&p[4]->value)[0] == fv_f32(fx_get(fx, "rm"))[0], "eval mode leaves running statistics alone");
    }
    fv_graph_free(g);
    for (int i = 0; i < 8; i++) fv_param_free(p[i]);
    fv_ctx_free(ctx);
    fx_free(fx);
}

/* One parameter in two graphs (a shared backbone): both accumulate into it; it lives until its last user. */
static void shared_between_graphs(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_param *w = fv_param_new(ctx, "w", FV_PARAM_WEIGHT, 2, (int64_t[]){2, 3});
    for (int i = 0; i < 6; i++) fv_f32(&w->value)[i] = 0.5f * (float)i - 1.0f;
    fv_graph *g1 = fv_graph_new(ctx), *g2 = fv_graph_new(ctx);
    fv_node *x1 = fv_input(g1, "x", FV_F32, 2, (int64_t[]){1, 3});
    fv_node *x2 = fv_input(g2, "x", FV_F32, 2, (int64_t[]){1, 3});
    fv_node *y1 = fv_dense(g1, x1, fv_use_param(g1, w), NULL);
    fv_node *y2 = fv_dense(g2, x2, fv_use_param(g2, w), NULL);
    fv_param_free(w); /* the graphs keep it alive */
    fv_tensor *ones = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){1, 3});
    fv_tensor *seed = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){1, 2});
    for (int i = 0; i < 3; i++) fv_f32(ones)[i] = 1.0f;
    fv_f32(seed)[0] = fv_f32(seed)[1] = 1.0f;
    fv_graph_set_input(g1, x1, ones);
    fv_graph_set_input(g2, x2, ones);
    fv_graph_forward(g1);
    fv_graph_forward(g2);
    fv_graph_backward_seed(g1, y1, seed);
    fv_graph_backward_seed(g2, y2, seed);
    fv_param *shared = fv_node_param(fv_graph_node(g1, 1));
    CHECK(shared && fv_f32(&shared->grad)[0] == 2.0f, "gradients from two graphs accumulate into one parameter");

    /* Frozen: no gradient flows into it any more. */
    fv_param_set_trainable(shared, false);
    fv_param_zero_grad(shared);
    fv_graph_backward_seed(g1, y1, seed);
    CHECK(fv_f32(&shared->grad)[0] == 0.0f, "a frozen parameter gets no gradient");
    fv_graph_free(g1);
    CHECK(fv_graph_forward(g2) == FV_OK && fv_f32(fv_node_value(y2))[0] == -1.5f,
          "the parameter outlives the first graph freed");
    fv_graph_free(g2);
    fv_tensor_free(ones);
    fv_tensor_free(seed);
    fv_ctx_free(ctx);
}

/* A smaller last batch: shapes are inferred again and buffers follow. */
static void batch_change(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_graph *g = fv_graph_new(ctx);
    fv_param *w = fv_param_new(ctx, "w", FV_PARAM_WEIGHT, 4, (int64_t[]){2, 1, 3, 3});
    for (int i = 0; i < 18; i++) fv_f32(&w->value)[i] = 0.1f * (float)(i % 5);
    fv_conv2d_args ca = fv_conv2d_defaults();
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){4, 1, 5, 5});
    fv_node *y = fv_flatten(g, fv_conv2d(g, x, fv_use_param(g, w), NULL, &ca));
    fv_tensor *small = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){3, 1, 5, 5});
    for (int64_t i = 0; i < small->size; i++) fv_f32(small)[i] = 1.0f;
    CHECK(y && fv_graph_set_input(g, x, small) == FV_OK && fv_graph_forward(g) == FV_OK, "forward after a batch change");
    const fv_tensor *v = fv_node_value(y);
    CHECK(v->ndim == 2 && v->shape[0] == 3 && v->shape[1] == 18, "output follows the new batch: %s",
          fv_shape_str(v, (char[64]){0}, 64));
    CHECK(fabsf(fv_f32(v)[0] - 0.1f * (0 + 1 + 2 + 3 + 4 + 0 + 1 + 2 + 3)) < 1e-5f, "and is computed on it");
    fv_tensor *wrong = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){3, 2, 5, 5});
    CHECK(fv_graph_set_input(g, x, wrong) == FV_OK && fv_graph_forward(g) != FV_OK &&
              strstr(fv_errmsg(ctx), "conv2d") != NULL,
          "a new input shape an op cannot take fails at forward, naming the op: %s", fv_errmsg(ctx));
    fv_tensor_free(small);
    fv_tensor_free(wrong);
    fv_param_free(w);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void misuse(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_graph *g = fv_graph_new(ctx), *other = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){2, 3});
    fv_node *lab = fv_input(g, "labels", FV_I32, 1, (int64_t[]){2});
    fv_node *y = fv_relu(g, x);
    CHECK(fv_graph_backward(g, y) == FV_ERR_STATE && strstr(fv_errmsg(ctx), "forward"),
          "backward before forward: %s", fv_errmsg(ctx));
    fv_graph_forward(g);
    CHECK(fv_graph_backward(g, y) == FV_ERR_SHAPE && strstr(fv_errmsg(ctx), "(2,3)"),
          "backward from a non-scalar without a seed: %s", fv_errmsg(ctx));
    fv_tensor *seed = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){3, 2});
    CHECK(fv_graph_backward_seed(g, y, seed) == FV_ERR_SHAPE && strstr(fv_errmsg(ctx), "(3,2)"),
          "a seed of the wrong shape: %s", fv_errmsg(ctx));
    CHECK(fv_node_keep_grad(g, lab) != FV_OK && strstr(fv_errmsg(ctx), "labels"), "no gradient for integer tensors: %s",
          fv_errmsg(ctx));
    CHECK(fv_relu(other, x) == NULL && strstr(fv_errmsg(ctx), "another graph"), "a node of another graph: %s",
          fv_errmsg(ctx));
    fv_tensor *ints = fv_tensor_new(ctx, FV_I32, 2, (int64_t[]){2, 3});
    CHECK(fv_graph_set_input(g, x, ints) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "'x'"), "an input of the wrong dtype: %s",
          fv_errmsg(ctx));
    fv_node *empty = fv_input(g, "empty", FV_F32, 2, (int64_t[]){0, 3});
    CHECK(empty && fv_node_value(empty)->size == 0, "an input with a zero dimension is an empty tensor: %s",
          fv_errmsg(ctx));
    CHECK(fv_input(g, "huge", FV_F32, 4, (int64_t[]){100000, 100000, 3, 100}) == NULL && strstr(fv_errmsg(ctx), "huge"),
          "an absurdly large input: %s", fv_errmsg(ctx));
    CHECK(fv_input(g, "neg", FV_F32, 1, (int64_t[]){-4}) == NULL && strstr(fv_errmsg(ctx), "-4"),
          "a negative dimension: %s", fv_errmsg(ctx));

    /* A failed builder's NULL propagates and its message is kept. */
    fv_node *bad = fv_dense(g, x, fv_input(g, "w", FV_F32, 2, (int64_t[]){4, 5}), NULL);
    char first[512];
    snprintf(first, sizeof first, "%s", fv_errmsg(ctx));
    CHECK(bad == NULL && fv_relu(g, fv_sigmoid(g, bad)) == NULL && strcmp(first, fv_errmsg(ctx)) == 0,
          "the first error survives a chain of builders: %s", fv_errmsg(ctx));
    fv_tensor_free(seed);
    fv_tensor_free(ints);
    fv_graph_free(g);
    fv_graph_free(other);
    fv_ctx_free(ctx);
}

/* A reshape is a view: its value lives in its input's buffer, in training and inference graphs, and in
 * inference mode that buffer stays alive until the view's last reader has run (a pooled buffer reused early
 * would hand the reader another node's values). */
static void reshape_is_a_view(void)
{
    for (int inference = 0; inference < 2; inference++) {
        fv_ctx *ctx = fv_ctx_new(0);
        fv_graph *g = fv_graph_new(ctx);
        fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){2, 6});
        fv_node *a = fv_relu(g, x);
        fv_node *v = fv_reshape(g, a, 3, (int64_t[]){2, 3, 2});
        fv_node *w = fv_reshape(g, v, 1, (int64_t[]){12});
        fv_node *b = fv_relu(g, fv_relu(g, x)); /* would take a's buffer if it were free */
        fv_node *sum = fv_add(g, fv_reshape(g, w, 2, (int64_t[]){2, 6}), b);
        fv_graph_set_inference(g, inference);
        fv_tensor *xv = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){2, 6});
        for (int i = 0; i < 12; i++) fv_f32(xv)[i] = (float)(i - 5);
        fv_graph_set_input(g, x, xv);
        CHECK(fv_graph_forward(g) == FV_OK, "forward (%s)", fv_errmsg(ctx));
        if (!inference)
            CHECK(fv_node_value(v)->data == fv_node_value(a)->data && fv_node_value(w)->data == fv_node_value(a)->data,
                  "a reshape's value is its input's buffer");
        int good = 1;
        for (int i = 0; i < 12; i++) good &= fv_f32(fv_node_value(sum))[i] == 2.0f * (float)(i > 5 ? i - 5 : 0);
        CHECK(good, "values read through a chain of views are right (%s graph)", inference ? "inference" : "training");
        fv_tensor_free(xv);
        fv_graph_free(g);
        fv_ctx_free(ctx);
    }
}

int main(void)
{
    reshape_is_a_view();
    siamese();
    gradcam_backward();
    shared_between_graphs();
    batch_change();
    misuse();
    return test_finish();
}
