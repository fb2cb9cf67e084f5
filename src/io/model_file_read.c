/* Reading model files: the whole file is read into one 64-byte aligned block and checked completely
 * (header, version, section bounds and overlaps, checksums, then every entry of every section) before a
 * model file is returned; loaded tensors and blobs point into that block. Layout in docs/FORMAT.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "model_file_internal.h"

typedef struct {
    unsigned char *p; /* the file's bytes */
    size_t n;         /* how many there are */
    const char *name; /* the file, in messages */
    fv_ctx *ctx;
} file_in;

typedef struct {
    uint32_t major, minor, nsec;
    uint64_t size; /* as the header declares it */
} header;

typedef struct {
    uint32_t tag, flags, crc;
    uint64_t off, len;
} section;

typedef struct {
    const unsigned char *s;
    size_t n;
} name_ref;

/* One tensor index entry, checked but not yet attached to the model file. */
typedef struct {
    name_ref name;
    fv_dtype dtype;
    int ndim;
    int64_t shape[FV_MAX_DIMS];
    int64_t size;
    uint64_t off, bytes;
} tindex;

/* ---- messages ---------------------------------------------------------------------------------------------- */

static fv_status fail(const file_in *f, const char *state, const char *fmt, ...) FV_PRINTF(3, 4);

/* "model file NAME is corrupt: ..." and the like, always FV_ERR_FORMAT. */
static fv_status fail(const file_in *f, const char *state, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fv_error(f->ctx, FV_ERR_FORMAT, "model file %s %s: %s", f->name, state, msg);
}

#define corrupt(f, ...) fail(f, "is corrupt", __VA_ARGS__)
#define truncated(f, ...) fail(f, "is truncated", __VA_ARGS__)

typedef unsigned long long ull;

static const char *tag_what(uint32_t tag)
{
    const char *w = mf_tag_what(tag);
    return w ? w : "unknown";
}

/* ---- cursor over one section ----------------------------------------------------------------------------- */

typedef struct {
    const file_in *f;
    uint64_t pos, end;
    const char *what; /* the section, in messages */
} cursor;

static bool take(cursor *c, uint64_t n, uint64_t *at)
{
    if (n > c->end - c->pos) return false;
    *at = c->pos;
    c->pos += n;
    return true;
}

static bool take_le(cursor *c, int bytes, uint64_t *v)
{
    uint64_t at;
    if (!take(c, (uint64_t)bytes, &at)) return false;
    *v = mf_get_le(c->f->p + at, bytes);
    return true;
}

static fv_status ends_inside(const cursor *c, const char *kind, uint32_t i)
{
    return corrupt(c->f, "the %s section ends inside %s %u", c->what, kind, i);
}

/* The entry count that starts each list section, bounded by what the section can hold. */
static fv_status read_count(cursor *c, uint64_t min_entry, uint32_t *count)
{
    uint64_t v;
    if (!take_le(c, 4, &v)) return corrupt(c->f, "the %s section is too short to hold its entry count", c->what);
    if (v > (c->end - c->pos) / min_entry)
        return corrupt(c->f, "the %s section claims %llu entries in %llu bytes", c->what, (ull)v, (ull)(c->end - c->pos + 4));
    *count = (uint32_t)v;
    return FV_OK;
}

static fv_status read_name(cursor *c, const char *kind, uint32_t i, name_ref *out)
{
    uint64_t len, at;
    if (!take_le(c, 2, &len)) return ends_inside(c, kind, i);
    if (len > FV_MODELFILE_MAX_NAME) return corrupt(c->f, "the name of %s %u is longer than %d bytes", kind, i, FV_MODELFILE_MAX_NAME);
    if (!take(c, len, &at)) return ends_inside(c, kind, i);
    const char *why = mf_name_problem(c->f->p + at, (size_t)len);
    if (why) return corrupt(c->f, "the name of %s %u %s", kind, i, why);
    out->s = c->f->p + at, out->n = (size_t)len;
    return FV_OK;
}

static fv_status check_end(const cursor *c)
{
    if (c->pos == c->end) return FV_OK;
    return corrupt(c->f, "the %s section has %llu bytes after its last entry", c->what, (ull)(c->end - c->pos));
}

static int cmp_name(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Rejects a name that appears twice (sorts names). */
static fv_status check_unique(const file_in *f, name_ref *names, uint32_t n, const char *kind)
{
    qsort(names, n, sizeof *names, cmp_name);
    for (uint32_t i = 1; i < n; i++)
        if (cmp_name(&names[i - 1], &names[i]) == 0)
            return corrupt(f, "%s '%.*s' appears twice", kind, (int)names[i].n, (const char *)names[i].s);
    return FV_OK;
}

/* ---- header and section table ------------------------------------------------------------------------------- */

static const uint64_t min_size = MF_HEADER_SIZE + MF_TRAILER_SIZE;

static fv_status check_header(const file_in *f, header *h)
{
    if (f->n < 4 && (f->n == 0 || memcmp(f->p, "FVMD", f->n) != 0))
        return fv_error(f->ctx, FV_ERR_FORMAT, "model file %s is not a fovea model file (%s)", f->name,
                        f->n ? "it does not start with FVMD" : "it is empty");
    if (f->n >= 4 && memcmp(f->p, "FVMD", 4) != 0)
        return fv_error(f->ctx, FV_ERR_FORMAT, "model file %s is not a fovea model file (it does not start with FVMD)", f->name);
    if (f->n < MF_HEADER_SIZE)
        return truncated(f, "it ends at byte %zu, inside its %d-byte header", f->n, MF_HEADER_SIZE);
    h->major = (uint32_t)mf_get_le(f->p + 4, 4), h->minor = (uint32_t)mf_get_le(f->p + 8, 4);
    if (h->major > FV_MODELFILE_VERSION_MAJOR)
        return fv_error(f->ctx, FV_ERR_FORMAT, "model file %s was written by a newer fovea (format version %u, this build "
                        "reads up to %d)", f->name, h->major, FV_MODELFILE_VERSION_MAJOR);
    uint32_t stored = (uint32_t)mf_get_le(f->p + 28, 4), computed = (uint32_t)crc32_z(0, f->p, 28);
    if (stored != computed)
        return corrupt(f, "its header fails its checksum (stored %08x, computed %08x)", stored, computed);
    if (h->major == 0) return corrupt(f, "format version 0");
    h->nsec = (uint32_t)mf_get_le(f->p + 12, 4), h->size = mf_get_le(f->p + 16, 8);
    if (h->nsec > MF_MAX_SECTIONS) return corrupt(f, "%u sections (at most %d)", h->nsec, MF_MAX_SECTIONS);
    uint64_t least = min_size + MF_ENTRY_SIZE * (uint64_t)h->nsec;
    if (h->size < least)
        return corrupt(f, "its header gives a size of %llu bytes, less than its header, section table and trailer "
                       "take (%llu)", (ull)h->size, (ull)least);
    return FV_OK;
}

/* Section offsets in increasing order (a few dozen at most). */
static void sort_by_offset(const section *sec, int n, int *order)
{
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && (sec[order[j - 1]].off > sec[i].off ||
                         (sec[order[j - 1]].off == sec[i].off && sec[order[j - 1]].len > sec[i].len)); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
}

/* Reads the table (its bytes must be in the file) and checks each section against the size the header
 * declares: inside the data area, known tags once, no overlaps, no unknown section marked required. */
static fv_status read_table(const file_in *f, const header *h, section *sec, int *order)
{
    const unsigned char *t = f->p + MF_HEADER_SIZE;
    uint32_t stored = (uint32_t)mf_get_le(f->p + 24, 4), computed = (uint32_t)crc32_z(0, t, MF_ENTRY_SIZE * (size_t)h->nsec);
    if (stored != computed) return corrupt(f, "its section table fails its checksum (stored %08x, computed %08x)", stored, computed);
    uint64_t lo = MF_HEADER_SIZE + MF_ENTRY_SIZE * (uint64_t)h->nsec, hi = h->size - MF_TRAILER_SIZE;
    char a[12], b[12];
    for (uint32_t i = 0; i < h->nsec; i++) {
        const unsigned char *e = t + MF_ENTRY_SIZE * i;
        section *s = &sec[i];
        s->tag = (uint32_t)mf_get_le(e, 4), s->flags = (uint32_t)mf_get_le(e + 4, 4);
        s->off = mf_get_le(e + 8, 8), s->len = mf_get_le(e + 16, 8), s->crc = (uint32_t)mf_get_le(e + 24, 4);
        if (s->off < lo || s->off > hi || s->len > hi - s->off)
            return corrupt(f, "section %u ('%s') of %llu bytes at offset %llu lies outside bytes %llu..%llu", i,
                           mf_tag_str(s->tag, a), (ull)s->len, (ull)s->off, (ull)lo, (ull)hi);
        if (!mf_tag_what(s->tag) && (s->flags & MF_FLAG_REQUIRED))
            return fv_error(f->ctx, FV_ERR_FORMAT, "model file %s needs a newer fovea: its section '%s' is required and this "
                            "build does not know it (format version %u.%u, this build writes %d.%d)", f->name,
                            mf_tag_str(s->tag, a), h->major, h->minor, FV_MODELFILE_VERSION_MAJOR, FV_MODELFILE_VERSION_MINOR);
        for (uint32_t j = 0; j < i && mf_tag_what(s->tag); j++)
            if (sec[j].tag == s->tag) return corrupt(f, "it has two '%s' sections", mf_tag_str(s->tag, a));
    }
    sort_by_offset(sec, (int)h->nsec, order);
    for (uint32_t i = 1; i < h->nsec; i++) {
        const section *x = &sec[order[i - 1]], *y = &sec[order[i]];
        if (x->off + x->len > y->off)
            return corrupt(f, "sections '%s' (bytes %llu..%llu) and '%s' (bytes %llu..%llu) overlap", mf_tag_str(x->tag, a),
                           (ull)x->off, (ull)(x->off + x->len), mf_tag_str(y->tag, b), (ull)y->off, (ull)(y->off + y->len));
    }
    return FV_OK;
}

/* Each section's CRC, then the whole file's, which combines the section CRCs with those of the bytes between
 * them, so the data is read once. */
static fv_status check_sums(const file_in *f, const header *h, const section *sec, const int *order)
{
    char a[12];
    uint64_t pos = 0, end = h->size - MF_TRAILER_SIZE;
    uint32_t whole = 0;
    for (uint32_t i = 0; i < h->nsec; i++) {
        const section *s = &sec[order[i]];
        uint32_t crc = (uint32_t)crc32_z(0, f->p + s->off, (size_t)s->len);
        if (crc != s->crc)
            return corrupt(f, "section '%s' (%s, %llu bytes at offset %llu) fails its checksum (stored %08x, computed %08x)",
                           mf_tag_str(s->tag, a), tag_what(s->tag), (ull)s->len, (ull)s->off, s->crc, crc);
        whole = (uint32_t)crc32_z(whole, f->p + pos, (size_t)(s->off - pos));
        whole = (uint32_t)crc32_combine(whole, crc, (z_off_t)s->len);
        pos = s->off + s->len;
    }
    whole = (uint32_t)crc32_z(whole, f->p + pos, (size_t)(end - pos));
    uint32_t stored = (uint32_t)mf_get_le(f->p + end, 4);
    if (stored != whole) return corrupt(f, "its whole-file checksum fails (stored %08x, computed %08x)", stored, whole);
    return FV_OK;
}

static const section *find_section(const section *sec, uint32_t n, uint32_t tag)
{
    for (uint32_t i = 0; i < n; i++)
        if (sec[i].tag == tag) return &sec[i];
    return NULL;
}

/* ---- sections -------------------------------------------------------------------------------------------------- */

static fv_status parse_desc(const file_in *f, const section *s, fv_modelfile *mf)
{
    const char *why = mf_text_problem(f->p + s->off, (size_t)s->len);
    if (why) return corrupt(f, "its description %s", why);
    char *d = malloc((size_t)s->len + 1);
    if (!d) return fv_error(f->ctx, FV_ERR_NOMEM, "model file %s: out of memory", f->name);
    memcpy(d, f->p + s->off, (size_t)s->len);
    d[s->len] = '\0';
    mf->description = d;
    return FV_OK;
}

static fv_status parse_meta(const file_in *f, const section *s, fv_modelfile *mf)
{
    cursor c = {f, s->off, s->off + s->len, "metadata"};
    uint32_t count;
    fv_status st = read_count(&c, 2 + 1 + 4, &count);
    if (st) return st;
    name_ref *keys = malloc(((size_t)count + 1) * sizeof *keys);
    if (!keys) return fv_error(f->ctx, FV_ERR_NOMEM, "model file %s: out of memory", f->name);
    for (uint32_t i = 0; !st && i < count; i++) {
        uint64_t len, at;
        if ((st = read_name(&c, "metadata entry", i, &keys[i]))) break;
        if (!take_le(&c, 4, &len) || !take(&c, len, &at)) {
            st = ends_inside(&c, "metadata entry", i);
            break;
        }
        const char *why = mf_text_problem(f->p + at, (size_t)len);
        if (why) st = corrupt(f, "the value of metadata '%.*s' %s", (int)keys[i].n, (const char *)keys[i].s, why);
        else st = mf_append_meta(mf, (const char *)keys[i].s, keys[i].n, (const char *)f->p + at, (size_t)len);
    }
    if (!st) st = check_end(&c);
    if (!st) st = check_unique(f, keys, count, "metadata key");
    free(keys);
    return st;
}

static fv_status parse_tpos(const file_in *f, const section *s, fv_modelfile *mf)
{
    cursor c = {f, s->off, s->off + s->len, "training position"};
    uint32_t count;
    fv_status st = read_count(&c, 2 + 1 + 1 + 8, &count);
    if (st) return st;
    name_ref *names = malloc(((size_t)count + 1) * sizeof *names);
    if (!names) return fv_error(f->ctx, FV_ERR_NOMEM, "model file %s: out of memory", f->name);
    for (uint32_t i = 0; !st && i < count; i++) {
        uint64_t type, bits;
        if ((st = read_name(&c, "training position field", i, &names[i]))) break;
        if (!take_le(&c, 1, &type) || !take_le(&c, 8, &bits)) {
            st = ends_inside(&c, "training position field", i);
            break;
        }
        if (type != FV_POS_INT && type != FV_POS_REAL) {
            st = corrupt(f, "training position field '%.*s' has type %llu (1 is integer, 2 is real)", (int)names[i].n,
                         (const char *)names[i].s, (ull)type);
            break;
        }
        double r = 0;
        if (type == FV_POS_REAL) memcpy(&r, &bits, 8);
        st = mf_append_pos(mf, (const char *)names[i].s, names[i].n, (fv_pos_type)type,
                           type == FV_POS_INT ? (int64_t)bits : 0, r);
    }
    if (!st) st = check_end(&c);
    if (!st) st = check_unique(f, names, count, "training position field");
    free(names);
    return st;
}

static fv_status parse_blobs(const file_in *f, const section *s, fv_modelfile *mf)
{
    cursor c = {f, s->off, s->off + s->len, "blobs"};
    uint32_t count;
    fv_status st = read_count(&c, 2 + 1 + 8, &count);
    if (st) return st;
    name_ref *names = malloc(((size_t)count + 1) * sizeof *names);
    if (!names) return fv_error(f->ctx, FV_ERR_NOMEM, "model file %s: out of memory", f->name);
    for (uint32_t i = 0; !st && i < count; i++) {
        uint64_t len, at;
        if ((st = read_name(&c, "blob", i, &names[i]))) break;
        if (!take_le(&c, 8, &len) || !take(&c, len, &at)) {
            st = ends_inside(&c, "blob", i);
            break;
        }
        st = mf_append_blob_view(mf, (const char *)names[i].s, names[i].n, f->p + at, (size_t)len);
    }
    if (!st) st = check_end(&c);
    if (!st) st = check_unique(f, names, count, "blob");
    free(names);
    return st;
}

static void shape_str(const tindex *t, int ndim, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int d = 0; d < ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, d ? ",%lld" : "%lld", (long long)t->shape[d]);
    if (used < len) snprintf(buf + used, len - used, ")");
}

/* dtype, shape and size of one entry; sizes are bounded by the data section before anything is multiplied
 * out, so no shape can ask for more memory than the file holds. */
static fv_status read_tensor_shape(cursor *c, uint32_t i, const section *tdat, tindex *t)
{
    const file_in *f = c->f;
    const int nn = (int)t->name.n;
    const char *nm = (const char *)t->name.s;
    uint64_t dtype, ndim, v;
    if (!take_le(c, 1, &dtype) || !take_le(c, 1, &ndim)) return ends_inside(c, "tensor", i);
    if (dtype >= FV_DTYPE_COUNT)
        return corrupt(f, "tensor '%.*s' has dtype %llu (0 float32, 1 int32, 2 int64, 3 bool)", nn, nm, (ull)dtype);
    if (ndim > FV_MAX_DIMS) return corrupt(f, "tensor '%.*s' has %llu dimensions (at most %d)", nn, nm, (ull)ndim, FV_MAX_DIMS);
    t->dtype = (fv_dtype)dtype, t->ndim = (int)ndim;
    uint64_t elem = fv_dtype_size(t->dtype), room = (tdat ? tdat->len : 0) / elem;
    for (int d = 0; d < t->ndim; d++) {
        if (!take_le(c, 8, &v)) return ends_inside(c, "tensor", i);
        t->shape[d] = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
        if (v == 0) return corrupt(f, "tensor '%.*s' has a dimension of size 0", nn, nm);
    }
    int64_t size = fv_size_product(t->ndim, t->shape, room > INT64_MAX ? INT64_MAX : (int64_t)room);
    if (size < 0) {
        char shape[160];
        shape_str(t, t->ndim, shape, sizeof shape);
        return corrupt(f, "tensor '%.*s' of shape %s is larger than its tensor data section (%llu bytes)", nn, nm, shape,
                       (ull)(tdat ? tdat->len : 0));
    }
    t->size = size;
    return FV_OK;
}

static fv_status read_tensor(cursor *c, uint32_t i, const section *tdat, tindex *t)
{
    const file_in *f = c->f;
    fv_status st = read_name(c, "tensor", i, &t->name);
    if (!st) st = read_tensor_shape(c, i, tdat, t);
    if (st) return st;
    const int nn = (int)t->name.n;
    const char *nm = (const char *)t->name.s;
    if (!take_le(c, 8, &t->off) || !take_le(c, 8, &t->bytes)) return ends_inside(c, "tensor", i);
    uint64_t want = (uint64_t)t->size * fv_dtype_size(t->dtype);
    if (t->bytes != want) {
        char shape[160];
        shape_str(t, t->ndim, shape, sizeof shape);
        return corrupt(f, "tensor '%.*s' of shape %s needs %llu bytes, its index says %llu", nn, nm, shape, (ull)want,
                       (ull)t->bytes);
    }
    if (t->off % MF_DATA_ALIGN) return corrupt(f, "tensor '%.*s' at offset %llu is not aligned to %d bytes", nn, nm, (ull)t->off, MF_DATA_ALIGN);
    if (t->off < tdat->off || t->off - tdat->off > tdat->len || t->bytes > tdat->len - (t->off - tdat->off))
        return corrupt(f, "tensor '%.*s' (%llu bytes at offset %llu) lies outside the tensor data section (bytes %llu..%llu)",
                       nn, nm, (ull)t->bytes, (ull)t->off, (ull)tdat->off, (ull)(tdat->off + tdat->len));
    return FV_OK;
}

static int cmp_tensor_offset(const void *a, const void *b)
{
    const tindex *x = a, *y = b;
    return (x->off > y->off) - (x->off < y->off);
}

/* Names unique; data ranges disjoint (sorts *t by offset). */
static fv_status check_tensor_set(const file_in *f, tindex *t, uint32_t n)
{
    name_ref *names = malloc(((size_t)n + 1) * sizeof *names);
    if (!names) return fv_error(f->ctx, FV_ERR_NOMEM, "model file %s: out of memory", f->name);
    for (uint32_t i = 0; i < n; i++) names[i] = t[i].name;
    fv_status st = check_unique(f, names, n, "tensor");
    free(names);
    if (st) return st;
    qsort(t, n, sizeof *t, cmp_tensor_offset);
    for (uint32_t i = 1; i < n; i++)
        if (t[i - 1].off + t[i - 1].bytes > t[i].off)
            return corrupt(f, "the data of tensors '%.*s' and '%.*s' overlap", (int)t[i - 1].name.n,
                           (const char *)t[i - 1].name.s, (int)t[i].name.n, (const char *)t[i].name.s);
    return FV_OK;
}

/* The checked index in *out (malloc'd, in index order, *n entries), tensors not yet attached. */
static fv_status parse_tidx(const file_in *f, const section *s, const section *tdat, tindex **out, uint32_t *n)
{
    cursor c = {f, s->off, s->off + s->len, "tensor index"};
    uint32_t count;
    fv_status st = read_count(&c, 2 + 1 + 1 + 1 + 8 + 8, &count);
    if (st) return st;
    if (count && !tdat) return corrupt(f, "it indexes %u tensors but has no tensor data section", count);
    tindex *t = calloc((size_t)count + 1, sizeof *t), *sorted = calloc((size_t)count + 1, sizeof *t);
    if (!t || !sorted) st = fv_error(f->ctx, FV_ERR_NOMEM, "model file %s: out of memory", f->name);
    for (uint32_t i = 0; !st && i < count; i++) st = read_tensor(&c, i, tdat, &t[i]);
    if (!st) st = check_end(&c);
    if (!st) memcpy(sorted, t, (size_t)count * sizeof *t), st = check_tensor_set(f, sorted, count);
    free(sorted);
    if (st) {
        free(t);
        return st;
    }
    *out = t, *n = count;
    return FV_OK;
}

/* Attaches the checked tensors as views into the block, in little-endian order on any host. */
static fv_status attach_tensors(const file_in *f, const tindex *t, uint32_t n, fv_modelfile *mf)
{
    for (uint32_t i = 0; i < n; i++) {
        fv_tensor v = {.dtype = t[i].dtype, .ndim = t[i].ndim, .size = t[i].size, .data = f->p + t[i].off, .owns = false};
        memcpy(v.shape, t[i].shape, sizeof v.shape);
        if (!mf_host_is_le())
            for (unsigned char *b = f->p + t[i].off, *e = b + t[i].bytes; b < e; b += 4) {
                unsigned char x = b[0], y = b[1];
                b[0] = b[3], b[1] = b[2], b[2] = y, b[3] = x;
            }
        fv_status st = mf_append_tensor_view(mf, (const char *)t[i].name.s, t[i].name.n, &v);
        if (st) return st;
    }
    return FV_OK;
}

/* ---- a short file: say what is missing --------------------------------------------------------------------------- */

/* The first tensor whose data the file does not hold, when the index is intact; NULL otherwise. */
static bool missing_tensor(const file_in *f, const section *sec, uint32_t nsec, tindex *found)
{
    const section *idx = find_section(sec, nsec, MF_TAG_TIDX), *tdat = find_section(sec, nsec, MF_TAG_TDAT);
    if (!idx || !tdat || idx->off + idx->len > f->n || crc32_z(0, f->p + idx->off, (size_t)idx->len) != idx->crc) return false;
    tindex *t = NULL;
    uint32_t n = 0;
    if (parse_tidx(f, idx, tdat, &t, &n)) return false;
    bool any = false;
    for (uint32_t i = 0; i < n; i++)
        if (t[i].off + t[i].bytes > f->n && (!any || t[i].off < found->off)) *found = t[i], any = true;
    free(t);
    return any;
}

/* The file is shorter than its header says: name the first section (or tensor) that is cut. */
static fv_status explain_truncation(const file_in *f, const header *h)
{
    uint64_t table_end = MF_HEADER_SIZE + MF_ENTRY_SIZE * (uint64_t)h->nsec;
    if (f->n < table_end) return truncated(f, "it ends at byte %zu, inside its section table (bytes 32..%llu)", f->n, (ull)table_end);
    section sec[MF_MAX_SECTIONS];
    int order[MF_MAX_SECTIONS];
    if (read_table(f, h, sec, order) == FV_OK) {
        for (uint32_t i = 0; i < h->nsec; i++) {
            const section *s = &sec[order[i]];
            if (s->off + s->len <= f->n) continue;
            tindex t = {0};
            if (s->tag == MF_TAG_TDAT && missing_tensor(f, sec, h->nsec, &t))
                return truncated(f, "tensor '%.*s' needs %llu bytes at offset %llu, file has %zu bytes", (int)t.name.n,
                                 (const char *)t.name.s, (ull)t.bytes, (ull)t.off, f->n);
            char a[12];
            return truncated(f, "section '%s' (%s) needs %llu bytes at offset %llu, file has %zu bytes", mf_tag_str(s->tag, a),
                             tag_what(s->tag), (ull)s->len, (ull)s->off, f->n);
        }
    }
    return truncated(f, "it has %zu bytes, its header says %llu", f->n, (ull)h->size);
}

/* ---- the whole file ------------------------------------------------------------------------------------------------- */

static fv_status parse_sections(const file_in *f, const section *sec, uint32_t n, fv_modelfile *mf)
{
    const section *s;
    fv_status st = FV_OK;
    if (!st && (s = find_section(sec, n, MF_TAG_DESC))) st = parse_desc(f, s, mf);
    if (!st && (s = find_section(sec, n, MF_TAG_META))) st = parse_meta(f, s, mf);
    if (!st && (s = find_section(sec, n, MF_TAG_TPOS))) st = parse_tpos(f, s, mf);
    if (!st && (s = find_section(sec, n, MF_TAG_BLOB))) st = parse_blobs(f, s, mf);
    if (!st && (s = find_section(sec, n, MF_TAG_TIDX))) {
        tindex *t = NULL;
        uint32_t count = 0;
        st = parse_tidx(f, s, find_section(sec, n, MF_TAG_TDAT), &t, &count);
        if (!st) st = attach_tensors(f, t, count, mf);
        free(t);
    }
    return st;
}

static fv_status parse(const file_in *f, fv_modelfile *mf)
{
    header h;
    fv_status st = check_header(f, &h);
    if (st) return st;
    if (f->n < h.size) return explain_truncation(f, &h);
    if (f->n > h.size)
        return fail(f, "is corrupt", "it has %llu bytes after its end at byte %llu", (ull)(f->n - h.size), (ull)h.size);
    if (memcmp(f->p + h.size - 4, "DMVF", 4) != 0) return corrupt(f, "its last 4 bytes are not DMVF");
    section sec[MF_MAX_SECTIONS];
    int order[MF_MAX_SECTIONS];
    if ((st = read_table(f, &h, sec, order)) || (st = check_sums(f, &h, sec, order))) return st;
    return parse_sections(f, sec, h.nsec, mf);
}

/* Takes ownership of block (64-byte aligned, n bytes). */
static fv_modelfile *load_block(fv_ctx *ctx, unsigned char *block, size_t n, const char *name)
{
    fv_modelfile *mf = fv_modelfile_new(ctx);
    if (!mf) {
        free(block);
        return NULL;
    }
    mf->block = block;
    file_in f = {block, n, name, ctx};
    if (parse(&f, mf)) {
        fv_modelfile_free(mf);
        return NULL;
    }
    return mf;
}

static unsigned char *alloc_block(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, MF_DATA_ALIGN, n ? n : 1) == 0 ? p : NULL;
}

fv_modelfile *fv_modelfile_load_mem(fv_ctx *ctx, const void *buf, size_t len, const char *name)
{
    if (!name) name = "(memory)";
    if (!buf && len) {
        fv_error(ctx, FV_ERR_ARG, "model file %s: no bytes to read", name);
        return NULL;
    }
    unsigned char *block = alloc_block(len);
    if (!block) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory reading model file %s (%zu bytes)", name, len);
        return NULL;
    }
    if (len) memcpy(block, buf, len);
    return load_block(ctx, block, len, name);
}

/* The whole file into a fresh block; a file that shrinks while being read is read as far as it goes. */
static fv_status read_file(fv_ctx *ctx, const char *path, unsigned char **block, size_t *n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fv_error(ctx, FV_ERR_IO, "cannot open model file %s: %s", path, strerror(errno));
    struct stat st;
    fv_status s = FV_OK;
    if (fstat(fd, &st) != 0) s = fv_error(ctx, FV_ERR_IO, "cannot read model file %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode)) s = fv_error(ctx, FV_ERR_IO, "cannot read model file %s: not a regular file", path);
    else if ((uint64_t)st.st_size > SIZE_MAX / 2 || !(*block = alloc_block((size_t)st.st_size)))
        s = fv_error(ctx, FV_ERR_NOMEM, "out of memory reading model file %s (%lld bytes)", path, (long long)st.st_size);
    size_t got = 0, want = s ? 0 : (size_t)st.st_size;
    while (!s && got < want) {
        ssize_t r = read(fd, *block + got, want - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) s = fv_error(ctx, FV_ERR_IO, "cannot read model file %s: %s", path, strerror(errno));
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (s) {
        free(*block);
        *block = NULL;
    }
    *n = got;
    return s;
}

fv_modelfile *fv_modelfile_load(fv_ctx *ctx, const char *path)
{
    if (!path || !*path) {
        fv_error(ctx, FV_ERR_ARG, "model file: no path to load from");
        return NULL;
    }
    unsigned char *block = NULL;
    size_t n = 0;
    if (read_file(ctx, path, &block, &n)) return NULL;
    return load_block(ctx, block, n, path);
}
