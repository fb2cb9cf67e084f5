/* JPEG decoding through libjpeg(-turbo), from memory, with the settings PIL uses by default (islow DCT, fancy
 * upsampling), so pixels are identical to PIL's. libjpeg reports errors by calling error_exit, which here jumps
 * back with the message instead of exiting; the warnings that mean the data is cut short or corrupt become
 * errors too, rather than a silently grey-filled image. CMYK/YCCK files are converted to RGB as PIL does. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image_internal.h"

/* More scans than any encoder writes: a crafted progressive file could otherwise make decoding very slow. */
#define MAX_SCANS 256
/* libjpeg's own memory ceiling (its coefficient buffers for progressive files), a second guard behind the
 * pixel-count check. */
#define MAX_JPEG_MEMORY ((long)3 << 30)

typedef struct {
    struct jpeg_error_mgr pub; /* first: libjpeg passes &pub as cinfo->err */
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    uint8_t *pixels; /* here, not in a local, so that it is still known after a longjmp */
} jpeg_guard;

static void on_error(j_common_ptr cinfo)
{
    jpeg_guard *g = (jpeg_guard *)cinfo->err;
    cinfo->err->format_message(cinfo, g->message);
    longjmp(g->jump, 1);
}

/* Warnings (level -1) that mean missing or damaged data are errors; the others (extraneous bytes, odd markers,
 * an unusual progression) are tolerated as PIL tolerates them. Trace messages are ignored. */
static void on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0) return;
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL: on_error(cinfo); break;
    default: cinfo->err->num_warnings++;
    }
}

static void silent(j_common_ptr cinfo) { (void)cinfo; }

static void on_progress(j_common_ptr cinfo)
{
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > MAX_SCANS) {
        cinfo->err->msg_code = JERR_UNKNOWN_MARKER; /* any code: the message below replaces it */
        jpeg_guard *g = (jpeg_guard *)cinfo->err;
        snprintf(g->message, sizeof g->message, "more than %d scans", MAX_SCANS);
        longjmp(g->jump, 2);
    }
}

/* The first APP1 marker holding Exif data (the one PIL reads), or orientation 1. */
static int orientation_of(j_decompress_ptr d)
{
    for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0)
            return fv_exif_orientation(m->data, m->data_length);
    return 1;
}

/* Adobe's inverted CMYK (as libjpeg returns it) to RGB, the arithmetic of PIL's convert("RGB") on the "CMYK;I"
 * pixels it decodes: with c = 255 - raw and k = 255 - raw_k, R = (255 - k) - round(c * (255 - k) / 255). In
 * place: the output row is shorter than the input. */
static void cmyk_to_rgb(uint8_t *px, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *in = px + 4 * i;
        int nk = in[3];
        uint8_t rgb[3];
        for (int c = 0; c < 3; c++) {
            int t = (255 - in[c]) * nk + 128;
            int v = nk - (((t >> 8) + t) >> 8);
            rgb[c] = (uint8_t)(v < 0 ? 0 : v);
        }
        memcpy(px + 3 * i, rgb, 3);
    }
}

/* The decoding proper, between setjmp and the cleanup in fv_jpeg_decode. *pixels is owned by the caller. */
static void decode_pixels(j_decompress_ptr d, uint8_t **pixels, fv_image *out)
{
    d->dct_method = JDCT_ISLOW; /* PIL's choices (libjpeg's defaults), written out since they decide the pixels */
    d->do_fancy_upsampling = TRUE;
    bool cmyk = d->num_components == 4;
    d->out_color_space = d->num_components == 1 ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(d);
    int w = (int)d->output_width, h = (int)d->output_height, c = d->output_components;
    size_t stride = (size_t)w * (size_t)c;
    *pixels = fv_image_alloc(w, h, c, 8);
    if (!*pixels) return;
    while (d->output_scanline < d->output_height) {
        JSAMPROW row = *pixels + (size_t)d->output_scanline * stride;
        jpeg_read_scanlines(d, &row, 1);
    }
    jpeg_finish_decompress(d);
    if (cmyk) cmyk_to_rgb(*pixels, (size_t)w * (size_t)h), c = 3;
    *out = (fv_image){w, h, c, 8, *pixels};
}

/* The decoded pixels against the context's limit, with what libjpeg keeps for a whole image: a progressive or
 * multi-scan file holds every DCT coefficient (2 bytes a sample, at most, before chroma subsampling), and an
 * EXIF rotation makes a second copy of the pixels. */
static fv_status check_bytes(fv_ctx *ctx, j_decompress_ptr d, const char *name)
{
    int64_t w = d->image_width, h = d->image_height, c = d->num_components;
    int64_t coefficients = jpeg_has_multiple_scans(d) ? c * ((w + 7) / 8) * ((h + 7) / 8) * 64 * 2 : 0;
    int64_t rotated = orientation_of(d) > 1 ? w * h * (c == 1 ? 1 : 3) : 0;
    return fv_image_check_bytes(ctx, name, (int)w, (int)h, (int)c, 8, coefficients + rotated);
}

fv_status fv_jpeg_decode(fv_ctx *ctx, const uint8_t *data, size_t size, const char *name, fv_image *out,
                         fv_image_info *info)
{
    struct jpeg_decompress_struct d;
    jpeg_guard guard;
    struct jpeg_progress_mgr progress = {.progress_monitor = on_progress};
    memset(&d, 0, sizeof d);
    d.err = jpeg_std_error(&guard.pub);
    guard.pub.error_exit = on_error;
    guard.pub.emit_message = on_message;
    guard.pub.output_message = silent;
    guard.message[0] = 0;
    guard.pixels = NULL;
    if (setjmp(guard.jump)) {
        jpeg_destroy_decompress(&d);
        free(guard.pixels);
        if (out) memset(out, 0, sizeof *out);
        return fv_error(ctx, FV_ERR_FORMAT, "'%s': corrupt or truncated JPEG: %s", name, guard.message);
    }
    jpeg_create_decompress(&d);
    d.mem->max_memory_to_use = MAX_JPEG_MEMORY;
    d.progress = &progress;
    jpeg_save_markers(&d, JPEG_APP0 + 1, 0xffff);
    jpeg_mem_src(&d, data, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    fv_status s = fv_image_check_size(ctx, name, d.image_width, d.image_height);
    if (s == FV_OK && info)
        *info = (fv_image_info){FV_IMAGE_JPEG, (int)d.image_width, (int)d.image_height, d.num_components, 8,
                                orientation_of(&d)};
    if (s == FV_OK && out) s = check_bytes(ctx, &d, name);
    if (s == FV_OK && out) {
        int orientation = orientation_of(&d);
        decode_pixels(&d, &guard.pixels, out);
        if (!guard.pixels) s = fv_error(ctx, FV_ERR_NOMEM, "out of memory decoding '%s' (%ux%u)", name, d.image_width,
                               d.image_height);
        else if (fv_image_orient(out, orientation) != FV_OK)
            s = fv_error(ctx, FV_ERR_NOMEM, "out of memory rotating '%s'", name);
        if (s != FV_OK) free(out->pixels), memset(out, 0, sizeof *out);
    }
    jpeg_destroy_decompress(&d);
    return s;
}
