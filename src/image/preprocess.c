/* A model's preprocessing on the image side: torchvision's Resize(int) and CenterCrop with its exact size and
 * offset arithmetic, the resize rules (stretch, shorter side + centre crop, letterbox), and one call that takes a
 * decoded image to the floats a model's graph takes (RGB in [0, 1]; the graph applies order, scale, mean, std). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

fv_preprocess fv_preprocess_defaults(void)
{
    fv_preprocess p;
    memset(&p, 0, sizeof p);
    p.scale = 1.0f / 255.0f;
    p.resize = FV_RESIZE_STRETCH;
    return p;
}

fv_preprocess fv_preprocess_imagenet(void)
{
    fv_preprocess p = fv_preprocess_defaults();
    p.channels = 3;
    memcpy(p.mean, fv_imagenet_mean, sizeof fv_imagenet_mean);
    memcpy(p.std, fv_imagenet_std, sizeof fv_imagenet_std);
    p.resize = FV_RESIZE_SHORTER;
    p.resize_size = 256;
    return p;
}

bool fv_preprocess_graph_identity(const fv_preprocess *p)
{
    return !p || (p->channels == 0 && !p->bgr && fabs(255.0 * (double)p->scale - 1.0) < 1e-6);
}

/* Appends to buf (size bytes), keeping it terminated. */
static void add(char *buf, size_t size, const char *fmt, ...)
{
    size_t at = strlen(buf);
    if (at + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + at, size - at, fmt, ap);
    va_end(ap);
}

const char *fv_preprocess_describe(const fv_preprocess *p, char *buf, size_t size)
{
    if (!buf || !size) return buf;
    buf[0] = '\0';
    if (!p) return add(buf, size, "none"), buf;
    for (int k = 0; k < 2 && p->channels; k++) {
        add(buf, size, k ? "std " : "mean ");
        for (int c = 0; c < p->channels; c++) add(buf, size, c ? ",%g" : "%g", (double)(k ? p->std[c] : p->mean[c]));
        add(buf, size, ", ");
    }
    if (fabs(255.0 * (double)p->scale - 1.0) < 1e-6) add(buf, size, "scale 1/255");
    else add(buf, size, "scale %g", (double)p->scale);
    add(buf, size, p->bgr ? ", BGR" : ", RGB");
    if (p->resize == FV_RESIZE_SHORTER && p->resize_size)
        add(buf, size, "; images: shorter side to %d, centre crop", p->resize_size);
    else if (p->resize == FV_RESIZE_SHORTER) add(buf, size, "; images: shorter side to the input's, centre crop");
    else add(buf, size, "; images: %s", p->resize == FV_RESIZE_PAD ? "letterboxed" : "stretched");
    if (p->resize != FV_RESIZE_SHORTER && p->resize_size) add(buf, size, " at shorter side %d, centre crop", p->resize_size);
    return buf;
}

/* ---- torchvision's Resize(int) and CenterCrop -------------------------------------------------------------- */

fv_status fv_image_resize_shorter(fv_ctx *ctx, const fv_image *in, int size, fv_resize_filter filter, fv_image *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_image_resize_shorter: no output image");
    memset(out, 0, sizeof *out);
    if (!in || in->width < 1 || in->height < 1) return fv_error(ctx, FV_ERR_ARG, "fv_image_resize_shorter: not a valid image");
    if (size < 1 || size > (1 << 16)) return fv_error(ctx, FV_ERR_ARG, "fv_image_resize_shorter: size %d", size);
    bool wide = in->width > in->height;
    int64_t shorter = wide ? in->height : in->width, longer = wide ? in->width : in->height;
    double other = (double)((int64_t)size * longer) / (double)shorter; /* Python's int(size * long / short) */
    if (other > (double)(1 << 30)) return fv_error(ctx, FV_ERR_ARG, "fv_image_resize_shorter: %dx%d to shorter side %d is too large", in->width, in->height, size);
    int o = (int)other < 1 ? 1 : (int)other;
    return fv_image_resize(ctx, in, wide ? o : size, wide ? size : o, filter, out);
}

/* round((d) / 2) with Python's rounding (half to even) for an integer d >= 0. */
static int half_even(int d)
{
    int k = d / 2;
    return d % 2 && k % 2 ? k + 1 : k;
}

fv_status fv_image_center_crop(fv_ctx *ctx, const fv_image *in, int width, int height, fv_image *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_image_center_crop: no output image");
    memset(out, 0, sizeof *out);
    if (!in || !in->pixels || in->width < 1 || in->height < 1 || in->channels < 1 || in->channels > 4 ||
        (in->depth != 8 && in->depth != 16))
        return fv_error(ctx, FV_ERR_ARG, "fv_image_center_crop: not a valid image");
    if (width < 1 || height < 1 || (int64_t)width * height > FV_IMAGE_MAX_PIXELS)
        return fv_error(ctx, FV_ERR_ARG, "fv_image_center_crop: cannot crop to %dx%d", width, height);
    /* torchvision pads a side that is too small by (crop - side) // 2 before, the rest after, then crops */
    int pad_x = width > in->width ? (width - in->width) / 2 : 0, pad_y = height > in->height ? (height - in->height) / 2 : 0;
    int pw = in->width > width ? in->width : width, ph = in->height > height ? in->height : height;
    int left = half_even(pw - width) - pad_x, top = half_even(ph - height) - pad_y; /* in the input's coordinates */
    void *px = fv_image_alloc(width, height, in->channels, in->depth);
    if (!px) return fv_error(ctx, FV_ERR_NOMEM, "out of memory cropping an image to %dx%d", width, height);
    size_t bpp = (size_t)in->channels * (size_t)(in->depth / 8);
    memset(px, 0, (size_t)width * (size_t)height * bpp);
    for (int y = 0; y < height; y++) {
        int sy = y + top;
        if (sy < 0 || sy >= in->height) continue;
        int x0 = left < 0 ? -left : 0, x1 = in->width - left < width ? in->width - left : width;
        if (x1 > x0)
            memcpy((uint8_t *)px + ((size_t)y * (size_t)width + (size_t)x0) * bpp,
                   (const uint8_t *)in->pixels + ((size_t)sy * (size_t)in->width + (size_t)(x0 + left)) * bpp,
                   (size_t)(x1 - x0) * bpp);
    }
    *out = (fv_image){width, height, in->channels, in->depth, px};
    return FV_OK;
}

/* ---- the data path ------------------------------------------------------------------------------------------ */

/* The image resized by p's rule to exactly width x height. */
static fv_status resize_by_rule(fv_ctx *ctx, const fv_image *im, const fv_preprocess *p, int width, int height,
                                fv_image *out)
{
    fv_resize_rule rule = p ? p->resize : FV_RESIZE_STRETCH;
    int shorter = width < height ? width : height, size = p && p->resize_size ? p->resize_size : shorter;
    /* the box resized into before the centre crop: the input scaled so that its shorter side is size */
    int bw = size == shorter ? width : (int)((int64_t)width * size / shorter);
    int bh = size == shorter ? height : (int)((int64_t)height * size / shorter);
    fv_image r;
    fv_status s;
    if (rule == FV_RESIZE_SHORTER) s = fv_image_resize_shorter(ctx, im, size, FV_FILTER_BILINEAR, &r);
    else if (rule == FV_RESIZE_PAD) s = fv_image_fit(ctx, im, bw, bh, FV_FILTER_BILINEAR, FV_FIT_PAD, 0, &r);
    else s = fv_image_resize(ctx, im, bw, bh, FV_FILTER_BILINEAR, &r);
    if (s) return s;
    if (r.width == width && r.height == height) return *out = r, FV_OK;
    s = fv_image_center_crop(ctx, &r, width, height, out);
    fv_image_release(&r);
    return s;
}

fv_status fv_image_prepare(fv_ctx *ctx, const fv_image *im, const fv_preprocess *p, int channels, int height,
                           int width, float *into)
{
    if (!im || !im->pixels || !into) return fv_error(ctx, FV_ERR_ARG, "fv_image_prepare: no image");
    if (channels != 1 && channels != 3)
        return fv_error(ctx, FV_ERR_ARG, "fv_image_prepare: a model input of %d channels is not an image (1 or 3)", channels);
    fv_image conv, sized;
    fv_status s = fv_image_convert(ctx, im, channels, im->depth, &conv); /* first, as PIL's convert("RGB") */
    if (s) return s;
    s = resize_by_rule(ctx, &conv, p, width, height, &sized);
    fv_image_release(&conv);
    if (s) return s;
    fv_image_to_floats(&sized, NULL, NULL, into);
    fv_image_release(&sized);
    return FV_OK;
}
