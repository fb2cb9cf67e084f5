/* libFuzzer target for the image readers (JPEG through libjpeg, PNG through libpng, EXIF orientation). Whatever
 * the bytes, fv_image_decode must either refuse them with a status, a message naming the file and a zeroed
 * image, or return a well-formed image (sides >= 1, 1..4 channels, 8 or 16 bits, within FV_IMAGE_MAX_PIXELS)
 * that can be resized, converted and turned into floats. tests/fuzz/test_fuzz_image.c runs it on
 * deterministic mutations as part of the suite.
 * `make fuzz FUZZ_TARGETS=image` runs it with libFuzzer (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a decoded image must survive: the later steps of every input pipeline. */
static void use_image(fv_ctx *ctx, const fv_image *im)
{
    fv_image small, rgb;
    if (fv_image_resize(ctx, im, 7, 5, FV_FILTER_BICUBIC, &small) != FV_OK)
        FUZZ_FAIL("a decoded image does not resize: %s", fv_errmsg(ctx));
    if (fv_image_convert(ctx, &small, 3, 8, &rgb) != FV_OK) FUZZ_FAIL("a decoded image does not convert: %s", fv_errmsg(ctx));
    float f[3 * 7 * 5];
    fv_image_to_floats(&rgb, fv_imagenet_mean, fv_imagenet_std, f);
    fv_image_release(&small);
    fv_image_release(&rgb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_image im;
    fv_status s = fv_image_decode(ctx, data, size, "fuzz.img", &im);
    if (s != FV_OK) {
        if (!strstr(fv_errmsg(ctx), "fuzz.img") || im.pixels || im.width)
            FUZZ_FAIL("refused without a message naming the file or with an image left: %d %s", (int)s, fv_errmsg(ctx));
    } else {
        if (!im.pixels || im.width < 1 || im.height < 1 || im.channels < 1 || im.channels > 4 ||
            (im.depth != 8 && im.depth != 16) || (int64_t)im.width * im.height > FV_IMAGE_MAX_PIXELS)
            FUZZ_FAIL("a malformed image: %dx%dx%d %d-bit", im.width, im.height, im.channels, im.depth);
        use_image(ctx, &im);
    }
    fv_image_release(&im);
    fv_ctx_free(ctx);
    return 0;
}
