/* fovea model files: a versioned, checksummed container holding a model's description (text), metadata
 * (ordered key/value strings), named tensors (parameters and buffers), named binary blobs (optimizer state)
 * and a training position (named numbers). Generic: it knows nothing of layers. Format: docs/FORMAT.md. */
#ifndef FOVEA_MODELFILE_H
#define FOVEA_MODELFILE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format version this build writes; it reads every file whose major version is at most this one. */
#define FV_MODELFILE_VERSION_MAJOR 1
#define FV_MODELFILE_VERSION_MINOR 0
/* Longest name (tensor, metadata key, blob, position field), in bytes. Names are UTF-8 without control
 * characters; values and the description are UTF-8 without NUL bytes. */
#define FV_MODELFILE_MAX_NAME 255

/* Conventional names (nothing in this file depends on them; they keep writers and readers in agreement). */
#define FV_BLOB_OPTIMIZER "optimizer"      /* bytes from fv_optim_save_mem */
#define FV_POS_EPOCH "epoch"               /* int: epochs completed */
#define FV_POS_STEP "step"                 /* int: batches done within the current epoch */
#define FV_POS_GLOBAL_STEP "global_step"   /* int: batches done since the start */
#define FV_POS_SEED "seed"                 /* int: the run's seed (a uint64_t stored as its int64_t bits) */
#define FV_POS_BEST "best"                 /* real: best value of the monitored metric so far */

typedef struct fv_modelfile fv_modelfile;

/* An empty model file in memory. Setters record their errors in ctx. */
fv_modelfile *fv_modelfile_new(fv_ctx *ctx);
void fv_modelfile_free(fv_modelfile *mf);

/* ---- description: the architecture as UTF-8 text ("" until set) ------------------------------------- */
fv_status fv_modelfile_set_description(fv_modelfile *mf, const char *text);
const char *fv_modelfile_description(const fv_modelfile *mf);

/* ---- metadata: ordered key/value strings ----------------------------------------------------------- */
/* Sets a key (a new key goes last; an existing one keeps its place and gets the new value). */
fv_status fv_modelfile_meta_set(fv_modelfile *mf, const char *key, const char *value);
const char *fv_modelfile_meta_get(const fv_modelfile *mf, const char *key); /* NULL when absent */
int fv_modelfile_meta_count(const fv_modelfile *mf);
/* The i-th pair in order (NULL for a bad index); *value may be NULL when not wanted. */
const char *fv_modelfile_meta_at(const fv_modelfile *mf, int i, const char **value);

/* ---- tensors: named F32/I32 arrays of up to FV_MAX_DIMS dims ----------------------------------------- */
/* Adds a copy of t under name. FV_ERR_ARG for a name already present, a bad name or a bad tensor. */
fv_status fv_modelfile_add_tensor(fv_modelfile *mf, const char *name, const fv_tensor *t);
/* The tensor named name, or NULL. The tensor belongs to mf: valid until fv_modelfile_free. */
const fv_tensor *fv_modelfile_find_tensor(const fv_modelfile *mf, const char *name);
int fv_modelfile_tensor_count(const fv_modelfile *mf);
/* The i-th tensor in the order added (or stored), with its name in *name (may be NULL); NULL for a bad i. */
const fv_tensor *fv_modelfile_tensor_at(const fv_modelfile *mf, int i, const char **name);

/* ---- blobs: named byte strings (e.g. FV_BLOB_OPTIMIZER) ---------------------------------------------- */
/* Stores a copy of len bytes (data may be NULL when len is 0), replacing any blob of that name. */
fv_status fv_modelfile_set_blob(fv_modelfile *mf, const char *name, const void *data, size_t len);
/* The blob's bytes and length, or NULL when absent (an empty blob gives a non-NULL pointer and *len 0). */
const void *fv_modelfile_blob(const fv_modelfile *mf, const char *name, size_t *len);
int fv_modelfile_blob_count(const fv_modelfile *mf);
const char *fv_modelfile_blob_name(const fv_modelfile *mf, int i); /* NULL for a bad index */

/* ---- training position: named integers and reals (FV_POS_* and any others, e.g. a callback's
 * "early_stopping.wait"); a file without any is a plain model, one with some is a checkpoint ---------- */
typedef enum { FV_POS_INT = 1, FV_POS_REAL = 2 } fv_pos_type;
/* Set a field (replacing any field of that name, whatever its type). */
fv_status fv_modelfile_pos_set_int(fv_modelfile *mf, const char *name, int64_t value);
fv_status fv_modelfile_pos_set_real(fv_modelfile *mf, const char *name, double value);
/* true and the value when the field exists: get_int only for integer fields, get_real for both. */
bool fv_modelfile_pos_get_int(const fv_modelfile *mf, const char *name, int64_t *value);
bool fv_modelfile_pos_get_real(const fv_modelfile *mf, const char *name, double *value);
int fv_modelfile_pos_count(const fv_modelfile *mf);
/* The i-th field's name and type (NULL for a bad index). */
const char *fv_modelfile_pos_at(const fv_modelfile *mf, int i, fv_pos_type *type);

/* ---- files --------------------------------------------------------------------------------------------- */
/* Writes mf to path atomically: a temporary file path.tmp-XXXXXX in the same directory, flushed and
 * fsync'ed, is renamed over path, then the directory is fsync'ed. On any failure (FV_ERR_IO naming the
 * path) the old file, if any, is unchanged and the temporary file is removed. A process killed while
 * saving leaves the old file intact (and possibly a stray temporary file). */
fv_status fv_modelfile_save(fv_ctx *ctx, const fv_modelfile *mf, const char *path);
/* Reads and checks a whole file (magic, version, bounds, checksums, every name and tensor) before returning
 * anything: NULL with FV_ERR_FORMAT and a message naming the file and the problem ("model file m.fvm is
 * truncated: tensor 'fc1.weight' needs 1605632 bytes at offset 4096, file has 2000"), FV_ERR_IO when it
 * cannot be read, FV_ERR_NOMEM. Tensor data is kept in one 64-byte aligned block. */
fv_modelfile *fv_modelfile_load(fv_ctx *ctx, const char *path);

/* The same in memory: a malloc'd buffer holding exactly the bytes fv_modelfile_save writes (the caller
 * frees it), and a reader of such bytes (copied; name stands for the file in messages). */
fv_status fv_modelfile_save_mem(fv_ctx *ctx, const fv_modelfile *mf, void **buf, size_t *len);
fv_modelfile *fv_modelfile_load_mem(fv_ctx *ctx, const void *buf, size_t len, const char *name);

#ifdef __cplusplus
}
#endif
#endif
