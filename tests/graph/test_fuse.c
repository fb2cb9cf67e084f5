/* Training-pass fusion of a ReLU / ReLU6 into the batch norm it alone reads (src/graph/fuse.c): the fused pass
 * gives the same outputs, loss and gradients bit for bit as the unfused one (fv_node_keep_value on the batch
 * norm keeps it unfused), NaN included; the activation's value is the batch norm's buffer, and its gradient too
 * unless asked for (the batch norm's backward then takes it through the clamp); a batch norm with a
 * second reader, eval-mode passes and leaky ReLU stay unfused; a second pass decides afresh. */
#include <math.h>
#include <string.h>

#include "test.h"
#include "../../src/graph/graph_internal.h" /* where the gradients live: grad.data */

#define N 3
#define C 4
#define H 6
#define W 7

typedef struct {
    fv_graph *g;
    fv_node *x, *bn, *act, *out, *loss;
    fv_param *w, *gamma, *beta, *rm, *rv;
} net;

static fv_param *param(fv_ctx *ctx, const char *name, fv_param_kind kind, int64_t size, uint64_t stream, float base)
{
    fv_param *p = fv_param_new(ctx, name, kind, 1, (int64_t[]){size});
    for (int64_t i = 0; i < size; i++) fv_f32(&p->value)[i] = base + (float)(fv_rng_uniform(21, stream, (uint64_t)i) - 0.5);
    return p;
}

/* How a variant differs: the batch norm also read by an add (second), the convolution's output also read by
 * the loss (conv_twice: the batch norm's input gradient is then added to, not assigned), the activation's
 * gradient asked for (keep_act_grad: the two gradients keep their own buffers). */
typedef struct {
    bool second, conv_twice, keep_act_grad;
} variant;

/* x -> 3x3 conv -> batch norm -> act -> (second: + the batch norm) -> (conv_twice: + the conv) -> MSE to noise. */
static net build(fv_ctx *ctx, fv_activation_kind kind, variant v)
{
    net m = {.g = fv_graph_new(ctx)};
    m.x = fv_input(m.g, "x", FV_F32, 4, (int64_t[]){N, C, H, W});
    fv_node_keep_grad(m.g, m.x);
    m.w = fv_param_new(ctx, "w", FV_PARAM_WEIGHT, 4, (int64_t[]){C, C, 3, 3});
    for (int64_t i = 0; i < m.w->value.size; i++) fv_f32(&m.w->value)[i] = (float)(fv_rng_uniform(21, 1, (uint64_t)i) - 0.5);
    m.gamma = param(ctx, "gamma", FV_PARAM_WEIGHT, C, 2, 1.0f), m.beta = param(ctx, "beta", FV_PARAM_WEIGHT, C, 3, 0.0f);
    m.rm = param(ctx, "rm", FV_PARAM_BUFFER, C, 4, 0.0f), m.rv = param(ctx, "rv", FV_PARAM_BUFFER, C, 5, 1.0f);
    fv_conv2d_args ca = fv_conv2d_defaults();
    ca.pad[0] = ca.pad[1] = ca.pad[2] = ca.pad[3] = 1;
    fv_node *conv = fv_conv2d(m.g, m.x, fv_use_param(m.g, m.w), NULL, &ca);
    m.bn = fv_batch_norm(m.g, conv, fv_use_param(m.g, m.gamma), fv_use_param(m.g, m.beta), fv_use_param(m.g, m.rm),
                         fv_use_param(m.g, m.rv), NULL);
    m.act = fv_activation(m.g, m.bn, kind, 0.1f);
    if (v.keep_act_grad) fv_node_keep_grad(m.g, m.act);
    m.out = v.second ? fv_add(m.g, m.act, m.bn) : m.act;
    if (v.conv_twice) m.out = fv_add(m.g, m.out, conv);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){N, C, H, W});
    for (int64_t i = 0; i < t->size; i++) fv_f32(t)[i] = (float)fv_rng_uniform(21, 6, (uint64_t)i);
    m.loss = fv_mse_loss(m.g, m.out, fv_constant(m.g, t));
    fv_tensor_free(t);
    return m;
}

static void drop(net *m)
{
    fv_graph_free(m->g);
    fv_param_free(m->w), fv_param_free(m->gamma), fv_param_free(m->beta), fv_param_free(m->rm), fv_param_free(m->rv);
}

/* x: noise, with a NaN at `nan_at` (-1: none) */
static fv_tensor *input(fv_ctx *ctx, int nan_at)
{
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){N, C, H, W});
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = (float)(2.0 * fv_rng_uniform(21, 9, (uint64_t)i) - 1.0);
    if (nan_at >= 0) fv_f32(x)[nan_at] = NAN;
    return x;
}

static bool same(const fv_tensor *a, const fv_tensor *b)
{
    return a && b && a->size == b->size && memcmp(a->data, b->data, (size_t)a->size * sizeof(float)) == 0;
}

typedef struct {
    bool ran, fused, equal, grad_shared;
} outcome;

/* One forward and backward of the net fused (as built) and unfused (the batch norm kept), compared. */
static outcome compare(fv_ctx *ctx, fv_activation_kind kind, variant v, bool training, int nan_at)
{
    outcome r = {false, false, false, false};
    net a = build(ctx, kind, v), b = build(ctx, kind, v);
    fv_node_keep_value(b.bn);
    fv_graph_set_training(a.g, training), fv_graph_set_training(b.g, training);
    fv_tensor *x = input(ctx, nan_at);
    bool ok = true;
    for (int pass = 0; ok && pass < 2; pass++) /* the second pass decides again over the same buffers */
        ok = fv_graph_set_input(a.g, a.x, x) == FV_OK && fv_graph_set_input(b.g, b.x, x) == FV_OK &&
             fv_graph_forward(a.g) == FV_OK && fv_graph_forward(b.g) == FV_OK &&
             fv_graph_backward(a.g, a.loss) == FV_OK && fv_graph_backward(b.g, b.loss) == FV_OK;
    if (ok) {
        r.ran = true;
        r.fused = fv_node_value(a.act)->data == fv_node_value(a.bn)->data;
        r.grad_shared = a.act->grad.data == a.bn->grad.data;
        r.equal = fv_node_value(b.act)->data != fv_node_value(b.bn)->data && same(fv_node_value(a.act), fv_node_value(b.act)) &&
                  same(fv_node_value(a.loss), fv_node_value(b.loss)) && same(fv_node_grad(a.x), fv_node_grad(b.x)) &&
                  same(&a.w->grad, &b.w->grad) && same(&a.gamma->grad, &b.gamma->grad) &&
                  same(&a.beta->grad, &b.beta->grad) && same(&a.rm->value, &b.rm->value) &&
                  same(&a.rv->value, &b.rv->value) && (!v.keep_act_grad || same(fv_node_grad(a.act), fv_node_grad(b.act)));
    }
    fv_tensor_free(x);
    drop(&a), drop(&b);
    return r;
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const variant plain = {false, false, false}, second = {true, false, false}, conv_twice = {false, true, false},
                  keep = {false, false, true};
    outcome relu = compare(ctx, FV_ACT_RELU, plain, true, -1);
    CHECK(relu.ran && relu.fused, "a ReLU that alone reads a batch norm shares its buffer in a training pass");
    CHECK(relu.equal, "fused and unfused ReLU passes: outputs, loss, input and parameter gradients, running "
                      "statistics bit for bit");
    CHECK(relu.grad_shared, "and its gradient the batch norm's buffer, taken through the clamp by the batch norm");
    outcome six = compare(ctx, FV_ACT_RELU6, plain, true, -1);
    CHECK(six.ran && six.fused && six.grad_shared && six.equal, "ReLU6 fuses, bit for bit");
    outcome nan = compare(ctx, FV_ACT_RELU, plain, true, 17);
    CHECK(nan.ran && nan.fused && nan.equal, "a NaN in the input: the fused pass propagates it as the unfused one");
    outcome twice = compare(ctx, FV_ACT_RELU, conv_twice, true, -1);
    CHECK(twice.ran && twice.grad_shared && twice.equal,
          "the batch norm's input gradient added to another reader's (clamped in place, not in dx): bit for bit");
    outcome six_twice = compare(ctx, FV_ACT_RELU6, conv_twice, true, 5);
    CHECK(six_twice.ran && six_twice.grad_shared && six_twice.equal, "the same with ReLU6 and a NaN: bit for bit");
    outcome kept = compare(ctx, FV_ACT_RELU, keep, true, -1);
    CHECK(kept.ran && kept.fused && !kept.grad_shared && kept.equal,
          "the activation's gradient asked for: its own buffer, equal to the unfused one's");
    outcome shared = compare(ctx, FV_ACT_RELU, second, true, -1);
    CHECK(shared.ran && !shared.fused && shared.equal, "a batch norm with a second reader stays unfused");
    outcome eval = compare(ctx, FV_ACT_RELU, plain, false, -1);
    CHECK(eval.ran && !eval.fused && eval.equal, "eval-mode passes (diagnostics read the layers) stay unfused");
    outcome leaky = compare(ctx, FV_ACT_LEAKY_RELU, plain, true, -1);
    CHECK(leaky.ran && !leaky.fused && leaky.equal, "leaky ReLU is not a clamp: unfused");
    fv_ctx_free(ctx);
    return test_finish();
}
