/* Hostile and broken ONNX files: each is refused with the right status and a message that names the file and
 * says what is wrong (and the node and operator where there is one); every prefix of a valid file is either
 * refused or loads, never crashes. */
#include <stdlib.h>
#include <string.h>

#include "fovea/onnx.h"
#include "pb.h"
#include "test.h"

/* x (N, 1, 6, 6) -> Conv c1 (2 filters 3x3) -> Relu -> Flatten -> Gemm fc (3 units). Parts can be replaced. */
typedef struct {
    int opset;
    const char *conv_op, *conv_domain, *extra_attr;
    int64_t w_dims[4];
    int w_ndim;
    size_t w_bytes;   /* raw_data length of the weight (0: the right one) */
    int64_t x_dims[4];
    int x_ndim;
    const char *conv_input, *relu_input, *output;
    bool second_output, second_input, no_graph, dup_output;
} spec;

static spec base(void)
{
    spec s = {.opset = 13, .conv_op = "Conv", .w_dims = {2, 1, 3, 3}, .w_ndim = 4, .x_dims = {-1, 1, 6, 6}, .x_ndim = 4,
              .conv_input = "x", .relu_input = "c", .output = "y"};
    return s;
}

static pb build(const spec *s)
{
    pb g = {0};
    pb conv = pb_node(s->conv_op, "c1", "", "c");
    pb_str(&conv, 1, s->conv_input), pb_str(&conv, 1, "c1.weight");
    if (s->conv_domain) pb_str(&conv, 7, s->conv_domain);
    if (s->extra_attr) pb_attr_int(&conv, s->extra_attr, 1);
    pb relu = pb_node("Relu", "r", s->relu_input, "r"), flat = pb_node("Flatten", "f", "r", "f");
    pb fc = pb_node("Gemm", "fc", "f,fc.weight,fc.bias", "y");
    pb_attr_int(&fc, "transB", 1);
    pb_msg(&g, 1, &conv), pb_msg(&g, 1, &relu), pb_msg(&g, 1, &flat), pb_msg(&g, 1, &fc);
    if (s->dup_output) {
        pb dup = pb_node("Relu", "dup", "x", "r");
        pb_msg(&g, 1, &dup);
    }
    int64_t n = 1; /* the element count, capped: some dimensions here are absurd on purpose */
    for (int d = 0; d < s->w_ndim; d++) n = s->w_dims[d] > 0 && s->w_dims[d] < 4096 && n < 4096 ? n * s->w_dims[d] : 4096;
    float *w = calloc((size_t)(n > 0 && n < 4096 ? n : 1), 4);
    size_t bytes = s->w_bytes ? s->w_bytes : (size_t)(n > 0 && n < 4096 ? n : 1) * 4;
    float *wb = calloc(bytes / 4 + 1, 4);
    pb wt = pb_tensor("c1.weight", PB_FLOAT, s->w_ndim, s->w_dims, wb, bytes);
    int64_t fcd[2] = {3, 32}, bd[1] = {3};
    pb fw = pb_ftensor("fc.weight", 2, fcd), fb = pb_ftensor("fc.bias", 1, bd);
    pb_msg(&g, 5, &wt), pb_msg(&g, 5, &fw), pb_msg(&g, 5, &fb);
    free(w), free(wb);
    pb vi = pb_value_info("x", s->x_ndim, s->x_dims), vo = pb_value_info(s->output, 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    if (s->second_input) {
        pb v2 = pb_value_info("x2", s->x_ndim, s->x_dims);
        pb_msg(&g, 11, &v2);
    }
    if (s->second_output) {
        pb v2 = pb_value_info("r", 0, NULL);
        pb_msg(&g, 12, &v2);
    }
    if (s->no_graph) {
        pb m = {0};
        pb_int(&m, 1, 7);
        free(g.b);
        return m;
    }
    return pb_model(s->opset, &g);
}

static int expect_bytes(const void *b, size_t n, const char *what, fv_status code, const char *phrase)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_model *m = fv_onnx_load_mem(ctx, b, n, "bad.onnx");
    const char *msg = fv_errmsg(ctx);
    int ok = CHECK(!m && fv_errcode(ctx) == code && strstr(msg, "bad.onnx") && (!phrase || strstr(msg, phrase)),
                   "%s: refused with status %d and '%s' (%s)", what, (int)code, phrase ? phrase : "", msg);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return ok;
}

static void expect(const spec *s, const char *what, fv_status code, const char *phrase)
{
    pb m = build(s);
    expect_bytes(m.b, m.n, what, code, phrase);
    free(m.b);
}

/* A graph whose node carries a graph attribute, nested depth times. */
static pb nested(int depth)
{
    pb g = {0};
    for (int i = 0; i < depth; i++) {
        pb a = {0}, nd = pb_node("If", "if", "x", "y"), outer = {0};
        pb_str(&a, 1, "then_branch");
        pb_msg(&a, 6, &g);
        pb_int(&a, 20, 5);
        pb_msg(&nd, 5, &a);
        pb_msg(&outer, 1, &nd);
        g = outer;
    }
    return pb_model(13, &g);
}

static void test_bytes(void)
{
    expect_bytes("", 0, "an empty file", FV_ERR_FORMAT, "empty");
    unsigned char noise[512];
    uint64_t st = 12345;
    for (size_t i = 0; i < sizeof noise; i++) st = st * 6364136223846793005ull + 1, noise[i] = (unsigned char)(st >> 56);
    expect_bytes(noise, sizeof noise, "random bytes", FV_ERR_FORMAT, "not a valid ONNX model");
    const char *text = "input x shape=1x28x28\nconv2d c filters=4 kernel=3\n";
    expect_bytes(text, strlen(text), "a text file", FV_ERR_FORMAT, "not a valid ONNX model");

    spec s = base();
    pb good = build(&s);
    /* a graph field that claims a million bytes */
    pb big = {0};
    pb_int(&big, 1, 7);
    pb_tag(&big, 7, 2), pb_varint(&big, 1000000), pb_raw(&big, good.b, 40);
    expect_bytes(big.b, big.n, "a length beyond the end of the file", FV_ERR_FORMAT, "beyond the end");
    free(big.b);
    pb deep = nested(200);
    expect_bytes(deep.b, deep.n, "graphs nested 200 deep", FV_ERR_FORMAT, "nested deeper");
    free(deep.b);
    pb ok_deep = nested(5);
    expect_bytes(ok_deep.b, ok_deep.n, "graphs nested 5 deep: past the depth check", FV_ERR_FORMAT, "node 'if' (If)");
    free(ok_deep.b);

    /* every prefix: refused with a message naming the file, or (cut at a field boundary) loaded */
    int refused = 0, loaded = 0, bad = 0;
    for (size_t n = 0; n < good.n; n++) {
        fv_ctx *ctx = fv_ctx_new(0);
        fv_model *m = fv_onnx_load_mem(ctx, good.b, n, "cut.onnx");
        if (m) loaded++;
        else if (strstr(fv_errmsg(ctx), "cut.onnx") && fv_errcode(ctx) != FV_OK) refused++;
        else bad++;
        fv_model_free(m);
        fv_ctx_free(ctx);
    }
    fv_ctx *ctx = fv_ctx_new(0);
    fv_model *m = fv_onnx_load_mem(ctx, good.b, good.n, "good.onnx");
    CHECK(m != NULL, "the untouched model loads (%s)", fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
    CHECK(bad == 0 && refused > 0, "%zu truncations: %d refused with a message naming the file, %d loaded, %d other",
          good.n, refused, loaded, bad);
    free(good.b);
}

static void test_graphs(void)
{
    spec s = base();
    s.relu_input = "f"; /* r reads f, f reads r */
    expect(&s, "a cycle", FV_ERR_FORMAT, "cycle through node");
    s = base(), s.conv_input = "nowhere";
    expect(&s, "a missing input", FV_ERR_FORMAT, "reads 'nowhere', which is neither");
    s = base(), s.output = "ghost";
    expect(&s, "an output no node makes", FV_ERR_FORMAT, "'ghost' is made by no node");
    s = base(), s.dup_output = true;
    expect(&s, "two nodes writing one tensor", FV_ERR_FORMAT, "tensor 'r' is defined twice (node 'dup' (Relu))");
    /* several inputs and outputs are models of several inputs and outputs */
    for (int two_in = 0; two_in < 2; two_in++) {
        s = base(), s.second_output = !two_in, s.second_input = two_in;
        pb m = build(&s);
        fv_ctx *ctx = fv_ctx_new(0);
        fv_model *mod = fv_onnx_load_mem(ctx, m.b, m.n, "two.onnx");
        CHECK(mod && fv_model_input_count(mod) == 1 + two_in && fv_model_output_count(mod) == 2 - two_in,
              "two graph %s load as a model of two (%s)", two_in ? "inputs" : "outputs", fv_errmsg(ctx));
        fv_model_free(mod);
        fv_ctx_free(ctx);
        free(m.b);
    }
    s = base(), s.no_graph = true;
    expect(&s, "no graph", FV_ERR_FORMAT, "no graph");
    s = base(), s.opset = 22;
    expect(&s, "opset 22", FV_ERR_UNSUPPORTED, "opset 22");
    s = base(), s.x_ndim = 3;
    expect(&s, "an input of rank 3", FV_ERR_UNSUPPORTED, "rank 3");
    s = base(), s.x_dims[2] = -1;
    expect(&s, "an input of unknown height", FV_ERR_UNSUPPORTED, "fixed input size");
}

static void test_tensors(void)
{
    spec s = base();
    s.w_bytes = 100;
    expect(&s, "raw_data shorter than its dimensions", FV_ERR_FORMAT, "has 100 bytes of raw_data for its 18 elements");
    s = base(), s.w_dims[1] = -2;
    expect(&s, "a negative dimension", FV_ERR_FORMAT, "dimension 1 of -2");
    s = base(), s.w_dims[0] = (int64_t)1 << 40, s.w_dims[1] = (int64_t)1 << 40;
    expect(&s, "dimensions whose product overflows", FV_ERR_FORMAT, "over 2^31 elements");
    s = base(), s.w_ndim = 3;
    expect(&s, "a convolution weight of rank 3", FV_ERR_UNSUPPORTED, "weight of rank 3");
    s = base(), s.w_dims[1] = 2;
    expect(&s, "a weight whose channels do not match the input", FV_ERR_SHAPE, "node 'c1' (Conv)");

    /* external data and float16 */
    int64_t d[1] = {2};
    for (int k = 0; k < 2; k++) {
        pb g = {0}, t = {0}, nd = pb_node("Relu", "r", "x", "y");
        pb_int(&t, 1, 2), pb_int(&t, 2, k ? 10 : 1), pb_str(&t, 8, "w");
        if (k == 0) {
            pb e = {0};
            pb_str(&e, 1, "location"), pb_str(&e, 2, "weights.bin");
            pb_msg(&t, 13, &e);
            pb_int(&t, 14, 1);
        } else {
            pb_bytes(&t, 9, "\0\0\0\0", 4);
        }
        pb vi = pb_value_info("x", 2, (int64_t[]){-1, 2}), vo = pb_value_info("y", 0, NULL);
        pb_msg(&g, 1, &nd), pb_msg(&g, 5, &t), pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
        pb m = pb_model(13, &g);
        expect_bytes(m.b, m.n, k ? "a float16 initializer" : "external data", FV_ERR_UNSUPPORTED,
                     k ? "data type float16" : "external file");
        free(m.b);
        (void)d;
    }
}

/* Issue 13: a folded Reshape to (2^62 + 1, 4) of a 4-element constant wrapped its element count to 4 and was
 * accepted; a Gather of row 1 then read past the constant's buffer (SIGSEGV, or heap bytes in a message). */
static void test_reshape_overflow(void)
{
    int64_t c[4] = {-1, 2, 0, 0}, huge[2] = {((int64_t)1 << 62) + 1, 4}, row = 1;
    for (int k = 0; k < 2; k++) {
        pb g = {0}, rs = pb_node("Reshape", "rs", "c,s", "r"), ga = pb_node("Gather", "ga", "r,i", "shape"),
           use = pb_node("Reshape", "out", "x,shape", "y");
        pb_msg(&g, 1, &rs), pb_msg(&g, 1, &ga), pb_msg(&g, 1, &use);
        int64_t two[2] = {4, ((int64_t)1 << 62) + 1}; /* k = 1: the same product, the huge factor last */
        pb ct = pb_itensor("c", 4, c), st = pb_itensor("s", 2, k ? two : huge);
        pb it = pb_tensor("i", PB_INT64, 0, NULL, &row, 8);
        pb_msg(&g, 5, &ct), pb_msg(&g, 5, &st), pb_msg(&g, 5, &it);
        pb vi = pb_value_info("x", 2, (int64_t[]){-1, 2}), vo = pb_value_info("y", 0, NULL);
        pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
        pb m = pb_model(13, &g);
        expect_bytes(m.b, m.n, "a Reshape whose element count overflows", FV_ERR_SHAPE, "more than 2^31 elements");
        free(m.b);
    }
}

/* Issue 13, fuzz_onnx's abort: an input declared as (N, 64, 16384, 16384) made model building allocate a 64 GiB
 * input tensor. A model's input is capped at 2^26 values per sample, refused before any allocation. */
static void test_huge_input(void)
{
    pb g = {0}, nd = pb_node("Relu", "r", "x", "y");
    pb_msg(&g, 1, &nd);
    pb vi = pb_value_info("x", 4, (int64_t[]){-1, 64, 16384, 16384}), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb m = pb_model(13, &g);
    expect_bytes(m.b, m.n, "an input of 2^34 values per sample", FV_ERR_ARG, "at most 2^26");
    free(m.b);
}

/* Found by fuzz_onnx (make fuzz): a folded Slice with a step of -(2^63 - 1) overflowed its element count. */
static void test_slice_step(void)
{
    int64_t c[4] = {-1, 1, 1, 2}, start = 3, end = INT64_MIN, step = INT64_MIN + 1;
    pb g = {0}, sl = pb_node("Slice", "sl", "c,st,en,ax,sp", "shape"), use = pb_node("Reshape", "out", "x,shape", "y");
    pb_msg(&g, 1, &sl), pb_msg(&g, 1, &use);
    int64_t zero = 0;
    pb ct = pb_itensor("c", 4, c), st = pb_itensor("st", 1, &start), en = pb_itensor("en", 1, &end),
       ax = pb_itensor("ax", 1, &zero), sp = pb_itensor("sp", 1, &step);
    pb_msg(&g, 5, &ct), pb_msg(&g, 5, &st), pb_msg(&g, 5, &en), pb_msg(&g, 5, &ax), pb_msg(&g, 5, &sp);
    pb vi = pb_value_info("x", 2, (int64_t[]){-1, 2}), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb m = pb_model(13, &g);
    /* the slice is the last element alone, (2): a fixed shape for a batched input, which fovea refuses */
    expect_bytes(m.b, m.n, "a Slice with a step of -(2^63 - 1)", FV_ERR_UNSUPPORTED, "shape (2)");
    free(m.b);
}

/* Found by fuzz_onnx: an empty list attribute (kernel_shape with no values) was copied from protobuf-c's NULL
 * array (undefined behaviour, stopped by UBSan); it is now refused like any wrong kernel_shape. */
static void test_empty_list_attribute(void)
{
    pb g = {0}, nd = pb_node("Conv", "cv", "x,w", "y");
    pb_attr_ints(&nd, "kernel_shape", 0, NULL);
    int64_t wd[4] = {1, 2, 1, 1};
    pb w = pb_ftensor("w", 4, wd);
    pb_msg(&g, 1, &nd), pb_msg(&g, 5, &w);
    pb vi = pb_value_info("x", 4, (int64_t[]){-1, 2, 3, 3}), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb m = pb_model(13, &g);
    expect_bytes(m.b, m.n, "an empty kernel_shape", FV_ERR_UNSUPPORTED, "kernel_shape");
    free(m.b);
}

/* Found by fuzz_onnx: a graph named "torch jit" was imported as model "torch_jit", which fovea's export wrote
 * and the importer then took for PyTorch's default name (the model came back named after the file). */
static void test_name_round_trip(void)
{
    pb g = {0}, nd = pb_node("Relu", "r", "x", "y");
    pb_msg(&g, 1, &nd);
    pb_str(&g, 2, "torch jit");
    pb vi = pb_value_info("x", 2, (int64_t[]){-1, 3}), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb m = pb_model(13, &g);
    fv_ctx *ctx = fv_ctx_new(0);
    fv_model *a = fv_onnx_load_mem(ctx, m.b, m.n, "named.onnx"), *b = NULL;
    void *buf = NULL;
    size_t n = 0;
    if (a && fv_onnx_save_mem(a, 0, &buf, &n) == FV_OK) b = fv_onnx_load_mem(ctx, buf, n, "again.onnx");
    CHECK(a && b && !strcmp(fv_model_name(a), "named") && !strcmp(fv_model_name(b), "named"),
          "a graph named 'torch jit' is named after its file, and keeps that name through export: '%s', '%s' (%s)",
          a ? fv_model_name(a) : "", b ? fv_model_name(b) : "", fv_errmsg(ctx));
    free(buf), free(m.b);
    fv_model_free(a), fv_model_free(b);
    fv_ctx_free(ctx);
}

static void test_operators(void)
{
    spec s = base();
    s.conv_op = "StringNormalizer";
    expect(&s, "an unknown operator", FV_ERR_UNSUPPORTED, "node 'c1' (StringNormalizer): operator not supported");
    s = base(), s.extra_attr = "bogus";
    expect(&s, "an unknown attribute", FV_ERR_UNSUPPORTED, "node 'c1' (Conv): attribute 'bogus' is not supported");
    s = base(), s.conv_domain = "com.microsoft";
    expect(&s, "another domain", FV_ERR_UNSUPPORTED, "domain 'com.microsoft'");

    /* Clip to two-valued bounds, an Add of a constant that does not broadcast, a Reshape fovea cannot do, a
     * kernel_shape of the wrong type */
    const char *cases[][3] = {{"Clip", "a clip bound of two values", "a bound that is not one float"},
                              {"Add", "a constant operand that does not broadcast", "do not broadcast"},
                              {"Reshape", "reshape of a batched map to the fixed (2, 9, 1)", "one batch size only"},
                              {"Conv", "kernel_shape given as a float", "attribute 'kernel_shape' should be a list"}};
    for (int k = 0; k < 4; k++) {
        pb g = {0}, nd, inits[2];
        int n_inits = 0;
        float lo[5] = {-1, -1, -1, -1, -1}, hi = 1;
        int64_t shape[3] = {2, 9, 1}, wd[4] = {1, 2, 1, 1}, two = 2, five = 5;
        if (k == 0) {
            nd = pb_node("Clip", "cl", "x,lo,hi", "y");
            inits[n_inits++] = pb_tensor("lo", PB_FLOAT, 1, &two, lo, 8);
            inits[n_inits++] = pb_tensor("hi", PB_FLOAT, 0, NULL, &hi, 4);
        } else if (k == 1) {
            nd = pb_node("Add", "ad", "x,lo", "y");
            inits[n_inits++] = pb_tensor("lo", PB_FLOAT, 1, &five, lo, 20);
        } else if (k == 2) {
            nd = pb_node("Reshape", "rs", "x,s", "y");
            inits[n_inits++] = pb_itensor("s", 3, shape);
        } else {
            nd = pb_node("Conv", "cv", "x,w", "y");
            pb_attr_float(&nd, "kernel_shape", 1.0f);
            inits[n_inits++] = pb_ftensor("w", 4, wd);
        }
        pb_msg(&g, 1, &nd);
        for (int i = 0; i < n_inits; i++) pb_msg(&g, 5, &inits[i]);
        pb vi = pb_value_info("x", 4, (int64_t[]){-1, 2, 3, 3}), vo = pb_value_info("y", 0, NULL);
        pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
        pb m = pb_model(13, &g);
        expect_bytes(m.b, m.n, cases[k][1], k == 3 ? FV_ERR_FORMAT : k == 1 ? FV_ERR_SHAPE : FV_ERR_UNSUPPORTED,
                     cases[k][2]);
        free(m.b);
    }
}

/* ONNX integers past what a layer key holds (a pad of 2^40, an axis or a size of 2^62 + 1) are refused by the
 * layer's checks, naming the node and the key, never wrapped into range or cut. */
static void test_huge_integers(void)
{
    const int64_t huge = ((int64_t)1 << 62) + 1;
    struct {
        const char *op, *what, *phrase;
        int n;
        int64_t v[8];
    } cases[] = {{"Pad", "a Pad of 2^40 rows", "padding=", 8, {0, 0, (int64_t)1 << 40, 0, 0, 0, 0, 0}},
                 {"ReduceSum", "a reduction over axis 2^62 + 1", "axes=", 1, {huge}},
                 {"Split", "a split size of 2^62 + 1", "sizes=", 2, {huge, 1}},
                 {"Expand", "an expand to 2^62 + 1", "shape=", 4, {1, 2, 3, huge}}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        bool split = !strcmp(cases[k].op, "Split");
        pb g = {0}, nd = pb_node(cases[k].op, "n", "x,c", split ? "y,z" : "y");
        if (split) pb_attr_int(&nd, "axis", 1);
        pb c = pb_itensor("c", cases[k].n, cases[k].v);
        pb_msg(&g, 1, &nd), pb_msg(&g, 5, &c);
        pb vi = pb_value_info("x", 4, (int64_t[]){-1, 2, 3, 3}), vo = pb_value_info("y", 0, NULL);
        pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
        pb m = pb_model(13, &g);
        char phrase[96];
        snprintf(phrase, sizeof phrase, "node 'n' (%s): ", cases[k].op);
        expect_bytes(m.b, m.n, cases[k].what, FV_ERR_ARG, phrase);
        expect_bytes(m.b, m.n, cases[k].what, FV_ERR_ARG, cases[k].phrase);
        free(m.b);
    }
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    CHECK(!fv_onnx_load(ctx, "/nonexistent/model.onnx") && fv_errcode(ctx) == FV_ERR_IO &&
          strstr(fv_errmsg(ctx), "/nonexistent/model.onnx"), "a missing file: %s", fv_errmsg(ctx));
    CHECK(!fv_onnx_load(ctx, "tests") && fv_errcode(ctx) != FV_OK && strstr(fv_errmsg(ctx), "tests"),
          "a directory: %s", fv_errmsg(ctx));
    fv_ctx_free(ctx);
    test_bytes();
    test_graphs();
    test_tensors();
    test_operators();
    test_reshape_overflow();
    test_huge_input();
    test_slice_step();
    test_empty_list_attribute();
    test_name_round_trip();
    test_huge_integers();
    return test_finish();
}
