/* The report's segmentation page (fv_report_write_segmentation, diagnose.h). One confusion matrix over every
 * pixel gives pixel_accuracy, mean_iou, mean_dice and the per-class IoU and Dice, counted by the same function
 * as `fovea evaluate --task segment` (fv_confusion_add_masks), so the page and evaluate agree to the digit; each
 * image's own matrix ranks the images, and the best and worst are drawn beside their truth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/diagnose.h"
#include "fovea/image.h"
#include "fovea/metrics.h"
#include "fovea/task.h"
#include "html.h"
#include "report_page.h"

#define BATCH 16      /* images per forward pass: bounds the logits held at once */
#define ALPHA 0.5f    /* the class colours' weight in an overlay, `fovea segment`'s default */

typedef struct {
    fv_model *m;
    const fv_tensor *images, *masks;
    int64_t n, C, H, W;
    int k;                 /* classes: the model's output channels, known after the first batch */
    int64_t ignore;        /* the mask value that counts nowhere */
    fv_confusion *total;   /* every pixel of every image */
    double *score;         /* n: each image's mean IoU (NaN when all its pixels are ignored) */
    double *accuracy;      /* n: each image's pixel accuracy */
    uint8_t *pred;         /* n x H x W predicted classes: kept rather than recomputed for the images shown; a
                            * quarter of the memory the images already take as floats */
    const char *names[256];
    char numbers[256][16]; /* "class c" for a class without a name */
    const fv_report_options *o;
    const fv_history *history;
    fv_ctx *ctx;
} seg_eval;

/* ---- detection -------------------------------------------------------------------------------------------- */

bool fv_model_segments(fv_model *m)
{
    const char *task = fv_model_task(m);
    if (task && strncmp(task, "segment", 7) == 0 && (task[7] == '\0' || task[7] == ' ')) return true;
    int64_t shape[FV_MAX_DIMS + 1];
    if (fv_model_input_shape(m, shape + 1) != 3) return false;
    shape[0] = 1;
    fv_ctx *ctx = fv_model_ctx(m);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, shape);
    if (x) memset(x->data, 0, (size_t)x->size * sizeof(float));
    fv_tensor *y = x ? fv_model_output(m, x) : NULL;
    bool yes = y && y->ndim == 4 && y->shape[1] >= 1 && y->shape[1] <= 256;
    fv_tensor_free(x), fv_tensor_free(y);
    fv_clear_error(ctx); /* a model this probe cannot run is simply not known to segment */
    return yes;
}

/* ---- evaluation ------------------------------------------------------------------------------------------- */

/* The model's task line's ignore_index when it names the segment task, so that the page counts the pixels
 * `fovea evaluate` counts for this model; else the segmentation folders' convention, 255. */
static int64_t ignored_value(fv_model *m)
{
    fv_task_options o = fv_task_defaults(FV_TASK_SEGMENT);
    float room[256]; /* pos_weight's values, which a segment line does not use */
    const char *line = fv_model_task(m);
    if (line && fv_task_options_parse(fv_model_ctx(m), line, &o, room, 256) != FV_OK) fv_clear_error(fv_model_ctx(m));
    return o.kind == FV_TASK_SEGMENT ? o.ignore_index : 255; /* no line: the defaults, 255 */
}

static fv_status check_inputs(fv_ctx *ctx, const fv_tensor *images, const fv_tensor *masks)
{
    char a[64], b[64];
    if (!images || !masks) return fv_error(ctx, FV_ERR_ARG, "segmentation report: no images or no masks");
    if (images->dtype != FV_F32 || images->ndim != 4 || masks->dtype != FV_I32 || masks->ndim != 3 ||
        masks->shape[0] != images->shape[0] || masks->shape[1] != images->shape[2] || masks->shape[2] != images->shape[3])
        return fv_error(ctx, FV_ERR_SHAPE, "segmentation report: expected float32 images (N, C, H, W) and int32 masks "
                        "(N, H, W), got %s and %s", fv_shape_str(images, a, sizeof a), fv_shape_str(masks, b, sizeof b));
    if (images->shape[0] < 1) return fv_error(ctx, FV_ERR_ARG, "the data set of the report is empty");
    return FV_OK;
}

/* The first batch's output fixes k and the matrices; later ones must agree. */
static fv_status check_output(seg_eval *e, const fv_tensor *o, int64_t cnt)
{
    char a[64];
    if (o->dtype != FV_F32 || o->ndim != 4 || o->shape[0] != cnt || o->shape[1] < 1 || o->shape[1] > 256 ||
        o->shape[2] != e->H || o->shape[3] != e->W || (e->k && o->shape[1] != e->k))
        return fv_error(e->ctx, FV_ERR_SHAPE, "model '%s' gives %s for %lld images of %lldx%lld: a segmentation report "
                        "needs logits (N, K, %lld, %lld), K <= 256, at the masks' size", fv_model_name(e->m),
                        fv_shape_str(o, a, sizeof a), (long long)cnt, (long long)e->H, (long long)e->W,
                        (long long)e->H, (long long)e->W);
    if (e->k) return FV_OK;
    e->k = (int)o->shape[1];
    return (e->total = fv_confusion_new(e->ctx, e->k)) ? FV_OK : fv_errcode(e->ctx);
}

/* Image i's pixels (its logits at o's row r) counted into its own matrix img, scored, and added to the total. */
static fv_status count_image(seg_eval *e, fv_confusion *img, const fv_tensor *o, int64_t r, int64_t i)
{
    int64_t plane = e->H * e->W;
    fv_tensor z = {FV_F32, 4, {1, e->k, e->H, e->W}, e->k * plane, fv_f32(o) + r * e->k * plane, false};
    fv_tensor y = {FV_I32, 3, {1, e->H, e->W}, plane, fv_i32(e->masks) + i * plane, false};
    fv_confusion_reset(img);
    if (fv_confusion_add_masks(img, &z, &y, e->ignore) != FV_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", fv_errmsg(e->ctx));
        return fv_error(e->ctx, FV_ERR_ARG, "segmentation report: the mask of image %lld: %s", (long long)i, why);
    }
    for (int c = 0; c < e->k * e->k; c++) e->total->counts[c] += img->counts[c];
    fv_confusion_overlap(img, NULL, NULL, &e->score[i], NULL);
    e->accuracy[i] = fv_confusion_accuracy(img);
    uint8_t *mask = fv_class_mask(o, r, (int)e->H, (int)e->W);
    if (!mask) return fv_error(e->ctx, FV_ERR_NOMEM, "out of memory for the report's masks");
    memcpy(e->pred + i * plane, mask, (size_t)plane);
    free(mask);
    return FV_OK;
}

static fv_status evaluate_batch(seg_eval *e, fv_confusion **img, int64_t first, int64_t cnt)
{
    int64_t size = e->C * e->H * e->W;
    fv_tensor x = {FV_F32, 4, {cnt, e->C, e->H, e->W}, cnt * size, fv_f32(e->images) + first * size, false};
    fv_tensor *o = fv_model_output(e->m, &x);
    if (!o) return fv_errcode(e->ctx);
    fv_status s = check_output(e, o, cnt);
    if (!s && !*img && !(*img = fv_confusion_new(e->ctx, e->k))) s = fv_errcode(e->ctx);
    for (int64_t r = 0; !s && r < cnt; r++) s = count_image(e, *img, o, r, first + r);
    fv_tensor_free(o);
    return s;
}

static void name_classes(seg_eval *e)
{
    for (int c = 0; c < e->k; c++) {
        const char *given = e->o->class_names && c < e->o->n_class_names ? e->o->class_names[c] : NULL;
        e->names[c] = given ? given : fv_model_class_name(e->m, c);
        if (!e->names[c]) snprintf(e->numbers[c], sizeof e->numbers[c], "class %d", c), e->names[c] = e->numbers[c];
    }
}

static fv_status evaluate(seg_eval *e)
{
    e->n = e->images->shape[0], e->C = e->images->shape[1], e->H = e->images->shape[2], e->W = e->images->shape[3];
    e->score = malloc((size_t)e->n * sizeof *e->score);
    e->accuracy = malloc((size_t)e->n * sizeof *e->accuracy);
    e->pred = malloc((size_t)(e->n * e->H * e->W));
    if (!e->score || !e->accuracy || !e->pred)
        return fv_error(e->ctx, FV_ERR_NOMEM, "out of memory for the report's %lld images", (long long)e->n);
    fv_confusion *img = NULL;
    fv_status s = FV_OK;
    for (int64_t first = 0; !s && first < e->n; first += BATCH)
        s = evaluate_batch(e, &img, first, e->n - first < BATCH ? e->n - first : BATCH);
    fv_confusion_free(img);
    if (!s) name_classes(e);
    return s;
}

/* ---- the section ------------------------------------------------------------------------------------------ */

static void print_score(FILE *f, double v)
{
    if (isnan(v)) fprintf(f, "<td>n/a</td>");
    else fprintf(f, "<td>%.4f</td>", v);
}

/* The totals in evaluate's "name: value" lines, then a row per class. */
static void section_scores(FILE *f, const seg_eval *e)
{
    double iou[256], dice[256], miou, mdice;
    fv_confusion_overlap(e->total, iou, dice, &miou, &mdice);
    fprintf(f, "<h2>Segmentation</h2><p>%lld images of %lldx%lld, %lld pixels counted (mask value %lld ignored), %d "
               "classes. Mean IoU and mean Dice average the classes present in the truth or the prediction; n/a marks "
               "a class that is in neither.</p>", (long long)e->n, (long long)e->W, (long long)e->H,
            (long long)fv_confusion_total(e->total), (long long)e->ignore, e->k);
    if (e->o->class_names && e->o->n_class_names != e->k)
        fv_report_warn(f, "the data's classes.txt names a different number of classes than the model has");
    fprintf(f, "<pre id=\"seg-metrics\">pixel_accuracy: %.4f\nmean_iou: %.4f\nmean_dice: %.4f</pre>",
            fv_confusion_accuracy(e->total), miou, mdice);
    fprintf(f, "<table id=\"seg-classes\"><tr><th>class</th><th>name</th><th>IoU</th><th>Dice</th><th>true pixels</th>"
               "<th>predicted pixels</th></tr>\n");
    for (int c = 0; c < e->k; c++) {
        int64_t truth = 0, pred = 0;
        for (int o = 0; o < e->k; o++)
            truth += e->total->counts[c * e->k + o], pred += e->total->counts[o * e->k + c];
        fprintf(f, "<tr><td>%d</td><td>", c);
        fv_html_escape(f, e->names[c]);
        fprintf(f, "</td>");
        print_score(f, iou[c]), print_score(f, dice[c]);
        fprintf(f, "<td>%lld</td><td>%lld</td></tr>\n", (long long)truth, (long long)pred);
    }
    fprintf(f, "</table>\n");
}

static void section_matrix(FILE *f, const seg_eval *e)
{
    fprintf(f, "<h3>Confusion matrix (pixels; rows: true class, columns: predicted)</h3>");
    fv_svg_confusion(f, e->total->counts, e->k, e->names);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) { /* the exact counts, which the heat map's cells may be too small to show */
        fv_confusion_print(e->total, mem, e->names, 14);
        fclose(mem);
        fprintf(f, "<pre>");
        fv_html_escape(f, text);
        fprintf(f, "</pre>");
    }
    free(text);
}

/* Up to FV_REPORT_SEG_SHOWN images not yet used, by score, the best (descending) or the worst (ascending); images
 * whose every pixel is ignored have no score and are never picked. Ties go to the lower index. */
static int rank(const seg_eval *e, bool best, bool *used, int64_t *pick)
{
    int n = 0;
    for (; n < FV_REPORT_SEG_SHOWN; n++) {
        int64_t b = -1;
        for (int64_t i = 0; i < e->n; i++)
            if (!used[i] && !isnan(e->score[i]) &&
                (b < 0 || (best ? e->score[i] > e->score[b] : e->score[i] < e->score[b])))
                b = i;
        if (b < 0) break;
        used[b] = true, pick[n] = b;
    }
    return n;
}

static void figure(FILE *f, fv_ctx *ctx, const uint8_t *rgb, int w, int h, const char *caption)
{
    fprintf(f, "<figure>");
    fv_html_png(f, ctx, rgb, w, h, 3);
    fprintf(f, "<figcaption>%s</figcaption></figure>", caption);
}

/* Image i three times: as it is (an overlay of the all-background mask), under its truth, under the prediction. */
static void example(FILE *f, const seg_eval *e, int64_t i, uint8_t *truth)
{
    int64_t plane = e->H * e->W;
    const float *im = fv_f32(e->images) + i * e->C * plane;
    for (int64_t p = 0; p < plane; p++) truth[p] = (uint8_t)fv_i32(e->masks)[i * plane + p]; /* < 256, checked */
    uint8_t *none = calloc((size_t)plane, 1);
    uint8_t *views[3] = {none ? fv_class_overlay(none, im, (int)e->C, (int)e->H, (int)e->W, ALPHA) : NULL,
                         fv_class_overlay(truth, im, (int)e->C, (int)e->H, (int)e->W, ALPHA),
                         fv_class_overlay(e->pred + i * plane, im, (int)e->C, (int)e->H, (int)e->W, ALPHA)};
    char caption[3][96];
    snprintf(caption[0], sizeof caption[0], "#%lld: image", (long long)i);
    snprintf(caption[1], sizeof caption[1], "truth");
    snprintf(caption[2], sizeof caption[2], "prediction: IoU %.3f, accuracy %.3f", e->score[i], e->accuracy[i]);
    fprintf(f, "<div class=\"grid\">");
    for (int v = 0; v < 3; v++)
        if (views[v]) figure(f, e->ctx, views[v], (int)e->W, (int)e->H, caption[v]);
    fprintf(f, "</div>\n");
    for (int v = 0; v < 3; v++) free(views[v]);
    free(none);
}

static void section_examples(FILE *f, const seg_eval *e)
{
    bool *used = calloc((size_t)e->n, sizeof *used);
    uint8_t *truth = malloc((size_t)(e->H * e->W));
    int64_t pick[FV_REPORT_SEG_SHOWN];
    static const char *const titles[2] = {"Best images", "Worst images"};
    for (int b = 0; used && truth && b < 2; b++) {
        int n = rank(e, b == 0, used, pick);
        fprintf(f, "<h3>%s (by the image's own mean IoU)</h3>", titles[b]);
        if (!n) fprintf(f, "<p>none</p>");
        for (int j = 0; j < n; j++) example(f, e, pick[j], truth);
    }
    free(used), free(truth);
}

static void segmentation_page(FILE *f, void *arg)
{
    const seg_eval *e = arg;
    fv_report_page_start(f, e->m, e->history);
    section_scores(f, e);
    section_matrix(f, e);
    fprintf(f, "<p>Overlays: the Pascal VOC palette at weight %.1f over the image; class 0 (the background) is left as "
               "the image, ignored pixels show in cream.</p>", ALPHA);
    section_examples(f, e);
    fv_report_page_end(f);
}

fv_status fv_report_write_segmentation(fv_model *m, const fv_tensor *images, const fv_tensor *masks,
                                       const fv_report_options *o, const char *path)
{
    fv_ctx *ctx = fv_model_ctx(m);
    fv_status s = check_inputs(ctx, images, masks);
    if (s) return s;
    fv_history *history = NULL; /* read first: a bad history stops the report before the long evaluation */
    if (o->history && !(history = fv_history_read(ctx, o->history))) return fv_errcode(ctx);
    seg_eval e = {.m = m, .images = images, .masks = masks, .o = o, .history = history, .ctx = ctx,
                  .ignore = ignored_value(m)};
    s = evaluate(&e);
    if (!s) s = fv_report_save(ctx, path, segmentation_page, &e);
    free(e.score), free(e.accuracy), free(e.pred);
    fv_confusion_free(e.total);
    fv_history_free(history);
    return s;
}
