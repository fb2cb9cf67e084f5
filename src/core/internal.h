/* Internal helpers of the core shared by the whole library: error reporting into the context and
 * tensors embedded in other structures. Not part of the public API. */
#ifndef FV_CORE_INTERNAL_H
#define FV_CORE_INTERNAL_H

#include "fovea/core.h"

#if defined(__GNUC__)
#define FV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FV_PRINTF(a, b)
#endif

/* Record an error in the context (the message is formatted like printf) and return the code, so that
 * callers can write `return fv_error(ctx, FV_ERR_ARG, "...")`. ctx may be NULL. */
fv_status fv_error(fv_ctx *ctx, fv_status code, const char *fmt, ...) FV_PRINTF(3, 4);

/* Checked size arithmetic (size.c), the one place where readers multiply sizes taken from a file.
 * fv_size_mul: a * b into *out when a, b >= 0 and each factor and the product are at most limit; false
 * otherwise (out untouched). */
bool fv_size_mul(int64_t a, int64_t b, int64_t limit, int64_t *out);
/* The product of n dimensions when every one is >= 0 and the product of the non-zero ones (so every partial
 * product, every stride) is at most limit; -1 otherwise. A zero dimension gives 0. */
int64_t fv_size_product(int n, const int64_t *dims, int64_t limit);

/* Caps on what a model (a description, an ONNX file or a model file) may declare, checked before anything is
 * allocated: a few bytes of text must not ask for gigabytes. An input sample of at most 2^26 values
 * (256 MiB as float32, e.g. 4x4096x4096) and a parameter tensor of at most 2^28 values (1 GiB). */
#define FV_MAX_SAMPLE_ELEMENTS ((int64_t)1 << 26)
#define FV_MAX_PARAM_ELEMENTS ((int64_t)1 << 28)

/* Largest tensor fovea allocates, in bytes: a guard against absurd sizes from corrupt files. */
#define FV_MAX_TENSOR_BYTES ((int64_t)1 << 38)

/* Check a shape (1..FV_MAX_DIMS dims or a scalar, each dim >= 1, total size within limits) and return its
 * element count, or -1 with an error in ctx naming `what`. */
int64_t fv_shape_check(fv_ctx *ctx, const char *what, fv_dtype dtype, int ndim, const int64_t *shape);
/* The same, but a dimension may be 0 (an empty tensor, as operators may produce: a slice past the end, a
 * split of size 0). Readers of files keep the strict check. */
int64_t fv_shape_check_empty(fv_ctx *ctx, const char *what, fv_dtype dtype, int ndim, const int64_t *shape);

/* (Re)allocate an embedded tensor to a shape (dimensions of 0 allowed); keeps the buffer when the byte size is
 * unchanged, and zero-fills otherwise. */
fv_status fv_tensor_ensure(fv_ctx *ctx, fv_tensor *t, fv_dtype dtype, int ndim, const int64_t *shape);
/* Release the data of an embedded tensor and clear it. */
void fv_tensor_release(fv_tensor *t);
/* A tensor header viewing another's data (does not own it). */
fv_tensor fv_tensor_view(const fv_tensor *t);
void fv_tensor_zero(fv_tensor *t);

/* A value in [0, 1] as a pixel byte, clamped; NaN gives 0 (a NaN reaches pictures when a model's outputs or a
 * map hold one, and converting it to an integer is undefined). */
static inline uint8_t fv_unit_to_byte(float v) { return v > 0 ? (v < 1 ? (uint8_t)(v * 255.0f + 0.5f) : 255) : 0; }

#endif
