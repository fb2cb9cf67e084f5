/* Model files: round trips of every part; refusals of truncated, flipped, newer and hostile files, each
 * naming the file; saves that fail without touching the old file; and a saver killed at random moments,
 * after which the file must still load as one complete version. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model_file_bytes.h"
#include "test.h"

static char tmpdir[64];

static const char *tpath(char *buf, const char *name)
{
    snprintf(buf, 512, "%s/%s", tmpdir, name);
    return buf;
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)size + 1);
    *n = b ? fread(b, 1, (size_t)size, f) : 0;
    fclose(f);
    return b;
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) fwrite(b, 1, n, f), fclose(f);
}

static bool same_bytes(const char *path, const unsigned char *b, size_t n)
{
    size_t m = 0;
    unsigned char *c = read_bytes(path, &m);
    bool same = c && m == n && memcmp(b, c, n) == 0;
    free(c);
    return same;
}

/* Temporary files ("*.tmp-*") in the test directory; removes them when asked. */
static int stray_temps(bool remove_them)
{
    DIR *d = opendir(tmpdir);
    int count = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strstr(e->d_name, ".tmp-")) continue;
        count++;
        char buf[512];
        if (remove_them) remove(tpath(buf, e->d_name));
    }
    if (d) closedir(d);
    return count;
}

/* ---- a model file with one of everything ------------------------------------------------------------ */

static const char *const tnames[] = {"conv1.weight", "conv1.bias", "bn1.running_mean", "fc1.weight", "fc2.weight",
                                     "labels", "temperature", "odd5"};
static const int tndim[] = {4, 1, 1, 2, 2, 1, 0, 5};
static const int64_t tshape[][5] = {{8, 1, 3, 3}, {8}, {8}, {10, 200}, {10, 10}, {7}, {0}, {1, 2, 3, 1, 5}};
#define NT 8

static fv_modelfile *sample(fv_ctx *ctx, int version)
{
    fv_modelfile *mf = fv_modelfile_new(ctx);
    bool ok = mf && fv_modelfile_set_description(mf, "input 1x28x28\nconv2d conv1 filters=8 kernel=3  # café ✓\n") == FV_OK;
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *meta[][2] = {{"class_names", "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"},
                             {"normalization.mean", "0.2860"}, {"normalization.std", "0.3530"},
                             {"creator", "fovea test — ünïcode"}, {"version", v}, {"empty", ""}};
    for (int i = 0; ok && i < 6; i++) ok = fv_modelfile_meta_set(mf, meta[i][0], meta[i][1]) == FV_OK;
    for (int k = 0; ok && k < NT; k++) {
        fv_tensor *t = fv_tensor_new(ctx, k == 5 ? FV_I32 : FV_F32, tndim[k], tshape[k]);
        for (int64_t i = 0; t && i < t->size; i++) {
            if (k == 5) fv_i32(t)[i] = (int32_t)(i * 1000 - 3) * (version + 1);
            else fv_f32(t)[i] = sinf((float)(i + 7 * k) * 0.1f + (float)version);
        }
        ok = t && fv_modelfile_add_tensor(mf, tnames[k], t) == FV_OK;
        fv_tensor_free(t);
    }
    unsigned char blob[100];
    for (int i = 0; i < 100; i++) blob[i] = (unsigned char)(i * 37 + version);
    ok = ok && fv_modelfile_set_blob(mf, FV_BLOB_OPTIMIZER, blob, sizeof blob) == FV_OK &&
         fv_modelfile_set_blob(mf, "empty", NULL, 0) == FV_OK && fv_modelfile_pos_set_int(mf, FV_POS_EPOCH, 3) == FV_OK &&
         fv_modelfile_pos_set_int(mf, FV_POS_STEP, 17) == FV_OK && fv_modelfile_pos_set_int(mf, FV_POS_GLOBAL_STEP, 317) == FV_OK &&
         fv_modelfile_pos_set_int(mf, FV_POS_SEED, (int64_t)0xDEADBEEFCAFEF00Dull) == FV_OK &&
         fv_modelfile_pos_set_real(mf, FV_POS_BEST, 0.8125) == FV_OK &&
         fv_modelfile_pos_set_int(mf, "early_stopping.wait", 2) == FV_OK &&
         fv_modelfile_pos_set_real(mf, "best_loss", INFINITY) == FV_OK;
    if (!ok) {
        fprintf(stderr, "sample: %s\n", fv_errmsg(ctx));
        fv_modelfile_free(mf);
        return NULL;
    }
    return mf;
}

/* Every part equal, in order, bit for bit. */
static bool same_modelfile(const fv_modelfile *a, const fv_modelfile *b)
{
    if (strcmp(fv_modelfile_description(a), fv_modelfile_description(b)) != 0) return false;
    if (fv_modelfile_meta_count(a) != fv_modelfile_meta_count(b) || fv_modelfile_tensor_count(a) != fv_modelfile_tensor_count(b) ||
        fv_modelfile_blob_count(a) != fv_modelfile_blob_count(b) || fv_modelfile_pos_count(a) != fv_modelfile_pos_count(b))
        return false;
    for (int i = 0; i < fv_modelfile_meta_count(a); i++) {
        const char *va, *vb, *ka = fv_modelfile_meta_at(a, i, &va), *kb = fv_modelfile_meta_at(b, i, &vb);
        if (strcmp(ka, kb) || strcmp(va, vb)) return false;
    }
    for (int i = 0; i < fv_modelfile_tensor_count(a); i++) {
        const char *na, *nb;
        const fv_tensor *ta = fv_modelfile_tensor_at(a, i, &na), *tb = fv_modelfile_tensor_at(b, i, &nb);
        if (strcmp(na, nb) || ta->dtype != tb->dtype || !fv_same_shape(ta, tb) ||
            memcmp(ta->data, tb->data, (size_t)ta->size * fv_dtype_size(ta->dtype)))
            return false;
    }
    for (int i = 0; i < fv_modelfile_blob_count(a); i++) {
        const char *name = fv_modelfile_blob_name(a, i);
        size_t la = 0, lb = 0;
        const void *da = fv_modelfile_blob(a, name, &la), *db = fv_modelfile_blob(b, name, &lb);
        if (strcmp(name, fv_modelfile_blob_name(b, i)) || !db || la != lb || memcmp(da, db, la)) return false;
    }
    for (int i = 0; i < fv_modelfile_pos_count(a); i++) {
        fv_pos_type ya, yb;
        const char *na = fv_modelfile_pos_at(a, i, &ya), *nb = fv_modelfile_pos_at(b, i, &yb);
        int64_t ia = 0, ib = 0;
        double ra = 0, rb = 0;
        fv_modelfile_pos_get_int(a, na, &ia), fv_modelfile_pos_get_int(b, nb, &ib);
        fv_modelfile_pos_get_real(a, na, &ra), fv_modelfile_pos_get_real(b, nb, &rb);
        if (strcmp(na, nb) || ya != yb || ia != ib || memcmp(&ra, &rb, sizeof ra)) return false;
    }
    return true;
}

/* ---- round trips ---------------------------------------------------------------------------------------- */

static void check_round_trip(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_modelfile *mf = sample(ctx, 1), *back = NULL, *mem = NULL;
    char path[512];
    tpath(path, "model.fvm");
    if (!CHECK(mf && fv_modelfile_save(ctx, mf, path) == FV_OK, "save a model file: %s", fv_errmsg(ctx))) return;
    back = fv_modelfile_load(ctx, path);
    CHECK(back && same_modelfile(mf, back), "loaded: every part equal, in order (%s)", fv_errmsg(ctx));
    bool aligned = back != NULL;
    for (int i = 0; back && i < fv_modelfile_tensor_count(back); i++)
        aligned &= (uintptr_t)fv_modelfile_tensor_at(back, i, NULL)->data % 64 == 0;
    CHECK(aligned, "loaded tensor data is 64-byte aligned");

    size_t n = 0, m = 0, r = 0;
    unsigned char *file = read_bytes(path, &n);
    void *buf = NULL, *again = NULL;
    CHECK(fv_modelfile_save_mem(ctx, mf, &buf, &m) == FV_OK && m == n && memcmp(buf, file, n) == 0,
          "save_mem gives the file's bytes (%zu)", n);
    mem = fv_modelfile_load_mem(ctx, buf, m, "buffer");
    free(buf);
    CHECK(mem && same_modelfile(mf, mem), "load_mem: equal, usable after the buffer is freed");
    CHECK(back && fv_modelfile_save_mem(ctx, back, &again, &r) == FV_OK && r == n && memcmp(again, file, n) == 0,
          "a loaded file saves to the same bytes");
    free(again);

    /* accessors */
    size_t len = 1;
    int64_t iv = 0;
    double rv = 0;
    const fv_tensor *lab = back ? fv_modelfile_find_tensor(back, "labels") : NULL;
    CHECK(lab && lab->dtype == FV_I32 && lab->ndim == 1 && lab->shape[0] == 7 && fv_i32(lab)[2] == 1997 * 2,
          "int32 tensor found by name");
    const fv_tensor *sc = back ? fv_modelfile_find_tensor(back, "temperature") : NULL;
    CHECK(sc && sc->ndim == 0 && sc->size == 1, "a scalar (0 dimensions) survives");
    CHECK(!fv_modelfile_find_tensor(back, "nope") && !fv_modelfile_tensor_at(back, -1, NULL) &&
          !fv_modelfile_tensor_at(back, NT, NULL) && !fv_modelfile_meta_get(back, "nope") && !fv_modelfile_blob(back, "nope", NULL) &&
          !fv_modelfile_meta_at(back, 99, NULL) && !fv_modelfile_blob_name(back, 2) && !fv_modelfile_pos_at(back, 7, NULL),
          "missing names and bad indices give NULL");
    CHECK(fv_modelfile_blob(back, "empty", &len) != NULL && len == 0, "an empty blob is present with length 0");
    CHECK(fv_modelfile_pos_get_int(back, FV_POS_SEED, &iv) && (uint64_t)iv == 0xDEADBEEFCAFEF00Dull &&
          !fv_modelfile_pos_get_int(back, FV_POS_BEST, &iv) && fv_modelfile_pos_get_real(back, FV_POS_BEST, &rv) && rv == 0.8125 &&
          fv_modelfile_pos_get_real(back, FV_POS_EPOCH, &rv) && rv == 3 && fv_modelfile_pos_get_real(back, "best_loss", &rv) &&
          isinf(rv), "training position: ints, reals, a uint64 seed, infinity");

    /* changing a loaded file: a blob and a field replaced, a key updated in place, a tensor added */
    fv_tensor *extra = fv_tensor_new(ctx, FV_F32, 1, (int64_t[]){3});
    bool ok = back && extra && fv_modelfile_set_blob(back, FV_BLOB_OPTIMIZER, "xyz", 3) == FV_OK &&
              fv_modelfile_meta_set(back, "normalization.mean", "0.5") == FV_OK &&
              fv_modelfile_pos_set_real(back, FV_POS_EPOCH, 2.5) == FV_OK && fv_modelfile_add_tensor(back, "extra", extra) == FV_OK &&
              fv_modelfile_save(ctx, back, path) == FV_OK;
    fv_modelfile *third = ok ? fv_modelfile_load(ctx, path) : NULL;
    const char *k1 = NULL, *v1 = NULL;
    if (third) k1 = fv_modelfile_meta_at(third, 1, &v1);
    ok = third && same_modelfile(back, third) && fv_modelfile_find_tensor(third, "extra") && k1 &&
         !strcmp(k1, "normalization.mean") && !strcmp(v1, "0.5") && fv_modelfile_blob(third, FV_BLOB_OPTIMIZER, &len) && len == 3;
    CHECK(ok, "a loaded file changed and saved again: updates kept, key order kept (%s)", fv_errmsg(ctx));
    fv_tensor_free(extra);
    fv_modelfile_free(third);

    /* an empty container */
    fv_modelfile *empty = fv_modelfile_new(ctx), *eback = NULL;
    void *eb = NULL;
    size_t en = 0;
    ok = empty && fv_modelfile_save_mem(ctx, empty, &eb, &en) == FV_OK && (eback = fv_modelfile_load_mem(ctx, eb, en, "empty"));
    CHECK(ok && same_modelfile(empty, eback) && !strcmp(fv_modelfile_description(eback), ""),
          "an empty model file round-trips (%zu bytes)", en);
    free(eb);
    fv_modelfile_free(empty), fv_modelfile_free(eback);
    free(file);
    fv_modelfile_free(mf), fv_modelfile_free(back), fv_modelfile_free(mem);
    remove(path);
    fv_ctx_free(ctx);
}

/* The optimizer's state travels as a blob and restores an optimizer. */
static void check_optimizer_blob(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_param *p = fv_param_new(ctx, "w", FV_PARAM_WEIGHT, 1, (int64_t[]){5});
    fv_optim_config c = fv_optim_defaults(FV_OPT_ADAM);
    fv_optimizer *a = fv_optim_new(ctx, &c), *b = fv_optim_new(ctx, &c);
    fv_optim_add_group(a, &p, 1, -1), fv_optim_add_group(b, &p, 1, -1);
    for (int i = 0; i < 5; i++) fv_f32(&p->grad)[i] = 0.1f * (float)(i + 1);
    fv_optim_step(a), fv_optim_step(a);
    void *state = NULL, *bytes = NULL;
    size_t n = 0, len = 0;
    fv_modelfile *mf = fv_modelfile_new(ctx), *back = NULL;
    bool ok = fv_optim_save_mem(a, &state, &n) == FV_OK && fv_modelfile_set_blob(mf, FV_BLOB_OPTIMIZER, state, n) == FV_OK &&
              fv_modelfile_save_mem(ctx, mf, &bytes, &len) == FV_OK && (back = fv_modelfile_load_mem(ctx, bytes, len, "ckpt.fvm"));
    size_t bn = 0;
    const void *blob = back ? fv_modelfile_blob(back, FV_BLOB_OPTIMIZER, &bn) : NULL;
    ok = ok && blob && fv_optim_load_mem(b, blob, bn, "ckpt.fvm") == FV_OK && fv_optim_steps(b) == 2;
    CHECK(ok, "optimizer state saved in a model file restores an optimizer (%s)", fv_errmsg(ctx));
    free(state), free(bytes);
    fv_modelfile_free(mf), fv_modelfile_free(back);
    fv_optim_free(a), fv_optim_free(b);
    fv_param_free(p);
    fv_ctx_free(ctx);
}

static void check_api_errors(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_modelfile *mf = fv_modelfile_new(ctx);
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){2, 3});
    char longname[300];
    memset(longname, 'a', 256), longname[256] = '\0';
    CHECK(fv_modelfile_add_tensor(mf, "w", t) == FV_OK && fv_modelfile_add_tensor(mf, "w", t) == FV_ERR_ARG &&
          strstr(fv_errmsg(ctx), "'w' is already present"), "a duplicate tensor name is refused: %s", fv_errmsg(ctx));
    CHECK(fv_modelfile_add_tensor(mf, longname, t) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "longer than 255"),
          "a 256-byte name is refused: ...%s", fv_errmsg(ctx) + 80);
    longname[255] = '\0';
    CHECK(fv_modelfile_add_tensor(mf, longname, t) == FV_OK, "a 255-byte name is accepted");
    CHECK(fv_modelfile_add_tensor(mf, "", t) == FV_ERR_ARG && fv_modelfile_add_tensor(mf, NULL, t) == FV_ERR_ARG &&
          fv_modelfile_add_tensor(mf, "a\nb", t) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "control character") &&
          fv_modelfile_add_tensor(mf, "bad\xC3(", t) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "not valid UTF-8") &&
          fv_modelfile_meta_set(mf, "k", "\xED\xA0\x80") == FV_ERR_ARG && /* a UTF-16 surrogate */
          fv_modelfile_set_description(mf, "\xC0\xAF") == FV_ERR_ARG,  /* overlong '/' */
          "empty, NULL, control-character and non-UTF-8 names and text are refused: %s", fv_errmsg(ctx));
    fv_tensor bad = *t;
    bad.shape[1] = 0;
    fv_tensor nodata = *t;
    nodata.data = NULL;
    CHECK(fv_modelfile_add_tensor(mf, "z", &bad) != FV_OK && fv_modelfile_add_tensor(mf, "z", &nodata) == FV_ERR_ARG &&
          fv_modelfile_add_tensor(mf, "z", NULL) == FV_ERR_ARG && !fv_modelfile_find_tensor(mf, "z"),
          "a zero dimension, no data, no tensor: refused, nothing added (%s)", fv_errmsg(ctx));
    CHECK(fv_modelfile_set_blob(mf, "b", NULL, 5) == FV_ERR_ARG && fv_modelfile_meta_set(mf, "k", NULL) == FV_ERR_ARG &&
          fv_modelfile_save(ctx, NULL, "x") == FV_ERR_ARG && fv_modelfile_save(ctx, mf, "") == FV_ERR_ARG &&
          !fv_modelfile_load(ctx, NULL) && fv_errcode(ctx) == FV_ERR_ARG,
          "NULL data, values, files and paths are argument errors");
    fv_modelfile *none = fv_modelfile_load(ctx, "/nonexistent/m.fvm");
    CHECK(!none && fv_errcode(ctx) == FV_ERR_IO && strstr(fv_errmsg(ctx), "/nonexistent/m.fvm"), "a missing file: %s", fv_errmsg(ctx));
    none = fv_modelfile_load(ctx, "/tmp");
    CHECK(!none && fv_errcode(ctx) == FV_ERR_IO && strstr(fv_errmsg(ctx), "not a regular file"), "a directory: %s", fv_errmsg(ctx));
    /* many tensors: lookups through the name index after it has grown */
    bool found = true;
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "layer%d.weight", i);
        found &= fv_modelfile_add_tensor(mf, name, t) == FV_OK;
    }
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "layer%d.weight", i);
        const char *got = NULL;
        found &= fv_modelfile_find_tensor(mf, name) == fv_modelfile_tensor_at(mf, i + 2, &got) && !strcmp(got, name);
    }
    CHECK(found && fv_modelfile_tensor_count(mf) == 302, "302 tensors, each found by name");
    fv_tensor_free(t);
    fv_modelfile_free(mf);
    fv_ctx_free(ctx);
}

/* ---- refusals ------------------------------------------------------------------------------------------------ */

/* Loads bytes that must be refused: NULL, FV_ERR_FORMAT, the name and want (if any) in the message. */
static bool refused(fv_ctx *ctx, const unsigned char *b, size_t n, const char *name, const char *want)
{
    fv_clear_error(ctx);
    fv_modelfile *mf = fv_modelfile_load_mem(ctx, b, n, name);
    bool ok = !mf && fv_errcode(ctx) == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), name) && (!want || strstr(fv_errmsg(ctx), want));
    fv_modelfile_free(mf);
    return ok;
}

static unsigned char *sample_bytes(fv_ctx *ctx, size_t *n)
{
    fv_modelfile *mf = sample(ctx, 1);
    void *b = NULL;
    if (!mf || fv_modelfile_save_mem(ctx, mf, &b, n) != FV_OK) b = NULL;
    fv_modelfile_free(mf);
    return b;
}

/* Where the fields of the k-th tensor index entry are. */
typedef struct {
    size_t name, name_len, dtype, ndim, dims, off, bytes;
} tentry;

static bool tidx_entry(const unsigned char *b, size_t n, uint32_t k, tentry *e)
{
    size_t len = 0, p = mfb_section(b, n, "TIDX", &len);
    if (!p || mfb_get(b + p, 4) <= k) return false;
    p += 4;
    for (uint32_t i = 0; i <= k; i++) {
        e->name_len = (size_t)mfb_get(b + p, 2), e->name = p + 2;
        e->dtype = e->name + e->name_len, e->ndim = e->dtype + 1, e->dims = e->ndim + 1;
        e->off = e->dims + 8 * b[e->ndim], e->bytes = e->off + 8;
        p = e->bytes + 8;
    }
    return true;
}

static void check_truncation(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    size_t n = 0;
    unsigned char *b = sample_bytes(ctx, &n);
    if (!CHECK(b != NULL, "sample bytes")) return;
    int bad = 0;
    for (size_t cut = 0; cut < n; cut++)
        if (!refused(ctx, b, cut, "cut.fvm", cut == 0 ? "is empty" : "is truncated")) {
            if (bad++ < 3) printf("  cut at %zu: %s\n", cut, fv_errmsg(ctx));
        }
    CHECK(bad == 0, "cut at each of %zu offsets: refused as truncated, naming the file (%d wrong)", n, bad);
    tentry e;
    char want[200], path[512];
    if (tidx_entry(b, n, 3, &e)) { /* fc1.weight, 10x200 floats */
        uint64_t off = mfb_get(b + e.off, 8);
        snprintf(want, sizeof want, "model file cut.fvm is truncated: tensor 'fc1.weight' needs 8000 bytes at offset %llu, "
                 "file has %llu bytes", (unsigned long long)off, (unsigned long long)off + 100);
        CHECK(refused(ctx, b, (size_t)off + 100, "cut.fvm", NULL) && !strcmp(fv_errmsg(ctx), want),
              "a cut inside a tensor names it: %s", fv_errmsg(ctx));
    }
    size_t dlen = 0, doff = mfb_section(b, n, "DESC", &dlen);
    CHECK(refused(ctx, b, doff + 3, "cut.fvm", "section 'DESC' (description) needs"), "a cut inside a section names it: %s", fv_errmsg(ctx));
    CHECK(refused(ctx, b, 40, "cut.fvm", "inside its section table"), "%s", fv_errmsg(ctx));
    CHECK(refused(ctx, b, n - 3, "cut.fvm", "its header says"),
          "a cut in the trailer: %s", fv_errmsg(ctx));
    /* the same through files */
    tpath(path, "cut.fvm");
    const size_t cuts[] = {0, 10, n / 2, n - 1};
    int fbad = 0;
    for (int i = 0; i < 4; i++) {
        write_bytes(path, b, cuts[i]);
        fv_modelfile *mf = fv_modelfile_load(ctx, path);
        fbad += mf || fv_errcode(ctx) != FV_ERR_FORMAT || !strstr(fv_errmsg(ctx), path);
        fv_modelfile_free(mf);
    }
    CHECK(fbad == 0, "cut files refused with their path: %s", fv_errmsg(ctx));
    remove(path);
    free(b);
    fv_ctx_free(ctx);
}

/* Dimensions whose product wraps (2^33 x 2^33 = 2^66, and 2^62+1 x 4 = 4 mod 2^64): refused, never taken as a
 * small tensor (issue 13: every reader's size products go through core/size.c). */
static void check_shape_overflow(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    size_t n = 0;
    unsigned char *b = sample_bytes(ctx, &n);
    tentry e;
    if (!CHECK(b && tidx_entry(b, n, 3, &e) && b[e.ndim] == 2, "sample bytes, fc1.weight of rank 2")) return;
    const uint64_t dims[2][2] = {{(uint64_t)1 << 33, (uint64_t)1 << 33}, {((uint64_t)1 << 62) + 1, 4}};
    for (int k = 0; k < 2; k++) {
        unsigned char *c = malloc(n);
        memcpy(c, b, n);
        mfb_put(c + e.dims, dims[k][0], 8), mfb_put(c + e.dims + 8, dims[k][1], 8);
        mfb_reseal(c, n);
        CHECK(refused(ctx, c, n, "wrap.fvm", "is larger than its tensor data section"), "%s", fv_errmsg(ctx));
        free(c);
    }
    free(b);
    fv_ctx_free(ctx);
}

static void check_flips(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    size_t n = 0;
    unsigned char *b = sample_bytes(ctx, &n);
    if (!b) return;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (unsigned char)(1u << bit);
            /* the magic and the major version are checked before any checksum */
            const char *want = i < 4 ? "not a fovea model file" : i < 8 ? NULL : i >= n - 4 ? "DMVF" : "checksum";
            if (!refused(ctx, b, n, "flip.fvm", want) && bad++ < 3) printf("  flip at %zu: %s\n", i, fv_errmsg(ctx));
            b[i] ^= (unsigned char)(1u << bit);
        }
    }
    CHECK(bad == 0, "3 bit flips at each of %zu offsets: each refused by a checksum (%d wrong)", n, bad);
    b[n / 2] ^= 0x40;
    CHECK(refused(ctx, b, n, "flip.fvm", "section 'TDAT' (tensor data"), "a flip in the data names the section: %s", fv_errmsg(ctx));
    b[n / 2] ^= 0x40;
    fv_modelfile *ok = fv_modelfile_load_mem(ctx, b, n, "flip.fvm");
    CHECK(ok != NULL, "the unflipped bytes load");
    fv_modelfile_free(ok);
    free(b);
    fv_ctx_free(ctx);
}

/* Edits one field (a little-endian value of `bytes` bytes at `at`), reseals the checksums, expects want. */
static bool edited(fv_ctx *ctx, const unsigned char *b, size_t n, size_t at, uint64_t v, int bytes, const char *want)
{
    unsigned char *c = malloc(n);
    memcpy(c, b, n);
    mfb_put(c + at, v, bytes);
    mfb_reseal(c, n);
    bool ok = refused(ctx, c, n, "m.fvm", want);
    if (!ok) printf("  edit at %zu wanted '%s', got: %s\n", at, want, fv_errmsg(ctx));
    free(c);
    return ok;
}

static void check_versions_and_hostile(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    size_t n = 0;
    unsigned char *b = sample_bytes(ctx, &n);
    if (!b) return;
    CHECK(edited(ctx, b, n, 4, 2, 4, NULL) &&
          !strcmp(fv_errmsg(ctx), "model file m.fvm was written by a newer fovea (format version 2, this build reads up to 1)"),
          "newer major version: %s", fv_errmsg(ctx));
    CHECK(edited(ctx, b, n, 4, 0, 4, "format version 0"), "version 0: %s", fv_errmsg(ctx));
    CHECK(edited(ctx, b, n, 0, 0x44524D46, 4, "not a fovea model file (it does not start with FVMD)"), "wrong magic: %s", fv_errmsg(ctx));
    /* a newer minor version with a section this build does not know: skipped when optional, refused when required */
    size_t blob = mfb_entry(b, n, "BLOB");
    unsigned char *c = malloc(n);
    memcpy(c, b, n);
    memcpy(c + blob, "XTRA", 4);
    mfb_put(c + 8, 3, 4);
    mfb_reseal(c, n);
    fv_modelfile *mf = fv_modelfile_load_mem(ctx, c, n, "m.fvm");
    CHECK(mf && fv_modelfile_blob_count(mf) == 0 && fv_modelfile_tensor_count(mf) == NT,
          "an unknown optional section of a newer minor version is skipped (%s)", fv_errmsg(ctx));
    fv_modelfile_free(mf);
    mfb_put(c + blob + 4, 1, 4);
    mfb_reseal(c, n);
    CHECK(refused(ctx, c, n, "m.fvm", "needs a newer fovea: its section 'XTRA' is required"), "%s", fv_errmsg(ctx));
    free(c);

    /* hostile fields behind valid checksums */
    tentry e0, e1, e3, e4;
    size_t mlen = 0, moff = mfb_section(b, n, "META", &mlen), dlen = 0, doff = mfb_section(b, n, "DESC", &dlen);
    size_t plen = 0, poff = mfb_section(b, n, "TPOS", &plen), blen = 0, boff = mfb_section(b, n, "BLOB", &blen);
    size_t tdat = mfb_entry(b, n, "TDAT"), meta = mfb_entry(b, n, "META"), desc = mfb_entry(b, n, "DESC");
    if (!tidx_entry(b, n, 0, &e0) || !tidx_entry(b, n, 1, &e1) || !tidx_entry(b, n, 3, &e3) || !tidx_entry(b, n, 4, &e4) ||
        !moff || !doff || !poff || !boff || !tdat)
        return;
    uint64_t tdat_off = mfb_get(b + tdat + 8, 8), tdat_len = mfb_get(b + tdat + 16, 8);
    int bad = 0;
    bad += !edited(ctx, b, n, e0.dims, (uint64_t)1 << 40, 8, "tensor 'conv1.weight' of shape (1099511627776,1,3,3) is larger than its tensor data section");
    bad += !edited(ctx, b, n, e0.dims + 8, UINT64_MAX, 8, "is larger than its tensor data section");
    bad += !edited(ctx, b, n, e0.dims, 0, 8, "tensor 'conv1.weight' has a dimension of size 0");
    bad += !edited(ctx, b, n, moff, 0xFFFFFFFF, 4, "the metadata section claims 4294967295 entries");
    bad += !edited(ctx, b, n, boff + 4 + 2 + 9, (uint64_t)1 << 62, 8, "the blobs section ends inside blob 0");
    bad += !edited(ctx, b, n, tdat + 16, (uint64_t)1 << 62, 8, "section 4 ('TDAT') of 4611686018427387904 bytes");
    bad += !edited(ctx, b, n, tdat + 8, UINT64_MAX - 100, 8, "lies outside");
    bad += !edited(ctx, b, n, 16, n + 1000, 8, "its header says");
    bad += !edited(ctx, b, n, 16, 7, 8, "less than its header, section table and trailer");
    bad += !edited(ctx, b, n, 12, 1000, 4, "1000 sections (at most 64)");
    bad += !edited(ctx, b, n, 12, 64, 4, "is corrupt");
    bad += !edited(ctx, b, n, meta + 8, doff, 8, "overlap");
    bad += !edited(ctx, b, n, meta, 0x43534544, 4, "it has two 'DESC' sections");
    bad += !edited(ctx, b, n, desc + 16, dlen + 8, 8, "overlap");
    bad += !edited(ctx, b, n, e4.name + 2, '1', 1, "tensor 'fc1.weight' appears twice");
    bad += !edited(ctx, b, n, e0.off, mfb_get(b + e0.off, 8) + 4, 8, "tensor 'conv1.weight' at offset");
    bad += !edited(ctx, b, n, e1.off, mfb_get(b + e0.off, 8), 8, "overlap");
    bad += !edited(ctx, b, n, e3.off, tdat_off + (tdat_len + 63) / 64 * 64, 8, "lies outside the tensor data section");
    bad += !edited(ctx, b, n, e3.off, tdat_off - 64, 8, "lies outside the tensor data section");
    bad += !edited(ctx, b, n, e0.bytes, 1, 8, "needs 288 bytes, its index says 1");
    bad += !edited(ctx, b, n, e0.dtype, 7, 1, "tensor 'conv1.weight' has dtype 7");
    bad += !edited(ctx, b, n, e0.ndim, 9, 1, "tensor 'conv1.weight' has 9 dimensions (at most 6)");
    bad += !edited(ctx, b, n, e0.name, 0xFF, 1, "the name of tensor 0 is not valid UTF-8");
    bad += !edited(ctx, b, n, e0.name - 2, 300, 2, "the name of tensor 0 is longer than 255 bytes");
    bad += !edited(ctx, b, n, e0.name - 2, 0, 2, "the name of tensor 0 is empty");
    bad += !edited(ctx, b, n, moff + 6, 0x07, 1, "the name of metadata entry 0 contains a control character");
    bad += !edited(ctx, b, n, doff + 5, 0, 1, "its description contains a NUL byte");
    bad += !edited(ctx, b, n, poff + 4 + 2 + 5, 3, 1, "training position field 'epoch' has type 3");
    bad += !edited(ctx, b, n, poff, 6, 4, "the training position section has 20 bytes after its last entry");
    bad += !edited(ctx, b, n, n - 4, 0, 4, "its last 4 bytes are not DMVF");
    CHECK(bad == 0, "30 hostile edits behind valid checksums, each refused with its own message (%d wrong)", bad);
    /* bytes after the end */
    unsigned char *longer = calloc(n + 5, 1);
    memcpy(longer, b, n);
    CHECK(refused(ctx, longer, n + 5, "m.fvm", "it has 5 bytes after its end"), "%s", fv_errmsg(ctx));
    free(longer);
    free(b);
    fv_ctx_free(ctx);
}

/* ---- failed saves ------------------------------------------------------------------------------------------------ */

static void check_failed_saves(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_modelfile *mf = sample(ctx, 1), *newer = sample(ctx, 2);
    char path[512], buf[512];
    tpath(path, "keep.fvm");
    size_t n = 0;
    if (!mf || !newer || fv_modelfile_save(ctx, mf, path) != FV_OK) return;
    unsigned char *old = read_bytes(path, &n);

    CHECK(fv_modelfile_save(ctx, newer, tpath(buf, "no/such/dir/m.fvm")) == FV_ERR_IO && strstr(fv_errmsg(ctx), "no/such/dir/m.fvm") &&
          strstr(fv_errmsg(ctx), "unchanged"), "save into a missing directory: %s", fv_errmsg(ctx));
    /* a name that fits while its temporary name does not */
    char name[256];
    memset(name, 'x', 250), name[250] = '\0';
    char longpath[512];
    tpath(longpath, name);
    write_bytes(longpath, old, n);
    CHECK(fv_modelfile_save(ctx, newer, longpath) == FV_ERR_IO && same_bytes(longpath, old, n),
          "a failed save (temporary name too long) leaves the old file byte-identical");
    remove(longpath);
    /* a directory where the file should be */
    mkdir(tpath(buf, "adir"), 0755);
    CHECK(fv_modelfile_save(ctx, newer, buf) == FV_ERR_IO && stray_temps(false) == 0, "saving over a directory fails, no temporary file left: %s",
          fv_errmsg(ctx));
    rmdir(buf);
    /* the disk fills up in the middle of the data (a file size limit, in a child process) */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {2000, 2000};
        setrlimit(RLIMIT_FSIZE, &lim);
        _exit(fv_modelfile_save(ctx, newer, path) == FV_ERR_IO && strstr(fv_errmsg(ctx), "File too large") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && same_bytes(path, old, n) && stray_temps(false) == 0,
          "a write that fails half way leaves the old file byte-identical and removes the temporary file");
    /* a read-only directory (root writes anyway, so only for other users) */
    if (geteuid() != 0) {
        chmod(tmpdir, 0555);
        CHECK(fv_modelfile_save(ctx, newer, path) == FV_ERR_IO && same_bytes(path, old, n), "read-only directory: %s", fv_errmsg(ctx));
        chmod(tmpdir, 0700);
    } else {
        printf("skip read-only directory (running as root)\n");
    }
    /* permissions: an existing file keeps its mode; a new one gets 0666 under the umask */
    chmod(path, 0600);
    struct stat st = {0};
    bool saved = fv_modelfile_save(ctx, newer, path) == FV_OK && stat(path, &st) == 0;
    CHECK(saved && (st.st_mode & 0777) == 0600, "a replaced file keeps its permissions (%o)", (unsigned)(st.st_mode & 0777));
    mode_t mask = umask(022);
    saved = fv_modelfile_save(ctx, newer, tpath(buf, "fresh.fvm")) == FV_OK && stat(buf, &st) == 0;
    CHECK(saved && (st.st_mode & 0777) == 0644, "a new file gets 0666 under the umask 022 (%o)", (unsigned)(st.st_mode & 0777));
    umask(mask);
    remove(buf), remove(path);
    free(old);
    fv_modelfile_free(mf), fv_modelfile_free(newer);
    fv_ctx_free(ctx);
}

/* ---- killed while saving -------------------------------------------------------------------------------------------- */

#define BIG (1 << 20) /* int32 elements: a 4 MiB tensor */

static uint32_t big_value(int version, int64_t i) { return (uint32_t)version * 2654435761u ^ (uint32_t)i * 40503u; }

static fv_modelfile *big_model(fv_ctx *ctx, int version, fv_tensor *t)
{
    fv_modelfile *mf = fv_modelfile_new(ctx);
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    for (int64_t i = 0; i < BIG; i++) fv_i32(t)[i] = (int32_t)big_value(version, i);
    if (fv_modelfile_meta_set(mf, "version", v) || fv_modelfile_add_tensor(mf, "big", t) ||
        fv_modelfile_pos_set_int(mf, FV_POS_GLOBAL_STEP, version)) {
        fv_modelfile_free(mf);
        return NULL;
    }
    return mf;
}

/* The version a file holds, checked to be complete; -1 when it is not a complete version. */
static int loaded_version(fv_ctx *ctx, const char *path)
{
    fv_modelfile *mf = fv_modelfile_load(ctx, path);
    const char *v = mf ? fv_modelfile_meta_get(mf, "version") : NULL;
    const fv_tensor *t = mf ? fv_modelfile_find_tensor(mf, "big") : NULL;
    int version = v ? atoi(v) : -1;
    int64_t step = -2;
    bool ok = t && t->size == BIG && fv_modelfile_pos_get_int(mf, FV_POS_GLOBAL_STEP, &step) && step == version;
    for (int64_t i = 0; ok && i < BIG; i++) ok = (uint32_t)fv_i32(t)[i] == big_value(version, i);
    fv_modelfile_free(mf);
    return ok ? version : -1;
}

static void check_killed_saves(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_tensor *t = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){BIG});
    char path[512];
    tpath(path, "killed.fvm");
    fv_modelfile *first = t ? big_model(ctx, 0, t) : NULL;
    if (!CHECK(first && fv_modelfile_save(ctx, first, path) == FV_OK, "version 0 saved")) return;
    fv_modelfile_free(first);
    srand(12345);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rounds = 0, broken = 0, backwards = 0, mid_save = 0, last = 0, changed = 0;
    /* 2 s of kills, longer (up to 60 s) while none has yet landed mid-save or between saves: a loaded machine
     * fits few rounds in 2 s */
    for (double elapsed = 0; rounds < 60 && (elapsed < 2.0 || (elapsed < 60.0 && !(mid_save && changed))); rounds++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) { /* save versions 1000 * round + 1, + 2, ... until killed */
            for (int v = 1000 * (rounds + 1) + 1;; v++) {
                fv_modelfile *mf = big_model(ctx, v, t);
                if (!mf || fv_modelfile_save(ctx, mf, path) != FV_OK) _exit(1);
                fv_modelfile_free(mf);
            }
        }
        struct timespec nap = {0, (long)(rand() % 60000) * 1000L}; /* 0 to 60 ms */
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        mid_save += stray_temps(true) > 0;
        int v = loaded_version(ctx, path);
        broken += v < 0;
        backwards += v < last;
        changed += v > last;
        if (v >= 0) last = v;
        clock_gettime(CLOCK_MONOTONIC, &now);
        elapsed = (double)(now.tv_sec - t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - t0.tv_nsec);
    }
    CHECK(broken == 0 && backwards == 0, "saver killed %d times at random moments (%d of them mid-save): the file always "
          "loads as a complete version, never an older one (%d broken, %d older; %d new versions seen, last %d)",
          rounds, mid_save, broken, backwards, changed, last);
    CHECK(mid_save > 0 && changed > 0, "the kills landed both during and between saves");
    remove(path);
    fv_tensor_free(t);
    fv_ctx_free(ctx);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fv_modelfile_XXXXXX");
    if (!CHECK(mkdtemp(tmpdir) != NULL, "temporary directory")) return test_finish();
    check_round_trip();
    check_optimizer_blob();
    check_api_errors();
    check_truncation();
    check_shape_overflow();
    check_flips();
    check_versions_and_hostile();
    check_failed_saves();
    check_killed_saves();
    CHECK(stray_temps(false) == 0 && rmdir(tmpdir) == 0, "nothing left in the temporary directory");
    return test_finish();
}
