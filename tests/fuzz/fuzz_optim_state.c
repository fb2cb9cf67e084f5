/* libFuzzer target for the optimizer-state reader (src/optim/state_file.c: the FVOP bytes of `--save-state`
 * files and of a checkpoint's optimizer blob, read on `--resume`). The state is loaded into an Adam optimizer
 * over a small model; the input is tried as it is and with its trailing CRC-32 recomputed, so that mutations
 * reach the checks behind the checksum. Either it is refused with FV_ERR_FORMAT and a message naming the bytes,
 * or it loads and saves back to the same bytes. The rest of a checkpoint is a model file (fuzz_model_file).
 * tests/fuzz/test_fuzz_text.c runs it on deterministic mutations in the suite; `make fuzz` runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fovea.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One model and optimizer for the whole session (a model per input would dominate the time). */
static fv_ctx *fz_ctx;
static fv_model *fz_model;
static fv_optimizer *fz_opt;

static fv_optimizer *fuzz_optimizer(void)
{
    if (fz_opt) return fz_opt;
    fz_ctx = fv_ctx_new(1);
    fz_model = fv_model_parse(fz_ctx, "input x shape=2x3x3\nconv2d c filters=2 kernel=2\nflatten f\ndense d units=3\n",
                              "fuzz");
    fv_optim_config cfg = fv_optim_defaults(FV_OPT_ADAM);
    fz_opt = fz_model ? fv_optim_new(fz_ctx, &cfg) : NULL;
    fv_param *p[8];
    int n = fz_model ? fv_model_param_count(fz_model) : 0;
    for (int i = 0; i < n && i < 8; i++) p[i] = fv_model_param(fz_model, i);
    if (!fz_opt || fv_optim_add_group(fz_opt, p, n, -1) < 0) FUZZ_FAIL("setup: %s", fv_errmsg(fz_ctx));
    return fz_opt;
}

static void try_load(fv_optimizer *opt, const uint8_t *data, size_t size)
{
    fv_clear_error(fz_ctx);
    fv_status s = fv_optim_load_mem(opt, data, size, "fuzz.state");
    if (s != FV_OK) {
        if (!strstr(fv_errmsg(fz_ctx), "fuzz.state")) FUZZ_FAIL("refused without naming the bytes: %s", fv_errmsg(fz_ctx));
        return;
    }
    void *buf = NULL;
    size_t len = 0;
    if (fv_optim_save_mem(opt, &buf, &len) != FV_OK) FUZZ_FAIL("a loaded state does not save: %s", fv_errmsg(fz_ctx));
    if (len != size || memcmp(buf, data, size) != 0) FUZZ_FAIL("a loaded state saves to other bytes (%zu, %zu)", len, size);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    fv_optimizer *opt = fuzz_optimizer();
    try_load(opt, data, size);
    if (size < 8) return 0;
    uint8_t *copy = malloc(size);
    if (!copy) return 0;
    memcpy(copy, data, size);
    uint32_t crc = (uint32_t)crc32(0, copy, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) copy[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    try_load(opt, copy, size);
    free(copy);
    return 0;
}
