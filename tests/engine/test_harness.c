/* The checkers must be able to fail: a corrupted gradient is caught by the finite-difference check, and the
 * relative-error measure sees a single wrong element and NaN. */
#include "opcheck.h"
#include "test.h"

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(5);
    fv_graph *g = fv_graph_new(ctx);
    fv_param *w = fv_param_new(ctx, "w", FV_PARAM_WEIGHT, 2, (int64_t[]){3, 4});
    for (int i = 0; i < 12; i++) fv_f32(&w->value)[i] = 0.3f * (float)(i % 5) - 0.5f;
    fv_node *x = fv_input(g, "x", FV_F32, 2, (int64_t[]){2, 4});
    fv_tensor *data = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){2, 4});
    for (int i = 0; i < 8; i++) fv_f32(data)[i] = 0.25f * (float)i - 1.0f;
    fv_graph_set_input(g, x, data);
    fv_node *wn = fv_use_param(g, w);
    fv_node *y = fv_dense(g, x, wn, NULL);
    fv_tensor *seed = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){2, 3});
    for (int i = 0; i < 6; i++) fv_f32(seed)[i] = (float)(i + 1);
    fv_graph_forward(g);
    fv_graph_backward_seed(g, y, seed);
    int checked;
    CHECK(gradcheck(g, y, seed, &wn, 1, 12, &checked) == 0 && checked == 12, "gradcheck accepts correct gradients");
    fv_f32(&w->grad)[5] += 0.05f * fabsf(fv_f32(&w->grad)[5]) + 0.01f;
    CHECK(gradcheck(g, y, seed, &wn, 1, 12, &checked) == 1, "gradcheck catches one corrupted gradient element");

    float a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4.001f};
    CHECK(rel_error(a, a, 4) == 0.0 && rel_error(a, b, 4) > 1e-5, "rel_error sees one wrong element");
    a[2] = NAN;
    CHECK(!(rel_error(a, b, 4) <= 1.0), "rel_error does not hide NaN");
    fv_tensor_free(data);
    fv_tensor_free(seed);
    fv_param_free(w);
    fv_graph_free(g);
    fv_ctx_free(ctx);
    return test_finish();
}
