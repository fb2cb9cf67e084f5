/* ONNX import: PyTorch's exports of small networks (tests/reference/gen_onnx.py, opsets 13 and 17) give
 * PyTorch's outputs within 1e-4 of the largest output, in eval graphs and inference graphs and for another batch
 * size; hand-built models check the forms PyTorch does not write (auto_pad, Gemm's alpha, beta and transB,
 * opset-9 Clip and Upsample, Reshape and Squeeze forms, static batch, unsorted nodes, Dropout, Identity). */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fovea/onnx.h"
#include "pb.h"
#include "model_run.h"
#include "test.h"

#define ONNX_FIXTURES FIXTURE_DIR "/onnx"

/* The first rows of t (a smaller batch). */
static fv_tensor *rows(fv_ctx *ctx, const fv_tensor *t, int64_t n)
{
    int64_t shape[FV_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[0] = n;
    return fv_tensor_from(ctx, FV_F32, t->ndim, shape, t->data);
}

/* The zoo model named by an exported file (vgg11_bn_op13.onnx: vgg11_bn) for x's size and want's classes, with
 * the weights of m, the import: PyTorch's output in an eval graph at x's batch, and in an inference graph (its
 * batch norms folded by fovea) for x1, the first row. */
static void check_zoo(fv_model *m, const char *file, const fv_tensor *x, const fv_tensor *x1, const fv_tensor *want)
{
    char name[200];
    snprintf(name, sizeof name, "%s", file);
    char *op = strstr(name, "_op");
    if (op) *op = 0;
    fv_zoo_options opt = fv_zoo_defaults();
    opt.num_classes = (int)want->shape[1];
    opt.channels = (int)x->shape[1], opt.height = (int)x->shape[2], opt.width = (int)x->shape[3];
    fv_ctx *ctx = fv_model_ctx(m);
    fv_model *zoo = fv_zoo_build(ctx, name, &opt);
    if (!CHECK(zoo, "zoo %s builds for %dx%d%s%s", name, opt.height, opt.width, zoo ? "" : ": ",
               zoo ? "" : fv_errmsg(ctx))) return;
    fv_status st = fv_model_copy_weights(zoo, m);
    if (CHECK(st == FV_OK, "zoo %s takes the weights of %s%s%s", name, file, st == FV_OK ? "" : ": ",
              st == FV_OK ? "" : fv_errmsg(ctx))) {
        for (int inference = 0; inference < 2; inference++) {
            const fv_tensor *in = inference ? x1 : x;
            fv_tensor *y = run_model(zoo, in, inference);
            double err = y ? rel_error(fv_f32(y), fv_f32(want), y->size) : 1.0;
            CHECK(y && y->size == want->size / x->shape[0] * in->shape[0] && err <= 1e-4, "zoo %s with %s's weights "
                  "equals PyTorch's output: %s graph, batch %d (relative error %.2g)", name, file,
                  inference ? "inference" : "eval", (int)in->shape[0], err);
            fv_tensor_free(y);
        }
    }
    fv_model_free(zoo);
}

/* An exported model (fvx: its input and PyTorch's output) in an eval graph at the saved batch and at batch 1, and
 * in an inference graph at the saved batch. torchvision (the large models of --dir, whose batch norms PyTorch's
 * export folded): instead of the inference graph, fv_zoo_build's model of the same name with the imported
 * weights, whose inference graph folds them again. */
static void check_fixture(const char *fvx, bool torchvision)
{
    char path[600], name[200];
    snprintf(path, sizeof path, "%.*s.onnx", (int)(strlen(fvx) - 4), fvx);
    snprintf(name, sizeof name, "%s", strrchr(path, '/') + 1);
    fx_file *fx = fx_load(fvx);
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_onnx_load(ctx, path);
    if (!CHECK(fx && m, "%s loads%s%s", name, m ? "" : ": ", m ? "" : fv_errmsg(ctx))) goto done;
    const fv_tensor *x = fx_get(fx, "in:input"), *want = fx_get(fx, "out");
    fv_tensor *x1 = rows(ctx, x, 1);
    int n = (int)x->shape[0];
    /* a reference that does not vary (a network whose head starts at zero) would let any answer of the same
     * constant pass: each sample's outputs must differ */
    int64_t per = want->size / n;
    bool varies = per < 2;
    for (int64_t i = 1; !varies && i < want->size; i++) varies = fv_f32(want)[i] != fv_f32(want)[i - i % per];
    CHECK(varies, "%s: PyTorch's outputs vary within each sample (a test of the whole network)", name);
    for (int i = 0; i < (torchvision ? 2 : 3); i++) { /* eval at n, eval at 1, inference at n */
        bool one = i == 1, inference = i == 2;
        fv_tensor *y = run_model(m, one ? x1 : x, inference);
        double err = y ? rel_error(fv_f32(y), fv_f32(want), y->size) : 1.0;
        CHECK(y && y->size == (one ? want->size / n : want->size) && err <= 1e-4, "%s: %s graph, batch %d%s equals "
              "PyTorch's output (relative error %.2g)", name, inference ? "inference" : "eval", one ? 1 : n,
              one ? " (the first input)" : "", err);
        fv_tensor_free(y);
    }
    if (torchvision) check_zoo(m, name, x, x1, want);
    fv_tensor_free(x1);
done:
    fv_model_free(m);
    fv_ctx_free(ctx);
    fx_free(fx);
}

/* Whether the model's description holds every line of want ("conv2d c filters=2 ..." lines, in order). */
static bool describes(fv_model *m, const char *want)
{
    char *d = fv_model_describe(m);
    bool ok = d != NULL;
    const char *at = d;
    char buf[2000];
    snprintf(buf, sizeof buf, "%s", want);
    for (char *line = strtok(buf, "\n"); ok && line; line = strtok(NULL, "\n")) {
        const char *hit = strstr(at, line);
        ok = hit && (hit == d || hit[-1] == '\n') && (hit[strlen(line)] == '\n' || !hit[strlen(line)]);
        if (ok) at = hit + strlen(line);
    }
    if (!ok && d) printf("  description:\n%s  expected, in order:\n%s\n", d, want);
    free(d);
    return ok;
}

/* A one-node graph around op: input x of dims xd (batch dynamic when xd[0] < 0), output y. */
static pb graph_of(pb *node, int ndim, const int64_t *xd, pb *inits, int n_inits)
{
    pb g = {0}, vi = pb_value_info("x", ndim, xd), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 1, node);
    pb_str(&g, 2, "hand");
    for (int i = 0; i < n_inits; i++) pb_msg(&g, 5, &inits[i]);
    pb_msg(&g, 11, &vi);
    pb_msg(&g, 12, &vo);
    return g;
}

static fv_model *load_model(fv_ctx *ctx, pb *model, const char *name)
{
    fv_model *m = fv_onnx_load_mem(ctx, model->b, model->n, name);
    free(model->b);
    memset(model, 0, sizeof *model);
    if (!m) printf("  %s: %s\n", name, fv_errmsg(ctx));
    return m;
}

static fv_tensor *pattern_input(fv_ctx *ctx, int ndim, const int64_t *shape)
{
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, ndim, shape);
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(3, 4, (uint64_t)i) * 4 - 2;
    return x;
}

static void test_auto_pad(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const char *modes[] = {"SAME_LOWER", "SAME_UPPER", "VALID"};
    const char *want[] = {"conv2d y filters=2 kernel=3 stride=2 padding=1x1x0x0",
                          "conv2d y filters=2 kernel=3 stride=2 padding=same",
                          "conv2d y filters=2 kernel=3 stride=2 padding=valid bias=false"};
    for (int k = 0; k < 3; k++) {
        int64_t xd[4] = {-1, 1, 6, 6}, wd[4] = {2, 1, 3, 3}, bd[1] = {2}, strides[2] = {2, 2};
        pb nd = pb_node("Conv", "y", k < 2 ? "x,w,b" : "x,w", "y");
        pb_attr_string(&nd, "auto_pad", modes[k]);
        pb_attr_ints(&nd, "strides", 2, strides);
        pb inits[2] = {pb_ftensor("w", 4, wd), pb_ftensor("b", 1, bd)};
        pb g = graph_of(&nd, 4, xd, inits, k < 2 ? 2 : 1), mod = pb_model(13, &g);
        free(k < 2 ? NULL : inits[1].b);
        fv_model *m = load_model(ctx, &mod, modes[k]);
        CHECK(m && describes(m, want[k]), "Conv auto_pad=%s: %s", modes[k], want[k]);
        fv_model_free(m);
    }
    fv_ctx_free(ctx);
}

/* Gemm with transB=0, alpha and beta: the same numbers as a dense layer with W^T * alpha and C * beta. */
static void test_gemm_forms(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    int64_t xd[2] = {-1, 4}, wd[2] = {4, 3}, cd[2] = {1, 3};
    pb nd = pb_node("Gemm", "fc", "x,fc.weight,c", "y");
    pb_attr_float(&nd, "alpha", 0.5f), pb_attr_float(&nd, "beta", 2.0f), pb_attr_int(&nd, "transB", 0);
    pb inits[2] = {pb_ftensor("fc.weight", 2, wd), pb_ftensor("c", 2, cd)};
    pb g = graph_of(&nd, 2, xd, inits, 2), mod = pb_model(13, &g);
    fv_model *m = load_model(ctx, &mod, "gemm");
    fv_model *ref = fv_model_parse(ctx, "input x shape=4\ndense fc units=3\n", "ref");
    if (CHECK(m && ref && describes(m, "dense fc units=3"), "Gemm transB=0 is a dense layer named after its weight")) {
        float *w = fv_f32(&fv_model_find_param(ref, "fc.weight")->value), *b = fv_f32(&fv_model_find_param(ref, "fc.bias")->value);
        for (int k = 0; k < 4; k++) /* onnx (in=4, out=3) pattern value k*3+o -> dense (out, in) */
            for (int o = 0; o < 3; o++) w[o * 4 + k] = 0.5f * ((float)(((k * 3 + o) * 7919) % 97) / 97.0f - 0.5f);
        for (int o = 0; o < 3; o++) b[o] = 2.0f * ((float)((o * 7919) % 97) / 97.0f - 0.5f);
        int64_t shape[2] = {3, 4};
        fv_tensor *x = pattern_input(ctx, 2, shape), *y = run_model(m, x, false), *yr = run_model(ref, x, false);
        CHECK(y && yr && rel_error(fv_f32(y), fv_f32(yr), y->size) == 0, "Gemm alpha=0.5 beta=2: W^T*alpha, C*beta");
        fv_tensor_free(x), fv_tensor_free(y), fv_tensor_free(yr);
    }
    fv_model_free(m), fv_model_free(ref);
    fv_ctx_free(ctx);
}

/* Opset 9: Clip's bounds and Upsample's scales in attributes and inputs; unsorted nodes; static batch. */
static void test_old_forms(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    int64_t xd[4] = {1, 2, 3, 3};
    float scales[4] = {1, 1, 2, 3};
    int64_t sd[1] = {4};
    pb g = {0}, vi = pb_value_info("x", 4, xd), vo = pb_value_info("u", 0, NULL);
    pb up = pb_node("Upsample", "up", "c,s", "u"), clip = pb_node("Clip", "clip", "x", "c");
    pb_attr_float(&clip, "min", 0.0f), pb_attr_float(&clip, "max", 6.0f);
    pb_attr_string(&up, "mode", "nearest");
    pb s = pb_tensor("s", PB_FLOAT, 1, sd, scales, sizeof scales);
    pb_msg(&g, 1, &up); /* the reader comes first: the importer orders the nodes itself */
    pb_msg(&g, 1, &clip);
    pb_msg(&g, 5, &s);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb mod = pb_model(9, &g);
    fv_model *m = load_model(ctx, &mod, "opset9");
    CHECK(m && describes(m, "relu6 clip\nupsample up scale=2x3"), "opset 9: Clip(min 0, max 6) is relu6, Upsample "
          "by scales 2x3, nodes given out of order");
    int64_t shape[4] = {3, 2, 3, 3};
    fv_tensor *x = pattern_input(ctx, 4, shape), *y = m ? run_model(m, x, false) : NULL;
    CHECK(y && y->shape[0] == 3 && y->shape[2] == 6 && y->shape[3] == 9, "a model exported with batch 1 runs a batch of 3");
    fv_tensor_free(x), fv_tensor_free(y);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* Reshape to (-1, F), (0, -1) and to its own shape; Squeeze of a pooled map; Dropout and Identity. */
static void test_shapes(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    int64_t xd[4] = {-1, 3, 2, 2}, s1[2] = {-1, 12}, s2[2] = {0, -1}, s3[4] = {0, 3, 2, 2}, axes[2] = {2, 3};
    float ratio = 0.25f;
    pb g = {0}, vi = pb_value_info("x", 4, xd), vo = pb_value_info("out", 0, NULL);
    pb n1 = pb_node("Reshape", "same", "x,s3", "r0"), n2 = pb_node("GlobalMaxPool", "gmp", "r0", "p");
    pb n3 = pb_node("Squeeze", "sq", "p", "q"), n4 = pb_node("Reshape", "r1", "r0,s1", "a");
    pb n5 = pb_node("Reshape", "r2", "r0,s2", "b"), n6 = pb_node("Dropout", "drop", "a,ratio", "d");
    pb n7 = pb_node("Identity", "id", "b", "e"), n8 = pb_node("Concat", "cat", "d,e,q", "out");
    pb_attr_ints(&n3, "axes", 2, axes);
    pb_attr_int(&n8, "axis", 1);
    pb inits[4] = {pb_itensor("s1", 2, s1), pb_itensor("s2", 2, s2), pb_itensor("s3", 4, s3),
                   pb_tensor("ratio", PB_FLOAT, 0, NULL, &ratio, 4)};
    pb *nodes[] = {&n1, &n2, &n3, &n4, &n5, &n6, &n7, &n8};
    for (int i = 0; i < 8; i++) pb_msg(&g, 1, nodes[i]);
    for (int i = 0; i < 4; i++) pb_msg(&g, 5, &inits[i]);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb mod = pb_model(11, &g); /* Squeeze's axes as an attribute */
    fv_model *m = load_model(ctx, &mod, "shapes");
    CHECK(m && describes(m, "global_max_pool gmp\nflatten sq\nflatten r1 from=x\nflatten r2 from=x\n"
                            "dropout drop rate=0.25 from=r1\nconcat cat from=drop,r2,sq"),
          "Reshape to (-1, 12) and (0, -1) are flatten layers, to its own shape nothing; Squeeze of (N, 3, 1, 1) "
          "flattens; Dropout keeps its rate; Identity is nothing");
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* x * Sigmoid(x) is silu only when the sigmoid has no other reader. */
static void test_fusion_limits(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    int64_t xd[4] = {-1, 2, 3, 3};
    pb g = {0}, vi = pb_value_info("x", 4, xd), vo = pb_value_info("out", 0, NULL);
    pb n1 = pb_node("Sigmoid", "sig", "x", "s"), n2 = pb_node("Mul", "swish", "x,s", "m");
    pb n3 = pb_node("Add", "sum", "m,s", "out");
    pb_msg(&g, 1, &n1), pb_msg(&g, 1, &n2), pb_msg(&g, 1, &n3);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb mod = pb_model(13, &g);
    fv_model *m = load_model(ctx, &mod, "fusion");
    CHECK(m && describes(m, "sigmoid sig\nmul swish from=x,sig\nadd sum from=swish,sig"),
          "a sigmoid read twice stays a layer (no silu)");
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    char **paths;
    /* tests/onnx/test_onnx_torchvision.sh (--dir: and the zoo's model of each name), test_onnx_modern.sh
     * (--models: architectures the zoo does not build) */
    if (argc == 3 && (strcmp(argv[1], "--dir") == 0 || strcmp(argv[1], "--models") == 0)) {
        int n = fx_list(argv[2], "", &paths);
        CHECK(n > 0, "%d exported models in %s", n, argv[2]);
        for (int i = 0; i < n; i++) check_fixture(paths[i], strcmp(argv[1], "--dir") == 0);
        fx_list_free(paths, n);
        return test_finish();
    }
    int n = fx_list(ONNX_FIXTURES, "", &paths);
    CHECK(n >= 8, "%d ONNX fixtures in " ONNX_FIXTURES, n);
    for (int i = 0; i < n; i++) check_fixture(paths[i], false);
    fx_list_free(paths, n);

    /* structure that PyTorch's names and patterns give */
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_onnx_load(ctx, ONNX_FIXTURES "/mobile_op13.onnx");
    CHECK(m && describes(m, "conv2d stem filters=8 kernel=3 stride=2 padding=1\nhard_swish hard_swish\n"
                            "silu silu\nmul mul from=silu,hard_sigmoid\nadd add from=pw,hard_swish\n"
                            "dense dense units=7"),
          "opset 13: HardSigmoid * x is hard_swish, Sigmoid * x silu, SE's Mul and the residual Add are layers, "
          "MatMul + Add one dense layer");
    fv_model_free(m);
    m = fv_onnx_load(ctx, ONNX_FIXTURES "/plain_op17.onnx");
    CHECK(m && describes(m, "conv2d conv1 filters=8 kernel=3 padding=1\nmax_pool max_pool kernel=3 stride=2 "
                            "padding=1 ceil_mode=true\nbatch_norm bn3\npad pad padding=0x1x1x0 value=0.25\n"
                            "avg_pool avg_pool kernel=2 count_include_pad=false\nflatten flatten\ndense fc1 units=12\n"
                            "batch_norm bn4\n"),
          "conv1 + bn1 arrive fused (a conv with bias); other batch norms stay; Pad's pads and Reshape's shape are "
          "folded from shape arithmetic; layers are named after PyTorch's modules");
    fv_model_free(m);
    fv_ctx_free(ctx);

    test_auto_pad();
    test_gemm_forms();
    test_old_forms();
    test_shapes();
    test_fusion_limits();
    return test_finish();
}
