/* Writing model files: the layout is planned first (each section measured and checksummed in order), then
 * the bytes are streamed to a temporary file that replaces the target only once complete and on disk, or
 * into a memory buffer. Layout in docs/FORMAT.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fovea/io.h"
#include "model_file_internal.h"

/* Where emitted bytes go: a file, a buffer the plan has sized, or nowhere (measuring). */
typedef struct {
    FILE *f;
    unsigned char *mem;
    uint64_t pos;  /* bytes emitted so far */
    uint32_t crc;  /* CRC-32 of the bytes emitted while crc_on */
    bool crc_on;
    int err;       /* errno of the first failed write */
} sink;

static void emit(sink *s, const void *p, size_t n)
{
    if (n == 0) return;
    if (s->crc_on) s->crc = (uint32_t)crc32_z(s->crc, p, n);
    if (s->f && !s->err && fwrite(p, 1, n, s->f) != n) s->err = errno ? errno : EIO;
    if (s->mem) memcpy(s->mem + s->pos, p, n);
    s->pos += n;
}

static void emit_le(sink *s, uint64_t v, int bytes)
{
    unsigned char b[8];
    mf_put_le(b, v, bytes);
    emit(s, b, (size_t)bytes);
}

static void emit_zeros(sink *s, uint64_t n)
{
    static const unsigned char zeros[MF_DATA_ALIGN];
    while (n > 0) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        emit(s, zeros, k);
        n -= k;
    }
}

static void emit_name(sink *s, const char *name)
{
    size_t n = strlen(name);
    emit_le(s, n, 2);
    emit(s, name, n);
}

/* 4-byte words in little-endian order whatever the host's. */
static void emit_words(sink *s, const void *data, size_t bytes)
{
    if (mf_host_is_le() || (!s->f && !s->mem && !s->crc_on)) {
        emit(s, data, bytes);
        return;
    }
    unsigned char buf[4096];
    const unsigned char *p = data;
    while (bytes > 0) {
        size_t k = bytes < sizeof buf ? bytes : sizeof buf;
        for (size_t i = 0; i < k; i += 4)
            for (int b = 0; b < 4; b++) buf[i + (size_t)b] = p[i + 3 - (size_t)b];
        emit(s, buf, k);
        p += k, bytes -= k;
    }
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

static uint64_t tensor_bytes(const fv_tensor *t) { return (uint64_t)t->size * fv_dtype_size(t->dtype); }

/* ---- sections ---------------------------------------------------------------------------------------- */

typedef struct plan plan;
typedef void (*emit_fn)(sink *s, const fv_modelfile *mf, const plan *p);

typedef struct {
    uint32_t tag;
    uint64_t off, len;
    uint32_t crc;
    emit_fn fn;
} planned;

struct plan {
    planned sec[6];
    int n;
    uint64_t tdat_off; /* where tensor data starts (64-aligned) */
    uint64_t size;     /* of the whole file */
};

static void emit_desc(sink *s, const fv_modelfile *mf, const plan *p)
{
    const char *d = fv_modelfile_description(mf);
    emit(s, d, strlen(d));
}

static void emit_meta(sink *s, const fv_modelfile *mf, const plan *p)
{
    emit_le(s, (uint64_t)mf->n_meta, 4);
    for (int i = 0; i < mf->n_meta; i++) {
        size_t n = strlen(mf->meta[i].value);
        emit_name(s, mf->meta[i].key);
        emit_le(s, n, 4);
        emit(s, mf->meta[i].value, n);
    }
}

static void emit_tpos(sink *s, const fv_modelfile *mf, const plan *p)
{
    emit_le(s, (uint64_t)mf->n_pos, 4);
    for (int i = 0; i < mf->n_pos; i++) {
        const mf_pos *f = &mf->pos[i];
        emit_name(s, f->name);
        emit_le(s, (uint64_t)f->type, 1);
        uint64_t bits = (uint64_t)f->i;
        if (f->type == FV_POS_REAL) memcpy(&bits, &f->r, 8);
        emit_le(s, bits, 8);
    }
}

static void emit_blob(sink *s, const fv_modelfile *mf, const plan *p)
{
    emit_le(s, (uint64_t)mf->n_blobs, 4);
    for (int i = 0; i < mf->n_blobs; i++) {
        emit_name(s, mf->blobs[i].name);
        emit_le(s, mf->blobs[i].len, 8);
        emit(s, mf->blobs[i].data, mf->blobs[i].len);
    }
}

/* Tensors one after another, each at the next multiple of 64 bytes from the (64-aligned) section start. */
static void emit_tdat(sink *s, const fv_modelfile *mf, const plan *p)
{
    uint64_t base = s->pos;
    for (int i = 0; i < mf->n_tensors; i++) {
        const fv_tensor *t = &mf->tensors[i].t;
        emit_zeros(s, align_up(s->pos - base, MF_DATA_ALIGN) - (s->pos - base));
        emit_words(s, t->data, (size_t)tensor_bytes(t));
    }
}

static void emit_tidx(sink *s, const fv_modelfile *mf, const plan *p)
{
    emit_le(s, (uint64_t)mf->n_tensors, 4);
    uint64_t rel = 0;
    for (int i = 0; i < mf->n_tensors; i++) {
        const fv_tensor *t = &mf->tensors[i].t;
        rel = align_up(rel, MF_DATA_ALIGN);
        emit_name(s, mf->tensors[i].name);
        emit_le(s, (uint64_t)t->dtype, 1);
        emit_le(s, (uint64_t)t->ndim, 1);
        for (int d = 0; d < t->ndim; d++) emit_le(s, (uint64_t)t->shape[d], 8);
        emit_le(s, p->tdat_off + rel, 8);
        emit_le(s, tensor_bytes(t), 8);
        rel += tensor_bytes(t);
    }
}

/* Lays the sections out in file order, then checksums each one. The index comes before the data (so that a
 * file cut inside the data can still say which tensor is missing) and names the data's offsets, so lengths
 * are measured first (without touching the data), offsets assigned, and only then the CRCs computed. */
static void make_plan(const fv_modelfile *mf, plan *p)
{
    static const struct {
        uint32_t tag;
        emit_fn fn;
    } order[] = {{MF_TAG_DESC, emit_desc}, {MF_TAG_META, emit_meta}, {MF_TAG_TPOS, emit_tpos},
                 {MF_TAG_TIDX, emit_tidx}, {MF_TAG_TDAT, emit_tdat}, {MF_TAG_BLOB, emit_blob}};
    memset(p, 0, sizeof *p);
    for (int k = 0; k < 6; k++) /* the optional sections only when they hold something */
        if (!((order[k].tag == MF_TAG_TPOS && !mf->n_pos) || (order[k].tag == MF_TAG_BLOB && !mf->n_blobs)))
            p->sec[p->n].tag = order[k].tag, p->sec[p->n++].fn = order[k].fn;
    uint64_t pos = MF_HEADER_SIZE + MF_ENTRY_SIZE * (uint64_t)p->n;
    for (int k = 0; k < p->n; k++) {
        planned *sec = &p->sec[k];
        sink m = {0};
        sec->fn(&m, mf, p);
        pos = align_up(pos, sec->tag == MF_TAG_TDAT ? MF_DATA_ALIGN : MF_SECTION_ALIGN);
        if (sec->tag == MF_TAG_TDAT) p->tdat_off = pos;
        sec->off = pos, sec->len = m.pos;
        pos += m.pos;
    }
    p->size = pos + MF_TRAILER_SIZE;
    for (int k = 0; k < p->n; k++) {
        sink m = {.crc_on = true};
        p->sec[k].fn(&m, mf, p);
        p->sec[k].crc = m.crc;
    }
}

/* Header and section table (docs/FORMAT.md), with their checksums. */
static void header_bytes(const plan *p, unsigned char *h)
{
    unsigned char *table = h + MF_HEADER_SIZE;
    for (int k = 0; k < p->n; k++) {
        unsigned char *e = table + MF_ENTRY_SIZE * k;
        mf_put_le(e, p->sec[k].tag, 4);
        mf_put_le(e + 4, 0, 4);
        mf_put_le(e + 8, p->sec[k].off, 8);
        mf_put_le(e + 16, p->sec[k].len, 8);
        mf_put_le(e + 24, p->sec[k].crc, 4);
        mf_put_le(e + 28, 0, 4);
    }
    memcpy(h, "FVMD", 4);
    mf_put_le(h + 4, FV_MODELFILE_VERSION_MAJOR, 4);
    mf_put_le(h + 8, FV_MODELFILE_VERSION_MINOR, 4);
    mf_put_le(h + 12, (uint64_t)p->n, 4);
    mf_put_le(h + 16, p->size, 8);
    mf_put_le(h + 24, crc32_z(0, table, MF_ENTRY_SIZE * (size_t)p->n), 4);
    mf_put_le(h + 28, crc32_z(0, h, 28), 4);
}

/* The whole file. Section bytes are not checksummed a second time: their CRCs, known from the plan, are
 * combined into the file's running CRC. */
static void emit_file(sink *s, const fv_modelfile *mf, const plan *p)
{
    unsigned char h[MF_HEADER_SIZE + MF_ENTRY_SIZE * 6];
    header_bytes(p, h);
    s->crc_on = true;
    emit(s, h, MF_HEADER_SIZE + MF_ENTRY_SIZE * (size_t)p->n);
    for (int k = 0; k < p->n; k++) {
        emit_zeros(s, p->sec[k].off - s->pos);
        s->crc_on = false;
        p->sec[k].fn(s, mf, p);
        s->crc = (uint32_t)crc32_combine(s->crc, p->sec[k].crc, (z_off_t)p->sec[k].len);
        s->crc_on = true;
    }
    uint32_t crc = s->crc;
    emit_le(s, crc, 4);
    emit(s, "DMVF", 4);
}

fv_status fv_modelfile_save_mem(fv_ctx *ctx, const fv_modelfile *mf, void **buf, size_t *len)
{
    if (!mf || !buf || !len) return fv_error(ctx, FV_ERR_ARG, "model file: save_mem needs a model file, buf and len");
    plan p;
    make_plan(mf, &p);
    if (p.size > SIZE_MAX) return fv_error(ctx, FV_ERR_NOMEM, "model file: %llu bytes do not fit in memory", (unsigned long long)p.size);
    sink s = {.mem = malloc((size_t)p.size)};
    if (!s.mem) return fv_error(ctx, FV_ERR_NOMEM, "model file: out of memory for %llu bytes", (unsigned long long)p.size);
    emit_file(&s, mf, &p);
    *buf = s.mem, *len = (size_t)p.size;
    return FV_OK;
}

/* ---- atomic save (atomic_file.c) ---------------------------------------------------------------------------- */

typedef struct {
    const fv_modelfile *mf;
    const plan *p;
} save_job;

static int fill_model_file(FILE *f, void *arg)
{
    const save_job *job = arg;
    sink s = {.f = f};
    emit_file(&s, job->mf, job->p);
    if (!s.err && s.pos != job->p->size) return EIO; /* a plan that does not match what was written */
    return s.err;
}

fv_status fv_modelfile_save(fv_ctx *ctx, const fv_modelfile *mf, const char *path)
{
    if (!mf) return fv_error(ctx, FV_ERR_ARG, "model file: nothing to save");
    if (!path || !*path) return fv_error(ctx, FV_ERR_ARG, "model file: no path to save to");
    plan p;
    make_plan(mf, &p);
    save_job job = {mf, &p};
    int err = fv_atomic_write(path, fill_model_file, &job);
    if (err)
        return fv_error(ctx, FV_ERR_IO, "cannot write model file %s: %s (the old file, if any, is unchanged)", path,
                        fv_write_strerror(err));
    return FV_OK;
}
