/* libFuzzer target for the ONNX importer. Whatever the bytes, fv_onnx_load_mem must either refuse them with a
 * status and a message naming the file, or return a model that builds, runs a forward pass (when small), and
 * survives ONNX export and import unchanged (the same description). tests/fuzz/test_fuzz_onnx.c runs it on
 * deterministic mutations as part of the suite.
 * `make fuzz FUZZ_TARGETS=onnx` runs it with libFuzzer (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Work of a forward pass, roughly in multiply-adds, from the shapes the graph inferred: each output element
 * costs one, plus the inner-product length of the weights it reads (a parameter's size over its first
 * dimension: a convolution's or dense layer's fan-in) and, for a product of two activations, the inner
 * dimension. Bounded with the activation memory, so that a mutation that keeps a model's parameters small but
 * makes its outputs huge (padding the batch axis by millions) or slow is not run. */
static double forward_work(const fv_graph *g, double *activations)
{
    double work = 0;
    *activations = 0;
    for (int i = 0; i < fv_graph_node_count(g); i++) {
        const fv_node *n = fv_graph_node(g, i);
        double out = (double)fv_node_value(n)->size, per = 1;
        *activations += out;
        for (int k = 0; k < fv_node_input_count(n); k++) {
            const fv_node *in = fv_node_input(n, k);
            const fv_tensor *v = in ? fv_node_value(in) : NULL;
            if (!v || v->ndim < 1) continue;
            if (fv_node_param(in) && v->shape[0] > 0) per += (double)v->size / (double)v->shape[0];
            else if (k == 0 && strstr(fv_node_op_name(n), "matmul")) per += (double)v->shape[v->ndim - 1];
        }
        work += out * per;
    }
    return work;
}

/* A forward pass on zeros, for models small enough to run quickly. */
static void run_small(fv_ctx *ctx, fv_model *m)
{
    fv_param_totals t = fv_model_param_totals(m);
    int64_t shape[FV_MAX_DIMS] = {1}, in = 1;
    int nd = fv_model_input_shape(m, shape + 1);
    for (int d = 1; d <= nd; d++) in *= shape[d];
    if (t.total > 1000000 || in > 100000 || fv_model_layer_count(m) > 200) return;
    fv_node *x, *y;
    fv_graph *g = fv_model_build(m, 1, &x, &y, NULL);
    if (!g) FUZZ_FAIL("a loaded model does not build: %s", fv_errmsg(ctx));
    double activations, work = g ? forward_work(g, &activations) : 0;
    if (!g || work > (double)(1 << 24) || activations > (double)(1 << 21)) {
        fv_graph_free(g);
        return;
    }
    fv_tensor *zeros = fv_tensor_new(ctx, FV_F32, nd + 1, shape);
    fv_graph_set_training(g, false);
    if (!zeros || fv_graph_set_input(g, x, zeros) || fv_graph_forward(g))
        FUZZ_FAIL("a loaded model does not run: %s", fv_errmsg(ctx));
    fv_tensor_free(zeros);
    fv_graph_free(g);
}

/* Exported and imported again: the same description. */
static void check_reexport(fv_ctx *ctx, fv_model *m)
{
    void *buf = NULL;
    size_t n = 0;
    if (fv_onnx_save_mem(m, 0, &buf, &n) != FV_OK) {
        if (fv_errcode(ctx) != FV_ERR_UNSUPPORTED) FUZZ_FAIL("a loaded model does not export: %s", fv_errmsg(ctx));
        return;
    }
    fv_model *again = fv_onnx_load_mem(ctx, buf, n, "again.onnx");
    free(buf);
    if (!again) FUZZ_FAIL("an exported model does not load: %s", fv_errmsg(ctx));
    char *a = fv_model_describe(m), *b = fv_model_describe(again);
    if (!a || !b || strcmp(a, b) != 0) FUZZ_FAIL("export and import change the model:\n%s---\n%s", a ? a : "", b ? b : "");
    free(a), free(b);
    fv_model_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_model *m = fv_onnx_load_mem(ctx, data, size, "fuzz.onnx");
    if (!m && (fv_errcode(ctx) == FV_OK || !strstr(fv_errmsg(ctx), "fuzz.onnx")))
        FUZZ_FAIL("refused without a status and a message naming the file: %d %s", (int)fv_errcode(ctx), fv_errmsg(ctx));
    if (m) {
        run_small(ctx, m);
        check_reexport(ctx, m);
    }
    fv_model_free(m);
    fv_ctx_free(ctx);
    return 0;
}
