/* The norm family's layer types (layer_norm, instance_norm, group_norm, resize): each parses, builds and gives the
 * numbers of its graph op built directly, its description reads back the same, ONNX export and import give the
 * same outputs bit for bit (or a clear refusal), and bad keys give errors naming the layer and the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../onnx/pb.h"
#include "fovea/onnx.h"
#include "model_run.h"
#include "test.h"

static fv_tensor *random_input(fv_ctx *ctx, fv_model *m, int64_t batch)
{
    int64_t shape[FV_MAX_DIMS] = {batch};
    int nd = fv_model_input_shape(m, shape + 1);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, nd + 1, shape);
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(5, 6, (uint64_t)i) * 4 - 2;
    return x;
}

/* Weights and biases away from 1 and 0. */
static void randomize(fv_model *m)
{
    fv_model_init(m);
    for (int k = 0; k < fv_model_param_count(m); k++) {
        fv_param *p = fv_model_param(m, k);
        for (int64_t i = 0; i < p->value.size; i++) fv_f32(&p->value)[i] = fv_rng_uniform(9, 40 + k, (uint64_t)i) + 0.5f;
    }
}

typedef fv_node *(*direct_fn)(fv_graph *g, fv_node *x, fv_model *m);

static fv_node *param_of(fv_graph *g, fv_model *m, const char *name)
{
    fv_param *p = fv_model_find_param(m, name);
    return p ? fv_use_param(g, p) : NULL;
}

static fv_node *ln_direct(fv_graph *g, fv_node *x, fv_model *m)
{
    return fv_layer_norm(g, x, param_of(g, m, "ln.weight"), param_of(g, m, "ln.bias"), -2, 0.001f);
}
static fv_node *ln_plain_direct(fv_graph *g, fv_node *x, fv_model *m) { return fv_layer_norm(g, x, NULL, NULL, 1, 1e-5f); }
static fv_node *in_direct(fv_graph *g, fv_node *x, fv_model *m)
{
    return fv_instance_norm(g, x, param_of(g, m, "in.weight"), param_of(g, m, "in.bias"), 0.01f);
}
static fv_node *gn_direct(fv_graph *g, fv_node *x, fv_model *m)
{
    return fv_group_norm(g, x, param_of(g, m, "gn.weight"), param_of(g, m, "gn.bias"), 3, 1e-5f);
}
static fv_node *rs_linear_direct(fv_graph *g, fv_node *x, fv_model *m)
{
    fv_resize_args a = fv_resize_defaults();
    a.mode = FV_RESAMPLE_LINEAR;
    return fv_resize(g, x, 2, (int64_t[]){7, 3}, NULL, &a);
}
static fv_node *rs_cubic_direct(fv_graph *g, fv_node *x, fv_model *m)
{
    fv_resize_args a = fv_resize_defaults();
    a.mode = FV_RESAMPLE_CUBIC, a.cubic_a = -0.5, a.exclude_outside = true;
    return fv_resize(g, x, 2, NULL, (double[]){1.5, 0.5}, &a);
}
static fv_node *rs_nearest_direct(fv_graph *g, fv_node *x, fv_model *m)
{
    fv_resize_args a = fv_resize_defaults();
    a.coord = FV_COORD_ASYMMETRIC, a.nearest = FV_ROUND_FLOOR;
    return fv_resize(g, x, 1, NULL, (double[]){2.5}, &a);
}
static fv_node *rs_3d_direct(fv_graph *g, fv_node *x, fv_model *m)
{
    fv_resize_args a = fv_resize_defaults();
    a.mode = FV_RESAMPLE_LINEAR, a.coord = FV_COORD_ALIGN_CORNERS;
    return fv_resize(g, x, 3, (int64_t[]){3, 5, 2}, NULL, &a);
}

/* The model's output equals the op's, bit for bit. */
static void same_as_direct(fv_ctx *ctx, fv_model *m, direct_fn direct, const char *what)
{
    fv_tensor *x = random_input(ctx, m, 2), *y = run_model(m, x, false);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *in = fv_input(g, "x", FV_F32, x->ndim, x->shape), *out = in ? direct(g, in, m) : NULL;
    bool same = y && out && fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK &&
                fv_node_value(out)->size == y->size &&
                memcmp(fv_node_value(out)->data, y->data, (size_t)y->size * sizeof(float)) == 0;
    CHECK(same, "%s: the layer gives the op's numbers (%s)", what, fv_errmsg(ctx));
    fv_graph_free(g);
    fv_tensor_free(x), fv_tensor_free(y);
}

static bool same_outputs(fv_ctx *ctx, fv_model *a, fv_model *b)
{
    fv_tensor *x = random_input(ctx, a, 3), *ya = run_model(a, x, false), *yb = run_model(b, x, false);
    bool same = ya && yb && ya->size == yb->size && memcmp(ya->data, yb->data, (size_t)ya->size * 4) == 0;
    fv_tensor_free(x), fv_tensor_free(ya), fv_tensor_free(yb);
    return same;
}

/* describe -> parse -> describe is stable; ONNX at opset 17 comes back (as `type` again) with the same outputs. */
static void round_trips(fv_ctx *ctx, fv_model *m, const char *type, const char *what)
{
    char *d = fv_model_describe(m);
    fv_model *again = d ? fv_model_parse(ctx, d, "described") : NULL;
    char *d2 = again ? fv_model_describe(again) : NULL;
    CHECK(d && d2 && strcmp(d, d2) == 0, "%s: the description reads back the same", what);
    free(d), free(d2);
    fv_model_free(again);
    void *buf = NULL;
    size_t n = 0;
    fv_model *back = fv_onnx_save_mem(m, 17, &buf, &n) ? NULL : fv_onnx_load_mem(ctx, buf, n, what);
    free(buf);
    if (!CHECK(back != NULL, "%s: ONNX export and import (%s)", what, fv_errmsg(ctx))) return;
    int last = fv_model_layer_count(back) - 1;
    CHECK(strcmp(fv_model_layer_type(back, last), type) == 0, "%s: comes back as a %s layer (%s)", what, type,
          fv_model_layer_type(back, last));
    CHECK(same_outputs(ctx, m, back), "%s: the same outputs bit for bit after ONNX", what);
    fv_model_free(back);
}

static void one(fv_ctx *ctx, const char *text, const char *type, direct_fn direct)
{
    char what[200]; /* the layer's line */
    const char *line = strstr(text, type);
    snprintf(what, sizeof what, "%.*s", line ? (int)strcspn(line, "\n") : 0, line ? line : "");
    fv_model *m = fv_model_parse(ctx, text, "test");
    if (!CHECK(m != NULL, "parses: %s (%s)", what, fv_errmsg(ctx))) return;
    randomize(m);
    same_as_direct(ctx, m, direct, what);
    round_trips(ctx, m, type, what);
    fv_model_free(m);
}

/* A description that must fail with a message holding each of the words. */
static void bad(fv_ctx *ctx, const char *text, const char *w1, const char *w2)
{
    fv_model *m = fv_model_parse(ctx, text, "test");
    bool built = m != NULL;
    if (m) { /* some errors show only when the graph is built */
        fv_tensor *x = random_input(ctx, m, 2), *y = run_model(m, x, false);
        built = y != NULL;
        fv_tensor_free(x), fv_tensor_free(y);
    }
    const char *msg = fv_errmsg(ctx);
    CHECK(!built && strstr(msg, w1) && strstr(msg, w2), "refused: %s", msg);
    fv_model_free(m);
}

static void refused_export(fv_ctx *ctx, const char *text, int opset, const char *word)
{
    fv_model *m = fv_model_parse(ctx, text, "test");
    void *buf = NULL;
    size_t n = 0;
    fv_status s = m ? fv_onnx_save_mem(m, opset, &buf, &n) : FV_ERR_ARG;
    free(buf);
    CHECK(m && s == FV_ERR_UNSUPPORTED && strstr(fv_errmsg(ctx), word), "export refused at opset %d: %s", opset,
          fv_errmsg(ctx));
    fv_model_free(m);
}


/* An imported one-node graph against a parsed model whose weight and bias (C or normalized shape) hold the
 * per-channel values that the node's constants expand to: w[i] = wv[i / per], b[i] = bv[i / per]. */
static void import_matches(fv_ctx *ctx, pb *node, int opset, int64_t *xd, int ndim, const char *ref_text,
                           const char *wname, const float *wv, int64_t nw, int per, const char *what)
{
    int64_t wd[1] = {nw};
    pb g = {0}, vi = pb_value_info("x", ndim, xd), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 1, node);
    pb_str(&g, 2, "hand");
    pb w = pb_tensor("w", PB_FLOAT, 1, wd, wv, (size_t)nw * 4), b = pb_tensor("b", PB_FLOAT, 1, wd, wv + nw, (size_t)nw * 4);
    pb_msg(&g, 5, &w), pb_msg(&g, 5, &b);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb mod = pb_model(opset, &g);
    fv_model *m = fv_onnx_load_mem(ctx, mod.b, mod.n, what);
    free(mod.b);
    fv_model *ref = fv_model_parse(ctx, ref_text, "ref");
    char name[64];
    snprintf(name, sizeof name, "%s.weight", wname);
    fv_param *rw = ref ? fv_model_find_param(ref, name) : NULL;
    snprintf(name, sizeof name, "%s.bias", wname);
    fv_param *rb = ref ? fv_model_find_param(ref, name) : NULL;
    if (!CHECK(m && rw && rb, "%s: imported (%s)", what, fv_errmsg(ctx))) {
        fv_model_free(m), fv_model_free(ref);
        return;
    }
    for (int64_t i = 0; i < rw->value.size; i++)
        fv_f32(&rw->value)[i] = wv[(i / per) % nw], fv_f32(&rb->value)[i] = wv[nw + (i / per) % nw];
    CHECK(same_outputs(ctx, m, ref), "%s: the numbers of the layer with the expanded weights", what);
    fv_model_free(m), fv_model_free(ref);
}

static void test_imports(fv_ctx *ctx)
{
    const float gv[6] = {0.5f, 2.0f, -1.0f, 0.25f, -0.5f, 1.5f}; /* 3 scales, then 3 biases */
    int64_t xd[4] = {-1, 6, 3, 3};
    pb nd = pb_node("GroupNormalization", "gn", "x,w,b", "y");
    pb_attr_int(&nd, "num_groups", 3), pb_attr_float(&nd, "epsilon", 1e-3f);
    import_matches(ctx, &nd, 18, xd, 4, "input x shape=6x3x3\ngroup_norm gn groups=3 eps=0.001\n", "gn", gv, 3, 2,
                   "GroupNormalization (opset 18, per-group scale)");
    /* LayerNormalization over (4, 6) with a Scale and B of shape (6): repeated over the 4 rows */
    int64_t ld[3] = {-1, 4, 6};
    const float lv[12] = {1, 2, 3, 4, 5, 6, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    nd = pb_node("LayerNormalization", "ln", "x,w,b", "y");
    pb_attr_int(&nd, "axis", 1);
    import_matches(ctx, &nd, 17, ld, 3, "input x shape=4x6\nlayer_norm ln axis=1\n", "ln", lv, 6, 1,
                   "LayerNormalization with a Scale broadcast to the normalized shape");
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    one(ctx, "model a\ninput x shape=4x6\nlayer_norm ln axis=-2 eps=0.001\n", "layer_norm", ln_direct);
    one(ctx, "model b\ninput x shape=4x6\nlayer_norm ln2 axis=1 affine=false\n", "layer_norm", ln_plain_direct);
    one(ctx, "model c\ninput x shape=3x5x5\ninstance_norm in eps=0.01 affine=true\n", "instance_norm", in_direct);
    one(ctx, "model e\ninput x shape=3x4x5\nresize r size=7x3 mode=linear\n", "resize", rs_linear_direct);
    one(ctx, "model f\ninput x shape=2x4x6\nresize r scales=1.5,0.5 mode=cubic cubic_coeff_a=-0.5 exclude_outside=true\n",
        "resize", rs_cubic_direct);
    one(ctx, "model g\ninput x shape=2x3x4\nresize r scales=2.5 coordinate_transformation_mode=asymmetric "
        "nearest_mode=floor\n", "resize", rs_nearest_direct);
    one(ctx, "model h\ninput x shape=2x4x3x4 batch=true\nresize r size=3x5x2 mode=linear "
        "coordinate_transformation_mode=align_corners\n", "resize", rs_3d_direct);
    /* group_norm: ONNX's GroupNormalization needs opset 18 (fovea writes up to 17) */
    fv_model *m = fv_model_parse(ctx, "model d\ninput x shape=6x4x4\ngroup_norm gn groups=3\n", "test");
    if (CHECK(m != NULL, "group_norm parses (%s)", fv_errmsg(ctx))) {
        randomize(m);
        same_as_direct(ctx, m, gn_direct, "group_norm");
        char *d = fv_model_describe(m);
        CHECK(d && strstr(d, "group_norm gn groups=3\n"), "group_norm describes itself: %s", d ? d : "");
        free(d);
    }
    fv_model_free(m);
    refused_export(ctx, "model d\ninput x shape=6x4x4\ngroup_norm gn groups=3\n", 17, "GroupNormalization needs opset 18");
    refused_export(ctx, "model a\ninput x shape=4x6\nlayer_norm ln\n", 13, "LayerNormalization needs opset 17");
    /* instance_norm without affine exports ones and zeros, coming back with weights */
    m = fv_model_parse(ctx, "model i\ninput x shape=3x5x5\ninstance_norm in\n", "test");
    void *buf = NULL;
    size_t n = 0;
    fv_model *back = m && !fv_onnx_save_mem(m, 11, &buf, &n) ? fv_onnx_load_mem(ctx, buf, n, "i") : NULL;
    free(buf);
    CHECK(back && same_outputs(ctx, m, back), "instance_norm without affine: the same outputs after ONNX (%s)",
          fv_errmsg(ctx));
    fv_model_free(back), fv_model_free(m);

    bad(ctx, "model z\ninput x shape=4x6\nlayer_norm ln axs=1\n", "layer_norm 'ln'", "'axs'");
    bad(ctx, "model z\ninput x shape=4x6\nlayer_norm ln axis=3\n", "'ln'", "axis=3");
    bad(ctx, "model z\ninput x shape=4x6\nlayer_norm ln axis=0\n", "'ln'", "batch");
    bad(ctx, "model z\ninput x shape=6x4x4\ngroup_norm gn groups=4\n", "gn", "4");
    bad(ctx, "model z\ninput x shape=6x4x4\ngroup_norm gn\n", "gn", "groups");
    bad(ctx, "model z\ninput x shape=6x4x4\nresize r\n", "resize 'r'", "size");
    bad(ctx, "model z\ninput x shape=6x4x4\nresize r size=2x2 scales=2,2\n", "resize 'r'", "not both");
    bad(ctx, "model z\ninput x shape=6x4x4\nresize r size=2x2 mode=bicubic\n", "mode=bicubic", "nearest, linear, cubic");
    bad(ctx, "model z\ninput x shape=6x4x4\nresize r scales=1,2,2,2\n", "resize 'r'", "batch");
    bad(ctx, "model z\ninput x shape=6x4x4\nresize r scales=0,2\n", "'r'", "scale");
    bad(ctx, "model z\ninput x shape=6x4x4\ninstance_norm in affine=maybe\n", "instance_norm 'in'", "affine=maybe");
    test_imports(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
