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

/* Writing an output file, as every writer in fovea does it. A regular file (or a new one) is replaced atomically:
 * the content goes to a temporary file path.tmp-XXXXXX beside it, is flushed and fsync'ed, and is renamed over
 * it; the directory is then fsync'ed so that the rename survives a crash, and temporaries of the same file left
 * by killed saves (exactly that name pattern, not locked by a save in progress) are removed. A failed or
 * interrupted write leaves the old file as it was. The new file keeps the old file's permissions, or gets 0666
 * less the umask. A symlink is written through: its target is replaced, beside the target, and the link stays.
 * A character device or FIFO (/dev/null, /dev/stdout on a terminal or pipe) is written directly, as is a file
 * named through /proc (/dev/stdout redirected to a file: appended to). A directory is refused (EISDIR), as is any
 * other special file (FV_WRITE_ENOTFILE). fill writes the content and returns 0 or an errno value (EIO when the
 * cause has none); fv_atomic_write returns 0 or an error for fv_write_strerror, and the caller words the message. */
typedef int (*fv_file_filler)(FILE *f, void *arg);
int fv_atomic_write(const char *path, fv_file_filler fill, void *arg);
/* The same for content already in memory. */
int fv_atomic_write_bytes(const char *path, const void *data, size_t size);

/* fv_atomic_write with flags: FV_WRITE_NOSYNC skips the fsyncs and the sweep of stale temporaries (still atomic
 * against a killed process, not a power cut): for thousands of small files written in one go. */
#define FV_WRITE_NOSYNC 1u
int fv_write_file(const char *path, fv_file_filler fill, void *arg, unsigned flags);

/* The error for a block device or socket given as an output (not an errno value). */
#define FV_WRITE_ENOTFILE (-1)
/* The text of an error from fv_atomic_write or fv_output_check: strerror's, or the one for FV_WRITE_ENOTFILE. */
const char *fv_write_strerror(int err);

/* Whether fv_atomic_write(path) can succeed, checked before long work: the same refusals, and for a file to
 * replace, a temporary created in its directory and removed (missing directory, permissions, read-only
 * mount). 0 or an error for fv_write_strerror. */
int fv_output_check(const char *path);

#ifdef __cplusplus
}
#endif
#endif
