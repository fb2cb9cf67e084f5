/* Models: descriptions parse and round-trip, errors name the source line, the layer and the key, parameters
 * are named and shaped as PyTorch's, the summary's totals and --explain arithmetic, graphs built from a
 * model share its weights, and model files load back exactly or refuse what does not match. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fovea.h"
#include "test.h"

static void refused(const char *text, const char *want)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_parse(ctx, text, "net.fvd");
    CHECK(!m && strstr(fv_errmsg(ctx), want), "refused with '%s': %s", want, fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void errors(void)
{
    refused("input shape=1x8x8\nconv2d c1 filter=4 kernel=3\n", "net.fvd:2: conv2d 'c1': unknown key 'filter' (did you mean 'filters'?)");
    refused("input shape=1x8x8\nconv2d c1 kernel=3\n", "net.fvd:2: conv2d 'c1': missing filters=");
    refused("input shape=1x8x8\nconvolution c1 filters=2 kernel=3\n", "net.fvd:2: unknown layer type 'convolution'");
    refused("input shape=1x8x8\nconv2d c1 filters=2 kernel=11\n", "net.fvd:2: conv2d 'c1'");
    refused("input shape=1x8x8\nconv2d c1 filters=2 kernel=3 stride=0\n", "stride=0: expected a positive size");
    refused("input shape=3x8x8\nconv2d c1 filters=4 kernel=3 groups=2\n", "groups=2 must divide the 3 input channels");
    refused("input shape=1x8x8\nadd s from=a,b\n", "from=a,b: no layer 'a' before it");
    refused("input shape=1x8x8\ndense fc units=3\n", "dense 'fc': needs a flat (N, features) input");
    refused("conv2d c1 filters=2 kernel=3\n", "a model starts with an input layer");
    refused("input shape=1x8x8\nrelu r\nrelu r\n", "a layer of that name already exists");
    refused("input shape=1x0x8\nflatten\n", "dimension 1 is 0");
    refused("input shape=1x8x8\ndropout rate=nan\n", "rate=nan: expected a finite number");
    refused("input shape=1x8x8\ndropout rate=1.5\n", "net.fvd:2");
    refused("input shape=1x8x8\n", "needs an input and at least one layer");
}

static void round_trip_and_params(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const char *text = "model branchy\n"
                       "input input shape=3x16x16\n"
                       "conv2d a filters=8 kernel=3 stride=2 padding=same\n"
                       "batch_norm bn momentum=0.01\n"
                       "relu r\n"
                       "conv2d b filters=8 kernel=3x1 padding=1x0 from=r\n"
                       "add s from=r,b\n"
                       "concat c from=s,r\n"
                       "global_avg_pool g\n"
                       "dense fc units=5 bias=false\n";
    fv_model *m = fv_model_parse(ctx, text, "branchy");
    CHECK(m != NULL, "branchy model parses (%s)", fv_errmsg(ctx));
    if (!m) goto done;
    char *d = fv_model_describe(m);
    fv_model *back = fv_model_parse(ctx, d, "described");
    char *d2 = back ? fv_model_describe(back) : NULL;
    CHECK(d2 && strcmp(d, d2) == 0, "description round-trips");
    CHECK(strstr(d, "conv2d b filters=8 kernel=3x1 padding=1x0\n") && strstr(d, "add s from=r,b\n") &&
              strstr(d, "batch_norm bn momentum=0.01\n"),
          "non-default keys and from= written, floats shortest");
    free(d), free(d2);
    fv_model_free(back);
    fv_param *w = fv_model_find_param(m, "b.weight");
    CHECK(w && w->value.ndim == 4 && w->value.shape[0] == 8 && w->value.shape[1] == 8 && w->value.shape[2] == 3 &&
              w->value.shape[3] == 1, "b.weight is (8, 8, 3, 1)");
    CHECK(fv_model_find_param(m, "bn.running_var") && fv_model_find_param(m, "bn.running_var")->kind == FV_PARAM_BUFFER,
          "batch norm keeps running_var as a buffer");
    CHECK(!fv_model_find_param(m, "fc.bias"), "bias=false has no bias");
    int64_t s[4];
    int nd = fv_model_layer_shape(m, fv_model_find_layer(m, "c"), s);
    CHECK(nd == 3 && s[0] == 16 && s[1] == 8 && s[2] == 8, "'same' stride 2 gives 8x8; concat gives 16 channels");
    fv_param_totals t = fv_model_param_totals(m);
    /* a: 8*3*9+8 = 224; bn: 16 + 16; b: 8*8*3+8 = 200; fc: 5*16 = 80 */
    CHECK(t.total == 536 && t.trainable == 520 && t.non_trainable == 16, "totals %lld/%lld/%lld", (long long)t.total,
          (long long)t.trainable, (long long)t.non_trainable);
    CHECK(fv_model_set_trainable(m, "a", false) == 1 && fv_model_param_totals(m).trainable == 296,
          "freezing layer 'a' moves its 224 weights to non-trainable");
    /* two graphs of one model share its weights */
    fv_node *x1, *o1, *x2, *o2;
    fv_graph *g1 = fv_model_build(m, 2, &x1, &o1, NULL), *g2 = fv_model_build(m, 5, &x2, &o2, NULL);
    CHECK(g1 && g2 && fv_node_value(o1)->shape[0] == 2 && fv_node_value(o2)->shape[0] == 5 &&
              fv_node_param(fv_graph_find(g1, "b.weight")) == fv_node_param(fv_graph_find(g2, "b.weight")),
          "graphs at batch 2 and 5 share b.weight");
    fv_graph_free(g1), fv_graph_free(g2);
    fv_model_free(m);
done:
    fv_ctx_free(ctx);
}

static void summary(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_by_name(ctx, "fmnist-cnn", 0, 0, 0, 0);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    CHECK(m && fv_model_summary(m, f, true) == FV_OK, "summary of fmnist-cnn");
    fclose(f);
    CHECK(strstr(out, "Total params: 422,026\nTrainable params: 421,834\nNon-trainable params: 192\n") != NULL,
          "fmnist-cnn: 421,834 trainable and 192 non-trainable parameters");
    CHECK(strstr(out, " conv2 (Conv2D)               (None, 64, 14, 14)        18,496") != NULL, "conv2 row");
    CHECK(strstr(out, "W2 = (W1 - F + 2P)/S + 1 = (28 - 3 + 2*1)/1 + 1 = 28") != NULL, "conv1 width arithmetic");
    CHECK(strstr(out, "params = units*inputs + units = 128*3136 + 128 = 401,536") != NULL, "fc1 arithmetic");
    free(out);
    fv_model_free(m);
    CHECK(!fv_model_by_name(ctx, "resnet9000", 0, 0, 0, 0) && strstr(fv_errmsg(ctx), "fmnist-cnn, lenet5, mlp"),
          "unknown model name lists the built-ins: %s", fv_errmsg(ctx));
    fv_ctx_free(ctx);
}

static void files(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_by_name(ctx, "lenet5", 0, 0, 0, 3);
    fv_model_init(m);
    const char *names[] = {"cat", "dog", "bird"};
    float mean[1] = {0.5f}, std[1] = {0.25f};
    fv_model_set_class_names(m, names, 3);
    fv_model_set_normalization(m, mean, std, 1);
    char path[] = "/tmp/fovea_model_XXXXXX";
    close(mkstemp(path));
    CHECK(fv_model_save(m, path) == FV_OK, "lenet5 saves (%s)", fv_errmsg(ctx));
    fv_model *back = fv_model_load(ctx, path);
    CHECK(back != NULL, "and loads (%s)", fv_errmsg(ctx));
    bool same = back && fv_model_param_count(back) == fv_model_param_count(m);
    for (int i = 0; same && i < fv_model_param_count(m); i++)
        same = memcmp(fv_model_param(m, i)->value.data, fv_model_param(back, i)->value.data,
                      (size_t)fv_model_param(m, i)->value.size * sizeof(float)) == 0;
    CHECK(same, "every weight comes back exactly");
    float mb[4], sb[4];
    CHECK(back && fv_model_class_name(back, 2) && strcmp(fv_model_class_name(back, 2), "bird") == 0 &&
              fv_model_normalization(back, mb, sb, 4) == 1 && mb[0] == 0.5f && sb[0] == 0.25f,
          "class names and normalization come back");
    /* weights of another architecture are refused, naming the tensor */
    fv_model *other = fv_model_by_name(ctx, "lenet5", 0, 0, 0, 4);
    fv_modelfile *mf = fv_modelfile_load(ctx, path);
    CHECK(mf && fv_model_load_weights(other, mf, path) == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "fc3.weight"),
          "a 4-class lenet5 refuses 3-class weights: %s", fv_errmsg(ctx));
    fv_modelfile_free(mf);
    fv_model_free(other);
    fv_model_free(back);
    fv_model_free(m);
    unlink(path);
    fv_ctx_free(ctx);
}

/* Batch norm folded into convolutions gives the eval-mode outputs of the plain graph. */
static void inference_folding(void)
{
    fv_ctx *ctx = fv_ctx_new(4);
    fv_model *m = fv_model_parse(ctx, "input shape=3x12x12\nconv2d c1 filters=6 kernel=3 padding=1\nbatch_norm b1\n"
                                      "relu r1\nconv2d c2 filters=6 kernel=3 padding=1 bias=false\nbatch_norm b2\n"
                                      "add s from=r1,b2\nconv2d c3 filters=4 kernel=1\nbatch_norm b3 eps=0.001\n"
                                      "global_avg_pool\ndense fc units=5\n", "fold");
    fv_model_init(m);
    for (int i = 0; i < fv_model_param_count(m); i++) { /* batch norm statistics and affine terms far from 0/1 */
        fv_param *p = fv_model_param(m, i);
        for (int64_t k = 0; k < p->value.size; k++)
            fv_f32(&p->value)[k] += strstr(p->name, "var") ? 0.5f + fv_rng_uniform(9, (uint64_t)i, (uint64_t)k)
                                                            : 0.3f * (fv_rng_uniform(9, (uint64_t)i, (uint64_t)k) - 0.5f);
    }
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 3, 12, 12});
    for (int64_t k = 0; k < x->size; k++) fv_f32(x)[k] = fv_rng_uniform(8, 1, (uint64_t)k) - 0.5f;
    fv_node *i1, *o1, *i2, *o2;
    fv_graph *plain = fv_model_build(m, 2, &i1, &o1, NULL), *folded = fv_model_build_inference(m, 2, &i2, &o2);
    fv_graph_set_training(plain, false);
    bool ok = plain && folded && fv_graph_set_input(plain, i1, x) == FV_OK && fv_graph_forward(plain) == FV_OK &&
              fv_graph_set_input(folded, i2, x) == FV_OK && fv_graph_forward(folded) == FV_OK;
    double d = 0, big = 1e-30;
    for (int64_t k = 0; ok && k < 10; k++) {
        float a = fv_f32(fv_node_value(o1))[k], b = fv_f32(fv_node_value(o2))[k];
        d = fmax(d, fabs(a - b)), big = fmax(big, fabs(a));
    }
    int bn_nodes = 0, act_nodes = 0;
    for (int k = 0; folded && k < fv_graph_node_count(folded); k++) {
        bn_nodes += strcmp(fv_node_op_name(fv_graph_node(folded, k)), "batch_norm") == 0;
        act_nodes += strcmp(fv_node_op_name(fv_graph_node(folded, k)), "activation") == 0;
    }
    CHECK(ok && d / big < 1e-5 && bn_nodes == 0 && act_nodes == 0,
          "inference graph folds 3 batch norms and fuses the ReLU (%d, %d left), outputs within %.1e", bn_nodes,
          act_nodes, d / big);
    int64_t kept = fv_graph_peak_bytes(plain), reused = fv_graph_peak_bytes(folded);
    CHECK(reused > 0 && reused * 2 < kept, "inference reuses activation buffers: peak %lld bytes, %lld keeping all",
          (long long)reused, (long long)kept);
    CHECK(fv_graph_backward(folded, o2) != FV_OK, "backward is refused on an inference graph");
    fv_graph_free(plain), fv_graph_free(folded);
    fv_tensor_free(x);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* A conv2d with a fused ReLU6 gives the values and gradients of conv2d followed by relu6. */
static void fused_clamp(void)
{
    fv_ctx *ctx = fv_ctx_new(2);
    fv_param *w = fv_param_new(ctx, "w", FV_PARAM_WEIGHT, 4, (int64_t[]){3, 2, 3, 3});
    fv_param *b = fv_param_new(ctx, "b", FV_PARAM_WEIGHT, 1, (int64_t[]){3});
    for (int64_t k = 0; k < w->value.size; k++) fv_f32(&w->value)[k] = 3.0f * (fv_rng_uniform(1, 1, (uint64_t)k) - 0.5f);
    for (int64_t k = 0; k < 3; k++) fv_f32(&b->value)[k] = (float)k - 1.0f;
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 2, 6, 6});
    for (int64_t k = 0; k < x->size; k++) fv_f32(x)[k] = 4.0f * (fv_rng_uniform(1, 2, (uint64_t)k) - 0.5f);
    float *grads[2];
    const float *outs[2];
    fv_graph *gs[2];
    for (int v = 0; v < 2; v++) {
        fv_graph *g = gs[v] = fv_graph_new(ctx);
        fv_node *in = fv_input(g, "x", FV_F32, 4, x->shape);
        fv_conv2d_args a = fv_conv2d_defaults();
        a.pad[0] = a.pad[1] = a.pad[2] = a.pad[3] = 1;
        fv_node *y = v ? fv_conv2d_clamped(g, in, fv_use_param(g, w), fv_use_param(g, b), &a, 6.0f)
                       : fv_relu6(g, fv_conv2d(g, in, fv_use_param(g, w), fv_use_param(g, b), &a));
        fv_graph_set_input(g, in, x);
        fv_graph_zero_grad(g);
        fv_graph_forward(g);
        fv_tensor *seed = fv_tensor_new(ctx, FV_F32, 4, fv_node_value(y)->shape);
        for (int64_t k = 0; k < seed->size; k++) fv_f32(seed)[k] = fv_rng_uniform(1, 3, (uint64_t)k) - 0.5f;
        fv_graph_backward_seed(g, y, seed);
        fv_tensor_free(seed);
        outs[v] = fv_f32(fv_node_value(y));
        grads[v] = malloc((size_t)w->grad.size * sizeof(float));
        memcpy(grads[v], w->grad.data, (size_t)w->grad.size * sizeof(float));
    }
    CHECK(memcmp(outs[0], outs[1], 2 * 3 * 6 * 6 * sizeof(float)) == 0 &&
              memcmp(grads[0], grads[1], (size_t)w->grad.size * sizeof(float)) == 0,
          "conv2d with a fused ReLU6: the same values and weight gradients as conv2d + relu6");
    for (int v = 0; v < 2; v++) free(grads[v]), fv_graph_free(gs[v]);
    fv_tensor_free(x);
    fv_param_free(w), fv_param_free(b);
    fv_ctx_free(ctx);
}

/* Runs g (input node in) on x; the first `n` outputs into out. */
static bool run_into(fv_graph *g, fv_node *in, fv_node *o, const fv_tensor *x, float *out, int n)
{
    if (!g || fv_graph_set_input(g, in, x) != FV_OK || fv_graph_forward(g) != FV_OK) return false;
    memcpy(out, fv_f32(fv_node_value(o)), (size_t)n * sizeof(float));
    return true;
}

/* An inference graph is a snapshot: its convolutions (folded, fused or plain; im2col, Winograd and 1x1) keep
 * their weights packed from the first run, give the same outputs on later runs, do not see a change of the
 * model's weights, and a graph built after the change does. */
static void inference_snapshot(void)
{
    fv_ctx *ctx = fv_ctx_new(2);
    fv_model *m = fv_model_parse(ctx, "input shape=16x10x10\nconv2d c1 filters=24 kernel=3 padding=1\nbatch_norm b1\n"
                                      "relu r1\nconv2d c2 filters=20 kernel=3 padding=1\nconv2d c3 filters=8 kernel=1\n"
                                      "conv2d c4 filters=6 kernel=3 stride=2\nglobal_avg_pool\ndense fc units=5\n", "snap");
    fv_model_init(m);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){4, 16, 10, 10});
    for (int64_t k = 0; k < x->size; k++) fv_f32(x)[k] = fv_rng_uniform(8, 2, (uint64_t)k) - 0.5f;
    float first[20], again[20], after[20], fresh[20], plain[20];
    fv_node *i1, *o1, *i2, *o2, *i3, *o3;
    fv_graph *g = fv_model_build_inference(m, 4, &i1, &o1);
    bool ok = run_into(g, i1, o1, x, first, 20) && run_into(g, i1, o1, x, again, 20);
    for (int i = 0; i < fv_model_param_count(m); i++) { /* every convolution's weights doubled */
        fv_param *p = fv_model_param(m, i);
        if (p->value.ndim == 4)
            for (int64_t k = 0; k < p->value.size; k++) fv_f32(&p->value)[k] *= 2.0f;
    }
    ok = ok && run_into(g, i1, o1, x, after, 20);
    fv_graph *h = fv_model_build_inference(m, 4, &i2, &o2), *e = fv_model_build(m, 4, &i3, &o3, NULL);
    fv_graph_set_training(e, false);
    ok = ok && run_into(h, i2, o2, x, fresh, 20) && run_into(e, i3, o3, x, plain, 20);
    double d_new = 0, big = 1e-30;
    for (int k = 0; k < 20; k++) d_new = fmax(d_new, fabs(fresh[k] - plain[k])), big = fmax(big, fabs(plain[k]));
    CHECK(ok && memcmp(first, again, sizeof first) == 0 && memcmp(first, after, sizeof first) == 0,
          "an inference graph's later runs equal its first, also after the model's weights change");
    CHECK(ok && d_new / big < 1e-5 && memcmp(first, fresh, sizeof first) != 0,
          "a graph built after the change sees the new weights (within %.1e of the plain graph)", d_new / big);
    fv_graph_free(g), fv_graph_free(h), fv_graph_free(e);
    fv_tensor_free(x);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    fused_clamp();
    inference_folding();
    inference_snapshot();
    errors();
    round_trip_and_params();
    summary();
    files();
    return test_finish();
}
