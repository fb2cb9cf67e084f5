/* Listing a segmentation set's pairs: DIR/images/NAME.png|jpg matched with DIR/masks/NAME.png by base name, or
 * the rows of a CSV of image,mask (paths relative to the CSV's folder), plus the optional classes.txt. Only
 * directories and the CSV are opened here; the files are read and checked in seg_folder.c. */
#include <errno.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "seg_list.h"

fv_status seg_problem(fv_ctx *ctx, seg_list *l, bool strict, const char *path, const char *reason)
{
    if (strict) return fv_error(ctx, FV_ERR_FORMAT, "%s: %s", path, reason);
    return img_add_problem(ctx, &l->issues, path, reason);
}

static fv_status add_pair(fv_ctx *ctx, seg_list *l, char *image, char *mask)
{
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 64;
        seg_pair *p = realloc(l->pairs, (size_t)cap * sizeof *p);
        if (p) l->pairs = p, l->cap = cap;
    }
    if (!image || !mask || l->n == l->cap) {
        free(image), free(mask);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory listing %lld pairs", (long long)l->n);
    }
    l->pairs[l->n++] = (seg_pair){image, mask};
    return FV_OK;
}

void seg_list_release(seg_list *l)
{
    for (int64_t i = 0; i < l->n; i++) free(l->pairs[i].image), free(l->pairs[i].mask);
    free(l->pairs);
    img_list_release(&l->issues);
    fv_class_names_free(l->class_names, l->n_class_names);
    memset(l, 0, sizeof *l);
}

/* ---- classes.txt ------------------------------------------------------------------------------------------ */

/* dir/classes.txt when it exists (fv_class_names_read's rules). */
static fv_status read_class_names(fv_ctx *ctx, const char *dir, seg_list *l)
{
    return fv_class_names_read(ctx, dir, &l->class_names, &l->n_class_names);
}

/* ---- a folder ------------------------------------------------------------------------------------------- */

typedef struct {
    char **names;
    int64_t n, cap;
} name_list;

static void names_release(name_list *l)
{
    for (int64_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
}

/* The length of a name's base (up to its last dot). */
static size_t base_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

/* Names compared by base: both lists sorted so, a base is found by bisection. */
static int base_cmp(const char *a, const char *b)
{
    size_t la = base_len(a), lb = base_len(b);
    int c = strncmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int by_base(const void *a, const void *b) { return base_cmp(*(char *const *)a, *(char *const *)b); }

/* The image files of a folder, or (only_ext) the files of that extension, sorted by base. */
static fv_status list_dir(fv_ctx *ctx, const char *path, const char *only_ext, name_list *l)
{
    DIR *d = opendir(path);
    if (!d) return fv_error(ctx, FV_ERR_IO, "cannot read the folder %s", path);
    fv_status st = FV_OK;
    for (struct dirent *e; !st && (e = readdir(d));) {
        const char *dot = strrchr(e->d_name, '.');
        if (e->d_name[0] == '.' || !dot || (only_ext ? strcasecmp(dot, only_ext) != 0 : !img_has_image_ext(e->d_name)))
            continue;
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 64;
            char **grown = realloc(l->names, (size_t)l->cap * sizeof *grown);
            if (!grown) st = fv_error(ctx, FV_ERR_NOMEM, "out of memory listing %s", path);
            else l->names = grown;
        }
        if (!st && !(l->names[l->n] = strdup(e->d_name))) st = fv_error(ctx, FV_ERR_NOMEM, "out of memory");
        if (!st) l->n++;
    }
    closedir(d);
    if (!st) qsort(l->names, (size_t)l->n, sizeof *l->names, by_base);
    return st;
}

/* Whether the list holds a file of that base name: its index or -1. */
static int64_t find_base(const name_list *l, const char *name)
{
    int64_t lo = 0, hi = l->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = base_cmp(l->names[mid], name);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static char *join3(const char *a, const char *b, const char *c)
{
    char *ab = img_join(a, b), *abc = ab ? img_join(ab, c) : NULL;
    free(ab);
    return abc;
}

/* Every image with its mask (or label file: the second folder `second`, its files `ext`); an image without
 * one, and one without an image, are problems. */
static fv_status pair_up(fv_ctx *ctx, const char *dir, const char *second, const char *ext, bool strict,
                         const name_list *images, const name_list *masks, seg_list *l)
{
    const char *what = strcmp(second, "masks") == 0 ? "mask" : "label file";
    fv_status s = FV_OK;
    for (int64_t i = 0; !s && i < images->n; i++) {
        int64_t m = find_base(masks, images->names[i]);
        char *image = join3(dir, "images", images->names[i]);
        if (m >= 0) {
            s = add_pair(ctx, l, image, join3(dir, second, masks->names[m]));
            continue;
        }
        char reason[300];
        snprintf(reason, sizeof reason, "no %s (no %s/%.*s%s)", what, second, (int)base_len(images->names[i]),
                 images->names[i], ext);
        s = image ? seg_problem(ctx, l, strict, image, reason) : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
        l->unpaired++;
        free(image);
    }
    for (int64_t i = 0; !s && i < masks->n; i++) {
        if (find_base(images, masks->names[i]) >= 0) continue;
        char *mask = join3(dir, second, masks->names[i]), reason[300];
        snprintf(reason, sizeof reason, "a %s without an image of that name in images/", what);
        s = mask ? seg_problem(ctx, l, strict, mask, reason) : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
        l->unpaired++;
        free(mask);
    }
    return s;
}

fv_status seg_list_folder_of(fv_ctx *ctx, const char *dir, const char *second, const char *ext, bool strict,
                             seg_list *l)
{
    memset(l, 0, sizeof *l);
    name_list images = {0}, masks = {0};
    char *ipath = img_join(dir, "images"), *mpath = img_join(dir, second);
    fv_status s = ipath && mpath ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    if (!s) s = list_dir(ctx, ipath, NULL, &images);
    if (!s) s = list_dir(ctx, mpath, ext, &masks);
    if (!s && !images.n) s = fv_error(ctx, FV_ERR_FORMAT, "%s holds no .png, .jpg or .jpeg files", ipath);
    if (!s) s = pair_up(ctx, dir, second, ext, strict, &images, &masks, l);
    if (!s) s = read_class_names(ctx, dir, l);
    names_release(&images), names_release(&masks);
    free(ipath), free(mpath);
    return s;
}

fv_status seg_list_folder(fv_ctx *ctx, const char *dir, bool strict, seg_list *l)
{
    return seg_list_folder_of(ctx, dir, "masks", ".png", strict, l);
}

/* ---- a CSV of image,mask ------------------------------------------------------------------------------------ */

static bool is_pair_header(const char *image, const char *mask)
{
    return (!strcasecmp(image, "image") || !strcasecmp(image, "path") || !strcasecmp(image, "filename")) &&
           (!strcasecmp(mask, "mask") || !strcasecmp(mask, "label") || !strcasecmp(mask, "target"));
}

/* A listed file that is not a regular file is a problem; else FV_OK with *ok set. */
static fv_status check_file(fv_ctx *ctx, seg_list *l, bool strict, const char *path, bool *ok)
{
    struct stat sb;
    int rc = stat(path, &sb);
    *ok = rc == 0 && S_ISREG(sb.st_mode);
    if (*ok) return FV_OK;
    char reason[160];
    snprintf(reason, sizeof reason, "cannot read: %s", rc != 0 ? strerror(errno) : "not a regular file");
    l->unpaired++;
    return seg_problem(ctx, l, strict, path, reason);
}

/* One row "image,mask" (split at the last comma, so that image paths may hold commas). */
static fv_status csv_row(fv_ctx *ctx, seg_list *l, bool strict, const char *dir, char *line, int64_t lineno,
                         const char *csv)
{
    char *comma = strrchr(line, ',');
    if (!comma) return fv_error(ctx, FV_ERR_FORMAT, "%s line %lld: expected image,mask", csv, (long long)lineno);
    *comma = '\0';
    char *image = img_trim_field(line), *mask = img_trim_field(comma + 1);
    if (lineno == 1 && is_pair_header(image, mask)) return FV_OK;
    if (!*image || !*mask) return fv_error(ctx, FV_ERR_FORMAT, "%s line %lld: an empty image or mask path", csv, (long long)lineno);
    char *ip = image[0] == '/' ? strdup(image) : img_join(dir, image);
    char *mp = mask[0] == '/' ? strdup(mask) : img_join(dir, mask);
    if (!ip || !mp) {
        free(ip), free(mp);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory reading %s", csv);
    }
    bool iok, mok = false;
    fv_status s = check_file(ctx, l, strict, ip, &iok);
    if (!s && iok) s = check_file(ctx, l, strict, mp, &mok); /* one problem a row */
    if (!s && iok && mok) return add_pair(ctx, l, ip, mp);
    free(ip), free(mp);
    return s;
}

typedef struct {
    seg_list *l;
    bool strict;
    const char *csv;
} csv_state;

static fv_status csv_state_row(fv_ctx *ctx, void *user, char *line, int64_t lineno, const char *dir)
{
    csv_state *c = user;
    return csv_row(ctx, c->l, c->strict, dir, line, lineno, c->csv);
}

fv_status seg_list_csv(fv_ctx *ctx, const char *csv, bool strict, seg_list *l)
{
    memset(l, 0, sizeof *l);
    csv_state c = {l, strict, csv};
    fv_status s = img_csv_each_row(ctx, csv, csv_state_row, &c);
    if (s == FV_OK && l->n == 0 && l->issues.n_problems == 0) s = fv_error(ctx, FV_ERR_FORMAT, "%s lists no image,mask pairs", csv);
    char *dir = s == FV_OK ? img_parent_dir(csv) : NULL;
    if (s == FV_OK) s = dir ? read_class_names(ctx, dir, l) : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    free(dir);
    return s;
}

fv_status seg_count_size(fv_ctx *ctx, fv_image_size_count **sizes, int *n, int w, int h, int c)
{
    for (int i = 0; i < *n; i++)
        if ((*sizes)[i].width == w && (*sizes)[i].height == h && (*sizes)[i].channels == c)
            return (*sizes)[i].count++, FV_OK;
    fv_image_size_count *grown = realloc(*sizes, (size_t)(*n + 1) * sizeof *grown);
    if (!grown) return fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    *sizes = grown;
    grown[(*n)++] = (fv_image_size_count){w, h, c, 1};
    return FV_OK;
}

static int by_count(const void *a, const void *b)
{
    int64_t x = ((const fv_image_size_count *)a)->count, y = ((const fv_image_size_count *)b)->count;
    return (x < y) - (x > y);
}

void seg_sort_sizes(fv_image_size_count *sizes, int n)
{
    if (n) qsort(sizes, (size_t)n, sizeof *sizes, by_count);
}
