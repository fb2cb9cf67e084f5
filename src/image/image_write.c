/* Writing images: PNG through libpng (8 or 16 bits, 1 to 4 channels) or JPEG through libjpeg (8 bits, gray or
 * RGB: alpha is dropped and 16 bits reduced first), chosen by the path's extension, written atomically through
 * fv_atomic_write. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jpeglib.h>
#include <png.h>

#include "fovea/io.h"
#include "image_internal.h"

typedef struct {
    const fv_image *im;
    int quality;
    char message[JMSG_LENGTH_MAX];
} write_job;

static bool little_endian(void)
{
    uint16_t one = 1;
    return *(uint8_t *)&one == 1;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
    write_job *job = png_get_error_ptr(png);
    snprintf(job->message, sizeof job->message, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

static int fill_png(FILE *f, void *arg)
{
    write_job *job = arg;
    const fv_image *im = job->im;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return ENOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return EIO;
    }
    static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                PNG_COLOR_TYPE_RGB_ALPHA};
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)im->width, (png_uint_32)im->height, im->depth, types[im->channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (im->depth == 16 && little_endian()) png_set_swap(png); /* PNG stores big-endian */
    size_t stride = (size_t)im->width * (size_t)im->channels * (size_t)(im->depth / 8);
    for (int y = 0; y < im->height; y++) png_write_row(png, (png_const_bytep)im->pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return ferror(f) ? EIO : 0;
}

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    write_job *job;
} jpeg_guard;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    cinfo->err->format_message(cinfo, g->job->message);
    longjmp(g->jump, 1);
}

static void jpeg_silent(j_common_ptr cinfo) { (void)cinfo; }

static int fill_jpeg(FILE *f, void *arg)
{
    write_job *job = arg;
    const fv_image *im = job->im; /* 8 bits, 1 or 3 channels */
    struct jpeg_compress_struct c;
    jpeg_guard g = {.job = job};
    memset(&c, 0, sizeof c);
    c.err = jpeg_std_error(&g.pub);
    g.pub.error_exit = jpeg_on_error;
    g.pub.output_message = jpeg_silent;
    if (setjmp(g.jump)) {
        jpeg_destroy_compress(&c);
        return EIO;
    }
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)im->width, c.image_height = (JDIMENSION)im->height;
    c.input_components = im->channels;
    c.in_color_space = im->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, job->quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    size_t stride = (size_t)im->width * (size_t)im->channels;
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)im->pixels + (size_t)c.next_scanline * stride;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return ferror(f) ? EIO : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

fv_status fv_image_write(fv_ctx *ctx, const char *path, const fv_image *im, int quality)
{
    if (!path) return fv_error(ctx, FV_ERR_ARG, "fv_image_write: no path");
    if (!im || !im->pixels || im->width < 1 || im->height < 1 || im->channels < 1 || im->channels > 4 ||
        (im->depth != 8 && im->depth != 16))
        return fv_error(ctx, FV_ERR_ARG, "cannot write '%s': not a valid image", path);
    bool jpeg = ends_with(path, ".jpg") || ends_with(path, ".jpeg");
    if (!jpeg && !ends_with(path, ".png"))
        return fv_error(ctx, FV_ERR_ARG, "cannot write '%s': the extension is not .png, .jpg or .jpeg", path);
    if (quality < 0 || quality > 100) return fv_error(ctx, FV_ERR_ARG, "cannot write '%s': quality %d is not 0..100", path, quality);
    fv_image conv = {0};
    const fv_image *src = im;
    if (jpeg && (im->depth != 8 || im->channels == 2 || im->channels == 4)) {
        fv_status s = fv_image_convert(ctx, im, im->channels <= 2 ? 1 : 3, 8, &conv);
        if (s != FV_OK) return s;
        src = &conv;
    }
    write_job job = {src, quality ? quality : 90, ""};
    int err = fv_atomic_write(path, jpeg ? fill_jpeg : fill_png, &job);
    fv_image_release(&conv);
    if (err == ENOMEM) return fv_error(ctx, FV_ERR_NOMEM, "out of memory writing '%s'", path);
    if (err)
        return fv_error(ctx, FV_ERR_IO, "cannot write '%s': %s", path, job.message[0] ? job.message : fv_write_strerror(err));
    return FV_OK;
}
