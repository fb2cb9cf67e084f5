/* Detection folders in YOLO's layout (fv_det_load) on a small hostile folder written here: good images with
 * their boxes converted to pixel corners (and scaled with --size), an empty label file kept as an image without
 * objects; an image without a label file, a label file without an image, labels outside [0, 1], a zero-size box,
 * a class beyond classes.txt, a line of four numbers and a fractional class each skipped and listed with the file
 * and line (strict: the error naming it); the scan's counts per class and by size. Then the composed canvases'
 * labels (fovea data compose --boxes) read back equal to their boxes.csv. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fovea/data.h"
#include "fovea/image.h"
#include "test.h"

static char dir[64];

static const char *at(const char *name)
{
    static char path[4][256];
    static int turn;
    turn = (turn + 1) % 4;
    snprintf(path[turn], sizeof path[turn], "%s/%s", dir, name);
    return path[turn];
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(at(name), "w");
    fputs(text, f);
    fclose(f);
}

static void write_image(fv_ctx *ctx, const char *name, int w, int h)
{
    uint8_t *px = malloc((size_t)w * h);
    for (int p = 0; p < w * h; p++) px[p] = (uint8_t)(p * 7);
    fv_png_write(ctx, at(name), px, w, h, 1);
    free(px);
}

/* Whether some problem names `file` (a path ending so) with a reason containing `why`. */
static bool listed(const fv_det_scan *scan, const char *file, const char *why)
{
    for (int i = 0; i < scan->n_problems; i++) {
        const char *p = scan->problems[i].path;
        size_t n = strlen(p), m = strlen(file);
        if (n >= m && !strcmp(p + n - m, file) && strstr(scan->problems[i].reason, why)) return true;
    }
    return false;
}

static void make_folder(fv_ctx *ctx)
{
    snprintf(dir, sizeof dir, "/tmp/fovea-det-XXXXXX");
    if (!mkdtemp(dir)) abort();
    mkdir(at("images"), 0777), mkdir(at("labels"), 0777);
    write_text("classes.txt", "cat\ndog\nbird\n");
    const char *names[] = {"a", "b", "empty", "nolabel", "outside", "flat", "class", "four", "half"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char name[64];
        snprintf(name, sizeof name, "images/%s.png", names[i]);
        write_image(ctx, name, 40, 20);
    }
    write_text("labels/a.txt", "0 0.5 0.5 0.5 0.5\n2 0.125 0.25 0.25 0.5\n");
    write_text("labels/b.txt", "\n1 0.75 0.5 0.5 1.0\r\n");
    write_text("labels/empty.txt", "");
    write_text("labels/orphan.txt", "0 0.5 0.5 0.1 0.1\n");
    write_text("labels/outside.txt", "0 0.5 0.5 0.1 0.1\n1 1.2 0.5 0.1 0.1\n");
    write_text("labels/flat.txt", "0 0.5 0.5 0.0 0.3\n");
    write_text("labels/class.txt", "3 0.5 0.5 0.1 0.1\n");
    write_text("labels/four.txt", "0 0.5 0.5 0.1\n");
    write_text("labels/half.txt", "1.5 0.5 0.5 0.1 0.1\n");
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    make_folder(ctx);
    CHECK(fv_is_detection_folder(dir) && !fv_is_segmentation_folder(dir), "images/ and labels/: a detection folder");
    fv_det_scan scan;
    fv_tensor_set *set = fv_det_load(ctx, dir, NULL, &scan);
    CHECK(set && fv_tensor_set_count(set) == 3, "3 usable images of 9 (a, b, and the empty one): %s",
          set ? "" : fv_errmsg(ctx));
    if (set) {
        const fv_tensor *y = fv_tensor_set_target(set), *x = fv_tensor_set_input(set, 0);
        const float *b = fv_f32((fv_tensor *)y);
        /* sorted by name: a, b, empty; at most 2 objects an image */
        bool shapes = y->ndim == 3 && y->shape[0] == 3 && y->shape[1] == 2 && y->shape[2] == 5 && x->shape[1] == 1 &&
                      x->shape[2] == 20 && x->shape[3] == 40;
        static const float want[3][10] = {{0, 10, 5, 30, 15, 2, 0, 0, 10, 10},
                                          {1, 20, 0, 40, 20, -1, 0, 0, 0, 0},
                                          {-1, 0, 0, 0, 0, -1, 0, 0, 0, 0}};
        bool same = shapes;
        for (int i = 0; same && i < 30; i++) same = fabsf(b[i] - want[i / 10][i % 10]) < 1e-5f;
        CHECK(same, "boxes (3, 2, 5): class then pixel corners; the empty image all padding (class -1)");
    }
    CHECK(scan.images == 8 && scan.skipped == 5 && scan.unpaired == 2 && scan.empty == 1 && scan.boxes == 3,
          "the scan: 8 pairs, 5 skipped, 2 unpaired, 1 empty, 3 objects (%lld %lld %lld %lld %lld)",
          (long long)scan.images, (long long)scan.skipped, (long long)scan.unpaired, (long long)scan.empty,
          (long long)scan.boxes);
    CHECK(scan.n_per_class == 3 && scan.per_class[0] == 1 && scan.per_class[1] == 1 && scan.per_class[2] == 1 &&
          scan.n_class_names == 3 && !strcmp(scan.class_names[1], "dog"), "one object per class, named from classes.txt");
    CHECK(scan.size_counts[0] == 3, "all three small (< 32^2 pixels)");
    CHECK(listed(&scan, "images/nolabel.png", "no label file (no labels/nolabel.txt)"), "an image without a label file");
    CHECK(listed(&scan, "labels/orphan.txt", "a label file without an image"), "a label file without an image");
    CHECK(listed(&scan, "labels/outside.txt", "line 2: cx 1.2 is outside [0, 1]"), "a centre outside the image, by line");
    CHECK(listed(&scan, "labels/flat.txt", "line 1: the box has no area"), "a box of width 0");
    CHECK(listed(&scan, "labels/class.txt", "class 3, but there are 3 classes"), "a class beyond classes.txt");
    CHECK(listed(&scan, "labels/four.txt", "expected 5 numbers (class cx cy w h), found 4"), "four numbers");
    CHECK(listed(&scan, "labels/half.txt", "class 1.5 is not a class id"), "a fractional class");
    fv_tensor_set_free(set);
    fv_det_scan_release(&scan);

    fv_det_options o = fv_det_defaults();
    o.strict = true;
    set = fv_det_load(ctx, dir, &o, NULL);
    CHECK(!set && strstr(fv_errmsg(ctx), "nolabel.png"), "strict: the first bad file is the error: %s", fv_errmsg(ctx));
    o = fv_det_defaults();
    o.width = 80, o.height = 10, o.max_boxes = 1;
    set = fv_det_load(ctx, dir, &o, &scan);
    const float *b = set ? fv_f32((fv_tensor *)fv_tensor_set_target(set)) : NULL;
    CHECK(set && fv_tensor_set_count(set) == 2 && fabsf(b[1] - 40) < 1e-4f && fabsf(b[4] - 10) < 1e-4f &&
              listed(&scan, "labels/a.txt", "2 objects, more than the 1 allowed"),
          "--size 80x10 scales the boxes; max_boxes 1 skips the image with two");
    fv_tensor_set_free(set);
    fv_det_scan_release(&scan);

    /* compose --boxes: labels read back as boxes.csv has them */
    fv_dataset *items = fv_dataset_find(ctx, "fashion-mnist", false);
    if (items) {
        char composed[128];
        snprintf(composed, sizeof composed, "%s/composed", dir);
        fv_compose_options co = fv_compose_defaults();
        co.yolo_labels = true, co.seed = 5;
        bool wrote = fv_compose_write(ctx, items, &co, 12, composed) == FV_OK;
        set = wrote ? fv_det_load(ctx, composed, NULL, &scan) : NULL;
        char csv[160];
        snprintf(csv, sizeof csv, "%s/boxes.csv", composed);
        FILE *f = fopen(csv, "r");
        char line[256];
        int n = 0, agree = 0, slot[12] = {0};
        if (f && fgets(line, sizeof line, f))
            while (fgets(line, sizeof line, f)) {
                int img, cls, x0, y0, x1, y1;
                if (sscanf(line, "%d.png,%d,%d,%d,%d,%d", &img, &cls, &x0, &y0, &x1, &y1) != 6 || !set) continue;
                const fv_tensor *y = fv_tensor_set_target(set);
                const float *r = fv_f32((fv_tensor *)y) + (img * y->shape[1] + slot[img]++) * 5;
                n++;
                agree += r[0] == cls && fabsf(r[1] - x0) < 1e-3f && fabsf(r[2] - y0) < 1e-3f &&
                         fabsf(r[3] - x1) < 1e-3f && fabsf(r[4] - y1) < 1e-3f;
            }
        if (f) fclose(f);
        CHECK(set && n > 12 && agree == n, "compose --boxes: %d of %d label boxes equal boxes.csv's pixels", agree, n);
        fv_tensor_set_free(set);
        fv_det_scan_release(&scan);
        fv_dataset_free(items);
    } else {
        CHECK(false, "Fashion-MNIST found for the composed folder: %s", fv_errmsg(ctx));
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    fv_ctx_free(ctx);
    return test_finish();
}
