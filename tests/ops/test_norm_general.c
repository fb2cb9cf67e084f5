/* layer_norm, instance_norm, group_norm and resize against PyTorch and the ONNX formulas
 * (tests/reference/gen_norm_general.py) and finite differences, plus the bad-input errors and shapes that
 * follow a new input size. */
#include "opcheck.h"
#include "test.h"

static fv_node *build_layer_norm(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_layer_norm(g, opcheck_leaf(in, "x"), opcheck_leaf(in, "scale"), opcheck_leaf(in, "bias"),
                         fx_int(fx, "attr:axis", 0, 99), fx_float(fx, "attr:eps", -1));
}

static fv_node *build_instance_norm(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_instance_norm(g, opcheck_leaf(in, "x"), opcheck_leaf(in, "scale"), opcheck_leaf(in, "bias"),
                            fx_float(fx, "attr:eps", -1));
}

static fv_node *build_group_norm(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_group_norm(g, opcheck_leaf(in, "x"), opcheck_leaf(in, "scale"), opcheck_leaf(in, "bias"),
                         fx_int(fx, "attr:groups", 0, 0), fx_float(fx, "attr:eps", -1));
}

static fv_node *build_resize(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_resize_args a = fv_resize_defaults();
    a.mode = (fv_resample_mode)fx_int(fx, "attr:mode", 0, -1);
    a.coord = (fv_coord_transform)fx_int(fx, "attr:coord", 0, -1);
    a.nearest = (fv_nearest_round)fx_int(fx, "attr:nearest", 0, -1);
    a.cubic_a = fx_float(fx, "attr:cubic_a", NAN);
    a.exclude_outside = fx_int(fx, "attr:exclude", 0, 0) != 0;
    const fv_tensor *sz = fx_get(fx, "attr:sizes"), *sc = fx_get(fx, "attr:scales");
    int64_t sizes[FV_MAX_DIMS];
    double scales[FV_MAX_DIMS];
    int k = (int)(sz ? sz->size : sc ? sc->size : 0);
    for (int d = 0; d < k && d < FV_MAX_DIMS; d++) {
        if (sz) sizes[d] = fx_int_of(sz, d);
        else scales[d] = fv_f32(sc)[d];
    }
    return fv_resize(g, opcheck_leaf(in, "x"), k, sz ? sizes : NULL, sc ? scales : NULL, &a);
}

/* The context's message holds every given piece. */
static int says(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

static fv_node *input(fv_graph *g, const char *name, int ndim, const int64_t *shape)
{
    fv_graph_set_next_name(g, name);
    return fv_input(g, name, FV_F32, ndim, shape);
}

static void bad_norms(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 3, (int64_t[]){2, 3, 4});
    fv_node *v3 = input(g, "v3", 1, (int64_t[]){3}), *v4 = input(g, "v4", 1, (int64_t[]){4});
    fv_node *m34 = input(g, "m34", 2, (int64_t[]){3, 4}), *s = input(g, "s", 0, NULL);
    fv_graph_set_next_name(g, "ln");
    CHECK(fv_layer_norm(g, x, NULL, NULL, 3, 1e-5f) == NULL && says(ctx, "layer_norm 'ln'", "axis 3", "(2,3,4)"),
          "layer_norm rejects axis 3: %s", fv_errmsg(ctx));
    CHECK(fv_layer_norm(g, x, NULL, NULL, -4, 1e-5f) == NULL && says(ctx, "layer_norm", "axis -4", "(2,3,4)"),
          "layer_norm rejects axis -4: %s", fv_errmsg(ctx));
    CHECK(fv_layer_norm(g, x, v3, NULL, -1, 1e-5f) == NULL && says(ctx, "scale (3)", "(2,3,4)", "3 vs 4"),
          "layer_norm rejects scale (3) over (4): %s", fv_errmsg(ctx));
    CHECK(fv_layer_norm(g, x, NULL, m34, 2, 1e-5f) == NULL && says(ctx, "bias (3,4)", "more dimensions", "(2,3,4)"),
          "layer_norm rejects a bias of higher rank than the normalized shape: %s", fv_errmsg(ctx));
    CHECK(fv_layer_norm(g, x, NULL, NULL, -1, -1.0f) == NULL && says(ctx, "layer_norm", "eps -1", NULL),
          "layer_norm rejects eps -1: %s", fv_errmsg(ctx));
    CHECK(fv_layer_norm(g, s, NULL, NULL, 0, 1e-5f) == NULL && says(ctx, "layer_norm", "()", "at least 1"),
          "layer_norm rejects a scalar: %s", fv_errmsg(ctx));
    CHECK(fv_layer_norm(g, x, m34, v4, 1, 1e-5f) != NULL, "layer_norm over (3,4) with scale (3,4), bias (4): %s",
          fv_errmsg(ctx));
    fv_node *lab = fv_input(g, "labels", FV_I32, 3, (int64_t[]){2, 3, 4});
    CHECK(fv_layer_norm(g, lab, NULL, NULL, -1, 1e-5f) == NULL && says(ctx, "float32", NULL, NULL),
          "layer_norm rejects int32: %s", fv_errmsg(ctx));
    fv_graph_set_next_name(g, "gn");
    CHECK(fv_group_norm(g, x, NULL, NULL, 2, 1e-5f) == NULL && says(ctx, "group_norm 'gn'", "num_groups 2", "(2,3,4)"),
          "group_norm rejects 2 groups of 3 channels: %s", fv_errmsg(ctx));
    CHECK(fv_group_norm(g, x, NULL, NULL, 0, 1e-5f) == NULL && says(ctx, "group_norm", "num_groups 0", NULL),
          "group_norm rejects 0 groups: %s", fv_errmsg(ctx));
    CHECK(fv_group_norm(g, x, v4, NULL, 3, 1e-5f) == NULL && says(ctx, "scale (4)", "3 channels", "(2,3,4)"),
          "group_norm rejects scale (4) for 3 channels: %s", fv_errmsg(ctx));
    fv_graph_set_next_name(g, "in");
    CHECK(fv_instance_norm(g, x, NULL, v4, 1e-5f) == NULL && says(ctx, "instance_norm 'in'", "bias (4)", "(2,3,4)"),
          "instance_norm rejects bias (4) for 3 channels: %s", fv_errmsg(ctx));
    CHECK(fv_instance_norm(g, v3, NULL, NULL, 1e-5f) == NULL && says(ctx, "instance_norm", "(3)", "at least 2"),
          "instance_norm rejects rank 1: %s", fv_errmsg(ctx));
    CHECK(fv_instance_norm(g, NULL, v3, NULL, 1e-5f) == NULL && fv_group_norm(g, NULL, NULL, NULL, 1, 0) == NULL &&
              fv_layer_norm(g, NULL, NULL, NULL, 0, 0) == NULL,
          "NULL inputs propagate");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void bad_resize(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 4, (int64_t[]){1, 2, 5, 5});
    fv_node *e = input(g, "e", 4, (int64_t[]){1, 2, 0, 5});
    fv_resize_args a = fv_resize_defaults();
    int64_t sz[2] = {4, 6};
    double sc[2] = {1.5, 2.0};
    fv_graph_set_next_name(g, "up");
    CHECK(fv_resize(g, x, 2, sz, sc, &a) == NULL && says(ctx, "resize 'up'", "exactly one", "both"),
          "resize rejects both sizes and scales: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, NULL, NULL, &a) == NULL && says(ctx, "resize", "(1,2,5,5)", "neither"),
          "resize rejects neither: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 5, (int64_t[]){1, 1, 1, 4, 6}, NULL, &a) == NULL && says(ctx, "5 resized axes", "(1,2,5,5)", NULL),
          "resize rejects 5 axes of a rank-4 input: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 0, sz, NULL, &a) == NULL && says(ctx, "0 resized axes", NULL, NULL),
          "resize rejects 0 axes: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, (int64_t[]){0, 2}, NULL, &a) == NULL && says(ctx, "resize", "to 0 pixels", "(1,2,5,5)"),
          "a resize to zero pixels: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, NULL, (double[]){0.1, 1.0}, &a) == NULL && says(ctx, "to 0 pixels", "rounds", NULL),
          "a scale that rounds the size to zero: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, (int64_t[]){4, -1}, NULL, &a) == NULL && says(ctx, "output size -1", "(1,2,5,5)", NULL),
          "resize rejects size -1: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, NULL, (double[]){1.5, 0.0}, &a) == NULL && says(ctx, "scale 0", "(1,2,5,5)", NULL),
          "resize rejects scale 0: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, NULL, (double[]){NAN, 1.0}, &a) == NULL && says(ctx, "scale nan", NULL, NULL),
          "resize rejects scale NaN: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, NULL, (double[]){1e300, 1.0}, &a) == NULL && says(ctx, "too large", "(1,2,5,5)", NULL),
          "resize rejects a huge scale: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, x, 2, NULL, (double[]){1e17, 1e17}, &a) == NULL && says(ctx, "too large", NULL, NULL),
          "resize rejects an output beyond the tensor limit: %s", fv_errmsg(ctx));
    CHECK(fv_resize(g, e, 2, sz, NULL, &a) == NULL && says(ctx, "(1,2,0,5)", "empty axis 2", NULL),
          "resize rejects an empty axis resized to 4: %s", fv_errmsg(ctx));
    fv_resize_args bad = a;
    bad.mode = (fv_resample_mode)7;
    CHECK(fv_resize(g, x, 2, sz, NULL, &bad) == NULL && says(ctx, "unknown mode 7", NULL, NULL),
          "resize rejects mode 7: %s", fv_errmsg(ctx));
    bad = a, bad.coord = (fv_coord_transform)-1;
    CHECK(fv_resize(g, x, 2, sz, NULL, &bad) == NULL && says(ctx, "coordinate transform -1", NULL, NULL),
          "resize rejects coordinate transform -1: %s", fv_errmsg(ctx));
    bad = a, bad.nearest = (fv_nearest_round)9;
    CHECK(fv_resize(g, x, 2, sz, NULL, &bad) == NULL && says(ctx, "nearest rounding 9", NULL, NULL),
          "resize rejects rounding 9: %s", fv_errmsg(ctx));
    bad = a, bad.cubic_a = INFINITY;
    CHECK(fv_resize(g, x, 2, sz, NULL, &bad) == NULL && says(ctx, "cubic_a inf", NULL, NULL),
          "resize rejects cubic_a inf: %s", fv_errmsg(ctx));
    fv_node *ok = fv_resize(g, e, 2, (int64_t[]){0, 3}, NULL, NULL);
    const fv_tensor *v = ok ? fv_node_value(ok) : NULL;
    CHECK(v && v->shape[2] == 0 && v->shape[3] == 3, "resize of an empty axis to 0 (%s)", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* Sizes from scales follow a new input size; layer norm and group norm follow a new batch. */
static void follows_input(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = input(g, "x", 4, (int64_t[]){1, 2, 4, 4});
    fv_node *y = fv_resize(g, x, 2, NULL, (double[]){1.5, 0.5}, NULL);
    fv_node *z = fv_group_norm(g, y, NULL, NULL, 2, 1e-5f);
    fv_node *w = fv_layer_norm(g, z, NULL, NULL, -2, 1e-5f);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){3, 2, 7, 9});
    for (int64_t i = 0; t && i < t->size; i++) fv_f32(t)[i] = (float)(i % 11) - 5.0f;
    CHECK(w && fv_graph_set_input(g, x, t) == FV_OK && fv_graph_forward(g) == FV_OK, "forward on (3,2,7,9): %s",
          fv_errmsg(ctx));
    const fv_tensor *v = w ? fv_node_value(w) : NULL;
    CHECK(v && v->shape[0] == 3 && v->shape[2] == 10 && v->shape[3] == 4, "(3,2,7,9) x (1.5, 0.5) is (3,2,10,4)");
    fv_tensor_free(t);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("layer_norm_", build_layer_norm);
    opcheck_all("instance_norm_", build_instance_norm);
    opcheck_all("group_norm_", build_group_norm);
    opcheck_all("resize_", build_resize);
    bad_norms();
    bad_resize();
    follows_input();
    return test_finish();
}
