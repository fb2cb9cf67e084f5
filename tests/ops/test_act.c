/* Activations, softmax and log-softmax against PyTorch (tests/reference/gen_act.py) and finite differences,
 * plus bad-argument errors. */
#include "opcheck.h"
#include "test.h"

/* Through the convenience builders, so each of them is exercised. */
static fv_node *build_activation(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_node *x = opcheck_leaf(in, "x");
    float alpha = fx_float(fx, "attr:alpha", 0.0f);
    switch (fx_int(fx, "attr:kind", 0, -1)) {
    case FV_ACT_RELU: return fv_relu(g, x);
    case FV_ACT_LEAKY_RELU: return fv_leaky_relu(g, x, alpha);
    case FV_ACT_RELU6: return fv_relu6(g, x);
    case FV_ACT_ELU: return fv_elu(g, x, alpha);
    case FV_ACT_SIGMOID: return fv_sigmoid(g, x);
    case FV_ACT_TANH: return fv_tanh(g, x);
    case FV_ACT_SILU: return fv_silu(g, x);
    case FV_ACT_HARD_SIGMOID: return fv_hard_sigmoid(g, x);
    case FV_ACT_HARD_SWISH: return fv_hard_swish(g, x);
    default: return NULL;
    }
}

static fv_node *build_softmax(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_softmax(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:axis", 0, 0));
}

static fv_node *build_log_softmax(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_log_softmax(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:axis", 0, 0));
}

/* The generic builder with every kind must agree with the names the fixtures use. */
static void names(void)
{
    static const char *const want[] = {"relu", "leaky_relu", "relu6", "elu", "sigmoid",
                                       "tanh", "silu", "hard_sigmoid", "hard_swish"};
    int ok = 1;
    for (int k = 0; k < FV_ACT_COUNT; k++) ok &= strcmp(fv_activation_name((fv_activation_kind)k), want[k]) == 0;
    CHECK(ok && strcmp(fv_activation_name(FV_ACT_COUNT), "unknown") == 0 &&
              strcmp(fv_activation_name((fv_activation_kind)-1), "unknown") == 0,
          "activation names");
}

static void bad_args(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){2, 3});
    CHECK(fv_activation(g, x, (fv_activation_kind)42, 0.0f) == NULL && strstr(fv_errmsg(ctx), "activation") &&
              strstr(fv_errmsg(ctx), "unknown activation kind 42"),
          "activation rejects an unknown kind: %s", fv_errmsg(ctx));
    CHECK(fv_activation(g, x, (fv_activation_kind)-1, 0.0f) == NULL && strstr(fv_errmsg(ctx), "kind -1"),
          "activation rejects a negative kind: %s", fv_errmsg(ctx));
    CHECK(fv_elu(g, x, NAN) == NULL && strstr(fv_errmsg(ctx), "alpha"), "elu rejects a NaN alpha: %s",
          fv_errmsg(ctx));
    fv_node *r = fv_relu(g, x);
    CHECK(r && strcmp(fv_node_op_name(r), "activation") == 0 && strncmp(fv_node_name(r), "relu_", 5) == 0,
          "relu node is named after its function: %s", r ? fv_node_name(r) : "NULL");
    fv_node *lab = fv_input(g, "labels", FV_I32, 1, (int64_t[]){2});
    CHECK(fv_sigmoid(g, lab) == NULL && strstr(fv_errmsg(ctx), "float32"), "sigmoid rejects int32: %s",
          fv_errmsg(ctx));
    CHECK(fv_softmax(g, x, 2) == NULL && strstr(fv_errmsg(ctx), "softmax") && strstr(fv_errmsg(ctx), "axis 2") &&
              strstr(fv_errmsg(ctx), "(2,3)"),
          "softmax rejects axis 2 of a 2-D input: %s", fv_errmsg(ctx));
    CHECK(fv_log_softmax(g, x, -3) == NULL && strstr(fv_errmsg(ctx), "log_softmax") &&
              strstr(fv_errmsg(ctx), "axis -3") && strstr(fv_errmsg(ctx), "(2,3)"),
          "log_softmax rejects axis -3 of a 2-D input: %s", fv_errmsg(ctx));
    CHECK(fv_softmax(g, x, -2) != NULL, "softmax accepts axis -2 of a 2-D input");
    CHECK(fv_relu(g, NULL) == NULL && fv_softmax(g, NULL, 1) == NULL, "NULL inputs propagate");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* Backward adds into the input's gradient (two uses of x), and works in eval mode. */
static void accumulates(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    float xv[4] = {-1.0f, 0.5f, 2.0f, 4.0f};
    fv_tensor *xt = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){1, 4}, xv);
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){1, 4});
    fv_graph_set_input(g, x, xt);
    fv_node_keep_grad(g, x);
    fv_node *y = fv_add(g, fv_relu(g, x), fv_softmax(g, x, 1));
    fv_graph_set_training(g, false);
    fv_tensor *seed = fv_tensor_from(ctx, FV_F32, 2, (int64_t[]){1, 4}, (float[]){1, 0, 0, 0});
    int ok = y && fv_graph_forward(g) == FV_OK && fv_graph_backward_seed(g, y, seed) == FV_OK;
    const fv_tensor *gx = ok ? fv_node_grad(x) : NULL;
    /* d/dx0 of relu(x0) + softmax(x)_0: relu contributes 0 (x0 < 0), softmax s0 (1 - s0) and -s0 sj. */
    double e[4], sum = 0;
    for (int i = 0; i < 4; i++) sum += e[i] = exp(xv[i]);
    double s0 = e[0] / sum, want0 = s0 * (1 - s0), want3 = -s0 * e[3] / sum;
    CHECK(gx && fabs(fv_f32(gx)[0] - want0) < 1e-6 && fabs(fv_f32(gx)[3] - want3) < 1e-6,
          "gradients of two uses add up, in eval mode (%s)", fv_errmsg(ctx));
    fv_tensor_free(seed);
    fv_tensor_free(xt);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("activation_", build_activation);
    opcheck_all("softmax_", build_softmax);
    opcheck_all("log_softmax_", build_log_softmax);
    names();
    bad_args();
    accumulates();
    return test_finish();
}
