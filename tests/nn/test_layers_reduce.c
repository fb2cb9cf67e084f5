/* Layer types of the reduce family (src/nn/layers_reduce.c): each description parses, builds and runs, gives
 * the same numbers as the graph op built directly, describes itself back to the same text, and goes through
 * ONNX export and import with the same outputs bit for bit; bad keys are refused naming layer and key; ONNX
 * MatMul and Gemm keep their dense layers where one fits. */
#include <stdlib.h>
#include <string.h>

#include "../common/test.h"
#include "../../src/nn/model_internal.h"

#define MAX_IO 4

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
    int opsets[] = {13, 17};
    for (int o = 0; o < 2 && n > 0; o++) {
        void *buf = NULL;
        size_t size = 0;
        fv_status s = fv_onnx_save_mem(m, opsets[o], &buf, &size);
        fv_model *im = s ? NULL : fv_onnx_load_mem(ctx, buf, size, name);
        free(buf);
        int nb = im ? run(im, back) : -1;
        bool ok = nb == n;
        for (int k = 0; ok && k < n; k++) ok = same(got[k], back[k]);
        CHECK(ok, "%s: ONNX opset %d export and import give the same outputs bit for bit (%s)", name, opsets[o],
              ok ? "" : fv_errmsg(ctx));
        if (nb > 0) free_all(back, nb);
        fv_model_free(im);
    }
    if (n > 0) free_all(got, n);
    fv_model_free(m);
}

/* ---- the ops built directly ------------------------------------------------------------------------- */

static fv_node *d_sum(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_SUM, (int[]){1}, 1, false); }
static fv_node *d_mean(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_MEAN, (int[]){-1}, 1, true); }
static fv_node *d_max(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_MAX, (int[]){0, 2}, 2, true); }
static fv_node *d_min(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_MIN, (int[]){2}, 1, false); }
static fv_node *d_prod(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_PROD, (int[]){1}, 1, true); }
static fv_node *d_l1(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_L1, NULL, 0, true); }
static fv_node *d_l2(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_L2, (int[]){-2}, 1, false); }
static fv_node *d_ssq(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_SUM_SQUARE, (int[]){0}, 1, true); }
static fv_node *d_lse(fv_graph *g, fv_node *const *in) { return fv_reduce(g, in[0], FV_REDUCE_LOG_SUM_EXP, NULL, 0, false); }
static fv_node *d_log_sum(fv_graph *g, fv_node *const *in) { return fv_reduce(g, fv_abs(g, in[0]), FV_REDUCE_LOG_SUM, (int[]){1}, 1, true); }
static fv_node *d_hardmax(fv_graph *g, fv_node *const *in) { return fv_hardmax(g, in[0], 1, false); }
static fv_node *d_hardmax_last(fv_graph *g, fv_node *const *in) { return fv_hardmax(g, in[0], -1, false); }
static fv_node *d_argmax(fv_graph *g, fv_node *const *in) { return fv_argmax(g, in[0], 2, false, false); }
static fv_node *d_argmin(fv_graph *g, fv_node *const *in) { return fv_argmin(g, in[0], -1, true, true); }
static fv_node *d_topk(fv_graph *g, fv_node *const *in) { return fv_topk(g, in[0], 2, -1, true, true); }
static fv_node *d_topk_small(fv_graph *g, fv_node *const *in) { return fv_topk_indices(g, fv_topk(g, in[0], 3, 1, false, true)); }
static fv_node *d_cumsum(fv_graph *g, fv_node *const *in) { return fv_cumsum(g, in[0], 1, true, true); }
static fv_node *d_matmul(fv_graph *g, fv_node *const *in) { return fv_matmul(g, in[0], in[1]); }
static fv_node *d_gemm(fv_graph *g, fv_node *const *in) { return fv_gemm_node(g, in[0], in[1], in[2], 0.5f, 2.0f, true, false); }
static fv_node *d_gemm_tb(fv_graph *g, fv_node *const *in) { return fv_gemm_node(g, in[0], in[1], NULL, 1.0f, 1.0f, false, true); }
static fv_node *d_einsum(fv_graph *g, fv_node *const *in) { return fv_einsum(g, "bij,bjk->bik", in[0], in[1]); }
static fv_node *d_attention(fv_graph *g, fv_node *const *in)
{
    return fv_matmul(g, fv_softmax(g, fv_matmul(g, in[0], in[1]), -1), in[2]);
}

#define X3 "input x shape=2x3x4 batch=false\n"

static void test_layers(fv_ctx *ctx)
{
    check_layer(ctx, "reduce_sum", X3 "reduce_sum s axes=1 keepdims=false\n", d_sum);
    check_layer(ctx, "reduce_mean", X3 "reduce_mean s axes=-1\n", d_mean);
    check_layer(ctx, "reduce_max", X3 "reduce_max s axes=0,2\n", d_max);
    check_layer(ctx, "reduce_min", X3 "reduce_min s axes=2 keepdims=false\n", d_min);
    check_layer(ctx, "reduce_prod", X3 "reduce_prod s axes=1\n", d_prod);
    check_layer(ctx, "reduce_l1", X3 "reduce_l1 s\n", d_l1);
    check_layer(ctx, "reduce_l2", X3 "reduce_l2 s axes=-2 keepdims=false\n", d_l2);
    check_layer(ctx, "reduce_sum_square", X3 "reduce_sum_square s axes=0\n", d_ssq);
    check_layer(ctx, "reduce_log_sum_exp", X3 "reduce_log_sum_exp s keepdims=false\n", d_lse);
    check_layer(ctx, "reduce_log_sum", X3 "abs p\nreduce_log_sum s axes=1\n", d_log_sum);
    check_layer(ctx, "hardmax", X3 "hardmax h axis=1\n", d_hardmax);
    check_layer(ctx, "hardmax_last", X3 "hardmax h\n", d_hardmax_last);
    check_layer(ctx, "argmax", X3 "argmax a axis=2 keepdims=false\n", d_argmax);
    check_layer(ctx, "argmin", X3 "argmin a axis=-1 select_last_index=true\n", d_argmin);
    check_layer(ctx, "topk", X3 "topk t k=2\ntopk_indices i\noutputs t,i\n", d_topk);
    check_layer(ctx, "topk_indices", X3 "topk t k=3 axis=1 largest=false\ntopk_indices i\n", d_topk_small);
    check_layer(ctx, "cumsum", X3 "cumsum c axis=1 exclusive=true reverse=true\n", d_cumsum);
    /* (ONNX import takes a fixed first dimension of a rank-2 or rank-4 float input as the batch: inputs of
     * other ranks, or batched ones, keep their shapes through export and import) */
    check_layer(ctx, "matmul",
                "input a shape=2x3x4 batch=false\ninput b shape=1x4x5 batch=false\nmatmul p from=a,b\n", d_matmul);
    check_layer(ctx, "matmul batched", "input a shape=3x4\ninput b shape=4x2\nmatmul p from=a,b\n", d_matmul);
    check_layer(ctx, "matmul 1-D", "input a shape=4 batch=false\ninput b shape=2x4x3 batch=false\nmatmul p from=a,b\n",
                d_matmul);
    check_layer(ctx, "gemm",
                "input a shape=3\ninput b shape=5\ninput c shape=5 batch=false\n"
                "gemm y alpha=0.5 beta=2 trans_a=true from=a,b,c\n",
                d_gemm);
    check_layer(ctx, "gemm trans_b", "input a shape=3\ninput b shape=3\ngemm y trans_b=true from=a,b\n", d_gemm_tb);
    check_layer(ctx, "einsum",
                "input a shape=2x3x4 batch=false\ninput b shape=2x4x5 batch=false\n"
                "einsum e equation=bij,bjk->bik from=a,b\n",
                d_einsum);
    /* a hand-written attention block: softmax(q k^T) v, with k given transposed */
    check_layer(ctx, "attention",
                "input q shape=2x4x8 batch=false\ninput kt shape=2x8x4 batch=false\ninput v shape=2x4x8 batch=false\n"
                "matmul scores from=q,kt\nsoftmax weights axis=-1\nmatmul attended from=weights,v\n",
                d_attention);
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
    refused(ctx, X3 "reduce_sum s axes=1,x\n", "reduce_sum 's'", "axes=1,x");
    refused(ctx, X3 "reduce_sum s axes=3\n", "'s'", "axes");
    refused(ctx, X3 "reduce_sum s axes=1,-2\n", "'s'", "repeat");
    refused(ctx, X3 "reduce_mean s keepdim=false\n", "reduce_mean 's'", "did you mean 'keepdims'");
    refused(ctx, X3 "argmax a axis=9\n", "argmax 'a'", "axis=9");
    refused(ctx, X3 "topk t\n", "topk 't'", "k");
    refused(ctx, X3 "topk t k=5\n", "'t'", "k");
    refused(ctx, X3 "topk_indices i\n", "'i'", "top");
    refused(ctx, X3 "cumsum c\n", "cumsum 'c'", "axis");
    refused(ctx, X3 "einsum e equation=ij,jk->ik from=x,x\n", "'e'", "ij,jk->ik");
    refused(ctx, X3 "einsum e equation=ab=c from=x,x\n", "einsum 'e'", "equation");
    refused(ctx, "input a shape=2x3 batch=false\ninput b shape=4x5 batch=false\nmatmul p from=a,b\n", "'p'", "(2,3)");
    refused(ctx, "input a shape=2x3 batch=false\ninput b shape=4x5 batch=false\ngemm p from=a,b\n", "'p'", "(2,3)");
}

/* ---- ONNX: dense layers kept where they fit ----------------------------------------------------------- */

/* MatMul by a constant of a (N, K) layer stays a dense layer; of a rank-3 one it becomes a matmul layer. */
static void test_onnx_dense_kept(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, "input x shape=8\ndense fc units=3\n", "fc");
    if (!CHECK(m != NULL, "dense model parses")) return;
    void *buf = NULL;
    size_t size = 0;
    fv_model *back = fv_onnx_save_mem(m, 13, &buf, &size) ? NULL : fv_onnx_load_mem(ctx, buf, size, "fc");
    free(buf);
    CHECK(back && fv_model_find_layer(back, "fc") >= 0 && strcmp(back->layers[fv_model_find_layer(back, "fc")].type->name,
                                                                 "dense") == 0,
          "ONNX Gemm of a constant weight comes back as a dense layer");
    fv_model_free(back);
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(7);
    test_layers(ctx);
    test_refusals(ctx);
    test_onnx_dense_kept(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
