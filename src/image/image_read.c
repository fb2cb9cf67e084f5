/* Reading an image file: the whole file into memory (checked to be a regular, non-empty file), the format
 * recognized by its first bytes (never by its name), then the JPEG or PNG decoder. Every error names the path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image_internal.h"

/* Larger files are refused before reading: a legitimate image within FV_IMAGE_MAX_PIXELS compresses far below. */
#define MAX_FILE_BYTES ((int64_t)1 << 31)

fv_status fv_image_check_size(fv_ctx *ctx, const char *name, int64_t width, int64_t height)
{
    if (width < 1 || height < 1)
        return fv_error(ctx, FV_ERR_FORMAT, "'%s': image size %lldx%lld is empty", name, (long long)width,
                        (long long)height);
    int64_t pixels;
    if (!fv_size_mul(width, height, FV_IMAGE_MAX_PIXELS, &pixels))
        return fv_error(ctx, FV_ERR_FORMAT, "'%s': image size %lldx%lld exceeds the limit of %lld pixels", name,
                        (long long)width, (long long)height, (long long)FV_IMAGE_MAX_PIXELS);
    return FV_OK;
}

fv_status fv_image_check_bytes(fv_ctx *ctx, const char *name, int width, int height, int channels, int depth,
                               int64_t extra)
{
    /* width x height <= FV_IMAGE_MAX_PIXELS (2^28), channels <= 4, 2 bytes a sample: no overflow */
    int64_t need = (int64_t)width * height * channels * (depth > 8 ? 2 : 1) + extra, limit = fv_ctx_max_image_bytes(ctx);
    if (need <= limit) return FV_OK;
    return fv_error(ctx, FV_ERR_FORMAT, "'%s': a %dx%d image of %d channels at %d bits needs %.1f MiB to decode, over "
                    "the limit of %.1f MiB (raise it with --max-image-mb, or fv_ctx_set_max_image_bytes)", name, width,
                    height, channels, depth, (double)need / (1 << 20), (double)limit / (1 << 20));
}

void *fv_image_alloc(int width, int height, int channels, int depth)
{
    int64_t n = fv_size_product(4, (const int64_t[]){width, height, channels, depth / 8}, FV_MAX_TENSOR_BYTES);
    return n < 0 ? NULL : malloc(n ? (size_t)n : 1);
}

void fv_image_release(fv_image *im)
{
    if (!im) return;
    free(im->pixels);
    memset(im, 0, sizeof *im);
}

static fv_image_format sniff(const uint8_t *d, size_t n)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n >= 8 && memcmp(d, png_sig, 8) == 0) return FV_IMAGE_PNG;
    if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) return FV_IMAGE_JPEG;
    return FV_IMAGE_UNKNOWN;
}

/* Pixels (out) or header (info) of bytes in memory. */
static fv_status decode_any(fv_ctx *ctx, const void *data, size_t size, const char *name, fv_image *out,
                            fv_image_info *info)
{
    if (!name) name = "(memory)";
    if (size == 0) return fv_error(ctx, FV_ERR_FORMAT, "'%s' is empty (0 bytes), not an image", name);
    switch (sniff(data, size)) {
    case FV_IMAGE_PNG: return fv_png_decode(ctx, data, size, name, out, info);
    case FV_IMAGE_JPEG: return fv_jpeg_decode(ctx, data, size, name, out, info);
    default: return fv_error(ctx, FV_ERR_FORMAT, "'%s' is not a PNG or JPEG image (unknown signature)", name);
    }
}

fv_status fv_image_decode(fv_ctx *ctx, const void *data, size_t size, const char *name, fv_image *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_image_decode: no output image");
    memset(out, 0, sizeof *out);
    if (!data && size) return fv_error(ctx, FV_ERR_ARG, "fv_image_decode: no data");
    return decode_any(ctx, data, size, name, out, NULL);
}

/* The whole of a regular file, malloc'd (a directory, a device or an unreadable path is an FV_ERR_IO). */
static fv_status slurp(fv_ctx *ctx, const char *path, uint8_t **data, size_t *size)
{
    *data = NULL, *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return fv_error(ctx, FV_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return fv_error(ctx, FV_ERR_IO, "cannot read '%s': not a regular file", path);
    }
    if ((int64_t)st.st_size > MAX_FILE_BYTES) {
        fclose(f);
        return fv_error(ctx, FV_ERR_FORMAT, "'%s': %lld bytes is too large for an image file", path,
                        (long long)st.st_size);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory reading '%s' (%zu bytes)", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || got != n) {
        free(buf);
        return fv_error(ctx, FV_ERR_IO, "cannot read '%s': %s", path, failed ? strerror(errno) : "file changed");
    }
    *data = buf, *size = n;
    return FV_OK;
}

/* A file's pixels through decode (an image's or a mask's), named by its path; fn names the caller in messages. */
static fv_status read_with(fv_ctx *ctx, const char *path, fv_image *out, const char *fn,
                           fv_status (*decode)(fv_ctx *, const void *, size_t, const char *, fv_image *))
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "%s: no output image", fn);
    memset(out, 0, sizeof *out);
    if (!path) return fv_error(ctx, FV_ERR_ARG, "%s: no path", fn);
    uint8_t *data;
    size_t size;
    fv_status s = slurp(ctx, path, &data, &size);
    if (s == FV_OK) s = decode(ctx, data, size, path, out);
    free(data);
    return s;
}

fv_status fv_image_read(fv_ctx *ctx, const char *path, fv_image *out)
{
    return read_with(ctx, path, out, "fv_image_read", fv_image_decode);
}

fv_status fv_image_read_info(fv_ctx *ctx, const char *path, fv_image_info *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_image_read_info: no output");
    memset(out, 0, sizeof *out);
    if (!path) return fv_error(ctx, FV_ERR_ARG, "fv_image_read_info: no path");
    uint8_t *data;
    size_t size;
    fv_status s = slurp(ctx, path, &data, &size);
    if (s == FV_OK) s = decode_any(ctx, data, size, path, NULL, out);
    free(data);
    if (s != FV_OK) memset(out, 0, sizeof *out);
    return s;
}

/* ---- masks ------------------------------------------------------------------------------------------------ */

fv_status fv_mask_decode(fv_ctx *ctx, const void *data, size_t size, const char *name, fv_image *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_mask_decode: no output image");
    memset(out, 0, sizeof *out);
    if (!data && size) return fv_error(ctx, FV_ERR_ARG, "fv_mask_decode: no data");
    if (!name) name = "(memory)";
    if (size == 0) return fv_error(ctx, FV_ERR_FORMAT, "mask '%s' is empty (0 bytes)", name);
    switch (sniff(data, size)) {
    case FV_IMAGE_PNG: return fv_png_decode_ids(ctx, data, size, name, out);
    case FV_IMAGE_JPEG: /* lossy compression blurs the edges into ids that were never drawn */
        return fv_error(ctx, FV_ERR_FORMAT, "mask '%s' is a JPEG: its lossy compression changes class ids; a mask is a PNG", name);
    default: return fv_error(ctx, FV_ERR_FORMAT, "mask '%s' is not a PNG (unknown signature)", name);
    }
}

fv_status fv_mask_read(fv_ctx *ctx, const char *path, fv_image *out)
{
    return read_with(ctx, path, out, "fv_mask_read", fv_mask_decode);
}
