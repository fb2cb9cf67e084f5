/* libFuzzer target for the CSV image list reader (src/data/image_list.c: `path,label` lines, what
 * `fovea train --data list.csv` reads before any image is decoded). Whatever the bytes, the list is either
 * refused with a status and a message naming the list (or, strict, the listed file at fault), or read into entries whose labels index the sorted,
 * distinct class names; in lenient mode bad lines are problems with a reason. Both modes are run.
 * tests/fuzz/test_fuzz_text.c runs it on deterministic mutations in the suite; `make fuzz` runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/image_list.h"
#include "fuzz_file.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const img_list *l)
{
    if (l->n < 0 || l->n_classes < 0 || (l->n > 0 && l->n_classes < 1))
        FUZZ_FAIL("%lld entries, %d classes", (long long)l->n, l->n_classes);
    for (int c = 0; c < l->n_classes; c++) {
        if (!l->classes[c]) FUZZ_FAIL("class %d has no name", c);
        if (c > 0 && strcmp(l->classes[c - 1], l->classes[c]) == 0) FUZZ_FAIL("class '%s' twice", l->classes[c]);
    }
    for (int64_t i = 0; i < l->n; i++)
        if (!l->items[i].path || l->items[i].label < 0 || l->items[i].label >= l->n_classes)
            FUZZ_FAIL("entry %lld: label %d of %d classes", (long long)i, (int)l->items[i].label, l->n_classes);
    for (int i = 0; i < l->n_problems; i++)
        if (!l->problems[i].path || !l->problems[i].reason) FUZZ_FAIL("problem %d without a path or reason", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    const char *path = fuzz_write_file(data, size, "list.csv");
    if (!path) return 0;
    for (int strict = 0; strict < 2; strict++) {
        fv_ctx *ctx = fv_ctx_new(1);
        img_list l;
        fv_status s = img_list_csv(ctx, path, strict, &l);
        /* the list, or in strict mode the listed file at fault (which may be any path the list names) */
        if (s != FV_OK && !*fv_errmsg(ctx)) FUZZ_FAIL("refused without a message");
        if (s == FV_OK) check_list(&l);
        img_list_release(&l);
        fv_ctx_free(ctx);
    }
    return 0;
}
