/* The context: what would otherwise be global state. */
#include <stdlib.h>

#include "ctx.h"

fv_ctx *fv_ctx_new(uint64_t seed)
{
    fv_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->seed = seed;
    return ctx;
}

void fv_ctx_free(fv_ctx *ctx) { free(ctx); }

uint64_t fv_ctx_seed(const fv_ctx *ctx) { return ctx->seed; }

uint64_t fv_ctx_next_stream(fv_ctx *ctx) { return ctx->next_stream++; }
