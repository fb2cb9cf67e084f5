/* Detection metrics (fv_det_eval_*) against the reference in tests/reference/gen_map.py (pycocotools' COCOeval
 * and the VOC devkit's AP, transcribed): 14 images with tied scores, images without true boxes or without
 * detections, crowd boxes, three sizes, 130 detections in one image, a class without true boxes and one never
 * detected. Then hand-made cases whose answers are known, and bad input. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

static const fv_tensor *get(const fx_file *fx, const char *fmt, int i)
{
    char name[48];
    snprintf(name, sizeof name, fmt, i);
    return fx_get(fx, name);
}

/* |a - b| <= tol, or both NaN */
static bool near(double a, double b, double tol) { return (isnan(a) && isnan(b)) || fabs(a - b) <= tol; }

static void test_reference(fv_ctx *ctx)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/map_eval.fvx");
    if (!CHECK(fx != NULL, "map_eval.fvx loads")) return;
    const int32_t *dims = fv_i32((fv_tensor *)fx_get(fx, "images"));
    int images = dims[0], k = dims[1];
    fv_det_eval *e = fv_det_eval_new(ctx, k);
    bool added = e != NULL;
    for (int i = 0; added && i < images; i++) {
        const fv_tensor *gc = get(fx, "gt_crowd_%d", i);
        uint8_t crowd[64] = {0};
        for (int64_t j = 0; j < gc->size && j < 64; j++) crowd[j] = (uint8_t)fv_i32((fv_tensor *)gc)[j];
        const fv_tensor *ds = get(fx, "det_scores_%d", i);
        added = fv_det_eval_add(e, fv_f32((fv_tensor *)get(fx, "gt_boxes_%d", i)),
                                fv_i32((fv_tensor *)get(fx, "gt_classes_%d", i)), crowd, gc->size,
                                fv_f32((fv_tensor *)get(fx, "det_boxes_%d", i)), fv_f32((fv_tensor *)ds),
                                fv_i32((fv_tensor *)get(fx, "det_classes_%d", i)), ds->size) == FV_OK;
    }
    if (!CHECK(added && fv_det_eval_images(e) == images, "%d images added", images)) {
        fv_det_eval_free(e), fx_free(fx);
        return;
    }
    static const struct {
        const char *name;
        double iou;
        bool eleven;
    } voc[] = {{"voc07_ap", 0.5, true}, {"voc_ap", 0.5, false}, {"voc_ap_7", 0.7, false}};
    for (int v = 0; v < 3; v++) {
        double ap[8], map = 0.0;
        const float *want = fv_f32((fv_tensor *)fx_get(fx, voc[v].name));
        bool same = fv_det_eval_voc(e, voc[v].iou, voc[v].eleven, ap, &map) == FV_OK;
        double sum = 0.0;
        int n = 0;
        for (int c = 0; c < k; c++) {
            same &= near(ap[c], want[c], 1e-6);
            if (!isnan(want[c])) sum += want[c], n++;
        }
        CHECK(same && near(map, sum / n, 1e-6), "VOC AP (%s, IoU %.1f): per class %.4f %.4f %.4f %s and mAP %.4f as the "
              "devkit's", voc[v].eleven ? "11-point" : "all-point", voc[v].iou, ap[0], ap[1], ap[2],
              isnan(ap[3]) ? "NaN (no true box)" : "?", map);
    }
    fv_coco_summary s;
    double ap[8];
    const float *stats = fv_f32((fv_tensor *)fx_get(fx, "coco_stats")), *per = fv_f32((fv_tensor *)fx_get(fx, "coco_ap"));
    bool ok = fv_det_eval_coco(e, &s, ap) == FV_OK;
    double got[12] = {s.map, s.map50, s.map75, s.map_small, s.map_medium, s.map_large,
                      s.ar1, s.ar10, s.ar100, s.ar_small, s.ar_medium, s.ar_large};
    static const char *names[12] = {"AP", "AP50", "AP75", "AP small", "AP medium", "AP large",
                                    "AR1", "AR10", "AR100", "AR small", "AR medium", "AR large"};
    for (int i = 0; i < 12; i++)
        CHECK(ok && near(got[i], stats[i], 1e-6), "COCO %s %.4f (COCOeval: %.4f)", names[i], got[i], (double)stats[i]);
    bool classes = ok;
    for (int c = 0; c < k; c++) classes &= near(ap[c], per[c], 1e-6);
    CHECK(classes, "COCO AP per class: %.4f %.4f %.4f %.0f (the last: no true box, -1 as COCOeval)", ap[0], ap[1],
          ap[2], ap[3]);
    fv_det_eval_free(e);
    fx_free(fx);
}

/* Known answers: one perfect detection, one duplicate (a false positive at half the score), one miss. */
static void test_known(fv_ctx *ctx)
{
    fv_det_eval *e = fv_det_eval_new(ctx, 1);
    float gt[8] = {0, 0, 100, 100, 200, 200, 260, 260}, det[8] = {0, 0, 100, 100, 1, 1, 99, 99};
    int32_t gc[2] = {0, 0}, dc[2] = {0, 0};
    float scores[2] = {0.9f, 0.4f};
    fv_det_eval_add(e, gt, gc, NULL, 2, det, scores, dc, 2);
    double ap = 0.0, map = 0.0;
    fv_det_eval_voc(e, 0.5, false, &ap, &map);
    /* recall 0.5 at precision 1 (the first), then 0.5 at 0.5: the envelope's area is 0.5 */
    CHECK(fabs(ap - 0.5) < 1e-12 && fabs(map - 0.5) < 1e-12, "VOC: a hit, a duplicate, a miss: AP 0.5 (%.6f)", ap);
    fv_det_eval_voc(e, 0.5, true, &ap, &map);
    CHECK(fabs(ap - 6.0 / 11.0) < 1e-12, "11-point: 6 of the 11 recalls reach precision 1 (%.6f)", ap);
    fv_coco_summary s;
    fv_det_eval_coco(e, &s, NULL);
    /* the hit matches at every threshold (IoU 1); recall 0.5 everywhere: precision 1 at recalls 0..0.5 */
    CHECK(fabs(s.map - 51.0 / 101.0) < 1e-9 && fabs(s.ar100 - 0.5) < 1e-12 && s.map_small == -1.0,
          "COCO: AP 51/101 (%.6f), AR100 0.5, no small boxes: -1", s.map);
    fv_det_eval_free(e);
}

static void test_bad_input(fv_ctx *ctx)
{
    CHECK(fv_det_eval_new(ctx, 0) == NULL, "no classes refused: %s", fv_errmsg(ctx));
    fv_det_eval *e = fv_det_eval_new(ctx, 2);
    float box[4] = {0, 0, 10, 10}, nan_box[4] = {0, NAN, 10, 10}, score = 0.5f, nan_score = NAN;
    int32_t two = 2, zero = 0;
    CHECK(fv_det_eval_add(e, box, &two, NULL, 1, NULL, NULL, NULL, 0) == FV_ERR_ARG &&
          strstr(fv_errmsg(ctx), "class 2 (of 2)"), "a class out of range named: %s", fv_errmsg(ctx));
    CHECK(fv_det_eval_add(e, box, &zero, NULL, 1, box, &nan_score, &zero, 1) == FV_ERR_ARG &&
          strstr(fv_errmsg(ctx), "NaN score"), "a NaN score named: %s", fv_errmsg(ctx));
    CHECK(fv_det_eval_add(e, nan_box, &zero, NULL, 1, box, &score, &zero, 1) == FV_ERR_ARG &&
          strstr(fv_errmsg(ctx), "true box 0"), "a NaN corner named: %s", fv_errmsg(ctx));
    CHECK(fv_det_eval_images(e) == 0, "and nothing added by the refused calls");
    double ap[2], map;
    CHECK(fv_det_eval_voc(e, 0.5, false, ap, &map) == FV_OK && isnan(map), "no images: VOC mAP NaN");
    fv_coco_summary s;
    CHECK(fv_det_eval_coco(e, &s, NULL) == FV_OK && s.map == -1.0 && s.ar100 == -1.0, "no images: COCO -1 throughout");
    CHECK(fv_det_eval_voc(e, 1.5, false, ap, &map) == FV_ERR_ARG, "an IoU threshold of 1.5 refused: %s", fv_errmsg(ctx));
    fv_det_eval_free(e);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    test_reference(ctx);
    test_known(ctx);
    test_bad_input(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
