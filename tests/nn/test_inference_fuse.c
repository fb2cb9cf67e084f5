/* Inference graphs compute written-out layer norms and GELUs (as ONNX exporters leave them) with one operator
 * each: a model holding both patterns (the layer norm with and without its scale and bias, over the last axis
 * and over the last two, GELU as x / sqrt 2 and as x * (1 / sqrt 2)) gives within 1e-5 of its eval graph's
 * outputs, its inference graph holds layer_norm and gelu nodes and none of the primitive ones; a pattern one of
 * whose inner layers is also a model output, or whose constants differ (a square root of 3, an exponent of 4),
 * is left as written and still gives the same numbers. A batch norm that no convolution precedes, followed by a
 * ReLU or ReLU6 (DenseNet's pre-activations), becomes one batch norm with a fused clamp: the same bits as the
 * pair, and no activation node left; one whose output another layer also reads keeps its activation. A batch
 * norm, with or without a ReLU or ReLU6, in front of a pointwise convolution (DenseNet's BN-ReLU-conv) becomes
 * a map of the convolution's input: within 1e-5 of the eval graph with the fast kernels and the reference
 * ones, at batches 1 and 3, no batch norm node left; one in front of a 3x3 convolution, or read twice, stays. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_run.h"
#include "test.h"

#define LN(P, X, AXES)                                                                                          \
    "reduce_mean " P "m axes=" AXES " keepdims=true from=" X "\n"                                                 \
    "sub " P "d from=" X "," P "m\nconstant " P "two shape=scalar\npow " P "sq from=" P "d," P "two\n"            \
    "reduce_mean " P "v axes=" AXES " keepdims=true\nconstant " P "eps shape=scalar\nadd " P "ve from=" P "v," P "eps\n" \
    "sqrt " P "s\ndiv " P "n from=" P "d," P "s\n"

static const char *model_text =
    "input x shape=6x16\n"
    LN("a", "x", "-1") "constant ag shape=16\nmul ascale from=an,ag\nconstant ab shape=16\nadd ay from=ascale,ab\n"
    "constant r2 shape=scalar\ndiv g1 from=ay,r2\nerf g2\nconstant one shape=scalar\nadd g3 from=one,g2\n"
    "mul g4 from=ay,g3\nconstant half shape=scalar\nmul g5 from=g4,half\n"
    LN("b", "g5", "-2,-1")
    "constant ir2 shape=scalar\nmul h1 from=ir2,bn\nerf h2\nadd h3 from=h2,one\nmul h4 from=h3,bn\nmul h5 from=half,h4\n";

static void set_scalar(fv_model *m, const char *layer, float v)
{
    char name[80];
    snprintf(name, sizeof name, "%s.value", layer);
    fv_param *p = fv_model_find_param(m, name);
    if (p) fv_f32(&p->value)[0] = v;
}

static void set_constants(fv_model *m, float sqrt2, float exponent)
{
    set_scalar(m, "atwo", exponent), set_scalar(m, "btwo", 2.0f);
    set_scalar(m, "aeps", 1e-5f), set_scalar(m, "beps", 1e-3f);
    set_scalar(m, "r2", sqrt2), set_scalar(m, "ir2", 0.70710678f), set_scalar(m, "one", 1.0f), set_scalar(m, "half", 0.5f);
    for (int k = 0; k < 2; k++) {
        fv_param *p = fv_model_find_param(m, k ? "ab.value" : "ag.value");
        for (int64_t i = 0; p && i < p->value.size; i++) fv_f32(&p->value)[i] = fv_rng_uniform(4, (uint64_t)k, (uint64_t)i) + 0.5f * k;
    }
}

static int count_ops(fv_graph *g, const char *op)
{
    int c = 0;
    for (int i = 0; i < fv_graph_node_count(g); i++) c += strcmp(fv_node_op_name(fv_graph_node(g, i)), op) == 0;
    return c;
}

/* The largest difference between the inference and eval graphs' outputs on x (batch x->shape[0]), relative to
 * 1 or the value (1 when either fails or gives NaN); *gi_out (when not NULL) gets the inference graph. */
static double inference_vs_eval(fv_model *m, const fv_tensor *x, fv_graph **gi_out)
{
    fv_node *xi, *yi, *xe, *ye;
    int64_t batch = x->shape[0];
    fv_graph *gi = fv_model_build_inference(m, batch, &xi, &yi), *ge = fv_model_build(m, batch, &xe, &ye, NULL);
    double err = 1.0;
    if (gi && ge) {
        fv_graph_set_training(ge, false);
        fv_graph_set_input(gi, xi, x), fv_graph_set_input(ge, xe, x);
        if (fv_graph_forward(gi) == FV_OK && fv_graph_forward(ge) == FV_OK) {
            const fv_tensor *a = fv_node_value(yi), *b = fv_node_value(ye);
            err = 0;
            for (int64_t i = 0; i < a->size; i++) {
                double d = fabs(fv_f32(a)[i] - fv_f32(b)[i]) / fmax(1.0, fabs(fv_f32(b)[i]));
                err = isfinite(d) ? fmax(err, d) : 1.0; /* NaN would compare as equal to anything */
            }
        }
    }
    fv_graph_free(ge);
    if (gi_out) *gi_out = gi;
    else fv_graph_free(gi);
    return err;
}

/* Eval and inference outputs; in the inference graph, the layer norm nodes, the reduce_mean nodes and the erf
 * layers (g2, h2) still there. */
static double compare(fv_model *m, int *fused, int *primitive)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 3, (int64_t[]){2, 6, 16});
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(8, 1, (uint64_t)i) * 6.0f - 3.0f;
    fv_graph *gi = NULL;
    double err = inference_vs_eval(m, x, &gi);
    if (gi) {
        *fused = count_ops(gi, "layer_norm");
        *primitive = count_ops(gi, "reduce_mean") + 10 * ((fv_graph_find(gi, "g2") != NULL) + (fv_graph_find(gi, "h2") != NULL));
    }
    fv_graph_free(gi), fv_tensor_free(x);
    return err;
}

/* Batch norm + ReLU / ReLU6 without a convolution before them. */
static void bn_clamp(fv_ctx *ctx)
{
    /* no batch norm follows a convolution here: those fold into it, which changes the rounding */
    const char *text = "input x shape=4x6x6\nbatch_norm bn\nrelu r\nconcat k from=r,x\nbatch_norm bn2\nrelu6 r6\n"
                       "batch_norm bn3 from=k\nrelu r3\nadd sum from=r3,bn3\nadd out from=sum,r6\n";
    fv_model *m = fv_model_parse(ctx, text, "pre");
    if (!CHECK(m != NULL, "the pre-activation model parses")) return;
    fv_model_init(m);
    for (int k = 0; k < fv_model_param_count(m); k++) { /* statistics and affine parts away from 0 and 1 */
        fv_param *p = fv_model_param(m, k);
        for (int64_t i = 0; i < p->value.size; i++) fv_f32(&p->value)[i] = fv_rng_uniform(6, (uint64_t)k, (uint64_t)i) + 0.3f;
    }
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 4, 6, 6});
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(8, 2, (uint64_t)i) * 8.0f - 4.0f;
    fv_node *xi, *yi, *xe, *ye;
    fv_graph *gi = fv_model_build_inference(m, 2, &xi, &yi), *ge = fv_model_build(m, 2, &xe, &ye, NULL);
    bool same = false;
    if (gi && ge) {
        fv_graph_set_training(ge, false);
        fv_graph_set_input(gi, xi, x), fv_graph_set_input(ge, xe, x);
        same = fv_graph_forward(gi) == FV_OK && fv_graph_forward(ge) == FV_OK &&
               memcmp(fv_node_value(yi)->data, fv_node_value(ye)->data, (size_t)fv_node_value(ye)->size * sizeof(float)) == 0;
    }
    int acts = gi ? count_ops(gi, "activation") : -1;
    CHECK(same && acts == 1, "batch norm + ReLU and batch norm + ReLU6 fuse (%d activation left: the one whose batch "
          "norm is read twice), the same bits as the eval graph", acts);
    fv_graph_free(gi), fv_graph_free(ge), fv_tensor_free(x), fv_model_free(m);
}

/* Every parameter of m uniform in [lo, lo + 1): statistics and affine parts away from 0 and 1. */
static void randomize(fv_model *m, float lo)
{
    for (int k = 0; k < fv_model_param_count(m); k++) {
        fv_param *p = fv_model_param(m, k);
        for (int64_t i = 0; i < p->value.size; i++)
            fv_f32(&p->value)[i] = fv_rng_uniform(7, (uint64_t)k, (uint64_t)i) + lo;
    }
}

/* inference_vs_eval on an (batch, 8, 5, 5) input; *bns gets the batch norm nodes left in the inference graph. */
static double bn_map_error(fv_model *m, int64_t batch, int *bns)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){batch, 8, 5, 5});
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(9, (uint64_t)batch, (uint64_t)i) * 8.0f - 4.0f;
    fv_graph *gi = NULL;
    double err = inference_vs_eval(m, x, &gi);
    *bns = gi ? count_ops(gi, "batch_norm") : -1;
    fv_graph_free(gi), fv_tensor_free(x);
    return err;
}

/* Batch norm (+ ReLU / ReLU6) in front of a pointwise convolution: mapped into its input. */
static void bn_into_conv(fv_ctx *ctx)
{
    static const struct {
        const char *text, *what;
        int bns; /* batch norm nodes the inference graph keeps */
    } cases[] = {
        {"input x shape=8x5x5\nbatch_norm bn\nrelu r\nconv2d c filters=7 kernel=1\nconcat k from=c,x\n"
         "batch_norm bn2\nrelu6 r6\nconv2d c2 filters=5 kernel=1 bias=false\nconcat k2 from=c2,x\n"
         "batch_norm bn3\nconv2d c3 filters=4 kernel=1\n",
         "BN-ReLU-conv, BN-ReLU6-conv (no bias) and BN-conv", 0},
        {"input x shape=8x5x5\nbatch_norm bn\nrelu r\nconv2d c filters=6 kernel=3 padding=1\n",
         "BN-ReLU before a 3x3 convolution: left as it is", 1},
        {"input x shape=8x5x5\nbatch_norm bn\nrelu r\nconv2d c filters=8 kernel=1\nadd s from=c,r\n",
         "a ReLU that another layer reads too: left as it is", 1},
    };
    for (int k = 0; k < 3; k++) {
        fv_model *m = fv_model_parse(ctx, cases[k].text, "map");
        if (!CHECK(m != NULL, "model %d parses%s%s", k, m ? "" : ": ", m ? "" : fv_errmsg(ctx))) continue;
        fv_model_init(m);
        randomize(m, 0.3f);
        double worst = 0;
        int bns = 0, bad_bns = 0;
        for (int ref = 0; ref < 2; ref++) {
            fv_ctx_use_reference_kernels(ctx, ref == 1);
            for (int64_t batch = 1; batch <= 3; batch += 2) {
                worst = fmax(worst, bn_map_error(m, batch, &bns));
                bad_bns += bns != cases[k].bns;
            }
        }
        fv_ctx_use_reference_kernels(ctx, false);
        CHECK(worst <= 1e-5 && bad_bns == 0, "%s: within 1e-5 of the eval graph, fast and reference kernels, batches "
              "1 and 3 (%.2g), %d batch norm node(s) left", cases[k].what, worst, bns);
        fv_model_free(m);
    }
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_parse(ctx, model_text, "fuse");
    if (!CHECK(m != NULL, "the model parses%s%s", m ? "" : ": ", m ? "" : fv_errmsg(ctx))) return test_finish();
    set_constants(m, 1.41421356f, 2.0f);
    int fused = 0, primitive = 0;
    double err = compare(m, &fused, &primitive);
    CHECK(err <= 1e-5 && fused == 2 && primitive == 0, "two layer norms and two GELUs become one operator each "
          "(%d layer norms, %d primitive left), within 1e-5 of the eval graph (%.2g)", fused, primitive, err);
    set_constants(m, 1.7320508f, 4.0f); /* not the patterns' constants: left as written */
    err = compare(m, &fused, &primitive);
    CHECK(err <= 1e-5 && fused == 1 && primitive == 12, "other constants: only the matching layer norm and GELU are "
          "fused (%d fused, %d primitive), the same numbers (%.2g)", fused, primitive, err);
    set_constants(m, 1.41421356f, 2.0f);
    int outs[] = {fv_model_layer_count(m) - 1, fv_model_find_layer(m, "bv")};
    CHECK(fv_model_set_outputs(m, outs, 2) == FV_OK, "an inner layer becomes an output");
    err = compare(m, &fused, &primitive);
    CHECK(err <= 1e-5 && fused == 1 && primitive == 2, "a pattern whose inner layer is read outside it stays written "
          "out (%d fused, %d primitive), the same numbers (%.2g)", fused, primitive, err);
    fv_model_free(m);
    bn_clamp(ctx);
    bn_into_conv(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
