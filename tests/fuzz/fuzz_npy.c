/* libFuzzer target for the .npy reader. Whatever the bytes, reading must either refuse them with a message
 * naming the input, or return a tensor whose shape, size and dtype agree, every value readable, and whose
 * data the input held exactly (so it is never larger than the input allows).
 * tests/fuzz/test_fuzz_data.c runs it on deterministic mutations as part of the suite.
 * `make fuzz FUZZ_TARGETS=npy` runs it with libFuzzer (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned npy_check_tensor(const fv_tensor *t, size_t input_size)
{
    int64_t size = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] < 1) FUZZ_FAIL("accepted a dimension of %lld", (long long)t->shape[i]);
        size *= t->shape[i];
    }
    if (t->ndim < 0 || t->ndim > FV_MAX_DIMS || size != t->size || (t->dtype != FV_F32 && t->dtype != FV_I32))
        FUZZ_FAIL("accepted tensor of %d dims, size %lld, dtype %d", t->ndim, (long long)t->size, (int)t->dtype);
    if ((uint64_t)t->size > input_size) FUZZ_FAIL("%lld values from %zu bytes", (long long)t->size, input_size);
    const unsigned char *b = t->data;
    unsigned sum = 0;
    for (int64_t i = 0; i < t->size * 4; i++) sum += b[i];
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_tensor *t = fv_npy_read_mem(ctx, data, size, "fuzz.npy");
    if (t) npy_check_tensor(t, size);
    else if (!strstr(fv_errmsg(ctx), "fuzz.npy")) FUZZ_FAIL("the message does not name the input: %s", fv_errmsg(ctx));
    fv_tensor_free(t);
    fv_ctx_free(ctx);
    return 0;
}
