/* Layer types of the layout family (src/nn/layers_layout.c): each description parses, builds and runs, gives
 * the same numbers as the graph op built directly, describes itself back to the same text, and goes through
 * ONNX export and import with the same outputs bit for bit; bad keys are refused naming layer and key; a
 * hand-written ViT block builds at batch 1 and 3. */
#include <stdlib.h>
#include <string.h>

#include "../common/test.h"
#include "../../src/nn/model_internal.h"

#define MAX_IO 4

/* when set, check_layer exports at this opset only (-1: not at all) */
static int only_opset;

typedef fv_node *(*direct_fn)(fv_graph *g, fv_node *const *in);

/* Deterministic inputs: distinct values with a few ties, so that arg-max and top-k have ties to break. */
static fv_tensor *input_for(fv_ctx *ctx, const fv_tensor *shape_of, int seed)
{
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, shape_of->ndim, shape_of->shape);
    for (int64_t i = 0; t && i < t->size; i++) fv_f32(t)[i] = (float)(((i * 7 + seed * 3) % 11) - 5) * 0.25f;
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

/* The whole check for one description; direct builds the expected output 0 from the input nodes (NULL: none). */
static void check_layer(fv_ctx *ctx, const char *name, const char *text, direct_fn direct)
{
    fv_model *m = fv_model_parse(ctx, text, name);
    if (!CHECK(m != NULL, "%s: parses (%s)", name, fv_errmsg(ctx))) return;
    fv_tensor *got[MAX_IO] = {0}, *back[MAX_IO] = {0};
    int n = run(m, got);
    CHECK(n > 0, "%s: builds and runs (%s)", name, n > 0 ? "" : fv_errmsg(ctx));
    if (n > 0 && direct) { /* the op built directly on the same inputs */
        fv_graph *g = fv_graph_new(ctx);
        fv_node *in[MAX_IO];
        int n_in = fv_model_input_count(m);
        for (int k = 0; k < n_in; k++) {
            const fv_layer *l = &m->layers[m->inputs[k]];
            int64_t shape[FV_MAX_DIMS] = {1}; /* a batched input runs with a batch of 1 */
            memcpy(shape + l->a.batch, l->a.shape, (size_t)l->a.ndim * sizeof *shape);
            in[k] = fv_input(g, l->name, FV_F32, l->a.ndim + l->a.batch, shape);
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
    int opsets[] = {13, 17}, *os = only_opset ? &only_opset : opsets, nos = only_opset < 0 ? 0 : only_opset ? 1 : 2;
    for (int o = 0; o < nos && n > 0; o++) {
        void *buf = NULL;
        size_t size = 0;
        fv_status s = fv_onnx_save_mem(m, os[o], &buf, &size);
        fv_model *im = s ? NULL : fv_onnx_load_mem(ctx, buf, size, name);
        free(buf);
        int nb = im ? run(im, back) : -1;
        bool ok = nb == n;
        for (int k = 0; ok && k < n; k++) ok = same(got[k], back[k]);
        CHECK(ok, "%s: ONNX opset %d export and import give the same outputs bit for bit (%s)", name, os[o],
              ok ? "" : fv_errmsg(ctx));
        if (nb > 0) free_all(back, nb);
        fv_model_free(im);
    }
    if (n > 0) free_all(got, n);
    fv_model_free(m);
}

/* ---- the ops built directly ------------------------------------------------------------------------- */

static fv_node *d_reshape(fv_graph *g, fv_node *const *in) { return fv_reshape(g, in[0], 3, (int64_t[]){0, 4, -1}); }
static fv_node *d_transpose(fv_graph *g, fv_node *const *in) { return fv_transpose(g, in[0], 3, (int64_t[]){0, 2, 1}); }
static fv_node *d_squeeze(fv_graph *g, fv_node *const *in) { return fv_squeeze(g, in[0], 1, (int64_t[]){1}); }
static fv_node *d_unsqueeze(fv_graph *g, fv_node *const *in) { return fv_unsqueeze(g, in[0], 2, (int64_t[]){1, -1}); }
static fv_node *d_flatten(fv_graph *g, fv_node *const *in) { return fv_flatten_axis(g, in[0], 2); }
static fv_node *d_expand(fv_graph *g, fv_node *const *in) { return fv_expand(g, in[0], 3, (int64_t[]){2, 3, 4}); }
static fv_node *d_tile(fv_graph *g, fv_node *const *in) { return fv_tile(g, in[0], 3, (int64_t[]){1, 2, 3}); }
static fv_node *d_slice(fv_graph *g, fv_node *const *in)
{
    return fv_slice(g, in[0], 2, (int64_t[]){3, 0}, (int64_t[]){-5, 2}, (int64_t[]){-1, 1}, (int64_t[]){-2, 1});
}
static fv_node *d_split(fv_graph *g, fv_node *const *in)
{
    fv_node *out[3];
    return fv_split(g, in[0], -1, 3, (int64_t[]){1, 2, 1}, out) ? NULL : out[1];
}
static fv_node *d_pad(fv_graph *g, fv_node *const *in)
{
    return fv_pad(g, in[0], 6, (int64_t[]){0, 1, 2, 1, 0, -1}, FV_PAD_REFLECT, 0.0);
}
static fv_node *d_d2s(fv_graph *g, fv_node *const *in) { return fv_depth_to_space(g, in[0], 2, FV_DEPTH_CRD); }
static fv_node *d_s2d(fv_graph *g, fv_node *const *in) { return fv_space_to_depth(g, in[0], 2, FV_DEPTH_DCR); }
static fv_node *d_shuffle(fv_graph *g, fv_node *const *in) { return fv_pixel_shuffle(g, in[0], 2); }
static fv_node *d_concat(fv_graph *g, fv_node *const *in) { return fv_concat(g, (fv_node *[]){in[0], in[0]}, 2, -1); }

#define X3 "input x shape=2x3x4 batch=false\n"
#define X4 "input x shape=8x2x4 batch=false\n"

static void test_layers(fv_ctx *ctx)
{
    check_layer(ctx, "reshape", X3 "reshape r shape=0,4,-1\n", d_reshape);
    check_layer(ctx, "transpose", X3 "transpose t perm=0,2,1\n", d_transpose);
    check_layer(ctx, "transpose reversed", X3 "transpose t\n", NULL);
    check_layer(ctx, "squeeze", "input x shape=2x1x4 batch=false\nsqueeze s axes=1\n", d_squeeze);
    check_layer(ctx, "unsqueeze", X3 "unsqueeze u axes=1,-1\n", d_unsqueeze);
    check_layer(ctx, "flatten_axis", X3 "flatten_axis f axis=2\n", d_flatten);
    check_layer(ctx, "expand", "input x shape=3x1 batch=false\nexpand e shape=2,1,4\n", d_expand);
    check_layer(ctx, "tile", X3 "tile t repeats=1,2,3\n", d_tile);
    check_layer(ctx, "slice", X3 "slice s starts=3,0 ends=-5,2 axes=-1,1 steps=-2,1\n", d_slice);
    check_layer(ctx, "split", X3 "split s axis=-1 sizes=1,2,1 index=1\n", d_split);
    check_layer(ctx, "split parts", X3 "split s axis=2 parts=2 index=0\n", NULL);
    check_layer(ctx, "gather", X3 "constant i shape=2 dtype=int64\ngather g axis=1 from=x,i\n", NULL);
    check_layer(ctx, "gather_elements",
                X3 "constant i shape=2x2x4 dtype=int64\ngather_elements g axis=1 from=x,i\n", NULL);
    check_layer(ctx, "scatter_elements",
                X3 "constant i shape=2x1x4 dtype=int64\nconstant u shape=2x1x4\n"
                   "scatter_elements s axis=1 reduction=add from=x,i,u\n", NULL);
    check_layer(ctx, "pad_nd", X3 "pad_nd p pads=0,1,2,1,0,-1 mode=reflect\n", d_pad);
    check_layer(ctx, "pad_nd constant", X3 "pad_nd p pads=1,0,0,0,1,2 value=1.5\n", NULL);
    check_layer(ctx, "depth_to_space", X4 "depth_to_space d blocksize=2 mode=CRD\n", d_d2s);
    check_layer(ctx, "space_to_depth", X4 "space_to_depth d blocksize=2\n", d_s2d);
    check_layer(ctx, "pixel_shuffle", X4 "pixel_shuffle d factor=2\n", d_shuffle);
    check_layer(ctx, "concat", X3 "concat c axis=-1 from=x,x\n", d_concat);
}

/* A ViT-style block: patch embedding, tokens, a class token expanded to the batch, layer norm, one attention
 * head pair and a GELU MLP. */
static const char *vit =
    "input img shape=3x8x8\n"
    "constant w1 shape=16x16\n"
    "conv2d patch filters=16 kernel=4 stride=4 from=img\n"
    "reshape tokens shape=0,16,-1\n"
    "transpose seq perm=0,2,1\n"
    "constant cls shape=1x1x16\n"
    "expand cls_n shape=-1,1,16 from=cls,img\n"
    "concat joined axis=1 from=cls_n,seq\n"
    "layer_norm ln axis=-1\n"
    "reshape heads shape=0,5,2,8 from=ln\n"
    "transpose q perm=0,2,1,3\n"
    "transpose kt perm=0,2,3,1 from=heads\n"
    "matmul scores from=q,kt\n"
    "softmax w axis=-1\n"
    "matmul att from=w,q\n"
    "transpose merged perm=0,2,1,3\n"
    "reshape att2 shape=0,5,16\n"
    "add res from=att2,joined\n"
    "matmul fc1 from=res,w1\n"
    "gelu act\n"
    "slice cls_out starts=0 ends=1 axes=1\n";

static void test_vit(fv_ctx *ctx)
{
    const char *text = vit;
    fv_model *m = fv_model_parse(ctx, text, "vit");
    if (!CHECK(m != NULL, "vit block parses (%s)", fv_errmsg(ctx))) return;
    for (int b = 1; b <= 3; b += 2) {
        fv_node *in[MAX_IO] = {0}, *outs[MAX_IO] = {0};
        fv_graph *g = fv_model_build_io(m, b, in, outs, NULL);
        const fv_tensor *y = g ? fv_node_value(outs[0]) : NULL;
        CHECK(y && y->ndim == 3 && y->shape[0] == b && y->shape[1] == 1 && y->shape[2] == 16,
              "vit block builds at batch %d (%s)", b, g ? "" : fv_errmsg(ctx));
        fv_graph_free(g);
    }
    fv_model_free(m);
    only_opset = -1; /* parses, runs, describes itself back; export would be refused (Gelu) */
    check_layer(ctx, "vit block", text, NULL);
    /* fovea writes opsets up to 17 and ONNX's Gelu is opset 20: the round trip uses erf in its place */
    char onnx_text[2048];
    const char *at = strstr(vit, "gelu act");
    snprintf(onnx_text, sizeof onnx_text, "%.*serf act%s", (int)(at - vit), vit, at + strlen("gelu act"));
    only_opset = 17; /* LayerNormalization */
    check_layer(ctx, "vit block, erf MLP", onnx_text, NULL);
    only_opset = 0;
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
    refused(ctx, X3 "reshape r shape=5,-1\n", "'r'", "(2,3,4)");
    refused(ctx, X3 "reshape r\n", "reshape 'r'", "shape");
    refused(ctx, X3 "transpose t perm=0,2,2\n", "'t'", "perm");
    refused(ctx, X3 "squeeze s axes=1\n", "'s'", "(2,3,4)");
    refused(ctx, X3 "slice s starts=0 ends=1 steps=0\n", "'s'", "step");
    refused(ctx, X3 "split s sizes=1,2 index=0\n", "split", "(2,3,4)");
    refused(ctx, X3 "split s parts=2 index=2\n", "split 's'", "index");
    refused(ctx, X3 "pad_nd p pads=1,1 mode=wrap\n", "pad_nd 'p'", "mode=wrap");
    refused(ctx, X3 "expand e shape=-1,3,4\n", "expand 'e'", "like");
    refused(ctx, X3 "depth_to_space d blocksize=2\n", "'d'", "(2,3,4)");
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(7);
    test_layers(ctx);
    test_vit(ctx);
    test_refusals(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
