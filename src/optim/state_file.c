/* Saving and restoring an optimizer's state (step counts and per-parameter buffers) in a small
 * self-describing file, written atomically (temporary file, fsync, rename) and checked completely before
 * anything is restored, so that a bad file never leaves the optimizer half loaded.
 *
 * The file functions are the in-memory ones (fv_optim_save_mem, fv_optim_load_mem) plus reading or writing the
 * whole buffer; the bytes are the same, so a model file can carry them as a blob.
 *
 * Format FVOP version 1, little-endian:
 *   "FVOP", u32 version, u32 kind (fv_optim_kind), i64 steps, u32 n_params, u32 n_state,
 *   n_state x (u8 length, buffer name)                      e.g. "exp_avg", "exp_avg_sq"
 *   n_params x (u16 length, parameter name, u8 ndim, i64 dims[ndim], i64 step, n_state x f32[size])
 *   u32 CRC-32 (zlib's crc32) of every byte before it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fovea/io.h"
#include "optim_internal.h"

#define FVOP_VERSION 1u
#define MAX_NAME 63

/* ---- writing ------------------------------------------------------------------------------------- */

/* Serializes into a buffer sized beforehand (expected_size); a write past its end marks it failed. */
typedef struct {
    unsigned char *buf;
    size_t pos, cap;
    uint32_t crc;
    bool failed;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->failed || n > w->cap - w->pos) {
        w->failed = true;
        return;
    }
    w->crc = (uint32_t)crc32_z(w->crc, p, n);
    memcpy(w->buf + w->pos, p, n);
    w->pos += n;
}

static void put_uint(writer *w, uint64_t v, int bytes)
{
    unsigned char b[8];
    for (int i = 0; i < bytes; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, (size_t)bytes);
}

static void put_floats(writer *w, const float *x, int64_t n)
{
    unsigned char buf[4096];
    while (n > 0) {
        int64_t m = n < 1024 ? n : 1024;
        for (int64_t i = 0; i < m; i++) {
            uint32_t u;
            memcpy(&u, &x[i], 4);
            for (int k = 0; k < 4; k++) buf[4 * i + k] = (unsigned char)(u >> (8 * k));
        }
        put(w, buf, (size_t)(4 * m));
        x += m, n -= m;
    }
}

static void write_state(writer *w, const fv_optimizer *opt)
{
    put(w, "FVOP", 4);
    put_uint(w, FVOP_VERSION, 4);
    put_uint(w, (uint64_t)opt->cfg.kind, 4);
    put_uint(w, (uint64_t)opt->steps, 8);
    put_uint(w, (uint64_t)opt->n_slots, 4);
    put_uint(w, (uint64_t)opt->layout.n, 4);
    for (int j = 0; j < opt->layout.n; j++) {
        size_t len = strlen(opt->layout.names[j]);
        put_uint(w, len, 1);
        put(w, opt->layout.names[j], len);
    }
    for (int k = 0; k < opt->n_slots; k++) {
        const fv_optim_slot *s = &opt->slots[k];
        size_t len = strnlen(s->p->name, MAX_NAME);
        put_uint(w, len, 2);
        put(w, s->p->name, len);
        put_uint(w, (uint64_t)s->p->value.ndim, 1);
        for (int d = 0; d < s->p->value.ndim; d++) put_uint(w, (uint64_t)s->p->value.shape[d], 8);
        put_uint(w, (uint64_t)s->step, 8);
        for (int j = 0; j < opt->layout.n; j++) put_floats(w, s->state[j], s->p->value.size);
    }
    uint32_t crc = w->crc;
    put_uint(w, crc, 4);
}


static size_t expected_size(const fv_optimizer *opt);

fv_status fv_optim_save_mem(const fv_optimizer *opt, void **buf, size_t *len)
{
    if (!opt) return FV_ERR_ARG;
    if (!buf || !len) return fv_error(opt->ctx, FV_ERR_ARG, "%s: no buffer to save the state to", fv_optim_name(opt->cfg.kind));
    size_t size = expected_size(opt);
    writer w = {.buf = malloc(size), .cap = size};
    if (!w.buf) return fv_error(opt->ctx, FV_ERR_NOMEM, "out of memory saving %s state (%zu bytes)", fv_optim_name(opt->cfg.kind), size);
    write_state(&w, opt);
    if (w.failed || w.pos != size) { /* expected_size and write_state disagree: a bug, not a user error */
        free(w.buf);
        return fv_error(opt->ctx, FV_ERR_STATE, "%s state: wrote %zu bytes, expected %zu", fv_optim_name(opt->cfg.kind), w.pos, size);
    }
    *buf = w.buf, *len = size;
    return FV_OK;
}

fv_status fv_optim_save(const fv_optimizer *opt, const char *path)
{
    if (!opt) return FV_ERR_ARG;
    if (!path || !*path) return fv_error(opt->ctx, FV_ERR_ARG, "%s: no path to save the state to", fv_optim_name(opt->cfg.kind));
    void *buf = NULL;
    size_t len = 0;
    fv_status s = fv_optim_save_mem(opt, &buf, &len);
    if (s) return s;
    int err = fv_atomic_write_bytes(path, buf, len);
    free(buf);
    if (err)
        return fv_error(opt->ctx, FV_ERR_IO, "cannot write optimizer state '%s': %s (the old file, if any, is unchanged)",
                        path, fv_write_strerror(err));
    return FV_OK;
}

/* ---- reading ------------------------------------------------------------------------------------- */

/* A cursor over the file's bytes: every read is checked against the end, and a short read reports where
 * the file ends and what was being read. */
typedef struct {
    const unsigned char *p;
    size_t n, pos;
    const char *path;
    fv_ctx *ctx;
} reader;

static fv_status need(reader *r, size_t n, const char *what, const char *param)
{
    if (n <= r->n - r->pos) return FV_OK;
    return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s' is truncated: it ends at byte %zu while reading %s%s%s%s",
                    r->path, r->n, what, param ? " of parameter '" : "", param ? param : "", param ? "'" : "");
}

static uint64_t get_uint(reader *r, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
    r->pos += (size_t)bytes;
    return v;
}

static fv_status bad(reader *r, const char *fmt_what, long long got, long long want)
{
    return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s': %s %lld, expected %lld", r->path, fmt_what, got, want);
}

static fv_status read_header(reader *r, const fv_optimizer *opt, long *steps)
{
    fv_status s;
    if ((s = need(r, 4, "the magic", NULL))) return s;
    if (memcmp(r->p, "FVOP", 4) != 0)
        return fv_error(r->ctx, FV_ERR_FORMAT, "'%s' is not a fovea optimizer state file (it does not start with FVOP)", r->path);
    r->pos = 4;
    if ((s = need(r, 4 + 4 + 8 + 4 + 4, "the header", NULL))) return s;
    uint32_t version = (uint32_t)get_uint(r, 4), kind = (uint32_t)get_uint(r, 4);
    int64_t st = (int64_t)get_uint(r, 8);
    uint32_t n_params = (uint32_t)get_uint(r, 4), n_state = (uint32_t)get_uint(r, 4);
    if (version != FVOP_VERSION) return bad(r, "format version", version, FVOP_VERSION);
    if (kind != (uint32_t)opt->cfg.kind)
        return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s' holds %s state, the optimizer is %s", r->path,
                        fv_optim_name((fv_optim_kind)kind), fv_optim_name(opt->cfg.kind));
    if (st < 0) return bad(r, "step count", st, 0);
    if (n_params != (uint32_t)opt->n_slots) return bad(r, "parameter count", n_params, opt->n_slots);
    if (n_state != (uint32_t)opt->layout.n)
        return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s' holds %u state buffer%s per parameter, this %s keeps %d "
                        "(saved with another configuration?)", r->path, n_state, n_state == 1 ? "" : "s",
                        fv_optim_name(opt->cfg.kind), opt->layout.n);
    for (int j = 0; j < opt->layout.n; j++) {
        if ((s = need(r, 1, "a state buffer name", NULL))) return s;
        size_t len = (size_t)get_uint(r, 1);
        if ((s = need(r, len, "a state buffer name", NULL))) return s;
        const char *want = opt->layout.names[j];
        if (len != strlen(want) || memcmp(r->p + r->pos, want, len) != 0)
            return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s': state buffer %d is '%.*s', expected '%s'",
                            r->path, j, (int)len, (const char *)r->p + r->pos, want);
        r->pos += len;
    }
    *steps = (long)st;
    return FV_OK;
}

/* Checks one parameter's record and returns where its buffers start (in *data). */
static fv_status read_param(reader *r, const fv_optim_slot *slot, long steps, long *step, size_t *data, int nstate)
{
    const fv_param *p = slot->p;
    fv_status s;
    if ((s = need(r, 2, "the name", p->name))) return s;
    size_t len = (size_t)get_uint(r, 2);
    if (len > MAX_NAME) return bad(r, "parameter name length", (long long)len, MAX_NAME);
    if ((s = need(r, len, "the name", p->name))) return s;
    if (len != strnlen(p->name, MAX_NAME) || memcmp(r->p + r->pos, p->name, len) != 0)
        return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s': parameter '%.*s' where the optimizer has '%s'",
                        r->path, (int)len, (const char *)r->p + r->pos, p->name);
    r->pos += len;
    if ((s = need(r, 1, "the shape", p->name))) return s;
    int ndim = (int)get_uint(r, 1);
    /* refused before its dimensions are read: the bytes checked below are those of ndim dimensions */
    if (ndim > FV_MAX_DIMS)
        return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s': parameter '%s' has %d dimensions in the file (at "
                        "most %d)", r->path, p->name, ndim, FV_MAX_DIMS);
    if ((s = need(r, 8 * (size_t)ndim + 8, "the shape", p->name))) return s;
    bool same = ndim == p->value.ndim;
    int64_t dims[FV_MAX_DIMS] = {0};
    for (int d = 0; d < ndim && d < FV_MAX_DIMS; d++) dims[d] = (int64_t)get_uint(r, 8), same &= dims[d] == p->value.shape[d];
    if (!same) {
        char want[96], got[96] = "(";
        fv_shape_str(&p->value, want, sizeof want);
        for (int d = 0; d < ndim && d < FV_MAX_DIMS; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "," : "", (long long)dims[d]);
        snprintf(got + strlen(got), sizeof got - strlen(got), ")");
        return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s': parameter '%s' has shape %s in the file, %s in the optimizer",
                        r->path, p->name, got, want);
    }
    int64_t st = (int64_t)get_uint(r, 8);
    if (st < 0 || st > steps) return fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s': parameter '%s' has step %lld, outside 0..%ld",
                                              r->path, p->name, (long long)st, steps);
    size_t bytes = (size_t)nstate * 4 * (size_t)p->value.size;
    if ((s = need(r, bytes, "the state buffers", p->name))) return s;
    *step = (long)st;
    *data = r->pos;
    r->pos += bytes;
    return FV_OK;
}

static void get_floats(const unsigned char *b, float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++, b += 4) {
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&x[i], &u, 4);
    }
}

/* Everything is checked (structure, then checksum) before the first byte of the optimizer changes. */
static fv_status parse_and_commit(reader *r, fv_optimizer *opt)
{
    long steps = 0;
    fv_status s = read_header(r, opt, &steps);
    if (s) return s;
    long *step = calloc((size_t)opt->n_slots + 1, sizeof *step);
    size_t *data = calloc((size_t)opt->n_slots + 1, sizeof *data);
    if (!step || !data) s = fv_error(r->ctx, FV_ERR_NOMEM, "out of memory reading optimizer state '%s'", r->path);
    for (int k = 0; !s && k < opt->n_slots; k++) s = read_param(r, &opt->slots[k], steps, &step[k], &data[k], opt->layout.n);
    if (!s && (s = need(r, 4, "the checksum", NULL)) == FV_OK && r->n - r->pos != 4)
        s = bad(r, "trailing bytes after the last parameter:", (long long)(r->n - r->pos - 4), 0);
    if (!s) {
        uint32_t want = (uint32_t)crc32_z(0, r->p, r->pos), got = (uint32_t)get_uint(r, 4);
        if (got != want)
            s = fv_error(r->ctx, FV_ERR_FORMAT, "optimizer state '%s' is corrupt: checksum %08x, computed %08x", r->path, got, want);
    }
    for (int k = 0; !s && k < opt->n_slots; k++) {
        fv_optim_slot *sl = &opt->slots[k];
        sl->step = step[k];
        for (int j = 0; j < opt->layout.n; j++)
            get_floats(r->p + data[k] + (size_t)j * 4 * (size_t)sl->p->value.size, sl->state[j], sl->p->value.size);
    }
    if (!s) opt->steps = steps;
    free(step);
    free(data);
    return s;
}

/* The exact size of this optimizer's state file (names and shapes must match, so it is known); files
 * larger than that plus some slack are refused before being read. */
static size_t expected_size(const fv_optimizer *opt)
{
    size_t n = 4 + 4 + 4 + 8 + 4 + 4 + 4;
    for (int j = 0; j < opt->layout.n; j++) n += 1 + strlen(opt->layout.names[j]);
    for (int k = 0; k < opt->n_slots; k++) {
        const fv_param *p = opt->slots[k].p;
        n += 2 + strnlen(p->name, MAX_NAME) + 1 + 8 * (size_t)p->value.ndim + 8 + (size_t)opt->layout.n * 4 * (size_t)p->value.size;
    }
    return n;
}

static fv_status read_all(fv_ctx *ctx, const char *path, size_t limit, unsigned char **buf, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return fv_error(ctx, FV_ERR_IO, "cannot open optimizer state '%s': %s", path, strerror(errno));
    fv_status s = FV_OK;
    long size = -1;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        s = fv_error(ctx, FV_ERR_IO, "cannot read optimizer state '%s': %s", path, strerror(errno));
    else if ((size_t)size > limit)
        s = fv_error(ctx, FV_ERR_FORMAT, "optimizer state '%s' has %ld bytes, more than this optimizer's state (%zu bytes)",
                     path, size, limit);
    else if (!(*buf = malloc((size_t)size + 1)))
        s = fv_error(ctx, FV_ERR_NOMEM, "out of memory reading optimizer state '%s' (%ld bytes)", path, size);
    else if (fread(*buf, 1, (size_t)size, f) != (size_t)size)
        s = fv_error(ctx, FV_ERR_IO, "cannot read optimizer state '%s': short read", path);
    *n = (size_t)(size > 0 ? size : 0);
    fclose(f);
    return s;
}

fv_status fv_optim_load_mem(fv_optimizer *opt, const void *buf, size_t len, const char *what)
{
    if (!opt) return FV_ERR_ARG;
    if (!what) what = "(memory)";
    if (!buf && len) return fv_error(opt->ctx, FV_ERR_ARG, "optimizer state '%s': no bytes to read", what);
    size_t limit = expected_size(opt) + 4096;
    reader r = {buf ? buf : (const unsigned char *)"", len, 0, what, opt->ctx};
    long steps;
    /* State of another optimizer (Adam's where SGD resumes) is usually larger: its header says so in words. */
    if (len > limit && read_header(&r, opt, &steps) != FV_OK) return fv_errcode(opt->ctx);
    if (len > limit)
        return fv_error(opt->ctx, FV_ERR_FORMAT, "optimizer state '%s' has %zu bytes, more than this optimizer's state (%zu bytes)",
                        what, len, limit);
    r.pos = 0;
    return parse_and_commit(&r, opt);
}

fv_status fv_optim_load(fv_optimizer *opt, const char *path)
{
    if (!opt) return FV_ERR_ARG;
    if (!path || !*path) return fv_error(opt->ctx, FV_ERR_ARG, "%s: no path to load the state from", fv_optim_name(opt->cfg.kind));
    unsigned char *buf = NULL;
    size_t n = 0;
    fv_status s = read_all(opt->ctx, path, expected_size(opt) + 4096, &buf, &n);
    if (!s) s = fv_optim_load_mem(opt, buf, n, path);
    free(buf);
    return s;
}
