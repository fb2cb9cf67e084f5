/* Plain tensors: shape checks, allocation with limits, views. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

size_t fv_dtype_size(fv_dtype d)
{
    switch (d) {
    case FV_I64: return sizeof(int64_t);
    case FV_BOOL: return 1;
    case FV_I32: return sizeof(int32_t);
    default: return sizeof(float);
    }
}

const char *fv_dtype_name(fv_dtype d)
{
    static const char *const names[] = {"float32", "int32", "int64", "bool"};
    return d >= 0 && d < FV_DTYPE_COUNT ? names[d] : "?";
}

static int64_t check(fv_ctx *ctx, const char *what, fv_dtype dtype, int ndim, const int64_t *shape, int64_t min_dim)
{
    if (ndim < 0 || ndim > FV_MAX_DIMS) {
        fv_error(ctx, FV_ERR_SHAPE, "%s: %d dimensions (at most %d)", what, ndim, FV_MAX_DIMS);
        return -1;
    }
    if ((int)dtype < 0 || dtype >= FV_DTYPE_COUNT) {
        fv_error(ctx, FV_ERR_ARG, "%s: unknown dtype %d", what, (int)dtype);
        return -1;
    }
    char dims[160];
    size_t used = 0;
    dims[0] = '\0';
    for (int i = 0; i < ndim && used < sizeof dims; i++)
        used += (size_t)snprintf(dims + used, sizeof dims - used, i ? ",%lld" : "%lld", (long long)shape[i]);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < min_dim) {
            fv_error(ctx, FV_ERR_SHAPE, "%s: dimension %d of (%s) is %lld (must be >= %lld)", what, i, dims,
                     (long long)shape[i], (long long)min_dim);
            return -1;
        }
    }
    int64_t size = fv_size_product(ndim, shape, FV_MAX_TENSOR_BYTES), bytes;
    if (size < 0 || !fv_size_mul(size, (int64_t)fv_dtype_size(dtype), FV_MAX_TENSOR_BYTES, &bytes)) {
        fv_error(ctx, FV_ERR_SHAPE, "%s: shape (%s) is larger than the %lld GiB tensor limit", what, dims,
                 (long long)(FV_MAX_TENSOR_BYTES >> 30));
        return -1;
    }
    return size;
}

int64_t fv_shape_check(fv_ctx *ctx, const char *what, fv_dtype dtype, int ndim, const int64_t *shape)
{
    return check(ctx, what, dtype, ndim, shape, 1);
}

int64_t fv_shape_check_empty(fv_ctx *ctx, const char *what, fv_dtype dtype, int ndim, const int64_t *shape)
{
    return check(ctx, what, dtype, ndim, shape, 0);
}

/* A zeroed buffer that starts on a 64-byte cache line: rows of whole vectors then load and store without
 * straddling two lines (calloc's big blocks start 16 bytes into a page, which split every AVX-512 vector: a
 * tenth of a 3x3 weight gradient's time on the Xeon). NULL when memory cannot be had. */
static void *zeroed_lines(size_t bytes)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded < bytes) return NULL;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p) memset(p, 0, rounded ? rounded : 64);
    return p;
}

fv_status fv_tensor_ensure(fv_ctx *ctx, fv_tensor *t, fv_dtype dtype, int ndim, const int64_t *shape)
{
    int64_t size = fv_shape_check_empty(ctx, "tensor", dtype, ndim, shape);
    if (size < 0) return fv_errcode(ctx);
    size_t bytes = (size_t)size * fv_dtype_size(dtype);
    size_t old_bytes = t->data ? (size_t)t->size * fv_dtype_size(t->dtype) : 0;
    if (!t->data || !t->owns || old_bytes != bytes) {
        void *data = zeroed_lines(bytes); /* an empty tensor still has a buffer to point at */
        if (!data) {
            return fv_error(ctx, FV_ERR_NOMEM, "out of memory allocating %zu bytes for a tensor", bytes);
        }
        if (t->owns) free(t->data);
        t->data = data;
        t->owns = true;
    }
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < FV_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 0;
    t->size = size;
    return FV_OK;
}

void fv_tensor_release(fv_tensor *t)
{
    if (t->owns) free(t->data);
    memset(t, 0, sizeof *t);
}

fv_tensor fv_tensor_view(const fv_tensor *t)
{
    fv_tensor v = *t;
    v.owns = false;
    return v;
}

void fv_tensor_zero(fv_tensor *t)
{
    if (t->data) memset(t->data, 0, (size_t)t->size * fv_dtype_size(t->dtype));
}

fv_tensor *fv_tensor_new(fv_ctx *ctx, fv_dtype dtype, int ndim, const int64_t *shape)
{
    if (fv_shape_check(ctx, "tensor", dtype, ndim, shape) < 0) return NULL;
    fv_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory allocating a tensor");
        return NULL;
    }
    if (fv_tensor_ensure(ctx, t, dtype, ndim, shape) != FV_OK) {
        free(t);
        return NULL;
    }
    return t;
}

fv_tensor *fv_tensor_from(fv_ctx *ctx, fv_dtype dtype, int ndim, const int64_t *shape, const void *data)
{
    fv_tensor *t = fv_tensor_new(ctx, dtype, ndim, shape);
    if (t && data) memcpy(t->data, data, (size_t)t->size * fv_dtype_size(dtype));
    return t;
}

void fv_tensor_free(fv_tensor *t)
{
    if (!t) return;
    fv_tensor_release(t);
    free(t);
}

char *fv_shape_str(const fv_tensor *t, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < t->ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    if (used < len) snprintf(buf + used, len - used, ")");
    return buf;
}

bool fv_same_shape(const fv_tensor *a, const fv_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}
