/* FMNIST-CNN end to end against PyTorch (tests/reference/gen_fmnist.py): one training step's loss, every
 * gradient and the running statistics; every weight after one step of each optimizer; the losses of 20 Adam
 * steps. Batch norm sums over up to 50,176 values upstream of every gradient, so the tolerance is 1e-4. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

#define N_PARAMS 12
#define N_BUFFERS 4
#define TOL 1e-4

static const char *const param_names[N_PARAMS] = {
    "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight", "conv2.bias",
    "bn2.weight",   "bn2.bias",   "fc1.weight", "fc1.bias", "fc2.weight",   "fc2.bias"};
static const char *const buffer_names[N_BUFFERS] = {"bn1.running_mean", "bn1.running_var", "bn2.running_mean",
                                                    "bn2.running_var"};

typedef struct {
    fv_ctx *ctx;
    fv_graph *g;
    fv_node *x, *y, *loss;
    fv_param *params[N_PARAMS], *buffers[N_BUFFERS];
} net;

static fv_param *param_from(fv_ctx *ctx, const fx_file *fx, const char *prefix, const char *name, fv_param_kind kind)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    const fv_tensor *t = fx_get(fx, key);
    if (!t) return NULL;
    fv_param *p = fv_param_new(ctx, name, kind, t->ndim, t->shape);
    if (p) memcpy(p->value.data, t->data, (size_t)t->size * sizeof(float));
    return p;
}

static fv_node *conv_bn_relu_pool(net *m, fv_node *x, int k)
{
    fv_conv2d_args ca = fv_conv2d_defaults();
    ca.pad[0] = ca.pad[1] = ca.pad[2] = ca.pad[3] = 1;
    fv_batch_norm_args ba = fv_batch_norm_defaults();
    fv_pool2d_args pa = fv_pool2d_defaults(2);
    fv_graph *g = m->g;
    fv_node *c = fv_conv2d(g, x, fv_use_param(g, m->params[4 * k]), fv_use_param(g, m->params[4 * k + 1]), &ca);
    fv_node *b = fv_batch_norm(g, c, fv_use_param(g, m->params[4 * k + 2]), fv_use_param(g, m->params[4 * k + 3]),
                               fv_use_param(g, m->buffers[2 * k]), fv_use_param(g, m->buffers[2 * k + 1]), &ba);
    return fv_max_pool2d(g, fv_relu(g, b), &pa);
}

/* The network of ../shared/BENCHMARKS.md with the fixture's initial weights; dropout is the context's first
 * stream, as the fixture assumes. */
static int net_build(net *m, const fx_file *fx)
{
    memset(m, 0, sizeof *m);
    m->ctx = fv_ctx_new(7);
    m->g = fv_graph_new(m->ctx);
    for (int i = 0; i < N_PARAMS; i++)
        if (!(m->params[i] = param_from(m->ctx, fx, "param:", param_names[i], FV_PARAM_WEIGHT))) return 0;
    for (int i = 0; i < N_BUFFERS; i++)
        if (!(m->buffers[i] = param_from(m->ctx, fx, "buffer:", buffer_names[i], FV_PARAM_BUFFER))) return 0;
    fv_graph *g = m->g;
    m->x = fv_input(g, "x", FV_F32, 4, (int64_t[]){64, 1, 28, 28});
    m->y = fv_input(g, "y", FV_I32, 1, (int64_t[]){64});
    fv_node *h = conv_bn_relu_pool(m, conv_bn_relu_pool(m, m->x, 0), 1);
    h = fv_relu(g, fv_dense(g, fv_flatten(g, h), fv_use_param(g, m->params[8]), fv_use_param(g, m->params[9])));
    h = fv_dropout(g, h, 0.5f);
    fv_node *logits = fv_dense(g, h, fv_use_param(g, m->params[10]), fv_use_param(g, m->params[11]));
    m->loss = fv_cross_entropy(g, logits, m->y, NULL, 0.0f);
    return m->loss != NULL;
}

static void net_free(net *m)
{
    fv_graph_free(m->g);
    for (int i = 0; i < N_PARAMS; i++) fv_param_free(m->params[i]);
    for (int i = 0; i < N_BUFFERS; i++) fv_param_free(m->buffers[i]);
    fv_ctx_free(m->ctx);
}

/* Feed batch s of the fixture's pool. */
static int net_feed(net *m, const fx_file *fx, int s)
{
    const fv_tensor *pool_x = fx_get(fx, "pool_x"), *pool_y = fx_get(fx, "pool_y"), *batches = fx_get(fx, "batches");
    fv_tensor *x = fv_tensor_new(m->ctx, FV_F32, 4, (int64_t[]){64, 1, 28, 28});
    fv_tensor *y = fv_tensor_new(m->ctx, FV_I32, 1, (int64_t[]){64});
    for (int i = 0; i < 64; i++) {
        int idx = fv_i32(batches)[s * 64 + i];
        memcpy(fv_f32(x) + i * 784, fv_f32(pool_x) + idx * 784, 784 * sizeof(float));
        fv_i32(y)[i] = fv_i32(pool_y)[idx];
    }
    int ok = fv_graph_set_input(m->g, m->x, x) == FV_OK && fv_graph_set_input(m->g, m->y, y) == FV_OK;
    fv_tensor_free(x);
    fv_tensor_free(y);
    return ok;
}

static int net_step_grads(net *m, const fx_file *fx, int s)
{
    fv_graph_zero_grad(m->g);
    return net_feed(m, fx, s) && fv_graph_forward(m->g) == FV_OK && fv_graph_backward(m->g, m->loss) == FV_OK;
}

static void check_first_step(const fx_file *model, const fx_file *ref)
{
    net m;
    int built = net_build(&m, model); /* before CHECK: its arguments are evaluated in any order */
    if (!CHECK(built, "FMNIST-CNN builds (%s)", fv_errmsg(m.ctx))) goto done;
    if (!CHECK(net_step_grads(&m, model, 0), "first step runs (%s)", fv_errmsg(m.ctx))) goto done;
    float loss = fv_f32(fv_node_value(m.loss))[0], want = fx_float(ref, "loss", NAN);
    CHECK(fabs(loss - want) <= TOL, "first-step loss %.6f, PyTorch %.6f", loss, want);
    /* Conv biases before batch norm have a zero gradient in exact arithmetic: what both sides compute is
     * rounding, compared on the scale of the network's largest gradient. */
    double largest = 0;
    for (int i = 0; i < N_PARAMS; i++) {
        char key[128];
        snprintf(key, sizeof key, "grad:%s", param_names[i]);
        const fv_tensor *t = fx_get(ref, key);
        for (int64_t k = 0; t && k < t->size; k++) largest = fmax(largest, fabs(fv_f32(t)[k]));
    }
    for (int i = 0; i < N_PARAMS; i++) {
        char key[128];
        snprintf(key, sizeof key, "grad:%s", param_names[i]);
        double err = rel_error_floor(fv_f32(&m.params[i]->grad), fv_f32(fx_get(ref, key)), m.params[i]->grad.size,
                                     1e-3 * largest);
        CHECK(err <= TOL, "gradient of %s: rel error %.2e", param_names[i], err);
    }
    for (int i = 0; i < N_BUFFERS; i++) {
        char key[128];
        snprintf(key, sizeof key, "after:%s", buffer_names[i]);
        double err = rel_error(fv_f32(&m.buffers[i]->value), fv_f32(fx_get(ref, key)), m.buffers[i]->value.size);
        CHECK(err <= TOL, "%s after the step: rel error %.2e", buffer_names[i], err);
    }
done:
    net_free(&m);
}

static fv_optim_config optimizer_config(const char *name)
{
    fv_optim_config c;
    if (strcmp(name, "sgd") == 0) {
        c = fv_optim_defaults(FV_OPT_SGD);
        c.lr = 0.05f, c.momentum = 0.9f, c.nesterov = true, c.weight_decay = 1e-4f;
    } else if (strcmp(name, "rmsprop") == 0) {
        c = fv_optim_defaults(FV_OPT_RMSPROP);
        c.lr = 1e-3f;
    } else if (strcmp(name, "adagrad") == 0) {
        c = fv_optim_defaults(FV_OPT_ADAGRAD);
        c.lr = 1e-2f;
    } else if (strcmp(name, "adamw") == 0) {
        c = fv_optim_defaults(FV_OPT_ADAMW);
        c.lr = 1e-3f, c.weight_decay = 1e-2f;
    } else {
        c = fv_optim_defaults(FV_OPT_ADAM);
        c.lr = 1e-3f;
    }
    return c;
}

/* Replaces our gradients with PyTorch's, so that the step below measures the optimizer alone: adaptive
 * optimizers divide by sqrt(v) + eps, which turns float rounding in gradients near zero (the BN-cancelled conv
 * biases, dead units of fc1) into full steps of size lr in an arbitrary direction. */
static bool use_reference_grads(net *m, const fx_file *grads)
{
    for (int i = 0; i < N_PARAMS; i++) {
        char key[128];
        snprintf(key, sizeof key, "grad:%s", param_names[i]);
        const fv_tensor *g = fx_get(grads, key);
        if (!CHECK(g && g->size == m->params[i]->grad.size, "PyTorch gradient of %s in the fixture", param_names[i]))
            return false;
        memcpy(fv_f32(&m->params[i]->grad), fv_f32(g), g->size * sizeof(float));
    }
    return true;
}

static void check_optimizer_step(const fx_file *model, const fx_file *grads, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURE_DIR "/fmnist_step_%s.fvx", name);
    fx_file *ref = fx_load(path);
    if (!CHECK(ref != NULL, "%s fixture loads", path)) return;
    net m;
    fv_optim_config cfg = optimizer_config(name);
    fv_optimizer *opt = NULL;
    if (!net_build(&m, model)) goto done;
    opt = fv_optim_new(m.ctx, &cfg);
    if (!CHECK(opt && fv_optim_add_group(opt, m.params, N_PARAMS, -1.0f) == 0, "%s optimizer (%s)", name,
               fv_errmsg(m.ctx)))
        goto done;
    if (!CHECK(net_step_grads(&m, model, 0), "%s: forward and backward (%s)", name, fv_errmsg(m.ctx)) ||
        !use_reference_grads(&m, grads) ||
        !CHECK(fv_optim_step(opt) == FV_OK, "%s step (%s)", name, fv_errmsg(m.ctx)))
        goto done;
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < N_PARAMS; i++) {
        char key[128];
        snprintf(key, sizeof key, "updated:%s", param_names[i]);
        double err = rel_error(fv_f32(&m.params[i]->value), fv_f32(fx_get(ref, key)), m.params[i]->value.size);
        if (!(err <= worst)) worst = err, worst_name = param_names[i];
    }
    CHECK(worst <= TOL, "%s: every weight after one step, worst rel error %.2e (%s)", name, worst, worst_name);
done:
    fv_optim_free(opt);
    net_free(&m);
    fx_free(ref);
}

static void check_adam_trajectory(const fx_file *model)
{
    net m;
    fv_optim_config cfg = optimizer_config("adam");
    fv_optimizer *opt = NULL;
    const fv_tensor *want = fx_get(model, "adam_losses");
    if (!CHECK(net_build(&m, model) && want, "FMNIST-CNN builds for 20 Adam steps")) goto done;
    opt = fv_optim_new(m.ctx, &cfg);
    if (!opt || fv_optim_add_group(opt, m.params, N_PARAMS, -1.0f) != 0) goto done;
    double worst = 0;
    int steps = (int)want->size;
    for (int s = 0; s < steps; s++) {
        if (!CHECK(net_step_grads(&m, model, s) && fv_optim_step(opt) == FV_OK, "Adam step %d (%s)", s, fv_errmsg(m.ctx)))
            goto done;
        double d = fabs(fv_f32(fv_node_value(m.loss))[0] - fv_f32(want)[s]);
        if (!(d <= worst)) worst = d;
        printf("  step %2d loss %.6f PyTorch %.6f\n", s, fv_f32(fv_node_value(m.loss))[0], fv_f32(want)[s]);
    }
    CHECK(worst <= TOL, "%d Adam steps track PyTorch's losses: worst difference %.2e", steps, worst);
done:
    fv_optim_free(opt);
    net_free(&m);
}

int main(void)
{
    fx_file *model = fx_load(FIXTURE_DIR "/fmnist_model.fvx");
    fx_file *grads = fx_load(FIXTURE_DIR "/fmnist_grads.fvx");
    if (CHECK(model && grads, "FMNIST-CNN fixtures load")) {
        check_first_step(model, grads);
        const char *opts[] = {"sgd", "rmsprop", "adagrad", "adam", "adamw"};
        for (int i = 0; i < 5; i++) check_optimizer_step(model, grads, opts[i]);
        check_adam_trajectory(model);
    }
    fx_free(model);
    fx_free(grads);
    return test_finish();
}
