/* Segmentation sets and their masks (fv_mask_read, fv_seg_load) on small hostile folders and CSVs written
 * here: a palette mask reads as its indices (never its colours), 1/2/4-bit masks unpacked unscaled; RGB,
 * gray + alpha, 16-bit, JPEG and palette-without-PLTE masks refused naming the file and the reason; a folder's
 * image without a mask, mask without an image, mask of another size, image of another size and class id beyond
 * the model's are each skipped and listed with the file (or, strict, the error naming it); a CSV of image,mask
 * resolves against its folder; classes.txt gives the names; the scan counts pixels per class and sizes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "fovea/data.h"
#include "fovea/image.h"
#include "test.h"

#define W 6
#define H 4

static char dir[64];

static const char *at(const char *name)
{
    static char path[4][256];
    static int turn;
    turn = (turn + 1) % 4;
    snprintf(path[turn], sizeof path[turn], "%s/%s", dir, name);
    return path[turn];
}

/* A PNG of color type and depth from one byte per sample (packed by libpng); a palette of n_palette entries
 * (0: none, a palette PNG without PLTE is made by cutting the chunk out afterwards). */
static void write_png(const char *path, int w, int h, int type, int depth, const uint8_t *samples, int n_palette)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) abort();
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color pal[256];
    for (int i = 0; i < 256; i++) pal[i] = (png_color){(png_byte)(255 - i), (png_byte)(7 * i), (png_byte)(i ^ 0x5a)};
    if (n_palette) png_set_PLTE(png, info, pal, n_palette);
    png_write_info(png, info);
    if (depth < 8) png_set_packing(png);
    int per = type == PNG_COLOR_TYPE_RGB ? 3 : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1, bytes = depth == 16 ? 2 : 1;
    for (int y = 0; y < h; y++) png_write_row(png, (png_bytep)(samples + (size_t)y * w * per * bytes));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

/* The file without its PLTE chunk (length, type, data, CRC). */
static void cut_plte(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t b[4096];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    for (size_t i = 8; i + 12 <= n;) {
        size_t len = (size_t)b[i] << 24 | (size_t)b[i + 1] << 16 | (size_t)b[i + 2] << 8 | b[i + 3];
        if (!memcmp(b + i + 4, "PLTE", 4)) {
            memmove(b + i, b + i + 12 + len, n - i - 12 - len);
            n -= 12 + len;
            break;
        }
        i += 12 + len;
    }
    f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static void check_reads(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    uint8_t ids[W * H], got_ok = 1;
    for (int p = 0; p < W * H; p++) ids[p] = (uint8_t)(p % 5);
    write_png(at("pal.png"), W, H, PNG_COLOR_TYPE_PALETTE, 8, ids, 5);
    fv_image m;
    fv_status s = fv_mask_read(ctx, at("pal.png"), &m);
    for (int p = 0; s == FV_OK && p < W * H; p++) got_ok &= ((uint8_t *)m.pixels)[p] == ids[p];
    CHECK(s == FV_OK && m.channels == 1 && m.depth == 8 && got_ok, "a palette mask reads as its indices, not colours (%s)",
          fv_errmsg(ctx));
    fv_image_release(&m);
    write_png(at("pal4.png"), W, H, PNG_COLOR_TYPE_PALETTE, 4, ids, 16);
    s = fv_mask_read(ctx, at("pal4.png"), &m);
    got_ok = 1;
    for (int p = 0; s == FV_OK && p < W * H; p++) got_ok &= ((uint8_t *)m.pixels)[p] == ids[p];
    CHECK(s == FV_OK && got_ok, "a 4-bit palette mask unpacks to its indices (%s)", fv_errmsg(ctx));
    fv_image_release(&m);
    uint8_t bits[W * H];
    for (int p = 0; p < W * H; p++) bits[p] = (uint8_t)(p & 1);
    write_png(at("gray1.png"), W, H, PNG_COLOR_TYPE_GRAY, 1, bits, 0);
    s = fv_mask_read(ctx, at("gray1.png"), &m);
    CHECK(s == FV_OK && ((uint8_t *)m.pixels)[1] == 1 && ((uint8_t *)m.pixels)[0] == 0,
          "a 1-bit gray mask holds ids 0 and 1, not 0 and 255 (%s)", fv_errmsg(ctx));
    fv_image_release(&m);
    fv_ctx_free(ctx);
}

/* fv_mask_read refuses path with a message naming it and holding why. */
static void check_refused(const char *path, const char *why, const char *what)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_image m;
    fv_status s = fv_mask_read(ctx, path, &m);
    CHECK(s == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), path) && strstr(fv_errmsg(ctx), why) && !m.pixels,
          "%s is refused naming the file and why (%s)", what, fv_errmsg(ctx));
    fv_ctx_free(ctx);
}

static void check_bad_masks(void)
{
    uint8_t rgb[W * H * 3] = {0}, ga[W * H * 2] = {0}, g16[W * H * 2] = {0}, ids[W * H] = {0};
    write_png(at("rgb.png"), W, H, PNG_COLOR_TYPE_RGB, 8, rgb, 0);
    check_refused(at("rgb.png"), "an RGB mask holds colours", "an RGB mask");
    write_png(at("ga.png"), W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga, 0);
    check_refused(at("ga.png"), "gray with alpha", "a gray + alpha mask");
    write_png(at("g16.png"), W, H, PNG_COLOR_TYPE_GRAY, 16, g16, 0);
    check_refused(at("g16.png"), "16-bit", "a 16-bit mask");
    write_png(at("noplte.png"), W, H, PNG_COLOR_TYPE_PALETTE, 8, ids, 4);
    cut_plte(at("noplte.png"));
    check_refused(at("noplte.png"), "palette PNG without its PLTE chunk", "a palette PNG without PLTE");
    fv_ctx *ctx = fv_ctx_new(1);
    fv_image im = {W, H, 1, 8, ids};
    fv_image_write(ctx, at("mask.jpg"), &im, 95);
    fv_ctx_free(ctx);
    check_refused(at("mask.jpg"), "JPEG", "a JPEG mask");
}

/* ---- folders ---------------------------------------------------------------------------------------------- */

static void put_gray(const char *name, int w, int h, uint8_t value)
{
    uint8_t px[64 * 64];
    memset(px, value, sizeof px);
    fv_ctx *ctx = fv_ctx_new(1);
    fv_png_write(ctx, at(name), px, w, h, 1);
    fv_ctx_free(ctx);
}

/* pairs a..e: a good (ids 0 and 1), b good (ids 2 and 255), c without a mask, d's mask 5x4, e's image 7x4;
 * masks/f.png without an image. */
static void make_folder(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/seg/images %s/seg/masks", dir, dir);
    if (system(cmd) != 0) abort();
    uint8_t m[W * H];
    for (int p = 0; p < W * H; p++) m[p] = (uint8_t)(p < 8);
    const char *images[] = {"seg/images/a.png", "seg/images/b.png", "seg/images/c.png", "seg/images/d.png"};
    for (int i = 0; i < 4; i++) put_gray(images[i], W, H, (uint8_t)(40 * i));
    put_gray("seg/images/e.png", W + 1, H, 9);
    write_png(at("seg/masks/a.png"), W, H, PNG_COLOR_TYPE_GRAY, 8, m, 0);
    for (int p = 0; p < W * H; p++) m[p] = p < 6 ? 255 : 2;
    write_png(at("seg/masks/b.png"), W, H, PNG_COLOR_TYPE_PALETTE, 8, m, 256);
    put_gray("seg/masks/d.png", W - 1, H, 0);
    put_gray("seg/masks/e.png", W + 1, H, 0);
    put_gray("seg/masks/f.png", W, H, 0);
    FILE *f = fopen(at("seg/classes.txt"), "w");
    fputs("background\ncat\ndog\n\n", f);
    fclose(f);
}

/* Whether the scan lists a problem whose path ends in file and whose reason holds why. */
static bool listed(const fv_seg_scan *scan, const char *file, const char *why)
{
    for (int i = 0; i < scan->n_problems; i++) {
        size_t n = strlen(scan->problems[i].path), k = strlen(file);
        if (n >= k && !strcmp(scan->problems[i].path + n - k, file) && strstr(scan->problems[i].reason, why)) return true;
    }
    return false;
}

static void check_folder(void)
{
    make_folder();
    fv_ctx *ctx = fv_ctx_new(1);
    fv_seg_scan scan;
    fv_seg_options o = fv_seg_defaults();
    CHECK(fv_is_segmentation_set(at("seg")), "a folder of images/ and masks/ is a segmentation set");
    fv_tensor_set *set = fv_seg_load(ctx, at("seg"), &o, &scan);
    CHECK(set && fv_tensor_set_count(set) == 2, "two of the five pairs are usable (%s)", fv_errmsg(ctx));
    CHECK(listed(&scan, "images/c.png", "no mask"), "an image without a mask is listed");
    CHECK(listed(&scan, "masks/f.png", "a mask without an image"), "a mask without an image is listed");
    CHECK(listed(&scan, "masks/d.png", "the mask is 5x4, its image 6x4"), "a mask of another size is listed");
    CHECK(listed(&scan, "images/e.png", "the image is 7x4, the first image 6x4"), "an image of another size is listed");
    CHECK(scan.pairs == 4 && scan.skipped == 2 && scan.unpaired == 2 && scan.n_problems == 4,
          "4 pairs, 2 skipped, 2 unpaired (%lld, %lld, %lld)", (long long)scan.pairs, (long long)scan.skipped,
          (long long)scan.unpaired);
    CHECK(scan.pixels[0] == 16 && scan.pixels[1] == 8 && scan.pixels[2] == 18 && scan.pixels[255] == 6,
          "pixels per class id counted over the kept masks (%lld %lld %lld %lld)", (long long)scan.pixels[0],
          (long long)scan.pixels[1], (long long)scan.pixels[2], (long long)scan.pixels[255]);
    CHECK(scan.n_class_names == 3 && !strcmp(scan.class_names[2], "dog"), "classes.txt gives 3 names");
    const fv_tensor *y = set ? fv_tensor_set_target(set) : NULL;
    CHECK(y && y->dtype == FV_I32 && y->shape[0] == 2 && fv_i32(y)[W * H] == 255 && fv_i32(y)[W * H + 6] == 2,
          "the palette mask's indices (255 ignore, 2) are the targets");
    fv_tensor_set_free(set);
    fv_seg_scan_release(&scan);

    o.classes = 2;
    set = fv_seg_load(ctx, at("seg"), &o, &scan);
    CHECK(set && fv_tensor_set_count(set) == 1 && listed(&scan, "masks/b.png", "class id 2 at x 0, y 1, but the model has 2 classes"),
          "a class id beyond the model's classes is named (255 is not) (%s)", fv_errmsg(ctx));
    fv_tensor_set_free(set);
    fv_seg_scan_release(&scan);

    /* resized: the 7x4 image joins (both to 13x9), the masks by nearest neighbour keep only their ids */
    o = fv_seg_defaults(), o.width = 13, o.height = 9;
    set = fv_seg_load(ctx, at("seg"), &o, &scan);
    y = set ? fv_tensor_set_target(set) : NULL;
    const fv_tensor *x = set ? fv_tensor_set_input(set, 0) : NULL;
    bool ids = y != NULL;
    for (int64_t i = 0; y && i < y->size; i++) {
        int32_t v = fv_i32(y)[i];
        ids &= i < 13 * 9 ? v == 0 || v == 1 : i < 2 * 13 * 9 ? v == 2 || v == 255 : v == 0;
    }
    CHECK(set && fv_tensor_set_count(set) == 3 && x->shape[2] == 9 && x->shape[3] == 13 && y->shape[1] == 9 &&
          y->shape[2] == 13 && ids, "--size: images and masks resized to 13x9, masks holding only their own ids");
    fv_tensor_set_free(set);
    fv_seg_scan_release(&scan);

    o.width = o.height = 0, o.classes = 0, o.strict = true;
    set = fv_seg_load(ctx, at("seg"), &o, &scan);
    CHECK(!set && strstr(fv_errmsg(ctx), "images/c.png: no mask"), "strict refuses the first bad pair naming it (%s)",
          fv_errmsg(ctx));
    fv_seg_scan_release(&scan);
    fv_ctx_free(ctx);
}

static void check_csv(void)
{
    FILE *f = fopen(at("seg/pairs.csv"), "w");
    fputs("image,mask\nimages/a.png,masks/a.png\n\"images/b.png\" , masks/b.png\nimages/zz.png,masks/a.png\n", f);
    fclose(f);
    fv_ctx *ctx = fv_ctx_new(1);
    fv_seg_scan scan;
    CHECK(fv_is_segmentation_set(at("seg/pairs.csv")), "a CSV headed image,mask is a segmentation set");
    fv_tensor_set *set = fv_seg_load(ctx, at("seg/pairs.csv"), NULL, &scan);
    CHECK(set && fv_tensor_set_count(set) == 2 && listed(&scan, "images/zz.png", "cannot read") && scan.n_class_names == 3,
          "the CSV's paths resolve against its folder, a missing file is listed, classes.txt beside it (%s)",
          fv_errmsg(ctx));
    fv_tensor_set_free(set);
    fv_seg_scan_release(&scan);
    f = fopen(at("labels.csv"), "w");
    fputs("a.png,cat\nb.png,dog\n", f);
    fclose(f);
    CHECK(!fv_is_segmentation_set(at("labels.csv")), "a path,label CSV is not a segmentation set");
    f = fopen(at("seg/broken.csv"), "w");
    fputs("images/a.png masks/a.png\n", f);
    fclose(f);
    set = fv_seg_load(ctx, at("seg/broken.csv"), NULL, &scan);
    CHECK(!set && strstr(fv_errmsg(ctx), "broken.csv line 1: expected image,mask"), "a row without a comma is refused (%s)",
          fv_errmsg(ctx));
    fv_seg_scan_release(&scan);
    fv_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/fovea_segset.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    check_reads();
    check_bad_masks();
    check_folder();
    check_csv();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish();
}
