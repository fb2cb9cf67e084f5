/* libFuzzer target for the training-history reader (fv_history_read, what `fovea report --history` and a
 * resumed run's --history read). Whatever the bytes, the file is either refused with FV_ERR_FORMAT and a message
 * naming it, or read into a table that agrees with itself: names present, epochs >= 0, every row complete.
 * tests/fuzz/test_fuzz_text.c runs it on deterministic mutations in the suite; `make fuzz` runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "fuzz_file.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    const char *path = fuzz_write_file(data, size, "history.csv");
    if (!path) return 0;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_history *h = fv_history_read(ctx, path);
    if (!h && (fv_errcode(ctx) == FV_OK || !strstr(fv_errmsg(ctx), "history.csv")))
        FUZZ_FAIL("refused without a status and a message naming the file: %s", fv_errmsg(ctx));
    if (h) {
        if (h->n_cols < 0 || h->n_rows < 0) FUZZ_FAIL("%d columns, %d rows", h->n_cols, h->n_rows);
        for (int c = 0; c < h->n_cols; c++) {
            if (!h->names[c]) FUZZ_FAIL("column %d has no name", c);
            if (fv_history_column(h, h->names[c]) < 0) FUZZ_FAIL("column '%s' is not found by name", h->names[c]);
        }
        double sum = 0;
        for (int r = 0; r < h->n_rows; r++) {
            if (h->epochs[r] < 0) FUZZ_FAIL("row %d has epoch %d", r, h->epochs[r]);
            for (int c = 0; c < h->n_cols; c++) sum += h->values[(size_t)r * (size_t)h->n_cols + (size_t)c];
        }
        (void)sum;
        fv_history_free(h);
    }
    fv_ctx_free(ctx);
    return 0;
}
