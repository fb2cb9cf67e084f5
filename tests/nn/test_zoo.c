/* The model zoo: every model builds, with torchvision's parameter counts, names and shapes (Keras' counts
 * for mobilenet_v1); include_top, pooling, input size, num_classes and width options; clear errors; the
 * descriptions round-trip; resnet18 and mobilenet_v2 run forward in eval mode; building is fast. Figures from
 * tests/reference/zoo_counts.py (torchvision 0.14.1), written here as constants: the suite needs no Python. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fovea.h"
#include "test.h"

typedef struct {
    const char *name;
    int64_t trainable, non_trainable, headless; /* headless: trainable without the top */
    uint64_t digest;                            /* names and shapes, as zoo_counts.py computes it */
} zoo_ref;

/* tests/reference/zoo_counts.py, torchvision 0.14.1 */
static const zoo_ref refs[] = {
    {"alexnet", 61100840, 0, 2469696, 0x392a66cda60f863bull},
    {"vgg11", 132863336, 0, 9220480, 0x88a9f7ab1431427cull},
    {"vgg11_bn", 132868840, 5504, 9225984, 0x2408e81fc4950706ull},
    {"vgg13", 133047848, 0, 9404992, 0xc034b85cf479dc0full},
    {"vgg13_bn", 133053736, 5888, 9410880, 0x55b78f2859f7badfull},
    {"vgg16", 138357544, 0, 14714688, 0xfdf0a480a6b74573ull},
    {"vgg16_bn", 138365992, 8448, 14723136, 0x2e4098e64108d542ull},
    {"vgg19", 143667240, 0, 20024384, 0x2cb82e51a697d48bull},
    {"vgg19_bn", 143678248, 11008, 20035392, 0x6f6de9443c7e43c3ull},
    {"googlenet", 6624904, 14560, 5599904, 0x8e14a3b0c2b6e4d9ull},
    {"resnet18", 11689512, 9600, 11176512, 0x7e64a9a362ea0b09ull},
    {"resnet34", 21797672, 17024, 21284672, 0x527fc739571580f1ull},
    {"resnet50", 25557032, 53120, 23508032, 0x53f938264c1921b3ull},
    {"resnet101", 44549160, 105344, 42500160, 0xca270e98b60b852full},
    {"resnet152", 60192808, 151424, 58143808, 0xd15ed0e7411383f4ull},
    {"mobilenet_v2", 3504872, 34112, 2223872, 0xa91ce9bb16c9a15aull},
    {"mobilenet_v3_small", 2542856, 12112, 927008, 0x45ffe88883938c34ull},
    {"mobilenet_v3_large", 5483032, 24400, 2971952, 0xa417600c4986bb2full},
    {"efficientnet_b0", 5288548, 42016, 4007548, 0x895ea27cd3c6999cull},
    {"efficientnet_b1", 7794184, 62048, 6513184, 0xb0570c3c950ca8fcull},
    {"efficientnet_b2", 9109994, 67568, 7700994, 0x50aad06647cc4d6dull},
    {"efficientnet_b3", 12233232, 87296, 10696232, 0x02c1642058ff91acull},
    {"efficientnet_b4", 19341616, 125200, 17548616, 0x1dded4afff8cab66ull},
    {"efficientnet_b5", 30389784, 172736, 28340784, 0xa87d6955a1178fc4ull},
    {"efficientnet_b6", 43040704, 224432, 40735704, 0x446fe6150a173946ull},
    {"efficientnet_b7", 66347960, 310720, 63786960, 0x081a489b25ebbddfull},
    /* Keras' MobileNet(alpha=1.0): 4,231,976 trainable, 21,888 non-trainable; 3,206,976 without the top */
    {"mobilenet_v1", 4231976, 21888, 3206976, 0},
    /* the U-Net of tests/reference/gen_unet.py (482,619 at 1 channel, 11 classes; test_unet.c) at 3 channels and
     * 1000 classes: 144 * 2 = 288 more in enc1.conv1, 989 * 17 = 16,813 more in the head */
    {"unet", 499720, 1408, 482720, 0},
    /* segmentation (21 classes, aux_loss=False); the FCN-VGG16 nets from tests/reference/gen_fcn.py */
    {"fcn_resnet50", 32957013, 54144, 23508032, 0x98d9c3365451c795ull},
    {"deeplabv3_mobilenet_v3_large", 11025477, 27984, 2971952, 0x2c5807140759e1d4ull},
    {"lraspp_mobilenet_v3_large", 3221538, 24656, 2971952, 0xb93779da611b30ddull},
    {"fcn32s", 136152917, 0, 14714688, 0xa54d93d3256d6e10ull},
    {"fcn16s", 134815994, 0, 14714688, 0x04992eabfd853390ull},
    {"fcn8s", 134489759, 0, 14714688, 0xc8b149f5a2f43e9aull},
};
#define N_REFS ((int)(sizeof refs / sizeof refs[0]))

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) h = (h ^ *c) * 0x100000001b3ull;
    return h;
}

/* The sum of FNV-1a("name:d0xd1x...") over the parameters, as zoo_counts.py. */
static uint64_t digest(const fv_model *m)
{
    uint64_t sum = 0;
    for (int i = 0; i < fv_model_param_count(m); i++) {
        const fv_param *p = fv_model_param(m, i);
        char text[160];
        int n = snprintf(text, sizeof text, "%s:", p->name);
        for (int d = 0; d < p->value.ndim; d++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s%lld", d ? "x" : "", (long long)p->value.shape[d]);
        sum += fnv1a(text);
    }
    return sum;
}

/* The buffers of a model without its top: all of them, but the segmentation heads' batch norms go with the
 * top, leaving the backbone's (resnet50's, mobilenet_v3_large's). */
static int64_t headless_buffers(const zoo_ref *r)
{
    if (strcmp(r->name, "fcn_resnet50") == 0) return 53120;
    if (strstr(r->name, "_mobilenet_v3_large")) return 24400;
    return r->non_trainable;
}

static fv_zoo_options headless(fv_zoo_pooling pooling)
{
    fv_zoo_options o = fv_zoo_defaults();
    o.include_top = false;
    o.pooling = pooling;
    return o;
}

/* Every model by name with its defaults, and without its top. */
static void counts(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    for (int i = 0; i < N_REFS; i++) {
        const zoo_ref *r = &refs[i];
        fv_model *m = fv_model_by_name(ctx, r->name, 0, 0, 0, 0);
        CHECK(m != NULL, "%s builds (%s)", r->name, fv_errmsg(ctx));
        if (!m) continue;
        fv_param_totals t = fv_model_param_totals(m);
        CHECK(t.trainable == r->trainable && t.non_trainable == r->non_trainable,
              "%s: %lld trainable, %lld non-trainable (want %lld, %lld)", r->name, (long long)t.trainable,
              (long long)t.non_trainable, (long long)r->trainable, (long long)r->non_trainable);
        if (r->digest)
            CHECK(digest(m) == r->digest, "%s: parameter names and shapes are torchvision's", r->name);
        int64_t s[4];
        /* logits of the input's size, not one vector; the segmentation models' for 21 classes by default */
        int per_pixel = strcmp(r->name, "unet") == 0 || i >= N_REFS - 6;
        int64_t classes = i >= N_REFS - 6 ? 21 : 1000;
        int n = fv_model_layer_shape(m, fv_model_layer_count(m) - 1, s);
        CHECK(n == (per_pixel ? 3 : 1) && s[0] == classes && (!per_pixel || (s[1] == 224 && s[2] == 224)) &&
                  fv_model_input_shape(m, s) == 3 && s[0] == 3 && s[1] == 224 && s[2] == 224,
              "%s: 3x224x224 in, %lld logits out%s", r->name, (long long)classes, per_pixel ? " per pixel" : "");
        fv_model_free(m);
        fv_zoo_options o = headless(FV_ZOO_POOL_NONE);
        m = fv_zoo_build(ctx, r->name, &o);
        t = fv_model_param_totals(m);
        CHECK(m && t.trainable == r->headless && t.non_trainable == headless_buffers(r),
              "%s without the top: %lld trainable (want %lld)", r->name, (long long)t.trainable,
              (long long)r->headless);
        fv_model_free(m);
    }
    fv_ctx_free(ctx);
}

typedef struct {
    const char *label, *name;
    fv_zoo_options o;
    int64_t trainable, non_trainable;
    uint64_t digest;
} variant;

static void variants(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_zoo_options aux = fv_zoo_defaults(), ten = fv_zoo_defaults(), w14 = fv_zoo_defaults();
    fv_zoo_options w035 = fv_zoo_defaults(), w075 = fv_zoo_defaults();
    aux.aux_logits = true, ten.num_classes = 10, w14.alpha = 1.4, w035.alpha = 0.35, w075.alpha = 0.75;
    const variant v[] = { /* tests/reference/zoo_counts.py */
        {"googlenet aux_logits", "googlenet", aux, 13004888, 15072, 0x5bc7882fa19b394full},
        {"resnet18 num_classes=10", "resnet18", ten, 11181642, 9600, 0xff00f1e8d4fbe4a1ull},
        {"mobilenet_v2 width_mult=1.4", "mobilenet_v2", w14, 6108776, 47936, 0x10e66e6e0fd0b68dull},
        {"mobilenet_v2 width_mult=0.35", "mobilenet_v2", w035, 1677128, 14080, 0x375baed406b3e7d3ull},
        {"mobilenet_v3_large width_mult=0.75", "mobilenet_v3_large", w075, 3377576, 18416, 0xc6339760a97fac8cull},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        fv_model *m = fv_zoo_build(ctx, v[i].name, &v[i].o);
        fv_param_totals t = fv_model_param_totals(m);
        CHECK(m && t.trainable == v[i].trainable && t.non_trainable == v[i].non_trainable && digest(m) == v[i].digest,
              "%s: %lld trainable, %lld non-trainable, torchvision's names (%s)", v[i].label, (long long)t.trainable,
              (long long)t.non_trainable, fv_errmsg(ctx));
        fv_model_free(m);
    }
    /* googlenet's auxiliary heads end in their own logits; the model's output stays fc */
    fv_model *g = fv_zoo_build(ctx, "googlenet", &aux);
    int64_t s[4];
    CHECK(g && fv_model_find_layer(g, "aux1.fc2") >= 0 && fv_model_find_layer(g, "aux2.fc2") >= 0 &&
              strcmp(fv_model_layer_name(g, fv_model_layer_count(g) - 1), "fc") == 0 &&
              fv_model_layer_shape(g, fv_model_find_layer(g, "aux2.fc2"), s) == 1 && s[0] == 1000,
          "googlenet's aux heads: aux1.fc2, aux2.fc2 side branches");
    fv_model_free(g);
    fv_ctx_free(ctx);
}

/* The output shape (without the batch) of a zoo model built with options o. */
static void shape_is(fv_ctx *ctx, const char *name, const fv_zoo_options *o, int nd, int64_t c, int64_t h, int64_t w)
{
    fv_model *m = fv_zoo_build(ctx, name, o);
    int64_t s[4] = {0};
    int got = m ? fv_model_layer_shape(m, fv_model_layer_count(m) - 1, s) : 0;
    CHECK(got == nd && s[0] == c && (nd == 1 || (s[1] == h && s[2] == w)),
          "%s (top %d, pooling %d, input %dx%dx%d): output (%lld, %lld, %lld) of %d dims, want (%lld, %lld, %lld) (%s)",
          name, o->include_top, (int)o->pooling, o->channels, o->height, o->width, (long long)s[0], (long long)s[1],
          (long long)s[2], got, (long long)c, (long long)h, (long long)w, m ? "" : fv_errmsg(ctx));
    fv_model_free(m);
}

static void shapes(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_zoo_options none = headless(FV_ZOO_POOL_NONE), avg = headless(FV_ZOO_POOL_AVG), max = headless(FV_ZOO_POOL_MAX);
    shape_is(ctx, "resnet50", &none, 3, 2048, 7, 7);
    shape_is(ctx, "resnet50", &avg, 1, 2048, 0, 0);
    shape_is(ctx, "resnet50", &max, 1, 2048, 0, 0);
    shape_is(ctx, "alexnet", &none, 3, 256, 6, 6);
    shape_is(ctx, "vgg16", &none, 3, 512, 7, 7);
    shape_is(ctx, "vgg19_bn", &avg, 1, 512, 0, 0);
    shape_is(ctx, "googlenet", &none, 3, 1024, 7, 7);
    shape_is(ctx, "mobilenet_v1", &none, 3, 1024, 7, 7);
    shape_is(ctx, "mobilenet_v2", &avg, 1, 1280, 0, 0);
    shape_is(ctx, "mobilenet_v3_small", &max, 1, 576, 0, 0);
    shape_is(ctx, "mobilenet_v3_large", &none, 3, 960, 7, 7);
    shape_is(ctx, "efficientnet_b0", &none, 3, 1280, 7, 7);
    shape_is(ctx, "efficientnet_b7", &avg, 1, 2560, 0, 0);
    shape_is(ctx, "unet", &none, 3, 16, 224, 224);
    shape_is(ctx, "unet", &avg, 1, 16, 0, 0);
    /* other inputs: TensorFlow's "same" rounding in mobilenet_v1, ceil(x / 32) in efficientnet */
    none.height = 199, none.width = 173;
    shape_is(ctx, "mobilenet_v1", &none, 3, 1024, 6, 5);
    none.height = 300, none.width = 260;
    shape_is(ctx, "efficientnet_b0", &none, 3, 1280, 10, 9);
    fv_zoo_options o = fv_zoo_defaults();
    o.channels = 1, o.height = 64, o.width = 96, o.num_classes = 5;
    shape_is(ctx, "resnet18", &o, 1, 5, 0, 0);
    o.channels = 3, o.height = o.width = 32, o.num_classes = 10;
    shape_is(ctx, "vgg11_bn", &o, 1, 10, 0, 0); /* a 1x1 map, spread to 7x7 by the adaptive pool */
    fv_model *m = fv_zoo_build(ctx, "vgg11_bn", &o);
    int64_t s[4];
    CHECK(m && fv_model_layer_shape(m, fv_model_find_layer(m, "avgpool"), s) == 3 && s[1] == 7 && s[2] == 7 &&
              fv_model_param_totals(m).trainable == 132868840 - 1000 * 4096 - 1000 + 10 * 4096 + 10,
          "vgg11_bn at 32x32: the adaptive pool keeps 7x7 and the classifier's size");
    fv_model_free(m);
    m = fv_model_by_name(ctx, "efficientnet_b3", 1, 96, 80, 7);
    CHECK(m && fv_model_input_shape(m, s) == 3 && s[0] == 1 && s[1] == 96 && s[2] == 80 &&
              fv_model_output_size(m) == 7,
          "fv_model_by_name passes input size and classes to the zoo");
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void refused(fv_ctx *ctx, const char *name, const fv_zoo_options *o, const char *a, const char *b)
{
    fv_model *m = fv_zoo_build(ctx, name, o);
    CHECK(!m && strstr(fv_errmsg(ctx), a) && (!b || strstr(fv_errmsg(ctx), b)), "%s refused with '%s': %s", name, a,
          fv_errmsg(ctx));
    fv_model_free(m);
}

static void errors(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    refused(ctx, "resnet51", NULL, "unknown zoo model 'resnet51'", "resnet50, resnet101");
    refused(ctx, NULL, NULL, "unknown zoo model '(null)'", NULL);
    fv_zoo_options o = fv_zoo_defaults();
    o.height = o.width = 32;
    refused(ctx, "alexnet", &o, "alexnet for input 3x32x32: ", "'features.12'");
    o = fv_zoo_defaults();
    o.alpha = 0.5;
    refused(ctx, "resnet18", &o, "resnet18: alpha=0.5: only the mobilenets", NULL);
    o.alpha = -1;
    refused(ctx, "mobilenet_v1", &o, "alpha=-1 must be in (0, 64]", NULL);
    o = fv_zoo_defaults();
    o.aux_logits = true;
    refused(ctx, "vgg16", &o, "vgg16: aux_logits: only googlenet", NULL);
    o.include_top = false;
    refused(ctx, "googlenet", &o, "aux_logits needs include_top", NULL);
    o = fv_zoo_defaults();
    o.pooling = (fv_zoo_pooling)7;
    refused(ctx, "resnet18", &o, "unknown pooling 7", NULL);
    o = fv_zoo_defaults();
    o.height = -1;
    refused(ctx, "resnet18", &o, "height=-1 must be in [1, ", NULL);
    o = fv_zoo_defaults();
    o.num_classes = -3;
    refused(ctx, "mobilenet_v2", &o, "num_classes=-3", NULL);
    CHECK(fv_zoo_build(NULL, "resnet18", NULL) == NULL, "a NULL context gives NULL");
    CHECK(!fv_model_by_name(ctx, "resnet9000", 0, 0, 0, 0) && strstr(fv_errmsg(ctx), "fmnist-cnn, lenet5, mlp, yolo-fmnist, alexnet") &&
              strstr(fv_errmsg(ctx), "unet, fcn32s, fcn16s, fcn8s, fcn_resnet50, deeplabv3_mobilenet_v3_large, "
                                     "lraspp_mobilenet_v3_large; or a description file"),
          "fv_model_by_name lists every name: %s", fv_errmsg(ctx));
    /* every name it lists builds; every zoo model is listed */
    int n = 0, zoo = 0;
    for (const char *const *name = fv_model_names(); *name; name++, n++) {
        zoo += fv_zoo_has(*name);
        bool listed = false;
        for (int i = 0; i < N_REFS; i++) listed = listed || strcmp(refs[i].name, *name) == 0;
        CHECK(listed == fv_zoo_has(*name), "'%s' is %s zoo model", *name, listed ? "a" : "not a");
    }
    CHECK(n == N_REFS + 4 && zoo == N_REFS, "fv_model_names: the 4 small models and the %d zoo models (%d, %d)",
          N_REFS, n, zoo);
    CHECK(!fv_zoo_has("fmnist-cnn") && !fv_zoo_has(NULL) && fv_zoo_has("mobilenet_v1"), "fv_zoo_has");
    fv_ctx_free(ctx);
}

/* The description of a zoo model parses back into the same model. */
static void round_trip(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const char *names[] = {"googlenet", "mobilenet_v1", "efficientnet_b0", "resnet18", "mobilenet_v3_small"};
    fv_zoo_options o = fv_zoo_defaults();
    for (int i = 0; i < 5; i++) {
        o.aux_logits = i == 0;
        fv_model *m = fv_zoo_build(ctx, names[i], &o);
        char *d = m ? fv_model_describe(m) : NULL;
        fv_model *back = d ? fv_model_parse(ctx, d, names[i]) : NULL;
        char *d2 = back ? fv_model_describe(back) : NULL;
        CHECK(d2 && strcmp(d, d2) == 0 && digest(m) == digest(back) && strcmp(fv_model_name(back), names[i]) == 0 &&
                  fv_model_param_totals(back).total == fv_model_param_totals(m).total,
              "%s: the description round-trips (%s)", names[i], fv_errmsg(ctx));
        free(d), free(d2);
        fv_model_free(back);
        fv_model_free(m);
    }
    fv_ctx_free(ctx);
}

/* Batch norms with statistics other than the defaults, so that folding them is exercised. */
static void perturb_batch_norms(fv_model *m)
{
    for (int i = 0; i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        size_t n = strlen(p->name);
        bool var = n > 12 && strcmp(p->name + n - 12, "running_var") == 0;
        bool mean = n > 13 && strcmp(p->name + n - 13, ".running_mean") == 0;
        for (int64_t k = 0; (var || mean) && k < p->value.size; k++)
            fv_f32(&p->value)[k] = var ? 0.5f + (float)((k * 7) % 11) / 10.0f : (float)((k * 5) % 9 - 4) / 40.0f;
    }
}

/* resnet18 and mobilenet_v2 forward at batch 1 in eval mode: finite logits, the training graph in eval mode and
 * the inference graph (batch norm folded, ReLU fused) agree. */
static void forward(void)
{
    const char *names[2] = {"resnet18", "mobilenet_v2"};
    for (int i = 0; i < 2; i++) {
        fv_ctx *ctx = fv_ctx_new(7);
        fv_model *m = fv_model_by_name(ctx, names[i], 0, 0, 0, 0);
        bool ok = m && fv_model_init(m) == FV_OK;
        if (ok) perturb_batch_norms(m);
        fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 3, 224, 224});
        for (int64_t k = 0; x && k < x->size; k++) fv_f32(x)[k] = (float)sin(0.001 * (double)k * (double)(k % 13));
        fv_node *in, *out, *in2, *out2;
        fv_graph *g = ok ? fv_model_build(m, 1, &in, &out, NULL) : NULL;
        if (g) fv_graph_set_training(g, false);
        fv_graph *gi = ok ? fv_model_build_inference(m, 1, &in2, &out2) : NULL;
        ok = g && gi && x && fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK &&
             fv_graph_set_input(gi, in2, x) == FV_OK && fv_graph_forward(gi) == FV_OK;
        double diff = 0, top = 0;
        bool finite = ok;
        for (int64_t k = 0; ok && k < 1000; k++) {
            double a = fv_f32(fv_node_value(out))[k], b = fv_f32(fv_node_value(out2))[k];
            finite = finite && isfinite(a) && isfinite(b);
            diff = fmax(diff, fabs(a - b));
            top = fmax(top, fabs(a));
        }
        CHECK(ok && fv_node_value(out)->size == 1000 && finite && top > 0 && diff <= 1e-4 * top,
              "%s forward, eval mode: finite logits, inference graph within %.1e of the largest (%s)", names[i],
              top > 0 ? diff / top : 0.0, fv_errmsg(ctx));
        fv_graph_free(gi);
        fv_graph_free(g);
        fv_tensor_free(x);
        fv_model_free(m);
        fv_ctx_free(ctx);
    }
}

/* A training step's backward runs through squeeze-excitation (broadcast multiply), hard sigmoid and the
 * inverted residuals: every trainable parameter gets a gradient. */
static void backward(void)
{
    fv_ctx *ctx = fv_ctx_new(3);
    fv_zoo_options o = fv_zoo_defaults();
    o.height = o.width = 64, o.num_classes = 4; /* at 32x32 the last blocks see 1x1 maps, where a bias feeding a
                                                 * train-mode batch norm rightly gets no gradient */
    fv_model *m = fv_zoo_build(ctx, "mobilenet_v3_small", &o);
    bool ok = m && fv_model_init(m) == FV_OK;
    fv_node *in, *out;
    fv_graph *g = ok ? fv_model_build(m, 2, &in, &out, NULL) : NULL;
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 3, 64, 64});
    fv_tensor *seed = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){2, 4});
    for (int64_t k = 0; x && k < x->size; k++) fv_f32(x)[k] = (float)cos(0.37 * (double)k);
    for (int64_t k = 0; seed && k < seed->size; k++) fv_f32(seed)[k] = (float)(k % 3) - 1.0f;
    ok = g && x && seed && fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK &&
         fv_graph_backward_seed(g, out, seed) == FV_OK;
    int with_grad = 0, trainable = 0;
    for (int i = 0; ok && i < fv_model_param_count(m); i++) {
        const fv_param *p = fv_model_param(m, i);
        if (p->kind != FV_PARAM_WEIGHT) continue;
        trainable++;
        bool any = false;
        for (int64_t k = 0; k < p->grad.size && !any; k++) any = fv_f32(&p->grad)[k] != 0.0f;
        with_grad += any;
        if (!any) printf("# no gradient: %s\n", p->name);
    }
    CHECK(ok && trainable > 100 && with_grad == trainable, "mobilenet_v3_small backward: %d of %d weights have a gradient (%s)",
          with_grad, trainable, fv_errmsg(ctx));
    fv_tensor_free(seed);
    fv_tensor_free(x);
    fv_graph_free(g);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* Building the largest models takes well under a second (a layer is checked by shape inference as it is added). */
static void build_time(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const char *names[2] = {"efficientnet_b7", "resnet152"};
    for (int i = 0; i < 2; i++) {
        clock_t t0 = clock();
        fv_model *m = fv_zoo_build(ctx, names[i], NULL);
        double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
        printf("# building %s (%d layers): %.3f s of CPU\n", names[i], m ? fv_model_layer_count(m) : 0, s);
        CHECK(m && s < 2.0, "%s builds in %.3f s", names[i], s);
        fv_model_free(m);
    }
    fv_ctx_free(ctx);
}

int main(void)
{
    counts();
    variants();
    shapes();
    errors();
    round_trip();
    forward();
    backward();
    build_time();
    return test_finish();
}
