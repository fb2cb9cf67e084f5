/* Composed segmentation canvases: gray items (Fashion-MNIST) pasted at random places on a black square, with
 * a mask of class ids and the items' boxes, so that segmentation (and detection) can be trained on data that
 * anyone regenerates exactly from a seed. Every draw is fv_rng_bits at a fixed counter: a canvas depends only
 * on (seed, its number), not on how many were made before it or on the thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/internal.h"
#include "fovea/data.h"
#include "fovea/image.h"
#include "fovea/io.h"

fv_compose_options fv_compose_defaults(void)
{
    return (fv_compose_options){.canvas = 64, .min_items = 2, .max_items = 4, .threshold = 25, .seed = 0};
}

static uint64_t draw(const fv_compose_options *o, int64_t i, int k)
{
    return fv_rng_bits(o->seed, FV_COMPOSE_STREAM, (uint64_t)i * 64 + (uint64_t)k);
}

static fv_status check_options(fv_ctx *ctx, const fv_dataset *items, const fv_compose_options *o)
{
    int64_t s[3];
    fv_dataset_shape(items, s);
    if (s[0] != 1) return fv_error(ctx, FV_ERR_ARG, "compose: items must be gray (1 channel), not %lld", (long long)s[0]);
    if (o->canvas < s[1] || o->canvas < s[2] || o->canvas > 4096)
        return fv_error(ctx, FV_ERR_ARG, "compose: a canvas of %d does not hold items of %lldx%lld (or is over 4096)",
                        o->canvas, (long long)s[2], (long long)s[1]);
    if (o->min_items < 1 || o->min_items > o->max_items || o->max_items > FV_COMPOSE_MAX_ITEMS)
        return fv_error(ctx, FV_ERR_ARG, "compose: items %d:%d must satisfy 1 <= min <= max <= %d", o->min_items,
                        o->max_items, FV_COMPOSE_MAX_ITEMS);
    if (fv_dataset_count(items) < 1) return fv_error(ctx, FV_ERR_ARG, "compose: no items to paste");
    return FV_OK;
}

/* Paste one item's pixels (bytes, h x w) at (x, y): its nonzero pixels replace the canvas's, the mask follows. */
static void paste(const fv_compose_options *o, const uint8_t *px, int h, int w, int x, int y, int id, uint8_t *image,
                  uint8_t *mask, fv_compose_box *b)
{
    *b = (fv_compose_box){id, -1, -1, -1, -1};
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            uint8_t v = px[r * w + c];
            if (!v) continue; /* transparent: what lies below shows through */
            size_t at = (size_t)(y + r) * (size_t)o->canvas + (size_t)(x + c);
            image[at] = v;
            mask[at] = v > o->threshold ? (uint8_t)id : 0;
            if (v <= o->threshold) continue;
            if (b->x0 < 0 || x + c < b->x0) b->x0 = x + c;
            if (b->y0 < 0) b->y0 = y + r;
            if (x + c + 1 > b->x1) b->x1 = x + c + 1;
            b->y1 = y + r + 1;
        }
}

fv_status fv_compose_canvas(fv_ctx *ctx, const fv_dataset *items, const fv_compose_options *o, int64_t i,
                            uint8_t *image, uint8_t *mask, fv_compose_box *boxes, int *n_boxes)
{
    fv_status st = check_options(ctx, items, o);
    if (st) return st;
    int64_t s[3];
    fv_dataset_shape(items, s);
    int h = (int)s[1], w = (int)s[2];
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, h, w});
    uint8_t *px = malloc((size_t)(h * w));
    if (!x || !px) {
        fv_tensor_free(x), free(px);
        return fv_error(ctx, FV_ERR_NOMEM, "compose: out of memory");
    }
    memset(image, 0, (size_t)o->canvas * (size_t)o->canvas);
    memset(mask, 0, (size_t)o->canvas * (size_t)o->canvas);
    int n = o->min_items + (int)(draw(o, i, 0) % (uint64_t)(o->max_items - o->min_items + 1));
    for (int j = 0; j < n && !st; j++) {
        int64_t k = (int64_t)(draw(o, i, 1 + 3 * j) % (uint64_t)fv_dataset_count(items));
        int px0 = (int)(draw(o, i, 2 + 3 * j) % (uint64_t)(o->canvas - w + 1));
        int py0 = (int)(draw(o, i, 3 + 3 * j) % (uint64_t)(o->canvas - h + 1));
        if ((st = fv_dataset_batch(items, &k, 1, x, NULL)) != FV_OK) break;
        for (int p = 0; p < h * w; p++) px[p] = (uint8_t)lrintf(fminf(fmaxf(fv_f32(x)[p] * 255.0f, 0.0f), 255.0f));
        fv_compose_box b;
        paste(o, px, h, w, px0, py0, fv_dataset_label(items, k) + 1, image, mask, &b);
        if (boxes) boxes[j] = b;
    }
    if (n_boxes) *n_boxes = n;
    fv_tensor_free(x), free(px);
    return st;
}

static fv_status make_dir(fv_ctx *ctx, const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return FV_OK;
    return fv_error(ctx, FV_ERR_IO, "cannot create %s: %s", path, strerror(errno));
}

/* classes.txt: background, then the items' class names (their numbers where they have none). */
static fv_status write_classes(fv_ctx *ctx, const fv_dataset *items, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/classes.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) return fv_error(ctx, FV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "background\n");
    for (int k = 0; k < fv_dataset_classes(items); k++) {
        const char *name = fv_dataset_class_name(items, k);
        if (name) fprintf(f, "%s\n", name);
        else fprintf(f, "%d\n", k);
    }
    return fclose(f) == 0 ? FV_OK : fv_error(ctx, FV_ERR_IO, "cannot write %s", path);
}

/* A canvas's objects as YOLO label lines (fv_atomic_write's filler). */
typedef struct {
    const fv_compose_box *boxes;
    int n, canvas;
} yolo_lines;

static int fill_labels(FILE *f, void *arg)
{
    const yolo_lines *y = arg;
    double side = y->canvas;
    for (int j = 0; j < y->n; j++) {
        const fv_compose_box *b = &y->boxes[j];
        if (b->x0 < 0) continue; /* an item covered entirely: no pixels, no object */
        fprintf(f, "%d %.6f %.6f %.6f %.6f\n", b->class_id, (b->x0 + b->x1) / 2.0 / side, (b->y0 + b->y1) / 2.0 / side,
                (b->x1 - b->x0) / side, (b->y1 - b->y0) / side);
    }
    return ferror(f) ? EIO : 0;
}

/* Canvas i's two PNG files, its lines of boxes.csv and (yolo_labels) its label file. */
static fv_status write_one(fv_ctx *ctx, const fv_dataset *items, const fv_compose_options *o, int64_t i,
                           const char *dir, uint8_t *image, uint8_t *mask, FILE *csv)
{
    fv_compose_box boxes[FV_COMPOSE_MAX_ITEMS];
    int n;
    fv_status st = fv_compose_canvas(ctx, items, o, i, image, mask, boxes, &n);
    char path[4096];
    snprintf(path, sizeof path, "%s/images/%05lld.png", dir, (long long)i);
    if (!st) st = fv_png_write(ctx, path, image, o->canvas, o->canvas, 1);
    snprintf(path, sizeof path, "%s/masks/%05lld.png", dir, (long long)i);
    if (!st) st = fv_png_write(ctx, path, mask, o->canvas, o->canvas, 1);
    for (int j = 0; !st && j < n; j++)
        if (boxes[j].x0 >= 0)
            fprintf(csv, "%05lld.png,%d,%d,%d,%d,%d\n", (long long)i, boxes[j].class_id, boxes[j].x0, boxes[j].y0,
                    boxes[j].x1, boxes[j].y1);
    if (!st && o->yolo_labels) {
        snprintf(path, sizeof path, "%s/labels/%05lld.txt", dir, (long long)i);
        yolo_lines lines = {boxes, n, o->canvas};
        int err = fv_write_file(path, fill_labels, &lines, FV_WRITE_NOSYNC);
        if (err) st = fv_error(ctx, FV_ERR_IO, "cannot write %s: %s", path, fv_write_strerror(err));
    }
    return st;
}

fv_status fv_compose_write(fv_ctx *ctx, const fv_dataset *items, const fv_compose_options *o, int64_t count,
                           const char *dir)
{
    fv_status st = check_options(ctx, items, o);
    char path[4096];
    const char *subs[] = {"", "/images", "/masks", "/labels"};
    for (int k = 0; k < (o->yolo_labels ? 4 : 3) && !st; k++) {
        snprintf(path, sizeof path, "%s%s", dir, subs[k]);
        st = make_dir(ctx, path);
    }
    if (!st) st = write_classes(ctx, items, dir);
    if (st) return st;
    snprintf(path, sizeof path, "%s/boxes.csv", dir);
    FILE *csv = fopen(path, "w");
    size_t side = (size_t)o->canvas;
    uint8_t *image = malloc(side * side), *mask = malloc(side * side);
    if (!csv || !image || !mask) st = fv_error(ctx, csv ? FV_ERR_NOMEM : FV_ERR_IO, "cannot write %s", path);
    if (csv) fprintf(csv, "file,class,x0,y0,x1,y1\n");
    for (int64_t i = 0; i < count && !st; i++) st = write_one(ctx, items, o, i, dir, image, mask, csv);
    if (csv && fclose(csv) != 0 && !st) st = fv_error(ctx, FV_ERR_IO, "cannot write %s", path);
    free(image), free(mask);
    return st;
}
