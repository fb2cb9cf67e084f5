/* IDX files (MNIST's format: two zero bytes, a type code, the number of dimensions, big-endian 32-bit
 * dimensions, then the data), read from a file through zlib (which reads plain and gzipped files alike) or
 * from memory, with every size checked before it is trusted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../core/internal.h"
#include "fovea/data.h"

#define IDX_UBYTE 0x08
#define FIRST_CHUNK ((int64_t)1 << 20)
#define TRAILING_COUNT_LIMIT ((int64_t)1 << 20)

/* Where the bytes come from: a zlib file, plain memory, or gzip data in memory being inflated. */
typedef struct {
    fv_ctx *ctx;
    const char *name;
    gzFile gz;
    const uint8_t *mem;
    size_t len, pos;
    z_stream zs;
    bool inflating, stream_end;
    bool cut; /* the gzip stream stopped before its end (its trailer, or more, is missing) */
} source;

/* Up to n bytes into buf; fewer only at the end of the data. -1 with an error recorded when the data
 * cannot be read (an I/O error or corrupt gzip data). */
static int64_t gz_source_read(source *s, uint8_t *buf, int64_t n)
{
    int64_t got = 0;
    while (got < n) {
        unsigned chunk = (unsigned)(n - got < (1 << 30) ? n - got : (1 << 30));
        int r = gzread(s->gz, buf + got, chunk);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(s->gz, &zerr);
            fv_error(s->ctx, FV_ERR_IO, "%s: cannot read: %s", s->name,
                     zerr == Z_ERRNO ? strerror(errno) : msg);
            return -1;
        }
        if (r == 0) {
            int zerr;
            gzerror(s->gz, &zerr);
            s->cut = zerr == Z_BUF_ERROR; /* zlib's word for input that ends inside a gzip stream */
            break;
        }
        got += r;
    }
    return got;
}

static int64_t inflate_source_read(source *s, uint8_t *buf, int64_t n)
{
    int64_t got = 0;
    while (got < n && !s->stream_end) {
        unsigned chunk = (unsigned)(n - got < (1 << 30) ? n - got : (1 << 30));
        s->zs.next_out = buf + got;
        s->zs.avail_out = chunk;
        int r = inflate(&s->zs, Z_NO_FLUSH);
        got += chunk - s->zs.avail_out;
        if (r == Z_STREAM_END) s->stream_end = true;
        else if (r == Z_BUF_ERROR && s->zs.avail_in == 0) s->stream_end = s->cut = true; /* truncated gzip data */
        else if (r != Z_OK) {
            fv_error(s->ctx, FV_ERR_FORMAT, "%s: corrupt gzip data (%s)", s->name,
                     s->zs.msg ? s->zs.msg : "zlib error");
            return -1;
        }
    }
    return got;
}

static int64_t source_read(source *s, uint8_t *buf, int64_t n)
{
    if (s->gz) return gz_source_read(s, buf, n);
    if (s->inflating) return inflate_source_read(s, buf, n);
    int64_t left = (int64_t)(s->len - s->pos), take = n < left ? n : left;
    if (take > 0) memcpy(buf, s->mem + s->pos, (size_t)take);
    s->pos += (size_t)take;
    return take;
}

static const char *type_name(int code)
{
    switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
    }
}

/* The magic number and the dimensions; the data size checked against FV_IDX_MAX_BYTES. */
static fv_status read_header(source *s, int want_ndim, fv_idx *out)
{
    uint8_t head[4 + 4 * FV_IDX_MAX_DIMS];
    int64_t got = source_read(s, head, 4);
    if (got < 0) return fv_errcode(s->ctx);
    if (got < 4) {
        return fv_error(s->ctx, FV_ERR_FORMAT, "%s is truncated: %lld bytes, shorter than an IDX header", s->name,
                        (long long)got);
    }
    if (head[0] != 0 || head[1] != 0) {
        return fv_error(s->ctx, FV_ERR_FORMAT, "%s is not an IDX file: it starts with %02x %02x %02x %02x, not "
                        "two zero bytes, a type code and a dimension count", s->name, head[0], head[1], head[2], head[3]);
    }
    if (head[2] != IDX_UBYTE) {
        return fv_error(s->ctx, FV_ERR_UNSUPPORTED, "%s: IDX type 0x%02x (%s) is not supported: fovea reads "
                        "unsigned-byte (0x08) IDX files", s->name, head[2], type_name(head[2]));
    }
    int ndim = head[3];
    if ((want_ndim > 0 && ndim != want_ndim) || ndim < 1 || ndim > FV_IDX_MAX_DIMS) {
        if (want_ndim > 0)
            return fv_error(s->ctx, FV_ERR_FORMAT, "%s has %d dimensions where %d were expected (an idx%d file)",
                            s->name, ndim, want_ndim, want_ndim);
        return fv_error(s->ctx, FV_ERR_FORMAT, "%s has %d dimensions (1 to %d supported)", s->name, ndim,
                        FV_IDX_MAX_DIMS);
    }
    got = source_read(s, head + 4, 4 * ndim);
    if (got < 0) return fv_errcode(s->ctx);
    if (got < 4 * ndim) {
        return fv_error(s->ctx, FV_ERR_FORMAT, "%s is truncated: its header stops after %lld of its %d bytes",
                        s->name, (long long)(4 + got), 4 + 4 * ndim);
    }
    for (int i = 0; i < ndim; i++) {
        const uint8_t *p = head + 4 + 4 * i;
        int64_t d = (int64_t)p[0] << 24 | (int64_t)p[1] << 16 | (int64_t)p[2] << 8 | p[3];
        if (d < 1) return fv_error(s->ctx, FV_ERR_FORMAT, "%s: dimension %d is 0", s->name, i);
        out->dims[i] = d;
    }
    out->ndim = ndim;
    int64_t bytes = fv_size_product(ndim, out->dims, FV_IDX_MAX_BYTES); /* one byte per value */
    if (bytes < 0) {
        return fv_error(s->ctx, FV_ERR_FORMAT, "%s: its header promises more than the %lld MiB limit on IDX data "
                        "(%lld items)", s->name, (long long)(FV_IDX_MAX_BYTES >> 20), (long long)out->dims[0]);
    }
    out->bytes = bytes;
    return FV_OK;
}

/* Say how much of the promised data is missing, in bytes and items. */
static fv_status truncated(source *s, const fv_idx *idx, int64_t have)
{
    int64_t item = idx->bytes / idx->dims[0];
    return fv_error(s->ctx, FV_ERR_FORMAT, "%s is truncated: %lld of the %lld data bytes its header promises are "
                    "missing (%lld of %lld items complete, %lld missing or incomplete)", s->name,
                    (long long)(idx->bytes - have), (long long)idx->bytes, (long long)(have / item),
                    (long long)idx->dims[0], (long long)(idx->dims[0] - have / item));
}

/* The data, in a buffer grown as bytes arrive so that a header promising much more than the file holds
 * costs no large allocation; then a check that nothing follows it. */
static fv_status read_data(source *s, fv_idx *idx)
{
    int64_t cap = idx->bytes < FIRST_CHUNK ? idx->bytes : FIRST_CHUNK, have = 0;
    uint8_t *buf = malloc((size_t)cap);
    for (;;) {
        if (!buf) return fv_error(s->ctx, FV_ERR_NOMEM, "%s: out of memory for %lld bytes", s->name, (long long)cap);
        idx->data = buf;
        int64_t got = source_read(s, buf + have, cap - have);
        if (got < 0) return fv_errcode(s->ctx);
        have += got;
        if (have < cap) return truncated(s, idx, have);
        if (cap == idx->bytes) break;
        cap = cap > idx->bytes / 2 ? idx->bytes : cap * 2;
        buf = realloc(buf, (size_t)cap);
    }
    uint8_t scratch[4096];
    int64_t extra = 0, got;
    while (extra < TRAILING_COUNT_LIMIT && (got = source_read(s, scratch, sizeof scratch)) > 0) extra += got;
    if (got < 0) return fv_errcode(s->ctx);
    if (s->cut) {
        return fv_error(s->ctx, FV_ERR_FORMAT, "%s is truncated: its gzip stream stops before its end (the "
                        "checksum that would vouch for the data is missing)", s->name);
    }
    if (extra > 0) {
        return fv_error(s->ctx, FV_ERR_FORMAT, "%s has %s%lld bytes after the %lld items its header promises",
                        s->name, extra >= TRAILING_COUNT_LIMIT ? "at least " : "", (long long)extra,
                        (long long)idx->dims[0]);
    }
    return FV_OK;
}

static fv_status read_idx(source *s, int ndim, fv_idx *out)
{
    memset(out, 0, sizeof *out);
    if (ndim < 0 || ndim > FV_IDX_MAX_DIMS) {
        return fv_error(s->ctx, FV_ERR_ARG, "%s: cannot expect %d IDX dimensions (0 to %d)", s->name, ndim,
                        FV_IDX_MAX_DIMS);
    }
    fv_status st = read_header(s, ndim, out);
    if (st == FV_OK) st = read_data(s, out);
    if (st != FV_OK) fv_idx_release(out);
    return st;
}

fv_status fv_idx_read(fv_ctx *ctx, const char *path, int ndim, fv_idx *out)
{
    if (!path || !out) return fv_error(ctx, FV_ERR_ARG, "fv_idx_read: NULL path or output");
    memset(out, 0, sizeof *out);
    source s = {.ctx = ctx, .name = path};
    errno = 0;
    s.gz = gzopen(path, "rb");
    if (!s.gz) {
        return fv_error(ctx, FV_ERR_IO, "cannot open %s: %s", path, errno ? strerror(errno) : "out of memory");
    }
    gzbuffer(s.gz, 1 << 17);
    fv_status st = read_idx(&s, ndim, out);
    gzclose(s.gz);
    return st;
}

fv_status fv_idx_read_mem(fv_ctx *ctx, const void *buf, size_t len, const char *name, int ndim, fv_idx *out)
{
    if (!out || (!buf && len)) return fv_error(ctx, FV_ERR_ARG, "fv_idx_read_mem: NULL buffer or output");
    memset(out, 0, sizeof *out);
    source s = {.ctx = ctx, .name = name ? name : "IDX data", .mem = buf, .len = len};
    if (len >= 2 && s.mem[0] == 0x1f && s.mem[1] == 0x8b) {
        if (inflateInit2(&s.zs, 16 + MAX_WBITS) != Z_OK)
            return fv_error(ctx, FV_ERR_NOMEM, "%s: cannot start zlib", s.name);
        s.inflating = true;
        s.zs.next_in = (Bytef *)(uintptr_t)buf; /* zlib's API is not const; it only reads the input */
        s.zs.avail_in = (uInt)(len < UINT32_MAX ? len : UINT32_MAX);
    }
    fv_status st = read_idx(&s, ndim, out);
    if (s.inflating) inflateEnd(&s.zs);
    return st;
}

void fv_idx_release(fv_idx *idx)
{
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
