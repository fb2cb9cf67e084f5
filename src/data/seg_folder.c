/* A segmentation set (seg_list.c's pairs) read whole into a tuple set of images and int32 masks. Every pair is
 * decoded and checked when the set opens, so a bad file is named before training rather than mid-epoch: it is
 * skipped and listed in the scan, or with strict fails the load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../core/internal.h"
#include "fovea/data.h"
#include "fovea/image.h"
#include "seg_list.h"

bool fv_is_segmentation_folder(const char *dir)
{
    struct stat st;
    if (!dir) return false;
    char *images = img_join(dir, "images"), *masks = img_join(dir, "masks");
    bool yes = images && masks && stat(images, &st) == 0 && S_ISDIR(st.st_mode) && stat(masks, &st) == 0 &&
               S_ISDIR(st.st_mode);
    free(images), free(masks);
    return yes;
}

/* A CSV's first row says whether it pairs images with masks: the header image,mask, or a mask path ending in
 * .png after an image path (a path,label list has a class there). */
static bool csv_of_pairs(const char *path)
{
    size_t n = strlen(path);
    FILE *f = n > 4 && !strcasecmp(path + n - 4, ".csv") ? fopen(path, "r") : NULL;
    char line[CSV_LINE_MAX];
    int got = 1;
    while (f && (got = img_read_line(f, line, sizeof line)) == 1 && !*img_trim_field(line)) {}
    if (f) fclose(f);
    char *comma = f && got == 1 ? strrchr(line, ',') : NULL;
    if (!comma) return false;
    *comma = '\0';
    char *image = img_trim_field(line), *mask = img_trim_field(comma + 1);
    size_t m = strlen(mask);
    if (!strcasecmp(image, "image") && !strcasecmp(mask, "mask")) return true;
    return img_has_image_ext(image) && m > 4 && !strcasecmp(mask + m - 4, ".png");
}

bool fv_is_segmentation_set(const char *path)
{
    return path && (fv_is_segmentation_folder(path) || csv_of_pairs(path));
}

fv_seg_options fv_seg_defaults(void) { return (fv_seg_options){.channels = 0, .ignore_index = 255}; }

void fv_seg_scan_release(fv_seg_scan *scan)
{
    if (!scan) return;
    for (int i = 0; i < scan->n_problems; i++) free(scan->problems[i].path), free(scan->problems[i].reason);
    free(scan->problems);
    free(scan->sizes);
    fv_class_names_free(scan->class_names, scan->n_class_names);
    memset(scan, 0, sizeof *scan);
}

/* ---- reading the pairs ------------------------------------------------------------------------------------ */

typedef struct {
    fv_tensor *x, *y; /* room for every listed pair; the first `kept` hold the good ones */
    int64_t kept;
    int c, h, w;
} seg_arrays;

/* An image at channels (0: gray stays gray, anything else RGB), 8 bits. */
static fv_status read_image(fv_ctx *ctx, const char *path, int channels, fv_image *out)
{
    fv_image raw;
    fv_status st = fv_image_read(ctx, path, &raw);
    if (st) return st;
    if (!channels) channels = raw.channels <= 2 ? 1 : 3;
    st = fv_image_convert(ctx, &raw, channels, 8, out);
    fv_image_release(&raw);
    return st;
}

/* Image and mask resized to the options' size (bilinear image, nearest mask), in place. */
static fv_status resize_pair(fv_ctx *ctx, fv_image *im, fv_image *m, const fv_seg_options *o)
{
    if (o->width <= 0 || o->height <= 0 || (im->width == o->width && im->height == o->height)) return FV_OK;
    fv_image a = {0}, b = {0};
    fv_status s = fv_image_resize(ctx, im, o->width, o->height, FV_FILTER_BILINEAR, &a);
    if (!s) s = fv_image_resize(ctx, m, o->width, o->height, FV_FILTER_NEAREST, &b);
    if (s) {
        fv_image_release(&a), fv_image_release(&b);
        return s;
    }
    fv_image_release(im), fv_image_release(m);
    *im = a, *m = b;
    return FV_OK;
}

/* Why a decoded mask does not fit its image and the options (into why), or NULL when it does. */
static const char *mask_fault(const fv_image *m, const fv_image *im, const fv_seg_options *o, char *why, size_t n)
{
    if (m->width != im->width || m->height != im->height) {
        snprintf(why, n, "the mask is %dx%d, its image %dx%d", m->width, m->height, im->width, im->height);
        return why;
    }
    const uint8_t *v = m->pixels;
    for (int64_t p = 0; o->classes > 0 && p < (int64_t)m->width * m->height; p++)
        if (v[p] >= o->classes && v[p] != o->ignore_index) {
            snprintf(why, n, "class id %d at x %lld, y %lld, but the model has %d classes (ids 0..%d; %d is ignored)",
                     v[p], (long long)(p % m->width), (long long)(p / m->width), o->classes, o->classes - 1,
                     o->ignore_index);
            return why;
        }
    return NULL;
}

/* The arrays sized by the first good image: n samples of its channels, height and width. */
static fv_status make_arrays(fv_ctx *ctx, const fv_image *im, int64_t n, seg_arrays *a)
{
    a->c = im->channels, a->h = im->height, a->w = im->width;
    a->x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){n, a->c, a->h, a->w});
    a->y = fv_tensor_new(ctx, FV_I32, 3, (int64_t[]){n, a->h, a->w});
    return a->x && a->y ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory for %lld images of %dx%d", (long long)n, a->w, a->h);
}

/* A good pair into slot a->kept: the bytes to floats (C, H, W) in [0, 1], the ids counted in the scan. */
static void store(seg_arrays *a, const fv_image *im, const fv_image *m, fv_seg_scan *scan)
{
    int64_t plane = (int64_t)a->h * a->w;
    const uint8_t *px = im->pixels, *ids = m->pixels;
    float *dst = fv_f32(a->x) + a->kept * a->c * plane;
    int32_t *mask = fv_i32(a->y) + a->kept * plane;
    for (int64_t p = 0; p < plane; p++) {
        for (int ch = 0; ch < a->c; ch++) dst[ch * plane + p] = px[p * a->c + ch] / 255.0f;
        mask[p] = ids[p];
        scan->pixels[ids[p]]++;
    }
    a->kept++;
}

/* One listed pair: kept, or a problem naming the file at fault (strict: the error). */
static fv_status read_pair(fv_ctx *ctx, seg_list *l, const seg_pair *pair, const fv_seg_options *o,
                           fv_seg_scan *scan, seg_arrays *a)
{
    fv_image im = {0}, m = {0};
    char why[300];
    const char *bad = NULL, *file = pair->image;
    fv_status s = read_image(ctx, pair->image, o->channels, &im);
    if (s == FV_ERR_NOMEM) return s;
    if (s) bad = fv_errmsg(ctx);
    if (!bad && (s = seg_count_size(ctx, &scan->sizes, &scan->n_sizes, im.width, im.height, im.channels))) goto done;
    if (!bad) {
        file = pair->mask;
        s = fv_mask_read(ctx, pair->mask, &m);
        bad = s == FV_ERR_NOMEM ? NULL : s ? fv_errmsg(ctx) : mask_fault(&m, &im, o, why, sizeof why);
        if (s == FV_ERR_NOMEM) goto done;
    }
    if (!bad && (s = resize_pair(ctx, &im, &m, o))) goto done;
    if (!bad && !a->x && (s = make_arrays(ctx, &im, l->n, a))) goto done;
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
        store(a, &im, &m, scan);
    }
done:
    fv_image_release(&im), fv_image_release(&m);
    return s;
}

/* The kept pairs as a tuple set (the arrays copied at their kept length). */
static fv_tensor_set *kept_set(fv_ctx *ctx, const char *path, const seg_list *l, const seg_arrays *a)
{
    if (!a->kept) {
        fv_error(ctx, FV_ERR_FORMAT, "%s: none of its %lld pairs is usable%s%s%s", path, (long long)l->n,
                 l->issues.n_problems ? " (the first problem: " : "",
                 l->issues.n_problems ? l->issues.problems[0].path : "", l->issues.n_problems ? ")" : "");
        return NULL;
    }
    fv_tensor *x = fv_tensor_from(ctx, FV_F32, 4, (int64_t[]){a->kept, a->c, a->h, a->w}, a->x->data);
    fv_tensor *y = fv_tensor_from(ctx, FV_I32, 3, (int64_t[]){a->kept, a->h, a->w}, a->y->data);
    const fv_tensor *inputs[1] = {x};
    fv_tensor_set *set = x && y ? fv_tensor_set_new(ctx, inputs, 1, y) : NULL;
    fv_tensor_free(x), fv_tensor_free(y);
    return set;
}

/* What the listing found, handed to the scan (which then owns the problems and names). */
static void move_to_scan(seg_list *l, fv_seg_scan *scan)
{
    scan->pairs = l->n, scan->unpaired = l->unpaired;
    scan->problems = l->issues.problems, scan->n_problems = l->issues.n_problems;
    l->issues.problems = NULL, l->issues.n_problems = l->issues.cap_problems = 0;
    scan->class_names = l->class_names, scan->n_class_names = l->n_class_names;
    l->class_names = NULL, l->n_class_names = 0;
    seg_sort_sizes(scan->sizes, scan->n_sizes);
}

fv_tensor_set *fv_seg_load(fv_ctx *ctx, const char *path, const fv_seg_options *opt, fv_seg_scan *scan)
{
    fv_seg_options o = opt ? *opt : fv_seg_defaults();
    fv_seg_scan own;
    if (!scan) scan = &own;
    memset(scan, 0, sizeof *scan);
    if (!path) return fv_error(ctx, FV_ERR_ARG, "fv_seg_load: no path"), NULL;
    if (o.channels != 0 && o.channels != 1 && o.channels != 3)
        return fv_error(ctx, FV_ERR_ARG, "segmentation set %s: channels must be 0, 1 or 3, not %d", path, o.channels), NULL;
    seg_list l;
    fv_status s = fv_is_segmentation_folder(path) ? seg_list_folder(ctx, path, o.strict, &l)
                                                   : seg_list_csv(ctx, path, o.strict, &l);
    seg_arrays a = {0};
    for (int64_t i = 0; !s && i < l.n; i++) s = read_pair(ctx, &l, &l.pairs[i], &o, scan, &a);
    fv_tensor_set *set = s ? NULL : kept_set(ctx, path, &l, &a);
    move_to_scan(&l, scan);
    seg_list_release(&l);
    fv_tensor_free(a.x), fv_tensor_free(a.y);
    if (scan == &own) fv_seg_scan_release(&own);
    return set;
}

fv_tensor_set *fv_tensor_set_load_segmentation(fv_ctx *ctx, const char *dir, int channels)
{
    fv_seg_options o = fv_seg_defaults();
    o.channels = channels, o.strict = true;
    return fv_seg_load(ctx, dir, &o, NULL);
}
