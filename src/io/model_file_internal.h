/* Model files inside the library: the in-memory container's fields (model_file.c), the constants of the
 * on-disk layout shared by the writer (model_file_write.c) and the reader (model_file_read.c), and the
 * checks of names and text that both sides apply. docs/FORMAT.md is the reference for the layout. */
#ifndef FV_MODEL_FILE_INTERNAL_H
#define FV_MODEL_FILE_INTERNAL_H

#include <string.h>

#include "../core/internal.h"
#include "fovea/modelfile.h"

/* ---- layout (docs/FORMAT.md) ---------------------------------------------------------------------- */
#define MF_HEADER_SIZE 32
#define MF_ENTRY_SIZE 32    /* one section table entry */
#define MF_TRAILER_SIZE 8   /* u32 CRC-32 of every byte before it, "DMVF" */
#define MF_MAX_SECTIONS 64
#define MF_DATA_ALIGN 64    /* tensor data offsets (so that a file could be mapped and used in place) */
#define MF_SECTION_ALIGN 8  /* other sections' offsets, as the writer places them (not required) */
#define MF_FLAG_REQUIRED 1u /* section flag: a reader that does not know the tag must refuse the file */

#define MF_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define MF_TAG_DESC MF_TAG('D', 'E', 'S', 'C') /* description text */
#define MF_TAG_META MF_TAG('M', 'E', 'T', 'A') /* metadata pairs */
#define MF_TAG_TPOS MF_TAG('T', 'P', 'O', 'S') /* training position fields */
#define MF_TAG_BLOB MF_TAG('B', 'L', 'O', 'B') /* named byte strings */
#define MF_TAG_TIDX MF_TAG('T', 'I', 'D', 'X') /* tensor index */
#define MF_TAG_TDAT MF_TAG('T', 'D', 'A', 'T') /* tensor data */

/* ---- the container ---------------------------------------------------------------------------------- */
typedef struct {
    char *name;
    fv_tensor t; /* t.owns: data is malloc'd; otherwise it points into the loaded file's block */
} mf_tensor;

typedef struct {
    char *key, *value;
} mf_meta;

typedef struct {
    char *name;
    unsigned char *data; /* malloc'd when owns; otherwise inside the loaded file's block */
    size_t len;
    bool owns;
} mf_blob;

typedef struct {
    char *name;
    fv_pos_type type;
    int64_t i;
    double r;
} mf_pos;

/* Slots of an open-addressing table from a tensor's name to its index + 1 (0: empty); rebuilt on growth.
 * Models can have thousands of tensors, looked up one by one when parameters are restored. */
typedef struct {
    int *slots;
    size_t cap; /* a power of two, at least twice the number of tensors */
} mf_name_index;

struct fv_modelfile {
    fv_ctx *ctx;
    char *description;
    mf_meta *meta;
    int n_meta, cap_meta;
    mf_tensor *tensors;
    int n_tensors, cap_tensors;
    mf_name_index index;
    mf_blob *blobs;
    int n_blobs, cap_blobs;
    mf_pos *pos;
    int n_pos, cap_pos;
    unsigned char *block; /* the loaded file (64-byte aligned), which loaded tensors and blobs point into */
};

/* ---- shared checks ------------------------------------------------------------------------------------ */
/* Why bytes are not an acceptable name (NULL when they are): empty, too long, a NUL or control character,
 * or not UTF-8. */
const char *mf_name_problem(const unsigned char *s, size_t n);
/* Why bytes are not acceptable text (NULL when they are): a NUL byte or not UTF-8. */
const char *mf_text_problem(const unsigned char *s, size_t n);

/* Appends without checking names (the reader has checked them; the setters check first). Each takes
 * ownership of nothing: it copies. Return FV_OK or FV_ERR_NOMEM (recorded in mf->ctx). */
fv_status mf_append_meta(fv_modelfile *mf, const char *key, size_t klen, const char *value, size_t vlen);
fv_status mf_append_pos(fv_modelfile *mf, const char *name, size_t nlen, fv_pos_type type, int64_t i, double r);
/* Tensors and blobs appended as views into mf->block (which the reader fills before appending). */
fv_status mf_append_tensor_view(fv_modelfile *mf, const char *name, size_t nlen, const fv_tensor *view);
fv_status mf_append_blob_view(fv_modelfile *mf, const char *name, size_t nlen, unsigned char *data, size_t len);
/* Index of the tensor named name (n bytes, not NUL-terminated), or -1. */
int mf_find_tensor(const fv_modelfile *mf, const char *name, size_t n);

/* ---- little-endian helpers ------------------------------------------------------------------------------ */
static inline uint64_t mf_get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void mf_put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline bool mf_host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Tag as text for messages: "TDAT", or hex when it is not printable. buf holds at least 12 bytes. */
const char *mf_tag_str(uint32_t tag, char *buf);
/* What a known section holds ("tensor data"), or NULL for a tag this build does not know. */
const char *mf_tag_what(uint32_t tag);

#endif
