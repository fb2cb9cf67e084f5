/* fovea core: status codes, the context (errors, random numbers) and plain tensors.
 * Everything else in the library is built on these types. */
#ifndef FOVEA_CORE_H
#define FOVEA_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FV_MAX_DIMS 6

/* Status codes and their default messages, generated from one list. */
#define FV_STATUS_MAP(X)                                   \
    X(OK, "ok")                                            \
    X(ERR_ARG, "invalid argument")                         \
    X(ERR_SHAPE, "incompatible shapes")                    \
    X(ERR_NOMEM, "out of memory")                          \
    X(ERR_IO, "input/output error")                        \
    X(ERR_FORMAT, "malformed file")                        \
    X(ERR_NUMERIC, "non-finite value")                     \
    X(ERR_STATE, "operation not valid in this state")      \
    X(ERR_UNSUPPORTED, "not supported")

typedef enum {
#define FV_STATUS_ENUM(name, msg) FV_##name,
    FV_STATUS_MAP(FV_STATUS_ENUM)
#undef FV_STATUS_ENUM
    FV_STATUS_COUNT
} fv_status;

/* The default message of a status code (never NULL). */
const char *fv_status_str(fv_status s);

/* ---- context ------------------------------------------------------------------------------------ */

/* A context holds what would otherwise be global: the last error and the random generator.
 * Every graph, parameter and optimizer belongs to one context. Not thread-safe: one per thread. */
typedef struct fv_ctx fv_ctx;

fv_ctx *fv_ctx_new(uint64_t seed);
void fv_ctx_free(fv_ctx *ctx);

/* The message of the last error ("" when none), e.g.
 * "conv2d 'conv2d_1': kernel 5x5 (dilated 5x5) larger than padded input 3x3". */
const char *fv_errmsg(const fv_ctx *ctx);
fv_status fv_errcode(const fv_ctx *ctx);
void fv_clear_error(fv_ctx *ctx);

/* Threads the kernels of this context's graphs use: n >= 1, or 0 for all cores (the default). Results are
 * bit-identical for any count: work is split so that every output is summed in the same order. */
fv_status fv_ctx_set_threads(fv_ctx *ctx, int n);
int fv_ctx_threads(const fv_ctx *ctx);
/* Run the plain reference kernels (the oracle the fast ones are tested against) instead of the fast ones.
 * Off by default; FOVEA_KERNELS=ref in the environment turns it on for new contexts. */
void fv_ctx_use_reference_kernels(fv_ctx *ctx, bool on);
bool fv_ctx_reference_kernels(const fv_ctx *ctx);
/* Images whose decoding needs more than this many bytes (the decoded pixels, width x height x channels x
 * bytes per sample, plus the decoder's own whole-image buffers) are refused from their header, before any
 * pixel is allocated: a 2 MB PNG can declare 2 GB of pixels. Default FV_DEFAULT_MAX_IMAGE_BYTES (256 MiB:
 * PIL's decompression-bomb threshold for RGB, an 8-bit RGB image of about 9,400 x 9,400); the CLI's
 * --max-image-mb sets it. Loaders' threads take the value of the context that made them. */
#define FV_DEFAULT_MAX_IMAGE_BYTES ((int64_t)256 << 20)
fv_status fv_ctx_set_max_image_bytes(fv_ctx *ctx, int64_t bytes); /* bytes >= 1 */
int64_t fv_ctx_max_image_bytes(const fv_ctx *ctx);
/* Load models whose parameters hold NaN or infinity (model files, ONNX initializers). Off by default: such a
 * file is refused, naming the parameter and its first bad value; the CLI's --allow-nonfinite turns it on. */
void fv_ctx_allow_nonfinite(fv_ctx *ctx, bool on);
bool fv_ctx_nonfinite_allowed(const fv_ctx *ctx);
/* The vector instructions the fast kernels use on this CPU: "avx512", "avx2" or "portable". */
const char *fv_simd_name(void);

/* ---- random numbers ------------------------------------------------------------------------------- */

/* Counter-based generator: a value depends only on (seed, stream, index), so results do not depend on
 * the order or the thread that draws them. fv_rng_bits is splitmix64 over seed ^ mix(stream) + index. */
uint64_t fv_rng_bits(uint64_t seed, uint64_t stream, uint64_t index);
/* Uniform in [0, 1) with 24 random bits, exactly representable as a float. */
float fv_rng_uniform(uint64_t seed, uint64_t stream, uint64_t index);
/* The context's seed, and a fresh stream number for each caller that needs one. */
uint64_t fv_ctx_seed(const fv_ctx *ctx);
uint64_t fv_ctx_next_stream(fv_ctx *ctx);

/* ---- tensors ---------------------------------------------------------------------------------------- */

/* Element types. Values are stored in files: append only. FV_BOOL is one byte, 0 or 1. */
typedef enum { FV_F32 = 0, FV_I32 = 1, FV_I64 = 2, FV_BOOL = 3, FV_DTYPE_COUNT } fv_dtype;

/* A dense, row-major tensor. Images are NCHW. ndim 0 is a scalar (size 1); a dimension may be 0 only where an
 * operator allows empty tensors (fv_tensor_new wants every dimension >= 1). */
typedef struct fv_tensor {
    fv_dtype dtype;
    int ndim;
    int64_t shape[FV_MAX_DIMS];
    int64_t size;  /* product of shape */
    void *data;    /* float*, int32_t*, int64_t* or uint8_t* by dtype */
    bool owns;     /* data is freed with the tensor */
} fv_tensor;

/* A new zero-filled tensor, or NULL with an error in ctx (bad shape, too large, out of memory). */
fv_tensor *fv_tensor_new(fv_ctx *ctx, fv_dtype dtype, int ndim, const int64_t *shape);
/* A new tensor holding a copy of data (size elements of dtype). */
fv_tensor *fv_tensor_from(fv_ctx *ctx, fv_dtype dtype, int ndim, const int64_t *shape, const void *data);
void fv_tensor_free(fv_tensor *t);

static inline float *fv_f32(const fv_tensor *t) { return (float *)t->data; }
static inline int32_t *fv_i32(const fv_tensor *t) { return (int32_t *)t->data; }
static inline int64_t *fv_i64(const fv_tensor *t) { return (int64_t *)t->data; }
static inline uint8_t *fv_bool(const fv_tensor *t) { return (uint8_t *)t->data; }

/* s as a terminal may show it: s itself when it is valid UTF-8 without control characters, else a copy in buf
 * (cut to size) with newlines, tabs and returns as \n \t \r, other control bytes (ESC, C1 controls, DEL) and
 * invalid UTF-8 as \xNN. For names read from files (model, layer and class names) before printing them. */
const char *fv_printable(const char *s, char *buf, size_t size);

/* "(2,3,28,28)" into buf; returns buf. */
char *fv_shape_str(const fv_tensor *t, char *buf, size_t len);
bool fv_same_shape(const fv_tensor *a, const fv_tensor *b);
size_t fv_dtype_size(fv_dtype d);
/* "float32", "int32", "int64", "bool" ("?" for anything else). */
const char *fv_dtype_name(fv_dtype d);

#ifdef __cplusplus
}
#endif
#endif
