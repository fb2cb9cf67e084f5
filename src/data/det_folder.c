/* A detection folder in YOLO's layout (images/ and labels/, paired by base name as seg_list.c pairs masks) read
 * whole into a tuple set of images and boxes. Every image is decoded and every label line checked when the set
 * opens, so a bad file is named before training, with its line: it is skipped and listed in the scan, or with
 * strict fails the load. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/internal.h"
#include "fovea/data.h"
#include "fovea/image.h"
#include "seg_list.h"

#define LINE_MAX_LEN 4096

bool fv_is_detection_folder(const char *dir)
{
    struct stat st;
    if (!dir) return false;
    char *images = img_join(dir, "images"), *labels = img_join(dir, "labels");
    bool yes = images && labels && stat(images, &st) == 0 && S_ISDIR(st.st_mode) && stat(labels, &st) == 0 &&
               S_ISDIR(st.st_mode);
    free(images), free(labels);
    return yes;
}

fv_det_options fv_det_defaults(void) { return (fv_det_options){0}; }

void fv_det_scan_release(fv_det_scan *scan)
{
    if (!scan) return;
    for (int i = 0; i < scan->n_problems; i++) free(scan->problems[i].path), free(scan->problems[i].reason);
    free(scan->problems), free(scan->sizes), free(scan->per_class);
    fv_class_names_free(scan->class_names, scan->n_class_names);
    memset(scan, 0, sizeof *scan);
}

/* ---- label files ------------------------------------------------------------------------------------------ */

/* One object: class and the box as fractions (cx, cy, w, h). */
typedef struct {
    int cls;
    double v[4];
} label_box;

typedef struct {
    label_box *boxes;
    int n, cap;
} label_file;

/* Why line `text` is not an object for a model of `classes` classes (0: unchecked), into why; NULL when it is
 * one (then *out holds it). */
static const char *parse_line(char *text, int classes, label_box *out, char *why, size_t n)
{
    double v[5];
    char *p = text, *end;
    for (int k = 0; k < 5; k++) {
        errno = 0;
        v[k] = strtod(p, &end);
        if (end == p || errno == ERANGE) {
            snprintf(why, n, "expected 5 numbers (class cx cy w h), found %d", k);
            return why;
        }
        p = end;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (*p) return snprintf(why, n, "more than 5 numbers (class cx cy w h)"), why;
    if (!(v[0] >= 0.0 && v[0] == floor(v[0]) && v[0] < 1e6)) return snprintf(why, n, "class %g is not a class id", v[0]), why;
    if (classes > 0 && v[0] >= classes)
        return snprintf(why, n, "class %g, but there are %d classes (ids 0..%d)", v[0], classes, classes - 1), why;
    for (int k = 1; k < 5; k++)
        if (!(v[k] >= 0.0 && v[k] <= 1.0)) /* NaN too */
            return snprintf(why, n, "%s %g is outside [0, 1] (YOLO labels are fractions of the image)",
                            k == 1 ? "cx" : k == 2 ? "cy" : k == 3 ? "w" : "h", v[k]), why;
    if (!(v[3] > 0.0 && v[4] > 0.0)) return snprintf(why, n, "the box has no area (w %g, h %g)", v[3], v[4]), why;
    out->cls = (int)v[0];
    for (int k = 0; k < 4; k++) out->v[k] = v[k + 1];
    return NULL;
}

/* A label file's objects; a bad line's reason (with its number) into why and FV_ERR_FORMAT. */
static fv_status read_labels(fv_ctx *ctx, const char *path, int classes, label_file *lf, char *why, size_t n)
{
    lf->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return snprintf(why, n, "cannot open it: %s", strerror(errno)), FV_ERR_FORMAT;
    char line[LINE_MAX_LEN];
    fv_status st = FV_OK;
    for (int number = 1; !st && fgets(line, sizeof line, f); number++) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            snprintf(why, n, "line %d is longer than %d characters", number, LINE_MAX_LEN - 2), st = FV_ERR_FORMAT;
            break;
        }
        char *t = line;
        while (*t == ' ' || *t == '\t') t++;
        if (!*t || *t == '\n' || *t == '\r') continue; /* a blank line */
        label_box b;
        char reason[200];
        if (parse_line(t, classes, &b, reason, sizeof reason)) {
            snprintf(why, n, "line %d: %s", number, reason), st = FV_ERR_FORMAT;
            break;
        }
        if (lf->n == lf->cap) {
            int cap = lf->cap ? 2 * lf->cap : 16;
            label_box *g = cap < (1 << 24) ? realloc(lf->boxes, (size_t)cap * sizeof *g) : NULL;
            if (!g) {
                st = fv_error(ctx, FV_ERR_NOMEM, "out of memory reading %s", path);
                break;
            }
            lf->boxes = g, lf->cap = cap;
        }
        lf->boxes[lf->n++] = b;
    }
    if (!st && ferror(f)) snprintf(why, n, "cannot read it"), st = FV_ERR_FORMAT;
    fclose(f);
    return st;
}

/* ---- the arrays ------------------------------------------------------------------------------------------- */

typedef struct {
    fv_tensor *x;     /* room for every listed pair; the first `kept` hold the good ones */
    float *boxes;     /* per kept image: its objects' (class, x0, y0, x1, y1), at box_start[i] */
    int64_t *box_start, n_boxes, cap_boxes, most;
    int64_t kept;
    int c, h, w;
} det_arrays;

/* The image at channels (0: gray stays gray), resized to the options' size. */
static fv_status read_image(fv_ctx *ctx, const char *path, const fv_det_options *o, fv_det_scan *scan, fv_image *out)
{
    fv_image raw, conv;
    fv_status st = fv_image_read(ctx, path, &raw);
    if (st) return st;
    st = seg_count_size(ctx, &scan->sizes, &scan->n_sizes, raw.width, raw.height, raw.channels);
    int channels = o->channels ? o->channels : raw.channels <= 2 ? 1 : 3;
    if (!st) st = fv_image_convert(ctx, &raw, channels, 8, &conv);
    fv_image_release(&raw);
    if (st || o->width <= 0 || o->height <= 0 || (conv.width == o->width && conv.height == o->height)) {
        if (!st) *out = conv;
        return st;
    }
    st = fv_image_resize(ctx, &conv, o->width, o->height, FV_FILTER_BILINEAR, out);
    fv_image_release(&conv);
    return st;
}

/* A per-class counter for class c. */
static fv_status count_class(fv_ctx *ctx, fv_det_scan *scan, int c)
{
    if (c >= scan->n_per_class) {
        int64_t *g = realloc(scan->per_class, (size_t)(c + 1) * sizeof *g);
        if (!g) return fv_error(ctx, FV_ERR_NOMEM, "out of memory");
        memset(g + scan->n_per_class, 0, (size_t)(c + 1 - scan->n_per_class) * sizeof *g);
        scan->per_class = g, scan->n_per_class = c + 1;
    }
    scan->per_class[c]++;
    return FV_OK;
}

/* A good image and its objects into slot a->kept: pixels to floats, boxes to corners in pixels (clipped to
 * the image: a label's centre and size rounded by whoever wrote it can overshoot an edge by a hair). */
static fv_status store(fv_ctx *ctx, det_arrays *a, const fv_image *im, const label_file *lf, fv_det_scan *scan)
{
    int64_t plane = (int64_t)a->h * a->w;
    const uint8_t *px = im->pixels;
    float *dst = fv_f32(a->x) + a->kept * a->c * plane;
    for (int64_t p = 0; p < plane; p++)
        for (int ch = 0; ch < a->c; ch++) dst[ch * plane + p] = px[p * a->c + ch] / 255.0f;
    if (a->n_boxes + lf->n > a->cap_boxes) {
        int64_t cap = a->cap_boxes ? 2 * a->cap_boxes : 256;
        while (cap < a->n_boxes + lf->n) cap *= 2;
        float *g = realloc(a->boxes, (size_t)cap * 5 * sizeof *g);
        if (!g) return fv_error(ctx, FV_ERR_NOMEM, "out of memory for %lld boxes", (long long)cap);
        a->boxes = g, a->cap_boxes = cap;
    }
    for (int i = 0; i < lf->n; i++) {
        const label_box *b = &lf->boxes[i];
        float *o = a->boxes + 5 * (a->n_boxes + i);
        double x0 = fmax(0.0, (b->v[0] - b->v[2] / 2) * a->w), y0 = fmax(0.0, (b->v[1] - b->v[3] / 2) * a->h);
        double x1 = fmin(a->w, (b->v[0] + b->v[2] / 2) * a->w), y1 = fmin(a->h, (b->v[1] + b->v[3] / 2) * a->h);
        o[0] = (float)b->cls, o[1] = (float)x0, o[2] = (float)y0, o[3] = (float)x1, o[4] = (float)y1;
        double area = (x1 - x0) * (y1 - y0);
        scan->size_counts[area < 32.0 * 32.0 ? 0 : area < 96.0 * 96.0 ? 1 : 2]++;
        fv_status st = count_class(ctx, scan, b->cls);
        if (st) return st;
    }
    a->box_start[a->kept] = a->n_boxes;
    a->n_boxes += lf->n, scan->boxes += lf->n, scan->empty += lf->n == 0;
    if (lf->n > a->most) a->most = lf->n;
    a->kept++;
    return FV_OK;
}

/* One listed pair: kept, or a problem naming the file at fault (strict: the error). */
static fv_status read_pair(fv_ctx *ctx, seg_list *l, const seg_pair *pair, const fv_det_options *o, int classes,
                           fv_det_scan *scan, det_arrays *a, label_file *lf)
{
    fv_image im = {0};
    char why[600];
    const char *bad = NULL, *file = pair->image;
    fv_status s = read_image(ctx, pair->image, o, scan, &im);
    if (s == FV_ERR_NOMEM) return s;
    if (s) bad = fv_errmsg(ctx);
    if (!bad) {
        file = pair->mask;
        s = read_labels(ctx, pair->mask, classes, lf, why, sizeof why);
        if (s == FV_ERR_NOMEM) goto done;
        if (s) bad = why;
        else if (o->max_boxes > 0 && lf->n > o->max_boxes)
            snprintf(why, sizeof why, "%d objects, more than the %d allowed", lf->n, o->max_boxes), bad = why;
    }
    if (!bad && !a->x) {
        a->c = im.channels, a->h = im.height, a->w = im.width;
        a->x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){l->n, a->c, a->h, a->w});
        a->box_start = malloc((size_t)(l->n + 1) * sizeof *a->box_start);
        if (!a->x || !a->box_start) {
            s = fv_error(ctx, FV_ERR_NOMEM, "out of memory for %lld images of %dx%d", (long long)l->n, a->w, a->h);
            goto done;
        }
    }
    if (!bad && (im.width != a->w || im.height != a->h))
        file = pair->image, snprintf(why, sizeof why, "the image is %dx%d, the first image %dx%d (--size resizes "
                                     "them all)", im.width, im.height, a->w, a->h), bad = why;
    s = FV_OK;
    if (bad) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", bad); /* the context's message is overwritten by the next error */
        scan->skipped++;
        s = seg_problem(ctx, l, o->strict, file, reason);
    } else {
        s = store(ctx, a, &im, lf, scan);
    }
done:
    fv_image_release(&im);
    return s;
}

/* The kept images and their boxes, padded to the most objects in an image with class -1. */
static fv_tensor_set *kept_set(fv_ctx *ctx, const char *dir, const seg_list *l, det_arrays *a)
{
    if (!a->kept) {
        fv_error(ctx, FV_ERR_FORMAT, "%s: none of its %lld images is usable%s%s%s", dir, (long long)l->n,
                 l->issues.n_problems ? " (the first problem: " : "",
                 l->issues.n_problems ? l->issues.problems[0].path : "", l->issues.n_problems ? ")" : "");
        return NULL;
    }
    int64_t B = a->most > 0 ? a->most : 1;
    a->box_start[a->kept] = a->n_boxes;
    fv_tensor *x = fv_tensor_from(ctx, FV_F32, 4, (int64_t[]){a->kept, a->c, a->h, a->w}, a->x->data);
    fv_tensor *y = fv_tensor_new(ctx, FV_F32, 3, (int64_t[]){a->kept, B, 5});
    for (int64_t i = 0; y && i < a->kept; i++) {
        float *row = fv_f32(y) + i * B * 5;
        int64_t n = a->box_start[i + 1] - a->box_start[i];
        if (n) memcpy(row, a->boxes + 5 * a->box_start[i], (size_t)n * 5 * sizeof *row); /* no boxes: none yet */
        for (int64_t j = n; j < B; j++) row[5 * j] = -1.0f, row[5 * j + 1] = row[5 * j + 2] = row[5 * j + 3] = row[5 * j + 4] = 0.0f;
    }
    const fv_tensor *inputs[1] = {x};
    fv_tensor_set *set = x && y ? fv_tensor_set_new(ctx, inputs, 1, y) : NULL;
    fv_tensor_free(x), fv_tensor_free(y);
    return set;
}

static void move_to_scan(seg_list *l, fv_det_scan *scan)
{
    scan->images = l->n, scan->unpaired = l->unpaired;
    scan->problems = l->issues.problems, scan->n_problems = l->issues.n_problems;
    l->issues.problems = NULL, l->issues.n_problems = l->issues.cap_problems = 0;
    scan->class_names = l->class_names, scan->n_class_names = l->n_class_names;
    l->class_names = NULL, l->n_class_names = 0;
    seg_sort_sizes(scan->sizes, scan->n_sizes);
}

fv_tensor_set *fv_det_load(fv_ctx *ctx, const char *dir, const fv_det_options *opt, fv_det_scan *scan)
{
    fv_det_options o = opt ? *opt : fv_det_defaults();
    fv_det_scan own;
    if (!scan) scan = &own;
    memset(scan, 0, sizeof *scan);
    if (!dir) return fv_error(ctx, FV_ERR_ARG, "fv_det_load: no folder"), NULL;
    if (o.channels != 0 && o.channels != 1 && o.channels != 3)
        return fv_error(ctx, FV_ERR_ARG, "detection folder %s: channels must be 0, 1 or 3, not %d", dir, o.channels), NULL;
    if (!fv_is_detection_folder(dir))
        return fv_error(ctx, FV_ERR_IO, "%s is not a detection folder (images/ and labels/)", dir), NULL;
    seg_list l;
    fv_status s = seg_list_folder_of(ctx, dir, "labels", ".txt", o.strict, &l);
    int classes = o.classes > 0 ? o.classes : l.n_class_names;
    det_arrays a = {0};
    label_file lf = {0};
    for (int64_t i = 0; !s && i < l.n; i++) s = read_pair(ctx, &l, &l.pairs[i], &o, classes, scan, &a, &lf);
    fv_tensor_set *set = s ? NULL : kept_set(ctx, dir, &l, &a);
    if (scan->n_per_class < l.n_class_names) { /* every named class listed, if only with 0 */
        int64_t *g = realloc(scan->per_class, (size_t)l.n_class_names * sizeof *g);
        if (g) memset(g + scan->n_per_class, 0, (size_t)(l.n_class_names - scan->n_per_class) * sizeof *g),
               scan->per_class = g, scan->n_per_class = l.n_class_names;
    }
    move_to_scan(&l, scan);
    seg_list_release(&l);
    fv_tensor_free(a.x), free(a.boxes), free(a.box_start), free(lf.boxes);
    if (scan == &own) fv_det_scan_release(&own);
    return set;
}
