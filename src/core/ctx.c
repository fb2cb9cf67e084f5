/* The context: what would otherwise be global state. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "ctx.h"
#include "internal.h"

fv_ctx *fv_ctx_new(uint64_t seed)
{
    fv_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->seed = seed;
    ctx->threads = fv_cpu_count();
    const char *k = getenv("FOVEA_KERNELS");
    ctx->reference = k && strcmp(k, "ref") == 0;
    ctx->max_image_bytes = FV_DEFAULT_MAX_IMAGE_BYTES;
    return ctx;
}

void fv_ctx_free(fv_ctx *ctx) { free(ctx); }

uint64_t fv_ctx_seed(const fv_ctx *ctx) { return ctx->seed; }

uint64_t fv_ctx_next_stream(fv_ctx *ctx) { return ctx->next_stream++; }

fv_status fv_ctx_set_threads(fv_ctx *ctx, int n)
{
    if (!ctx) return FV_ERR_ARG;
    if (n < 0 || n > 4096) return fv_error(ctx, FV_ERR_ARG, "threads %d: expected 0 (all cores) to 4096", n);
    ctx->threads = n ? n : fv_cpu_count();
    return FV_OK;
}

int fv_ctx_threads(const fv_ctx *ctx) { return ctx ? ctx->threads : 1; }

void fv_ctx_use_reference_kernels(fv_ctx *ctx, bool on)
{
    if (ctx) ctx->reference = on;
}

bool fv_ctx_reference_kernels(const fv_ctx *ctx) { return ctx && ctx->reference; }

fv_status fv_ctx_set_max_image_bytes(fv_ctx *ctx, int64_t bytes)
{
    if (!ctx) return FV_ERR_ARG;
    if (bytes < 1) return fv_error(ctx, FV_ERR_ARG, "the image size limit must be at least 1 byte, got %lld", (long long)bytes);
    ctx->max_image_bytes = bytes;
    return FV_OK;
}

int64_t fv_ctx_max_image_bytes(const fv_ctx *ctx) { return ctx ? ctx->max_image_bytes : FV_DEFAULT_MAX_IMAGE_BYTES; }

void fv_ctx_allow_nonfinite(fv_ctx *ctx, bool on)
{
    if (ctx) ctx->allow_nonfinite = on;
}

bool fv_ctx_nonfinite_allowed(const fv_ctx *ctx) { return ctx && ctx->allow_nonfinite; }
