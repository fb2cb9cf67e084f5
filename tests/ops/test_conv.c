/* conv2d and conv_transpose2d against PyTorch (tests/reference/gen_conv.py) and finite differences, plus
 * their bad-input errors and 'same' padding following a change of input size. */
#include <stdarg.h>

#include "opcheck.h"
#include "test.h"

static fv_node *build_conv(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_conv2d_args a = fv_conv2d_defaults();
    for (int i = 0; i < 2; i++) {
        a.stride[i] = fx_int(fx, "attr:stride", i, 1);
        a.dilation[i] = fx_int(fx, "attr:dilation", i, 1);
    }
    for (int i = 0; i < 4; i++) a.pad[i] = fx_int(fx, "attr:pad", i, 0);
    a.groups = fx_int(fx, "attr:groups", 0, 1);
    a.pad_mode = (fv_pad_mode)fx_int(fx, "attr:pad_mode", 0, FV_PAD_EXPLICIT);
    return fv_conv2d(g, opcheck_leaf(in, "x"), opcheck_leaf(in, "w"), opcheck_leaf(in, "b"), &a);
}

static fv_node *build_convt(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    fv_conv_transpose2d_args a = fv_conv_transpose2d_defaults();
    for (int i = 0; i < 2; i++) {
        a.stride[i] = fx_int(fx, "attr:stride", i, 1);
        a.dilation[i] = fx_int(fx, "attr:dilation", i, 1);
        a.output_padding[i] = fx_int(fx, "attr:output_padding", i, 0);
    }
    for (int i = 0; i < 4; i++) a.pad[i] = fx_int(fx, "attr:pad", i, 0);
    a.groups = fx_int(fx, "attr:groups", 0, 1);
    return fv_conv_transpose2d(g, opcheck_leaf(in, "x"), opcheck_leaf(in, "w"), opcheck_leaf(in, "b"), &a);
}

/* The builder failed and its message names every one of the NULL-terminated words. */
static void expect_error(fv_ctx *ctx, fv_node *node, const char *what, ...)
{
    const char *msg = fv_errmsg(ctx);
    int ok = node == NULL;
    va_list ap;
    va_start(ap, what);
    for (const char *word; (word = va_arg(ap, const char *));) ok = ok && strstr(msg, word) != NULL;
    va_end(ap);
    CHECK(ok, "%s: %s", what, msg);
}

static fv_node *in4(fv_graph *g, const char *name, int64_t a, int64_t b, int64_t c, int64_t d)
{
    return fv_input(g, name, FV_F32, 4, (int64_t[]){a, b, c, d});
}

static void conv_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = in4(g, "x", 2, 6, 5, 5), *w = in4(g, "w", 4, 3, 3, 3);
    fv_conv2d_args a = fv_conv2d_defaults();
    fv_node *w3 = fv_input(g, "w3", FV_F32, 3, (int64_t[]){4, 6, 3});
    expect_error(ctx, fv_conv2d(g, x, w3, NULL, &a), "weight not 4-D", "conv2d", "weight", "(4,6,3)", NULL);
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "channel mismatch", "conv2d", "(2,6,5,5)", "(4,3,3,3)", "expects 3",
                 NULL);
    a.groups = 0;
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "groups 0", "conv2d", "groups 0", NULL);
    a.groups = 4;
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "groups not dividing Cin", "groups 4 do not divide the 6 input",
                 "(2,6,5,5)", NULL);
    a.groups = 2;
    fv_node *w5 = in4(g, "w5", 5, 3, 3, 3);
    expect_error(ctx, fv_conv2d(g, x, w5, NULL, &a), "groups not dividing Cout",
                 "groups 2 do not divide the 5 output", "(5,3,3,3)", NULL);
    CHECK(fv_conv2d(g, x, w, NULL, &a) != NULL, "two groups of 3 channels fit: %s", fv_errmsg(ctx));
    a.stride[1] = 0;
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "stride 0", "conv2d", "stride 1x0", NULL);
    a.stride[1] = 1;
    a.dilation[0] = -1;
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "dilation -1", "dilation -1x1", NULL);
    a.dilation[0] = 1;
    a.pad[2] = -2;
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "negative pad", "bottom -2", NULL);
    a.pad[2] = 0;
    a.dilation[0] = 3; /* a 3-tap kernel with dilation 3 spans 7 rows, more than the 5 + 1 padded ones */
    a.pad[0] = 1;
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "kernel larger than padded input", "kernel 3x3 (dilated 7x3)",
                 "padded input 6x5", NULL);
    a.pad_mode = FV_PAD_SAME; /* 'same' always fits */
    fv_node *y = fv_conv2d(g, x, w, NULL, &a);
    CHECK(y && fv_node_value(y)->shape[2] == 5 && fv_node_value(y)->shape[3] == 5, "'same' keeps 5x5: %s",
          fv_errmsg(ctx));
    a = fv_conv2d_defaults();
    a.groups = 2;
    fv_node *b = fv_input(g, "b", FV_F32, 1, (int64_t[]){3});
    expect_error(ctx, fv_conv2d(g, x, w, b, &a), "bias length", "bias (3)", "4 output channels", NULL);
    fv_node *x3 = fv_input(g, "x3", FV_F32, 3, (int64_t[]){6, 5, 5});
    expect_error(ctx, fv_conv2d(g, x3, w, NULL, &a), "x not 4-D", "input x", "(6,5,5)", NULL);
    fv_node *xi = fv_input(g, "xi", FV_I32, 4, (int64_t[]){2, 6, 5, 5});
    expect_error(ctx, fv_conv2d(g, xi, w, NULL, &a), "int input", "float32", "int32", NULL);
    a.pad_mode = (fv_pad_mode)7;
    expect_error(ctx, fv_conv2d(g, x, w, NULL, &a), "unknown pad_mode", "pad_mode 7", NULL);
    CHECK(fv_conv2d(g, NULL, w, NULL, &a) == NULL, "conv2d propagates a NULL input");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

static void convt_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = in4(g, "x", 2, 4, 3, 3), *w = in4(g, "w", 4, 3, 3, 3);
    fv_conv_transpose2d_args a = fv_conv_transpose2d_defaults();
    fv_node *w3 = fv_input(g, "w3", FV_F32, 3, (int64_t[]){4, 3, 3});
    expect_error(ctx, fv_conv_transpose2d(g, x, w3, NULL, &a), "weight not 4-D", "conv_transpose2d", "(4,3,3)", NULL);
    fv_node *w6 = in4(g, "w6", 6, 3, 3, 3);
    expect_error(ctx, fv_conv_transpose2d(g, x, w6, NULL, &a), "channel mismatch", "(2,4,3,3)", "(6,3,3,3)",
                 "expects 6", NULL);
    a.groups = 3;
    expect_error(ctx, fv_conv_transpose2d(g, x, w, NULL, &a), "groups not dividing Cin",
                 "groups 3 do not divide the 4 input", NULL);
    a.groups = -1;
    expect_error(ctx, fv_conv_transpose2d(g, x, w, NULL, &a), "groups -1", "groups -1", NULL);
    a.groups = 2;
    fv_node *y = fv_conv_transpose2d(g, x, w, NULL, &a);
    CHECK(y && fv_node_value(y)->shape[1] == 6, "two groups give 6 output channels: %s", fv_errmsg(ctx));
    a.stride[0] = 0;
    expect_error(ctx, fv_conv_transpose2d(g, x, w, NULL, &a), "stride 0", "stride 0x1", NULL);
    a.stride[0] = 2;
    a.dilation[1] = 0;
    expect_error(ctx, fv_conv_transpose2d(g, x, w, NULL, &a), "dilation 0", "dilation 1x0", NULL);
    a.dilation[1] = 1;
    a.output_padding[1] = 1; /* stride 1 and dilation 1 along w: output_padding must be 0 */
    expect_error(ctx, fv_conv_transpose2d(g, x, w, NULL, &a), "output_padding too large", "output_padding 0x1",
                 "stride 2x1", NULL);
    a.output_padding[1] = 0;
    a.output_padding[0] = 1;
    y = fv_conv_transpose2d(g, x, w, NULL, &a);
    CHECK(y && fv_node_value(y)->shape[2] == 8, "stride 2 output_padding 1: (3-1)*2+3+1 = 8 rows: %s",
          fv_errmsg(ctx));
    a.pad[3] = -1;
    expect_error(ctx, fv_conv_transpose2d(g, x, w, NULL, &a), "negative pad", "right -1", NULL);
    a.pad[3] = 3; /* the full width is 5: 3 + 3 removes it all */
    a.pad[1] = 2;
    expect_error(ctx, fv_conv_transpose2d(g, x, w, NULL, &a), "pad removes the output", "output would be 8x0",
                 "(2,4,3,3)", NULL);
    a = fv_conv_transpose2d_defaults();
    fv_node *b = fv_input(g, "b", FV_F32, 1, (int64_t[]){4});
    expect_error(ctx, fv_conv_transpose2d(g, x, w, b, &a), "bias length", "bias (4)", "3 output channels", NULL);
    fv_node *xi = fv_input(g, "xi", FV_I32, 4, (int64_t[]){2, 4, 3, 3});
    expect_error(ctx, fv_conv_transpose2d(g, xi, w, NULL, &a), "int input", "float32", "int32", NULL);
    fv_node *x2 = fv_input(g, "x2", FV_F32, 2, (int64_t[]){2, 4});
    expect_error(ctx, fv_conv_transpose2d(g, x2, w, NULL, &a), "x not 4-D", "(2,4)", NULL);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* 'same' padding depends on the input size: a new input size must give ceil(size / stride) again. */
static void same_follows_input(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = in4(g, "x", 1, 1, 7, 7);
    fv_tensor *wt = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, 3, 3});
    for (int i = 0; i < 9; i++) fv_f32(wt)[i] = 1.0f;
    fv_node *w = fv_constant(g, wt);
    fv_conv2d_args a = fv_conv2d_defaults();
    a.stride[0] = a.stride[1] = 2;
    a.pad_mode = FV_PAD_SAME;
    fv_node *y = fv_conv2d(g, x, w, NULL, &a);
    fv_tensor *big = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, 8, 10});
    for (int64_t i = 0; i < big->size; i++) fv_f32(big)[i] = 1.0f;
    fv_status s = y ? fv_graph_set_input(g, x, big) : FV_ERR_ARG;
    if (s == FV_OK) s = fv_graph_forward(g);
    const fv_tensor *v = y ? fv_node_value(y) : NULL;
    /* 8x10: total pad 1 each way, all at the bottom/right: the first window lies inside (9 ones), the last
     * hangs over the end by one row and one column (4 ones). Padding at the start would give 6 and 9. */
    CHECK(s == FV_OK && v->shape[2] == 4 && v->shape[3] == 5 && fv_f32(v)[0] == 9.0f && fv_f32(v)[19] == 4.0f,
          "'same' stride 2 on 8x10 gives 4x5 with the extra padding at the end: %s", fv_errmsg(ctx));
    fv_tensor_free(wt);
    fv_tensor_free(big);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("conv2d_", build_conv);
    opcheck_all("conv_transpose2d_", build_convt);
    conv_errors();
    convt_errors();
    same_follows_input();
    return test_finish();
}
