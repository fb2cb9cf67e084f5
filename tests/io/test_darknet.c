/* Darknet interchange (fovea/darknet.h) against Debian's own Darknet: yolov3-tiny and yolov3 read from their
 * .cfg files (the darknet package's), random weights written as .weights and read back, then run on a fixed
 * input: each [yolo] head's output (with Darknet's logistic applied) equal to what libdarknet computed from the
 * same file (tests/reference/darknet_ref.c, gen_darknet.sh). Also: the parameter counts (YOLOv3's published
 * 61,949,149), the weights file's size (yolov3-tiny's official 35,434,956 bytes), a write and read round trip,
 * and bad files: an unknown section and option (named with the line), a weights file cut short (naming the
 * layer) or too long. */
#include <stdlib.h>
#include <unistd.h>

#include "darknet_seed.h"
#include "fixture.h"
#include "test.h"

#define CFG_DIR FIXTURE_DIR "/darknet"

static int64_t weights_count(const fv_model *m)
{
    int64_t n = 0;
    for (int i = 0; i < fv_model_param_count(m); i++)
        if (fv_model_param(m, i)->kind == FV_PARAM_WEIGHT) n += fv_model_param(m, i)->value.size;
    return n;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* The network of cfg with the seeded random weights, written to weights and read back into a fresh model;
 * its heads' outputs (sampled at the fixture's stride, the logistic applied as Darknet does) against the fixture. */
static void against_darknet(const char *name, int64_t want_params, long want_bytes)
{
    char cfg[256], fixture[256], weights[64];
    snprintf(cfg, sizeof cfg, "%s/%s.cfg", CFG_DIR, name);
    snprintf(fixture, sizeof fixture, "%s/darknet_%s.fvx", FIXTURE_DIR, name);
    snprintf(weights, sizeof weights, "/tmp/fovea-dn-%d.weights", (int)getpid());
    fv_ctx *ctx = fv_ctx_new(1); /* the seed darknet_ref.c uses */
    fv_model *m = fv_darknet_load_cfg(ctx, cfg);
    if (!CHECK(m != NULL, "%s.cfg read: %s", name, fv_errmsg(ctx))) return;
    CHECK(weights_count(m) == want_params, "%s: %lld parameters (%lld expected)", name, (long long)weights_count(m),
          (long long)want_params);
    bool wrote = dn_random_weights(m, weights) == FV_OK;
    CHECK(wrote && (want_bytes < 0 || file_size(weights) == want_bytes), "%s: random weights written, %ld bytes",
          name, file_size(weights));
    fv_ctx *ctx2 = fv_ctx_new(9);
    fv_model *r = fv_darknet_load_cfg(ctx2, cfg);
    bool read = r && fv_darknet_read_weights(ctx2, r, weights) == FV_OK;
    CHECK(read, "%s: the weights read back: %s", name, fv_errmsg(ctx2));
    fx_file *fx = fx_load(fixture);
    if (read && fx) {
        const int32_t *in = fv_i32((fv_tensor *)fx_get(fx, "input"));
        int stride = fv_i32((fv_tensor *)fx_get(fx, "stride"))[0];
        fv_tensor *x = fv_tensor_new(ctx2, FV_F32, 4, (int64_t[]){1, in[0], in[1], in[2]});
        dn_test_input(fv_f32(x), in[0], in[1], in[2]);
        fv_node *inputs[1], *outs[8];
        fv_graph *g = fv_model_build_inference_io(r, 1, inputs, outs);
        bool ran = g && fv_graph_set_input(g, inputs[0], x) == FV_OK && fv_graph_forward(g) == FV_OK;
        fv_yolo_info info;
        ran = ran && fv_yolo_info_of(ctx2, r, &info) == FV_OK;
        for (int h = 0; ran && h < info.heads; h++) {
            char key[16];
            snprintf(key, sizeof key, "yolo_%d", h);
            const fv_tensor *want = fx_get(fx, key), *got = fv_node_value(outs[h]);
            int64_t HW = got->shape[2] * got->shape[3], D = 5 + info.classes;
            double worst = 0.0, scale = 0.0;
            for (int64_t j = 0; j < want->size; j++) {
                int64_t at = j * stride, entry = at / HW % D;
                float v = fv_f32((fv_tensor *)got)[at];
                if (entry != 2 && entry != 3) v = 1.0f / (1.0f + expf(-v)); /* Darknet's in-place logistic */
                double d = fabs((double)v - fv_f32((fv_tensor *)want)[j]);
                worst = d > worst ? d : worst, scale = fmax(scale, fabs(fv_f32((fv_tensor *)want)[j]));
            }
            CHECK(worst <= 1e-4 * fmax(1.0, scale), "%s head %d (%lldx%lld): %lld values as libdarknet's, worst %.2e "
                  "(largest %.3g)", name, h, (long long)got->shape[2], (long long)got->shape[3], (long long)want->size,
                  worst, scale);
        }
        CHECK(ran, "%s: ran on the %dx%d input: %s", name, in[1], in[2], fv_errmsg(ctx2));
        fv_graph_free(g);
        fv_tensor_free(x);
    }
    CHECK(fx != NULL, "%s: Darknet's outputs (darknet_%s.fvx) loaded", name, name);
    fx_free(fx);
    unlink(weights);
    fv_model_free(m), fv_model_free(r);
    fv_ctx_free(ctx), fv_ctx_free(ctx2);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void bad_files(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    char cfg[64], w[64];
    snprintf(cfg, sizeof cfg, "/tmp/fovea-dn-%d.cfg", (int)getpid());
    snprintf(w, sizeof w, "/tmp/fovea-dn-%d.w", (int)getpid());
    write_text(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=8\nsize=3\npad=1\n"
                    "activation=leaky\n[dropout]\nprobability=.5\n");
    CHECK(!fv_darknet_load_cfg(ctx, cfg) && strstr(fv_errmsg(ctx), ":11: unknown section [dropout]"),
          "an unknown section named with its line: %s", fv_errmsg(ctx));
    write_text(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilter=8\n");
    CHECK(!fv_darknet_load_cfg(ctx, cfg) && strstr(fv_errmsg(ctx), ":6: unknown option 'filter' in [convolutional]"),
          "an unknown option named with its line: %s", fv_errmsg(ctx));
    write_text(cfg, "[net]\nwidth=16384\nheight=16384\nchannels=64\n");
    CHECK(!fv_darknet_load_cfg(ctx, cfg) && strstr(fv_errmsg(ctx), ":1: [net]") && strstr(fv_errmsg(ctx), "2^26"),
          "an absurd input refused before anything is allocated: %s", fv_errmsg(ctx));
    write_text(cfg, "[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=65536\nsize=64\n");
    CHECK(!fv_darknet_load_cfg(ctx, cfg) && strstr(fv_errmsg(ctx), ":5: [convolutional]") && strstr(fv_errmsg(ctx), "2^28"),
          "an absurd convolution refused, naming its line: %s", fv_errmsg(ctx));
    write_text(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=8\nsize=3\npad=1\n"
                    "[route]\nlayers=-4\n");
    CHECK(!fv_darknet_load_cfg(ctx, cfg) && strstr(fv_errmsg(ctx), "names no earlier layer"),
          "a route to no layer: %s", fv_errmsg(ctx));
    write_text(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\n"
                    "pad=1\nactivation=leaky\n[convolutional]\nfilters=4\nsize=1\nactivation=linear\n");
    fv_model *m = fv_darknet_load_cfg(ctx, cfg);
    bool ok = m && fv_model_init(m) == FV_OK && fv_darknet_write_weights(ctx, m, w) == FV_OK;
    long full = file_size(w);
    CHECK(ok && full == 20 + 4 * (8 * 4 + 8 * 27 + 4 + 4 * 8), "a two-layer network's weights: %ld bytes", full);
    if (ok && truncate(w, full - 12) == 0)
        CHECK(fv_darknet_read_weights(ctx, m, w) == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "ends in layer 'conv_1'"),
              "a file cut short names the layer: %s", fv_errmsg(ctx));
    FILE *f = fopen(w, "ab");
    if (f) fwrite("0123456789abcdef0123", 1, 20, f), fclose(f);
    CHECK(fv_darknet_read_weights(ctx, m, w) == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "bytes left"),
          "a file too long: %s", fv_errmsg(ctx));
    CHECK(fv_darknet_read_weights(ctx, m, "/nonexistent/x.weights") == FV_ERR_IO, "a missing file: %s", fv_errmsg(ctx));
    unlink(cfg), unlink(w);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    against_darknet("yolov3-tiny", 8852366, 35434956);
    against_darknet("yolov3", 61949149, -1);
    bad_files();
    return test_finish();
}
