/* A segmentation folder (DIR/images/ of .png or .jpg files and DIR/masks/ of .png files, same base names) as a tuple set of
 * images and int32 masks, the layout `fovea data compose` writes and most segmentation sets use. Every pair
 * is decoded and checked when the folder opens, so a bad file fails the load naming it rather than an epoch. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../core/internal.h"
#include "fovea/data.h"
#include "fovea/image.h"
#include "image_list.h"

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

typedef struct {
    char **names;
    int64_t n, cap;
} name_list;

static void names_release(name_list *l)
{
    for (int64_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    *l = (name_list){0};
}

/* Names compared by base (up to the last dot): both lists sorted so, a base is found by bisection. */
static int base_cmp(const char *a, const char *b)
{
    size_t la = (size_t)(strrchr(a, '.') - a), lb = (size_t)(strrchr(b, '.') - b);
    int c = strncmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int by_base(const void *a, const void *b) { return base_cmp(*(char *const *)a, *(char *const *)b); }

/* The image files of a folder (masks: .png only), sorted. */
static fv_status list_dir(fv_ctx *ctx, const char *path, bool png_only, name_list *l)
{
    DIR *d = opendir(path);
    if (!d) return fv_error(ctx, FV_ERR_IO, "cannot read the folder %s", path);
    fv_status st = FV_OK;
    for (struct dirent *e; !st && (e = readdir(d));) {
        const char *dot = strrchr(e->d_name, '.');
        if (e->d_name[0] == '.' || !img_has_image_ext(e->d_name) || (png_only && strcasecmp(dot, ".png") != 0)) continue;
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 64;
            char **grown = realloc(l->names, (size_t)l->cap * sizeof *grown);
            if (!grown) st = fv_error(ctx, FV_ERR_NOMEM, "out of memory listing %s", path);
            else l->names = grown;
        }
        if (!st && !(l->names[l->n++] = strdup(e->d_name))) st = fv_error(ctx, FV_ERR_NOMEM, "out of memory");
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

/* Every image has a mask and every mask an image, so that no sample is silently left out. */
static fv_status check_pairs(fv_ctx *ctx, const char *dir, const name_list *images, const name_list *masks)
{
    for (int64_t i = 0; i < images->n; i++)
        if (find_base(masks, images->names[i]) < 0)
            return fv_error(ctx, FV_ERR_FORMAT, "%s/images/%s has no mask (no %s/masks/%.*s.png)", dir,
                            images->names[i], dir, (int)(strrchr(images->names[i], '.') - images->names[i]),
                            images->names[i]);
    for (int64_t i = 0; i < masks->n; i++)
        if (find_base(images, masks->names[i]) < 0)
            return fv_error(ctx, FV_ERR_FORMAT, "%s/masks/%s has no image of that name in %s/images", dir,
                            masks->names[i], dir);
    if (!images->n) return fv_error(ctx, FV_ERR_FORMAT, "%s/images holds no .png, .jpg or .jpeg files", dir);
    return FV_OK;
}

/* Read an image at channels (0: as it comes, gray or RGB), 8 bits. */
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

/* A mask: one 8-bit channel of class ids, at the image's size. */
static fv_status read_mask(fv_ctx *ctx, const char *path, int width, int height, int32_t *out)
{
    fv_image m;
    fv_status st = fv_image_read(ctx, path, &m);
    if (st) return st;
    if (m.channels != 1 || m.depth != 8)
        st = fv_error(ctx, FV_ERR_FORMAT, "mask %s has %d channels of %d bits: a mask is one 8-bit channel of class ids%s",
                      path, m.channels, m.depth, m.channels >= 3 ? " (an RGB or palette mask is not read as ids)" : "");
    else if (m.width != width || m.height != height)
        st = fv_error(ctx, FV_ERR_SHAPE, "mask %s is %dx%d, its image %dx%d", path, m.width, m.height, width, height);
    for (int64_t p = 0; !st && p < (int64_t)width * height; p++) out[p] = ((const uint8_t *)m.pixels)[p];
    fv_image_release(&m);
    return st;
}

/* Sample i: the image's bytes to floats (N, C, H, W) in [0, 1] and its mask. */
static fv_status read_pair(fv_ctx *ctx, const char *dir, const char *name, int64_t i, fv_tensor *x, fv_tensor *y)
{
    char path[4096];
    int c = (int)x->shape[1], h = (int)x->shape[2], w = (int)x->shape[3];
    snprintf(path, sizeof path, "%s/images/%s", dir, name);
    fv_image im;
    fv_status st = read_image(ctx, path, c, &im);
    if (st) return st;
    if (im.width != w || im.height != h)
        st = fv_error(ctx, FV_ERR_SHAPE, "image %s is %dx%d, the first image %dx%d (images are not resized)", path,
                      im.width, im.height, w, h);
    const uint8_t *px = im.pixels;
    float *dst = fv_f32(x) + i * c * h * w;
    for (int64_t p = 0; !st && p < (int64_t)h * w; p++)
        for (int ch = 0; ch < c; ch++) dst[ch * h * w + p] = px[p * c + ch] / 255.0f;
    fv_image_release(&im);
    snprintf(path, sizeof path, "%s/masks/%.*s.png", dir, (int)(strrchr(name, '.') - name), name);
    return st ? st : read_mask(ctx, path, w, h, fv_i32(y) + i * h * w);
}

/* The images and masks tensors, sized by the first image. */
static fv_status read_all(fv_ctx *ctx, const char *dir, const name_list *images, int channels, fv_tensor **x,
                          fv_tensor **y)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/images/%s", dir, images->names[0]);
    fv_image first;
    fv_status st = read_image(ctx, path, channels, &first);
    if (st) return st;
    int64_t n = images->n, c = first.channels, h = first.height, w = first.width;
    fv_image_release(&first);
    *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){n, c, h, w});
    *y = fv_tensor_new(ctx, FV_I32, 3, (int64_t[]){n, h, w});
    if (!*x || !*y) return fv_error(ctx, FV_ERR_NOMEM, "out of memory for the %lld images of %s", (long long)n, dir);
    for (int64_t i = 0; i < n && !st; i++) st = read_pair(ctx, dir, images->names[i], i, *x, *y);
    return st;
}

fv_tensor_set *fv_tensor_set_load_segmentation(fv_ctx *ctx, const char *dir, int channels)
{
    name_list images = {0}, masks = {0};
    fv_tensor *x = NULL, *y = NULL;
    fv_tensor_set *set = NULL;
    char *ipath = img_join(dir, "images"), *mpath = img_join(dir, "masks");
    fv_status st = ipath && mpath ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    if (channels != 0 && channels != 1 && channels != 3)
        st = fv_error(ctx, FV_ERR_ARG, "segmentation folder %s: channels must be 0, 1 or 3, not %d", dir, channels);
    if (!st) st = list_dir(ctx, ipath, false, &images);
    if (!st) st = list_dir(ctx, mpath, true, &masks);
    if (!st) st = check_pairs(ctx, dir, &images, &masks);
    if (!st) st = read_all(ctx, dir, &images, channels, &x, &y);
    const fv_tensor *inputs[1] = {x};
    if (!st) set = fv_tensor_set_new(ctx, inputs, 1, y);
    fv_tensor_free(x), fv_tensor_free(y);
    names_release(&images), names_release(&masks);
    free(ipath), free(mpath);
    return set;
}
