/* Image decoding, conversion and resizing against PIL (tests/reference/gen_images.py): every committed image
 * decoded pixel for pixel as PIL decodes it (16-bit colour PNGs against the array the script encoded), EXIF
 * orientations, PIL's Image.resize within one grey level (nearest exactly), convert("L"); fitting, writing and
 * reading back, the float tensor; and hostile input: every file truncated, zero bytes, text, a directory, a
 * missing path, headers declaring absurd sizes, all refused with the path in the message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

#define IMAGES FIXTURE_DIR "/images"

static const char *const FILES[] = {
    "baseline.jpg", "baseline444.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg", "exif2.jpg", "exif3.jpg",
    "exif4.jpg", "exif5.jpg", "exif6.jpg", "exif7.jpg", "exif8.jpg", "gray.png", "gray1.png", "gray16.png",
    "gray_alpha.png", "rgb.png", "rgba.png", "palette.png", "palette_trns.png", "rgb_trns.png", "rgb16.png",
    "rgba16.png"};
#define NFILES (int)(sizeof FILES / sizeof FILES[0])

static char tmpdir[64];

/* A reference image of the fixture: shape:KEY (h, w, c, depth) and the packed samples of data viewed as an
 * image. */
static bool ref_image(const fx_file *fx, const char *key, const char *data, fv_image *out)
{
    char name[160];
    snprintf(name, sizeof name, "shape:%s", key);
    const fv_tensor *shape = fx_get(fx, name), *px = fx_get(fx, data);
    if (!shape || !px) return false;
    const int32_t *s = fv_i32(shape);
    *out = (fv_image){s[1], s[0], s[2], s[3], px->data};
    return true;
}

static unsigned sample(const fv_image *im, size_t i)
{
    return im->depth == 16 ? ((const uint16_t *)im->pixels)[i] : ((const uint8_t *)im->pixels)[i];
}

/* max |a - b| over the samples, or -1 when the shapes differ. */
static int max_diff(const fv_image *a, const fv_image *b)
{
    if (a->width != b->width || a->height != b->height || a->channels != b->channels || a->depth != b->depth) return -1;
    int d = 0;
    size_t n = (size_t)a->width * (size_t)a->height * (size_t)a->channels;
    for (size_t i = 0; i < n; i++) {
        int e = abs((int)sample(a, i) - (int)sample(b, i));
        d = e > d ? e : d;
    }
    return d;
}

static void test_decode(fv_ctx *ctx, const fx_file *fx)
{
    for (int i = 0; i < NFILES; i++) {
        char path[256], key[96];
        snprintf(path, sizeof path, "%s/%s", IMAGES, FILES[i]);
        snprintf(key, sizeof key, "px:%s", FILES[i]);
        fv_image im, want;
        fv_status s = fv_image_read(ctx, path, &im);
        bool have = ref_image(fx, FILES[i], key, &want);
        int d = s == FV_OK && have ? max_diff(&im, &want) : -2;
        CHECK(d == 0, "%s decoded as PIL: %dx%dx%d %d-bit, max difference %d (%s)", FILES[i], im.width, im.height,
              im.channels, im.depth, d, s ? fv_errmsg(ctx) : "ok");
        fv_image_release(&im);
    }
}

static void test_info(fv_ctx *ctx)
{
    fv_image_info info = {0};
    CHECK(fv_image_read_info(ctx, IMAGES "/exif6.jpg", &info) == FV_OK && info.format == FV_IMAGE_JPEG &&
              info.width == 21 && info.height == 13 && info.channels == 3 && info.orientation == 6,
          "info of exif6.jpg: JPEG 21x13x3 as stored, orientation %d", info.orientation);
    CHECK(fv_image_read_info(ctx, IMAGES "/cmyk.jpg", &info) == FV_OK && info.channels == 4 && info.orientation == 1,
          "info of cmyk.jpg: 4 channels stored, orientation 1");
    CHECK(fv_image_read_info(ctx, IMAGES "/gray16.png", &info) == FV_OK && info.format == FV_IMAGE_PNG &&
              info.width == 40 && info.height == 27 && info.channels == 1 && info.depth == 16,
          "info of gray16.png: PNG 40x27x1 16-bit");
    CHECK(fv_image_read_info(ctx, IMAGES "/palette.png", &info) == FV_OK && info.channels == 1 && info.depth == 8,
          "info of palette.png: one channel of indices as stored");
}

static void test_resize(fv_ctx *ctx, const fx_file *fx)
{
    static const char *const srcs[] = {"gray.png", "rgb.png", "rgba.png"};
    static const char *const filters[] = {"nearest", "bilinear", "area", "bicubic"};
    static const int sizes[][2] = {{53, 34}, {17, 11}, {7, 29}};
    for (int s = 0; s < 3; s++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", IMAGES, srcs[s]);
        fv_image in;
        if (!CHECK(fv_image_read(ctx, path, &in) == FV_OK, "read %s", srcs[s])) continue;
        for (int f = 0; f < 4; f++) {
            int worst = 0;
            for (int k = 0; k < 3; k++) {
                char key[160];
                snprintf(key, sizeof key, "resize:%s:%s:%dx%d", srcs[s], filters[f], sizes[k][0], sizes[k][1]);
                fv_image out, want;
                fv_status st = fv_image_resize(ctx, &in, sizes[k][0], sizes[k][1], (fv_resize_filter)f, &out);
                int d = st == FV_OK && ref_image(fx, key, key, &want) ? max_diff(&out, &want) : -1;
                worst = d < 0 || worst < 0 ? -1 : d > worst ? d : worst;
                fv_image_release(&out);
            }
            CHECK(worst >= 0 && worst <= (f == FV_FILTER_NEAREST ? 0 : 1),
                  "%s %s to 53x34, 17x11, 7x29: max difference from PIL %d", srcs[s], filters[f], worst);
        }
        fv_image_release(&in);
    }
}

/* 16-bit resizing (double precision, no PIL reference): its high bytes agree with the 8-bit path on the high
 * bytes within the rounding of two passes. */
static void test_resize16(fv_ctx *ctx)
{
    fv_image in, in8, a, b, a8;
    if (!CHECK(fv_image_read(ctx, IMAGES "/rgb16.png", &in) == FV_OK, "read rgb16.png")) return;
    fv_image_convert(ctx, &in, 3, 8, &in8);
    fv_image_resize(ctx, &in, 17, 11, FV_FILTER_BICUBIC, &a);
    fv_image_resize(ctx, &in8, 17, 11, FV_FILTER_BICUBIC, &b);
    fv_image_convert(ctx, &a, 3, 8, &a8);
    int d = a8.pixels && b.pixels ? max_diff(&a8, &b) : -1;
    CHECK(d >= 0 && d <= 2, "16-bit RGB bicubic to 17x11: high bytes within %d of the 8-bit resize", d);
    fv_image_release(&in), fv_image_release(&in8), fv_image_release(&a), fv_image_release(&b), fv_image_release(&a8);
}

static void test_convert(fv_ctx *ctx, const fx_file *fx)
{
    fv_image rgb, gray, back, wide, narrow;
    if (!CHECK(fv_image_read(ctx, IMAGES "/rgb.png", &rgb) == FV_OK, "read rgb.png")) return;
    const fv_tensor *want = fx_get(fx, "convert:rgb:L");
    fv_image ref = {40, 27, 1, 8, want ? want->data : NULL};
    CHECK(fv_image_convert(ctx, &rgb, 1, 8, &gray) == FV_OK && want && max_diff(&gray, &ref) == 0,
          "RGB to gray as PIL's convert(\"L\")");
    CHECK(fv_image_convert(ctx, &gray, 3, 8, &back) == FV_OK && back.channels == 3 &&
              ((uint8_t *)back.pixels)[30] == ((uint8_t *)gray.pixels)[10] && ((uint8_t *)back.pixels)[32] == ((uint8_t *)gray.pixels)[10],
          "gray to RGB repeats the value");
    fv_image_release(&back);
    CHECK(fv_image_convert(ctx, &rgb, 4, 16, &wide) == FV_OK && ((uint16_t *)wide.pixels)[3] == 65535 &&
              ((uint16_t *)wide.pixels)[0] == ((uint8_t *)rgb.pixels)[0] * 257,
          "8 to 16 bits multiplies by 257, alpha opaque");
    CHECK(fv_image_convert(ctx, &wide, 3, 8, &narrow) == FV_OK && max_diff(&narrow, &rgb) == 0,
          "16 to 8 bits and alpha dropped: the original back");
    CHECK(fv_image_convert(ctx, &rgb, 5, 8, &back) == FV_ERR_ARG, "5 channels refused");
    fv_image_release(&wide), fv_image_release(&narrow), fv_image_release(&gray), fv_image_release(&rgb);
}

/* Fitting: the scaled image centred, the rest padding; or the centre of the scaled image. */
static void test_fit(fv_ctx *ctx)
{
    fv_image in, pad, crop, scaled;
    if (!CHECK(fv_image_read(ctx, IMAGES "/rgb.png", &in) == FV_OK, "read rgb.png")) return;
    /* 40x27 into 32x32: scaled to 32x22 (27 * 32 / 40 = 21.6), rows 5..26 */
    fv_image_fit(ctx, &in, 32, 32, FV_FILTER_BILINEAR, FV_FIT_PAD, 7, &pad);
    fv_image_resize(ctx, &in, 32, 22, FV_FILTER_BILINEAR, &scaled);
    bool ok = pad.pixels && scaled.pixels && pad.width == 32 && pad.height == 32;
    for (int y = 0; ok && y < 32; y++)
        for (int x = 0; x < 32 * 3; x++) {
            uint8_t v = ((uint8_t *)pad.pixels)[y * 96 + x];
            ok &= y < 5 || y >= 27 ? v == 7 : v == ((uint8_t *)scaled.pixels)[(y - 5) * 96 + x];
        }
    CHECK(ok, "fit with padding: 40x27 into 32x32 is the 32x22 resize between rows of padding");
    fv_image_release(&scaled);
    /* 40x27 cropped to 20x20: scaled to 30x20 (40 * 20 / 27 = 29.6), columns 5..24 */
    fv_image_fit(ctx, &in, 20, 20, FV_FILTER_BICUBIC, FV_FIT_CROP, 0, &crop);
    fv_image_resize(ctx, &in, 30, 20, FV_FILTER_BICUBIC, &scaled);
    ok = crop.pixels && scaled.pixels && crop.width == 20 && crop.height == 20;
    for (int y = 0; ok && y < 20; y++) ok &= memcmp((uint8_t *)crop.pixels + y * 60, (uint8_t *)scaled.pixels + y * 90 + 15, 60) == 0;
    CHECK(ok, "fit by cropping: 40x27 to 20x20 is the centre of the 30x20 resize");
    fv_image_release(&scaled), fv_image_release(&crop), fv_image_release(&pad);
    CHECK(fv_image_fit(ctx, &in, 0, 5, FV_FILTER_AREA, FV_FIT_PAD, 0, &pad) == FV_ERR_ARG, "fit to 0x5 refused");
    fv_image_release(&in);
}

static void test_floats(fv_ctx *ctx)
{
    fv_image in;
    if (!CHECK(fv_image_read(ctx, IMAGES "/rgb.png", &in) == FV_OK, "read rgb.png")) return;
    fv_tensor *plain = fv_image_to_tensor(ctx, &in, NULL, NULL);
    fv_tensor *norm = fv_image_to_tensor(ctx, &in, fv_imagenet_mean, fv_imagenet_std);
    const uint8_t *p = in.pixels;
    double e = 0;
    for (int c = 0; plain && norm && c < 3; c++)
        for (int i = 0; i < 40 * 27; i++) {
            double x = p[i * 3 + c] / 255.0;
            e = fmax(e, fabs(fv_f32(plain)[c * 1080 + i] - x));
            e = fmax(e, fabs(fv_f32(norm)[c * 1080 + i] - (x - fv_imagenet_mean[c]) / fv_imagenet_std[c]));
        }
    CHECK(plain && norm && plain->ndim == 3 && plain->shape[0] == 3 && plain->shape[1] == 27 && plain->shape[2] == 40 &&
              e < 1e-6,
          "to (3, 27, 40) floats: x / 255 and ImageNet normalization (error %.1e)", e);
    fv_tensor_free(plain), fv_tensor_free(norm), fv_image_release(&in);
    fv_image g16;
    if (fv_image_read(ctx, IMAGES "/gray16.png", &g16) == FV_OK) {
        float f[40 * 27];
        fv_image_to_floats(&g16, NULL, NULL, f);
        CHECK(fabsf(f[5] - ((uint16_t *)g16.pixels)[5] / 65535.0f) < 1e-7f, "16-bit samples over 65535");
        fv_image_release(&g16);
    }
}

static void test_write(fv_ctx *ctx)
{
    static const char *const srcs[] = {"gray.png", "gray_alpha.png", "rgba.png", "rgb16.png", "rgba16.png", "gray16.png"};
    char path[128];
    for (int i = 0; i < 6; i++) {
        fv_image in, back;
        char src[256];
        snprintf(src, sizeof src, "%s/%s", IMAGES, srcs[i]);
        snprintf(path, sizeof path, "%s/out.png", tmpdir);
        bool ok = fv_image_read(ctx, src, &in) == FV_OK && fv_image_write(ctx, path, &in, 0) == FV_OK &&
                  fv_image_read(ctx, path, &back) == FV_OK && max_diff(&in, &back) == 0;
        CHECK(ok, "%s written as PNG and read back unchanged (%s)", srcs[i], fv_errmsg(ctx));
        fv_image_release(&in), fv_image_release(&back);
    }
    fv_image in, back;
    snprintf(path, sizeof path, "%s/out.jpg", tmpdir);
    fv_image_read(ctx, IMAGES "/rgba.png", &in);
    bool ok = fv_image_write(ctx, path, &in, 100) == FV_OK && fv_image_read(ctx, path, &back) == FV_OK &&
              back.channels == 3 && back.width == 40;
    /* mean difference: 4:2:0 chroma subsampling of the noisy colours costs 9.42 (PIL's own save gives the same) */
    double d = 0;
    for (int i = 0; ok && i < 40 * 27; i++)
        for (int c = 0; c < 3; c++) d += abs(((uint8_t *)in.pixels)[i * 4 + c] - ((uint8_t *)back.pixels)[i * 3 + c]);
    d /= 40 * 27 * 3;
    CHECK(ok && d < 10, "RGBA written as JPEG at quality 100: RGB within %.2f on average of the original", d);
    fv_image_release(&back);
    snprintf(path, sizeof path, "%s/out.gif", tmpdir);
    CHECK(fv_image_write(ctx, path, &in, 0) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "out.gif"), "unknown extension refused");
    snprintf(path, sizeof path, "%s/no/such/dir/out.png", tmpdir);
    CHECK(fv_image_write(ctx, path, &in, 0) == FV_ERR_IO && strstr(fv_errmsg(ctx), "no/such/dir"), "unwritable path: %s", fv_errmsg(ctx));
    fv_image_release(&in);
}

/* ---- hostile input ------------------------------------------------------------------------------------- */

static uint8_t *load(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = b ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}

static void save(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) fwrite(data, 1, n, f), fclose(f);
}

/* Refused with the expected status, the path in the message and a zeroed image. */
static bool refused(fv_ctx *ctx, const char *path, fv_status want, const char *also)
{
    fv_image im;
    fv_status s = fv_image_read(ctx, path, &im);
    bool ok = s == want && strstr(fv_errmsg(ctx), path) && im.pixels == NULL && im.width == 0 &&
              (!also || strstr(fv_errmsg(ctx), also));
    fv_image_release(&im);
    fv_image_info info;
    ok &= fv_image_read_info(ctx, path, &info) != FV_OK || want == FV_ERR_FORMAT;
    return ok;
}

static void test_truncated(fv_ctx *ctx)
{
    for (int i = 0; i < NFILES; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", IMAGES, FILES[i]);
        size_t n = 0;
        uint8_t *data = load(path, &n);
        if (!CHECK(data && n > 0, "read %s", FILES[i])) continue;
        int bad = 0, tried = 0;
        size_t step = n / 150 + 1;
        for (size_t len = 0; len < n; len += len + 20 >= n ? 1 : step, tried++) {
            fv_image im;
            fv_status s = fv_image_decode(ctx, data, len, FILES[i], &im);
            if (s != FV_ERR_FORMAT || !strstr(fv_errmsg(ctx), FILES[i]) || im.pixels) bad++;
            if (bad == 1 && s != FV_ERR_FORMAT) printf("# %s cut to %zu bytes: status %d\n", FILES[i], len, (int)s), bad++;
            fv_image_release(&im);
        }
        CHECK(bad == 0, "%s cut at %d lengths: each refused as malformed, naming the file", FILES[i], tried);
        free(data);
    }
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put_be32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }

/* A PNG whose IHDR declares 100000 x 100000 (with a correct CRC), and a JPEG whose SOF declares 65000 x 65000
 * (JPEG's 16-bit sides cannot say 100000): both refused from the header, naming the size. */
static void test_huge(fv_ctx *ctx)
{
    char path[128];
    size_t n = 0;
    uint8_t *png = load(IMAGES "/rgb.png", &n);
    if (png && n > 33 && be32(png + 12) == 0x49484452u) { /* "IHDR" */
        put_be32(png + 16, 100000), put_be32(png + 20, 100000);
        put_be32(png + 29, (uint32_t)crc32(0, png + 12, 17));
        snprintf(path, sizeof path, "%s/huge.png", tmpdir);
        save(path, png, n);
        CHECK(refused(ctx, path, FV_ERR_FORMAT, "100000x100000"), "100000x100000 PNG refused: %s", fv_errmsg(ctx));
        fv_image_info info;
        CHECK(fv_image_read_info(ctx, path, &info) == FV_ERR_FORMAT, "its header refused too");
    }
    free(png);
    uint8_t *jpg = load(IMAGES "/baseline.jpg", &n);
    size_t sof = 0;
    for (size_t i = 2; jpg && i + 9 < n; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
            sof = i;
            break;
        }
    if (CHECK(sof > 0, "found the SOF0 marker")) {
        jpg[sof + 5] = 65000 >> 8, jpg[sof + 6] = 65000 & 255, jpg[sof + 7] = 65000 >> 8, jpg[sof + 8] = 65000 & 255;
        snprintf(path, sizeof path, "%s/huge.jpg", tmpdir);
        save(path, jpg, n);
        CHECK(refused(ctx, path, FV_ERR_FORMAT, "65000x65000"), "65000x65000 JPEG refused: %s", fv_errmsg(ctx));
    }
    free(jpg);
}

static void test_not_images(fv_ctx *ctx)
{
    char path[128];
    snprintf(path, sizeof path, "%s/empty.png", tmpdir);
    save(path, "", 0);
    CHECK(refused(ctx, path, FV_ERR_FORMAT, "0 bytes"), "zero-byte file: %s", fv_errmsg(ctx));
    snprintf(path, sizeof path, "%s/notes.jpg", tmpdir);
    save(path, "just some text, not a picture\n", 30);
    CHECK(refused(ctx, path, FV_ERR_FORMAT, NULL), "text file: %s", fv_errmsg(ctx));
    snprintf(path, sizeof path, "%s/missing.png", tmpdir);
    CHECK(refused(ctx, path, FV_ERR_IO, NULL), "missing path: %s", fv_errmsg(ctx));
    CHECK(refused(ctx, tmpdir, FV_ERR_IO, NULL), "a directory: %s", fv_errmsg(ctx));
    /* damaged compressed data in a PNG, a JPEG frame without components */
    size_t n = 0;
    uint8_t *png = load(IMAGES "/rgb.png", &n);
    if (png) {
        png[n - 20] ^= 0x55; /* inside the last IDAT's data or CRC */
        snprintf(path, sizeof path, "%s/crc.png", tmpdir);
        save(path, png, n);
        CHECK(refused(ctx, path, FV_ERR_FORMAT, NULL), "PNG with damaged data: %s", fv_errmsg(ctx));
        free(png);
    }
    uint8_t *jpg = load(IMAGES "/baseline.jpg", &n);
    size_t sof = 0;
    for (size_t i = 2; jpg && !sof && i + 9 < n; i++) sof = jpg[i] == 0xff && jpg[i + 1] == 0xc0 ? i : 0;
    if (jpg && sof) {
        jpg[sof + 9] = 0; /* no components */
        snprintf(path, sizeof path, "%s/damaged.jpg", tmpdir);
        save(path, jpg, n);
        fv_image im;
        fv_status s = fv_image_read(ctx, path, &im);
        CHECK(s == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), path), "JPEG with damaged data: %s", fv_errmsg(ctx));
        fv_image_release(&im);
        free(jpg);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fv_image_XXXXXX");
    if (!CHECK(mkdtemp(tmpdir) != NULL, "temporary directory")) return test_finish();
    fx_file *fx = fx_load(FIXTURE_DIR "/images.fvx");
    fv_ctx *ctx = fv_ctx_new(1);
    if (CHECK(fx != NULL, "load images.fvx")) {
        test_decode(ctx, fx);
        test_resize(ctx, fx);
        test_convert(ctx, fx);
    }
    test_resize16(ctx);
    test_info(ctx);
    test_fit(ctx);
    test_floats(ctx);
    test_write(ctx);
    test_truncated(ctx);
    test_huge(ctx);
    test_not_images(ctx);
    fv_ctx_free(ctx);
    fx_free(fx);
    static const char *const made[] = {"out.png", "out.jpg", "huge.png", "huge.jpg", "empty.png", "notes.jpg", "crc.png", "damaged.jpg"};
    for (int i = 0; i < 8; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", tmpdir, made[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return test_finish();
}
