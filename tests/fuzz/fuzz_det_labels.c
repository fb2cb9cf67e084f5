/* libFuzzer target for a detection folder's label files (fv_det_load): the input is labels/a.txt beside a
 * valid images/a.png (8x6 gray) and a classes.txt of three names, read lenient and strict. Refused with a
 * message, or a set of one image whose boxes (N, B, 5) are padding (class -1) or a class in [0, 3) with finite
 * corners inside the image, x0 <= x1 and y0 <= y1; every problem names a path and a reason.
 * tests/fuzz/test_fuzz_text.c runs it on deterministic mutations in the suite; `make fuzz` runs it. */
#include <math.h>
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

/* The folder (the directory fuzz_write_file made) with images/a.png and classes.txt, once per process;
 * the label file's path written into label. */
static const char *folder(char *label, size_t n)
{
    static char dir[200];
    const char *probe = fuzz_write_file((const uint8_t *)"a\nb\nc\n", 6, "classes.txt");
    if (!probe) return NULL;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(probe, '/') - probe), probe);
        char path[260];
        uint8_t px[8 * 6];
        for (int p = 0; p < 48; p++) px[p] = (uint8_t)(p * 5);
        fv_ctx *ctx = fv_ctx_new(1);
        snprintf(path, sizeof path, "%s/images", dir), mkdir(path, 0777);
        snprintf(path, sizeof path, "%s/labels", dir), mkdir(path, 0777);
        snprintf(path, sizeof path, "%s/images/a.png", dir), fv_png_write(ctx, path, px, 8, 6, 1);
        fv_ctx_free(ctx);
    }
    snprintf(label, n, "%s/labels/a.txt", dir);
    return dir;
}

static void check_boxes(const fv_tensor *y)
{
    if (y->ndim != 3 || y->shape[0] != 1 || y->shape[2] != 5 || y->shape[1] < 1)
        FUZZ_FAIL("boxes of %lld dims", (long long)y->ndim);
    const float *b = fv_f32((fv_tensor *)y);
    for (int64_t j = 0; j < y->shape[1]; j++, b += 5) {
        if (b[0] == -1.0f) continue;
        if (!(b[0] >= 0.0f && b[0] < 3.0f && b[0] == floorf(b[0]))) FUZZ_FAIL("box %lld has class %g", (long long)j, (double)b[0]);
        if (!(b[1] >= 0 && b[1] <= b[3] && b[3] <= 8 && b[2] >= 0 && b[2] <= b[4] && b[4] <= 6))
            FUZZ_FAIL("box %lld is (%g, %g, %g, %g) in an 8x6 image", (long long)j, (double)b[1], (double)b[2],
                      (double)b[3], (double)b[4]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char label[300];
    const char *dir = folder(label, sizeof label);
    FILE *f = dir ? fopen(label, "wb") : NULL;
    if (!f) return 0;
    size_t put = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || put != size) return 0;
    for (int strict = 0; strict < 2; strict++) {
        fv_ctx *ctx = fv_ctx_new(1);
        fv_det_options o = fv_det_defaults();
        o.strict = strict;
        fv_det_scan scan;
        fv_tensor_set *set = fv_det_load(ctx, dir, &o, &scan);
        if (!set && !*fv_errmsg(ctx)) FUZZ_FAIL("refused without a message");
        if (set && (fv_tensor_set_count(set) != 1 || scan.skipped)) FUZZ_FAIL("a set of %lld", (long long)fv_tensor_set_count(set));
        if (set) check_boxes(fv_tensor_set_target(set));
        for (int i = 0; i < scan.n_problems; i++)
            if (!scan.problems[i].path || !scan.problems[i].reason) FUZZ_FAIL("problem %d without a path or reason", i);
        fv_tensor_set_free(set);
        fv_det_scan_release(&scan);
        fv_ctx_free(ctx);
    }
    return 0;
}
