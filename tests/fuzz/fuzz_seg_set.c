/* libFuzzer target for what a segmentation set reads from untrusted files: the first byte picks
 *   even: the rest is a mask file for fv_mask_decode (a PNG of class ids: gray, palette indices; anything else
 *         refused naming it with a zeroed image), or
 *   odd:  the rest is a CSV of image,mask rows for fv_seg_load, beside a valid pair images/a.png, masks/a.png;
 *         lenient and strict: refused with a message, or a set of the usable pairs (pairs - skipped, at least
 *         one) with every problem naming a path and a reason.
 * tests/fuzz/test_fuzz_text.c runs it on deterministic mutations in the suite; `make fuzz` runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fovea/data.h"
#include "fovea/image.h"
#include "fuzz_file.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mask(const uint8_t *data, size_t size)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_image m;
    fv_status s = fv_mask_decode(ctx, data, size, "fuzz.png", &m);
    if (s != FV_OK && (!strstr(fv_errmsg(ctx), "fuzz.png") || m.pixels)) FUZZ_FAIL("refused without naming the file: %s", fv_errmsg(ctx));
    if (s == FV_OK) {
        if (m.channels != 1 || m.depth != 8 || m.width < 1 || m.height < 1 || !m.pixels)
            FUZZ_FAIL("a mask of %dx%d, %d channels of %d bits", m.width, m.height, m.channels, m.depth);
        int64_t sum = 0; /* every byte readable (ASan) */
        for (int64_t p = 0; p < (int64_t)m.width * m.height; p++) sum += ((const uint8_t *)m.pixels)[p];
        (void)sum;
    }
    fv_image_release(&m);
    fv_ctx_free(ctx);
}

/* images/a.png and masks/a.png beside the CSV, written once per process. */
static void make_pair(const char *csv)
{
    static int made;
    if (made) return;
    char dir[200], path[260];
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(csv, '/') - csv), csv);
    uint8_t px[4 * 3] = {0, 1, 2, 255, 1, 1, 0, 0, 2, 2, 1, 0};
    fv_ctx *ctx = fv_ctx_new(1);
    snprintf(path, sizeof path, "%s/images", dir), mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/masks", dir), mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/images/a.png", dir), fv_png_write(ctx, path, px, 4, 3, 1);
    snprintf(path, sizeof path, "%s/masks/a.png", dir), fv_png_write(ctx, path, px, 4, 3, 1);
    fv_ctx_free(ctx);
    made = 1;
}

static void check_csv(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file(data, size, "pairs.csv");
    if (!path) return;
    make_pair(path);
    for (int strict = 0; strict < 2; strict++) {
        fv_ctx *ctx = fv_ctx_new(1);
        fv_seg_options o = fv_seg_defaults();
        o.strict = strict, o.classes = strict ? 2 : 0;
        fv_seg_scan scan;
        fv_tensor_set *set = fv_seg_load(ctx, path, &o, &scan);
        if (!set && !*fv_errmsg(ctx)) FUZZ_FAIL("refused without a message");
        if (set && (fv_tensor_set_count(set) != scan.pairs - scan.skipped || fv_tensor_set_count(set) < 1))
            FUZZ_FAIL("%lld samples of %lld pairs, %lld skipped", (long long)fv_tensor_set_count(set),
                      (long long)scan.pairs, (long long)scan.skipped);
        for (int i = 0; i < scan.n_problems; i++)
            if (!scan.problems[i].path || !scan.problems[i].reason) FUZZ_FAIL("problem %d without a path or reason", i);
        fv_tensor_set_free(set);
        fv_seg_scan_release(&scan);
        fv_ctx_free(ctx);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16) return 0;
    if (data[0] & 1) check_csv(data + 1, size - 1);
    else check_mask(data + 1, size - 1);
    return 0;
}
