/* Images are capped by the bytes their decoding needs, not by pixel count: a 2 MB 16-bit RGBA PNG of
 * 16000 x 16000 (2 GB of pixels) and a JPEG declaring 16000 x 16000 are refused from their headers under the
 * default limit, with a message naming the file, the size, the bytes and how to raise the limit, and without
 * allocating the pixels (peak memory stays far below); smaller images decode, and a raised limit admits an image
 * a lower one refuses. The bomb is built here (deflate's output for a run of zeros after a full flush repeats),
 * so no large file is committed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <jpeglib.h>
#include <zlib.h>

#include "fovea/image.h"
#include "test.h"

typedef struct {
    uint8_t *b;
    size_t n, cap;
} buf;

static void put(buf *o, const void *p, size_t n)
{
    if (!n) return;
    if (o->n + n > o->cap) {
        o->cap = 2 * (o->n + n);
        o->b = realloc(o->b, o->cap);
        if (!o->b) abort();
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put32(buf *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 4);
}

static void chunk(buf *o, const char *type, const uint8_t *data, size_t n)
{
    put32(o, (uint32_t)n);
    size_t at = o->n;
    put(o, type, 4);
    if (n) put(o, data, n);
    put32(o, (uint32_t)crc32(0, o->b + at, (uInt)(n + 4)));
}

/* zlib bytes of `total` zeros: deflate's output for a full-flushed block of zeros does not depend on what came
 * before, so one block is repeated; the Adler-32 of n zeros is (n mod 65521) << 16 | 1. */
static void zeros_zlib(buf *o, uint64_t total)
{
    enum { BLOCK = 1 << 20 };
    uint8_t *zero = calloc(BLOCK, 1), *out = malloc(2 * BLOCK);
    z_stream z = {0};
    deflateInit(&z, 9);
    uint64_t left = total;
    buf first = {0}, block = {0};
    for (int k = 0; k < 2 && left > BLOCK; k++, left -= BLOCK) { /* the first carries the zlib header */
        z.next_in = zero, z.avail_in = BLOCK, z.next_out = out, z.avail_out = 2 * BLOCK;
        deflate(&z, Z_FULL_FLUSH);
        put(k ? &block : &first, out, 2 * BLOCK - z.avail_out);
    }
    put(o, first.b, first.n);
    if (block.n) put(o, block.b, block.n);
    for (; left > BLOCK; left -= BLOCK) put(o, block.b, block.n);
    z.next_in = zero, z.avail_in = (uInt)left, z.next_out = out, z.avail_out = 2 * BLOCK;
    deflate(&z, Z_FINISH);
    size_t n = 2 * BLOCK - z.avail_out;
    uint32_t adler = (uint32_t)(total % 65521) << 16 | 1;
    out[n - 4] = (uint8_t)(adler >> 24), out[n - 3] = (uint8_t)(adler >> 16), out[n - 2] = (uint8_t)(adler >> 8),
    out[n - 1] = (uint8_t)adler;
    put(o, out, n);
    deflateEnd(&z);
    free(zero), free(out), free(first.b), free(block.b);
}

/* A valid, all-black PNG of 16-bit RGBA (colour type 6) or 8-bit gray (0). */
static buf black_png(uint32_t w, uint32_t h, bool rgba16)
{
    buf o = {0}, z = {0};
    put(&o, "\x89PNG\r\n\x1a\n", 8);
    uint8_t ihdr[13] = {0};
    for (int i = 0; i < 4; i++) ihdr[i] = (uint8_t)(w >> (24 - 8 * i)), ihdr[4 + i] = (uint8_t)(h >> (24 - 8 * i));
    ihdr[8] = rgba16 ? 16 : 8, ihdr[9] = rgba16 ? 6 : 0;
    chunk(&o, "IHDR", ihdr, 13);
    zeros_zlib(&z, (uint64_t)h * (1 + (uint64_t)w * (rgba16 ? 8 : 1))); /* a filter byte, then the row */
    chunk(&o, "IDAT", z.b, z.n);
    chunk(&o, "IEND", NULL, 0);
    free(z.b);
    return o;
}

/* An 8 x 8 RGB JPEG whose frame header then declares w x h. */
static buf jpeg_declaring(uint16_t w, uint16_t h)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &mem, &size);
    c.image_width = 8, c.image_height = 8, c.input_components = 3, c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    uint8_t row[24] = {0};
    JSAMPROW r = row;
    while (c.next_scanline < 8) jpeg_write_scanlines(&c, &r, 1);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    buf o = {0};
    put(&o, mem, size);
    free(mem);
    for (size_t i = 2; i + 9 < o.n; i++)
        if (o.b[i] == 0xff && o.b[i + 1] == 0xc0) { /* SOF0: length, precision, height, width */
            o.b[i + 5] = (uint8_t)(h >> 8), o.b[i + 6] = (uint8_t)h, o.b[i + 7] = (uint8_t)(w >> 8), o.b[i + 8] = (uint8_t)w;
            break;
        }
    return o;
}

static long peak_rss_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

static void test_bomb(fv_ctx *ctx)
{
    buf png = black_png(16000, 16000, true);
    CHECK(png.n < 4u << 20, "a 16000x16000 16-bit RGBA PNG of %.1f MB", png.n / 1e6);
    fv_image im;
    fv_status s = fv_image_decode(ctx, png.b, png.n, "bomb.png", &im);
    const char *msg = fv_errmsg(ctx);
    CHECK(s == FV_ERR_FORMAT && !im.pixels && strstr(msg, "bomb.png") && strstr(msg, "16000x16000") &&
              strstr(msg, "1953.2 MiB") && strstr(msg, "256.0 MiB") && strstr(msg, "--max-image-mb"),
          "refused under the default limit, naming the file, size, bytes and the flag: %s", msg);
    CHECK(peak_rss_mb() < 512, "without allocating its pixels (peak memory %ld MB)", peak_rss_mb());
    free(png.b);

    buf jpg = jpeg_declaring(16000, 16000);
    s = fv_image_decode(ctx, jpg.b, jpg.n, "bomb.jpg", &im);
    msg = fv_errmsg(ctx);
    CHECK(s == FV_ERR_FORMAT && !im.pixels && strstr(msg, "bomb.jpg") && strstr(msg, "16000x16000") &&
              strstr(msg, "732.4 MiB"),
          "a JPEG declaring 16000x16000 RGB is refused the same way: %s", msg);
    free(jpg.b);
}

static void test_limits(fv_ctx *ctx)
{
    CHECK(fv_ctx_max_image_bytes(ctx) == FV_DEFAULT_MAX_IMAGE_BYTES && FV_DEFAULT_MAX_IMAGE_BYTES == 256 << 20,
          "the default limit is 256 MiB");
    buf png = black_png(1024, 1024, true); /* 8 MiB decoded */
    fv_image im;
    CHECK(fv_image_decode(ctx, png.b, png.n, "mid.png", &im) == FV_OK && im.width == 1024 && im.depth == 16 &&
              im.channels == 4,
          "a 1024x1024 16-bit RGBA PNG (8 MiB) decodes under the default limit (%s)", fv_errmsg(ctx));
    fv_image_release(&im);
    CHECK(fv_ctx_set_max_image_bytes(ctx, 4 << 20) == FV_OK &&
              fv_image_decode(ctx, png.b, png.n, "mid.png", &im) == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "8.0 MiB"),
          "and is refused under a 4 MiB limit: %s", fv_errmsg(ctx));
    CHECK(fv_ctx_set_max_image_bytes(ctx, 16 << 20) == FV_OK && fv_image_decode(ctx, png.b, png.n, "mid.png", &im) == FV_OK,
          "and decodes again once the limit is raised to 16 MiB (%s)", fv_errmsg(ctx));
    fv_image_release(&im);
    free(png.b);
    buf small = black_png(1000, 1000, false); /* 1 MB of 8-bit gray: one byte a pixel */
    CHECK(fv_ctx_set_max_image_bytes(ctx, 1000 * 1000 + 1000 * 8) == FV_OK &&
              fv_image_decode(ctx, small.b, small.n, "gray.png", &im) == FV_OK,
          "an 8-bit gray image is counted at one byte a pixel (%s)", fv_errmsg(ctx));
    fv_image_release(&im);
    free(small.b);
    CHECK(fv_ctx_set_max_image_bytes(ctx, 0) == FV_ERR_ARG, "a limit below one byte is refused");
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    test_bomb(ctx);
    test_limits(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
