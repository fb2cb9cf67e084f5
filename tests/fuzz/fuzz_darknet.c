/* libFuzzer target for Darknet files: the first byte picks
 *   even: the rest is a .cfg for fv_darknet_load_cfg: a model, or a message naming the file (and its line);
 *   odd:  the rest is a .weights file for a fixed two-convolution network: read, or refused with a message
 *         naming the file; a file read whole leaves every parameter finite or as written.
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

static const char small_cfg[] = "[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\nbatch_normalize=1\nfilters=4\n"
                                "size=3\npad=1\nactivation=leaky\n[convolutional]\nfilters=2\nsize=1\nactivation=linear\n";

static void check_cfg(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file(data, size, "net.cfg");
    if (!path) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_darknet_load_cfg(ctx, path);
    if (!m && !strstr(fv_errmsg(ctx), "net.cfg")) FUZZ_FAIL("refused without naming the file: %s", fv_errmsg(ctx));
    if (m && fv_model_layer_count(m) < 1) FUZZ_FAIL("a model without layers");
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void check_weights(const uint8_t *data, size_t size)
{
    const char *cfg = fuzz_write_file((const uint8_t *)small_cfg, sizeof small_cfg - 1, "small.cfg");
    if (!cfg) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_darknet_load_cfg(ctx, cfg);
    const char *path = m ? fuzz_write_file(data, size, "net.weights") : NULL;
    if (!m) FUZZ_FAIL("the fixed cfg: %s", fv_errmsg(ctx));
    if (path && fv_darknet_read_weights(ctx, m, path) != FV_OK && !strstr(fv_errmsg(ctx), "net.weights"))
        FUZZ_FAIL("refused without naming the file: %s", fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16) return 0;
    if (data[0] & 1) check_weights(data + 1, size - 1);
    else check_cfg(data + 1, size - 1);
    return 0;
}
