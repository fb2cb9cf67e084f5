/* PNG decoding through libpng, from memory. Palettes expand to RGB (RGBA with a tRNS chunk), gray below 8 bits
 * to 8 bits, tRNS to an alpha channel; 16-bit samples stay 16-bit, in native byte order. Masks take another
 * path (fv_png_decode_ids): the palette index or gray value itself, unscaled, since it is a class id. libpng reports errors
 * by longjmp; a read past the end of the data is such an error, so a truncated file (even one missing only its
 * IEND chunk) is refused, never returned half-filled. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "image_internal.h"

/* libpng's own guards: its default width/height ceiling, and caps on ancillary chunks (a compressed text chunk
 * can otherwise expand to a lot of memory). */
#define PNG_MAX_SIDE 1000000
#define PNG_MAX_CHUNKS 1000
#define PNG_MAX_CHUNK_BYTES ((png_alloc_size_t)8 << 20)

typedef struct {
    const uint8_t *data;
    size_t size, pos;
    char message[200];
    /* here, not in locals, so that they are still known after a longjmp */
    uint8_t *pixels;
    png_bytep *rows;
} png_source;

static void on_error(png_structp png, png_const_charp msg)
{
    png_source *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

static void read_bytes(png_structp png, png_bytep into, png_size_t n)
{
    png_source *src = png_get_io_ptr(png);
    if (n > src->size - src->pos) png_error(png, "unexpected end of file (truncated)");
    memcpy(into, src->data + src->pos, n);
    src->pos += n;
}

static bool little_endian(void)
{
    uint16_t one = 1;
    return *(uint8_t *)&one == 1;
}

/* The transformations to fovea's layout: the header then gives the decoded channels and depth. For class ids
 * only packing: 1/2/4-bit samples to one byte each with their value kept (png_set_expand would scale gray 1 to
 * 255 and turn indices into colours). */
static void set_transforms(png_structp png, png_infop info, bool ids)
{
    if (ids) png_set_packing(png);
    else png_set_expand(png); /* palette to RGB(A), gray 1/2/4 to 8 bits, tRNS to alpha */
    if (png_get_bit_depth(png, info) == 16 && little_endian()) png_set_swap(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

/* The rows, once their size is known to be within the limit. src->pixels holds the result. */
static void decode_pixels(png_structp png, png_infop info, png_source *src, fv_image *out)
{
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    int c = png_get_channels(png, info), depth = png_get_bit_depth(png, info);
    src->pixels = fv_image_alloc(w, h, c, depth);
    src->rows = malloc((size_t)h * sizeof *src->rows);
    if (!src->pixels || !src->rows) return;
    size_t stride = (size_t)w * (size_t)c * (size_t)(depth / 8);
    if (png_get_rowbytes(png, info) != stride) png_error(png, "unexpected row size");
    for (int y = 0; y < h; y++) src->rows[y] = src->pixels + (size_t)y * stride;
    png_read_image(png, src->rows);
    png_read_end(png, NULL);
    *out = (fv_image){w, h, c, depth, src->pixels};
}

/* Why a PNG cannot hold class ids, or NULL when it can: one channel of gray up to 8 bits, or palette indices. */
static const char *ids_refusal(png_structp png, png_infop info)
{
    int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (type == PNG_COLOR_TYPE_PALETTE) return NULL;
    if (type == PNG_COLOR_TYPE_GRAY) return depth <= 8 ? NULL : "16-bit gray: class ids are 8-bit";
    if (type == PNG_COLOR_TYPE_GRAY_ALPHA) return "gray with alpha: class ids are one channel (8-bit gray or palette)";
    return "an RGB mask holds colours, not class ids: write 8-bit gray class ids or a palette PNG whose indices are the classes";
}

/* After libpng's longjmp: the reason, named plainly when the header said palette and no PLTE chunk came. */
static fv_status decode_failed(fv_ctx *ctx, png_structp png, png_infop info, const png_source *src, const char *name)
{
    if (png_get_image_width(png, info) && /* the header was read */
        png_get_color_type(png, info) == PNG_COLOR_TYPE_PALETTE && !png_get_valid(png, info, PNG_INFO_PLTE))
        return fv_error(ctx, FV_ERR_FORMAT, "'%s': a palette PNG without its PLTE chunk (its indices have no palette)",
                        name);
    return fv_error(ctx, FV_ERR_FORMAT, "'%s': corrupt or truncated PNG: %s", name, src->message);
}

static fv_status decode(fv_ctx *ctx, const uint8_t *data, size_t size, const char *name, fv_image *out,
                        fv_image_info *info, bool ids)
{
    png_source src = {.data = data, .size = size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    png_infop pinfo = png ? png_create_info_struct(png) : NULL;
    if (!png || !pinfo) {
        png_destroy_read_struct(&png, &pinfo, NULL);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory decoding '%s'", name);
    }
    if (setjmp(png_jmpbuf(png))) {
        fv_status failed = decode_failed(ctx, png, pinfo, &src, name);
        png_destroy_read_struct(&png, &pinfo, NULL);
        free(src.pixels), free(src.rows);
        if (out) memset(out, 0, sizeof *out);
        return failed;
    }
    png_set_read_fn(png, &src, read_bytes);
    png_set_user_limits(png, PNG_MAX_SIDE, PNG_MAX_SIDE);
    png_set_chunk_cache_max(png, PNG_MAX_CHUNKS);
    png_set_chunk_malloc_max(png, PNG_MAX_CHUNK_BYTES);
    png_read_info(png, pinfo);
    uint32_t w = png_get_image_width(png, pinfo), h = png_get_image_height(png, pinfo);
    fv_status s = fv_image_check_size(ctx, name, w, h);
    const char *refused = ids && s == FV_OK ? ids_refusal(png, pinfo) : NULL;
    if (refused) s = fv_error(ctx, FV_ERR_FORMAT, "mask '%s': %s", name, refused);
    if (s == FV_OK && info)
        *info = (fv_image_info){FV_IMAGE_PNG, (int)w, (int)h, png_get_channels(png, pinfo),
                                png_get_bit_depth(png, pinfo), 1};
    if (s == FV_OK && out) {
        set_transforms(png, pinfo, ids);
        s = fv_image_check_bytes(ctx, name, (int)w, (int)h, png_get_channels(png, pinfo), png_get_bit_depth(png, pinfo),
                                 (int64_t)h * (int64_t)sizeof(png_bytep));
    }
    if (s == FV_OK && out) {
        decode_pixels(png, pinfo, &src, out);
        if (!out->pixels) {
            free(src.pixels);
            s = fv_error(ctx, FV_ERR_NOMEM, "out of memory decoding '%s' (%ux%u)", name, w, h);
        }
    }
    free(src.rows);
    png_destroy_read_struct(&png, &pinfo, NULL);
    if (s != FV_OK && out) memset(out, 0, sizeof *out);
    return s;
}

fv_status fv_png_decode(fv_ctx *ctx, const uint8_t *data, size_t size, const char *name, fv_image *out,
                        fv_image_info *info)
{
    return decode(ctx, data, size, name, out, info, false);
}

fv_status fv_png_decode_ids(fv_ctx *ctx, const uint8_t *data, size_t size, const char *name, fv_image *out)
{
    return decode(ctx, data, size, name, out, NULL, true);
}
