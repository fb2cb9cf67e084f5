/* Feature maps of one image as a grid, receptive fields, and the input patches that most activate a channel:
 * what each unit of a convolutional network responds to. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/diagnose.h"
#include "fovea/train.h"

/* A spatial layer by name, or -1 with a message listing the spatial ones. */
static int spatial_layer(fv_model *m, const char *name)
{
    int k = name ? fv_model_find_layer(m, name) : fv_gradcam_default_layer(m);
    int64_t s[FV_MAX_DIMS];
    if (k >= 1 && fv_model_layer_shape(m, k, s) == 3) return k;
    char list[900] = "";
    size_t len = 0;
    for (int i = 1; i < fv_model_layer_count(m) && len + 70 < sizeof list; i++)
        if (fv_model_layer_shape(m, i, s) == 3)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", fv_model_layer_name(m, i));
    if (name)
        fv_error(fv_model_ctx(m), FV_ERR_ARG, "layer '%s' %s model '%s'; layers with feature maps: %s", name,
                 k >= 0 ? "has no spatial feature map in" : "does not exist in", fv_model_name(m), len ? list : "(none)");
    return -1;
}

/* Tile count x (h, w) planes into a near-square grid with 1-pixel gaps; each plane scaled to [0, 255]. */
static uint8_t *tile(const float *planes, int count, int64_t h, int64_t w, int *width, int *height)
{
    int cols = (int)ceil(sqrt((double)count)), rows = (count + cols - 1) / cols;
    *width = (int)(cols * (w + 1) - 1), *height = (int)(rows * (h + 1) - 1);
    uint8_t *img = calloc((size_t)*width * (size_t)*height, 1);
    if (!img) return NULL;
    for (int c = 0; c < count; c++) {
        const float *p = planes + c * h * w;
        float lo = INFINITY, hi = -INFINITY;
        for (int64_t i = 0; i < h * w; i++) lo = fminf(lo, p[i]), hi = fmaxf(hi, p[i]);
        int64_t ox = (c % cols) * (w + 1), oy = (c / cols) * (h + 1);
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                float v = hi > lo ? 255.0f * (p[y * w + x] - lo) / (hi - lo) : 0; /* NaN where the map holds one */
                img[(oy + y) * *width + ox + x] = v > 0 ? (uint8_t)(v + 0.5f) : 0;
            }
    }
    return img;
}

uint8_t *fv_feature_map_grid(fv_model *m, const fv_tensor *x, const char *layer, int *width, int *height)
{
    int k = spatial_layer(m, layer);
    if (k < 0) return NULL;
    fv_node *in, *out, **nodes = NULL;
    fv_graph *g = fv_model_build(m, 1, &in, &out, &nodes);
    uint8_t *img = NULL;
    if (g) fv_graph_set_training(g, false);
    if (g && fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK) {
        const fv_tensor *v = fv_node_value(nodes[k]);
        img = tile(fv_f32(v), (int)v->shape[1], v->shape[2], v->shape[3], width, height);
        if (!img) fv_error(fv_model_ctx(m), FV_ERR_NOMEM, "out of memory for a feature-map grid");
    } else if (g) {
        fv_model_explain_input(m, x, fv_errcode(fv_model_ctx(m)));
    }
    free(nodes);
    fv_graph_free(g);
    return img;
}

fv_status fv_receptive_field_of(fv_model *m, int layer, fv_receptive_field *rf)
{
    int path[4096], n = 0;
    for (int k = layer; k > 0 && n < 4096; k = fv_model_layer_input(m, k, 0)) path[n++] = k;
    for (int a = 0; a < 2; a++) rf->size[a] = 1, rf->jump[a] = 1, rf->start[a] = 0;
    for (int i = n - 1; i >= 0; i--) { /* from the input towards the layer */
        fv_layer_spec l;
        if (fv_model_layer_spec(m, path[i], &l) != FV_OK) return fv_errcode(fv_model_ctx(m));
        bool conv = strcmp(l.type, "conv2d") == 0;
        if (!conv && strcmp(l.type, "max_pool") != 0 && strcmp(l.type, "avg_pool") != 0) continue;
        if (conv && l.a.pad_mode == FV_PAD_SAME)
            return fv_error(fv_model_ctx(m), FV_ERR_UNSUPPORTED, "receptive field through 'same' padding of layer '%s'",
                            l.name);
        for (int a = 0; a < 2; a++) {
            int64_t kk = l.a.kernel[a], s = l.a.stride[a] ? l.a.stride[a] : kk, d = conv ? l.a.dilation[a] : 1;
            int64_t ke = d * (kk - 1) + 1, pad = l.a.pad[a];
            rf->start[a] += -pad * rf->jump[a];
            rf->size[a] += (ke - 1) * rf->jump[a];
            rf->jump[a] *= s;
        }
    }
    return FV_OK;
}

typedef struct {
    float value;
    int64_t sample, y, x;
} hit;

/* Keep the n strongest hits, sorted (insertion into a short list). */
static void offer(hit *top, int *have, int n, hit h)
{
    if (*have == n && h.value <= top[n - 1].value) return;
    int p = *have < n ? (*have)++ : n - 1;
    while (p > 0 && top[p - 1].value < h.value) top[p] = top[p - 1], p--;
    top[p] = h;
}

uint8_t *fv_top_patches(fv_model *m, const fv_data_source *data, const char *layer, int channel, int n,
                        float *values, int *width, int *height, int *channels_out)
{
    fv_ctx *ctx = fv_model_ctx(m);
    int k = spatial_layer(m, layer);
    int64_t s[FV_MAX_DIMS], in_shape[FV_MAX_DIMS];
    fv_receptive_field rf;
    if (k < 0 || fv_receptive_field_of(m, k, &rf) != FV_OK) return NULL;
    fv_model_layer_shape(m, k, s);
    if (channel < 0 || channel >= s[0] || n < 1 || n > 1024 || data->count < 1) {
        fv_error(ctx, FV_ERR_ARG, "patches: channel %d of layer '%s' (it has %lld), n %d (1 to 1024), %lld samples",
                 channel, fv_model_layer_name(m, k), (long long)s[0], n, (long long)data->count);
        return NULL;
    }
    fv_model_input_shape(m, in_shape);
    int64_t C = in_shape[0], H = in_shape[1], W = in_shape[2], batch = data->count < 64 ? data->count : 64;
    fv_node *in, *out, **nodes = NULL;
    fv_graph *g = fv_model_build(m, batch, &in, &out, &nodes);
    fv_tensor *xb = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){batch, C, H, W});
    fv_tensor *yb = fv_tensor_new(ctx, FV_I32, 1, &batch), *one = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, C, H, W});
    hit *top = calloc((size_t)n, sizeof *top);
    int have = 0;
    uint8_t *grid = NULL;
    bool ok = g && xb && yb && one && top;
    if (g) fv_graph_set_training(g, false);
    for (int64_t first = 0; ok && first < data->count; first += batch) {
        int cnt = (int)(data->count - first < batch ? data->count - first : batch);
        int64_t idx[64];
        for (int i = 0; i < cnt; i++) idx[i] = first + i;
        fv_tensor xv = *xb, yv = *yb;
        xv.shape[0] = yv.shape[0] = cnt, xv.size = cnt * C * H * W, yv.size = cnt, xv.owns = yv.owns = false;
        ok = data->fetch(data->data, -1, idx, cnt, &xv, &yv) == FV_OK && fv_graph_set_input(g, in, &xv) == FV_OK &&
             fv_graph_forward(g) == FV_OK;
        const float *a = ok ? fv_f32(fv_node_value(nodes[k])) : NULL;
        for (int i = 0; ok && i < cnt; i++) { /* each image offers its strongest position */
            hit best = {-INFINITY, first + i, 0, 0};
            for (int64_t y = 0; y < s[1]; y++)
                for (int64_t x = 0; x < s[2]; x++) {
                    float v = a[((int64_t)i * s[0] + channel) * s[1] * s[2] + y * s[2] + x];
                    if (v > best.value) best.value = v, best.y = y, best.x = x;
                }
            offer(top, &have, n, best);
        }
    }
    if (ok) {
        int ph = (int)rf.size[0], pw = (int)rf.size[1], cols = (int)ceil(sqrt((double)have)), rows = (have + cols - 1) / cols;
        int ch = C == 3 ? 3 : 1;
        *width = cols * (pw + 1) - 1, *height = rows * (ph + 1) - 1, *channels_out = ch;
        grid = calloc((size_t)*width * (size_t)*height * (size_t)ch, 1);
        for (int j = 0; grid && j < have; j++) {
            int64_t idx = top[j].sample;
            fv_tensor yv = *yb;
            yv.shape[0] = yv.size = 1;
            if (data->fetch(data->data, -1, &idx, 1, one, &yv) != FV_OK) break;
            if (values) values[j] = top[j].value;
            int64_t y0 = rf.start[0] + top[j].y * rf.jump[0], x0 = rf.start[1] + top[j].x * rf.jump[1];
            int ox = (j % cols) * (pw + 1), oy = (j / cols) * (ph + 1);
            for (int y = 0; y < ph; y++)
                for (int x = 0; x < pw; x++)
                    for (int c = 0; c < ch; c++) {
                        int64_t iy = y0 + y, ix = x0 + x; /* outside the image: padding, left black */
                        float v = iy >= 0 && iy < H && ix >= 0 && ix < W ? fv_f32(one)[(c * H + iy) * W + ix] : 0.0f;
                        grid[(((size_t)(oy + y) * *width) + (size_t)(ox + x)) * ch + c] = fv_unit_to_byte(v);
                    }
        }
    }
    if (!grid && ok) fv_error(ctx, FV_ERR_NOMEM, "out of memory for a patch grid");
    free(top), free(nodes);
    fv_tensor_free(xb), fv_tensor_free(yb), fv_tensor_free(one);
    fv_graph_free(g);
    return grid;
}
