/* IDX files and datasets: small files written here (plain and gzipped) read back exactly; truncated, hostile
 * and inconsistent files refused with the file named; batches, subsets, splits, and data sets found by name
 * and by directory. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"

static char tmpdir[64];

static void path_in(char *out, size_t len, const char *name) { snprintf(out, len, "%s/%s", tmpdir, name); }

/* An IDX file of unsigned bytes: magic 00 00 type ndim, big-endian dims, then extra bytes of data (which
 * may disagree with the dims, for the hostile cases). */
static size_t idx_bytes(uint8_t *out, int type, int ndim, const uint32_t *dims, const uint8_t *data, size_t n)
{
    size_t k = 0;
    out[k++] = 0, out[k++] = 0, out[k++] = (uint8_t)type, out[k++] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++) {
        out[k++] = (uint8_t)(dims[i] >> 24), out[k++] = (uint8_t)(dims[i] >> 16);
        out[k++] = (uint8_t)(dims[i] >> 8), out[k++] = (uint8_t)dims[i];
    }
    memcpy(out + k, data, n);
    return k + n;
}

static void write_file(const char *path, const uint8_t *bytes, size_t n, bool gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, bytes, (unsigned)n);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(bytes, 1, n, f);
        fclose(f);
    }
}

static size_t read_file(const char *path, uint8_t *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(out, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

/* 5 images of 3x2 with pixel k of image i = 40 * i + k, labels i % 3 (or the given labels). */
#define NI 5
static uint8_t pixels[NI * 6];
static uint8_t labels[NI] = {0, 1, 2, 0, 1};

static void write_pair(const char *images, const char *labels_path, bool gz, int n_images, int n_labels,
                       const uint8_t *lab)
{
    uint8_t buf[256];
    size_t n = idx_bytes(buf, 0x08, 3, (uint32_t[]){(uint32_t)n_images, 3, 2}, pixels, (size_t)n_images * 6);
    write_file(images, buf, n, gz);
    n = idx_bytes(buf, 0x08, 1, (uint32_t[]){(uint32_t)n_labels}, lab, (size_t)n_labels);
    write_file(labels_path, buf, n, gz);
}

static bool has(const fv_ctx *ctx, const char *text) { return strstr(fv_errmsg(ctx), text) != NULL; }

static void test_read_back(fv_ctx *ctx)
{
    for (int gz = 0; gz < 2; gz++) {
        char images[128], lab[128];
        path_in(images, sizeof images, gz ? "img.gz" : "img");
        path_in(lab, sizeof lab, gz ? "lab.gz" : "lab");
        write_pair(images, lab, gz, NI, NI, labels);
        fv_idx idx;
        fv_status s = fv_idx_read(ctx, images, 3, &idx);
        CHECK(s == FV_OK && idx.ndim == 3 && idx.dims[0] == NI && idx.dims[1] == 3 && idx.dims[2] == 2 &&
                  idx.bytes == NI * 6 && memcmp(idx.data, pixels, NI * 6) == 0,
              "%s idx3 read back (%s)", gz ? "gzipped" : "plain", fv_errmsg(ctx));
        fv_idx_release(&idx);

        fv_dataset *ds = fv_dataset_load_idx(ctx, images, lab, 3);
        int64_t shape[3] = {0};
        if (ds) fv_dataset_shape(ds, shape);
        CHECK(ds && fv_dataset_count(ds) == NI && shape[0] == 1 && shape[1] == 3 && shape[2] == 2 &&
                  fv_dataset_classes(ds) == 3 && fv_dataset_class_name(ds, 0) == NULL &&
                  strcmp(fv_dataset_origin(ds), images) == 0,
              "%s dataset: 5 samples (1,3,2), 3 classes (%s)", gz ? "gzipped" : "plain", fv_errmsg(ctx));
        fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 1, 3, 2});
        fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){2});
        s = ds ? fv_dataset_batch(ds, (int64_t[]){4, 1}, 2, x, y) : FV_ERR_ARG;
        bool exact = s == FV_OK;
        for (int k = 0; exact && k < 6; k++)
            exact = fv_f32(x)[k] == (float)pixels[24 + k] / 255.0f && fv_f32(x)[6 + k] == (float)pixels[6 + k] / 255.0f;
        CHECK(exact && fv_i32(y)[0] == 1 && fv_i32(y)[1] == 1, "batch of samples 4 and 1: bytes / 255, labels");
        fv_tensor_free(x);
        fv_tensor_free(y);
        fv_dataset_free(ds);
    }
}

static void test_read_mem(fv_ctx *ctx)
{
    uint8_t plain[256], gz[512];
    size_t n = idx_bytes(plain, 0x08, 3, (uint32_t[]){NI, 3, 2}, pixels, NI * 6);
    char path[128];
    path_in(path, sizeof path, "mem.gz");
    write_file(path, plain, n, true);
    size_t ngz = read_file(path, gz, sizeof gz);
    fv_idx a, b;
    CHECK(fv_idx_read_mem(ctx, plain, n, "plain", 3, &a) == FV_OK && a.bytes == NI * 6 &&
              memcmp(a.data, pixels, NI * 6) == 0, "plain IDX from memory");
    CHECK(gz[0] == 0x1f && fv_idx_read_mem(ctx, gz, ngz, "gz", 0, &b) == FV_OK && b.ndim == 3 &&
              memcmp(b.data, pixels, NI * 6) == 0, "gzipped IDX from memory, any dimension count");
    fv_idx_release(&a);
    fv_idx_release(&b);
    CHECK(fv_idx_read_mem(ctx, gz, ngz - 12, "cut.gz", 3, &a) != FV_OK && has(ctx, "cut.gz is truncated"),
          "gzip data cut short in memory: %s", fv_errmsg(ctx));
    gz[20] ^= 0xff;
    CHECK(fv_idx_read_mem(ctx, gz, ngz, "bad.gz", 3, &a) != FV_OK && has(ctx, "bad.gz") && a.data == NULL,
          "corrupt gzip data in memory: %s", fv_errmsg(ctx));
}

/* A file written from bytes and read as IDX with ndim dimensions; the message must hold the file's name and
 * the expected text. */
static void expect_refused(fv_ctx *ctx, const char *name, const uint8_t *bytes, size_t n, bool gz, int ndim,
                           const char *text)
{
    char path[128];
    path_in(path, sizeof path, name);
    write_file(path, bytes, n, gz);
    fv_idx idx;
    fv_clear_error(ctx);
    fv_status s = fv_idx_read(ctx, path, ndim, &idx);
    CHECK(s != FV_OK && idx.data == NULL && has(ctx, path) && has(ctx, text), "%s refused: %s", name, fv_errmsg(ctx));
    /* the same bytes from memory say the same */
    if (!gz) {
        s = fv_idx_read_mem(ctx, bytes, n, path, ndim, &idx);
        CHECK(s != FV_OK && has(ctx, text), "%s refused from memory too", name);
    }
}

static void test_hostile(fv_ctx *ctx)
{
    uint8_t buf[256];
    size_t n = idx_bytes(buf, 0x08, 3, (uint32_t[]){NI, 3, 2}, pixels, NI * 6);
    for (int gz = 0; gz < 2; gz++) {
        /* 5 items of 6 bytes, 13 bytes present: 17 missing, 2 complete */
        expect_refused(ctx, gz ? "short.gz" : "short", buf, 16 + 13, gz, 3,
                       "is truncated: 17 of the 30 data bytes its header promises are missing (2 of 5 items complete");
    }
    expect_refused(ctx, "header_cut", buf, 9, false, 3, "header stops after 9 of its 16 bytes");
    expect_refused(ctx, "tiny", buf, 3, false, 3, "shorter than an IDX header");
    uint8_t bad[256];
    memcpy(bad, buf, n);
    bad[0] = 0x1f;
    expect_refused(ctx, "magic", bad, n, false, 3, "is not an IDX file");
    bad[0] = 0, bad[2] = 0x0D;
    expect_refused(ctx, "float", bad, n, false, 3, "IDX type 0x0d (float32) is not supported");
    expect_refused(ctx, "as_labels", buf, n, false, 1, "has 3 dimensions where 1 were expected");
    size_t m = idx_bytes(bad, 0x08, 3, (uint32_t[]){65536, 65536, 65536}, pixels, 6);
    expect_refused(ctx, "absurd", bad, m, false, 3, "more than the 2048 MiB limit");
    m = idx_bytes(bad, 0x08, 3, (uint32_t[]){0xffffffffu, 0xffffffffu, 0xffffffffu}, pixels, 6);
    expect_refused(ctx, "absurd2", bad, m, false, 3, "more than the 2048 MiB limit");
    m = idx_bytes(bad, 0x08, 3, (uint32_t[]){NI, 0, 2}, pixels, 6);
    expect_refused(ctx, "zero_dim", bad, m, false, 3, "dimension 1 is 0");
    memcpy(bad, buf, n);
    bad[n] = 7, bad[n + 1] = 9;
    expect_refused(ctx, "trailing", bad, n + 2, false, 3, "has 2 bytes after the 5 items");
    expect_refused(ctx, "trailing.gz", bad, n + 2, true, 3, "has 2 bytes after the 5 items");
    bad[3] = 9;
    expect_refused(ctx, "many_dims", bad, n, false, 0, "has 9 dimensions (1 to 4 supported)");

    /* a gzip stream cut short on disk */
    char cut[128];
    path_in(cut, sizeof cut, "cut.gz");
    write_file(cut, buf, n, true);
    struct stat sb;
    fv_idx idx;
    CHECK(stat(cut, &sb) == 0 && truncate(cut, sb.st_size - 12) == 0 && fv_idx_read(ctx, cut, 3, &idx) != FV_OK &&
              has(ctx, cut) && has(ctx, "is truncated"), "gzip file cut short: %s", fv_errmsg(ctx));
    /* complete data but no trailer (CRC-32 and length): zlib reports the stream unfinished, and so must we */
    for (int drop = 1; drop <= 8; drop += 7) {
        write_file(cut, buf, n, true);
        CHECK(stat(cut, &sb) == 0 && truncate(cut, sb.st_size - drop) == 0 && fv_idx_read(ctx, cut, 3, &idx) != FV_OK &&
                  has(ctx, cut) && has(ctx, "is truncated"), "gzip file without the last %d bytes: %s", drop, fv_errmsg(ctx));
        fv_idx_release(&idx);
        uint8_t whole[512];
        write_file(cut, buf, n, true);
        size_t nz = read_file(cut, whole, sizeof whole);
        CHECK(fv_idx_read_mem(ctx, whole, nz - (size_t)drop, "trailer.gz", 3, &idx) != FV_OK && has(ctx, "trailer.gz is truncated"),
              "gzip data in memory without the last %d bytes: %s", drop, fv_errmsg(ctx));
        fv_idx_release(&idx);
    }
    char missing[128];
    path_in(missing, sizeof missing, "no_such_file");
    CHECK(fv_idx_read(ctx, missing, 3, &idx) != FV_OK && has(ctx, "cannot open") && has(ctx, missing),
          "missing file: %s", fv_errmsg(ctx));
}

static void test_dataset_errors(fv_ctx *ctx)
{
    char images[128], lab[128];
    path_in(images, sizeof images, "e_img");
    path_in(lab, sizeof lab, "e_lab");
    uint8_t high[NI] = {0, 1, 2, 12, 1};
    write_pair(images, lab, false, NI, NI, high);
    char want[300];
    snprintf(want, sizeof want, "label 12 at index 3 of %s is outside the 10 classes", lab);
    CHECK(!fv_dataset_load_idx(ctx, images, lab, 10) && strcmp(fv_errmsg(ctx), want) == 0,
          "label out of range: %s", fv_errmsg(ctx));
    fv_dataset *ds = fv_dataset_load_idx(ctx, images, lab, 0);
    CHECK(ds && fv_dataset_classes(ds) == 13, "0 classes infers the largest label + 1");
    fv_dataset_free(ds);

    write_pair(images, lab, false, NI, NI - 1, labels);
    snprintf(want, sizeof want, "%s holds 5 images but %s holds 4 labels", images, lab);
    CHECK(!fv_dataset_load_idx(ctx, images, lab, 3) && strcmp(fv_errmsg(ctx), want) == 0,
          "count mismatch: %s", fv_errmsg(ctx));
    CHECK(!fv_dataset_load_idx(ctx, lab, images, 3) && has(ctx, lab) && has(ctx, "where 3 were expected"),
          "files swapped: %s", fv_errmsg(ctx));
}

static fv_dataset *small_dataset(fv_ctx *ctx, int64_t n)
{
    uint8_t *px = malloc((size_t)n * 4);
    int32_t *lab = malloc((size_t)n * sizeof *lab);
    for (int64_t i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++) px[i * 4 + k] = (uint8_t)(i + k);
        lab[i] = (int32_t)(i % 4);
    }
    fv_dataset *ds = fv_dataset_from_u8(ctx, n, 1, 2, 2, px, lab, 4);
    free(px);
    free(lab);
    return ds;
}

/* The first pixel of each sample is its number in the parent (mod 256): which samples a view holds. */
static int64_t sample_id(const fv_dataset *ds, int64_t i, fv_tensor *x)
{
    if (fv_dataset_batch(ds, &i, 1, x, NULL) != FV_OK) return -1;
    return (int64_t)lroundf(fv_f32(x)[0] * 255.0f);
}

static void test_views(fv_ctx *ctx)
{
    fv_dataset *ds = small_dataset(ctx, 100);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){1, 4});
    int64_t counts[4];
    fv_dataset_class_counts(ds, counts);
    CHECK(counts[0] == 25 && counts[3] == 25 && fv_dataset_label(ds, 7) == 3 && fv_dataset_label(ds, 100) == -1,
          "class counts and labels");

    fv_dataset *r = fv_dataset_range(ds, 10, 20);
    fv_dataset *sub = r ? fv_dataset_subset(r, (int64_t[]){19, 0, 5, 5}, 4) : NULL;
    CHECK(sub && fv_dataset_count(sub) == 4 && sample_id(sub, 0, x) == 29 && sample_id(sub, 1, x) == 10 &&
              sample_id(sub, 3, x) == 15 && fv_dataset_label(sub, 0) == 1,
          "subset of a range maps to the right samples");
    CHECK(!fv_dataset_subset(r, (int64_t[]){20}, 1) && has(ctx, "index 20 (position 0) is outside the 20 samples"),
          "subset index out of range: %s", fv_errmsg(ctx));
    CHECK(!fv_dataset_range(ds, 90, 11), "range beyond the end refused");
    fv_dataset_free(r); /* sub keeps the storage alive */
    CHECK(sample_id(sub, 2, x) == 15, "a subset outlives its parent");
    fv_dataset_free(sub);

    fv_dataset *tr, *va;
    CHECK(fv_dataset_split(ds, 0.2, FV_SPLIT_LAST, 0, &tr, &va) == FV_OK && fv_dataset_count(tr) == 80 &&
              fv_dataset_count(va) == 20 && sample_id(va, 0, x) == 80 && sample_id(tr, 79, x) == 79,
          "split: last 20%% held out");
    fv_dataset_free(tr);
    fv_dataset_free(va);
    CHECK(fv_dataset_split(ds, 0.25, FV_SPLIT_FIRST, 0, &tr, &va) == FV_OK && fv_dataset_count(va) == 25 &&
              sample_id(va, 24, x) == 24 && sample_id(tr, 0, x) == 25,
          "split: first 25%% held out");
    fv_dataset_free(tr);
    fv_dataset_free(va);

    fv_dataset *tr2, *va2;
    fv_dataset_split(ds, 0.3, FV_SPLIT_RANDOM, 42, &tr, &va);
    fv_dataset_split(ds, 0.3, FV_SPLIT_RANDOM, 42, &tr2, &va2);
    bool seen[100] = {false}, ok = tr && va && fv_dataset_count(va) == 30 && fv_dataset_count(tr) == 70, same = ok;
    int64_t prev = -1, first_part = 0;
    for (int64_t i = 0; ok && i < 30; i++) {
        int64_t id = sample_id(va, i, x);
        ok = id > prev && !seen[id];
        seen[id] = true, prev = id;
        same = same && id == sample_id(va2, i, x);
        first_part += id < 30;
    }
    prev = -1;
    for (int64_t i = 0; ok && i < 70; i++) {
        int64_t id = sample_id(tr, i, x);
        ok = id > prev && !seen[id];
        seen[id] = true, prev = id;
    }
    CHECK(ok, "random split: disjoint, covering, each part in order");
    CHECK(same && first_part < 30, "random split: the same for the same seed, and not simply the first 30");
    fv_dataset_free(tr2);
    fv_dataset_free(va2);
    fv_dataset_split(ds, 0.3, FV_SPLIT_RANDOM, 43, &tr2, &va2);
    bool differs = false;
    for (int64_t i = 0; va2 && i < 30; i++) differs = differs || sample_id(va, i, x) != sample_id(va2, i, x);
    CHECK(differs, "random split: another seed, another split");
    fv_dataset_free(tr);
    fv_dataset_free(va);
    fv_dataset_free(tr2);
    fv_dataset_free(va2);
    CHECK(fv_dataset_split(ds, 1.0, FV_SPLIT_LAST, 0, &tr, &va) != FV_OK && !tr && !va &&
              fv_dataset_split(ds, 0.999, FV_SPLIT_LAST, 0, &tr, &va) != FV_OK && has(ctx, "leaves 0 for training"),
          "splits leaving an empty part refused: %s", fv_errmsg(ctx));

    /* batch shape checks */
    fv_tensor *flat = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){3, 4});
    fv_tensor *wrong = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){3, 5});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){3});
    fv_data_source src = {fv_dataset_count(ds), fv_dataset_fetch, ds, NULL, NULL};
    CHECK(src.fetch(src.data, 0, (int64_t[]){1, 2, 3}, 3, flat, y) == FV_OK && fv_i32(y)[2] == 3 &&
              fv_f32(flat)[4] == 2.0f / 255.0f, "fetch fills (n, C*H*W) tensors");
    CHECK(fv_dataset_batch(ds, (int64_t[]){1, 2, 3}, 3, wrong, y) == FV_ERR_SHAPE && has(ctx, "(3,5) cannot hold 3 samples of (1,2,2)"),
          "batch into a tensor of the wrong sample size: %s", fv_errmsg(ctx));
    CHECK(fv_dataset_batch(ds, (int64_t[]){1, 2, 3, 4}, 4, flat, y) == FV_ERR_SHAPE, "batch larger than the tensor");
    CHECK(fv_dataset_batch(ds, (int64_t[]){1, 100}, 2, flat, y) == FV_ERR_ARG && has(ctx, "sample 100 is outside the 100 samples"),
          "batch index out of range: %s", fv_errmsg(ctx));
    CHECK(fv_dataset_batch(ds, (int64_t[]){1}, 1, flat, x) == FV_ERR_SHAPE, "float labels tensor refused");

    const char *names[4] = {"a", "b", "c", "d"};
    CHECK(fv_dataset_set_class_names(ds, names, 3) != FV_OK && fv_dataset_set_class_names(ds, names, 4) == FV_OK &&
              strcmp(fv_dataset_class_name(ds, 3), "d") == 0 && !fv_dataset_class_name(ds, 4),
          "class names");
    fv_tensor_free(flat);
    fv_tensor_free(wrong);
    fv_tensor_free(y);
    fv_tensor_free(x);
    fv_dataset_free(ds);
}

static void test_from_tensors(fv_ctx *ctx)
{
    fv_tensor *xi = fv_tensor_new(ctx, FV_I32, 3, (int64_t[]){2, 2, 2});
    fv_tensor *xf = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 1, 2, 2});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){2});
    for (int k = 0; k < 8; k++) fv_i32(xi)[k] = 30 * k, fv_f32(xf)[k] = -1.5f + (float)k;
    fv_i32(y)[1] = 1;
    fv_tensor *out = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 1, 2, 2});
    fv_dataset *a = fv_dataset_from_tensors(ctx, xi, y, 2), *b = fv_dataset_from_tensors(ctx, xf, y, 0);
    CHECK(a && fv_dataset_batch(a, (int64_t[]){1, 0}, 2, out, NULL) == FV_OK && fv_f32(out)[0] == 120.0f / 255.0f &&
              fv_f32(out)[7] == 90.0f / 255.0f, "integer images are bytes scaled by 1/255");
    CHECK(b && fv_dataset_classes(b) == 2 && fv_dataset_batch(b, (int64_t[]){1}, 1, out, NULL) == FV_OK &&
              fv_f32(out)[0] == 2.5f, "float images are taken as they are");
    fv_dataset_free(a);
    fv_dataset_free(b);
    fv_i32(xi)[5] = 256;
    CHECK(!fv_dataset_from_tensors(ctx, xi, y, 2) && has(ctx, "integer pixel 256 at element 5 is outside 0..255"),
          "integer pixels beyond a byte refused: %s", fv_errmsg(ctx));
    fv_i32(y)[0] = -1;
    CHECK(!fv_dataset_from_tensors(ctx, xf, y, 2) && has(ctx, "label -1 at index 0"), "negative label refused");
    CHECK(!fv_dataset_from_tensors(ctx, y, y, 2) && has(ctx, "must be (N,C,H,W)"), "1-D images refused");
    fv_tensor_free(xi);
    fv_tensor_free(xf);
    fv_tensor_free(y);
    fv_tensor_free(out);
}

static void test_find(fv_ctx *ctx)
{
    char dir[128], images[192], lab[192], timages[192], tlab[192];
    path_in(dir, sizeof dir, "mnist");
    mkdir(dir, 0755);
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", dir);
    snprintf(timages, sizeof timages, "%s/t10k-images.idx3-ubyte.gz", dir); /* the dotted spelling */
    snprintf(tlab, sizeof tlab, "%s/t10k-labels.idx1-ubyte", dir);
    write_pair(images, lab, false, NI, NI, labels);
    remove(lab);
    write_pair(timages, lab, true, NI, NI, labels); /* lab rewritten gzipped */
    write_pair(timages, tlab, true, NI, NI, labels);

    setenv("FOVEA_DATA_DIR", tmpdir, 1);
    fv_dataset *tr = fv_dataset_find(ctx, "mnist", true), *te = fv_dataset_find(ctx, "mnist", false);
    CHECK(tr && te && fv_dataset_count(tr) == NI && fv_dataset_classes(tr) == 10 &&
              strcmp(fv_dataset_class_name(te, 9), "9") == 0 && strcmp(fv_dataset_origin(te), timages) == 0,
          "mnist found under $FOVEA_DATA_DIR in both spellings (%s)", fv_errmsg(ctx));
    fv_dataset_free(tr);
    fv_dataset_free(te);

    /* a directory named directly, with class names */
    char classes[192];
    snprintf(classes, sizeof classes, "%s/classes.txt", dir);
    FILE *f = fopen(classes, "w");
    fputs("zero\none\r\ntwo  \n\n", f);
    fclose(f);
    te = fv_dataset_find(ctx, dir, false);
    CHECK(te && fv_dataset_classes(te) == 3 && strcmp(fv_dataset_class_name(te, 1), "one") == 0 &&
              strcmp(fv_dataset_class_name(te, 2), "two") == 0, "directory with classes.txt (%s)", fv_errmsg(ctx));
    fv_dataset_free(te);
    remove(classes);
    te = fv_dataset_find(ctx, dir, false);
    CHECK(te && fv_dataset_classes(te) == 3 && !fv_dataset_class_name(te, 0), "directory without names infers 3 classes");
    fv_dataset_free(te);

    remove(tlab);
    CHECK(!fv_dataset_find(ctx, dir, false) && has(ctx, "holds no t10k-images-idx3-ubyte[.gz] with t10k-labels"),
          "directory missing a file: %s", fv_errmsg(ctx));
    struct stat sb;
    if (stat("/usr/share/datasets/mnist", &sb) != 0) {
        CHECK(!fv_dataset_find(ctx, "mnist", false) && has(ctx, "mnist (test split) not found") && has(ctx, dir) &&
                  has(ctx, "/usr/share/datasets/mnist"), "not found lists the directories: %s", fv_errmsg(ctx));
    }
    if (stat("/usr/share/datasets/fashion-mnist", &sb) != 0) {
        CHECK(!fv_dataset_find(ctx, "fashion-mnist", true) && has(ctx, "apt install dataset-fashion-mnist"),
              "fashion-mnist not found says how to install it: %s", fv_errmsg(ctx));
    }
    CHECK(!fv_dataset_find(ctx, "imagenet-on-a-floppy", true) && has(ctx, "unknown data set"), "unknown name");
    unsetenv("FOVEA_DATA_DIR");
    remove(images);
    remove(lab);
    remove(timages);
    rmdir(dir);
}

int main(void)
{
    for (int k = 0; k < NI * 6; k++) pixels[k] = (uint8_t)(40 * (k / 6) + k % 6 + (k == 7 ? 200 : 0));
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fv_idx_XXXXXX");
    if (!CHECK(mkdtemp(tmpdir) != NULL, "temporary directory")) return test_finish();
    fv_ctx *ctx = fv_ctx_new(1);
    test_read_back(ctx);
    test_read_mem(ctx);
    test_hostile(ctx);
    test_dataset_errors(ctx);
    test_views(ctx);
    test_from_tensors(ctx);
    test_find(ctx);
    fv_ctx_free(ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", tmpdir);
    return test_finish();
}
