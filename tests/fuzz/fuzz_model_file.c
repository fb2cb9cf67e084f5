/* libFuzzer target for the model file reader. Whatever the bytes, loading must either refuse them with
 * FV_ERR_FORMAT and a message naming the file, or return a model file whose every byte can be read and which
 * saves to a file that loads again and saves to the same bytes. tests/fuzz/test_fuzz_model_file.c runs it
 * on deterministic mutations as part of the suite.
 * `make fuzz FUZZ_TARGETS=model_file` runs it with libFuzzer (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/model_file_bytes.h"
#include "fovea.h"

/* How a broken property is reported: abort() for libFuzzer; the suite's driver counts instead. */
#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every byte a loaded model file exposes (so that the sanitizers see any pointer into nowhere). */
static unsigned touch_all(const fv_modelfile *mf)
{
    unsigned sum = (unsigned)strlen(fv_modelfile_description(mf));
    for (int i = 0; i < fv_modelfile_meta_count(mf); i++) {
        const char *v, *k = fv_modelfile_meta_at(mf, i, &v);
        sum += (unsigned)strlen(k) + (unsigned)strlen(v) + (fv_modelfile_meta_get(mf, k) == v);
    }
    for (int i = 0; i < fv_modelfile_tensor_count(mf); i++) {
        const char *name;
        const fv_tensor *t = fv_modelfile_tensor_at(mf, i, &name);
        const unsigned char *b = t->data;
        for (size_t j = 0; j < (size_t)t->size * fv_dtype_size(t->dtype); j++) sum += b[j];
        if (fv_modelfile_find_tensor(mf, name) != t) FUZZ_FAIL("tensor '%s' is not found by its name", name);
    }
    for (int i = 0; i < fv_modelfile_blob_count(mf); i++) {
        size_t len = 0;
        const unsigned char *b = fv_modelfile_blob(mf, fv_modelfile_blob_name(mf, i), &len);
        for (size_t j = 0; j < len; j++) sum += b[j];
    }
    for (int i = 0; i < fv_modelfile_pos_count(mf); i++) {
        double r;
        sum += fv_modelfile_pos_get_real(mf, fv_modelfile_pos_at(mf, i, NULL), &r);
    }
    return sum;
}

/* Saved, loaded again and saved again: the same bytes. */
static void check_resave(fv_ctx *ctx, const fv_modelfile *mf)
{
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (fv_modelfile_save_mem(ctx, mf, &a, &na) != FV_OK) FUZZ_FAIL("a loaded file does not save: %s", fv_errmsg(ctx));
    fv_modelfile *again = a ? fv_modelfile_load_mem(ctx, a, na, "resaved.fvm") : NULL;
    if (a && !again) FUZZ_FAIL("a saved file does not load: %s", fv_errmsg(ctx));
    if (again && fv_modelfile_save_mem(ctx, again, &b, &nb) != FV_OK) FUZZ_FAIL("a reloaded file does not save");
    if (b && (na != nb || memcmp(a, b, na) != 0)) FUZZ_FAIL("saving, loading and saving again changes the bytes");
    free(a), free(b);
    fv_modelfile_free(again);
}

/* The first byte picks a mode: bit 0, the checksums are recomputed after the mutation, and bit 1, the size in
 * the header is made the input's, so that mutated inputs reach the structural checks behind them rather than
 * stopping at a CRC mismatch or a size that no longer matches. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t n = size - 1;
    unsigned char *b = malloc(n ? n : 1);
    if (!b) return 0;
    memcpy(b, data + 1, n);
    if (data[0] & 2) mfb_fix_size(b, n);
    if (data[0] & 1) mfb_reseal(b, n);
    fv_ctx *ctx = fv_ctx_new(0);
    fv_modelfile *mf = fv_modelfile_load_mem(ctx, b, n, "fuzz.fvm");
    free(b);
    if (!mf && (fv_errcode(ctx) != FV_ERR_FORMAT || !strstr(fv_errmsg(ctx), "model file fuzz.fvm ")))
        FUZZ_FAIL("refused without FV_ERR_FORMAT naming the file: %d %s", (int)fv_errcode(ctx), fv_errmsg(ctx));
    if (mf) {
        volatile unsigned sink = touch_all(mf);
        (void)sink;
        check_resave(ctx, mf);
    }
    fv_modelfile_free(mf);
    fv_ctx_free(ctx);
    return 0;
}
