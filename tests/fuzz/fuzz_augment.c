/* libFuzzer target for the augmentation spec parser (src/augment/parse.c, docs/AUGMENT.md; `--augment` of the
 * CLI). Whatever the text, fv_augment_parse either refuses it with a message, or builds a pipeline whose
 * description parses back to the same description and which runs on a small image, masks and boxes without
 * leaving its size or producing values outside what the steps allow (finite numbers).
 * tests/fuzz/test_fuzz_text.c runs it on deterministic mutations in the suite; `make fuzz` runs it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_pipeline(const fv_augment *a, uint64_t seed)
{
    enum { C = 3, H = 7, W = 9 };
    float image[C * H * W], masks[H * W], boxes[2 * 5] = {1, 1, 4, 5, 0, 2, 2, 8, 6, 1};
    for (int i = 0; i < C * H * W; i++) image[i] = (float)((i * 37) % 101) / 100.0f;
    for (int i = 0; i < H * W; i++) masks[i] = (float)(i % 3);
    int n_boxes = 2;
    fv_status s = fv_augment_apply(a, seed, 1, image, C, H, W, masks, 1, boxes, &n_boxes);
    if (s != FV_OK) return; /* a pipeline may refuse a sample (too small for a crop): that has a status */
    if (n_boxes < 0 || n_boxes > 2) FUZZ_FAIL("%d boxes out of 2", n_boxes);
    for (int i = 0; i < C * H * W; i++)
        if (!isfinite(image[i])) FUZZ_FAIL("pixel %d is %g", i, image[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fv_ctx *ctx = fv_ctx_new(1);
    fv_augment *a = fv_augment_new(ctx);
    if (a && fv_augment_parse(a, text) == FV_OK) {
        char d[4096], d2[4096];
        fv_augment_describe(a, d, sizeof d);
        fv_augment *back = fv_augment_new(ctx);
        if (!back || fv_augment_parse(back, d) != FV_OK) FUZZ_FAIL("description '%s' does not parse: %s", d, fv_errmsg(ctx));
        fv_augment_describe(back, d2, sizeof d2);
        if (strcmp(d, d2) != 0) FUZZ_FAIL("description does not round-trip: '%s' then '%s'", d, d2);
        fv_augment_free(back);
        run_pipeline(a, size);
    } else if (a && !*fv_errmsg(ctx)) {
        FUZZ_FAIL("a spec refused without a message");
    }
    fv_augment_free(a);
    fv_ctx_free(ctx);
    free(text);
    return 0;
}
