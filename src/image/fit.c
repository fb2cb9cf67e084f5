/* Fitting an image into a fixed size without distorting it: scaled to fit inside and padded (letterbox), or
 * scaled to cover and centre-cropped (as torchvision's Resize(min side) + CenterCrop). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

/* The side scaled in proportion, rounded, at least 1. */
static int scaled(int side, int to, int from)
{
    long v = lround((double)side * to / from);
    return v < 1 ? 1 : v > (1 << 30) ? (1 << 30) : (int)v;
}

/* Copies the overlap of src placed at (dx, dy) (negative: src is cropped) into dst. */
static void place(fv_image *dst, const fv_image *src, int dx, int dy)
{
    size_t px = (size_t)dst->channels * (size_t)(dst->depth / 8);
    for (int y = 0; y < dst->height; y++) {
        int sy = y - dy;
        if (sy < 0 || sy >= src->height) continue;
        int x0 = dx > 0 ? dx : 0, x1 = dx + src->width < dst->width ? dx + src->width : dst->width;
        if (x1 <= x0) continue;
        memcpy((uint8_t *)dst->pixels + ((size_t)y * (size_t)dst->width + (size_t)x0) * px,
               (const uint8_t *)src->pixels + ((size_t)sy * (size_t)src->width + (size_t)(x0 - dx)) * px,
               (size_t)(x1 - x0) * px);
    }
}

static void fill(fv_image *im, int value)
{
    size_t n = (size_t)im->width * (size_t)im->height * (size_t)im->channels;
    unsigned max = im->depth == 16 ? 65535 : 255, v = value < 0 ? 0 : (unsigned)value > max ? max : (unsigned)value;
    for (size_t i = 0; i < n; i++)
        if (im->depth == 16) ((uint16_t *)im->pixels)[i] = (uint16_t)v;
        else ((uint8_t *)im->pixels)[i] = (uint8_t)v;
}

fv_status fv_image_fit(fv_ctx *ctx, const fv_image *in, int width, int height, fv_resize_filter filter,
                       fv_fit_mode mode, int pad_value, fv_image *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_image_fit: no output image");
    memset(out, 0, sizeof *out);
    if (mode == FV_FIT_STRETCH) return fv_image_resize(ctx, in, width, height, filter, out);
    if (mode != FV_FIT_PAD && mode != FV_FIT_CROP) return fv_error(ctx, FV_ERR_ARG, "fv_image_fit: unknown mode %d", (int)mode);
    if (!in || !in->pixels || in->width < 1 || in->height < 1)
        return fv_error(ctx, FV_ERR_ARG, "fv_image_fit: not a valid image");
    if (width < 1 || height < 1 || (int64_t)width * height > FV_IMAGE_MAX_PIXELS)
        return fv_error(ctx, FV_ERR_ARG, "fv_image_fit: cannot fit to %dx%d", width, height);
    /* Width decides the scale when the target is relatively narrower (PAD) or relatively wider (CROP). */
    bool narrower = (int64_t)width * in->height <= (int64_t)height * in->width;
    bool by_width = mode == FV_FIT_PAD ? narrower : !narrower;
    int sw = by_width ? width : scaled(in->width, height, in->height);
    int sh = by_width ? scaled(in->height, width, in->width) : height;
    if (mode == FV_FIT_PAD) sw = sw > width ? width : sw, sh = sh > height ? height : sh;
    else sw = sw < width ? width : sw, sh = sh < height ? height : sh;
    if ((int64_t)sw * sh > FV_IMAGE_MAX_PIXELS)
        return fv_error(ctx, FV_ERR_ARG, "fv_image_fit: %dx%d scaled to %dx%d is too large", in->width, in->height, sw, sh);
    fv_image scaled_im;
    fv_status s = fv_image_resize(ctx, in, sw, sh, filter, &scaled_im);
    if (s != FV_OK) return s;
    fv_image res = {width, height, in->channels, in->depth, fv_image_alloc(width, height, in->channels, in->depth)};
    if (!res.pixels) {
        fv_image_release(&scaled_im);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory fitting an image to %dx%d", width, height);
    }
    fill(&res, pad_value);
    place(&res, &scaled_im, (width - sw) / 2, (height - sh) / 2);
    fv_image_release(&scaled_im);
    *out = res;
    return FV_OK;
}
