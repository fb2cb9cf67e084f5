/* ONNX's own conformance data (Debian's libonnx-testdata: data/node/NAME/model.onnx with test_data_set_K of
 * input_J.pb and output_0.pb): every node test whose operators are all among fv_onnx_operators() is run. The
 * first graph input is the image; the others (weights, pads, scales ... fed as inputs in these tests) become
 * initializers from the data set, as exporters write them. A test passes when every data set matches
 * output_0.pb within 1e-5 + 1e-4 |expected| per element; a model fovea refuses must be refused with
 * FV_ERR_UNSUPPORTED, FV_ERR_SHAPE or FV_ERR_ARG and a message; no model may load and compute wrong numbers.
 * Skips (0 passed, 0 failed) when the data are not installed; FOVEA_ONNX_TESTDATA overrides the folder;
 * -v lists every test. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fovea/onnx.h"
#include "pb.h"
#include "test.h"

#define DEFAULT_DATA "/usr/share/libonnx-testdata/data/node"

static bool verbose;

static bool claimed(const char *op)
{
    for (const char *const *o = fv_onnx_operators(); *o; o++)
        if (strcmp(*o, op) == 0) return true;
    return false;
}

typedef struct {
    const uint8_t *graph;  /* the GraphProto's bytes inside the model */
    size_t graph_len;
    char inputs[8][128];   /* graph inputs that are not initializers, in order */
    int n_inputs;
    bool all_claimed;
    char ops[200];
} model_info;

static void read_graph(const uint8_t *g, size_t n, model_info *mi)
{
    char inits[64][128];
    int n_inits = 0;
    pb_reader r = {g, n, 0};
    int field, wire;
    const uint8_t *d;
    size_t len;
    uint64_t v;
    mi->all_claimed = true;
    while (pb_next(&r, &field, &wire, &d, &len, &v)) {
        if (wire != 2) continue;
        pb_reader q = {d, len, 0};
        int f2, w2;
        const uint8_t *d2;
        size_t l2;
        while ((field == 1 || field == 5 || field == 11) && pb_next(&q, &f2, &w2, &d2, &l2, &v)) {
            if (field == 1 && f2 == 4 && w2 == 2) { /* a node's op_type */
                char op[64];
                snprintf(op, sizeof op, "%.*s", (int)l2, (const char *)d2);
                mi->all_claimed = mi->all_claimed && claimed(op);
                size_t at = strlen(mi->ops);
                snprintf(mi->ops + at, sizeof mi->ops - at, "%s%s", at ? "," : "", op);
            } else if (field == 5 && f2 == 8 && w2 == 2 && n_inits < 64) {
                snprintf(inits[n_inits++], 128, "%.*s", (int)l2, (const char *)d2);
            } else if (field == 11 && f2 == 1 && w2 == 2 && mi->n_inputs < 8) {
                snprintf(mi->inputs[mi->n_inputs++], 128, "%.*s", (int)l2, (const char *)d2);
            }
        }
    }
    for (int i = 0; i < mi->n_inputs; i++) /* older files list initializers among the inputs */
        for (int k = 0; k < n_inits; k++)
            if (strcmp(mi->inputs[i], inits[k]) == 0) {
                memmove(mi->inputs[i], mi->inputs[i + 1], (size_t)(mi->n_inputs - i - 1) * 128);
                mi->n_inputs--, i--;
                break;
            }
}

static bool read_model(const uint8_t *b, size_t n, model_info *mi)
{
    memset(mi, 0, sizeof *mi);
    pb_reader r = {b, n, 0};
    int field, wire;
    const uint8_t *d;
    size_t len;
    uint64_t v;
    while (pb_next(&r, &field, &wire, &d, &len, &v))
        if (field == 7 && wire == 2) mi->graph = d, mi->graph_len = len;
    if (!mi->graph) return false;
    read_graph(mi->graph, mi->graph_len, mi);
    return true;
}

/* The model with graph inputs 1.. turned into initializers holding the data set's input_1.pb ... */
static pb with_constants(const uint8_t *model, size_t n, const model_info *mi, const char *set)
{
    pb graph = {0}, out = {0};
    pb_raw(&graph, mi->graph, mi->graph_len);
    for (int j = 1; j < mi->n_inputs; j++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/input_%d.pb", set, j);
        size_t len = 0;
        unsigned char *t = pb_read_file(path, &len);
        if (!t) continue;
        pb init = {0};
        pb_raw(&init, t, len);
        pb_str(&init, 8, mi->inputs[j]); /* the name, whatever the file says (the last one counts) */
        pb_msg(&graph, 5, &init);
        free(t);
    }
    pb_reader r = {model, n, 0};
    int field, wire;
    const uint8_t *d;
    size_t len;
    uint64_t v;
    size_t start = 0;
    while (start = r.i, pb_next(&r, &field, &wire, &d, &len, &v)) {
        if (field == 7 && wire == 2) pb_msg(&out, 7, &graph);
        else pb_raw(&out, model + start, r.i - start);
    }
    free(graph.b);
    return out;
}

static fv_tensor *tensor_file(fv_ctx *ctx, const char *path)
{
    size_t n = 0;
    unsigned char *b = pb_read_file(path, &n);
    pb_tensor_data t;
    fv_tensor *x = NULL;
    if (b && pb_read_tensor(b, n, &t)) {
        if (t.ndim >= 1 && t.ndim <= FV_MAX_DIMS) x = fv_tensor_from(ctx, FV_F32, t.ndim, t.dims, t.v);
        free(t.v);
    }
    free(b);
    return x;
}

typedef enum { R_PASS, R_FAIL, R_REFUSED, R_BAD_REFUSAL } result;

/* One data set: load, run, compare. */
static result run_set(const uint8_t *model, size_t n, const model_info *mi, const char *set, char *why, size_t wsize)
{
    fv_ctx *ctx = fv_ctx_new(0);
    pb mod = with_constants(model, n, mi, set);
    fv_model *m = fv_onnx_load_mem(ctx, mod.b, mod.n, "model.onnx");
    free(mod.b);
    result res = R_PASS;
    if (!m) {
        fv_status s = fv_errcode(ctx);
        snprintf(why, wsize, "%s", fv_errmsg(ctx));
        res = (s == FV_ERR_UNSUPPORTED || s == FV_ERR_SHAPE || s == FV_ERR_ARG) && *why ? R_REFUSED : R_BAD_REFUSAL;
        fv_ctx_free(ctx);
        return res;
    }
    char path[1400];
    snprintf(path, sizeof path, "%s/input_0.pb", set);
    fv_tensor *x = tensor_file(ctx, path);
    snprintf(path, sizeof path, "%s/output_0.pb", set);
    fv_tensor *want = tensor_file(ctx, path);
    fv_node *in, *out;
    fv_graph *g = x ? fv_model_build(m, x->shape[0], &in, &out, NULL) : NULL;
    if (g) fv_graph_set_training(g, false);
    if (!x || !want || !g || fv_graph_set_input(g, in, x) || fv_graph_forward(g)) {
        snprintf(why, wsize, "loaded but did not run: %s", fv_errmsg(ctx));
        res = R_FAIL;
    } else {
        const fv_tensor *y = fv_node_value(out);
        double worst = 0;
        bool ok = y->size == want->size;
        for (int64_t i = 0; ok && i < y->size; i++) {
            double a = fv_f32(y)[i], b = fv_f32(want)[i], d = fabs(a - b);
            ok = d <= 1e-5 + 1e-4 * fabs(b);
            if (d > worst) worst = d;
        }
        snprintf(why, wsize, "%lld values, largest difference %.3g", (long long)want->size, worst);
        if (!ok) res = R_FAIL;
    }
    fv_graph_free(g);
    fv_tensor_free(x), fv_tensor_free(want);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return res;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    const char *dir = getenv("FOVEA_ONNX_TESTDATA") ? getenv("FOVEA_ONNX_TESTDATA") : DEFAULT_DATA;
    DIR *d = opendir(dir);
    if (!d) {
        printf("skipped: ONNX's conformance data are not at %s (apt-get install libonnx-testdata)\n", dir);
        return test_finish();
    }
    char **names = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, "test_", 5) == 0) {
            names = realloc(names, (size_t)(n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    int tests = 0, passed = 0, refused = 0, failed = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, names[i]);
        size_t len = 0;
        unsigned char *model = pb_read_file(path, &len);
        model_info mi;
        if (!model || !read_model(model, len, &mi) || !mi.all_claimed || mi.n_inputs < 1) {
            free(model);
            continue;
        }
        tests++;
        result worst = R_PASS;
        char why[800] = "";
        for (int k = 0; worst == R_PASS; k++) {
            char set[1200];
            struct stat st;
            snprintf(set, sizeof set, "%s/%s/test_data_set_%d", dir, names[i], k);
            if (stat(set, &st) != 0) break;
            worst = run_set(model, len, &mi, set, why, sizeof why);
        }
        free(model);
        const char *label[] = {"pass", "FAIL", "refused", "BAD REFUSAL"};
        if (verbose || worst == R_FAIL || worst == R_BAD_REFUSAL)
            printf("%-11s %s (%s): %s\n", label[worst], names[i], mi.ops, why);
        passed += worst == R_PASS, failed += worst == R_FAIL, refused += worst == R_REFUSED;
        bad += worst == R_BAD_REFUSAL;
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    printf("ONNX node tests of the operators fovea reads: %d; passed %d, refused (unsupported variants) %d, "
           "wrong numbers %d, refused unclearly %d\n", tests, passed, refused, failed, bad);
    CHECK(tests > 200, "%d node tests use only operators fovea reads", tests);
    CHECK(failed == 0, "no model loads and computes wrong numbers (%d did)", failed);
    CHECK(bad == 0, "every refusal says the feature is unsupported (%d did not)", bad);
    CHECK(passed >= 55, "%d of %d pass (the rest use inputs of other ranks, opsets or variants fovea lacks)", passed,
          tests);
    return test_finish();
}
