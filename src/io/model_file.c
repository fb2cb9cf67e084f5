/* The model file container in memory: description, ordered metadata, named tensors, blobs and training
 * position fields, with the checks of names and text that the writer relies on and the reader repeats.
 * Saving and loading are in model_file_write.c and model_file_read.c; the layout in docs/FORMAT.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/text.h"
#include "model_file_internal.h"

/* ---- names and text ------------------------------------------------------------------------------------ */

static const char *utf8_problem(const unsigned char *s, size_t n, bool controls_ok)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == 0) return "contains a NUL byte";
        if (!controls_ok && (s[i] < 0x20 || s[i] == 0x7F)) return "contains a control character";
        size_t k = fv_utf8_len(s + i, n - i);
        if (k == 0) return "is not valid UTF-8";
        i += k;
    }
    return NULL;
}

const char *mf_name_problem(const unsigned char *s, size_t n)
{
    if (n == 0) return "is empty";
    if (n > FV_MODELFILE_MAX_NAME) return "is longer than 255 bytes";
    return utf8_problem(s, n, false);
}

const char *mf_text_problem(const unsigned char *s, size_t n) { return utf8_problem(s, n, true); }

static fv_status check_name(const fv_modelfile *mf, const char *kind, const char *name)
{
    if (!name) return fv_error(mf->ctx, FV_ERR_ARG, "model file: %s name is NULL", kind);
    size_t n = strnlen(name, FV_MODELFILE_MAX_NAME + 1);
    const char *why = mf_name_problem((const unsigned char *)name, n);
    if (why) return fv_error(mf->ctx, FV_ERR_ARG, "model file: %s name '%.64s' %s", kind, name, why);
    return FV_OK;
}

static fv_status check_text(const fv_modelfile *mf, const char *what, const char *text)
{
    const char *why = mf_text_problem((const unsigned char *)text, strlen(text));
    if (why) return fv_error(mf->ctx, FV_ERR_ARG, "model file: %s %s", what, why);
    return FV_OK;
}

const char *mf_tag_str(uint32_t tag, char *buf)
{
    unsigned char c[4];
    mf_put_le(c, tag, 4);
    bool printable = true;
    for (int i = 0; i < 4; i++) printable &= c[i] >= 0x20 && c[i] < 0x7F;
    if (printable) snprintf(buf, 12, "%c%c%c%c", c[0], c[1], c[2], c[3]);
    else snprintf(buf, 12, "0x%08x", (unsigned)tag);
    return buf;
}

const char *mf_tag_what(uint32_t tag)
{
    switch (tag) {
    case MF_TAG_DESC: return "description";
    case MF_TAG_META: return "metadata";
    case MF_TAG_TPOS: return "training position";
    case MF_TAG_BLOB: return "blobs";
    case MF_TAG_TIDX: return "tensor index";
    case MF_TAG_TDAT: return "tensor data";
    default: return NULL;
    }
}

/* ---- storage ---------------------------------------------------------------------------------------------- */

static char *copy_str(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) memcpy(c, s, n), c[n] = '\0';
    return c;
}

/* Room for one more element in a growing array. */
static bool reserve(void **arr, int *cap, int n, size_t elem)
{
    if (n < *cap) return true;
    if (*cap > INT32_MAX / 4) return false;
    int c = *cap ? 2 * *cap : 8;
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p) return false;
    *arr = p, *cap = c;
    return true;
}

static fv_status nomem(const fv_modelfile *mf) { return fv_error(mf->ctx, FV_ERR_NOMEM, "model file: out of memory"); }

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void index_put(mf_name_index *ix, const mf_tensor *t, int i)
{
    size_t j = (size_t)hash_name(t[i].name, strlen(t[i].name)) & (ix->cap - 1);
    while (ix->slots[j]) j = (j + 1) & (ix->cap - 1);
    ix->slots[j] = i + 1;
}

/* Make room in the index for one more tensor, rebuilding it twice as large when half full. */
static bool index_reserve(fv_modelfile *mf)
{
    mf_name_index *ix = &mf->index;
    if ((size_t)(mf->n_tensors + 1) * 2 <= ix->cap) return true;
    size_t cap = ix->cap ? 2 * ix->cap : 64;
    int *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    free(ix->slots);
    ix->slots = slots, ix->cap = cap;
    for (int i = 0; i < mf->n_tensors; i++) index_put(ix, mf->tensors, i);
    return true;
}

int mf_find_tensor(const fv_modelfile *mf, const char *name, size_t n)
{
    const mf_name_index *ix = &mf->index;
    if (!ix->cap) return -1;
    for (size_t j = (size_t)hash_name(name, n) & (ix->cap - 1); ix->slots[j]; j = (j + 1) & (ix->cap - 1)) {
        const char *s = mf->tensors[ix->slots[j] - 1].name;
        if (strlen(s) == n && memcmp(s, name, n) == 0) return ix->slots[j] - 1;
    }
    return -1;
}

fv_status mf_append_tensor_view(fv_modelfile *mf, const char *name, size_t nlen, const fv_tensor *view)
{
    if (!reserve((void **)&mf->tensors, &mf->cap_tensors, mf->n_tensors, sizeof *mf->tensors) || !index_reserve(mf))
        return nomem(mf);
    mf_tensor *e = &mf->tensors[mf->n_tensors];
    if (!(e->name = copy_str(name, nlen))) return nomem(mf);
    e->t = *view;
    index_put(&mf->index, mf->tensors, mf->n_tensors++);
    return FV_OK;
}

fv_status mf_append_meta(fv_modelfile *mf, const char *key, size_t klen, const char *value, size_t vlen)
{
    if (!reserve((void **)&mf->meta, &mf->cap_meta, mf->n_meta, sizeof *mf->meta)) return nomem(mf);
    mf_meta *e = &mf->meta[mf->n_meta];
    e->key = copy_str(key, klen), e->value = copy_str(value, vlen);
    if (!e->key || !e->value) {
        free(e->key), free(e->value);
        return nomem(mf);
    }
    mf->n_meta++;
    return FV_OK;
}

fv_status mf_append_pos(fv_modelfile *mf, const char *name, size_t nlen, fv_pos_type type, int64_t i, double r)
{
    if (!reserve((void **)&mf->pos, &mf->cap_pos, mf->n_pos, sizeof *mf->pos)) return nomem(mf);
    mf_pos *e = &mf->pos[mf->n_pos];
    if (!(e->name = copy_str(name, nlen))) return nomem(mf);
    e->type = type, e->i = i, e->r = r;
    mf->n_pos++;
    return FV_OK;
}

fv_status mf_append_blob_view(fv_modelfile *mf, const char *name, size_t nlen, unsigned char *data, size_t len)
{
    if (!reserve((void **)&mf->blobs, &mf->cap_blobs, mf->n_blobs, sizeof *mf->blobs)) return nomem(mf);
    mf_blob *e = &mf->blobs[mf->n_blobs];
    if (!(e->name = copy_str(name, nlen))) return nomem(mf);
    e->data = data, e->len = len, e->owns = false;
    mf->n_blobs++;
    return FV_OK;
}

/* ---- the public container ---------------------------------------------------------------------------------- */

fv_modelfile *fv_modelfile_new(fv_ctx *ctx)
{
    fv_modelfile *mf = calloc(1, sizeof *mf);
    if (!mf) {
        fv_error(ctx, FV_ERR_NOMEM, "model file: out of memory");
        return NULL;
    }
    mf->ctx = ctx;
    return mf;
}

void fv_modelfile_free(fv_modelfile *mf)
{
    if (!mf) return;
    free(mf->description);
    for (int i = 0; i < mf->n_meta; i++) free(mf->meta[i].key), free(mf->meta[i].value);
    for (int i = 0; i < mf->n_tensors; i++) {
        free(mf->tensors[i].name);
        if (mf->tensors[i].t.owns) free(mf->tensors[i].t.data);
    }
    for (int i = 0; i < mf->n_blobs; i++) {
        free(mf->blobs[i].name);
        if (mf->blobs[i].owns) free(mf->blobs[i].data);
    }
    for (int i = 0; i < mf->n_pos; i++) free(mf->pos[i].name);
    free(mf->meta), free(mf->tensors), free(mf->index.slots), free(mf->blobs), free(mf->pos);
    free(mf->block);
    free(mf);
}

fv_status fv_modelfile_set_description(fv_modelfile *mf, const char *text)
{
    if (!mf) return FV_ERR_ARG;
    if (!text) text = "";
    fv_status s = check_text(mf, "description", text);
    if (s) return s;
    char *c = copy_str(text, strlen(text));
    if (!c) return nomem(mf);
    free(mf->description);
    mf->description = c;
    return FV_OK;
}

const char *fv_modelfile_description(const fv_modelfile *mf)
{
    return mf && mf->description ? mf->description : "";
}

static int find_meta(const fv_modelfile *mf, const char *key)
{
    for (int i = 0; i < mf->n_meta; i++)
        if (strcmp(mf->meta[i].key, key) == 0) return i;
    return -1;
}

fv_status fv_modelfile_meta_set(fv_modelfile *mf, const char *key, const char *value)
{
    if (!mf) return FV_ERR_ARG;
    fv_status s = check_name(mf, "metadata key", key);
    if (s) return s;
    if (!value) return fv_error(mf->ctx, FV_ERR_ARG, "model file: metadata '%s' has a NULL value", key);
    char what[300];
    snprintf(what, sizeof what, "metadata value of '%s'", key);
    if ((s = check_text(mf, what, value))) return s;
    int i = find_meta(mf, key);
    if (i < 0) return mf_append_meta(mf, key, strlen(key), value, strlen(value));
    char *c = copy_str(value, strlen(value));
    if (!c) return nomem(mf);
    free(mf->meta[i].value);
    mf->meta[i].value = c;
    return FV_OK;
}

const char *fv_modelfile_meta_get(const fv_modelfile *mf, const char *key)
{
    int i = mf && key ? find_meta(mf, key) : -1;
    return i < 0 ? NULL : mf->meta[i].value;
}

int fv_modelfile_meta_count(const fv_modelfile *mf) { return mf ? mf->n_meta : 0; }

const char *fv_modelfile_meta_at(const fv_modelfile *mf, int i, const char **value)
{
    if (!mf || i < 0 || i >= mf->n_meta) return NULL;
    if (value) *value = mf->meta[i].value;
    return mf->meta[i].key;
}

fv_status fv_modelfile_add_tensor(fv_modelfile *mf, const char *name, const fv_tensor *t)
{
    if (!mf) return FV_ERR_ARG;
    fv_status s = check_name(mf, "tensor", name);
    if (s) return s;
    if (mf_find_tensor(mf, name, strlen(name)) >= 0)
        return fv_error(mf->ctx, FV_ERR_ARG, "model file: tensor '%s' is already present", name);
    if (!t || !t->data) return fv_error(mf->ctx, FV_ERR_ARG, "model file: tensor '%s' has no data", name);
    char what[300];
    snprintf(what, sizeof what, "model file: tensor '%s'", name);
    int64_t size = fv_shape_check(mf->ctx, what, t->dtype, t->ndim, t->shape);
    if (size < 0) return fv_errcode(mf->ctx);
    size_t bytes = (size_t)size * fv_dtype_size(t->dtype);
    fv_tensor copy = {.dtype = t->dtype, .ndim = t->ndim, .size = size, .data = malloc(bytes), .owns = true};
    if (!copy.data) return fv_error(mf->ctx, FV_ERR_NOMEM, "model file: out of memory copying tensor '%s' (%zu bytes)", name, bytes);
    memcpy(copy.data, t->data, bytes);
    for (int d = 0; d < t->ndim; d++) copy.shape[d] = t->shape[d];
    if ((s = mf_append_tensor_view(mf, name, strlen(name), &copy))) free(copy.data);
    return s;
}

const fv_tensor *fv_modelfile_find_tensor(const fv_modelfile *mf, const char *name)
{
    int i = mf && name ? mf_find_tensor(mf, name, strlen(name)) : -1;
    return i < 0 ? NULL : &mf->tensors[i].t;
}

int fv_modelfile_tensor_count(const fv_modelfile *mf) { return mf ? mf->n_tensors : 0; }

const fv_tensor *fv_modelfile_tensor_at(const fv_modelfile *mf, int i, const char **name)
{
    if (!mf || i < 0 || i >= mf->n_tensors) return NULL;
    if (name) *name = mf->tensors[i].name;
    return &mf->tensors[i].t;
}

static int find_blob(const fv_modelfile *mf, const char *name)
{
    for (int i = 0; i < mf->n_blobs; i++)
        if (strcmp(mf->blobs[i].name, name) == 0) return i;
    return -1;
}

fv_status fv_modelfile_set_blob(fv_modelfile *mf, const char *name, const void *data, size_t len)
{
    if (!mf) return FV_ERR_ARG;
    fv_status s = check_name(mf, "blob", name);
    if (s) return s;
    if (!data && len) return fv_error(mf->ctx, FV_ERR_ARG, "model file: blob '%s' of %zu bytes has no data", name, len);
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) return fv_error(mf->ctx, FV_ERR_NOMEM, "model file: out of memory copying blob '%s' (%zu bytes)", name, len);
    if (len) memcpy(copy, data, len);
    int i = find_blob(mf, name);
    if (i < 0) {
        if ((s = mf_append_blob_view(mf, name, strlen(name), copy, len))) {
            free(copy);
            return s;
        }
        i = mf->n_blobs - 1;
    } else if (mf->blobs[i].owns) {
        free(mf->blobs[i].data);
    }
    mf->blobs[i].data = copy, mf->blobs[i].len = len, mf->blobs[i].owns = true;
    return FV_OK;
}

const void *fv_modelfile_blob(const fv_modelfile *mf, const char *name, size_t *len)
{
    int i = mf && name ? find_blob(mf, name) : -1;
    if (i < 0) return NULL;
    if (len) *len = mf->blobs[i].len;
    return mf->blobs[i].data;
}

int fv_modelfile_blob_count(const fv_modelfile *mf) { return mf ? mf->n_blobs : 0; }

const char *fv_modelfile_blob_name(const fv_modelfile *mf, int i)
{
    return mf && i >= 0 && i < mf->n_blobs ? mf->blobs[i].name : NULL;
}

static int find_pos(const fv_modelfile *mf, const char *name)
{
    for (int i = 0; i < mf->n_pos; i++)
        if (strcmp(mf->pos[i].name, name) == 0) return i;
    return -1;
}

static fv_status set_pos(fv_modelfile *mf, const char *name, fv_pos_type type, int64_t iv, double rv)
{
    if (!mf) return FV_ERR_ARG;
    fv_status s = check_name(mf, "training position field", name);
    if (s) return s;
    int i = find_pos(mf, name);
    if (i < 0) return mf_append_pos(mf, name, strlen(name), type, iv, rv);
    mf->pos[i].type = type, mf->pos[i].i = iv, mf->pos[i].r = rv;
    return FV_OK;
}

fv_status fv_modelfile_pos_set_int(fv_modelfile *mf, const char *name, int64_t value)
{
    return set_pos(mf, name, FV_POS_INT, value, 0);
}

fv_status fv_modelfile_pos_set_real(fv_modelfile *mf, const char *name, double value)
{
    return set_pos(mf, name, FV_POS_REAL, 0, value);
}

bool fv_modelfile_pos_get_int(const fv_modelfile *mf, const char *name, int64_t *value)
{
    int i = mf && name ? find_pos(mf, name) : -1;
    if (i < 0 || mf->pos[i].type != FV_POS_INT) return false;
    if (value) *value = mf->pos[i].i;
    return true;
}

bool fv_modelfile_pos_get_real(const fv_modelfile *mf, const char *name, double *value)
{
    int i = mf && name ? find_pos(mf, name) : -1;
    if (i < 0) return false;
    if (value) *value = mf->pos[i].type == FV_POS_INT ? (double)mf->pos[i].i : mf->pos[i].r;
    return true;
}

int fv_modelfile_pos_count(const fv_modelfile *mf) { return mf ? mf->n_pos : 0; }

const char *fv_modelfile_pos_at(const fv_modelfile *mf, int i, fv_pos_type *type)
{
    if (!mf || i < 0 || i >= mf->n_pos) return NULL;
    if (type) *type = mf->pos[i].type;
    return mf->pos[i].name;
}
