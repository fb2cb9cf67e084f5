/* Segmentation metrics against a plain NumPy computation on the same masks (tests/reference/gen_seg_metrics.py):
 * the confusion matrix of masks with an ignored label, pixel accuracy, per-class IoU and Dice (NaN for a class
 * that never occurs) and their nanmeans; int64 labels count the same; bad labels and shapes are refused before
 * anything is counted; a NaN score is the predicted class, as fv_argmax_rows has it; the segment task over several
 * batches reports NumPy's values from one matrix over every pixel. */
#include <math.h>
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

/* a and b (k values) equal within tol, NaN where the other is NaN */
static bool same_values(const double *a, const fv_tensor *b, int k, double tol)
{
    for (int c = 0; c < k; c++) {
        double w = fv_f32(b)[c];
        if (isnan(w) != isnan(a[c]) || (!isnan(w) && fabs(a[c] - w) > tol)) return false;
    }
    return true;
}

static void against_numpy(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/seg_metrics_basic.fvx");
    if (!CHECK(fx != NULL, "seg_metrics_basic.fvx loads")) return;
    fv_ctx *ctx = fv_ctx_new(1);
    const fv_tensor *logits = fx_get(fx, "in:logits"), *labels = fx_get(fx, "in:labels"), *want = fx_get(fx, "confusion");
    int k = (int)logits->shape[1];
    fv_confusion *cm = fv_confusion_new(ctx, k);
    CHECK(fv_confusion_add_masks(cm, logits, labels, fx_int(fx, "attr:ignore_index", 0, 255)) == FV_OK,
          "masks counted (%s)", fv_errmsg(ctx));
    bool same = true;
    for (int i = 0; i < k * k; i++) same = same && cm->counts[i] == fx_int_of(want, i);
    CHECK(same, "the confusion matrix of %lld positions (a row ignored) equals NumPy's", (long long)fv_confusion_total(cm));
    double iou[16], dice[16], miou, mdice;
    fv_confusion_overlap(cm, iou, dice, &miou, &mdice);
    CHECK(fabs(fv_confusion_accuracy(cm) - fv_f32(fx_get(fx, "pixel_accuracy"))[0]) < 1e-6,
          "pixel accuracy %.6f equals NumPy's", fv_confusion_accuracy(cm));
    CHECK(same_values(iou, fx_get(fx, "iou"), k, 1e-6) && same_values(dice, fx_get(fx, "dice"), k, 1e-6) &&
              isnan(iou[4]) && !isnan(iou[3]),
          "per-class IoU and Dice equal NumPy's, NaN for the class that never occurs (IoU %.4f %.4f %.4f %.4f %g)",
          iou[0], iou[1], iou[2], iou[3], iou[4]);
    CHECK(fabs(miou - fv_f32(fx_get(fx, "mean_iou"))[0]) < 1e-6 && fabs(mdice - fv_f32(fx_get(fx, "mean_dice"))[0]) < 1e-6,
          "mean IoU %.6f and mean Dice %.6f are NumPy's nanmeans", miou, mdice);
    /* the same labels as int64 */
    fv_tensor *l64 = fv_tensor_new(ctx, FV_I64, labels->ndim, labels->shape);
    for (int64_t i = 0; i < labels->size; i++) ((int64_t *)l64->data)[i] = fv_i32(labels)[i];
    fv_confusion *cm64 = fv_confusion_new(ctx, k);
    fv_confusion_add_masks(cm64, logits, l64, 255);
    same = true;
    for (int i = 0; i < k * k; i++) same = same && cm64->counts[i] == cm->counts[i];
    CHECK(same, "int64 labels count the same");
    /* a bad label anywhere: an error naming it, nothing counted */
    ((int64_t *)l64->data)[17] = 9;
    fv_confusion_reset(cm64);
    CHECK(fv_confusion_add_masks(cm64, logits, l64, 255) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "label 9") &&
              strstr(fv_errmsg(ctx), "position 17") && fv_confusion_total(cm64) == 0,
          "a label of 9 is refused before counting: %s", fv_errmsg(ctx));
    fv_tensor_free(l64);
    fv_confusion_free(cm64);
    fv_confusion_free(cm);
    fv_ctx_free(ctx);
    fx_free(fx);
}

/* The segment task as fv_evaluate_task runs it (what `fovea evaluate` prints): a model whose output is its input
 * (dropout, the identity in eval mode, over the fixture's logits), one image a batch. Its metrics come from one
 * matrix over every pixel, equal to NumPy's, not the mean of each batch's; fv_task_confusion holds that matrix. */
static void task_over_batches(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/seg_metrics_basic.fvx");
    if (!fx) return;
    fv_ctx *ctx = fv_ctx_new(1);
    const fv_tensor *logits = fx_get(fx, "in:logits"), *labels = fx_get(fx, "in:labels");
    fv_model *m = fv_model_parse(ctx, "input x shape=5x6x7\ndropout d rate=0.5\n", "identity");
    fv_task_options o = fv_task_defaults(FV_TASK_SEGMENT);
    fv_task *task = fv_task_new(ctx, &o);
    const fv_tensor *inputs[1] = {logits};
    fv_tensor_set *set = fv_tensor_set_new(ctx, inputs, 1, labels);
    fv_data_source src = fv_tensor_set_source(set);
    fv_task_result r;
    fv_status s = m && task && set ? fv_evaluate_task(m, task, &src, 1, &r) : FV_ERR_ARG;
    CHECK(s == FV_OK && r.n == 4 && !strcmp(r.names[1], "pixel_accuracy") && !strcmp(r.names[2], "mean_iou") &&
              !strcmp(r.names[3], "mean_dice"), "the segment task reports pixel_accuracy, mean_iou, mean_dice (%s)",
          fv_errmsg(ctx));
    double want_iou = fv_f32(fx_get(fx, "mean_iou"))[0], per_image = fv_f32(fx_get(fx, "image_mean_iou"))[0];
    CHECK(s == FV_OK && fabs(r.values[1] - fv_f32(fx_get(fx, "pixel_accuracy"))[0]) < 1e-6 &&
              fabs(r.values[2] - want_iou) < 1e-6 && fabs(r.values[3] - fv_f32(fx_get(fx, "mean_dice"))[0]) < 1e-6,
          "over 3 batches of one image: NumPy's values from one matrix over all pixels (mIoU %.6f, NumPy %.6f)",
          s == FV_OK ? r.values[2] : NAN, want_iou);
    CHECK(fabs(want_iou - per_image) > 1e-3, "(the mean of per-image mIoUs, %.4f, would differ)", per_image);
    const fv_confusion *cm = fv_task_confusion(task);
    const fv_tensor *want = fx_get(fx, "confusion");
    bool same = cm && cm->k == 5;
    for (int i = 0; same && i < 25; i++) same = cm->counts[i] == fx_int_of(want, i);
    CHECK(same, "fv_task_confusion holds NumPy's matrix after the evaluation");
    fv_tensor_set_free(set);
    fv_task_free(task);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fx_free(fx);
}

static void rules(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_confusion *cm = fv_confusion_new(ctx, 3);
    /* one image, 3 classes, 2 positions: position 0 has a NaN for class 1 (predicted: 1), position 1 ties 0 and 2
     * (predicted: the first, 0) */
    fv_tensor *x = fv_tensor_from(ctx, FV_F32, 3, (int64_t[]){1, 3, 2}, (float[]){0.5f, 2.0f, NAN, 1.0f, 0.1f, 2.0f});
    fv_tensor *y = fv_tensor_from(ctx, FV_I32, 2, (int64_t[]){1, 2}, (int32_t[]){1, 2});
    CHECK(fv_confusion_add_masks(cm, x, y, -1) == FV_OK && cm->counts[1 * 3 + 1] == 1 && cm->counts[2 * 3 + 0] == 1,
          "a NaN score is the prediction, ties go to the first class");
    fv_tensor *bad = fv_tensor_from(ctx, FV_I32, 2, (int64_t[]){2, 1}, (int32_t[]){0, 1});
    CHECK(fv_confusion_add_masks(cm, x, bad, -1) == FV_ERR_SHAPE && strstr(fv_errmsg(ctx), "(1,3,2)"),
          "labels of another shape are refused naming both: %s", fv_errmsg(ctx));
    fv_confusion *cm4 = fv_confusion_new(ctx, 4);
    CHECK(fv_confusion_add_masks(cm4, x, y, -1) == FV_ERR_SHAPE && strstr(fv_errmsg(ctx), "3 classes"),
          "logits with 3 classes for a 4-class matrix are refused: %s", fv_errmsg(ctx));
    double miou = 0;
    fv_confusion_reset(cm4);
    fv_confusion_overlap(cm4, NULL, NULL, &miou, NULL);
    CHECK(isnan(miou), "the mean IoU of an empty matrix is NaN");
    fv_tensor_free(x), fv_tensor_free(y), fv_tensor_free(bad);
    fv_confusion_free(cm), fv_confusion_free(cm4);
    fv_ctx_free(ctx);
}

int main(void)
{
    against_numpy();
    rules();
    task_over_batches();
    return test_finish();
}
