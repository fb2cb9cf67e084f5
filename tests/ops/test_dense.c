/* dense against PyTorch (tests/reference/gen_dense.py) and finite differences, plus shape errors. */
#include "opcheck.h"
#include "test.h"

static fv_node *build(fv_graph *g, const opcheck_leaves *in, const fx_file *fx)
{
    (void)fx;
    return fv_dense(g, opcheck_leaf(in, "x"), opcheck_leaf(in, "w"), opcheck_leaf(in, "b"));
}

static void bad_shapes(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){2, 3});
    fv_node *w = fv_input(g, "w", FV_F32, 2, (int64_t[]){4, 5});
    CHECK(fv_dense(g, x, w, NULL) == NULL && strstr(fv_errmsg(ctx), "dense") && strstr(fv_errmsg(ctx), "(2,3)") &&
              strstr(fv_errmsg(ctx), "(4,5)"),
          "dense rejects mismatched features: %s", fv_errmsg(ctx));
    fv_node *w2 = fv_input(g, "w2", FV_F32, 2, (int64_t[]){4, 3});
    fv_node *b = fv_input(g, "b", FV_F32, 1, (int64_t[]){5});
    CHECK(fv_dense(g, x, w2, b) == NULL && strstr(fv_errmsg(ctx), "bias"), "dense rejects a wrong bias: %s",
          fv_errmsg(ctx));
    CHECK(fv_dense(g, NULL, w2, NULL) == NULL, "dense propagates a NULL input");
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    opcheck_all("dense_", build);
    bad_shapes();
    return test_finish();
}
