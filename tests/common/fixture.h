/* Reading the reference fixtures written by tests/reference/fvfx.py.
 *
 * File format FVFX version 1 (little-endian): "FVFX", u32 version, u32 count, then count entries of
 * u16 name length, name, u8 dtype (0 float32, 1 int32, 2 UTF-8 string, 3 int64, 4 bool as one byte), u8 ndim, i64 dims[ndim], data.
 *
 * Entry names used by operator fixtures:
 *   meta:op      the operator (string)          attr:NAME   attributes (int32 or float32 tensors)
 *   meta:tol     tolerance (float32, default 1e-5)
 *   meta:mode    "train" (default) or "eval"    meta:gradcheck  0 to skip the finite-difference check
 *   in:NAME      graph inputs, in order         param:NAME / buffer:NAME  trainable parameters / buffers
 *   out          the op's output                dout        the seed gradient (absent for scalar losses)
 *   grad:NAME    PyTorch's gradient of an input or parameter
 *   after:NAME   a buffer's value after the forward pass (batch norm's running statistics) */
#ifndef FV_FIXTURE_H
#define FV_FIXTURE_H

#include "fovea.h"

typedef struct {
    char name[96];
    fv_tensor *t; /* NULL for strings */
    char *str;
} fx_entry;

typedef struct {
    char path[512];
    int n;
    fx_entry *e;
} fx_file;

fx_file *fx_load(const char *path); /* prints why and returns NULL on failure */
void fx_free(fx_file *fx);
const fv_tensor *fx_get(const fx_file *fx, const char *name);
const char *fx_str(const fx_file *fx, const char *name); /* NULL if absent */
/* Element i of an attribute (int32 or float32), or def when absent. */
int fx_int(const fx_file *fx, const char *name, int i, int def);
/* Element i of an integer, bool or float tensor as an int64. */
int64_t fx_int_of(const fv_tensor *t, int64_t i);
float fx_float(const fx_file *fx, const char *name, float def);

/* Sorted paths of the *.fvx files in dir whose names start with prefix; free with fx_list_free. */
int fx_list(const char *dir, const char *prefix, char ***paths);
void fx_list_free(char **paths, int n);

#define FIXTURE_DIR "tests/reference/fixtures"

#endif
