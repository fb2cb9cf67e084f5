/* Channel count and depth conversion, with PIL's arithmetic: RGB to gray is ITU-R 601-2 luma in PIL's
 * fixed-point form, gray to RGB repeats the value, alpha is dropped or set opaque; depth 16 to 8 keeps the high
 * byte, 8 to 16 multiplies by 257 (so 255 becomes 65535). */
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

/* PIL's luma: (R * 19595 + G * 38470 + B * 7471 + 2^15) >> 16, the 16-bit fixed-point form of
 * R * 299/1000 + G * 587/1000 + B * 114/1000, rounded. */
static unsigned luma(unsigned r, unsigned g, unsigned b)
{
    return (unsigned)(((uint64_t)r * 19595 + (uint64_t)g * 38470 + (uint64_t)b * 7471 + 0x8000) >> 16);
}

static unsigned sample_at(const fv_image *im, size_t i)
{
    return im->depth == 16 ? ((const uint16_t *)im->pixels)[i] : ((const uint8_t *)im->pixels)[i];
}

static unsigned rescale(unsigned v, int from, int to)
{
    if (from == to) return v;
    return to == 8 ? v >> 8 : v * 257;
}

fv_status fv_image_convert(fv_ctx *ctx, const fv_image *in, int channels, int depth, fv_image *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_image_convert: no output image");
    memset(out, 0, sizeof *out);
    if (!in || !in->pixels || in->channels < 1 || in->channels > 4 || (in->depth != 8 && in->depth != 16))
        return fv_error(ctx, FV_ERR_ARG, "fv_image_convert: not a valid image");
    if (channels < 1 || channels > 4 || (depth != 8 && depth != 16))
        return fv_error(ctx, FV_ERR_ARG, "fv_image_convert: cannot convert to %d channels of %d bits", channels, depth);
    void *px = fv_image_alloc(in->width, in->height, channels, depth);
    if (!px) return fv_error(ctx, FV_ERR_NOMEM, "out of memory converting a %dx%d image", in->width, in->height);
    size_t n = (size_t)in->width * (size_t)in->height;
    unsigned opaque = depth == 16 ? 65535 : 255;
    bool in_alpha = in->channels == 2 || in->channels == 4, in_color = in->channels >= 3;
    for (size_t i = 0; i < n; i++) {
        unsigned s[4];
        for (int c = 0; c < in->channels; c++)
            s[c] = rescale(sample_at(in, i * (size_t)in->channels + (size_t)c), in->depth, depth);
        unsigned r = s[0], g = in_color ? s[1] : s[0], b = in_color ? s[2] : s[0];
        unsigned a = in_alpha ? s[in->channels - 1] : opaque;
        unsigned o[4];
        switch (channels) {
        case 1: o[0] = in_color ? luma(r, g, b) : r; break;
        case 2: o[0] = in_color ? luma(r, g, b) : r, o[1] = a; break;
        default: o[0] = r, o[1] = g, o[2] = b, o[3] = a;
        }
        for (int c = 0; c < channels; c++) {
            size_t k = i * (size_t)channels + (size_t)c;
            if (depth == 16) ((uint16_t *)px)[k] = (uint16_t)o[c];
            else ((uint8_t *)px)[k] = (uint8_t)o[c];
        }
    }
    *out = (fv_image){in->width, in->height, channels, depth, px};
    return FV_OK;
}
