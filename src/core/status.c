/* Status codes: their messages, generated from FV_STATUS_MAP, and the context's error record. */
#include <stdarg.h>
#include <stdio.h>

#include "ctx.h"
#include "internal.h"

const char *fv_status_str(fv_status s)
{
    static const char *const messages[] = {
#define FV_STATUS_MSG(name, msg) msg,
        FV_STATUS_MAP(FV_STATUS_MSG)
#undef FV_STATUS_MSG
    };
    if ((int)s < 0 || s >= FV_STATUS_COUNT) return "unknown status";
    return messages[s];
}

fv_status fv_error(fv_ctx *ctx, fv_status code, const char *fmt, ...)
{
    if (!ctx) return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    ctx->errcode = code;
    return code;
}

const char *fv_errmsg(const fv_ctx *ctx)
{
    if (!ctx) return "no context";
    return ctx->errmsg;
}

fv_status fv_errcode(const fv_ctx *ctx) { return ctx ? ctx->errcode : FV_ERR_ARG; }

void fv_clear_error(fv_ctx *ctx)
{
    if (!ctx) return;
    ctx->errmsg[0] = '\0';
    ctx->errcode = FV_OK;
}
