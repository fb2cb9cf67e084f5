/* libFuzzer target for the IDX reader and the dataset built from it. Whatever the bytes, reading must either
 * refuse them with a message naming the input, or return exactly the bytes its dimensions promise; a pair of
 * accepted files either becomes a dataset whose batches and splits work, or is refused with a message.
 * Input: byte 0 picks the test (0-4: one file expecting that many dimensions, 0 meaning any; 5-7: a pair),
 * for a pair bytes 1-2 (little-endian) say where the images end and the labels begin. Plain or gzipped data.
 * tests/fuzz/test_fuzz_data.c runs it on deterministic mutations as part of the suite.
 * `make fuzz FUZZ_TARGETS=idx` runs it with libFuzzer (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"

/* How a broken property is reported: abort() for libFuzzer; the suite's driver counts instead. */
#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void idx_check_refusal(const fv_ctx *ctx, fv_status s, const fv_idx *idx, const char *name)
{
    if (s == FV_OK) return;
    if (idx->data || idx->ndim) FUZZ_FAIL("a refused IDX input left data behind");
    if (!strstr(fv_errmsg(ctx), name)) FUZZ_FAIL("the message does not name the input: %s", fv_errmsg(ctx));
}

/* An accepted file holds exactly the product of its dimensions, every byte readable. */
static unsigned idx_check_accepted(const fv_idx *idx, int want_ndim)
{
    int64_t bytes = 1;
    for (int i = 0; i < idx->ndim; i++) bytes *= idx->dims[i];
    if (idx->ndim < 1 || idx->ndim > FV_IDX_MAX_DIMS || (want_ndim && idx->ndim != want_ndim) || bytes != idx->bytes ||
        bytes > FV_IDX_MAX_BYTES)
        FUZZ_FAIL("accepted IDX with %d dims and %lld bytes", idx->ndim, (long long)idx->bytes);
    unsigned sum = 0;
    for (int64_t i = 0; i < idx->bytes; i++) sum += idx->data[i];
    return sum;
}

/* Batches of the first and last samples, and a random split, of a dataset made from two accepted files. */
static void idx_exercise_dataset(fv_ctx *ctx, const fv_idx *img, const fv_idx *lab, int n_classes)
{
    int64_t n = img->dims[0];
    int32_t *labels = lab->dims[0] == n ? malloc((size_t)n * sizeof *labels) : NULL;
    if (!labels) return;
    for (int64_t i = 0; i < n; i++) labels[i] = lab->data[i];
    fv_dataset *ds = fv_dataset_from_u8(ctx, n, 1, img->dims[1], img->dims[2], img->data, labels, n_classes);
    free(labels);
    if (!ds) {
        if (!strstr(fv_errmsg(ctx), "label")) FUZZ_FAIL("dataset refused without naming a label: %s", fv_errmsg(ctx));
        return;
    }
    int64_t per = img->dims[1] * img->dims[2], idx[2] = {0, n - 1};
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){2, per});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){2});
    if (x && y) {
        if (fv_dataset_batch(ds, idx, 2, x, y) != FV_OK) FUZZ_FAIL("batch failed: %s", fv_errmsg(ctx));
        for (int64_t i = 0; i < x->size; i++)
            if (!(fv_f32(x)[i] >= 0.0f && fv_f32(x)[i] <= 1.0f)) FUZZ_FAIL("pixel %g outside [0, 1]", fv_f32(x)[i]);
        if (fv_i32(y)[1] != lab->data[n - 1]) FUZZ_FAIL("wrong label in a batch");
    }
    fv_dataset *tr = NULL, *va = NULL;
    if (n >= 2 && fv_dataset_split(ds, 0.5, FV_SPLIT_RANDOM, n, &tr, &va) != FV_OK) FUZZ_FAIL("split of %lld failed", (long long)n);
    if (tr && va && fv_dataset_count(tr) + fv_dataset_count(va) != n) FUZZ_FAIL("split lost samples");
    fv_dataset_free(tr);
    fv_dataset_free(va);
    fv_tensor_free(x);
    fv_tensor_free(y);
    fv_dataset_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fv_ctx *ctx = fv_ctx_new(1);
    int mode = data[0] % 8;
    fv_idx a, b;
    if (mode <= 4) {
        fv_status s = fv_idx_read_mem(ctx, data + 1, size - 1, "fuzz.idx", mode, &a);
        idx_check_refusal(ctx, s, &a, "fuzz.idx");
        if (s == FV_OK) idx_check_accepted(&a, mode);
        fv_idx_release(&a);
    } else if (size >= 3) {
        size_t cut = (size_t)(data[1] | data[2] << 8), rest = size - 3;
        if (cut > rest) cut = rest;
        fv_status s = fv_idx_read_mem(ctx, data + 3, cut, "images.idx", 3, &a);
        idx_check_refusal(ctx, s, &a, "images.idx");
        fv_status t = fv_idx_read_mem(ctx, data + 3 + cut, rest - cut, "labels.idx", 1, &b);
        idx_check_refusal(ctx, t, &b, "labels.idx");
        if (s == FV_OK && t == FV_OK) {
            idx_check_accepted(&a, 3);
            idx_check_accepted(&b, 1);
            idx_exercise_dataset(ctx, &a, &b, mode == 5 ? 0 : 10);
        }
        fv_idx_release(&a);
        fv_idx_release(&b);
    }
    fv_ctx_free(ctx);
    return 0;
}
