/* Adaptive average pooling against PyTorch (tests/reference/gen_adaptive_pool.py) and finite differences, its
 * bad-input errors, and the adaptive_avg_pool layer of model descriptions. */
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "opcheck.h"
#include "test.h"

static fv_node *build(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    return fv_adaptive_avg_pool2d(g, opcheck_leaf(in, "x"), fx_int(fx, "attr:size", 0, 0),
                                  fx_int(fx, "attr:size", 1, 0));
}

static void errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){1, 2, 5, 5});
    fv_node *x3 = fv_input(g, "x3", FV_F32, 3, (int64_t[]){2, 5, 5});
    fv_node *xi = fv_input(g, "xi", FV_I32, 4, (int64_t[]){1, 2, 5, 5});
    CHECK(!fv_adaptive_avg_pool2d(g, x, 0, 3) && strstr(fv_errmsg(ctx), "adaptive_avg_pool2d") &&
              strstr(fv_errmsg(ctx), "output size 0x3") && strstr(fv_errmsg(ctx), "(1,2,5,5)"),
          "size 0 refused: %s", fv_errmsg(ctx));
    CHECK(!fv_adaptive_avg_pool2d(g, x, 2, -1) && strstr(fv_errmsg(ctx), "output size 2x-1"),
          "a negative size refused: %s", fv_errmsg(ctx));
    CHECK(!fv_adaptive_avg_pool2d(g, x3, 2, 2) && strstr(fv_errmsg(ctx), "4 dimensions"),
          "a 3-D input refused: %s", fv_errmsg(ctx));
    CHECK(!fv_adaptive_avg_pool2d(g, xi, 2, 2) && strstr(fv_errmsg(ctx), "float32"), "an int input refused: %s",
          fv_errmsg(ctx));
    CHECK(!fv_adaptive_avg_pool2d(g, NULL, 2, 2), "a NULL input propagates");
    fv_node *y = fv_adaptive_avg_pool2d(g, x, 7, 3);
    CHECK(y && fv_node_value(y)->shape[2] == 7 && fv_node_value(y)->shape[3] == 3, "5x5 -> 7x3");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* The layer: shape, description round trip, and a forward pass equal to the mean of each window. */
static void layer(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_model *m = fv_model_parse(ctx, "input input shape=1x3x4\nadaptive_avg_pool pool size=2x3\n", "net.fvd");
    int64_t s[4] = {0};
    CHECK(m && fv_model_layer_shape(m, 1, s) == 3 && s[0] == 1 && s[1] == 2 && s[2] == 3, "layer shape 1x2x3 (%s)",
          fv_errmsg(ctx));
    char *d = m ? fv_model_describe(m) : NULL;
    CHECK(d && strstr(d, "adaptive_avg_pool pool size=2x3\n"), "described as written");
    free(d);
    fv_node *in, *out;
    fv_graph *g = m ? fv_model_build(m, 1, &in, &out, NULL) : NULL;
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, 3, 4});
    for (int i = 0; x && i < 12; i++) fv_f32(x)[i] = (float)i;
    bool ok = g && x && fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK;
    /* rows [0,2) and [1,3); columns [0,2) [1,3) [2,4) */
    const float want[6] = {2.5f, 3.5f, 4.5f, 6.5f, 7.5f, 8.5f};
    bool same = ok;
    for (int i = 0; same && i < 6; i++) same = fv_f32(fv_node_value(out))[i] == want[i];
    CHECK(same, "layer forward averages PyTorch's windows (%s)", fv_errmsg(ctx));
    fv_model *bad = fv_model_parse(ctx, "input input shape=1x3x4\nadaptive_avg_pool pool\n", "net.fvd");
    CHECK(!bad && strstr(fv_errmsg(ctx), "missing size="), "size is required: %s", fv_errmsg(ctx));
    bad = fv_model_parse(ctx, "input input shape=1x3x4\nadaptive_avg_pool pool size=0\n", "net.fvd");
    CHECK(!bad && strstr(fv_errmsg(ctx), "size=0"), "size 0 refused: %s", fv_errmsg(ctx));
    fv_tensor_free(x);
    fv_graph_free(g);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("adaptive_avg_pool2d_", build);
    errors();
    layer();
    return test_finish();
}
