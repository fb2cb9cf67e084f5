/* The HTML report: one self-contained page (plots as inline SVG, images as PNG data URIs) with the model summary,
 * training curves from a history file, the confusion matrix and per-class metrics, ROC curves with AUC, the most
 * confident right and wrong and the least confident samples, Grad-CAM examples and a 2-D embedding; and what every
 * report page shares (report_page.h), which the segmentation page (report_segment.c) uses too. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/internal.h"
#include "html.h"
#include "report_page.h"
#include "fovea/diagnose.h"
#include "fovea/io.h"
#include "fovea/image.h"
#include "fovea/metrics.h"
#include "fovea/progress.h"
#include "fovea/train.h"

#define GRID 8           /* samples per confidence grid */
#define EMBED_MAX 1000   /* points in the embedding plot */

typedef struct {
    fv_model *m;
    int64_t n, size; /* samples, values per image */
    int k, C, H, W;
    float *images;   /* n x size */
    float *probs;    /* n x k */
    int32_t *labels;
    const char *names[256];
} evaluation;

static void sample_img(FILE *f, fv_ctx *ctx, const evaluation *e, int64_t i)
{
    int ch = e->C == 3 ? 3 : 1, plane = e->H * e->W;
    uint8_t *px = malloc((size_t)plane * ch);
    if (!px) return;
    for (int p = 0; p < plane; p++)
        for (int c = 0; c < ch; c++) {
            float v = e->images[i * e->size + (int64_t)c * plane + p];
            px[p * ch + c] = fv_unit_to_byte(v);
        }
    fv_html_png(f, ctx, px, e->W, e->H, ch);
    free(px);
}

void fv_report_warn(FILE *f, const char *text)
{
    fputs("<p class=\"warn\">", f);
    fv_html_escape(f, text);
    fputs("</p>", f);
}

static const char *name_of(const evaluation *e, int c, char *buf, size_t size)
{
    if (c < 256 && e->names[c]) return e->names[c];
    snprintf(buf, size, "class %d", c);
    return buf;
}

/* Run the model over the data in eval mode, keeping images, probabilities and labels. */
static fv_status evaluate_all(fv_ctx *ctx, fv_model *m, const fv_data_source *data, evaluation *e)
{
    int64_t shape[FV_MAX_DIMS];
    int nd = fv_model_input_shape(m, shape);
    if (nd != 3) return fv_error(ctx, FV_ERR_ARG, "the report needs a model of images (C, H, W)");
    e->m = m, e->n = data->count, e->C = (int)shape[0], e->H = (int)shape[1], e->W = (int)shape[2];
    e->size = shape[0] * shape[1] * shape[2];
    e->k = (int)fv_model_output_size(m);
    for (int c = 0; c < e->k && c < 256; c++) e->names[c] = fv_model_class_name(m, c);
    e->images = malloc((size_t)(e->n * e->size) * sizeof(float));
    e->probs = malloc((size_t)(e->n * e->k) * sizeof(float));
    e->labels = malloc((size_t)e->n * sizeof(int32_t));
    int64_t *idx = malloc((size_t)e->n * sizeof *idx);
    if (!e->images || !e->probs || !e->labels || !idx) {
        free(idx);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory for the report's %lld samples", (long long)e->n);
    }
    for (int64_t i = 0; i < e->n; i++) idx[i] = i;
    fv_tensor x = {FV_F32, 4, {e->n, shape[0], shape[1], shape[2]}, e->n * e->size, e->images, false};
    fv_tensor y = {FV_I32, 1, {e->n}, e->n, e->labels, false};
    fv_status s = data->fetch(data->data, -1, idx, (int)e->n, &x, &y);
    free(idx);
    for (int64_t first = 0; !s && first < e->n; first += 256) {
        int64_t cnt = e->n - first < 256 ? e->n - first : 256;
        fv_tensor xb = x;
        xb.shape[0] = cnt, xb.size = cnt * e->size, xb.data = e->images + first * e->size;
        fv_tensor *p = fv_predict(m, &xb);
        if (!p) return fv_errcode(ctx);
        memcpy(e->probs + first * e->k, p->data, (size_t)(cnt * e->k) * sizeof(float));
        fv_tensor_free(p);
    }
    for (int64_t i = 0; !s && i < e->n; i++)
        if (e->labels[i] < 0 || e->labels[i] >= e->k)
            s = fv_error(ctx, FV_ERR_ARG, "label %d of sample %lld is outside the model's %d classes", e->labels[i],
                         (long long)i, e->k);
    return s;
}

static int argmax(const float *p, int k)
{
    int b = 0;
    for (int c = 1; c < k; c++) b = p[c] > p[b] ? c : b;
    return b;
}

/* Up to GRID samples picked by `want` (1: correct, 0: wrong, -1: any), ordered by confidence (descending if
 * most, else ascending). */
static void confidence_grid(FILE *f, fv_ctx *ctx, const evaluation *e, int want, bool most, const char *title)
{
    int64_t pick[GRID];
    int n = 0;
    bool *used = calloc((size_t)e->n, sizeof *used);
    if (!used) return;
    for (; n < GRID; n++) {
        int64_t best = -1;
        for (int64_t i = 0; i < e->n; i++) {
            const float *p = e->probs + i * e->k;
            int pred = argmax(p, e->k);
            if (used[i] || (want == 1 && pred != e->labels[i]) || (want == 0 && pred == e->labels[i])) continue;
            if (best < 0 || (most ? p[pred] > e->probs[best * e->k + argmax(e->probs + best * e->k, e->k)]
                                  : p[pred] < e->probs[best * e->k + argmax(e->probs + best * e->k, e->k)]))
                best = i;
        }
        if (best < 0) break;
        used[best] = true, pick[n] = best;
    }
    free(used);
    fprintf(f, "<h3>%s</h3><div class=\"grid\">", title);
    if (!n) fprintf(f, "<p>none</p>");
    for (int j = 0; j < n; j++) {
        const float *p = e->probs + pick[j] * e->k;
        int pred = argmax(p, e->k);
        char b1[32], b2[32];
        fprintf(f, "<figure>");
        sample_img(f, ctx, e, pick[j]);
        fprintf(f, "<figcaption>#%lld: ", (long long)pick[j]);
        fv_html_escape(f, name_of(e, pred, b1, sizeof b1));
        fprintf(f, " %.3f<br>true: ", p[pred]);
        fv_html_escape(f, name_of(e, e->labels[pick[j]], b2, sizeof b2));
        fprintf(f, "</figcaption></figure>");
    }
    fprintf(f, "</div>\n");
}

static void section_metrics(FILE *f, fv_ctx *ctx, const evaluation *e)
{
    fv_confusion *cm = fv_confusion_new(ctx, e->k);
    if (!cm) return;
    int32_t *pred = malloc((size_t)e->n * sizeof *pred);
    if (!pred) {
        fv_confusion_free(cm);
        return;
    }
    for (int64_t i = 0; i < e->n; i++) pred[i] = argmax(e->probs + i * e->k, e->k);
    fv_confusion_add(cm, e->labels, pred, e->n);
    fprintf(f, "<h2>Confusion matrix and per-class metrics</h2><p>%lld samples, accuracy %.4f, log-loss %.4f, top-2 "
               "accuracy %.4f</p>", (long long)e->n, fv_confusion_accuracy(cm), fv_log_loss(e->probs, e->labels, e->n, e->k),
            fv_top_k_accuracy(e->probs, e->labels, e->n, e->k, 2));
    fv_svg_confusion(f, cm->counts, e->k, e->names);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        fv_confusion_print_report(cm, mem, e->names[0] ? e->names : NULL, 14);
        fclose(mem);
        fprintf(f, "<pre>");
        fv_html_escape(f, text);
        fprintf(f, "</pre>");
    }
    free(text), free(pred);
    fv_confusion_free(cm);
}

static void section_roc(FILE *f, fv_ctx *ctx, const evaluation *e)
{
    int k = e->k < 10 ? e->k : 10;
    fv_curve *curves = calloc((size_t)k, sizeof *curves);
    float *col = malloc((size_t)e->n * sizeof *col);
    uint8_t *pos = malloc((size_t)e->n);
    double per[1024], micro = NAN, macro = NAN;
    char warning[200] = "", names[10][80];
    if (!curves || !col || !pos || e->k > 1024) goto done;
    fv_roc_auc_ovr(ctx, e->probs, e->labels, e->n, e->k, per, &micro, &macro, warning, sizeof warning);
    const char *np[10];
    const double *xs[10], *ys[10];
    int64_t counts[10];
    for (int c = 0; c < k; c++) {
        for (int64_t i = 0; i < e->n; i++) col[i] = e->probs[i * e->k + c], pos[i] = e->labels[i] == c;
        fv_roc_curve(ctx, col, pos, e->n, &curves[c]);
        char b[32];
        snprintf(names[c], sizeof names[c], "%.14s %.3f", name_of(e, c, b, sizeof b), per[c]);
        np[c] = names[c], xs[c] = curves[c].x, ys[c] = curves[c].y, counts[c] = curves[c].n;
    }
    fprintf(f, "<h2>ROC curves (one vs rest)</h2><p>AUC: micro average %.4f, macro average %.4f</p>", micro, macro);
    if (warning[0]) fv_report_warn(f, warning);
    fv_svg_lines(f, "ROC", "false positive rate", "true positive rate", k, np, xs, ys, counts);
done:
    for (int c = 0; curves && c < k; c++) fv_curve_free(&curves[c]);
    free(curves), free(col), free(pos);
}

static void section_history(FILE *f, const fv_history *h)
{
    fprintf(f, "<h2>Training curves</h2>");
    static const char *const pairs[2][2] = {{"loss", "val_loss"}, {"accuracy", "val_accuracy"}};
    double *epochs = malloc((size_t)(h->n_rows ? h->n_rows : 1) * sizeof *epochs);
    double *cols[2];
    for (int r = 0; epochs && r < h->n_rows; r++) epochs[r] = h->epochs[r] + 1;
    for (int p = 0; epochs && p < 2; p++) {
        const char *names[2];
        const double *xs[2], *ys[2];
        int64_t counts[2];
        int n = 0;
        for (int s = 0; s < 2; s++) {
            int c = fv_history_column(h, pairs[p][s]);
            cols[s] = NULL;
            if (c < 0) continue;
            cols[s] = malloc((size_t)(h->n_rows ? h->n_rows : 1) * sizeof(double));
            for (int r = 0; cols[s] && r < h->n_rows; r++) cols[s][r] = h->values[r * h->n_cols + c];
            if (cols[s]) names[n] = pairs[p][s], xs[n] = epochs, ys[n] = cols[s], counts[n] = h->n_rows, n++;
        }
        if (n) fv_svg_lines(f, pairs[p][0], "epoch", pairs[p][0], n, names, xs, ys, counts);
        free(cols[0]), free(cols[1]);
    }
    free(epochs);
}

static void section_gradcam(FILE *f, fv_ctx *ctx, const evaluation *e)
{
    int layer = fv_gradcam_default_layer(e->m);
    if (layer < 0) {
        fprintf(f, "<h2>Grad-CAM</h2><p>");
        fv_html_escape(f, fv_errmsg(ctx));
        fprintf(f, "</p>");
        fv_clear_error(ctx);
        return;
    }
    fprintf(f, "<h2>Grad-CAM</h2><p>Layer '");
    fv_html_escape(f, fv_model_layer_name(e->m, layer));
    fprintf(f, "', predicted class.</p><div class=\"grid\">");
    for (int64_t i = 0; i < e->n && i < 6; i++) {
        fv_tensor x = {FV_F32, 4, {1, e->C, e->H, e->W}, e->size, e->images + i * e->size, false};
        int cls = -1;
        fv_tensor *cam = fv_gradcam(e->m, &x, -1, NULL, &cls);
        uint8_t *rgb = cam ? fv_heatmap_overlay(cam, e->images + i * e->size, e->C, e->H, e->W, 0.5f) : NULL;
        char b[32];
        if (rgb) {
            fprintf(f, "<figure>");
            fv_html_png(f, ctx, rgb, e->W, e->H, 3);
            fprintf(f, "<figcaption>#%lld: ", (long long)i);
            fv_html_escape(f, name_of(e, cls, b, sizeof b));
            fprintf(f, "</figcaption></figure>");
        }
        free(rgb);
        fv_tensor_free(cam);
    }
    fprintf(f, "</div>\n");
}

static void section_embedding(FILE *f, fv_ctx *ctx, const evaluation *e, const fv_data_source *data, bool tsne, int dims)
{
    fv_data_source part = *data;
    part.count = e->n < EMBED_MAX ? e->n : EMBED_MAX;
    fv_tensor *labels = NULL, *feats = fv_extract_features(e->m, &part, NULL, 256, &labels);
    float *pts = feats ? malloc((size_t)part.count * (size_t)dims * sizeof *pts) : NULL;
    float *xy = pts ? malloc((size_t)part.count * 2 * sizeof *xy) : NULL;
    fv_status s = xy ? (tsne ? fv_tsne(ctx, fv_f32(feats), part.count, feats->shape[1], dims, 30.0f, pts)
                             : fv_pca(ctx, fv_f32(feats), part.count, feats->shape[1], dims, NULL, NULL, NULL, pts))
                     : FV_ERR_NOMEM;
    fprintf(f, "<h2>Embedding of the penultimate features (%s, %d-D)</h2><div class=\"grid\">", tsne ? "t-SNE" : "PCA", dims);
    static const int axes[3][2] = {{0, 1}, {0, 2}, {1, 2}};
    static const char *const titles[3] = {"axes 1 and 2", "axes 1 and 3", "axes 2 and 3"};
    for (int v = 0; s == FV_OK && v < (dims == 3 ? 3 : 1); v++) { /* a 3-D embedding as its three projections */
        for (int64_t i = 0; i < part.count; i++)
            xy[2 * i] = pts[i * dims + axes[v][0]], xy[2 * i + 1] = pts[i * dims + axes[v][1]];
        fv_svg_scatter(f, dims == 3 ? titles[v] : (tsne ? "t-SNE" : "PCA"), xy, fv_i32(labels), part.count, e->names, e->k);
    }
    if (s != FV_OK) fv_report_warn(f, fv_errmsg(ctx));
    fprintf(f, "</div>");
    free(pts), free(xy);
    fv_tensor_free(feats), fv_tensor_free(labels);
}

/* The page's only style sheet and script. The Content-Security-Policy allows these two by their SHA-256 and nothing
 * else (no other script, style, frame, connection or remote image), so text that escaped escaping still could
 * not run. Whoever edits either string must update its hash: `printf '%%s' 'TEXT' | openssl dgst -sha256 -binary |
 * base64`; tests/cli/test_report.sh recomputes both from a written page. The script records after loading how
 * many of the page's images decoded (data-images="loaded/total"), for tests in a headless browser. */
static const char page_style[] = "body{font-family:sans-serif;max-width:1100px;margin:auto;padding:16px}pre{background:#f6f6f6;padding:8px;overflow:auto}.grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;text-align:center;font-size:12px}.warn{color:#a40}";
#define PAGE_STYLE_SHA256 "fFw5DAc+EfDF0zNbKm1+uf7Yv+GFWZqDp7l/bhZi8c4="
static const char page_script[] = "window.addEventListener('load',function(){var i=Array.prototype.slice.call(document.images);document.body.setAttribute('data-images',i.filter(function(x){return x.complete&&x.naturalWidth>0;}).length+'/'+i.length);});";
#define PAGE_SCRIPT_SHA256 "zNTY6IhOoCe9lCT1Lk9StvvG2iW0nCcaSxmT6YnT1Os="

static void page_head(FILE *f, const fv_model *m)
{
    fprintf(f, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" "
               "content=\"default-src 'none'; img-src data:; style-src 'sha256-" PAGE_STYLE_SHA256 "'; script-src "
               "'sha256-" PAGE_SCRIPT_SHA256 "'; base-uri 'none'; form-action 'none'\"><title>fovea report: ");
    fv_html_escape(f, fv_model_name(m));
    fprintf(f, "</title><style>%s</style></head><body><h1>fovea report: model '", page_style);
    fv_html_escape(f, fv_model_name(m));
    fprintf(f, "'</h1>");
}

void fv_report_page_start(FILE *f, fv_model *m, const fv_history *history)
{
    page_head(f, m);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        fv_model_summary(m, mem, false);
        fclose(mem);
        fprintf(f, "<h2>Summary</h2><pre>");
        fv_html_escape(f, text);
        fprintf(f, "</pre>");
    }
    free(text);
    if (history) section_history(f, history);
}

void fv_report_page_end(FILE *f) { fprintf(f, "<script>%s</script></body></html>\n", page_script); }

typedef struct {
    fv_ctx *ctx;
    evaluation *e;
    const fv_data_source *data;
    const fv_report_options *o;
    const fv_history *history;
} page_job;

static void classification_page(FILE *f, void *arg)
{
    page_job *job = arg;
    const evaluation *e = job->e;
    fv_report_page_start(f, e->m, job->history);
    section_metrics(f, job->ctx, e);
    section_roc(f, job->ctx, e);
    fprintf(f, "<h2>Confidence</h2>");
    confidence_grid(f, job->ctx, e, 1, true, "Most confident correct");
    confidence_grid(f, job->ctx, e, 0, true, "Most confident wrong");
    confidence_grid(f, job->ctx, e, -1, false, "Least confident");
    section_gradcam(f, job->ctx, e);
    section_embedding(f, job->ctx, e, job->data, job->o->tsne, job->o->dims == 3 ? 3 : 2);
    fv_report_page_end(f);
}

typedef struct {
    void (*body)(FILE *f, void *arg);
    void *arg;
} save_job;

static int fill_page(FILE *f, void *arg)
{
    save_job *job = arg;
    job->body(f, job->arg);
    return ferror(f) ? EIO : 0; /* fv_atomic_write reports the failed write's own errno (ENOSPC...) */
}

fv_status fv_report_save(fv_ctx *ctx, const char *path, void (*body)(FILE *f, void *arg), void *arg)
{
    save_job job = {body, arg};
    int err = fv_atomic_write(path, fill_page, &job);
    return err ? fv_error(ctx, FV_ERR_IO, "cannot write report '%s': %s (the old file, if any, is unchanged)", path,
                          fv_write_strerror(err))
               : FV_OK;
}

/* The history is read before the long evaluation: a file that is not a history (a typo, a binary file) stops the
 * report with the file and the line at fault instead of leaving a page without its curves. */
fv_status fv_report_write(fv_model *m, const fv_data_source *data, const fv_report_options *o, const char *path)
{
    fv_ctx *ctx = fv_model_ctx(m);
    if (!data || data->count < 1) return fv_error(ctx, FV_ERR_ARG, "the data set of the report is empty");
    fv_history *history = NULL;
    if (o->history && !(history = fv_history_read(ctx, o->history))) return fv_errcode(ctx);
    evaluation e = {0};
    fv_status s = evaluate_all(ctx, m, data, &e);
    if (!s) {
        page_job job = {ctx, &e, data, o, history};
        s = fv_report_save(ctx, path, classification_page, &job);
    }
    free(e.images), free(e.probs), free(e.labels);
    fv_history_free(history);
    return s;
}
