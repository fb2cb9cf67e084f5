/* Images in the report as PNG data URIs (html.h): the page stays one self-contained file, and its
 * Content-Security-Policy admits images from data: only. */
#include <stdlib.h>
#include <string.h>

#include "fovea/image.h"
#include "html.h"

static void base64(FILE *f, const uint8_t *d, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        fputc(t[v >> 18 & 63], f), fputc(t[v >> 12 & 63], f);
        fputc(i + 1 < n ? t[v >> 6 & 63] : '=', f), fputc(i + 2 < n ? t[v & 63] : '=', f);
    }
}

void fv_html_png(FILE *f, fv_ctx *ctx, const uint8_t *px, int w, int h, int ch)
{
    int s = w < 84 ? (84 + w - 1) / w : 1;
    uint8_t *big = malloc((size_t)w * s * (size_t)h * s * (size_t)ch);
    uint8_t *png = NULL;
    size_t len = 0;
    if (big) {
        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s; x++)
                memcpy(big + ((size_t)y * w * s + x) * ch, px + ((size_t)(y / s) * w + x / s) * ch, (size_t)ch);
        if (fv_png_encode(ctx, big, w * s, h * s, ch, &png, &len) == FV_OK) {
            fputs("<img src=\"data:image/png;base64,", f);
            base64(f, png, len);
            fputs("\">", f);
        }
    }
    free(big), free(png);
}
