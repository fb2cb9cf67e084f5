/* .npy files: NumPy's own files (tests/reference/gen_npy.py) read with every dtype and refused where fovea
 * must refuse; round trips byte-identical to NumPy's writer; atomic writes; hostile headers from memory. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#define FIX "tests/reference/fixtures/npy/"

static bool has(const fv_ctx *ctx, const char *text) { return strstr(fv_errmsg(ctx), text) != NULL; }

static bool shape_is(const fv_tensor *t, int ndim, const int64_t *shape)
{
    if (t->ndim != ndim) return false;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != shape[i]) return false;
    return true;
}

static void test_numpy_files(fv_ctx *ctx)
{
    fv_tensor *t = fv_npy_read(ctx, FIX "f4_2x3.npy");
    const float grid[6] = {-1, -0.5f, 0, 0.5f, 1, 1.5f};
    CHECK(t && t->dtype == FV_F32 && shape_is(t, 2, (int64_t[]){2, 3}) && memcmp(t->data, grid, sizeof grid) == 0,
          "<f4 (2,3) (%s)", fv_errmsg(ctx));
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "f8_4.npy");
    CHECK(t && t->dtype == FV_F32 && shape_is(t, 1, (int64_t[]){4}) && fv_f32(t)[0] == 0.1f &&
              fv_f32(t)[1] == -2.5f && isinf(fv_f32(t)[2]) && fv_f32(t)[3] == 3.0f,
          "<f8 rounded to float, 1e40 to infinity");
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "i4_2x2x2.npy");
    bool ok = t && t->dtype == FV_I32 && shape_is(t, 3, (int64_t[]){2, 2, 2});
    for (int k = 0; ok && k < 8; k++) ok = fv_i32(t)[k] == k - 4;
    CHECK(ok, "<i4 (2,2,2)");
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "i8_3.npy");
    CHECK(t && t->dtype == FV_I32 && fv_i32(t)[0] == -5 && fv_i32(t)[2] == 2147483647, "<i8 within int32");
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "u1_2x2.npy");
    CHECK(t && t->dtype == FV_I32 && fv_i32(t)[1] == 255 && fv_i32(t)[3] == 128, "|u1 to int32");
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "f4_6d.npy");
    CHECK(t && t->ndim == 6 && t->shape[2] == 2 && t->shape[5] == 3 && fv_f32(t)[5] == 5.0f, "six dimensions");
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "b1_5.npy");
    CHECK(t && t->dtype == FV_I32 && shape_is(t, 1, (int64_t[]){5}) && fv_i32(t)[0] == 1 && fv_i32(t)[1] == 0 &&
              fv_i32(t)[3] == 1, "|b1 to 0/1");
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "scalar_f4.npy");
    CHECK(t && t->ndim == 0 && t->size == 1 && fv_f32(t)[0] == 3.25f, "a 0-d array is a scalar");
    fv_tensor_free(t);
    t = fv_npy_read(ctx, FIX "f4_5d.npy");
    CHECK(t && shape_is(t, 5, (int64_t[]){1, 2, 1, 2, 3}) && fv_f32(t)[11] == 11.0f, "5-D");
    fv_tensor_free(t);
    const char *versions[2] = {FIX "f4_v2.npy", FIX "f4_v3.npy"};
    for (int v = 0; v < 2; v++) {
        t = fv_npy_read(ctx, versions[v]);
        CHECK(t && shape_is(t, 2, (int64_t[]){3, 2}) && memcmp(t->data, grid, sizeof grid) == 0,
              "format version %d", v + 2);
        fv_tensor_free(t);
    }

    static const struct {
        const char *file, *text;
    } refused[] = {
        {FIX "f4_fortran.npy", "Fortran-order arrays are not supported"},
        {FIX "f4_7d.npy", "more than 6 dimensions"},
        {FIX "f4_be.npy", "big-endian dtype '>f4' is not supported"},
        {FIX "u2_3.npy", "dtype '<u2' is not supported"},
        {FIX "struct.npy", "structured arrays"},
        {FIX "empty_0x3.npy", "dimension 0 of (0,3) is 0"},
        {FIX "i8_big.npy", "element 1 is 1099511627776, outside the int32 range"},
        {"tests/data/test_npy.c", "is not a .npy file"},
        {FIX "no_such.npy", "cannot open"},
        {"tests", "is not a regular file"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        fv_clear_error(ctx);
        t = fv_npy_read(ctx, refused[i].file);
        CHECK(!t && has(ctx, refused[i].file) && has(ctx, refused[i].text), "refused: %s", fv_errmsg(ctx));
        fv_tensor_free(t);
    }
}

static size_t file_bytes(const char *path, uint8_t *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(out, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

/* Files named prefix* in dir (the temporary files a failed write must not leave behind). */
static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d) closedir(d);
    return n;
}

static void test_write(fv_ctx *ctx, const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/grid.npy", dir);
    fv_tensor *t = fv_npy_read(ctx, FIX "f4_2x3.npy");
    uint8_t ours[512], numpys[512];
    CHECK(t && fv_npy_write(ctx, path, t) == FV_OK, "write (2,3) float32 (%s)", fv_errmsg(ctx));
    size_t a = file_bytes(path, ours, sizeof ours), b = file_bytes(FIX "f4_2x3.npy", numpys, sizeof numpys);
    CHECK(a == b && a > 0 && memcmp(ours, numpys, a) == 0 && a % 64 == 24, "byte-identical to numpy.save's file");
    fv_tensor_free(t);

    static const struct {
        fv_dtype dtype;
        int ndim;
        int64_t shape[5];
    } cases[] = {{FV_F32, 0, {0}}, {FV_I32, 1, {7}}, {FV_F32, 4, {2, 3, 5, 7}}, {FV_I32, 5, {1, 2, 3, 1, 2}},
                 {FV_F32, 1, {20000}}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        t = fv_tensor_new(ctx, cases[c].dtype, cases[c].ndim, cases[c].shape);
        for (int64_t i = 0; i < t->size; i++) {
            if (t->dtype == FV_F32) fv_f32(t)[i] = (float)i * 0.37f - 3.0f;
            else fv_i32(t)[i] = (int32_t)(i * 7919 - 100000);
        }
        fv_tensor *back = fv_npy_write(ctx, path, t) == FV_OK ? fv_npy_read(ctx, path) : NULL;
        CHECK(back && back->dtype == t->dtype && fv_same_shape(back, t) &&
                  memcmp(back->data, t->data, (size_t)t->size * 4) == 0,
              "round trip of a %d-D %s tensor (%s)", cases[c].ndim, t->dtype == FV_F32 ? "float" : "int", fv_errmsg(ctx));
        fv_tensor_free(back);
        fv_tensor_free(t);
    }

    /* a write that fails (onto a directory) leaves the directory and no temporary file */
    char sub[160];
    snprintf(sub, sizeof sub, "%s/taken.npy", dir);
    mkdir(sub, 0755);
    t = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){3});
    struct stat sb;
    CHECK(fv_npy_write(ctx, sub, t) == FV_ERR_IO && has(ctx, "the old file, if any, is unchanged") &&
              stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && count_files(dir, "taken.npy.tmp") == 0,
          "failed write leaves no trace: %s", fv_errmsg(ctx));
    rmdir(sub);
    /* an existing file survives a refused tensor; and is replaced by a good one, keeping its mode */
    chmod(path, 0640);
    fv_tensor bad = *t;
    bad.size = 4;
    size_t before = file_bytes(path, ours, sizeof ours);
    CHECK(fv_npy_write(ctx, path, &bad) != FV_OK && file_bytes(path, numpys, sizeof numpys) == before &&
              memcmp(ours, numpys, before) == 0, "refused tensor: the old file is untouched");
    CHECK(fv_npy_write(ctx, path, t) == FV_OK && stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640 &&
              sb.st_size == 128 + 12, "replaced, keeping the old file's mode");
    char nodir[160];
    snprintf(nodir, sizeof nodir, "%s/missing/x.npy", dir);
    CHECK(fv_npy_write(ctx, nodir, t) == FV_ERR_IO && has(ctx, nodir), "missing directory: %s", fv_errmsg(ctx));
    fv_tensor_free(t);
    remove(path);
}

/* A .npy image in memory: preamble (version major), header text, and data_len bytes of data. */
static size_t make_npy(uint8_t *out, int major, const char *header, size_t data_len)
{
    size_t h = strlen(header), k = 0;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major, out[7] = 0;
    if (major == 1) {
        out[8] = (uint8_t)h, out[9] = (uint8_t)(h >> 8);
        k = 10;
    } else {
        out[8] = (uint8_t)h, out[9] = (uint8_t)(h >> 8), out[10] = (uint8_t)(h >> 16), out[11] = (uint8_t)(h >> 24);
        k = 12;
    }
    memcpy(out + k, header, h);
    memset(out + k + h, 0x3f, data_len);
    return k + h + data_len;
}

static void test_hostile(fv_ctx *ctx)
{
    static uint8_t buf[4096];
    static const struct {
        const char *header;
        size_t data;
        const char *text;
    } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8, NULL}, /* the good one */
        {"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}  \n", 8, NULL}, /* also valid Python */
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 7, "1 bytes are missing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 9, "has 1 bytes after the 8 data bytes"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }\n", 8, "must be written (n,)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", 8, "expected a dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (02,), }\n", 8, "leading zero"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': ((2,),), }\n", 8, "expected a dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", 8, "dimension too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n", 8,
         "larger than the 256 GiB tensor limit"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }\n", 8, "bytes are missing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, "a newline after '}'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x\n", 8, "a newline after '}'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}\n", 8, "unknown key"},
        {"{'descr': '<f4', 'descr': '<f4', 'shape': (2,)}\n", 8, "repeated key"},
        {"{'descr': '<f4', 'shape': (2,)}\n", 8, "are all required"},
        {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}\n", 8, "expected True or False"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}\n", 8, "Fortran-order"},
        {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}\n", 8, "unusual string"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}\n", 8, "dtype '<f4, ' is not"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}\n", 8, "expected ':'"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}\n", 8, "expected ',' or '}'"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2,)}\n", 8, "dtype '<f2' is not supported"},
        {"{'descr': 'object', 'fortran_order': False, 'shape': (2,)}\n", 8, "dtype 'object' is not supported"},
        {"[1, 2]\n", 0, "expected '{'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,\n", 8, "expected"},
        {"", 0, "expected '{'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = make_npy(buf, i % 2 ? 2 : 1, cases[i].header, cases[i].data);
        fv_clear_error(ctx);
        fv_tensor *t = fv_npy_read_mem(ctx, buf, n, "mem.npy");
        if (!cases[i].text) CHECK(t && t->size == 2, "valid header %zu read (%s)", i, fv_errmsg(ctx));
        else CHECK(!t && has(ctx, "mem.npy") && has(ctx, cases[i].text), "case %zu refused: %s", i, fv_errmsg(ctx));
        fv_tensor_free(t);
    }
    /* preamble troubles */
    size_t n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8);
    fv_tensor *t = fv_npy_read_mem(ctx, buf, 8, "short.npy");
    CHECK(!t && has(ctx, "short.npy is truncated: 8 bytes"), "8 bytes: %s", fv_errmsg(ctx));
    t = fv_npy_read_mem(ctx, buf, 40, "cut.npy");
    CHECK(!t && has(ctx, "cut.npy is truncated: its 58-byte .npy header stops after 30 bytes"), "header cut: %s", fv_errmsg(ctx));
    buf[6] = 4;
    t = fv_npy_read_mem(ctx, buf, n, "v4.npy");
    CHECK(!t && has(ctx, "format version 4.0 is not supported"), "version 4: %s", fv_errmsg(ctx));
    buf[6] = 2, buf[8] = 0, buf[9] = 0, buf[10] = 0, buf[11] = 0x10;
    t = fv_npy_read_mem(ctx, buf, n, "huge.npy");
    CHECK(!t && has(ctx, "header of 268435456 bytes"), "huge header length: %s", fv_errmsg(ctx));
    t = fv_npy_read_mem(ctx, NULL, 0, NULL);
    CHECK(!t && has(ctx, "truncated"), "empty input: %s", fv_errmsg(ctx));
}

static void test_dataset_npy(fv_ctx *ctx, const char *dir)
{
    char ypath[160];
    snprintf(ypath, sizeof ypath, "%s/y.npy", dir);
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){2});
    fv_i32(y)[0] = 1;
    fv_npy_write(ctx, ypath, y);
    fv_dataset *ds = fv_dataset_load_npy(ctx, FIX "u1_2x2.npy", ypath, 0);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){2, 2});
    CHECK(ds && fv_dataset_classes(ds) == 2 && fv_dataset_batch(ds, (int64_t[]){0, 1}, 2, x, y) == FV_OK &&
              fv_f32(x)[1] == 1.0f && fv_f32(x)[2] == 7.0f / 255.0f && fv_i32(y)[0] == 1,
          "dataset from uint8 images and int32 labels in .npy files (%s)", fv_errmsg(ctx));
    fv_dataset_free(ds);
    CHECK(!fv_dataset_load_npy(ctx, FIX "u1_2x2.npy", FIX "f4_2x3.npy", 0) && has(ctx, "f4_2x3.npy: labels (float)"),
          "float labels refused: %s", fv_errmsg(ctx));
    fv_tensor_free(x);
    fv_tensor_free(y);
    remove(ypath);
}

int main(void)
{
    char dir[] = "/tmp/fv_npy_XXXXXX";
    if (!CHECK(mkdtemp(dir) != NULL, "temporary directory")) return test_finish();
    fv_ctx *ctx = fv_ctx_new(1);
    test_numpy_files(ctx);
    test_write(ctx, dir);
    test_hostile(ctx);
    test_dataset_npy(ctx, dir);
    fv_ctx_free(ctx);
    rmdir(dir);
    return test_finish();
}
