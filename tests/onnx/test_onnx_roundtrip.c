/* fovea -> ONNX -> fovea: for every opset written (11 to 17), models using every layer type that ONNX can
 * express come back as the same model (the same description, class names and normalization) giving the same
 * outputs bit for bit, in eval and in inference graphs; zoo models too. Also: the file written atomically
 * and read by fv_model_load, and the layers ONNX cannot express refused by name.
 * `test_onnx_roundtrip --ort DIR` writes each model (model_K.onnx) with an input and fovea's output (raw float32,
 * input_K.bin, output_K.bin, shapes in cases.txt) for tests/onnx/ort_check.js. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fovea/onnx.h"
#include "model_run.h"
#include "test.h"

/* Every layer type but the adaptive pool (which comes back as a plain one, below). */
static const char *const everything =
    "model everything\n"
    "input input shape=3x12x12\n"
    "conv2d c1 filters=8 kernel=3 padding=1\n"
    "batch_norm bn1 eps=0.001 momentum=0.2\n"
    "relu r1\n"
    "conv2d dw filters=8 kernel=3 stride=2 padding=same groups=8 bias=false\n"
    "hard_swish hs\n"
    "global_avg_pool se_pool\n"
    "conv2d se1 filters=4 kernel=1\n"
    "silu se_act\n"
    "conv2d se2 filters=8 kernel=1\n"
    "hard_sigmoid se_gate\n"
    "mul se from=hs,se_gate\n"
    "conv2d c3 filters=6 kernel=3 padding=valid dilation=2\n"
    "relu6 r6\n"
    "upsample up scale=3\n"
    "concat cat from=se,up\n"
    "lrn norm size=3 alpha=0.001 k=2\n"
    "pad pd padding=1x0x0x1 value=0.5\n"
    "max_pool mp kernel=3 stride=2 padding=1 ceil_mode=true\n"
    "avg_pool ap kernel=2 padding=1 count_include_pad=false\n"
    "conv_transpose2d ct filters=4 kernel=3 stride=2 padding=1 output_padding=1\n"
    "elu e alpha=0.5\n"
    "upsample bl mode=bilinear\n"
    "conv2d c4 filters=4 kernel=1 from=r1\n"
    "add res from=bl,c4\n"
    "upsample ac scale=1x2 mode=bilinear align_corners=true\n"
    "avg_pool sq kernel=1x2\n"
    "global_max_pool gmp\n"
    "dense d1 units=6\n"
    "batch_norm bn2\n"
    "tanh t\n"
    "dropout drop rate=0.3\n"
    "sigmoid sg\n"
    "leaky_relu lr alpha=0.2\n"
    "dense d2 units=5 bias=false\n"
    "softmax sm\n";

static const char *const features =
    "model features\n"
    "input x shape=20\n"
    "dense fc1 units=16\n"
    "silu sw\n"
    "dense fc2 units=8\n"
    "hard_swish hsw\n"
    "dense fc3 units=3\n"
    "softmax sm axis=-1\n";

static const char *const pools =
    "model pools\n"
    "input image shape=2x8x8\n"
    "conv2d c filters=4 kernel=3 padding=1\n"
    "adaptive_avg_pool a1 size=4x2\n"
    "adaptive_avg_pool a2 size=1 from=c\n"
    "flatten f from=a1\n"
    "flatten f2 from=a2\n"
    "concat cat from=f,f2\n"
    "dense fc units=3\n";

static uint64_t stream = 100;

/* Random weights and batch-norm statistics away from their defaults. */
static void randomize(fv_model *m)
{
    fv_model_init(m);
    for (int k = 0; k < fv_model_param_count(m); k++) {
        fv_param *p = fv_model_param(m, k);
        bool var = strstr(p->name, "running_var") != NULL, stat = var || strstr(p->name, "running_mean");
        for (int64_t i = 0; stat && i < p->value.size; i++)
            fv_f32(&p->value)[i] = fv_rng_uniform(9, stream, (uint64_t)i) * (var ? 1.5f : 1.0f) + (var ? 0.5f : -0.5f);
        stream++;
    }
}

static fv_tensor *input_for(fv_model *m, int64_t batch)
{
    int64_t shape[FV_MAX_DIMS] = {batch};
    int nd = fv_model_input_shape(m, shape + 1);
    fv_tensor *x = fv_tensor_new(fv_model_ctx(m), FV_F32, nd + 1, shape);
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(5, 6, (uint64_t)i) * 4 - 2;
    return x;
}

static bool same_outputs(fv_model *a, fv_model *b, bool inference)
{
    fv_tensor *x = input_for(a, 3), *ya = run_model(a, x, inference), *yb = run_model(b, x, inference);
    bool same = ya && yb && ya->size == yb->size && memcmp(ya->data, yb->data, (size_t)ya->size * 4) == 0;
    fv_tensor_free(x), fv_tensor_free(ya), fv_tensor_free(yb);
    return same;
}

/* Prints the first line where two descriptions differ. */
static bool same_description(fv_model *a, fv_model *b)
{
    char *da = fv_model_describe(a), *db = fv_model_describe(b);
    bool same = da && db && strcmp(da, db) == 0;
    if (!same && da && db) {
        const char *pa = da, *pb = db;
        while (*pa && *pa == *pb) pa++, pb++;
        while (pa > da && pa[-1] != '\n') pa--, pb--;
        printf("  first difference:\n  - %.*s\n  + %.*s\n", (int)strcspn(pa, "\n"), pa, (int)strcspn(pb, "\n"), pb);
    }
    free(da), free(db);
    return same;
}

/* The same layers (names, types, inputs, output shapes) and parameters (names, values); the descriptions may
 * still differ in how they say a thing (a pool's stride written or left to default to the kernel). */
static bool same_structure(fv_model *a, fv_model *b)
{
    int n = fv_model_layer_count(a);
    bool same = n == fv_model_layer_count(b) && fv_model_param_count(a) == fv_model_param_count(b);
    for (int i = 0; same && i < n; i++) {
        int64_t sa[FV_MAX_DIMS], sb[FV_MAX_DIMS];
        int ra = fv_model_layer_shape(a, i, sa), rb = fv_model_layer_shape(b, i, sb);
        same = !strcmp(fv_model_layer_name(a, i), fv_model_layer_name(b, i)) &&
               !strcmp(fv_model_layer_type(a, i), fv_model_layer_type(b, i)) && ra == rb &&
               !memcmp(sa, sb, (size_t)ra * sizeof *sa) &&
               fv_model_layer_input_count(a, i) == fv_model_layer_input_count(b, i);
        for (int k = 0; same && k < fv_model_layer_input_count(a, i); k++)
            same = fv_model_layer_input(a, i, k) == fv_model_layer_input(b, i, k);
        if (!same) printf("  layer %d: %s '%s' became %s '%s'\n", i, fv_model_layer_type(a, i),
                          fv_model_layer_name(a, i), fv_model_layer_type(b, i) ? fv_model_layer_type(b, i) : "-",
                          fv_model_layer_name(b, i) ? fv_model_layer_name(b, i) : "-");
    }
    for (int k = 0; same && k < fv_model_param_count(a); k++) {
        const fv_param *pa = fv_model_param(a, k), *pb = fv_model_param(b, k);
        same = !strcmp(pa->name, pb->name) && pa->value.size == pb->value.size &&
               !memcmp(pa->value.data, pb->value.data, (size_t)pa->value.size * 4);
        if (!same) printf("  parameter %s differs\n", pa->name);
    }
    return same;
}

/* exact 2: the same description; 1: the same layers and parameters; 0: the same outputs only. */
static void round_trip(fv_model *m, const char *what, int exact)
{
    fv_ctx *ctx = fv_model_ctx(m);
    for (int opset = FV_ONNX_MIN_OPSET; opset <= FV_ONNX_MAX_OPSET; opset++) {
        void *buf = NULL;
        size_t n = 0;
        fv_status s = fv_onnx_save_mem(m, opset, &buf, &n);
        fv_model *back = s ? NULL : fv_onnx_load_mem(ctx, buf, n, what);
        free(buf);
        if (!CHECK(back != NULL, "%s, opset %d: written (%zu bytes) and read back (%s)", what, opset, n, fv_errmsg(ctx)))
            continue;
        if (exact == 2) CHECK(same_description(m, back), "%s, opset %d: the same description", what, opset);
        if (exact == 1) CHECK(same_structure(m, back), "%s, opset %d: the same layers and parameters", what, opset);
        CHECK(same_outputs(m, back, false) && same_outputs(m, back, true), "%s, opset %d: the same outputs bit for bit "
              "(eval and inference graphs)", what, opset);
        fv_model_free(back);
    }
}

static fv_model *parsed(fv_ctx *ctx, const char *text)
{
    fv_model *m = fv_model_parse(ctx, text, "test");
    if (!m) printf("  %s\n", fv_errmsg(ctx));
    else randomize(m);
    return m;
}

static void test_metadata_and_files(fv_ctx *ctx)
{
    fv_model *m = parsed(ctx, everything);
    const char *names[] = {"cat", "dog", "bird", "fish", "frog"};
    float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    if (!CHECK(m && !fv_model_set_class_names(m, names, 5) && !fv_model_set_normalization(m, mean, std, 3),
               "a model with class names and normalization")) {
        fv_model_free(m);
        return;
    }
    char dir[] = "/tmp/fovea_onnx_XXXXXX", path[100];
    CHECK(mkdtemp(dir) != NULL, "a temporary directory");
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    CHECK(fv_onnx_save(m, path, 0) == FV_OK, "saved to %s at the default opset (%s)", path, fv_errmsg(ctx));
    CHECK(fv_onnx_save(m, path, 0) == FV_OK, "saved again over the old file");
    fv_model *back = fv_model_load(ctx, path); /* fv_model_load knows .onnx */
    float bm[3], bs[3];
    bool meta = back && fv_model_class_name(back, 4) && strcmp(fv_model_class_name(back, 4), "frog") == 0 &&
                fv_model_normalization(back, bm, bs, 3) == 3 && memcmp(bm, mean, sizeof bm) == 0 &&
                memcmp(bs, std, sizeof bs) == 0;
    CHECK(meta, "fv_model_load reads the .onnx with its class names and normalization (%s)", fv_errmsg(ctx));
    CHECK(back && same_description(m, back) && same_outputs(m, back, false), "the same model");
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir);
    CHECK(system(cmd) == 0, "no temporary file left beside it");
    CHECK(fv_onnx_save(m, "/nonexistent/dir/model.onnx", 13) == FV_ERR_IO && strstr(fv_errmsg(ctx), "/nonexistent/dir"),
          "an unwritable path: %s", fv_errmsg(ctx));
    unlink(path);
    rmdir(dir);
    fv_model_free(back);
    fv_model_free(m);
}

static void test_refusals(fv_ctx *ctx)
{
    fv_model *m = parsed(ctx, features);
    void *buf = NULL;
    size_t n;
    CHECK(m && fv_onnx_save_mem(m, 10, &buf, &n) == FV_ERR_ARG && fv_onnx_save_mem(m, 19, &buf, &n) == FV_ERR_ARG &&
          strstr(fv_errmsg(ctx), "opsets 11 to 18"), "opsets 10 and 19 refused: %s", fv_errmsg(ctx));
    fv_model_free(m);
    const char *bad[][2] = {{"input x shape=4x5x5\nlrn n size=4\n", "lrn 'n': an even size"},
                            {"input x shape=4x5x5\nadaptive_avg_pool a size=2\n", "adaptive_avg_pool 'a'"},
                            {"input x shape=4x5x5\nsoftmax s\n", "before opset 13"}};
    for (int k = 0; k < 3; k++) {
        m = parsed(ctx, bad[k][0]);
        fv_status s = m ? fv_onnx_save_mem(m, k == 2 ? 12 : 13, &buf, &n) : FV_ERR_ARG;
        CHECK(s == FV_ERR_UNSUPPORTED && strstr(fv_errmsg(ctx), bad[k][1]), "refused: %s", fv_errmsg(ctx));
        fv_model_free(m);
    }
}

/* Files for tests/onnx/ort_check.js: onnxruntime runs fovea's exports. Case K: model_K.onnx, input_K.bin and
 * output_K.bin (raw float32), and a line "K name opset NxCxHxW" in cases.txt. */
static int write_case(const char *dir, FILE *list, int k, fv_model *m, const char *name, int opset)
{
    char path[600];
    fv_tensor *x = input_for(m, 2), *y = run_model(m, x, false);
    snprintf(path, sizeof path, "%s/model_%d.onnx", dir, k);
    int bad = !y || fv_onnx_save(m, path, opset) != FV_OK;
    const fv_tensor *t[2] = {x, y};
    for (int j = 0; j < 2 && !bad; j++) {
        snprintf(path, sizeof path, "%s/%s_%d.bin", dir, j ? "output" : "input", k);
        FILE *f = fopen(path, "wb");
        bad = !f || fwrite(t[j]->data, 4, (size_t)t[j]->size, f) != (size_t)t[j]->size;
        if (f) fclose(f);
    }
    fprintf(list, "%d %s %d", k, name, opset);
    for (int d = 0; d < x->ndim; d++) fprintf(list, "%s%lld", d ? "x" : " ", (long long)x->shape[d]);
    fprintf(list, "\n");
    fv_tensor_free(x), fv_tensor_free(y);
    return bad;
}

/* General tensor layers of every family in one network (layer norm needs opset 17, group norm 18). */
static const char *const tensors =
    "model tensors\n"
    "input input shape=4x6x8\n"
    "transpose t perm=0,2,1,3\n"
    "reshape r shape=0,24,8\n"
    "layer_norm ln\n"
    "transpose tt perm=0,2,1\n"
    "matmul scores from=ln,tt\n"
    "softmax sm axis=-1\n"
    "matmul att from=sm,ln\n"
    "reduce_mean rm axes=-1 keepdims=true\n"
    "sub centered from=att,rm\n"
    "erf er\n"
    "clip cl min=-0.5 max=2\n"
    "slice sl starts=1 ends=20 axes=1 steps=2\n"
    "pad_nd pn pads=0,0,1,0,0,2 mode=reflect\n"
    "tile tl repeats=1,2,1\n"
    "unsqueeze us axes=1\n"
    "resize rs size=13x7 mode=linear\n"
    "group_norm gn groups=1\n"
    "squeeze sq axes=1\n"
    "reduce_max rx axes=2 keepdims=false\n"
    "prelu pr channels=1\n"
    "abs ab\n"
    "sqrt sr\n"
    "log_softmax ls axis=1\n";

static int write_ort_cases(const char *dir)
{
    fv_ctx *ctx = fv_ctx_new(3);
    char path[600];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    FILE *list = fopen(path, "w");
    if (!list) return 1;
    int k = 0, bad = 0;
    const char *texts[] = {everything, features, pools};
    for (int t = 0; t < 3; t++) {
        fv_model *m = parsed(ctx, texts[t]);
        for (int opset = FV_ONNX_MIN_OPSET; m && opset <= FV_ONNX_MAX_OPSET; opset += t ? 2 : 1)
            bad |= write_case(dir, list, k++, m, fv_model_name(m), opset);
        bad |= !m;
        fv_model_free(m);
    }
    fv_model *tm = parsed(ctx, tensors);
    bad |= !tm || write_case(dir, list, k++, tm, "tensors", 18);
    fv_model_free(tm);
    const char *zoo[] = {"resnet18", "mobilenet_v3_small", "efficientnet_b0", "googlenet"};
    for (int z = 0; z < 4; z++) {
        fv_model *m = fv_model_by_name(ctx, zoo[z], 3, 64, 64, 10);
        if (m) randomize(m);
        bad |= !m || write_case(dir, list, k++, m, zoo[z], 13 + 2 * (z % 3));
        fv_model_free(m);
    }
    fclose(list);
    fv_ctx_free(ctx);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--ort") == 0) return write_ort_cases(argv[2]);
    fv_ctx *ctx = fv_ctx_new(11);
    const char *texts[] = {everything, features};
    for (int k = 0; k < 2; k++) {
        fv_model *m = parsed(ctx, texts[k]);
        if (CHECK(m != NULL, "model '%s' builds", m ? fv_model_name(m) : "?")) round_trip(m, fv_model_name(m), 2);
        fv_model_free(m);
    }
    fv_model *m = parsed(ctx, pools); /* adaptive pools come back as avg_pool and global_avg_pool layers */
    if (CHECK(m != NULL, "model 'pools' builds")) round_trip(m, "pools", 0);
    fv_model_free(m);
    const char *zoo[] = {"fmnist-cnn", "resnet18", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
                         "googlenet", "mobilenet_v1"};
    for (int k = 0; k < 7; k++) {
        m = k ? fv_model_by_name(ctx, zoo[k], 3, 32, 32, 10) : fv_model_by_name(ctx, zoo[k], 0, 0, 0, 0);
        if (!CHECK(m != NULL, "zoo model %s (%s)", zoo[k], fv_errmsg(ctx))) continue;
        randomize(m);
        void *buf = NULL;
        size_t n = 0;
        fv_model *back = fv_onnx_save_mem(m, 13, &buf, &n) ? NULL : fv_onnx_load_mem(ctx, buf, n, zoo[k]);
        free(buf);
        CHECK(back && same_structure(m, back), "%s: the same layers and parameters after ONNX (%zu bytes; %s)", zoo[k],
              n, fv_errmsg(ctx));
        CHECK(back && same_outputs(m, back, false), "%s: the same outputs bit for bit", zoo[k]);
        fv_model_free(back);
        fv_model_free(m);
    }
    test_metadata_and_files(ctx);
    test_refusals(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
