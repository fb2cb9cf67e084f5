/* PNG files written through libpng, atomically: into a temporary file in the same directory, flushed,
 * fsync'ed and renamed over the target, so that an interrupted write leaves any old file as it was. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/internal.h"
#include "fovea/io.h"
#include "fovea/image.h"

typedef struct {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} membuf;

static void mem_write(png_structp png, png_bytep bytes, png_size_t n)
{
    membuf *m = png_get_io_ptr(png);
    if (m->failed) return;
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < m->len + n) cap *= 2;
        uint8_t *d = realloc(m->data, cap);
        if (!d) {
            m->failed = true;
            return;
        }
        m->data = d, m->cap = cap;
    }
    memcpy(m->data + m->len, bytes, n);
    m->len += n;
}

static void mem_flush(png_structp png) { (void)png; }

/* libpng reports errors by longjmp back here; to a file (f) or to memory (mem). */
static fv_status encode_to(FILE *f, membuf *mem, const uint8_t *pixels, int width, int height, int channels)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return FV_ERR_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return FV_ERR_IO;
    }
    static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                PNG_COLOR_TYPE_RGB_ALPHA};
    if (f) png_init_io(png, f);
    else png_set_write_fn(png, mem, mem_write, mem_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * (size_t)width * (size_t)channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return FV_OK;
}

typedef struct {
    const uint8_t *pixels;
    int width, height, channels;
    fv_status status;
} png_job;

static int fill_png(FILE *f, void *arg)
{
    png_job *job = arg;
    job->status = encode_to(f, NULL, job->pixels, job->width, job->height, job->channels);
    return job->status ? EIO : 0;
}

fv_status fv_png_write(fv_ctx *ctx, const char *path, const uint8_t *pixels, int width, int height, int channels)
{
    if (!path || !pixels || width < 1 || height < 1 || width > (1 << 24) || height > (1 << 24) || channels < 1 ||
        channels > 4)
        return fv_error(ctx, FV_ERR_ARG, "PNG '%s': bad image %dx%dx%d", path ? path : "(null)", width, height, channels);
    png_job job = {pixels, width, height, channels, FV_OK};
    int err = fv_atomic_write(path, fill_png, &job);
    if (job.status == FV_ERR_NOMEM) return fv_error(ctx, FV_ERR_NOMEM, "out of memory writing '%s'", path);
    if (err) return fv_error(ctx, FV_ERR_IO, "cannot write '%s': %s", path, job.status ? "libpng error" : fv_write_strerror(err));
    return FV_OK;
}

fv_status fv_png_encode(fv_ctx *ctx, const uint8_t *pixels, int width, int height, int channels, uint8_t **out,
                        size_t *len)
{
    if (!pixels || width < 1 || height < 1 || width > (1 << 24) || height > (1 << 24) || channels < 1 || channels > 4)
        return fv_error(ctx, FV_ERR_ARG, "PNG: bad image %dx%dx%d", width, height, channels);
    membuf m = {0};
    fv_status s = encode_to(NULL, &m, pixels, width, height, channels);
    if (s == FV_OK && m.failed) s = FV_ERR_NOMEM;
    if (s != FV_OK) {
        free(m.data);
        return fv_error(ctx, s == FV_ERR_NOMEM ? s : FV_ERR_IO, "cannot encode a PNG image");
    }
    *out = m.data, *len = m.len;
    return FV_OK;
}

/* The "jet" colour map: blue - cyan - yellow - red over [0, 1]. */
static void jet(float v, float rgb[3])
{
    float r = 1.5f - fabsf(4.0f * v - 3.0f), g = 1.5f - fabsf(4.0f * v - 2.0f), b = 1.5f - fabsf(4.0f * v - 1.0f);
    rgb[0] = r < 0 ? 0 : r > 1 ? 1 : r;
    rgb[1] = g < 0 ? 0 : g > 1 ? 1 : g;
    rgb[2] = b < 0 ? 0 : b > 1 ? 1 : b;
}

/* The map's value at image pixel (y, x): bilinear, pixel centres aligned (align_corners false). */
static float sample(const fv_tensor *map, int y, int x, int height, int width)
{
    int64_t h = map->shape[0], w = map->shape[1];
    float fy = ((float)y + 0.5f) * (float)h / (float)height - 0.5f, fx = ((float)x + 0.5f) * (float)w / (float)width - 0.5f;
    fy = fy < 0 ? 0 : fy, fx = fx < 0 ? 0 : fx;
    int64_t y0 = (int64_t)fy, x0 = (int64_t)fx, y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
    float dy = fy - (float)y0, dx = fx - (float)x0;
    const float *m = fv_f32(map);
    return (1 - dy) * ((1 - dx) * m[y0 * w + x0] + dx * m[y0 * w + x1]) + dy * ((1 - dx) * m[y1 * w + x0] + dx * m[y1 * w + x1]);
}

uint8_t *fv_heatmap_overlay(const fv_tensor *map, const float *image, int channels, int height, int width,
                            float alpha)
{
    uint8_t *out = malloc((size_t)height * (size_t)width * 3);
    if (!out) return NULL;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            float rgb[3], v = sample(map, y, x, height, width);
            jet(v < 0 ? 0 : v > 1 ? 1 : v, rgb);
            for (int c = 0; c < 3; c++) {
                float px = image[(size_t)(channels == 3 ? c : 0) * (size_t)height * (size_t)width + (size_t)y * (size_t)width + (size_t)x];
                float blended = (1 - alpha) * px + alpha * rgb[c];
                out[((size_t)y * (size_t)width + (size_t)x) * 3 + (size_t)c] = fv_unit_to_byte(blended);
            }
        }
    return out;
}
