/* libFuzzer target for the model description parser (docs/MODELS.md): any text either fails with a message or
 * gives a model whose description parses back to the same description.
 * `make fuzz FUZZ_TARGETS=model_desc` runs it with libFuzzer (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_parse(ctx, text, "fuzz");
    if (!m && !*fv_errmsg(ctx)) FUZZ_FAIL("a refused description without a message");
    if (m) {
        char *d = fv_model_describe(m);
        fv_model *back = d ? fv_model_parse(ctx, d, "described") : NULL;
        char *d2 = back ? fv_model_describe(back) : NULL;
        if (!d2 || strcmp(d, d2) != 0) FUZZ_FAIL("description does not round-trip: %s", fv_errmsg(ctx));
        free(d), free(d2);
        fv_model_free(back);
        fv_model_free(m);
    }
    fv_ctx_free(ctx);
    free(text);
    return 0;
}
