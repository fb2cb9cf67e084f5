/* Box operations (include/fovea/boxes.h) against torchvision.ops and OpenCV (tests/reference/gen_boxes.py):
 * formats, areas, clipping, the small-box filter, the IoU family and its losses, NMS and batched NMS (the same
 * kept indices, ties included), AnchorGenerator's anchors, BoxCoder's deltas, OpenCV's soft-NMS; then what has
 * no reference there: YOLO's encoding undone by its decoding, k-means anchors on planted clusters, and bad
 * input (NaN scores, thresholds, sizes) refused with a message that names it. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

#define TOL 1e-5

/* The largest |a - b| over n values, NaN matching NaN (anything else against a NaN: infinite). */
static double worst(const float *a, const float *b, int64_t n)
{
    double w = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) || isnan(b[i])) {
            if (!(isnan(a[i]) && isnan(b[i]))) return INFINITY;
            continue;
        }
        double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
        if (d > w) w = d;
    }
    return w;
}

static const float *f32(const fx_file *fx, const char *name) { return fv_f32((fv_tensor *)fx_get(fx, name)); }
static int64_t count(const fx_file *fx, const char *name) { return fx_get(fx, name)->size; }

/* Kept indices equal to the fixture's int32 ones, in order. */
static bool same_indices(const int64_t *keep, int64_t kept, const fv_tensor *want)
{
    if (kept != want->size) return false;
    for (int64_t i = 0; i < kept; i++)
        if (keep[i] != fv_i32((fv_tensor *)want)[i]) return false;
    return true;
}

/* The same kept boxes in the same order of scores: for equal scores the fixture's order may be any (above
 * 1,000 boxes torchvision's batched_nms sorts its kept boxes with an unstable sort); fovea's is by index. */
static bool same_up_to_ties(const int64_t *keep, int64_t kept, const fv_tensor *want, const float *scores)
{
    if (kept != want->size) return false;
    const int32_t *w = fv_i32((fv_tensor *)want);
    for (int64_t i = 0; i < kept; i++) {
        if (scores[keep[i]] != scores[w[i]]) return false;
        if (i && (scores[keep[i]] > scores[keep[i - 1]] ||
                  (scores[keep[i]] == scores[keep[i - 1]] && keep[i] < keep[i - 1])))
            return false; /* fovea's own order: scores down, then indices up */
        bool found = false; /* the same box among the fixture's run of this score */
        for (int64_t j = i; j >= 0 && scores[w[j]] == scores[keep[i]] && !found; j--) found = w[j] == keep[i];
        for (int64_t j = i + 1; j < kept && scores[w[j]] == scores[keep[i]] && !found; j++) found = w[j] == keep[i];
        if (!found) return false;
    }
    return true;
}

static void test_ops(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/boxes_ops.fvx");
    if (!CHECK(fx != NULL, "boxes_ops.fvx loads")) return;
    const float *a = f32(fx, "a"), *b = f32(fx, "b");
    int64_t n = count(fx, "a") / 4, m = count(fx, "b") / 4;
    float *out = malloc(sizeof(float) * (size_t)(n * m * 4 + 16));
    static const char *kinds[] = {"iou", "giou", "diou", "ciou"};
    for (int k = 0; k < 4; k++) {
        fv_box_iou(out, a, n, b, m, (fv_iou_kind)k);
        double w = worst(out, f32(fx, kinds[k]), n * m);
        CHECK(w <= TOL, "%s matrix (%lld x %lld, identical, nested, touching, disjoint, zero-width boxes) as "
              "torchvision: worst %.2e", kinds[k], (long long)n, (long long)m, w);
    }
    static const char *losses[] = {"loss_giou", "loss_diou", "loss_ciou"};
    for (int k = 0; k < 3; k++)
        for (int e = 0; e < 2; e++) {
            char name[32];
            snprintf(name, sizeof name, "%s_%s", losses[k], e ? "3" : "7");
            fv_box_iou_loss(out, a, b, m, (fv_iou_kind)(k + 1), e ? 1e-3f : 1e-7f);
            double w = worst(out, f32(fx, name), m);
            CHECK(w <= TOL, "%s (eps %s) as torchvision's: worst %.2e", losses[k], e ? "1e-3" : "1e-7", w);
        }
    double wc = 0.0;
    /* the fixture converts a (corners) from format i to j as if a were in format i */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            char name[32];
            snprintf(name, sizeof name, "convert_%d_%d", i, j);
            fv_box_convert(out, a, n, (fv_box_format)i, (fv_box_format)j);
            double w = worst(out, f32(fx, name), n * 4);
            if (w > wc) wc = w;
        }
    CHECK(wc <= TOL, "box_convert between xyxy, xywh and cxcywh, all nine ways: worst %.2e", wc);
    memcpy(out, a, sizeof(float) * (size_t)n * 4);
    fv_box_convert(out, out, n, FV_BOX_XYXY, FV_BOX_CXCYWH);
    CHECK(worst(out, f32(fx, "convert_0_2"), n * 4) <= TOL, "converting in place");
    fv_box_area(out, a, n);
    CHECK(worst(out, f32(fx, "area"), n) <= TOL, "box_area");
    memcpy(out, f32(fx, "unclipped"), sizeof(float) * (size_t)n * 4);
    fv_box_clip(out, n, 77.0f, 93.0f);
    CHECK(worst(out, f32(fx, "clipped"), n * 4) == 0.0, "clip_boxes_to_image (77 x 93)");
    int64_t keep[64];
    int64_t kept = fv_box_remove_small(keep, a, n, 12.0f);
    CHECK(same_indices(keep, kept, fx_get(fx, "small_kept")), "remove_small_boxes (12): %lld kept, as torchvision",
          (long long)kept);
    static const char *coders[] = {"coder_1", "coder_10"};
    for (int c = 0; c < 2; c++) {
        fv_box_coder bc = fv_box_coder_defaults();
        if (c) bc.wx = bc.wy = 10.0f, bc.ww = bc.wh = 5.0f;
        char name[40];
        snprintf(name, sizeof name, "%s_encoded", coders[c]);
        fv_box_encode(out, b, a, m, &bc);
        double we = worst(out, f32(fx, name), m * 4);
        snprintf(name, sizeof name, "%s_codes", coders[c]);
        const float *codes = f32(fx, name);
        snprintf(name, sizeof name, "%s_decoded", coders[c]);
        fv_box_decode(out, codes, a, m, &bc);
        double wd = worst(out, f32(fx, name), m * 4);
        CHECK(we <= TOL && wd <= TOL, "BoxCoder weights %s: encode worst %.2e, decode (one width past the clip) %.2e",
              c ? "(10, 10, 5, 5)" : "(1, 1, 1, 1)", we, wd);
    }
    free(out);
    fx_free(fx);
}

static void test_nms(fv_ctx *ctx)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/boxes_nms.fvx");
    if (!CHECK(fx != NULL, "boxes_nms.fvx loads")) return;
    const float *thresholds = f32(fx, "thresholds");
    int same = 0, same_batched = 0, exact_trick = 0, runs = 0;
    for (int c = 0; c < 3; c++) {
        char name[32];
        snprintf(name, sizeof name, "boxes_%d", c);
        const float *boxes = f32(fx, name);
        int64_t n = count(fx, name) / 4;
        snprintf(name, sizeof name, "scores_%d", c);
        const float *scores = f32(fx, name);
        snprintf(name, sizeof name, "classes_%d", c);
        const int32_t *classes = fv_i32((fv_tensor *)fx_get(fx, name));
        int64_t *keep = malloc(sizeof(int64_t) * (size_t)n), kept;
        for (int k = 0; k < 3; k++, runs++) {
            snprintf(name, sizeof name, "nms_%d_%d", c, k);
            same += fv_nms(ctx, boxes, scores, n, thresholds[k], keep, &kept) == FV_OK &&
                    same_indices(keep, kept, fx_get(fx, name));
            snprintf(name, sizeof name, "batched_%d_%d", c, k);
            same_batched += fv_batched_nms(ctx, boxes, scores, classes, n, thresholds[k], keep, &kept) == FV_OK &&
                            same_up_to_ties(keep, kept, fx_get(fx, name), scores);
            exact_trick += c < 2 && same_indices(keep, kept, fx_get(fx, name)); /* its trick keeps nms's order */
        }
        free(keep);
    }
    CHECK(same == runs, "nms: the kept indices of torchvision in %d of %d runs (60, 400, 1300 clustered boxes, tied "
          "scores, IoU 0.3, 0.5, 0.7)", same, runs);
    CHECK(same_batched == runs, "batched_nms (4 classes; its coordinate trick and its per-class loop): the same kept "
          "boxes by score in %d of %d runs", same_batched, runs);
    CHECK(exact_trick == 6, "and in torchvision's order exactly where it keeps nms's (up to 1,000 boxes): %d of 6",
          exact_trick);
    fx_free(fx);
}

static void test_anchors(fv_ctx *ctx)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/boxes_anchors.fvx");
    if (!CHECK(fx != NULL, "boxes_anchors.fvx loads")) return;
    for (int c = 0; c < 3; c++) {
        char name[32];
        snprintf(name, sizeof name, "grid_%d", c);
        const int32_t *g = fv_i32((fv_tensor *)fx_get(fx, name));
        snprintf(name, sizeof name, "sizes_%d", c);
        const float *sizes = f32(fx, name);
        int ns = (int)count(fx, name);
        snprintf(name, sizeof name, "ratios_%d", c);
        const float *ratios = f32(fx, name);
        int nr = (int)count(fx, name);
        int64_t total = fv_anchor_grid_count(g[0], g[1], ns, nr);
        snprintf(name, sizeof name, "anchors_%d", c);
        float *out = malloc(sizeof(float) * (size_t)(total * 4 + 1));
        fv_status s = fv_anchor_grid(ctx, out, g[0], g[1], g[2], g[3], sizes, ns, ratios, nr);
        CHECK(s == FV_OK && total * 4 == count(fx, name) && worst(out, f32(fx, name), total * 4) == 0.0,
              "AnchorGenerator: %dx%d grid at strides %dx%d, %d sizes x %d ratios: the same %lld anchors", g[0], g[1],
              g[2], g[3], ns, nr, (long long)total);
        free(out);
    }
    float out[64], one = 32.0f, bad = NAN, zero = 0.0f;
    CHECK(fv_anchor_grid(ctx, out, 2, 2, 8, 8, &bad, 1, &one, 1) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "size 0"),
          "a NaN anchor size refused: %s", fv_errmsg(ctx));
    CHECK(fv_anchor_grid(ctx, out, 2, 2, 8, 8, &one, 1, &zero, 1) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "ratio"),
          "a zero aspect ratio refused: %s", fv_errmsg(ctx));
    CHECK(fv_anchor_grid(ctx, out, (int64_t)1 << 40, (int64_t)1 << 40, 8, 8, &one, 1, &one, 1) == FV_ERR_ARG,
          "an absurd grid refused: %s", fv_errmsg(ctx));
    fx_free(fx);
}

static void test_soft_nms(fv_ctx *ctx)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/boxes_soft_nms.fvx");
    if (!CHECK(fx != NULL, "boxes_soft_nms.fvx loads")) return;
    const float *boxes = f32(fx, "boxes"), *scores = f32(fx, "scores");
    int64_t n = count(fx, "scores");
    static const char *runs[] = {"linear", "gauss", "gauss_top"};
    for (int r = 0; r < 3; r++) {
        char name[32];
        snprintf(name, sizeof name, "%s_args", runs[r]);
        const float *args = f32(fx, name);
        int64_t *keep = malloc(sizeof(int64_t) * (size_t)n), kept = 0;
        float *out = malloc(sizeof(float) * (size_t)n);
        fv_status s = fv_soft_nms(ctx, boxes, scores, n, r ? FV_SOFT_NMS_GAUSSIAN : FV_SOFT_NMS_LINEAR, args[0],
                                  args[2], args[1], (int64_t)args[3], keep, &kept, out);
        snprintf(name, sizeof name, "%s_kept", runs[r]);
        bool same = s == FV_OK && same_indices(keep, kept, fx_get(fx, name));
        snprintf(name, sizeof name, "%s_scores", runs[r]);
        double w = same ? worst(out, f32(fx, name), kept) : INFINITY;
        CHECK(same && w <= TOL, "soft-NMS %s (sigma %g, score threshold %g, IoU %g, top %g): OpenCV's %lld kept "
              "boxes, scores worst %.2e", runs[r], (double)args[0], (double)args[1], (double)args[2], (double)args[3],
              (long long)kept, w);
        free(keep), free(out);
    }
    fx_free(fx);
}

static void test_bad_input(fv_ctx *ctx)
{
    float boxes[12] = {0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60}, scores[3] = {0.9f, NAN, 0.5f};
    int64_t keep[3], kept = 7;
    int32_t classes[3] = {0, 0, 1};
    CHECK(fv_nms(ctx, boxes, scores, 3, 0.5f, keep, &kept) == FV_ERR_ARG && kept == 0 &&
          strstr(fv_errmsg(ctx), "score 1 is NaN"), "nms: a NaN score named, nothing kept: %s", fv_errmsg(ctx));
    CHECK(fv_batched_nms(ctx, boxes, scores, classes, 3, 0.5f, keep, &kept) == FV_ERR_ARG, "batched_nms too");
    scores[1] = 0.8f;
    CHECK(fv_nms(ctx, boxes, scores, 3, NAN, keep, &kept) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "threshold"),
          "a NaN IoU threshold refused: %s", fv_errmsg(ctx));
    CHECK(fv_nms(ctx, boxes, scores, 0, 0.5f, keep, &kept) == FV_OK && kept == 0, "no boxes: none kept");
    CHECK(fv_soft_nms(ctx, boxes, scores, 3, FV_SOFT_NMS_GAUSSIAN, 0.0f, 0.3f, 0.1f, 0, keep, &kept, NULL) ==
          FV_ERR_ARG, "soft-NMS with a Gaussian of sigma 0 refused: %s", fv_errmsg(ctx));
    CHECK(fv_nms(ctx, boxes, scores, 3, 0.5f, keep, &kept) == FV_OK && kept == 2 && keep[0] == 0 && keep[1] == 2,
          "and a plain case: the second box (IoU 0.68 with the first) suppressed");
}

/* Boxes (x1, y1, x2, y2) in cells of a grid of 8-pixel rows and 16-pixel columns, and anchors: decoding the
 * encoded offsets (through the
 * logit, since decoding applies the sigmoid) gives the boxes back. */
static void test_yolo(void)
{
    float boxes[8] = {20, 30, 60, 90, 100, 4, 140, 20}, cells[4] = {2, 7, 7, 1}, anchors[4] = {30, 50, 45, 12};
    float t[8], back[8];
    fv_yolo_encode(t, boxes, cells, anchors, 2, 8.0f, 16.0f);
    bool in_cell = t[0] >= 0 && t[0] < 1 && t[1] >= 0 && t[1] < 1 && t[4] >= 0 && t[4] < 1 && t[5] >= 0 && t[5] < 1;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) t[4 * i + k] = logf(t[4 * i + k] / (1.0f - t[4 * i + k]));
    fv_yolo_decode(back, t, cells, anchors, 2, 8.0f, 16.0f);
    CHECK(in_cell && worst(back, boxes, 8) < 1e-5, "YOLO: the centre's offsets lie in its cell, and decoding the "
          "encoding gives the boxes back (worst %.2e)", worst(back, boxes, 8));
}

/* Three planted clusters of sizes (thin, square, wide) with noise: k-means finds one anchor near each, in area
 * order, the same from the same seed, and fits better than the first three boxes as anchors. */
static void test_kmeans(fv_ctx *ctx)
{
    enum { N = 600 };
    static const float planted[3][2] = {{12, 40}, {30, 30}, {90, 45}};
    float wh[2 * N], anchors[6], again[6];
    for (int i = 0; i < N; i++) {
        const float *p = planted[i % 3];
        wh[2 * i] = p[0] * (0.9f + 0.2f * fv_rng_uniform(5, 1, (uint64_t)i));
        wh[2 * i + 1] = p[1] * (0.9f + 0.2f * fv_rng_uniform(5, 2, (uint64_t)i));
    }
    double iou = 0.0, iou_again = 0.0;
    fv_status s = fv_anchor_kmeans(ctx, anchors, 3, wh, N, 42, 100, &iou);
    fv_anchor_kmeans(ctx, again, 3, wh, N, 42, 100, &iou_again);
    bool found = s == FV_OK;
    static const int order[3] = {0, 1, 2}; /* areas 480, 900, 4050: already by area */
    for (int c = 0; c < 3; c++)
        found &= fabsf(anchors[2 * c] - planted[order[c]][0]) < 0.05f * planted[order[c]][0] &&
                 fabsf(anchors[2 * c + 1] - planted[order[c]][1]) < 0.05f * planted[order[c]][1];
    CHECK(found, "k-means anchors find the three planted sizes (%.1fx%.1f, %.1fx%.1f, %.1fx%.1f), by area",
          (double)anchors[0], (double)anchors[1], (double)anchors[2], (double)anchors[3], (double)anchors[4],
          (double)anchors[5]);
    CHECK(memcmp(anchors, again, sizeof anchors) == 0 && iou == iou_again, "the same seed, the same anchors");
    double naive = 0.0; /* the first three boxes (one of each cluster) as anchors, unrefined */
    for (int i = 0; i < N; i++) {
        double best = 0.0;
        for (int c = 0; c < 3; c++) {
            double inter = fmin(wh[2 * i], wh[2 * c]) * fmin(wh[2 * i + 1], wh[2 * c + 1]);
            double u = (double)wh[2 * i] * wh[2 * i + 1] + (double)wh[2 * c] * wh[2 * c + 1] - inter;
            best = fmax(best, inter / u);
        }
        naive += best / N;
    }
    CHECK(iou > 0.9 && iou >= naive, "mean best IoU %.3f (the first three boxes as anchors: %.3f)", iou, naive);
    wh[7] = -3.0f;
    CHECK(fv_anchor_kmeans(ctx, anchors, 3, wh, N, 42, 100, NULL) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "box 3"),
          "a negative size refused, naming the box: %s", fv_errmsg(ctx));
    CHECK(fv_anchor_kmeans(ctx, anchors, 3, wh, 2, 42, 100, NULL) == FV_ERR_ARG, "fewer boxes than anchors refused: "
          "%s", fv_errmsg(ctx));
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    test_ops();
    test_nms(ctx);
    test_anchors(ctx);
    test_soft_nms(ctx);
    test_bad_input(ctx);
    test_yolo();
    test_kmeans(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
