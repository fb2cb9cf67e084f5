/* Gradient buffers that the first writer assigns (fv_grad_fresh): a node read by an op that assigns its
 * gradient (max pooling, dropout, batch norm) and by ops that add to it gets the sum of all of them whichever
 * runs first; a second backward starts afresh whatever the buffers held; a gradient no op writes ends zero. */
#include <stdlib.h>

#include "test.h"

#define N 2
#define C 3
#define H 5 /* odd: the 2x2 pooling leaves a last row and column out of every window */
#define W 5
#define SIZE (N * C * H * W)
#define PH (H / 2)
#define PW (W / 2)

typedef struct {
    fv_graph *g;
    fv_node *x, *out;
} branches;

/* x -> dropout(p = 0, the identity) and x -> 2x2 max pool, both flattened and concatenated; `pool_first`
 * orders the builders, so the reverse walk meets the other op first. */
static branches build(fv_ctx *ctx, bool pool_first)
{
    branches b = {fv_graph_new(ctx), NULL, NULL};
    b.x = fv_input(b.g, "x", FV_F32, 4, (int64_t[]){N, C, H, W});
    fv_node_keep_grad(b.g, b.x);
    fv_pool2d_args pa = fv_pool2d_defaults(2);
    fv_node *pool = NULL, *drop = NULL;
    if (pool_first) pool = fv_max_pool2d(b.g, b.x, &pa);
    drop = fv_dropout(b.g, b.x, 0.0f);
    if (!pool_first) pool = fv_max_pool2d(b.g, b.x, &pa);
    fv_node *parts[2] = {fv_flatten(b.g, drop), fv_flatten(b.g, pool)};
    b.out = fv_concat(b.g, parts, 2, 1);
    return b;
}

/* x[i] = a permutation of 0 .. SIZE-1, so every window has one maximum. */
static void fill_x(fv_tensor *t)
{
    for (int i = 0; i < SIZE; i++) fv_f32(t)[i] = (float)((i * 37) % SIZE);
}

/* dx = the dropout's seed (identity) + the pool's seed at each window's maximum. */
static void expected_grad(float *dx, const float *x, const float *seed)
{
    int64_t row = C * H * W + C * PH * PW; /* a row of the concatenation */
    for (int n = 0; n < N; n++)
        for (int i = 0; i < C * H * W; i++) dx[n * C * H * W + i] = seed[n * row + i];
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int oh = 0; oh < PH; oh++)
                for (int ow = 0; ow < PW; ow++) {
                    const float *p = x + (n * C + c) * H * W;
                    int at = (2 * oh) * W + 2 * ow;
                    for (int dh = 0; dh < 2; dh++)
                        for (int dw = 0; dw < 2; dw++)
                            if (p[(2 * oh + dh) * W + 2 * ow + dw] > p[at]) at = (2 * oh + dh) * W + 2 * ow + dw;
                    dx[(n * C + c) * H * W + at] += seed[n * row + C * H * W + (c * PH + oh) * PW + ow];
                }
}

static void fan_out(bool pool_first, bool reference)
{
    fv_ctx *ctx = fv_ctx_new(1);
    if (reference) fv_ctx_use_reference_kernels(ctx, true);
    branches b = build(ctx, pool_first);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){N, C, H, W});
    fill_x(x);
    fv_status s = fv_graph_set_input(b.g, b.x, x);
    if (!s) s = fv_graph_forward(b.g);
    const fv_tensor *ov = fv_node_value(b.out);
    fv_tensor *seed = fv_tensor_new(ctx, FV_F32, ov->ndim, ov->shape);
    for (int64_t i = 0; i < seed->size; i++) fv_f32(seed)[i] = (float)(fv_rng_uniform(4, 1, (uint64_t)i) - 0.5);
    float want[SIZE];
    expected_grad(want, fv_f32(x), fv_f32(seed));
    double err[2] = {1, 1};
    for (int pass = 0; pass < 2 && !s; pass++) {
        s = fv_graph_backward_seed(b.g, b.out, seed);
        if (s) break;
        err[pass] = rel_error(fv_f32(fv_node_grad(b.x)), want, SIZE);
        /* garbage in every gradient buffer: the next backward must not read any of it */
        for (int i = 0; i < fv_graph_node_count(b.g); i++) {
            const fv_tensor *gr = fv_node_grad(fv_graph_node(b.g, i));
            for (int64_t k = 0; gr && gr->data && k < gr->size; k++) fv_f32(gr)[k] = 1e6f + (float)k;
        }
    }
    CHECK(s == FV_OK && err[0] < 1e-7 && err[1] < 1e-7,
          "fan-out to an assigning and an adding op (%s first, %s kernels): gradient %.1e, after a second "
          "backward over stale buffers %.1e",
          pool_first ? "pool" : "dropout", reference ? "reference" : "fast", err[0], err[1]);
    fv_tensor_free(seed);
    fv_tensor_free(x);
    fv_graph_free(b.g);
    fv_ctx_free(ctx);
}

/* Class weights given as a node that wants a gradient: cross entropy does not differentiate them, so their
 * gradient is zero (as PyTorch leaves it), even over a buffer full of garbage. */
static void unwritten_gradient(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *z = fv_input(g, "z", FV_F32, 2, (int64_t[]){3, 4}), *w = fv_input(g, "w", FV_F32, 1, (int64_t[]){4});
    fv_node *y = fv_input(g, "y", FV_I32, 1, (int64_t[]){3});
    fv_node_keep_grad(g, z);
    fv_node_keep_grad(g, w);
    fv_node *loss = fv_cross_entropy(g, z, y, w, 0.0f);
    fv_tensor *zt = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){3, 4});
    fv_tensor *wt = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){4});
    fv_tensor *yt = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){3});
    for (int i = 0; i < 12; i++) fv_f32(zt)[i] = (float)i / 7.0f;
    for (int i = 0; i < 4; i++) fv_f32(wt)[i] = 1.0f + (float)i;
    for (int i = 0; i < 3; i++) fv_i32(yt)[i] = i;
    fv_status s = fv_graph_set_input(g, z, zt);
    if (!s) s = fv_graph_set_input(g, w, wt);
    if (!s) s = fv_graph_set_input(g, y, yt);
    bool zero = true, logits = true;
    for (int pass = 0; pass < 2 && !s; pass++) {
        if ((s = fv_graph_forward(g)) || (s = fv_graph_backward(g, loss))) break;
        const fv_tensor *gw = fv_node_grad(w), *gz = fv_node_grad(z);
        for (int i = 0; i < 4; i++) zero &= fv_f32(gw)[i] == 0.0f;
        float row_sum = 0;
        for (int i = 0; i < 4; i++) row_sum += fv_f32(gz)[i];
        logits &= fabsf(row_sum) < 1e-6f && fv_f32(gz)[0] < 0.0f; /* softmax - onehot sums to 0 per row */
        for (int i = 0; i < 4; i++) fv_f32(gw)[i] = NAN, fv_f32(gz)[i] = NAN;
    }
    CHECK(s == FV_OK && zero && logits, "a gradient no op writes ends zero, twice over stale buffers (%s)",
          s ? fv_errmsg(ctx) : "ok");
    fv_tensor_free(zt), fv_tensor_free(wt), fv_tensor_free(yt);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

/* A concatenation assigns its inputs' fresh gradients (its slices copied): x given once (assigned, then an
 * earlier op adds) or twice (zeroed, then added), beside an op that adds to x's gradient too, gets the sum of
 * the slices, twice over stale buffers. */
static void concat_fan_in(int k)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_graph *g = fv_graph_new(ctx);
    fv_node *x = fv_input(g, "x", FV_F32, 4, (int64_t[]){N, C, H, W});
    fv_node_keep_grad(g, x);
    fv_node *parts[3] = {x, fv_add(g, x, x), x};
    fv_node *out = fv_concat(g, parts, k, 1);
    fv_tensor *xt = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){N, C, H, W});
    fill_x(xt);
    fv_status s = fv_graph_set_input(g, x, xt);
    if (!s) s = fv_graph_forward(g);
    const fv_tensor *ov = fv_node_value(out);
    fv_tensor *seed = fv_tensor_new(ctx, FV_F32, ov->ndim, ov->shape);
    for (int64_t i = 0; i < seed->size; i++) fv_f32(seed)[i] = (float)(fv_rng_uniform(4, 2, (uint64_t)i) - 0.5);
    float want[SIZE];
    for (int n = 0; n < N; n++)
        for (int i = 0; i < C * H * W; i++) {
            const float *row = fv_f32(seed) + n * k * C * H * W;
            want[n * C * H * W + i] = row[i] + 2.0f * row[C * H * W + i] + (k == 3 ? row[2 * C * H * W + i] : 0.0f);
        }
    double err[2] = {1, 1};
    for (int pass = 0; pass < 2 && !s; pass++) {
        if ((s = fv_graph_backward_seed(g, out, seed))) break;
        err[pass] = rel_error(fv_f32(fv_node_grad(x)), want, SIZE);
        for (int i = 0; i < fv_graph_node_count(g); i++) {
            const fv_tensor *gr = fv_node_grad(fv_graph_node(g, i));
            for (int64_t e = 0; gr && gr->data && e < gr->size; e++) fv_f32(gr)[e] = 1e6f + (float)e;
        }
    }
    CHECK(s == FV_OK && err[0] < 1e-6 && err[1] < 1e-6,
          "concat of x, 2x%s: the slices summed (%.1e, over stale buffers %.1e)", k == 3 ? " and x again" : "",
          err[0], err[1]);
    fv_tensor_free(seed), fv_tensor_free(xt);
    fv_graph_free(g);
    fv_ctx_free(ctx);
}

int main(void)
{
    concat_fan_in(2);
    concat_fan_in(3);
    for (int order = 0; order < 2; order++)
        for (int ref = 0; ref < 2; ref++) fan_out(order == 1, ref == 1);
    unwritten_gradient();
    return test_finish();
}
