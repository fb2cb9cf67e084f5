/* NumPy .npy files: a strict, bounded reader (versions 1-3; the header is a Python dict literal parsed by a
 * small grammar, never evaluated) from a file or memory, and an atomic writer of float32 and int32 arrays.
 * Values are decoded from little-endian bytes explicitly, so the code does not depend on the host's order. */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/internal.h"
#include "fovea/io.h"

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define CHUNK_BYTES (1 << 16) /* a multiple of every item size */

typedef enum { NPY_F4, NPY_F8, NPY_I4, NPY_I8, NPY_U1, NPY_B1 } npy_kind;

static const struct {
    const char *descr;
    npy_kind kind;
    int itemsize;
    fv_dtype dtype;
} DESCRS[] = {
    {"<f4", NPY_F4, 4, FV_F32}, {"<f8", NPY_F8, 8, FV_F32}, {"<i4", NPY_I4, 4, FV_I32},
    {"<i8", NPY_I8, 8, FV_I32}, {"|u1", NPY_U1, 1, FV_I32}, {"|b1", NPY_B1, 1, FV_I32},
};

/* What the preamble and header say. */
typedef struct {
    char descr[16];
    npy_kind kind;
    int itemsize;
    fv_dtype dtype;
    bool fortran;
    int ndim;
    int64_t shape[FV_MAX_DIMS];
    int64_t count;
    size_t data_offset;
    int64_t data_bytes;
} npy_info;

/* ---- the header grammar ------------------------------------------------------------------------------ */

typedef struct {
    fv_ctx *ctx;
    const char *name;
    const char *s;
    size_t n, i;
} cursor;

/* An error naming the position and showing the header (non-printable characters as '?'). */
static fv_status header_error(cursor *c, const char *what)
{
    char shown[81];
    size_t k = 0;
    for (; k < c->n && k < sizeof shown - 1; k++) shown[k] = c->s[k] >= 0x20 && c->s[k] < 0x7f ? c->s[k] : '?';
    shown[k] = '\0';
    return fv_error(c->ctx, FV_ERR_FORMAT, "%s: bad .npy header at character %zu: %s (header: \"%s%s\")", c->name,
                    c->i, what, shown, c->n > k ? "..." : "");
}

static int peek(const cursor *c) { return c->i < c->n ? (unsigned char)c->s[c->i] : -1; }

static void skip_spaces(cursor *c)
{
    while (peek(c) == ' ') c->i++;
}

static fv_status expect(cursor *c, char ch, const char *what)
{
    skip_spaces(c);
    if (peek(c) != ch) return header_error(c, what);
    c->i++;
    return FV_OK;
}

/* A quoted string without escapes, of printable ASCII, shorter than cap. */
static fv_status parse_string(cursor *c, char *out, size_t cap)
{
    skip_spaces(c);
    int q = peek(c);
    if (q != '\'' && q != '"') return header_error(c, "expected a quoted string");
    c->i++;
    size_t len = 0;
    for (;;) {
        int ch = peek(c);
        if (ch == q) break;
        if (ch < 0x20 || ch >= 0x7f || ch == '\\') return header_error(c, "unterminated or unusual string");
        if (len + 1 >= cap) return header_error(c, "string too long");
        out[len++] = (char)ch;
        c->i++;
    }
    c->i++;
    out[len] = '\0';
    return FV_OK;
}

static fv_status parse_bool(cursor *c, bool *out)
{
    skip_spaces(c);
    const char *rest = c->s + c->i;
    size_t left = c->n - c->i;
    if (left >= 4 && memcmp(rest, "True", 4) == 0) *out = true, c->i += 4;
    else if (left >= 5 && memcmp(rest, "False", 5) == 0) *out = false, c->i += 5;
    else return header_error(c, "expected True or False");
    int next = peek(c);
    if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') || next == '_')
        return header_error(c, "expected True or False");
    return FV_OK;
}

/* A non-negative decimal integer as Python writes it (no sign, no leading zero; Python 2's L suffix). */
static fv_status parse_int(cursor *c, int64_t *out)
{
    skip_spaces(c);
    size_t start = c->i;
    int64_t v = 0;
    while (peek(c) >= '0' && peek(c) <= '9') {
        if (c->i - start >= 18) return header_error(c, "dimension too large");
        v = v * 10 + (peek(c) - '0');
        c->i++;
    }
    if (c->i == start) return header_error(c, "expected a dimension");
    if (c->i - start > 1 && c->s[start] == '0') return header_error(c, "dimension with a leading zero");
    if (peek(c) == 'L') c->i++;
    *out = v;
    return FV_OK;
}

/* A tuple of dimensions: (), (n,), (n, m), (n, m,) ... */
static fv_status parse_shape(cursor *c, npy_info *info)
{
    fv_status s = expect(c, '(', "expected the shape as a tuple");
    if (s) return s;
    info->ndim = 0;
    skip_spaces(c);
    if (peek(c) == ')') {
        c->i++;
        return FV_OK;
    }
    for (;;) {
        if (info->ndim == FV_MAX_DIMS) {
            return fv_error(c->ctx, FV_ERR_UNSUPPORTED, "%s: the array has more than %d dimensions", c->name,
                            FV_MAX_DIMS);
        }
        if ((s = parse_int(c, &info->shape[info->ndim]))) return s;
        info->ndim++;
        skip_spaces(c);
        if (peek(c) == ')') {
            if (info->ndim == 1) return header_error(c, "a 1-element shape must be written (n,)");
            c->i++;
            return FV_OK;
        }
        if ((s = expect(c, ',', "expected ',' or ')' in the shape"))) return s;
        skip_spaces(c);
        if (peek(c) == ')') {
            c->i++;
            return FV_OK;
        }
    }
}

static fv_status parse_descr(cursor *c, npy_info *info)
{
    skip_spaces(c);
    if (peek(c) == '[') {
        return fv_error(c->ctx, FV_ERR_UNSUPPORTED, "%s: structured arrays (a list as 'descr') are not supported",
                        c->name);
    }
    fv_status s = parse_string(c, info->descr, sizeof info->descr);
    if (s) return s;
    for (size_t k = 0; k < sizeof DESCRS / sizeof DESCRS[0]; k++) {
        if (strcmp(info->descr, DESCRS[k].descr) == 0) {
            info->kind = DESCRS[k].kind;
            info->itemsize = DESCRS[k].itemsize;
            info->dtype = DESCRS[k].dtype;
            return FV_OK;
        }
    }
    return fv_error(c->ctx, FV_ERR_UNSUPPORTED, "%s: %sdtype '%s' is not supported (fovea reads <f4, <f8, <i4, <i8, "
                    "|u1 and |b1)", c->name, info->descr[0] == '>' ? "big-endian " : "", info->descr);
}

/* One key and its value; each of the three keys exactly once. */
static fv_status parse_entry(cursor *c, npy_info *info, unsigned *seen)
{
    static const char *const keys[3] = {"descr", "fortran_order", "shape"};
    char key[32];
    fv_status s = parse_string(c, key, sizeof key);
    if (s) return s;
    int k = 0;
    while (k < 3 && strcmp(key, keys[k]) != 0) k++;
    if (k == 3) return header_error(c, "unknown key (expected 'descr', 'fortran_order' and 'shape')");
    if (*seen & (1u << k)) return header_error(c, "repeated key");
    *seen |= 1u << k;
    if ((s = expect(c, ':', "expected ':' after the key"))) return s;
    if (k == 0) return parse_descr(c, info);
    if (k == 1) return parse_bool(c, &info->fortran);
    return parse_shape(c, info);
}

/* {'descr': ..., 'fortran_order': ..., 'shape': (...), } then spaces and a final newline. */
static fv_status parse_header(cursor *c, npy_info *info)
{
    unsigned seen = 0;
    fv_status s = expect(c, '{', "expected '{'");
    while (!s) {
        skip_spaces(c);
        if (peek(c) == '}') break;
        if ((s = parse_entry(c, info, &seen))) break;
        skip_spaces(c);
        if (peek(c) == ',') c->i++;
        else if (peek(c) != '}') s = header_error(c, "expected ',' or '}'");
    }
    if (s) return s;
    c->i++;
    skip_spaces(c);
    if (c->i + 1 != c->n || c->s[c->i] != '\n') return header_error(c, "expected spaces and a newline after '}'");
    if (seen != 7) {
        c->i = 0;
        return header_error(c, "'descr', 'fortran_order' and 'shape' are all required");
    }
    return FV_OK;
}

/* ---- the preamble and sizes -------------------------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Parse the magic, version and header from the first avail bytes of a file of total bytes. */
static fv_status parse_prefix(fv_ctx *ctx, const char *name, const uint8_t *p, size_t avail, int64_t total,
                              npy_info *info)
{
    memset(info, 0, sizeof *info);
    if (avail < 10 || memcmp(p, MAGIC, MAGIC_LEN) != 0) {
        if (avail >= MAGIC_LEN && memcmp(p, MAGIC, MAGIC_LEN) != 0)
            return fv_error(ctx, FV_ERR_FORMAT, "%s is not a .npy file (it does not start with \\x93NUMPY)", name);
        return fv_error(ctx, FV_ERR_FORMAT, "%s is truncated: %zu bytes, shorter than a .npy preamble", name, avail);
    }
    int major = p[6];
    if (major < 1 || major > 3)
        return fv_error(ctx, FV_ERR_UNSUPPORTED, "%s: .npy format version %d.%d is not supported (1 to 3)", name,
                        major, p[7]);
    size_t off = major == 1 ? 10 : 12;
    if (avail < off) return fv_error(ctx, FV_ERR_FORMAT, "%s is truncated inside its .npy preamble", name);
    uint32_t hlen = major == 1 ? (uint32_t)p[8] | (uint32_t)p[9] << 8 : le32(p + 8);
    if (hlen > FV_NPY_MAX_HEADER)
        return fv_error(ctx, FV_ERR_FORMAT, "%s: .npy header of %u bytes (at most %d read)", name, hlen,
                        FV_NPY_MAX_HEADER);
    if (avail < off + hlen)
        return fv_error(ctx, FV_ERR_FORMAT, "%s is truncated: its %u-byte .npy header stops after %zu bytes", name,
                        hlen, avail - off);
    cursor c = {ctx, name, (const char *)p + off, hlen, 0};
    fv_status s = parse_header(&c, info);
    if (s) return s;
    if (info->fortran)
        return fv_error(ctx, FV_ERR_UNSUPPORTED, "%s: Fortran-order arrays are not supported (save "
                        "numpy.ascontiguousarray(a) instead)", name);
    info->count = fv_shape_check(ctx, name, info->dtype, info->ndim, info->shape);
    if (info->count < 0) return fv_errcode(ctx);
    info->data_offset = off + hlen;
    if (!fv_size_mul(info->count, info->itemsize, FV_MAX_TENSOR_BYTES, &info->data_bytes))
        return fv_error(ctx, FV_ERR_FORMAT, "%s: %lld values of %lld bytes are more than the tensor limit", name,
                        (long long)info->count, (long long)info->itemsize);
    int64_t have = total - (int64_t)info->data_offset;
    if (have < info->data_bytes)
        return fv_error(ctx, FV_ERR_FORMAT, "%s is truncated: its header promises %lld '%s' values (%lld bytes) but "
                        "%lld bytes are missing", name, (long long)info->count, info->descr,
                        (long long)info->data_bytes, (long long)(info->data_bytes - have));
    if (have > info->data_bytes)
        return fv_error(ctx, FV_ERR_FORMAT, "%s has %lld bytes after the %lld data bytes its header promises", name,
                        (long long)(have - info->data_bytes), (long long)info->data_bytes);
    return FV_OK;
}

/* ---- values ----------------------------------------------------------------------------------------------- */

/* Elements [first, first + count) of the array from their bytes src into t. */
static fv_status decode(fv_ctx *ctx, const char *name, const npy_info *info, const uint8_t *src, int64_t first,
                        int64_t count, fv_tensor *t)
{
    float *f = t->dtype == FV_F32 ? fv_f32(t) + first : NULL;
    int32_t *v = t->dtype == FV_I32 ? fv_i32(t) + first : NULL;
    for (int64_t i = 0; i < count; i++) {
        const uint8_t *p = src + i * info->itemsize;
        switch (info->kind) {
        case NPY_F4: {
            uint32_t bits = le32(p);
            memcpy(&f[i], &bits, sizeof bits);
            break;
        }
        case NPY_F8: {
            uint64_t bits = le64(p);
            double d;
            memcpy(&d, &bits, sizeof d);
            /* out of float range is undefined behaviour in C: saturate to infinity as IEEE rounding would */
            f[i] = fabs(d) > FLT_MAX && !isinf(d) ? (d > 0 ? INFINITY : -INFINITY) : (float)d;
            break;
        }
        case NPY_I4: v[i] = (int32_t)le32(p); break;
        case NPY_I8: {
            int64_t x = (int64_t)le64(p);
            if (x < INT32_MIN || x > INT32_MAX)
                return fv_error(ctx, FV_ERR_FORMAT, "%s: element %lld is %lld, outside the int32 range", name,
                                (long long)(first + i), (long long)x);
            v[i] = (int32_t)x;
            break;
        }
        case NPY_U1: v[i] = p[0]; break;
        case NPY_B1: v[i] = p[0] != 0; break;
        }
    }
    return FV_OK;
}

static fv_tensor *new_tensor(fv_ctx *ctx, const npy_info *info)
{
    return fv_tensor_new(ctx, info->dtype, info->ndim, info->shape);
}

fv_tensor *fv_npy_read_mem(fv_ctx *ctx, const void *buf, size_t len, const char *name)
{
    name = name ? name : ".npy data";
    if (!buf && len) {
        fv_error(ctx, FV_ERR_ARG, "%s: NULL buffer", name);
        return NULL;
    }
    npy_info info;
    if (parse_prefix(ctx, name, buf, len, (int64_t)len, &info) != FV_OK) return NULL;
    fv_tensor *t = new_tensor(ctx, &info);
    if (t && decode(ctx, name, &info, (const uint8_t *)buf + info.data_offset, 0, info.count, t) != FV_OK) {
        fv_tensor_free(t);
        return NULL;
    }
    return t;
}

/* The data of an open file, after its header, in chunks. */
static fv_status read_values(fv_ctx *ctx, const char *name, FILE *f, const npy_info *info, fv_tensor *t)
{
    if (fseek(f, (long)info->data_offset, SEEK_SET) != 0)
        return fv_error(ctx, FV_ERR_IO, "%s: cannot seek: %s", name, strerror(errno));
    uint8_t *chunk = malloc(CHUNK_BYTES);
    if (!chunk) return fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory", name);
    int64_t per_chunk = CHUNK_BYTES / info->itemsize;
    fv_status s = FV_OK;
    for (int64_t first = 0; !s && first < info->count; first += per_chunk) {
        int64_t n = info->count - first < per_chunk ? info->count - first : per_chunk;
        if (fread(chunk, (size_t)info->itemsize, (size_t)n, f) != (size_t)n)
            s = fv_error(ctx, FV_ERR_IO, "%s: read failed after %lld values (%s)", name, (long long)first,
                         ferror(f) ? strerror(errno) : "the file shrank");
        else s = decode(ctx, name, info, chunk, first, n, t);
    }
    free(chunk);
    return s;
}

fv_tensor *fv_npy_read(fv_ctx *ctx, const char *path)
{
    if (!path) {
        fv_error(ctx, FV_ERR_ARG, "fv_npy_read: NULL path");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fv_error(ctx, FV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    uint8_t *head = NULL;
    fv_tensor *t = NULL;
    npy_info info;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fv_error(ctx, FV_ERR_IO, "%s is not a regular file", path);
    } else {
        size_t want = (size_t)(sb.st_size < 12 + FV_NPY_MAX_HEADER ? sb.st_size : 12 + FV_NPY_MAX_HEADER);
        head = malloc(want ? want : 1);
        size_t got = head ? fread(head, 1, want, f) : 0;
        if (!head) fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory", path);
        else if (got != want) fv_error(ctx, FV_ERR_IO, "%s: read failed: %s", path, strerror(errno));
        else if (parse_prefix(ctx, path, head, got, (int64_t)sb.st_size, &info) == FV_OK &&
                 (t = new_tensor(ctx, &info)) && read_values(ctx, path, f, &info, t) != FV_OK) {
            fv_tensor_free(t);
            t = NULL;
        }
    }
    free(head);
    fclose(f);
    return t;
}

/* ---- writing ------------------------------------------------------------------------------------------------ */

/* The header dict as NumPy writes it, padded with spaces so that the data starts at a multiple of 64. */
static size_t format_header(const fv_tensor *t, char *out, size_t cap)
{
    char dims[FV_MAX_DIMS * 24 + 4] = "";
    size_t used = 0;
    for (int i = 0; i < t->ndim; i++)
        used += (size_t)snprintf(dims + used, sizeof dims - used, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (t->ndim == 1) snprintf(dims + used, sizeof dims - used, ",");
    int len = snprintf(out, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                       t->dtype == FV_F32 ? "<f4" : "<i4", dims);
    size_t total = 10 + (size_t)len + 1, padded = (total + 63) / 64 * 64;
    memset(out + len, ' ', padded - total);
    out[padded - 10 - 1] = '\n';
    return padded - 10;
}

static int write_all(FILE *f, const fv_tensor *t)
{
    char header[FV_MAX_DIMS * 24 + 256];
    size_t hlen = format_header(t, header, sizeof header);
    uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)(hlen & 0xff), (uint8_t)(hlen >> 8)};
    if (fwrite(pre, 1, sizeof pre, f) != sizeof pre || fwrite(header, 1, hlen, f) != hlen) return errno ? errno : EIO;
    uint8_t chunk[CHUNK_BYTES];
    const uint32_t *v = t->data; /* float and int32 alike: 4 bytes each, written as their bits */
    for (int64_t first = 0; first < t->size; first += CHUNK_BYTES / 4) {
        int64_t n = t->size - first < CHUNK_BYTES / 4 ? t->size - first : CHUNK_BYTES / 4;
        for (int64_t i = 0; i < n; i++) {
            uint32_t x = v[first + i];
            chunk[4 * i] = (uint8_t)x, chunk[4 * i + 1] = (uint8_t)(x >> 8);
            chunk[4 * i + 2] = (uint8_t)(x >> 16), chunk[4 * i + 3] = (uint8_t)(x >> 24);
        }
        if (fwrite(chunk, 4, (size_t)n, f) != (size_t)n) return errno ? errno : EIO;
    }
    return 0;
}

static int fill_npy(FILE *f, void *arg)
{
    return write_all(f, arg);
}

fv_status fv_npy_write(fv_ctx *ctx, const char *path, const fv_tensor *t)
{
    if (!path || !t || (!t->data && t->size)) return fv_error(ctx, FV_ERR_ARG, "fv_npy_write: NULL path or tensor");
    if (t->dtype != FV_F32 && t->dtype != FV_I32)
        return fv_error(ctx, FV_ERR_ARG, "%s: cannot write a tensor of dtype %d", path, (int)t->dtype);
    int64_t size = fv_shape_check(ctx, path, t->dtype, t->ndim, t->shape);
    if (size < 0) return fv_errcode(ctx);
    if (size != t->size) return fv_error(ctx, FV_ERR_ARG, "%s: the tensor's size does not match its shape", path);
    int err = fv_atomic_write(path, fill_npy, (void *)t);
    if (err) return fv_error(ctx, FV_ERR_IO, "cannot write %s: %s (the old file, if any, is unchanged)", path, fv_write_strerror(err));
    return FV_OK;
}
