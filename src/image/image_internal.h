/* What the image readers, orientation and conversion code share inside src/image: the codec entry points over
 * bytes in memory, the size guard every reader applies before allocating pixels, and EXIF orientation. */
#ifndef FV_IMAGE_INTERNAL_H
#define FV_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/internal.h"
#include "fovea/image.h"

/* Decoders: pixels (when out is given) or the header only (info). name is used in every message. */
fv_status fv_jpeg_decode(fv_ctx *ctx, const uint8_t *data, size_t size, const char *name, fv_image *out,
                         fv_image_info *info);
fv_status fv_png_decode(fv_ctx *ctx, const uint8_t *data, size_t size, const char *name, fv_image *out,
                        fv_image_info *info);

/* A PNG's samples as class ids, one 8-bit channel: gray values or palette indices unscaled (1/2/4-bit unpacked).
 * Refused naming the file: RGB, gray + alpha, 16-bit gray, a palette without its PLTE chunk. */
fv_status fv_png_decode_ids(fv_ctx *ctx, const uint8_t *data, size_t size, const char *name, fv_image *out);

/* FV_OK when width x height is positive and within FV_IMAGE_MAX_PIXELS, else FV_ERR_FORMAT naming the file and
 * the size: called on the header's numbers, before any pixel buffer exists. */
fv_status fv_image_check_size(fv_ctx *ctx, const char *name, int64_t width, int64_t height);

/* FV_OK when decoding width x height x channels samples of depth bits, plus extra bytes of the decoder's own
 * buffers, fits the context's limit (fv_ctx_max_image_bytes); else FV_ERR_FORMAT naming the file, its size, the
 * bytes it needs and how to raise the limit. Called after fv_image_check_size, before any pixel buffer. */
fv_status fv_image_check_bytes(fv_ctx *ctx, const char *name, int width, int height, int channels, int depth,
                               int64_t extra);

/* A buffer for width x height x channels samples of depth bits, or NULL (overflow is impossible after
 * fv_image_check_size). */
void *fv_image_alloc(int width, int height, int channels, int depth);

/* The orientation (1..8) in an Exif APP1 payload (starting with "Exif\0\0"), or 1 when absent or malformed. */
int fv_exif_orientation(const uint8_t *payload, size_t size);
/* im turned upright for an EXIF orientation (as PIL's ImageOps.exif_transpose); FV_ERR_NOMEM on failure,
 * in which case im is unchanged. */
fv_status fv_image_orient(fv_image *im, int orientation);

#endif
