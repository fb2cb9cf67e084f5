/* Image sets and the loader: class folders listed as Keras lists them, CSV lists, bad files (zero bytes, text
 * named .png, truncated, a 100000x100000 header, a folder named x.png, a dangling link, an empty class) skipped
 * and reported by path or fatal with strict; the loader's batches bit-identical over 1, 2 and 4 threads, with
 * or without prefetching, its queue bounded, its decode errors named and never a hang. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fovea/augment.h"
#include "test.h"

static char root[256];

static void path_of(char *out, size_t n, const char *rel) { snprintf(out, n, "%s/%s", root, rel); }

/* A w x h gray PNG whose pixel p is (seed * 31 + p * 7) & 255. */
static void write_png(fv_ctx *ctx, const char *rel, int w, int h, int seed)
{
    uint8_t px[64 * 64];
    for (int p = 0; p < w * h; p++) px[p] = (uint8_t)((seed * 31 + p * 7) & 255);
    char path[512];
    path_of(path, sizeof path, rel);
    fv_png_write(ctx, path, px, w, h, 1);
}

static void write_bytes(const char *rel, const void *data, size_t n)
{
    char path[512];
    path_of(path, sizeof path, rel);
    FILE *f = fopen(path, "wb");
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }

/* A PNG signature and an IHDR (correct CRC) declaring 100000 x 100000 gray pixels, and nothing else. */
static void write_huge_header(const char *rel)
{
    uint8_t b[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    put32(b + 16, 100000), put32(b + 20, 100000);
    b[24] = 8; /* bit depth; colour type, compression, filter, interlace 0 */
    put32(b + 29, (uint32_t)crc32(0, b + 12, 17));
    write_bytes(rel, b, sizeof b);
}

/* Half of a real PNG: the header reads, the pixels do not. */
static void write_truncated(fv_ctx *ctx, const char *rel)
{
    uint8_t px[16 * 16], *png;
    size_t len;
    for (int i = 0; i < 256; i++) px[i] = (uint8_t)(i * 13);
    fv_png_encode(ctx, px, 16, 16, 1, &png, &len);
    write_bytes(rel, png, len / 2);
    free(png);
}

static void make_dir(const char *rel)
{
    char path[512];
    path_of(path, sizeof path, rel);
    mkdir(path, 0755);
}

static void make_good_set(fv_ctx *ctx)
{
    make_dir("good"), make_dir("good/cat"), make_dir("good/ant"), make_dir("good/ant/more");
    write_png(ctx, "good/cat/1.png", 8, 6, 1);
    write_png(ctx, "good/cat/2.PNG", 8, 6, 2);
    write_png(ctx, "good/ant/b.png", 8, 6, 3);
    write_png(ctx, "good/ant/a.png", 8, 6, 4);
    write_png(ctx, "good/ant/more/c.png", 16, 12, 5); /* resized to the first image's 8x6 */
    write_bytes("good/ant/notes.txt", "hello", 5);
    write_bytes("good/README", "x", 1); /* a file beside the class folders is not a class */
}

static void test_folder(fv_ctx *ctx)
{
    char path[512];
    path_of(path, sizeof path, "good");
    fv_image_scan scan;
    fv_dataset *ds = fv_dataset_load_images(ctx, path, NULL, &scan);
    CHECK(ds != NULL, "class folder opens: %s", ds ? "" : fv_errmsg(ctx));
    if (!ds) return;
    CHECK(scan.found == 5 && scan.n_classes == 2, "Found %lld files belonging to %d classes (5, 2)", (long long)scan.found, scan.n_classes);
    CHECK(scan.ignored == 2 && scan.n_problems == 0, "notes.txt and README ignored (%lld), no problems (%d)", (long long)scan.ignored, scan.n_problems);
    CHECK(strcmp(fv_dataset_class_name(ds, 0), "ant") == 0 && strcmp(fv_dataset_class_name(ds, 1), "cat") == 0, "classes in sorted order");
    int64_t shape[3];
    fv_dataset_shape(ds, shape);
    CHECK(shape[0] == 1 && shape[1] == 6 && shape[2] == 8, "shape from the first image: (%lld,%lld,%lld)", (long long)shape[0], (long long)shape[1], (long long)shape[2]);
    /* Keras' order: ant/a.png, ant/b.png, ant/more/c.png, cat/1.png, cat/2.PNG */
    const char *want[5] = {"ant/a.png", "ant/b.png", "ant/more/c.png", "cat/1.png", "cat/2.PNG"};
    int order_ok = fv_dataset_count(ds) == 5;
    for (int i = 0; order_ok && i < 5; i++) {
        const char *p = fv_dataset_path(ds, i);
        order_ok = p && strlen(p) >= strlen(want[i]) && strcmp(p + strlen(p) - strlen(want[i]), want[i]) == 0 &&
                   fv_dataset_label(ds, i) == (i < 3 ? 0 : 1);
    }
    CHECK(order_ok, "files sorted within each class, recursively, with their labels");
    CHECK(scan.n_sizes == 2 && scan.sizes[0].width == 8 && scan.sizes[0].count == 4 && scan.sizes[1].width == 16,
          "size histogram: 8x6 x4, 16x12 x1");
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, 1, 6, 8});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){1});
    int64_t i = 3;
    CHECK(fv_dataset_batch(ds, &i, 1, x, y) == FV_OK, "a batch decodes");
    int same = fv_i32(y)[0] == 1;
    for (int p = 0; p < 48; p++) same &= fv_f32(x)[p] == (float)((1 * 31 + p * 7) & 255) / 255.0f;
    CHECK(same, "pixels are bytes / 255 and the label is the folder's");
    fv_tensor_free(x), fv_tensor_free(y);
    fv_image_scan_release(&scan);
    fv_dataset_free(ds);
}

static void make_bad_set(fv_ctx *ctx)
{
    make_dir("bad"), make_dir("bad/a"), make_dir("bad/b"), make_dir("bad/empty");
    write_png(ctx, "bad/a/ok1.png", 8, 8, 1);
    write_png(ctx, "bad/a/ok2.png", 8, 8, 2);
    write_png(ctx, "bad/b/ok3.png", 8, 8, 3);
    write_bytes("bad/a/zero.png", "", 0);
    write_bytes("bad/a/text.png", "this is not an image\n", 21);
    write_truncated(ctx, "bad/b/truncated.png");
    write_huge_header("bad/b/huge.png");
    make_dir("bad/b/folder.png");
    char target[512], link[512];
    path_of(target, sizeof target, "bad/b/missing-target.png");
    path_of(link, sizeof link, "bad/b/dangling.png");
    if (symlink(target, link) != 0) perror("symlink");
}

static bool has_problem(const fv_image_scan *s, const char *suffix)
{
    for (int i = 0; i < s->n_problems; i++) {
        size_t n = strlen(s->problems[i].path), m = strlen(suffix);
        if (n >= m && strcmp(s->problems[i].path + n - m, suffix) == 0 && s->problems[i].reason[0]) return true;
    }
    return false;
}

static void test_bad_files(fv_ctx *ctx)
{
    char path[512];
    path_of(path, sizeof path, "bad");
    fv_image_set_options o = fv_image_set_defaults();
    o.verify = true;
    fv_image_scan scan;
    fv_dataset *ds = fv_dataset_load_images(ctx, path, &o, &scan);
    CHECK(ds && fv_dataset_count(ds) == 3, "bad files skipped: %lld readable (3)", (long long)fv_dataset_count(ds));
    CHECK(scan.skipped == 6, "6 unreadable files counted (%lld)", (long long)scan.skipped);
    const char *bad[] = {"a/zero.png", "a/text.png", "b/truncated.png", "b/huge.png", "b/folder.png", "b/dangling.png", "/empty"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(has_problem(&scan, bad[i]), "reported with a reason: %s", bad[i]);
    CHECK(scan.n_classes == 3 && fv_dataset_classes(ds) == 3, "the empty class folder is still a class (labels as Keras')");
    fv_image_scan_release(&scan);
    fv_dataset_free(ds);

    o.verify = false; /* headers only: the truncated file passes here, and fails when batched */
    ds = fv_dataset_load_images(ctx, path, &o, &scan);
    CHECK(ds && fv_dataset_count(ds) == 4 && scan.skipped == 5, "header check: truncated file kept (%lld)", (long long)fv_dataset_count(ds));
    fv_image_scan_release(&scan);
    if (ds) {
        fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){4, 1, 8, 8});
        int64_t idx[4] = {0, 1, 2, 3};
        fv_loader *l = fv_loader_new(ctx, ds, NULL);
        fv_data_source src = fv_loader_source(l);
        fv_status s = src.fetch(src.data, 0, idx, 4, x, NULL);
        CHECK(s != FV_OK && strstr(fv_errmsg(ctx), "truncated.png"), "a decode failure at batch time names the file: %s", fv_errmsg(ctx));
        fv_clear_error(ctx);
        fv_loader_free(l);
        fv_tensor_free(x);
        fv_dataset_free(ds);
    }

    o.strict = true;
    ds = fv_dataset_load_images(ctx, path, &o, &scan);
    CHECK(!ds && strstr(fv_errmsg(ctx), "/bad/"), "strict: the first bad file fails the load: %s", fv_errmsg(ctx));
    fv_image_scan_release(&scan);
    fv_clear_error(ctx);

    path_of(path, sizeof path, "no-such-folder");
    CHECK(!fv_dataset_load_images(ctx, path, NULL, NULL) && strstr(fv_errmsg(ctx), "no-such-folder"), "a missing folder: %s", fv_errmsg(ctx));
}

static void test_csv(fv_ctx *ctx)
{
    const char *csv = "path,label\ngood/cat/1.png,cat\n\"good/ant/b.png\",ant\ngood/ant/a.png , ant\r\ngood/missing.png,cat\n";
    write_bytes("list.csv", csv, strlen(csv));
    char path[512];
    path_of(path, sizeof path, "list.csv");
    fv_image_scan scan;
    fv_dataset *ds = fv_dataset_load_images(ctx, path, NULL, &scan);
    CHECK(ds && fv_dataset_count(ds) == 3 && fv_dataset_classes(ds) == 2, "CSV with class names: 3 images, 2 classes");
    if (ds) {
        CHECK(strcmp(fv_dataset_class_name(ds, 0), "ant") == 0 && fv_dataset_label(ds, 0) == 1 && fv_dataset_label(ds, 1) == 0,
              "names numbered in sorted order, rows kept in order");
    }
    CHECK(has_problem(&scan, "good/missing.png"), "a missing file is reported");
    fv_image_scan_release(&scan);
    fv_dataset_free(ds);
    const char *ints = "good/cat/1.png,2\ngood/ant/b.png,0\n";
    write_bytes("ints.csv", ints, strlen(ints));
    path_of(path, sizeof path, "ints.csv");
    ds = fv_dataset_load_images(ctx, path, NULL, NULL);
    CHECK(ds && fv_dataset_classes(ds) == 3 && fv_dataset_label(ds, 0) == 2, "CSV with integer labels: 3 classes");
    fv_dataset_free(ds);
}

/* Expect the CSV text to be refused with an error naming the file and "line N". */
static void csv_refused(fv_ctx *ctx, const char *name, const char *text, size_t len, const char *line, const char *what)
{
    char path[512];
    write_bytes(name, text, len);
    path_of(path, sizeof path, name);
    fv_dataset *ds = fv_dataset_load_images(ctx, path, NULL, NULL);
    CHECK(!ds && strstr(fv_errmsg(ctx), path) && strstr(fv_errmsg(ctx), line), "%s: refused naming %s (%s)", what, line,
          fv_errmsg(ctx));
    fv_dataset_free(ds);
    fv_clear_error(ctx);
}

/* Integer labels stay class numbers: one -1 or 1.0 among them is an error naming its line, never a switch to
 * text-sorted names (10 before 2); names mixed with numbers likewise; a NUL byte hiding a row is refused. */
static void test_csv_labels(fv_ctx *ctx)
{
    const char *minus = "good/cat/1.png,2\ngood/ant/b.png,10\ngood/ant/a.png,-1\n";
    csv_refused(ctx, "minus.csv", minus, strlen(minus), "line 3", "a -1 among integer labels");
    const char *dot = "path,label\ngood/cat/1.png,1.0\ngood/ant/b.png,10\n";
    csv_refused(ctx, "dot.csv", dot, strlen(dot), "line 2", "a 1.0 among integer labels");
    const char *mix = "good/cat/1.png,cat\ngood/ant/b.png,ant\ngood/ant/a.png,3\n";
    csv_refused(ctx, "mix.csv", mix, strlen(mix), "line 3", "a number among class names");
    const char nul[] = "good/cat/1.png,0\ngood/ant/b.png,1\0good/ant/a.png,1\n";
    csv_refused(ctx, "nul.csv", nul, sizeof nul - 1, "line 2", "a NUL byte in a line");
    /* integers sort as numbers: 10 is class 10, not before 2 */
    const char *ints = "good/cat/1.png,2\ngood/ant/b.png,10\ngood/ant/a.png,007\n";
    char path[512];
    write_bytes("ints10.csv", ints, strlen(ints));
    path_of(path, sizeof path, "ints10.csv");
    fv_dataset *ds = fv_dataset_load_images(ctx, path, NULL, NULL);
    CHECK(ds && fv_dataset_classes(ds) == 11 && fv_dataset_label(ds, 1) == 10 && fv_dataset_label(ds, 2) == 7 &&
          !fv_dataset_class_name(ds, 0), "integer labels 2, 10, 007: classes 2, 10, 7 of 11, no names");
    fv_dataset_free(ds);
    /* names that merely hold digits are still names */
    const char *names = "good/cat/1.png,type 2\ngood/ant/b.png,type 10\n";
    write_bytes("names.csv", names, strlen(names));
    path_of(path, sizeof path, "names.csv");
    ds = fv_dataset_load_images(ctx, path, NULL, NULL);
    CHECK(ds && fv_dataset_classes(ds) == 2 && fv_dataset_label(ds, 1) == 0, "names with digits: sorted as names");
    fv_dataset_free(ds);
}

/* ---- the loader ------------------------------------------------------------------------------------- */

#define LN 40
#define LB 7

/* A dataset of LN 1x12x12 byte images. */
static fv_dataset *small_set(fv_ctx *ctx)
{
    uint8_t px[LN * 144];
    int32_t labels[LN];
    for (int i = 0; i < LN * 144; i++) px[i] = (uint8_t)((i * 37 + i / 144) & 255);
    for (int i = 0; i < LN; i++) labels[i] = i % 3;
    return fv_dataset_from_u8(ctx, LN, 1, 12, 12, px, labels, 3);
}

/* Every batch of two epochs (shuffled as fit would), prefetching one ahead when ahead. */
static float *run_epochs(fv_ctx *ctx, const fv_dataset *ds, const fv_augment *aug, int threads, bool ahead)
{
    fv_loader_options o = fv_loader_defaults();
    o.threads = threads, o.augment = aug, o.seed = 42, o.depth = 2;
    fv_loader *l = fv_loader_new(ctx, ds, &o);
    float *all = calloc(2 * LN * 144, sizeof *all);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){LB, 1, 12, 12});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){LB});
    fv_data_source src = fv_loader_source(l);
    int64_t order[LN];
    for (int e = 0; e < 2; e++) {
        for (int i = 0; i < LN; i++) order[i] = (i * 17 + e * 5) % LN;
        for (int b = 0; b * LB < LN; b++) {
            int n = LN - b * LB < LB ? LN - b * LB : LB;
            if (ahead && (b + 1) * LB < LN)
                src.prefetch(src.data, e, order + (b + 1) * LB, LN - (b + 1) * LB < LB ? LN - (b + 1) * LB : LB);
            if (src.fetch(src.data, e, order + b * LB, n, x, y) != FV_OK) {
                free(all);
                all = NULL;
                break;
            }
            memcpy(all + ((int64_t)e * LN + b * LB) * 144, fv_f32(x), (size_t)n * 144 * sizeof(float));
        }
    }
    fv_loader_stats st = fv_loader_get_stats(l);
    CHECK(st.batches == 12 && (!ahead || st.prefetched >= 8), "%d threads%s: 12 batches, %lld made ahead", threads,
          ahead ? ", ahead" : "", (long long)st.prefetched);
    fv_tensor_free(x), fv_tensor_free(y);
    fv_loader_free(l);
    return all;
}

static void test_loader(fv_ctx *ctx)
{
    fv_dataset *ds = small_set(ctx);
    fv_augment *aug = fv_augment_new(ctx);
    fv_augment_add_flip(aug, true, 0.5);
    fv_augment_add_noise(aug, 0.02, 0.1, 1.0);
    float *ref = run_epochs(ctx, ds, aug, 1, false);
    float *plain = run_epochs(ctx, ds, NULL, 1, false);
    CHECK(ref && plain && memcmp(ref, plain, 2 * LN * 144 * sizeof(float)) != 0, "augmentation changes the batches");
    int threads[3] = {1, 2, 4};
    for (int t = 0; t < 3; t++)
        for (int ahead = 0; ahead < 2; ahead++) {
            float *got = run_epochs(ctx, ds, aug, threads[t], ahead);
            CHECK(ref && got && memcmp(ref, got, 2 * LN * 144 * sizeof(float)) == 0,
                  "%d threads, %s: bit-identical to 1 thread", threads[t], ahead ? "prefetched" : "on demand");
            free(got);
        }
    /* validation (epoch -1) is never augmented */
    fv_loader_options o = fv_loader_defaults();
    o.augment = aug;
    fv_loader *l = fv_loader_new(ctx, ds, &o);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){LB, 1, 12, 12}), *x2 = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){LB, 1, 12, 12});
    int64_t idx[LB] = {0, 1, 2, 3, 4, 5, 6};
    fv_data_source src = fv_loader_source(l);
    src.fetch(src.data, -1, idx, LB, x, NULL);
    fv_dataset_batch(ds, idx, LB, x2, NULL);
    CHECK(memcmp(fv_f32(x), fv_f32(x2), LB * 144 * sizeof(float)) == 0, "epoch -1: the plain images");
    /* more prefetches than the queue holds: hints are dropped, memory stays bounded, fetch still right */
    for (int k = 0; k < 50; k++) src.prefetch(src.data, 3, idx, 1 + k % LB);
    CHECK(src.fetch(src.data, -1, idx, LB, x, NULL) == FV_OK &&
          memcmp(fv_f32(x), fv_f32(x2), LB * 144 * sizeof(float)) == 0, "a flood of prefetches: fetch unaffected");
    fv_tensor_free(x), fv_tensor_free(x2);
    fv_loader_free(l);
    free(ref), free(plain);
    fv_augment_free(aug);
    fv_dataset_free(ds);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/fovea_images_XXXXXX");
    if (!mkdtemp(root)) return perror("mkdtemp"), 1;
    fv_ctx *ctx = fv_ctx_new(1);
    make_good_set(ctx);
    make_bad_set(ctx);
    test_folder(ctx);
    test_bad_files(ctx);
    test_csv(ctx);
    test_csv_labels(ctx);
    test_loader(ctx);
    fv_ctx_free(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return test_finish();
}
