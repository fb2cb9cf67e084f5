/* A model's preprocessing (fovea/image.h's fv_preprocess): kept exactly through model files and ONNX files,
 * shown by the summary, refused when it does not fit the model or a file's value does not parse, and applied by
 * every graph as its first step: a model with preprocessing on x gives exactly what the same model without it
 * gives on x preprocessed by hand (torchvision's order and float32 arithmetic), in training, eval and inference
 * graphs. A model without preprocessing builds the same graph as before. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fovea.h"
#include "test.h"

static const char *const net = "model tiny\n"
                               "input input shape=3x6x5\n"
                               "conv2d c1 filters=4 kernel=3 padding=1\n"
                               "batch_norm bn\n"
                               "relu\n"
                               "global_avg_pool\n"
                               "dense fc units=3\n";

static fv_preprocess sample(void)
{
    fv_preprocess p = fv_preprocess_imagenet();
    p.bgr = true;
    p.scale = 1.0f / 127.5f;
    p.resize_size = 232;
    return p;
}

static bool same_pre(const fv_preprocess *a, const fv_preprocess *b)
{
    bool same = a->channels == b->channels && a->scale == b->scale && a->bgr == b->bgr && a->resize == b->resize &&
                a->resize_size == b->resize_size;
    for (int c = 0; same && c < a->channels; c++) same = a->mean[c] == b->mean[c] && a->std[c] == b->std[c];
    return same;
}

static void round_trips(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_parse(ctx, net, "tiny");
    fv_model_init(m);
    fv_preprocess p = sample(), back;
    CHECK(!fv_model_preprocess(m, &back) && back.channels == 0 && back.resize == FV_RESIZE_STRETCH,
          "a new model stores no preprocessing");
    CHECK(fv_model_set_preprocess(m, &p) == FV_OK, "set (%s)", fv_errmsg(ctx));
    char dir[] = "/tmp/fovea_pre_XXXXXX", fvm[128], onnx[128];
    CHECK(mkdtemp(dir) != NULL, "a temporary directory");
    snprintf(fvm, sizeof fvm, "%s/m.fvm", dir), snprintf(onnx, sizeof onnx, "%s/m.onnx", dir);
    CHECK(fv_model_save(m, fvm) == FV_OK && fv_onnx_save(m, onnx, 13) == FV_OK, "saved (%s)", fv_errmsg(ctx));
    const char *paths[2] = {fvm, onnx};
    for (int k = 0; k < 2; k++) {
        fv_model *b = fv_model_load(ctx, paths[k]);
        CHECK(b && fv_model_preprocess(b, &back) && same_pre(&p, &back), "%s keeps every field (%s)", paths[k],
              fv_errmsg(ctx));
        fv_model_free(b);
    }
    /* the summary's line */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fv_model_summary(m, f, false);
    fclose(f);
    CHECK(text && strstr(text, "Preprocessing: mean 0.485,0.456,0.406, std 0.229,0.224,0.225, scale 0.00784314, BGR; "
                               "images: shorter side to 232, centre crop"), "the summary shows it:\n%s", text);
    free(text);
    /* a model file's bad values are refused naming the file and the key's value */
    fv_modelfile *mf = fv_modelfile_load(ctx, fvm);
    const char *bad[][2] = {{"preprocess.resize", "sideways 3"}, {"preprocess.order", "grb"},
                            {"preprocess.scale", "x"}, {"normalization.mean", "0.1,0.2"}};
    for (int i = 0; mf && i < 4; i++) {
        fv_modelfile *copy = fv_modelfile_load(ctx, fvm);
        fv_modelfile_meta_set(copy, bad[i][0], bad[i][1]);
        fv_model *b = fv_model_from_modelfile(ctx, copy, fvm);
        CHECK(!b && strstr(fv_errmsg(ctx), fvm) && strstr(fv_errmsg(ctx), bad[i][1]), "%s = %s refused: %s", bad[i][0],
              bad[i][1], fv_errmsg(ctx));
        fv_model_free(b);
        fv_modelfile_free(copy);
    }
    fv_modelfile_free(mf);
    unlink(fvm), unlink(onnx), rmdir(dir);
    /* values that do not fit the model */
    fv_preprocess q = fv_preprocess_imagenet();
    q.std[1] = 0;
    CHECK(fv_model_set_preprocess(m, &q) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "std"), "std 0: %s", fv_errmsg(ctx));
    q = fv_preprocess_imagenet(), q.channels = 2;
    CHECK(fv_model_set_preprocess(m, &q) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "input has 3"), "2 channels of 3: %s",
          fv_errmsg(ctx));
    fv_model *gray = fv_model_by_name(ctx, "lenet5", 0, 0, 0, 0);
    q = fv_preprocess_defaults(), q.bgr = true;
    CHECK(fv_model_set_preprocess(gray, &q) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "BGR"), "BGR on gray: %s", fv_errmsg(ctx));
    CHECK(fv_model_set_preprocess(m, NULL) == FV_OK && !fv_model_preprocess(m, NULL), "NULL removes it");
    fv_model_free(gray);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* The model's output on x, from a training graph in eval mode (inference false) or an inference graph. */
static fv_tensor *output(fv_model *m, const fv_tensor *x, bool inference)
{
    fv_node *in, *out;
    fv_graph *g = inference ? fv_model_build_inference(m, x->shape[0], &in, &out)
                            : fv_model_build(m, x->shape[0], &in, &out, NULL);
    if (!g) return NULL;
    fv_graph_set_training(g, false);
    fv_tensor *y = NULL;
    if (fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK) {
        const fv_tensor *v = fv_node_value(out);
        y = fv_tensor_from(fv_model_ctx(m), v->dtype, v->ndim, v->shape, v->data);
    }
    fv_graph_free(g);
    return y;
}

static void applied_by_graphs(void)
{
    fv_ctx *ctx = fv_ctx_new(7);
    fv_model *m = fv_model_parse(ctx, net, "tiny"), *plain = fv_model_parse(ctx, net, "tiny");
    fv_model_init(m);
    for (int i = 0; i < fv_model_param_count(m); i++)
        memcpy(fv_model_param(plain, i)->value.data, fv_model_param(m, i)->value.data,
               (size_t)fv_model_param(m, i)->value.size * sizeof(float));
    fv_preprocess p = sample();
    fv_model_set_preprocess(m, &p);
    int64_t shape[4] = {2, 3, 6, 5};
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, shape), *xp = fv_tensor_new(ctx, FV_F32, 4, shape);
    int64_t hw = 30;
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = (float)((i * 37) % 256) / 255.0f;
    float k = (float)(255.0 * (double)p.scale);
    for (int64_t n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
            for (int64_t i = 0; i < hw; i++) { /* BGR: channel c reads channel 2 - c, then scale, mean, std */
                float v = fv_f32(x)[(n * 3 + (2 - c)) * hw + i] * k;
                fv_f32(xp)[(n * 3 + c) * hw + i] = (v - p.mean[c]) / p.std[c];
            }
    for (int inference = 0; inference < 2; inference++) {
        fv_tensor *a = output(m, x, inference), *b = output(plain, xp, inference);
        double diff = a && b ? 0 : INFINITY;
        for (int64_t i = 0; a && b && i < a->size; i++) diff = fmax(diff, fabs(fv_f32(a)[i] - fv_f32(b)[i]));
        CHECK(diff == 0, "%s graph: preprocessing in the graph equals preprocessing by hand exactly (max diff %g; %s)",
              inference ? "inference" : "eval", diff, fv_errmsg(ctx));
        fv_tensor_free(a), fv_tensor_free(b);
    }
    fv_tensor *pr = fv_predict(m, x), *pp = fv_predict(plain, xp);
    CHECK(pr && pp && memcmp(pr->data, pp->data, (size_t)pr->size * sizeof(float)) == 0, "fv_predict too");
    fv_tensor_free(pr), fv_tensor_free(pp);
    /* a model without preprocessing builds the graph it always built: no node between the input and the layers */
    fv_node *in, *out;
    fv_node **nodes = NULL;
    fv_graph *g = fv_model_build(plain, 1, &in, &out, &nodes);
    CHECK(g && nodes && nodes[0] == in, "without preprocessing the layers read the input node itself");
    free(nodes);
    fv_graph_free(g);
    /* mean and std alone (fv_model_set_normalization) keep the other defaults */
    float mean[1] = {0.5f}, std[1] = {0.25f};
    fv_model_set_preprocess(m, NULL);
    CHECK(fv_model_set_normalization(m, mean, std, 1) == FV_OK && fv_model_preprocess(m, &p) && p.channels == 1 &&
              !p.bgr && p.resize == FV_RESIZE_STRETCH && fabs(p.scale * 255.0 - 1.0) < 1e-6,
          "one mean and std for every channel");
    fv_tensor_free(x), fv_tensor_free(xp);
    fv_model_free(m), fv_model_free(plain);
    fv_ctx_free(ctx);
}

int main(void)
{
    round_trips();
    applied_by_graphs();
    return test_finish();
}
