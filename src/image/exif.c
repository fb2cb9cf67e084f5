/* EXIF orientation: tag 0x0112 of the first IFD of the TIFF structure inside a JPEG's Exif APP1 marker, read
 * with every offset checked against the payload's size (nothing else of EXIF is read), and the eight ways an
 * image is turned upright, as PIL's ImageOps.exif_transpose does. */
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

#define TAG_ORIENTATION 0x0112
#define TYPE_SHORT 3
#define TYPE_LONG 4

typedef struct {
    const uint8_t *p;
    size_t n;
    bool big_endian;
} tiff;

static unsigned u16_at(const tiff *t, size_t off)
{
    const uint8_t *b = t->p + off;
    return t->big_endian ? (unsigned)(b[0] << 8 | b[1]) : (unsigned)(b[1] << 8 | b[0]);
}

static uint32_t u32_at(const tiff *t, size_t off)
{
    return t->big_endian ? (uint32_t)u16_at(t, off) << 16 | u16_at(t, off + 2)
                         : (uint32_t)u16_at(t, off + 2) << 16 | u16_at(t, off);
}

int fv_exif_orientation(const uint8_t *payload, size_t size)
{
    if (!payload || size < 6 + 8 || memcmp(payload, "Exif\0\0", 6) != 0) return 1;
    tiff t = {payload + 6, size - 6, false};
    if (memcmp(t.p, "II", 2) == 0) t.big_endian = false;
    else if (memcmp(t.p, "MM", 2) == 0) t.big_endian = true;
    else return 1;
    if (u16_at(&t, 2) != 42) return 1;
    uint32_t ifd = u32_at(&t, 4);
    if (ifd > t.n || t.n - ifd < 2) return 1;
    unsigned count = u16_at(&t, ifd);
    for (unsigned i = 0; i < count; i++) {
        size_t e = (size_t)ifd + 2 + 12 * (size_t)i;
        if (e + 12 > t.n) return 1;
        if (u16_at(&t, e) != TAG_ORIENTATION) continue;
        unsigned type = u16_at(&t, e + 2);
        uint32_t n = u32_at(&t, e + 4), v;
        if (n < 1) return 1;
        if (type == TYPE_SHORT) v = u16_at(&t, e + 8);
        else if (type == TYPE_LONG) v = u32_at(&t, e + 8);
        else return 1;
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

/* The source pixel (x, y) of output pixel (ox, oy) for an orientation, in an image of w x h (as stored):
 * 2 mirrored, 3 rotated 180, 4 flipped, 5 transposed, 6 stored rotated 90 counter-clockwise (turned clockwise
 * here), 7 transversed, 8 stored rotated 90 clockwise. */
static void source_of(int orientation, int w, int h, int ox, int oy, int *x, int *y)
{
    switch (orientation) {
    case 2: *x = w - 1 - ox, *y = oy; break;
    case 3: *x = w - 1 - ox, *y = h - 1 - oy; break;
    case 4: *x = ox, *y = h - 1 - oy; break;
    case 5: *x = oy, *y = ox; break;
    case 6: *x = oy, *y = h - 1 - ox; break;
    case 7: *x = w - 1 - oy, *y = h - 1 - ox; break;
    case 8: *x = w - 1 - oy, *y = ox; break;
    default: *x = ox, *y = oy;
    }
}

fv_status fv_image_orient(fv_image *im, int orientation)
{
    if (orientation < 2 || orientation > 8) return FV_OK;
    bool swap = orientation >= 5;
    int w = im->width, h = im->height, ow = swap ? h : w, oh = swap ? w : h;
    size_t px = (size_t)im->channels * (size_t)(im->depth / 8);
    uint8_t *out = fv_image_alloc(ow, oh, im->channels, im->depth), *in = im->pixels;
    if (!out) return FV_ERR_NOMEM;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            int x, y;
            source_of(orientation, w, h, ox, oy, &x, &y);
            memcpy(out + ((size_t)oy * (size_t)ow + (size_t)ox) * px, in + ((size_t)y * (size_t)w + (size_t)x) * px, px);
        }
    free(im->pixels);
    im->pixels = out, im->width = ow, im->height = oh;
    return FV_OK;
}
