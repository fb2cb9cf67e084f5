/* fovea io: NumPy's .npy arrays in and out, to exchange tensors with Python. */
#ifndef FOVEA_IO_H
#define FOVEA_IO_H

#include <stddef.h>
#include <stdio.h>

#include "fovea/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest .npy header fovea reads, in bytes (NumPy itself refuses more than 10000 by default). */
#define FV_NPY_MAX_HEADER 65536

/* Read a .npy file (format versions 1, 2 and 3) into a new tensor: '<f4' and '<f8' become F32 (doubles are
 * rounded), '<i4', '<i8' (each value must fit in 32 bits), '|u1' and '|b1' become I32. C order only, up to
 * FV_MAX_DIMS dimensions, every dimension >= 1. The header (a Python dict literal) is parsed strictly and
 * the file must hold exactly the data its header promises. NULL with a message naming the file on error. */
fv_tensor *fv_npy_read(fv_ctx *ctx, const char *path);
/* The same from memory; name is used in messages. */
fv_tensor *fv_npy_read_mem(fv_ctx *ctx, const void *buf, size_t len, const char *name);

/* Write t as a version 1 .npy file ('<f4' or '<i4', C order) atomically: a temporary file beside path is
 * written, flushed and synced, then renamed over path, so on failure any old file is unchanged. */
fv_status fv_npy_write(fv_ctx *ctx, const char *path, const fv_tensor *t);

/* Atomic file replacement, as every writer in fovea does it: the content goes to a temporary file beside path,
 * is flushed and fsync'ed, and is renamed over path; the directory is then fsync'ed so that the rename survives a
 * crash. A failed or interrupted write leaves the old file as it was. The new file keeps the old file's
 * permissions, or gets 0666 less the umask. fill writes the content and returns 0 or an errno value (EIO when
 * the cause has none); fv_atomic_write returns 0 or an errno value, and the caller words the message. */
typedef int (*fv_file_filler)(FILE *f, void *arg);
int fv_atomic_write(const char *path, fv_file_filler fill, void *arg);
/* The same for content already in memory. */
int fv_atomic_write_bytes(const char *path, const void *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif
