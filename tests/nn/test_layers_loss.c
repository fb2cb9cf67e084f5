/* Layer types of the loss family (src/nn/layers_loss.c): nll_loss and softmax_cross_entropy descriptions
 * parse, build and run, give the same numbers as the graph ops built directly, describe themselves back to the
 * same text, and go through ONNX export and import (opsets 13 and 17) with the same outputs bit for bit; bad
 * keys and inputs are refused naming layer and key. The losses ONNX has no operator for (BCE with pos_weight,
 * focal, Dice, KL, contrastive, triplet, cosine embedding) parse with PyTorch's defaults and their keys, run
 * as the ops built directly, round-trip their descriptions, and are refused by the ONNX exporter by name. */
#include <stdlib.h>
#include <string.h>

#include "../common/test.h"
#include "../../src/nn/model_internal.h"

#define MAX_IO 4

typedef fv_node *(*direct_fn)(fv_graph *g, fv_node *const *in);

/* Deterministic inputs: floats in [-1.25, 1.25] (scores, log-probabilities, weights), integer targets in
 * [0, 3) (every test has at least 3 classes). */
static fv_tensor *input_for(fv_ctx *ctx, const fv_tensor *shape_of, int seed)
{
    fv_tensor *t = fv_tensor_new(ctx, shape_of->dtype, shape_of->ndim, shape_of->shape);
    for (int64_t i = 0; t && i < t->size; i++) {
        if (t->dtype == FV_I64) fv_i64(t)[i] = (i * 7 + seed) % 3;
        else if (t->dtype == FV_I32) fv_i32(t)[i] = (int32_t)((i * 5 + seed) % 3);
        else fv_f32(t)[i] = (float)(((i * 7 + seed * 3) % 11) - 5) * 0.25f;
    }
    return t;
}

/* Runs m on its inputs (the k-th input from input_for(seed k)); outputs copied into out (caller frees). */
static int run(fv_model *m, fv_tensor **out)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_node *in[MAX_IO] = {0}, *outs[MAX_IO] = {0};
    fv_graph *g = fv_model_build_io(m, 1, in, outs, NULL);
    if (!g) return -1;
    fv_graph_set_training(g, false);
    int n_in = fv_model_input_count(m), n_out = fv_model_output_count(m);
    for (int k = 0; k < n_in; k++) {
        fv_tensor *x = input_for(ctx, fv_node_value(in[k]), k);
        fv_graph_set_input(g, in[k], x);
        fv_tensor_free(x);
    }
    int n = fv_graph_forward(g) == FV_OK ? n_out : -1;
    for (int k = 0; k < n; k++) {
        const fv_tensor *v = fv_node_value(outs[k]);
        out[k] = fv_tensor_from(ctx, v->dtype, v->ndim, v->shape, v->data);
    }
    fv_graph_free(g);
    return n;
}

static bool same(const fv_tensor *a, const fv_tensor *b)
{
    return a && b && a->dtype == b->dtype && fv_same_shape(a, b) &&
           memcmp(a->data, b->data, (size_t)a->size * fv_dtype_size(a->dtype)) == 0;
}

static void free_all(fv_tensor **t, int n)
{
    for (int k = 0; k < n; k++) fv_tensor_free(t[k]);
}

/* Parses text and checks what every loss layer must do: it builds and runs, gives the numbers of the op built
 * directly on the same inputs (direct builds the expected output 0 from the input nodes; NULL: none), and its
 * description round-trips. Returns the model (NULL when it does not parse) and its outputs in got[*n]. */
static fv_model *check_common(fv_ctx *ctx, const char *name, const char *text, direct_fn direct, fv_tensor **got,
                              int *n)
{
    fv_model *m = fv_model_parse(ctx, text, name);
    *n = -1;
    if (!CHECK(m != NULL, "%s: parses (%s)", name, fv_errmsg(ctx))) return NULL;
    *n = run(m, got);
    CHECK(*n > 0, "%s: builds and runs (%s)", name, *n > 0 ? "" : fv_errmsg(ctx));
    if (*n > 0 && direct) { /* the op built directly on the same inputs */
        fv_graph *g = fv_graph_new(ctx);
        fv_node *in[MAX_IO];
        int n_in = fv_model_input_count(m);
        for (int k = 0; k < n_in; k++) {
            const fv_layer *l = &m->layers[m->inputs[k]];
            int64_t shape[FV_MAX_DIMS] = {1}; /* a batched input runs with a batch of 1 */
            memcpy(shape + l->a.batch, l->a.shape, (size_t)l->a.ndim * sizeof *shape);
            in[k] = fv_input(g, l->name, (fv_dtype)l->a.dtype, l->a.ndim + l->a.batch, shape);
        }
        fv_node *y = direct(g, in);
        bool ok = y != NULL;
        for (int k = 0; ok && k < n_in; k++) {
            fv_tensor *x = input_for(ctx, fv_node_value(in[k]), k);
            ok = fv_graph_set_input(g, in[k], x) == FV_OK;
            fv_tensor_free(x);
        }
        ok = ok && fv_graph_forward(g) == FV_OK;
        CHECK(ok && same(fv_node_value(y), got[0]), "%s: the same numbers as the op built directly", name);
        fv_graph_free(g);
    }
    char *d = fv_model_describe(m);
    fv_model *m2 = d ? fv_model_parse(ctx, d, name) : NULL;
    char *d2 = m2 ? fv_model_describe(m2) : NULL;
    CHECK(d && d2 && strcmp(d, d2) == 0, "%s: the description round-trips", name);
    free(d), free(d2);
    fv_model_free(m2);
    return m;
}

/* The whole check for one description: check_common, then ONNX export and import at opsets 13 and 17. */
static void check_layer(fv_ctx *ctx, const char *name, const char *text, direct_fn direct)
{
    fv_tensor *got[MAX_IO] = {0}, *back[MAX_IO] = {0};
    int n;
    fv_model *m = check_common(ctx, name, text, direct, got, &n);
    int opsets[] = {13, 17};
    for (int o = 0; o < 2 && n > 0; o++) {
        void *buf = NULL;
        size_t size = 0;
        fv_status s = fv_onnx_save_mem(m, opsets[o], &buf, &size);
        fv_model *im = s ? NULL : fv_onnx_load_mem(ctx, buf, size, name);
        free(buf);
        int nb = im ? run(im, back) : -1;
        bool ok = nb == n;
        for (int k = 0; ok && k < n; k++) ok = same(got[k], back[k]);
        CHECK(ok, "%s: ONNX opset %d export and import give the same outputs bit for bit (%s)", name, opsets[o],
              ok ? "" : fv_errmsg(ctx));
        if (nb > 0) free_all(back, nb);
        fv_model_free(im);
    }
    if (n > 0) free_all(got, n);
    fv_model_free(m);
}

/* ---- the ops built directly ------------------------------------------------------------------------- */

static fv_node *d_nll(fv_graph *g, fv_node *const *in)
{
    return fv_nll_loss(g, in[0], in[1], NULL, FV_LOSS_MEAN, FV_NLL_IGNORE_NONE);
}
static fv_node *d_nll_w_ign_sum(fv_graph *g, fv_node *const *in)
{
    return fv_nll_loss(g, in[0], in[1], in[2], FV_LOSS_SUM, 1);
}
static fv_node *d_nll_none(fv_graph *g, fv_node *const *in)
{
    return fv_nll_loss(g, in[0], in[1], in[2], FV_LOSS_NONE, -1);
}
static fv_node *d_sce(fv_graph *g, fv_node *const *in)
{
    return fv_softmax_cross_entropy(g, in[0], in[1], NULL, FV_LOSS_MEAN, 2, NULL);
}
static fv_node *d_sce_w_none(fv_graph *g, fv_node *const *in)
{
    return fv_softmax_cross_entropy(g, in[0], in[1], in[2], FV_LOSS_NONE, FV_NLL_IGNORE_NONE, NULL);
}
static fv_node *d_sce_log_prob(fv_graph *g, fv_node *const *in)
{
    fv_node *lp = NULL;
    fv_softmax_cross_entropy(g, in[0], in[1], in[2], FV_LOSS_SUM, 0, &lp);
    return lp;
}

#define X3 "input x shape=2x4x3 batch=false\ninput t shape=2x3 dtype=int64 batch=false\n"
#define X5 "input x shape=2x3x2x2x3 batch=false\ninput t shape=2x2x2x3 dtype=int32 batch=false\n"
#define W4 "input w shape=4 batch=false\n"

static void test_layers(fv_ctx *ctx)
{
    check_layer(ctx, "nll_loss", X3 "nll_loss l from=x,t\n", d_nll);
    check_layer(ctx, "nll_loss weight sum", X3 W4 "nll_loss l reduction=sum ignore_index=1 from=x,t,w\n",
                d_nll_w_ign_sum);
    check_layer(ctx, "nll_loss none", X3 W4 "nll_loss l reduction=none ignore_index=-1 from=x,t,w\n", d_nll_none);
    check_layer(ctx, "softmax_cross_entropy 5-D", X5 "softmax_cross_entropy l ignore_index=2 from=x,t\n", d_sce);
    check_layer(ctx, "softmax_cross_entropy none", X3 W4 "softmax_cross_entropy l reduction=none from=x,t,w\n",
                d_sce_w_none);
    check_layer(ctx, "softmax_cross_entropy log_prob",
                X3 W4 "softmax_cross_entropy l reduction=sum ignore_index=0 from=x,t,w\n"
                      "log_softmax lp axis=1 from=x\noutputs lp,l\n",
                d_sce_log_prob);
}

/* ---- the losses without an ONNX operator ---- */

static fv_node *d_bce_pw(fv_graph *g, fv_node *const *in) { return fv_bce_with_logits_weighted(g, in[0], in[1], in[2], FV_LOSS_NONE); }
static fv_node *d_focal(fv_graph *g, fv_node *const *in) { return fv_sigmoid_focal_loss(g, in[0], in[1], 0.25f, 2.0f, FV_LOSS_MEAN); }
static fv_node *d_focal_keys(fv_graph *g, fv_node *const *in) { return fv_sigmoid_focal_loss(g, in[0], in[1], 0.5f, 1.5f, FV_LOSS_SUM); }
static fv_node *d_dice(fv_graph *g, fv_node *const *in) { return fv_dice_loss(g, in[0], in[1], 1.0f); }
static fv_node *d_kl(fv_graph *g, fv_node *const *in) { return fv_kl_div(g, in[0], in[1], FV_LOSS_BATCHMEAN, true); }
static fv_node *d_contrastive(fv_graph *g, fv_node *const *in) { return fv_contrastive_loss(g, in[0], in[1], in[2], 1.0f, FV_LOSS_MEAN); }
static fv_node *d_triplet(fv_graph *g, fv_node *const *in)
{
    return fv_triplet_margin_loss(g, in[0], in[1], in[2], 0.5f, 1.0f, 1e-6f, true, FV_LOSS_NONE);
}
static fv_node *d_mined(fv_graph *g, fv_node *const *in) { return fv_triplet_mined_loss(g, in[0], in[1], 0.5f, FV_TRIPLET_SEMI_HARD); }
static fv_node *d_cosine(fv_graph *g, fv_node *const *in) { return fv_cosine_embedding_loss(g, in[0], in[1], in[2], 0.0f, FV_LOSS_SUM); }

/* check_common for a loss ONNX has no operator for: export is refused, naming the layer's type. */
static void check_local(fv_ctx *ctx, const char *name, const char *text, direct_fn direct, const char *type)
{
    fv_tensor *got[MAX_IO] = {0};
    int n;
    fv_model *m = check_common(ctx, name, text, direct, got, &n);
    if (!m) return;
    if (n > 0) free_all(got, n);
    void *buf = NULL;
    size_t size = 0;
    CHECK(fv_onnx_save_mem(m, 17, &buf, &size) != FV_OK && strstr(fv_errmsg(ctx), type),
          "%s: ONNX export is refused naming %s: %s", name, type, fv_errmsg(ctx));
    free(buf);
    fv_model_free(m);
}

#define P2 "input x shape=2x4 batch=false\ninput y shape=2x4 batch=false\n"
#define E3 "input a shape=3x4 batch=false\ninput b shape=3x4 batch=false\ninput c shape=3 batch=false\n"

static void test_other_losses(fv_ctx *ctx)
{
    check_local(ctx, "bce_with_logits", P2 "input w shape=4 batch=false\nbce_with_logits l reduction=none from=x,y,w\n",
                d_bce_pw, "bce_with_logits");
    check_local(ctx, "sigmoid_focal_loss", P2 "sigmoid_focal_loss l from=x,y\n", d_focal, "sigmoid_focal_loss");
    check_local(ctx, "sigmoid_focal_loss keys", P2 "sigmoid_focal_loss l alpha=0.5 gamma=1.5 reduction=sum from=x,y\n",
                d_focal_keys, "sigmoid_focal_loss");
    check_local(ctx, "dice_loss", "input p shape=2x3x2 batch=false\ninput t shape=2x2 dtype=int32 batch=false\n"
                "dice_loss l from=p,t\n", d_dice, "dice_loss");
    check_local(ctx, "kl_div", P2 "kl_div l reduction=batchmean log_target=true from=x,y\n", d_kl, "kl_div");
    check_local(ctx, "contrastive_loss", E3 "contrastive_loss l from=a,b,c\n", d_contrastive, "contrastive_loss");
    check_local(ctx, "triplet_margin_loss", "input a shape=3x4 batch=false\ninput b shape=3x4 batch=false\n"
                "input n shape=3x4 batch=false\ntriplet_margin_loss l margin=0.5 p=1 swap=true reduction=none from=a,b,n\n",
                d_triplet, "triplet_margin_loss");
    check_local(ctx, "cosine_embedding_loss", E3 "cosine_embedding_loss l reduction=sum from=a,b,c\n", d_cosine,
                "cosine_embedding_loss");
    check_local(ctx, "triplet_mined_loss", "input e shape=6x3 batch=false\ninput y shape=6 dtype=int64 batch=false\n"
                "triplet_mined_loss l margin=0.5 mining=semi from=e,y\n", d_mined, "triplet_mined_loss");
}

/* ---- refusals ----------------------------------------------------------------------------------------- */

static void refused(fv_ctx *ctx, const char *text, const char *want1, const char *want2)
{
    fv_model *m = fv_model_parse(ctx, text, "bad.fvd");
    const char *msg = fv_errmsg(ctx);
    CHECK(!m && strstr(msg, want1) && strstr(msg, want2), "refused naming '%s' and '%s': %s", want1, want2, msg);
    fv_model_free(m);
}

static void test_refusals(fv_ctx *ctx)
{
    refused(ctx, X3 "nll_loss l reduction=avg from=x,t\n", "nll_loss 'l'", "reduction=avg");
    refused(ctx, X3 "nll_loss l ignore_index=x from=x,t\n", "nll_loss 'l'", "ignore_index=x");
    refused(ctx, X3 "nll_loss l ignore_index=1,2 from=x,t\n", "'l'", "ignore_index");
    refused(ctx, X3 "nll_loss l ignor_index=1 from=x,t\n", "nll_loss 'l'", "ignor_index");
    refused(ctx, X3 "input w shape=5 batch=false\nnll_loss l from=x,t,w\n", "'l'", "weight (5)");
    refused(ctx, X3 "input u shape=2x4 dtype=int64 batch=false\nsoftmax_cross_entropy l from=x,u\n", "'l'",
            "target (2,4)");
    refused(ctx, X3 "nll_loss l from=x\n", "nll_loss 'l'", "input");
}

/* An ONNX SoftmaxCrossEntropyLoss whose log_prob is used imports as a loss layer and a log_softmax layer. */
static void test_onnx_log_prob(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, X3 "softmax_cross_entropy l from=x,t\noutputs l\n", "sce");
    if (!CHECK(m != NULL, "sce model parses (%s)", fv_errmsg(ctx))) return;
    void *buf = NULL;
    size_t size = 0;
    CHECK(fv_onnx_save_mem(m, 11, &buf, &size) != FV_OK && strstr(fv_errmsg(ctx), "opset 12"),
          "export at opset 11 is refused: %s", fv_errmsg(ctx));
    free(buf);
    buf = NULL;
    fv_model *back = fv_onnx_save_mem(m, 12, &buf, &size) ? NULL : fv_onnx_load_mem(ctx, buf, size, "sce");
    free(buf);
    int l = back ? fv_model_find_layer(back, "l") : -1;
    CHECK(l >= 0 && strcmp(back->layers[l].type->name, "softmax_cross_entropy") == 0 && !back->layers[l].a.axes.n,
          "opset 12: a softmax_cross_entropy layer without ignore_index comes back (%s)", fv_errmsg(ctx));
    fv_model_free(back);
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(7);
    test_layers(ctx);
    test_refusals(ctx);
    test_onnx_log_prob(ctx);
    test_other_losses(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
