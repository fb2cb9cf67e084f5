/* FVFX fixture reader (see fixture.h for the format). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static int rd(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n; }

static int read_entry(FILE *f, fx_entry *e, fv_ctx *ctx)
{
    uint16_t len;
    uint8_t dtype, ndim;
    int64_t dims[FV_MAX_DIMS] = {0};
    if (!rd(f, &len, 2) || len >= sizeof e->name || !rd(f, e->name, len)) return 0;
    e->name[len] = '\0';
    if (!rd(f, &dtype, 1) || !rd(f, &ndim, 1) || ndim > FV_MAX_DIMS) return 0;
    if (ndim && !rd(f, dims, 8u * ndim)) return 0;
    if (dtype == 2) {
        if (ndim != 1 || dims[0] < 0 || dims[0] > (1 << 20)) return 0;
        e->str = calloc(1, (size_t)dims[0] + 1);
        return e->str && rd(f, e->str, (size_t)dims[0]);
    }
    static const fv_dtype types[] = {FV_F32, FV_I32, FV_F32, FV_I64, FV_BOOL}; /* code 2 is text */
    if (dtype > 4) return 0;
    int64_t size = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0 || dims[d] > (1 << 24)) return 0;
        size *= dims[d];
    }
    if (size > (1 << 26)) return 0;
    /* built by hand rather than by fv_tensor_new, which wants every dimension >= 1: fixtures hold empty tensors */
    e->t = calloc(1, sizeof *e->t);
    if (!e->t) return 0;
    e->t->dtype = types[dtype];
    e->t->ndim = ndim;
    memcpy(e->t->shape, dims, sizeof dims);
    e->t->size = size;
    e->t->data = calloc(1, size ? (size_t)size * fv_dtype_size(e->t->dtype) : 1);
    e->t->owns = true;
    return e->t->data && rd(f, e->t->data, (size_t)size * fv_dtype_size(e->t->dtype));
}

fx_file *fx_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("fixture %s: cannot open (run `make fixtures`?)\n", path);
        return NULL;
    }
    fx_file *fx = calloc(1, sizeof *fx);
    fv_ctx *ctx = fv_ctx_new(0);
    char magic[4];
    uint32_t version, count;
    int ok = fx && ctx && rd(f, magic, 4) && memcmp(magic, "FVFX", 4) == 0 && rd(f, &version, 4) &&
             version == 1 && rd(f, &count, 4) && count < 100000;
    if (ok) {
        snprintf(fx->path, sizeof fx->path, "%s", path);
        fx->e = calloc(count ? count : 1, sizeof *fx->e);
        ok = fx->e != NULL;
        for (uint32_t i = 0; ok && i < count; i++, fx->n++) ok = read_entry(f, &fx->e[i], ctx);
    }
    fclose(f);
    fv_ctx_free(ctx);
    if (!ok) {
        printf("fixture %s: malformed\n", path);
        fx_free(fx);
        return NULL;
    }
    return fx;
}

void fx_free(fx_file *fx)
{
    if (!fx) return;
    /* n also counts an entry that failed half-way, so its buffers are freed too. */
    for (int i = 0; i < fx->n && fx->e; i++) {
        fv_tensor_free(fx->e[i].t);
        free(fx->e[i].str);
    }
    free(fx->e);
    free(fx);
}

static const fx_entry *find(const fx_file *fx, const char *name)
{
    for (int i = 0; i < fx->n; i++)
        if (strcmp(fx->e[i].name, name) == 0) return &fx->e[i];
    return NULL;
}

const fv_tensor *fx_get(const fx_file *fx, const char *name)
{
    const fx_entry *e = find(fx, name);
    return e ? e->t : NULL;
}

const char *fx_str(const fx_file *fx, const char *name)
{
    const fx_entry *e = find(fx, name);
    return e ? e->str : NULL;
}

int64_t fx_int_of(const fv_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case FV_I32: return fv_i32(t)[i];
    case FV_I64: return fv_i64(t)[i];
    case FV_BOOL: return fv_bool(t)[i];
    default: return (int64_t)fv_f32(t)[i];
    }
}

int fx_int(const fx_file *fx, const char *name, int i, int def)
{
    const fv_tensor *t = fx_get(fx, name);
    if (!t || i >= t->size) return def;
    return (int)fx_int_of(t, i);
}

float fx_float(const fx_file *fx, const char *name, float def)
{
    const fv_tensor *t = fx_get(fx, name);
    if (!t || t->size < 1) return def;
    return t->dtype == FV_F32 ? fv_f32(t)[0] : (float)fx_int_of(t, 0);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int fx_list(const char *dir, const char *prefix, char ***paths)
{
    *paths = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0, cap = 0;
    struct dirent *de;
    size_t plen = strlen(prefix);
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, plen) != 0 || len < 4 || strcmp(de->d_name + len - 4, ".fvx") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            *paths = realloc(*paths, (size_t)cap * sizeof **paths);
        }
        size_t sz = strlen(dir) + len + 2;
        (*paths)[n] = malloc(sz);
        snprintf((*paths)[n++], sz, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (n) qsort(*paths, (size_t)n, sizeof **paths, cmp_str);
    return n;
}

void fx_list_free(char **paths, int n)
{
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}
