/* Image sets as datasets: the listed files are checked (headers, or full decodes with verify), bad ones
 * skipped and reported by path (or fatal with strict), and the rest kept as paths decoded at batch time,
 * converted to the set's channels and resized to its size. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fovea/image.h"
#include "image_list.h"

fv_image_set_options fv_image_set_defaults(void)
{
    fv_image_set_options o;
    memset(&o, 0, sizeof o);
    o.filter = FV_FILTER_BILINEAR;
    o.fit = FV_FIT_STRETCH;
    return o;
}

void fv_image_scan_release(fv_image_scan *scan)
{
    if (!scan) return;
    for (int i = 0; i < scan->n_problems; i++) free(scan->problems[i].path), free(scan->problems[i].reason);
    free(scan->problems);
    free(scan->sizes);
    memset(scan, 0, sizeof *scan);
}

bool fv_dataset_is_image_set(const char *path)
{
    struct stat sb;
    if (!path || stat(path, &sb) != 0) return false;
    if (S_ISREG(sb.st_mode)) {
        const char *dot = strrchr(path, '.');
        return dot && strcasecmp(dot, ".csv") == 0;
    }
    if (!S_ISDIR(sb.st_mode)) return false;
    static const char *const idx[] = {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte",
                                      "t10k-images-idx3-ubyte.gz", "train-images.idx3-ubyte", "t10k-images.idx3-ubyte"};
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
        char *p = img_join(path, idx[i]);
        bool there = p && access(p, F_OK) == 0;
        free(p);
        if (there) return false;
    }
    return true;
}

/* ---- checking the files ------------------------------------------------------------------------------- */

/* The decoder's message without a leading "PATH: " (the problem names the path already). */
static const char *reason_of(fv_ctx *ctx, const char *path)
{
    const char *m = fv_errmsg(ctx);
    size_t n = strlen(path);
    if (strncmp(m, path, n) == 0 && m[n] == ':' && m[n + 1] == ' ') return m + n + 2;
    return m;
}

/* The size of one file from its header or, with verify, from decoding it; false with ctx's error if bad. */
static bool check_file(fv_ctx *ctx, const char *path, bool verify, fv_image_size_count *size)
{
    if (verify) {
        fv_image im;
        if (fv_image_read(ctx, path, &im) != FV_OK) return false;
        size->width = im.width, size->height = im.height, size->channels = im.channels;
        fv_image_release(&im);
        return true;
    }
    fv_image_info info;
    if (fv_image_read_info(ctx, path, &info) != FV_OK) return false;
    if (info.width < 1 || info.height < 1 || (int64_t)info.width * info.height > FV_IMAGE_MAX_PIXELS) {
        fv_error(ctx, FV_ERR_FORMAT, "%s: %d x %d pixels (at most %lld are decoded)", path, info.width, info.height,
                 (long long)FV_IMAGE_MAX_PIXELS);
        return false;
    }
    /* an EXIF rotation by a quarter turn swaps the decoded image's sides */
    bool swap = info.orientation >= 5 && info.orientation <= 8;
    size->width = swap ? info.height : info.width, size->height = swap ? info.width : info.height;
    size->channels = info.channels;
    return true;
}

/* Check every entry, keep the good ones in place (l->n shrinks) and their sizes in sizes[]. */
static fv_status check_entries(fv_ctx *ctx, img_list *l, const fv_image_set_options *o, fv_image_size_count *sizes,
                               int64_t *skipped)
{
    int64_t kept = 0;
    *skipped = 0;
    for (int64_t i = 0; i < l->n; i++) {
        img_entry e = l->items[i];
        if (check_file(ctx, e.path, o->verify, &sizes[kept])) {
            sizes[kept].count = 1;
            l->items[kept++] = e;
            continue;
        }
        if (o->strict) {
            for (int64_t j = i; j < l->n; j++) free(l->items[j].path);
            l->n = kept;
            return fv_errcode(ctx);
        }
        fv_status s = img_add_problem(ctx, l, e.path, reason_of(ctx, e.path));
        free(e.path);
        (*skipped)++;
        if (s) {
            for (int64_t j = i + 1; j < l->n; j++) free(l->items[j].path);
            l->n = kept;
            return s;
        }
        fv_clear_error(ctx);
    }
    l->n = kept;
    return FV_OK;
}

static int cmp_size(const void *a, const void *b)
{
    const fv_image_size_count *x = a, *y = b;
    if (x->width != y->width) return x->width < y->width ? -1 : 1;
    if (x->height != y->height) return x->height < y->height ? -1 : 1;
    return (x->channels > y->channels) - (x->channels < y->channels);
}

static int cmp_count_desc(const void *a, const void *b)
{
    const fv_image_size_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return cmp_size(a, b);
}

/* The distinct sizes of n files, most frequent first (sizes is reused and shrunk). */
static void size_histogram(fv_image_size_count *sizes, int64_t n, fv_image_scan *scan)
{
    qsort(sizes, (size_t)n, sizeof *sizes, cmp_size);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        if (k > 0 && cmp_size(&sizes[k - 1], &sizes[i]) == 0) sizes[k - 1].count++;
        else sizes[k++] = sizes[i];
    }
    qsort(sizes, (size_t)k, sizeof *sizes, cmp_count_desc);
    scan->sizes = sizes;
    scan->n_sizes = (int)k;
}

/* ---- the dataset -------------------------------------------------------------------------------------- */

/* The set's shape: as asked, else the first image's (decoded, since a palette or a tRNS chunk changes the
 * channel count from the header's). */
static fv_status target_shape(fv_ctx *ctx, const img_list *l, const fv_image_set_options *o, int64_t chw[3])
{
    chw[0] = o->channels, chw[1] = o->height, chw[2] = o->width;
    if (chw[0] && chw[1] && chw[2]) return FV_OK;
    fv_image im;
    if (fv_image_read(ctx, l->items[0].path, &im) != FV_OK) return fv_errcode(ctx);
    if (!chw[0]) chw[0] = im.channels <= 2 ? 1 : 3;
    if (!chw[1] || !chw[2]) chw[1] = im.height, chw[2] = im.width;
    fv_image_release(&im);
    return FV_OK;
}

static fv_dataset *make_dataset(fv_ctx *ctx, img_list *l, const fv_image_set_options *o, const char *origin)
{
    int64_t chw[3];
    if (target_shape(ctx, l, o, chw) != FV_OK) return NULL;
    ds_store *st = ds_store_new(ctx, l->n, chw[0], chw[1], chw[2], origin);
    if (!st) return NULL;
    if (!(st->paths = calloc((size_t)l->n, sizeof *st->paths))) {
        ds_store_unref(st);
        fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory for %lld paths", origin, (long long)l->n);
        return NULL;
    }
    for (int64_t i = 0; i < l->n; i++) {
        st->paths[i] = l->items[i].path, l->items[i].path = NULL;
        st->labels[i] = l->items[i].label;
    }
    st->filter = o->filter, st->fit = o->fit;
    if (o->preprocess) st->has_pre = true, st->pre = *o->preprocess;
    if (ds_store_check_labels(ctx, st, l->n_classes, origin) != FV_OK) {
        ds_store_unref(st);
        return NULL;
    }
    if (l->classes) {
        st->names = l->classes, l->classes = NULL; /* a CSV with integer labels has no names */
        l->n_classes = 0;
    }
    return ds_wrap(ctx, st);
}

static fv_status check_options(fv_ctx *ctx, const fv_image_set_options *o, const char *path)
{
    if (o->channels != 0 && o->channels != 1 && o->channels != 3)
        return fv_error(ctx, FV_ERR_ARG, "%s: %d channels asked (1 gray, 3 RGB, 0 the first image's)", path, o->channels);
    if (o->height < 0 || o->width < 0 || (int64_t)o->height * o->width > FV_IMAGE_MAX_PIXELS || (!o->height != !o->width))
        return fv_error(ctx, FV_ERR_ARG, "%s: image size %dx%d asked (both > 0, or both 0 for the first image's)", path,
                        o->height, o->width);
    if (o->filter < FV_FILTER_NEAREST || o->filter > FV_FILTER_BICUBIC || o->fit < FV_FIT_STRETCH || o->fit > FV_FIT_CROP)
        return fv_error(ctx, FV_ERR_ARG, "%s: unknown resize filter %d or fit mode %d", path, o->filter, o->fit);
    return FV_OK;
}

/* Move what the listing found into the scan. */
static void fill_scan(fv_image_scan *scan, img_list *l, int64_t found, int n_classes)
{
    scan->found = found;
    scan->n_classes = n_classes;
    scan->ignored = l->ignored;
    scan->problems = l->problems, scan->n_problems = l->n_problems;
    l->problems = NULL, l->n_problems = l->cap_problems = 0;
}

fv_dataset *fv_dataset_load_images(fv_ctx *ctx, const char *path, const fv_image_set_options *opt, fv_image_scan *scan)
{
    fv_image_set_options o = opt ? *opt : fv_image_set_defaults();
    fv_image_scan local;
    if (!scan) scan = &local;
    memset(scan, 0, sizeof *scan);
    if (!path) {
        fv_error(ctx, FV_ERR_ARG, "no image folder or CSV given");
        return NULL;
    }
    if (check_options(ctx, &o, path) != FV_OK) return NULL;
    struct stat sb;
    bool dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    img_list l;
    fv_status s = dir ? img_list_folder(ctx, path, o.strict, &l) : img_list_csv(ctx, path, o.strict, &l);
    int64_t found = l.n, listed_bad = 0; /* Keras' N: every file named as an image, the unreadable ones included */
    for (int i = 0; i < l.n_problems; i++) listed_bad += img_has_image_ext(l.problems[i].path);
    found += listed_bad;
    fv_image_size_count *sizes = s ? NULL : malloc((size_t)(l.n ? l.n : 1) * sizeof *sizes);
    if (!s && !sizes) s = fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory for %lld images", path, (long long)l.n);
    if (!s) s = check_entries(ctx, &l, &o, sizes, &scan->skipped);
    scan->skipped += listed_bad;
    fv_dataset *ds = NULL;
    if (!s) {
        size_histogram(sizes, l.n, scan), sizes = NULL;
        if (l.n == 0)
            fv_error(ctx, FV_ERR_FORMAT, "%s: no readable images (%lld files listed, %lld bad)", path, (long long)found,
                     (long long)scan->skipped);
        else
            ds = make_dataset(ctx, &l, &o, path);
    }
    free(sizes);
    fill_scan(scan, &l, found, l.n_classes ? l.n_classes : (ds ? fv_dataset_classes(ds) : 0));
    img_list_release(&l);
    if (scan == &local) fv_image_scan_release(&local);
    return ds;
}

/* ---- decoding at batch time --------------------------------------------------------------------------- */

/* *cur replaced by next (when the step made one), releasing what *cur owned unless it is the original. */
static void step_to(fv_image *orig, fv_image *cur, fv_image *next)
{
    if (cur->pixels != orig->pixels) fv_image_release(cur);
    *cur = *next;
}

fv_status ds_decode_image(fv_ctx *ctx, const ds_store *st, int64_t j, float *dst)
{
    fv_image orig, cur, next;
    fv_status s = fv_image_read(ctx, st->paths[j], &orig);
    if (s) return s;
    if (st->has_pre) { /* a model's rule, exactly as the command line's image files go */
        s = fv_image_prepare(ctx, &orig, &st->pre, (int)st->c, (int)st->h, (int)st->w, dst);
        fv_image_release(&orig);
        return s;
    }
    cur = orig;
    if (cur.channels != st->c) {
        if ((s = fv_image_convert(ctx, &cur, (int)st->c, cur.depth, &next)) == FV_OK) step_to(&orig, &cur, &next);
    }
    if (!s && (cur.width != st->w || cur.height != st->h)) {
        if (st->fit == FV_FIT_STRETCH)
            s = fv_image_resize(ctx, &cur, (int)st->w, (int)st->h, (fv_resize_filter)st->filter, &next);
        else
            s = fv_image_fit(ctx, &cur, (int)st->w, (int)st->h, (fv_resize_filter)st->filter, (fv_fit_mode)st->fit, 0, &next);
        if (s == FV_OK) step_to(&orig, &cur, &next);
    }
    if (!s) fv_image_to_floats(&cur, NULL, NULL, dst);
    if (cur.pixels != orig.pixels) fv_image_release(&cur);
    fv_image_release(&orig);
    return s;
}
