/* The layout operators (include/fovea/ops_layout.h, and concat) against PyTorch fixtures
 * (tests/reference/gen_layout.py) with finite differences; integer and bool data forward only (layout_int_*);
 * bad inputs, whose errors must name the op, the node and the shapes; views sharing their input's buffer;
 * shapes that follow a new batch size. */
#include <stdlib.h>

#include "opcheck.h"
#include "test.h"

/* ---- attributes and builders ------------------------------------------------------------------------- */

/* An integer list attribute into out (at most max); its length, or -1 when absent. */
static int attr_list(const fx_file *fx, const char *name, int64_t *out, int max)
{
    const fv_tensor *t = fx_get(fx, name);
    if (!t) return -1;
    int n = (int)t->size;
    for (int i = 0; i < n && i < max; i++) out[i] = fx_int_of(t, i);
    return n;
}

static int64_t attr1(const fx_file *fx, const char *name, int64_t def)
{
    int64_t v[1];
    return attr_list(fx, name, v, 1) > 0 ? v[0] : def;
}

/* One builder for every fixture, chosen by meta:op (the word after "layout_"). */
static fv_node *build(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    const char *op = fx_str(fx, "meta:op");
    fv_node *x = opcheck_leaf(in, "x"), *data = opcheck_leaf(in, "data"), *idx = opcheck_leaf(in, "indices");
    int64_t a[12], b[12], c[12], d[12];
    int n;
    if (!op) return NULL;
    if (!strcmp(op, "transpose")) {
        n = attr_list(fx, "attr:perm", a, 6);
        return fv_transpose(g, x, n, n < 0 ? NULL : a);
    }
    if (!strcmp(op, "squeeze")) {
        n = attr_list(fx, "attr:axes", a, 6);
        return fv_squeeze(g, x, n < 0 ? 0 : n, a);
    }
    if (!strcmp(op, "unsqueeze")) {
        n = attr_list(fx, "attr:axes", a, 6);
        return fv_unsqueeze(g, x, n, a);
    }
    if (!strcmp(op, "flatten")) return fv_flatten_axis(g, x, (int)attr1(fx, "attr:axis", 1));
    if (!strcmp(op, "expand")) {
        n = attr_list(fx, "attr:shape", a, 6);
        return fv_expand(g, x, n, a);
    }
    if (!strcmp(op, "tile")) {
        n = attr_list(fx, "attr:repeats", a, 6);
        return fv_tile(g, x, n, a);
    }
    if (!strcmp(op, "cat")) return fv_concat(g, in->leaf, in->n, (int)attr1(fx, "attr:axis", 0));
    if (!strcmp(op, "slice")) {
        n = attr_list(fx, "attr:starts", a, 6);
        attr_list(fx, "attr:ends", b, 6);
        bool has_axes = attr_list(fx, "attr:axes", c, 6) >= 0, has_steps = attr_list(fx, "attr:steps", d, 6) >= 0;
        return fv_slice(g, x, n, a, b, has_axes ? c : NULL, has_steps ? d : NULL);
    }
    if (!strcmp(op, "split")) {
        int parts = (int)attr1(fx, "attr:parts", 1), k = (int)attr1(fx, "attr:part", 0);
        bool sized = attr_list(fx, "attr:sizes", a, 12) >= 0;
        fv_node *out[12] = {0};
        if (parts > 12 || fv_split(g, x, (int)attr1(fx, "attr:axis", 0), parts, sized ? a : NULL, out)) return NULL;
        return out[k];
    }
    if (!strcmp(op, "gather")) return fv_gather(g, data, idx, (int)attr1(fx, "attr:axis", 0));
    if (!strcmp(op, "gatherel")) return fv_gather_elements(g, data, idx, (int)attr1(fx, "attr:axis", 0));
    if (!strcmp(op, "scatter"))
        return fv_scatter_elements(g, data, idx, opcheck_leaf(in, "updates"), (int)attr1(fx, "attr:axis", 0),
                                   attr1(fx, "attr:add", 0) ? FV_SCATTER_ADD : FV_SCATTER_NONE);
    if (!strcmp(op, "pad")) {
        n = attr_list(fx, "attr:pads", a, 12);
        return fv_pad(g, x, n, a, (fv_pad_kind)attr1(fx, "attr:mode", 0), fx_float(fx, "attr:value", 0));
    }
    if (!strcmp(op, "d2s") || !strcmp(op, "s2d")) {
        int block = (int)attr1(fx, "attr:block", 1);
        fv_depth_mode mode = attr1(fx, "attr:crd", 0) ? FV_DEPTH_CRD : FV_DEPTH_DCR;
        if (mode == FV_DEPTH_CRD) return op[0] == 'd' ? fv_pixel_shuffle(g, x, block) : fv_pixel_unshuffle(g, x, block);
        return op[0] == 'd' ? fv_depth_to_space(g, x, block, mode) : fv_space_to_depth(g, x, block, mode);
    }
    return NULL;
}

/* A shape as text (two at a time). */
static const char *shp(const fv_tensor *t)
{
    static char buf[2][64];
    static int k;
    k ^= 1;
    return fv_shape_str(t, buf[k], sizeof buf[k]);
}

/* ---- integer and bool fixtures: forward only, exact ---------------------------------------------------- */

static void run_int_fixture(const char *path, bool reference)
{
    fx_file *fx = fx_load(path);
    const char *tag = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!CHECK(fx != NULL, "%s: fixture loads", tag)) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_use_reference_kernels(ctx, reference);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *leaf[16];
    const char *name[16];
    opcheck_leaves in = {leaf, name, 0};
    for (int i = 0; i < fx->n && in.n < 16; i++) {
        const fx_entry *e = &fx->e[i];
        if (!e->t || strncmp(e->name, "in:", 3)) continue;
        leaf[in.n] = fv_input(g, e->name + 3, e->t->dtype, e->t->ndim, e->t->shape);
        if (leaf[in.n]) fv_graph_set_input(g, leaf[in.n], e->t);
        name[in.n++] = e->name + 3;
    }
    fv_node *out = build(g, &in, fx);
    const fv_tensor *want = fx_get(fx, "out");
    if (CHECK(out != NULL, "%s: builds (%s)", tag, fv_errmsg(ctx)) &&
        CHECK(fv_graph_forward(g) == FV_OK, "%s: forward (%s)", tag, fv_errmsg(ctx))) {
        const fv_tensor *got = fv_node_value(out);
        bool same = got->dtype == want->dtype && fv_same_shape(got, want);
        for (int64_t i = 0; same && i < got->size; i++) same = fx_int_of(got, i) == fx_int_of(want, i);
        CHECK(same, "%s%s: %s %s equals numpy's %s %s", tag, reference ? " [ref]" : "", fv_dtype_name(got->dtype),
              shp(got), fv_dtype_name(want->dtype), shp(want));
    }
    fv_graph_free(g);
    fv_ctx_free(ctx);
    fx_free(fx);
}

static void int_fixtures(void)
{
    char **paths;
    int n = fx_list(FIXTURE_DIR, "layout_int_", &paths);
    CHECK(n >= 17, "integer fixtures found: %d", n);
    for (int i = 0; i < n; i++) {
        run_int_fixture(paths[i], false);
        run_int_fixture(paths[i], true);
    }
    fx_list_free(paths, n);
}

/* ---- bad inputs ------------------------------------------------------------------------------------------ */

static int has(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

static fv_node *input(fv_graph *g, const char *name, fv_dtype t, int ndim, const int64_t *shape)
{
    return fv_input(g, name, t, ndim, shape);
}

#define SHAPE(...) (sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), ((int64_t[]){__VA_ARGS__})
#define L(...) ((int64_t[]){__VA_ARGS__})

static void bad_transpose_views(fv_ctx *ctx, fv_graph *g)
{
    fv_node *x = input(g, "x", FV_F32, SHAPE(2, 3, 4));
    fv_graph_set_next_name(g, "attn.t");
    CHECK(!fv_transpose(g, x, 3, L(0, 2, 2)) && has(ctx, "transpose 'attn.t'", "(0,2,2) repeats axis 2", "(2,3,4)"),
          "transpose names a repeated axis: %s", fv_errmsg(ctx));
    CHECK(!fv_transpose(g, x, 2, L(1, 0)) && has(ctx, "transpose", "2 entries", "(2,3,4)"),
          "transpose rejects a short perm: %s", fv_errmsg(ctx));
    CHECK(!fv_transpose(g, x, 3, L(0, 1, 3)) && has(ctx, "axis 3 out of range", "(2,3,4)", NULL),
          "transpose rejects axis 3: %s", fv_errmsg(ctx));
    CHECK(!fv_transpose(g, NULL, 0, NULL), "transpose propagates NULL");
    CHECK(!fv_squeeze(g, x, 1, L(1)) && has(ctx, "squeeze", "axis 1", "(2,3,4)") && has(ctx, "3, not 1", NULL, NULL),
          "squeeze rejects a dimension of 3: %s", fv_errmsg(ctx));
    CHECK(!fv_squeeze(g, x, 2, L(0, -3)) && has(ctx, "squeeze", "repeat axis 0", "(2,3,4)"),
          "squeeze rejects a repeated axis: %s", fv_errmsg(ctx));
    CHECK(!fv_squeeze(g, x, 1, NULL) && has(ctx, "squeeze", "NULL", NULL), "squeeze rejects NULL axes: %s",
          fv_errmsg(ctx));
    CHECK(!fv_unsqueeze(g, x, 1, L(4)) && has(ctx, "unsqueeze", "axis 4 is out of range for 4", "(2,3,4)"),
          "unsqueeze rejects axis 4 of 4: %s", fv_errmsg(ctx));
    fv_node *five = input(g, "five", FV_F32, SHAPE(1, 2, 1, 2, 1));
    CHECK(!fv_unsqueeze(g, five, 2, L(0, 1)) && has(ctx, "unsqueeze", "7 dimensions", "(1,2,1,2,1)"),
          "unsqueeze rejects rank 7: %s", fv_errmsg(ctx));
    CHECK(!fv_flatten_axis(g, x, 4) && has(ctx, "flatten", "axis 4", "(2,3,4)"), "flatten rejects axis 4: %s",
          fv_errmsg(ctx));
    CHECK(fv_flatten_axis(g, x, -3) != NULL, "flatten takes axis -3: %s", fv_errmsg(ctx));
}

static void bad_expand_tile_concat(fv_ctx *ctx, fv_graph *g)
{
    fv_node *x = input(g, "x", FV_F32, SHAPE(2, 3));
    CHECK(!fv_expand(g, x, 2, L(4, 3)) && has(ctx, "expand", "(2,3)", "(4,3)") && has(ctx, "2 vs 4", NULL, NULL),
          "expand rejects (2,3) to (4,3): %s", fv_errmsg(ctx));
    CHECK(!fv_expand(g, x, 2, L(-1, 3)) && has(ctx, "expand", "negative size -1", NULL),
          "expand rejects -1: %s", fv_errmsg(ctx));
    CHECK(!fv_expand(g, x, 6, L(1 << 30, 1 << 30, 1 << 30, 1, 2, 3)) && has(ctx, "expand", "too large", NULL),
          "expand rejects a huge output: %s", fv_errmsg(ctx));
    CHECK(!fv_tile(g, x, 1, L(2)) && has(ctx, "tile", "1 repeats", "(2,3)"), "tile rejects a short list: %s",
          fv_errmsg(ctx));
    CHECK(!fv_tile(g, x, 2, L(2, -1)) && has(ctx, "tile", "negative count -1", "(2,3)"),
          "tile rejects -1: %s", fv_errmsg(ctx));
    CHECK(!fv_tile(g, x, 2, L(INT64_MAX, 2)) && has(ctx, "tile", "too large", "(2,3)"),
          "tile rejects an overflowing count: %s", fv_errmsg(ctx));
    fv_node *xi = input(g, "xi", FV_I32, SHAPE(2, 1));
    fv_node *s = input(g, "s", FV_F32, 0, NULL);
    CHECK(!fv_concat(g, (fv_node *[]){x, xi}, 2, 1) && has(ctx, "concat", "input 1 (2,1) is int32", "float32"),
          "concat rejects mixed dtypes: %s", fv_errmsg(ctx));
    CHECK(!fv_concat(g, (fv_node *[]){s, s}, 2, 0) && has(ctx, "concat", "scalar", "()"),
          "concat rejects scalars: %s", fv_errmsg(ctx));
    fv_node *e = input(g, "e", FV_F32, SHAPE(2, 0));
    fv_node *y = fv_concat(g, (fv_node *[]){e, x, e}, 3, -1);
    CHECK(y && fv_node_value(y)->shape[1] == 3, "concat with empty inputs: %s", fv_errmsg(ctx));
}

static void bad_slice_split(fv_ctx *ctx, fv_graph *g)
{
    fv_node *x = input(g, "x", FV_F32, SHAPE(4, 6));
    fv_graph_set_next_name(g, "crop");
    CHECK(!fv_slice(g, x, 1, L(0), L(2), L(1), L(0)) && has(ctx, "slice 'crop'", "step of 0", "(4,6)"),
          "slice rejects step 0: %s", fv_errmsg(ctx));
    CHECK(!fv_slice(g, x, 2, L(0, 0), L(1, 1), L(1, -1), NULL) && has(ctx, "slice", "repeat axis 1", "(4,6)"),
          "slice rejects a repeated axis: %s", fv_errmsg(ctx));
    CHECK(!fv_slice(g, x, 1, L(0), L(1), L(2), NULL) && has(ctx, "slice", "axis 2 is out of range", "(4,6)"),
          "slice rejects axis 2: %s", fv_errmsg(ctx));
    CHECK(!fv_slice(g, x, 3, L(0, 0, 0), L(1, 1, 1), NULL, NULL) && has(ctx, "slice", "3 axes", "(4,6)"),
          "slice rejects 3 axes of a 2-D input: %s", fv_errmsg(ctx));
    fv_node *out[4];
    CHECK(fv_split(g, x, 1, 3, L(2, 2, 3), out) && has(ctx, "split", "part 2", "(4,6)"),
          "split rejects sizes past the axis: %s", fv_errmsg(ctx));
    CHECK(fv_split(g, x, 1, 2, L(2, 3), out) && has(ctx, "split", "sum to 5", "(4,6)"),
          "split rejects sizes that sum short: %s", fv_errmsg(ctx));
    CHECK(fv_split(g, x, 0, 4, NULL, out) == 0 && fv_node_value(out[3])->shape[0] == 1, "split (4,6) into 4: %s",
          fv_errmsg(ctx));
    fv_node *five = input(g, "five", FV_F32, SHAPE(5));
    CHECK(fv_split(g, five, 0, 4, NULL, out) && has(ctx, "split", "leave part 3 empty", "(5)"),
          "split refuses an empty equal part: %s", fv_errmsg(ctx));
    CHECK(fv_split(g, x, 2, 2, NULL, out) && has(ctx, "split", "axis 2", "(4,6)"), "split rejects axis 2: %s",
          fv_errmsg(ctx));
    CHECK(fv_split(g, NULL, 0, 2, NULL, out), "split propagates NULL");
}

static void bad_gather_scatter(fv_ctx *ctx, fv_graph *g)
{
    fv_node *x = input(g, "x", FV_F32, SHAPE(3, 5));
    fv_node *fidx = input(g, "fidx", FV_F32, SHAPE(2));
    fv_node *idx = input(g, "idx", FV_I64, SHAPE(2, 2));
    CHECK(!fv_gather(g, x, fidx, 0) && has(ctx, "gather", "int32 or int64", "float32 (2)"),
          "gather rejects float indices: %s", fv_errmsg(ctx));
    CHECK(!fv_gather(g, x, idx, 2) && has(ctx, "gather", "axis 2", "(3,5)"), "gather rejects axis 2: %s",
          fv_errmsg(ctx));
    fv_node *big = input(g, "big", FV_I32, SHAPE(1, 1, 1, 1, 1, 1));
    CHECK(!fv_gather(g, x, big, 0) && has(ctx, "gather", "7 dimensions", "(1,1,1,1,1,1)"),
          "gather rejects rank 7: %s", fv_errmsg(ctx));
    fv_node *i3 = input(g, "i3", FV_I64, SHAPE(4, 1));
    CHECK(!fv_gather_elements(g, x, i3, 1) && has(ctx, "gather_elements", "(4,1)", "(3,5)"),
          "gather_elements rejects indices taller than data: %s", fv_errmsg(ctx));
    fv_node *upd = input(g, "upd", FV_F32, SHAPE(2, 3));
    CHECK(!fv_scatter_elements(g, x, idx, upd, 1, FV_SCATTER_ADD) && has(ctx, "scatter_elements", "updates", "(2,3)") &&
              has(ctx, "(2,2)", NULL, NULL),
          "scatter rejects updates of another shape: %s", fv_errmsg(ctx));
    fv_node *u2 = input(g, "u2", FV_F32, SHAPE(2, 2));
    CHECK(!fv_scatter_elements(g, x, idx, u2, 1, (fv_scatter_reduction)7) && has(ctx, "scatter_elements", "reduction 7", "(3,5)"),
          "scatter refuses an unknown reduction: %s", fv_errmsg(ctx));
    CHECK(fv_scatter_elements(g, x, idx, u2, -1, FV_SCATTER_NONE) != NULL, "scatter with axis -1: %s", fv_errmsg(ctx));
}

/* Indices are data: their range is checked at every forward, naming value and position. */
static void gather_range_at_forward(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", FV_F32, SHAPE(3, 5));
    fv_node *idx = input(g, "idx", FV_I32, SHAPE(2, 2));
    fv_graph_set_next_name(g, "emb");
    fv_node *y = fv_gather(g, x, idx, 1);
    fv_tensor *t = fv_tensor_from(ctx, FV_I32, 2, L(2, 2), (int32_t[]){0, -5, 4, 5});
    CHECK(y && fv_graph_set_input(g, idx, t) == FV_OK && fv_graph_forward(g) != FV_OK &&
              has(ctx, "gather 'emb'", "index 5 at position (1,1)", "[-5, 5)") && has(ctx, "(3,5)", NULL, NULL),
          "gather names the index out of range: %s", fv_errmsg(ctx));
    fv_i32(t)[3] = -6;
    CHECK(fv_graph_set_input(g, idx, t) == FV_OK && fv_graph_forward(g) != FV_OK && has(ctx, "index -6", NULL, NULL),
          "gather rejects -6: %s", fv_errmsg(ctx));
    fv_i32(t)[3] = -1;
    CHECK(fv_graph_set_input(g, idx, t) == FV_OK && fv_graph_forward(g) == FV_OK, "gather takes -1: %s",
          fv_errmsg(ctx));
    fv_node *i64 = input(g, "i64", FV_I64, SHAPE(1, 2));
    fv_node *s = fv_scatter_elements(g, x, i64, input(g, "u", FV_F32, SHAPE(1, 2)), 0, FV_SCATTER_NONE);
    fv_tensor *ti = fv_tensor_from(ctx, FV_I64, 2, L(1, 2), (int64_t[]){1, INT64_MIN});
    CHECK(s && fv_graph_set_input(g, i64, ti) == FV_OK && fv_graph_forward(g) != FV_OK &&
              has(ctx, "scatter_elements", "index -9223372036854775808 at position (0,1)", "[-3, 3)"),
          "scatter names INT64_MIN: %s", fv_errmsg(ctx));
    fv_tensor_free(t);
    fv_tensor_free(ti);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_pad_depth(fv_ctx *ctx, fv_graph *g)
{
    fv_node *x = input(g, "x", FV_F32, SHAPE(2, 3));
    fv_graph_set_next_name(g, "border");
    CHECK(!fv_pad(g, x, 2, L(1, 1), FV_PAD_CONSTANT, 0) && has(ctx, "pad 'border'", "2 pads", "(2,3)"),
          "pad rejects too few pads: %s", fv_errmsg(ctx));
    CHECK(!fv_pad(g, x, 4, L(0, 3, 0, 0), FV_PAD_REFLECT, 0) && has(ctx, "reflect", "pads 3", "keeps only 3"),
          "reflect rejects a pad as large as the axis: %s", fv_errmsg(ctx));
    CHECK(!fv_pad(g, x, 4, L(0, -2, 0, -2), FV_PAD_CONSTANT, 0) && has(ctx, "pad", "crop 4", "(2,3)"),
          "pad rejects cropping more than the axis: %s", fv_errmsg(ctx));
    fv_node *e = input(g, "e", FV_F32, SHAPE(0, 3));
    CHECK(!fv_pad(g, e, 4, L(1, 0, 0, 0), FV_PAD_EDGE, 0) && has(ctx, "edge", "no element", "(0,3)"),
          "edge rejects padding an empty axis: %s", fv_errmsg(ctx));
    fv_node *xi = input(g, "xi", FV_I32, SHAPE(2, 3));
    CHECK(!fv_pad(g, xi, 4, L(1, 0, 0, 0), FV_PAD_CONSTANT, 0.5) && has(ctx, "pad", "0.5 is not a int32", "(2,3)"),
          "pad rejects 0.5 for int32: %s", fv_errmsg(ctx));
    CHECK(!fv_pad(g, x, 4, L(1, 0, 0, 0), (fv_pad_kind)9, 0) && has(ctx, "pad", "unknown mode 9", NULL),
          "pad rejects an unknown mode: %s", fv_errmsg(ctx));
    fv_node *img = input(g, "img", FV_F32, SHAPE(1, 6, 3, 5));
    CHECK(!fv_depth_to_space(g, img, 2, FV_DEPTH_DCR) && has(ctx, "depth_to_space", "channels 6", "(1,6,3,5)"),
          "depth_to_space rejects 6 channels for block 2: %s", fv_errmsg(ctx));
    CHECK(!fv_space_to_depth(g, img, 2, FV_DEPTH_DCR) && has(ctx, "space_to_depth", "height 3", "(1,6,3,5)"),
          "space_to_depth rejects an odd height: %s", fv_errmsg(ctx));
    CHECK(!fv_pixel_shuffle(g, img, 0) && has(ctx, "depth_to_space", "block size 0", "(1,6,3,5)"),
          "pixel_shuffle rejects factor 0: %s", fv_errmsg(ctx));
    CHECK(!fv_pixel_shuffle(g, x, 1) && has(ctx, "depth_to_space", "at least 3 dimensions", "(2,3)"),
          "pixel_shuffle rejects a 2-D input: %s", fv_errmsg(ctx));
}

static void bad_inputs(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    bad_transpose_views(ctx, g);
    bad_expand_tile_concat(ctx, g);
    bad_slice_split(ctx, g);
    bad_gather_scatter(ctx, g);
    bad_pad_depth(ctx, g);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* Squeeze, unsqueeze and flatten read their input's buffer; a slice with INT64_MAX and a transpose follow a
 * batch size changed through fv_graph_set_input. */
static void views_and_batch(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", FV_F32, SHAPE(2, 1, 3));
    fv_node *sq = fv_squeeze(g, x, 0, NULL), *un = fv_unsqueeze(g, sq, 1, L(-1)), *fl = fv_flatten_axis(g, un, 1);
    fv_node *sl = fv_slice(g, x, 1, L(1), L(INT64_MAX), L(0), NULL);
    fv_node *tr = fv_transpose(g, x, 3, L(2, 1, 0));
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 3, L(5, 1, 3));
    for (int64_t i = 0; i < t->size; i++) fv_f32(t)[i] = (float)i;
    CHECK(fl && sl && tr && fv_graph_set_input(g, x, t) == FV_OK && fv_graph_forward(g) == FV_OK,
          "views build and run on batch 5: %s", fv_errmsg(ctx));
    const fv_tensor *vf = fv_node_value(fl), *vs = fv_node_value(sl), *vt = fv_node_value(tr);
    CHECK(vf->data == fv_node_value(x)->data && vf->shape[0] == 5 && vf->shape[1] == 3,
          "squeeze -> unsqueeze -> flatten is a view of x, (5,3)");
    CHECK(vs->shape[0] == 4 && fv_f32(vs)[0] == 3.0f, "slice [1:] of batch 5 has 4 rows from x[1]");
    CHECK(vt->shape[2] == 5 && fv_f32(vt)[1] == 3.0f, "transpose of batch 5 is (3,1,5)");
    fv_tensor_free(t);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* A chain of views and copies gives the same values in inference mode, where buffers are dropped after their
 * last reader and a view keeps its root's buffer alive. */
static fv_node *chain(fv_graph *g, fv_node *x)
{
    fv_node *s = fv_squeeze(g, x, 0, NULL);                       /* (2,3,4) view */
    fv_node *t = fv_transpose(g, s, 3, L(1, 2, 0));               /* (3,4,2) */
    fv_node *u = fv_unsqueeze(g, t, 1, L(0));                     /* (1,3,4,2) view */
    fv_node *p = fv_pad(g, u, 8, L(0, 1, 1, 0, 0, 0, 2, 1), FV_PAD_REFLECT, 0); /* (1,4,7,3) */
    fv_node *f = fv_flatten_axis(g, p, 2);                        /* (4,21) view */
    fv_node *c = fv_concat(g, (fv_node *[]){f, fv_slice(g, f, 1, L(-1), L(INT64_MIN), L(1), L(-4))}, 2, 1);
    return fv_add(g, c, c);
}

static void inference_mode(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 4, L(2, 1, 3, 4));
    for (int64_t i = 0; i < t->size; i++) fv_f32(t)[i] = (float)(i * 7 % 13);
    fv_tensor *want = NULL;
    for (int inference = 0; inference < 2; inference++) {
        fv_graph *g = fv_graph_new(ctx);
        fv_node *x = input(g, "x", FV_F32, 4, t->shape);
        fv_node *y = chain(g, x);
        fv_node_keep_value(y);
        fv_graph_set_inference(g, inference);
        bool ok = y && fv_graph_set_input(g, x, t) == FV_OK && fv_graph_forward(g) == FV_OK;
        CHECK(ok, "chain runs (inference %d): %s", inference, fv_errmsg(ctx));
        const fv_tensor *v = ok ? fv_node_value(y) : NULL;
        if (v && !inference) want = fv_tensor_from(ctx, FV_F32, v->ndim, v->shape, v->data);
        if (v && inference)
            CHECK(want && v->size == want->size && v->size == 4 * 27 &&
                      memcmp(v->data, want->data, (size_t)v->size * 4) == 0,
                  "inference mode gives the training-mode values (%s)", shp(v));
        fv_graph_free(g);
    }
    fv_tensor_free(want);
    fv_tensor_free(t);
    fv_ctx_free(ctx);
}

int main(void)
{
    static const char *prefixes[] = {"layout_transpose_", "layout_squeeze_", "layout_unsqueeze_", "layout_flatten_",
                                     "layout_expand_",    "layout_tile_",    "layout_cat_",       "layout_slice_",
                                     "layout_split_",     "layout_gather_",  "layout_gatherel_",  "layout_scatter_",
                                     "layout_pad_",       "layout_d2s_",     "layout_s2d_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) opcheck_all(prefixes[i], build);
    int_fixtures();
    bad_inputs();
    gather_range_at_forward();
    views_and_batch();
    inference_mode();
    return test_finish();
}
