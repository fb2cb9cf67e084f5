/* Pooling and resampling ops (max/avg pool, global pools, pad2d, resize2d/upsample2d) against PyTorch
 * (tests/reference/gen_pool.py) and finite differences, plus the bad-input errors. */
#include "opcheck.h"
#include "test.h"

static fv_pool2d_args pool_args(const fx_file *fx)
{
    fv_pool2d_args a = fv_pool2d_defaults(fx_int(fx, "attr:kernel", 0, 0));
    for (int i = 0; i < 2; i++) {
        a.kernel[i] = fx_int(fx, "attr:kernel", i, 0);
        a.stride[i] = fx_int(fx, "attr:stride", i, 0);
    }
    for (int i = 0; i < 4; i++) a.pad[i] = fx_int(fx, "attr:pad", i, 0);
    a.ceil_mode = fx_int(fx, "attr:ceil", 0, 0) != 0;
    a.count_include_pad = fx_int(fx, "attr:cip", 0, 1) != 0;
    return a;
}

static fv_node *build_max(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_pool2d_args a = pool_args(fx);
    return fv_max_pool2d(g, opcheck_leaf(in, "x"), &a);
}

static fv_node *build_avg(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_pool2d_args a = pool_args(fx);
    return fv_avg_pool2d(g, opcheck_leaf(in, "x"), &a);
}

static fv_node *build_gavg(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_global_avg_pool2d(g, opcheck_leaf(in, "x"));
}

static fv_node *build_gmax(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_global_max_pool2d(g, opcheck_leaf(in, "x"));
}

static fv_node *build_pad(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    int pad[4];
    for (int i = 0; i < 4; i++) pad[i] = fx_int(fx, "attr:pad", i, -1);
    return fv_pad2d(g, opcheck_leaf(in, "x"), pad, fx_float(fx, "attr:value", 0));
}

static fv_node *build_resize(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_resize_mode mode = (fv_resize_mode)fx_int(fx, "attr:mode", 0, -1);
    bool ac = fx_int(fx, "attr:align_corners", 0, 0) != 0;
    if (fx_get(fx, "attr:scale"))
        return fv_upsample2d(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:scale", 0, 0), fx_int(fx, "attr:scale", 1, 0),
                             mode, ac);
    return fv_resize2d(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:size", 0, 0), fx_int(fx, "attr:size", 1, 0), mode,
                       ac);
}

/* Whether the last error mentions every one of up to three fragments. */
static bool says(fv_ctx *ctx, const char *a, const char *b, const char *c)
{
    const char *m = fv_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

typedef fv_node *(*pool_fn)(fv_graph *, fv_node *, const fv_pool2d_args *);

/* One bad pool configuration on x (1,2,5,5) for both pool kinds. */
static void bad_pool(fv_ctx *ctx, fv_graph *g, fv_node *x, fv_pool2d_args a, const char *what, const char *frag1,
                     const char *frag2)
{
    const char *names[2] = {"max_pool2d", "avg_pool2d"};
    pool_fn fns[2] = {fv_max_pool2d, fv_avg_pool2d};
    for (int i = 0; i < 2; i++)
        CHECK(fns[i](g, x, &a) == NULL && says(ctx, names[i], frag1, frag2), "%s rejects %s: %s", names[i], what,
              fv_errmsg(ctx));
}

static void pool_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){1, 2, 5, 5});
    fv_node *x3 = fv_input(g, "x3", FV_F32, 3, (int64_t[]){2, 5, 5});
    fv_node *xi = fv_input(g, "xi", FV_I32, 4, (int64_t[]){1, 2, 5, 5});
    fv_pool2d_args a = fv_pool2d_defaults(2);
    bad_pool(ctx, g, x3, a, "a 3-D input", "4 dimensions", "(2,5,5)");
    bad_pool(ctx, g, xi, a, "an int input", "float32", "(1,2,5,5)");
    a = fv_pool2d_defaults(0);
    bad_pool(ctx, g, x, a, "kernel 0", "kernel 0x0", NULL);
    a = fv_pool2d_defaults(2);
    a.stride[1] = 0;
    bad_pool(ctx, g, x, a, "stride 0", "stride 2x0", NULL);
    a = fv_pool2d_defaults(2);
    a.stride[0] = -1;
    bad_pool(ctx, g, x, a, "a negative stride", "stride -1x2", NULL);
    a = fv_pool2d_defaults(3);
    a.pad[2] = -1;
    bad_pool(ctx, g, x, a, "a negative pad", "bottom -1", ">= 0");
    a = fv_pool2d_defaults(3);
    a.pad[1] = 2;
    bad_pool(ctx, g, x, a, "pad over half the kernel", "left 2", "half the kernel 3x3");
    a = fv_pool2d_defaults(7);
    a.pad[0] = a.pad[2] = 1;
    bad_pool(ctx, g, x, a, "a kernel over the padded input", "kernel 7x7 larger than padded input 7x5",
             "output size would be < 1");
    a = fv_pool2d_defaults(2);
    a.kernel[1] = 6;
    bad_pool(ctx, g, x, a, "a wide kernel", "kernel 2x6 larger than padded input 5x5", "(1,2,5,5)");
    CHECK(fv_max_pool2d(g, x, NULL) == NULL && says(ctx, "max_pool2d", "NULL", NULL), "max_pool2d rejects NULL args");
    CHECK(fv_avg_pool2d(g, NULL, &a) == NULL, "avg_pool2d propagates a NULL input");

    CHECK(fv_global_avg_pool2d(g, x3) == NULL && says(ctx, "global_avg_pool2d", "4 dimensions", "(2,5,5)"),
          "global_avg_pool2d rejects a 3-D input: %s", fv_errmsg(ctx));
    CHECK(fv_global_max_pool2d(g, xi) == NULL && says(ctx, "global_max_pool2d", "float32", "(1,2,5,5)"),
          "global_max_pool2d rejects an int input: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void pad_resize_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){1, 2, 5, 5});
    fv_node *x2 = fv_input(g, "x2", FV_F32, 2, (int64_t[]){2, 5});
    fv_node *xi = fv_input(g, "xi", FV_I32, 4, (int64_t[]){1, 2, 5, 5});
    CHECK(fv_pad2d(g, x, (int[]){1, -2, 0, 0}, 0) == NULL && says(ctx, "pad2d", "left -2", ">= 0"),
          "pad2d rejects a negative pad: %s", fv_errmsg(ctx));
    CHECK(fv_pad2d(g, x2, (int[]){1, 1, 1, 1}, 0) == NULL && says(ctx, "pad2d", "4 dimensions", "(2,5)"),
          "pad2d rejects a 2-D input: %s", fv_errmsg(ctx));
    CHECK(fv_pad2d(g, xi, (int[]){1, 1, 1, 1}, 0) == NULL && says(ctx, "pad2d", "float32", NULL),
          "pad2d rejects an int input: %s", fv_errmsg(ctx));
    CHECK(fv_pad2d(g, x, NULL, 0) == NULL && says(ctx, "pad2d", "NULL", NULL), "pad2d rejects a NULL pad");

    CHECK(fv_resize2d(g, x, 0, 4, FV_RESIZE_NEAREST, false) == NULL &&
              says(ctx, "resize2d", "output size 0x4", "(1,2,5,5)"),
          "resize2d rejects size 0: %s", fv_errmsg(ctx));
    CHECK(fv_resize2d(g, x, 3, -1, FV_RESIZE_BILINEAR, true) == NULL && says(ctx, "resize2d", "output size 3x-1", NULL),
          "resize2d rejects a negative size: %s", fv_errmsg(ctx));
    CHECK(fv_upsample2d(g, x, 2, 0, FV_RESIZE_NEAREST, false) == NULL && says(ctx, "resize2d", "scale 2x0", "(1,2,5,5)"),
          "upsample2d rejects scale 0: %s", fv_errmsg(ctx));
    CHECK(fv_upsample2d(g, x, -3, 2, FV_RESIZE_BILINEAR, false) == NULL && says(ctx, "resize2d", "scale -3x2", NULL),
          "upsample2d rejects a negative scale: %s", fv_errmsg(ctx));
    CHECK(fv_resize2d(g, x2, 3, 3, FV_RESIZE_NEAREST, false) == NULL && says(ctx, "resize2d", "4 dimensions", "(2,5)"),
          "resize2d rejects a 2-D input: %s", fv_errmsg(ctx));
    CHECK(fv_upsample2d(g, xi, 2, 2, FV_RESIZE_NEAREST, false) == NULL && says(ctx, "resize2d", "float32", NULL),
          "upsample2d rejects an int input: %s", fv_errmsg(ctx));
    CHECK(fv_resize2d(g, x, 3, 3, (fv_resize_mode)7, false) == NULL && says(ctx, "resize2d", "mode 7", NULL),
          "resize2d rejects an unknown mode: %s", fv_errmsg(ctx));
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* A smaller input fed later re-derives the upsampled size from the scale, not from the first size. */
static void upsample_follows_input(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){1, 1, 2, 3});
    fv_node *y = fv_upsample2d(g, x, 2, 3, FV_RESIZE_NEAREST, false);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, 1, 2});
    fv_f32(t)[0] = 1.0f;
    fv_f32(t)[1] = 2.0f;
    bool ok = y && t && fv_graph_set_input(g, x, t) == FV_OK && fv_graph_forward(g) == FV_OK;
    const fv_tensor *v = ok ? fv_node_value(y) : NULL;
    CHECK(v && v->shape[2] == 2 && v->shape[3] == 6 && fv_f32(v)[0] == 1.0f && fv_f32(v)[3] == 2.0f &&
              fv_f32(v)[11] == 2.0f,
          "upsample2d follows a new input size (%s)", fv_errmsg(ctx));
    fv_tensor_free(t);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("max_pool2d_", build_max);
    opcheck_all("avg_pool2d_", build_avg);
    opcheck_all("global_avg_pool2d_", build_gavg);
    opcheck_all("global_max_pool2d_", build_gmax);
    opcheck_all("pad2d_", build_pad);
    opcheck_all("resize2d_", build_resize);
    pool_errors();
    pad_resize_errors();
    upsample_follows_input();
    return test_finish();
}
