/* share=LAYER: a layer that uses an earlier layer's parameters (a Siamese twin). The model lists them once
 * (parameter count, summary total), both layers hold the same tensors, and the shared weight's gradient is the
 * sum of what two unshared twins with equal weights get; the description, model files and ONNX keep the
 * sharing; a share naming no earlier layer, another type or other shapes is refused naming both layers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/test.h"
#include "../../src/nn/model_internal.h"

#define TWIN(SHARE)                                                                                             \
    "input a shape=8\ninput b shape=8\ninput t shape=scalar\ndense d1 units=4 from=a\nrelu r1\n"              \
    "dense d2 units=4 from=b" SHARE "\nrelu r2\ncontrastive_loss l margin=2 from=r1,r2,t\n"

static fv_tensor *filled(fv_ctx *ctx, int ndim, const int64_t *shape, int seed, bool binary)
{
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, ndim, shape);
    for (int64_t i = 0; i < x->size; i++)
        x->data ? (void)(fv_f32(x)[i] = binary ? (float)((i + seed) % 2) : (float)(((i * 7 + seed * 5) % 13) - 6) * 0.3f)
                : (void)0;
    return x;
}

/* Forward and backward of the loss on batch 3; the gradients of layer `layer`'s weight and bias copied out. */
static bool grads(fv_model *m, const char *layer, float *gw, float *gb)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_node *in[3], *out[1];
    fv_graph *g = fv_model_build_io(m, 3, in, out, NULL);
    if (!g) return false;
    for (int k = 0; k < fv_model_param_count(m); k++) /* gradients accumulate from one backward to the next */
        if (fv_model_param(m, k)->grad.data) memset(fv_model_param(m, k)->grad.data, 0, (size_t)fv_model_param(m, k)->grad.size * sizeof(float));
    fv_tensor *a = filled(ctx, 2, (int64_t[]){3, 8}, 1, false), *b = filled(ctx, 2, (int64_t[]){3, 8}, 2, false);
    fv_tensor *t = filled(ctx, 1, (int64_t[]){3}, 0, true);
    fv_graph_set_input(g, in[0], a), fv_graph_set_input(g, in[1], b), fv_graph_set_input(g, in[2], t);
    const fv_layer *l = &m->layers[fv_model_find_layer(m, layer)];
    bool ok = fv_graph_forward(g) == FV_OK && fv_graph_backward(g, out[0]) == FV_OK;
    if (ok) {
        memcpy(gw, l->params[0]->grad.data, 32 * sizeof(float));
        memcpy(gb, l->params[1]->grad.data, 4 * sizeof(float));
    }
    fv_tensor_free(a), fv_tensor_free(b), fv_tensor_free(t);
    fv_graph_free(g);
    return ok;
}

static void shared_twin(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, TWIN(" share=d1"), "twin"), *u = fv_model_parse(ctx, TWIN(""), "pair");
    if (!CHECK(m && u, "the twin models parse (%s)", fv_errmsg(ctx))) return;
    fv_model_init(m), fv_model_init(u);
    const fv_layer *d1 = &m->layers[fv_model_find_layer(m, "d1")], *d2 = &m->layers[fv_model_find_layer(m, "d2")];
    CHECK(fv_model_param_count(m) == 2 && d2->params[0] == d1->params[0] && d2->params[1] == d1->params[1] &&
              fv_model_param_totals(m).total == 36,
          "d2 holds d1's weight and bias; the model lists 2 parameters, 36 values (%d, %lld)",
          fv_model_param_count(m), (long long)fv_model_param_totals(m).total);
    /* the pair's two layers get the twin's one weight and bias */
    const fv_layer *u1 = &u->layers[fv_model_find_layer(u, "d1")], *u2 = &u->layers[fv_model_find_layer(u, "d2")];
    for (int j = 0; j < 2; j++) {
        size_t bytes = (size_t)d1->params[j]->value.size * sizeof(float);
        memcpy(u1->params[j]->value.data, d1->params[j]->value.data, bytes);
        memcpy(u2->params[j]->value.data, d1->params[j]->value.data, bytes);
    }
    float sw[32], sb[4], w1[32], b1[4], w2[32], b2[4];
    bool ok = grads(m, "d1", sw, sb) && grads(u, "d1", w1, b1) && grads(u, "d2", w2, b2);
    double err = ok ? 0 : 1, mag = 0;
    for (int i = 0; ok && i < 32; i++) err = fmax(err, fabs(sw[i] - (w1[i] + w2[i]))), mag = fmax(mag, fabs(sw[i]));
    for (int i = 0; ok && i < 4; i++) err = fmax(err, fabs(sb[i] - (b1[i] + b2[i])));
    CHECK(ok && err < 1e-6 && mag > 1e-3, "the shared weight's gradient is the sum of the two twins' (%.1e, |g| %.2g)",
          err, mag);
    char *d = fv_model_describe(m);
    CHECK(d && strstr(d, "dense d2 units=4 share=d1 from=b"), "the description keeps share=d1");
    free(d);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fv_model_summary(m, f, true);
    fclose(f);
    CHECK(text && strstr(text, "params = 0: it shares d1's 36") && strstr(text, "Total params: 36"),
          "the summary counts the shared parameters once, on d1, and says so on d2");
    free(text);
    char path[] = "/tmp/fovea_share_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    fv_model *back = fd >= 0 && fv_model_save(m, path) == FV_OK ? fv_model_load(ctx, path) : NULL;
    unlink(path);
    const fv_layer *b2l = back ? &back->layers[fv_model_find_layer(back, "d2")] : NULL;
    CHECK(back && fv_model_param_count(back) == 2 && b2l->params[0] == back->layers[fv_model_find_layer(back, "d1")].params[0] &&
              memcmp(b2l->params[0]->value.data, d1->params[0]->value.data, 32 * sizeof(float)) == 0,
          "a model file keeps the sharing and the weights (%s)", fv_errmsg(ctx));
    fv_model_free(back);
    fv_model_free(m), fv_model_free(u);
}

/* ONNX has no loss here: the twin's two embeddings as outputs, one initializer for the shared weight. */
static void shared_onnx(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, "input a shape=8\ninput b shape=8\ndense d1 units=4 from=a\n"
                                      "dense d2 units=4 from=b share=d1\noutputs d1,d2\n", "twin");
    if (!CHECK(m != NULL, "the ONNX twin parses (%s)", fv_errmsg(ctx))) return;
    fv_model_init(m);
    void *buf = NULL;
    size_t size = 0;
    fv_status s = fv_onnx_save_mem(m, 17, &buf, &size);
    fv_model *im = s ? NULL : fv_onnx_load_mem(ctx, buf, size, "twin");
    free(buf);
    bool same = im != NULL;
    fv_node *in[2], *out[2], *in2[2], *out2[2];
    fv_graph *g = same ? fv_model_build_io(m, 2, in, out, NULL) : NULL, *g2 = same ? fv_model_build_io(im, 2, in2, out2, NULL) : NULL;
    same = g && g2;
    for (int k = 0; same && k < 2; k++) {
        fv_tensor *x = filled(ctx, 2, (int64_t[]){2, 8}, k + 3, false);
        fv_graph_set_input(g, in[k], x), fv_graph_set_input(g2, in2[k], x);
        fv_tensor_free(x);
    }
    same = same && fv_graph_forward(g) == FV_OK && fv_graph_forward(g2) == FV_OK;
    for (int k = 0; same && k < 2; k++)
        same = memcmp(fv_node_value(out[k])->data, fv_node_value(out2[k])->data, 8 * sizeof(float)) == 0;
    CHECK(s == FV_OK && same, "ONNX export of a shared layer (one initializer) imports to the same outputs (%s)",
          fv_errmsg(ctx));
    fv_graph_free(g), fv_graph_free(g2);
    fv_model_free(im), fv_model_free(m);
}

static void refused(fv_ctx *ctx, const char *text, const char *want1, const char *want2)
{
    fv_model *m = fv_model_parse(ctx, text, "bad.fvd");
    CHECK(!m && strstr(fv_errmsg(ctx), want1) && strstr(fv_errmsg(ctx), want2), "refused naming '%s' and '%s': %s",
          want1, want2, fv_errmsg(ctx));
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    shared_twin(ctx);
    shared_onnx(ctx);
    refused(ctx, "input a shape=8\ndense d1 units=4\ndense d2 units=4 share=dx\n", "'d2'", "no layer 'dx'");
    refused(ctx, "input a shape=8\ndense d1 units=4\ndense d2 units=4 share=d3\ndense d3 units=4\n", "'d2'",
            "no layer 'd3' before it");
    refused(ctx, "input a shape=1x4x4\nconv2d c filters=2 kernel=3\nflatten f\ndense d units=4 share=c\n", "'d'",
            "'c' is a conv2d, not a dense");
    refused(ctx, "input a shape=8\ndense d1 units=4\ndense d2 units=5 share=d1\n", "'d2'", "(5,4) differs from d1.weight (4,8)");
    fv_ctx_free(ctx);
    return test_finish();
}
