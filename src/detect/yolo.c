/* YOLO detectors (include/fovea/detect.h): a model's yolo outputs gathered into heads, the detection task that
 * trains them, and the decoding of their maps into boxes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/boxes.h"
#include "fovea/detect.h"
#include "fovea/graph.h"
#include "fovea/layer.h"
#include "fovea/data.h"
#include "fovea/metrics.h"
#include "fovea/ops.h"

/* One output as a head: its keys and its grid against the input. */
static fv_status add_head(fv_ctx *ctx, const fv_model *m, int k, fv_yolo_info *info)
{
    int layer = fv_model_output_layer(m, k);
    fv_layer_spec s;
    fv_status st = fv_model_layer_spec(m, layer, &s);
    if (st) return st;
    if (!s.type || strcmp(s.type, "yolo") != 0)
        return fv_error(ctx, FV_ERR_ARG, "output %d ('%s') is a %s layer, not a yolo head", k, s.name ? s.name : "",
                        s.type ? s.type : "?");
    int anchors = s.a.scales.n / 2, h = info->heads;
    if (h >= FV_YOLO_MAX_HEADS || info->n_anchors + anchors > FV_YOLO_MAX_ANCHORS)
        return fv_error(ctx, FV_ERR_ARG, "yolo head '%s': more than %d heads or %d anchors in all", s.name,
                        FV_YOLO_MAX_HEADS, FV_YOLO_MAX_ANCHORS);
    if (h && s.a.units != info->classes)
        return fv_error(ctx, FV_ERR_ARG, "yolo head '%s' has %d classes, the first head %d", s.name, s.a.units,
                        info->classes);
    int64_t dims[FV_MAX_DIMS];
    bool per_batch[FV_MAX_DIMS];
    if (fv_model_layer_dims(m, layer, dims, per_batch) != 4 || dims[2] < 1 || dims[3] < 1 ||
        info->input_h % dims[2] || info->input_w % dims[3])
        return fv_error(ctx, FV_ERR_ARG, "yolo head '%s': its %lldx%lld grid does not divide the %lldx%lld input",
                        s.name, (long long)dims[2], (long long)dims[3], (long long)info->input_h,
                        (long long)info->input_w);
    info->classes = s.a.units, info->layer[h] = layer, info->first[h] = info->n_anchors, info->count[h] = anchors;
    memcpy(info->anchors + 2 * info->n_anchors, s.a.scales.v, (size_t)s.a.scales.n * sizeof(float));
    info->n_anchors += anchors;
    info->grid[h][0] = dims[2], info->grid[h][1] = dims[3];
    info->stride[h][0] = (float)(info->input_h / dims[2]), info->stride[h][1] = (float)(info->input_w / dims[3]);
    info->heads++;
    return FV_OK;
}

fv_status fv_yolo_info_of(fv_ctx *ctx, const fv_model *m, fv_yolo_info *info)
{
    memset(info, 0, sizeof *info);
    int64_t shape[FV_MAX_DIMS];
    if (!m || fv_model_input_shape(m, shape) != 3)
        return fv_error(ctx, FV_ERR_ARG, "a YOLO detector reads images (C, H, W)");
    info->input_h = shape[1], info->input_w = shape[2];
    for (int k = 0; k < fv_model_output_count(m); k++) {
        fv_status st = add_head(ctx, m, k, info);
        if (st) return st;
    }
    return FV_OK;
}

/* ---- the task --------------------------------------------------------------------------------------------- */

typedef struct {
    fv_yolo_info info;
    fv_yolo_loss_args tuning;
} yolo_task;

/* Each head's loss on its output, summed. */
static fv_node *task_loss(void *user, fv_graph *g, fv_node *const *outputs, int n_outputs, fv_node *boxes)
{
    const yolo_task *t = user;
    fv_node *total = NULL;
    if (n_outputs != t->info.heads) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "yolo task: %d outputs for %d heads", n_outputs, t->info.heads);
        return NULL;
    }
    for (int h = 0; h < t->info.heads; h++) {
        fv_yolo_loss_args a = t->tuning;
        a.classes = t->info.classes, a.n_anchors = t->info.n_anchors;
        memcpy(a.anchors, t->info.anchors, sizeof a.anchors);
        a.n_mask = t->info.count[h];
        for (int k = 0; k < a.n_mask; k++) a.mask[k] = t->info.first[h] + k;
        a.stride[0] = t->info.stride[h][0], a.stride[1] = t->info.stride[h][1];
        fv_node *l = fv_yolo_loss(g, outputs[h], boxes, &a);
        total = !l ? NULL : total ? fv_add(g, total, l) : l;
        if (!total) return NULL;
    }
    return total;
}

fv_task *fv_yolo_task(fv_ctx *ctx, const fv_model *m, int max_boxes, const fv_yolo_loss_args *tuning)
{
    yolo_task *t = calloc(1, sizeof *t);
    if (!t) return fv_error(ctx, FV_ERR_NOMEM, "out of memory"), NULL;
    t->tuning = tuning ? *tuning : fv_yolo_loss_defaults();
    if (fv_yolo_info_of(ctx, m, &t->info) != FV_OK) {
        free(t);
        return NULL;
    }
    return fv_task_detect_owning(ctx, max_boxes, task_loss, t, free);
}

/* ---- detections ------------------------------------------------------------------------------------------ */

fv_yolo_detect_options fv_yolo_detect_defaults(void) { return (fv_yolo_detect_options){0.25f, 0.45f, 100}; }

static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

/* Head h's candidates of image `image` above conf, appended to the arrays (room for every anchor and cell). */
static int64_t head_candidates(const fv_yolo_info *info, int h, const fv_tensor *out, int64_t image, float conf,
                               float *boxes, float *scores, int32_t *classes, int64_t n)
{
    int64_t H = info->grid[h][0], W = info->grid[h][1], HW = H * W, D = 5 + info->classes;
    const float *map = fv_f32((fv_tensor *)out) + image * out->shape[1] * HW;
    for (int a = 0; a < info->count[h]; a++) {
        const float *p = map + a * D * HW, *anchor = info->anchors + 2 * (info->first[h] + a);
        for (int64_t at = 0; at < HW; at++) {
            float obj = sigmoid(p[4 * HW + at]);
            if (!(obj >= conf)) continue; /* no class can lift the score past the objectness */
            int best = 0;
            for (int c = 1; c < info->classes; c++)
                if (p[(5 + c) * HW + at] > p[(5 + best) * HW + at]) best = c;
            float score = obj * sigmoid(p[(5 + best) * HW + at]);
            if (!(score >= conf)) continue;
            float t[4] = {p[at], p[HW + at], p[2 * HW + at], p[3 * HW + at]}, cell[2] = {(float)(at % W), (float)(at / W)};
            fv_yolo_decode(boxes + 4 * n, t, cell, anchor, 1, info->stride[h][0], info->stride[h][1]);
            scores[n] = score, classes[n] = best, n++;
        }
    }
    return n;
}

fv_status fv_yolo_detect(fv_ctx *ctx, const fv_yolo_info *info, const fv_tensor *const *outputs, int64_t image,
                         const fv_yolo_detect_options *opt, float *boxes, float *scores, int32_t *classes, int64_t *n)
{
    fv_yolo_detect_options o = opt ? *opt : fv_yolo_detect_defaults();
    *n = 0;
    int64_t room = 0;
    for (int h = 0; h < info->heads; h++) {
        const fv_tensor *t = outputs[h];
        if (!t || t->ndim != 4 || t->shape[2] != info->grid[h][0] || t->shape[3] != info->grid[h][1] ||
            t->shape[1] != (int64_t)info->count[h] * (5 + info->classes) || image < 0 || image >= t->shape[0])
            return fv_error(ctx, FV_ERR_SHAPE, "yolo detect: output %d is not head %d's map of image %lld", h, h,
                            (long long)image);
        room += (int64_t)info->count[h] * info->grid[h][0] * info->grid[h][1];
    }
    if (o.max_det < 1 || !(o.conf >= 0.0f) || !(o.iou >= 0.0f))
        return fv_error(ctx, FV_ERR_ARG, "yolo detect: conf %g, iou %g, max_det %d", (double)o.conf, (double)o.iou, o.max_det);
    float *b = malloc((size_t)(room + 1) * 4 * sizeof *b), *s = malloc((size_t)(room + 1) * sizeof *s);
    int32_t *c = malloc((size_t)(room + 1) * sizeof *c);
    int64_t *keep = malloc((size_t)(room + 1) * sizeof *keep), count = 0, kept = 0;
    fv_status st = b && s && c && keep ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "yolo detect: out of memory");
    for (int h = 0; !st && h < info->heads; h++) count = head_candidates(info, h, outputs[h], image, o.conf, b, s, c, count);
    if (!st) st = fv_batched_nms(ctx, b, s, c, count, o.iou, keep, &kept);
    for (int64_t i = 0; !st && i < kept && i < o.max_det; i++) {
        memcpy(boxes + 4 * i, b + 4 * keep[i], 4 * sizeof *b);
        fv_box_clip(boxes + 4 * i, 1, (float)info->input_h, (float)info->input_w);
        scores[i] = s[keep[i]], classes[i] = c[keep[i]];
        *n = i + 1;
    }
    free(b), free(s), free(c), free(keep);
    return st;
}

/* ---- running a detector ------------------------------------------------------------------------------------ */

fv_status fv_yolo_run(fv_model *m, const fv_yolo_info *info, const fv_tensor *x, const fv_yolo_detect_options *opt,
                      float *boxes, float *scores, int32_t *classes, int64_t *counts)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_yolo_detect_options o = opt ? *opt : fv_yolo_detect_defaults();
    if (!x || x->ndim != 4 || x->dtype != FV_F32 || x->shape[2] != info->input_h || x->shape[3] != info->input_w) {
        fv_clear_error(ctx); /* the message leads with what the model expects */
        return fv_model_explain_input(m, x, FV_ERR_SHAPE);
    }
    fv_node *in[1], *out[FV_YOLO_MAX_HEADS];
    fv_graph *g = fv_model_build_inference_io(m, x->shape[0], in, out);
    if (!g) return fv_errcode(ctx);
    fv_graph_set_training(g, false);
    fv_status st = fv_graph_set_input(g, in[0], x);
    if (!st) st = fv_graph_forward(g);
    if (st) st = fv_model_explain_input(m, x, st);
    const fv_tensor *maps[FV_YOLO_MAX_HEADS];
    for (int h = 0; !st && h < info->heads; h++) maps[h] = fv_node_value(out[h]);
    for (int64_t i = 0; !st && i < x->shape[0]; i++)
        st = fv_yolo_detect(ctx, info, maps, i, &o, boxes + i * o.max_det * 4, scores + i * o.max_det,
                            classes + i * o.max_det, &counts[i]);
    fv_graph_free(g);
    return st;
}

/* The true boxes of sample i of a set's (N, B, 5) target, padding left out, into the evaluator's form. */
static int64_t truths(const fv_tensor *y, int64_t i, float *boxes, int32_t *classes)
{
    int64_t B = y->shape[1], n = 0;
    const float *r = fv_f32((fv_tensor *)y) + i * B * 5;
    for (int64_t b = 0; b < B; b++, r += 5)
        if (r[0] >= 0.0f) memcpy(boxes + 4 * n, r + 1, 4 * sizeof(float)), classes[n++] = (int32_t)r[0];
    return n;
}

fv_status fv_yolo_evaluate(fv_model *m, const fv_yolo_info *info, const fv_tensor_set *set, int batch,
                           const fv_yolo_detect_options *opt, fv_det_eval *e)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_yolo_detect_options o = opt ? *opt : fv_yolo_detect_defaults();
    const fv_tensor *x = fv_tensor_set_input(set, 0), *y = fv_tensor_set_target(set);
    if (!x || !y || x->ndim != 4 || y->ndim != 3 || y->shape[2] != 5 || batch < 1 || o.max_det < 1)
        return fv_error(ctx, FV_ERR_ARG, "yolo evaluate: a set of images and (N, B, 5) boxes, and a batch, expected");
    int64_t N = x->shape[0], per = x->size / (N ? N : 1), B = y->shape[1];
    float *db = malloc((size_t)batch * o.max_det * 4 * sizeof *db), *ds = malloc((size_t)batch * o.max_det * sizeof *ds);
    int32_t *dc = malloc((size_t)batch * o.max_det * sizeof *dc), *gc = malloc((size_t)B * sizeof *gc);
    float *gb = malloc((size_t)B * 4 * sizeof *gb);
    int64_t *counts = malloc((size_t)batch * sizeof *counts);
    fv_status st = db && ds && dc && gc && gb && counts ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    for (int64_t n0 = 0; !st && n0 < N; n0 += batch) {
        int64_t n = N - n0 < batch ? N - n0 : batch;
        fv_tensor *xb = fv_tensor_from(ctx, FV_F32, 4, (int64_t[]){n, x->shape[1], x->shape[2], x->shape[3]},
                                       fv_f32((fv_tensor *)x) + n0 * per);
        st = xb ? fv_yolo_run(m, info, xb, &o, db, ds, dc, counts) : FV_ERR_NOMEM;
        fv_tensor_free(xb);
        for (int64_t i = 0; !st && i < n; i++) {
            int64_t g = truths(y, n0 + i, gb, gc);
            st = fv_det_eval_add(e, gb, gc, NULL, g, db + i * o.max_det * 4, ds + i * o.max_det, dc + i * o.max_det,
                                 counts[i]);
        }
    }
    free(db), free(ds), free(dc), free(gc), free(gb), free(counts);
    return st;
}
