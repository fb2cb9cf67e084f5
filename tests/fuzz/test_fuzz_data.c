/* The IDX and .npy fuzz targets (fuzz_idx.c, fuzz_npy.c) on 20000 deterministic mutations each of small valid
 * inputs (bit flips, structural characters, interesting values in size fields, cuts, insertions, deletions,
 * copied chunks), plain and gzipped; in the suite, under the sanitizers, in a few seconds.
 * `test_fuzz_data --seeds DIR` writes the valid inputs to DIR/idx and DIR/npy as a libFuzzer corpus. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

static int fuzz_failures;
#define FUZZ_FAIL(...) (fuzz_failures++ < 5 ? (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr)) : 0)
#define LLVMFuzzerTestOneInput fuzz_idx_one
#include "fuzz_idx.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_npy_one
#include "fuzz_npy.c"
#undef LLVMFuzzerTestOneInput
#include "test.h"

#define ITERATIONS 20000 /* per target */
#define CAP 8192

typedef struct {
    uint8_t b[CAP];
    size_t n;
} input;

/* ---- seeds --------------------------------------------------------------------------------------------- */

static void put(input *in, const void *p, size_t n)
{
    memcpy(in->b + in->n, p, n);
    in->n += n;
}

/* An IDX file of unsigned bytes with pixel values i * 37 mod 256 and labels i mod 10. */
static void idx_file(input *in, int ndim, const uint32_t *dims, bool gz)
{
    uint8_t raw[1024];
    size_t k = 0, items = 1;
    raw[k++] = 0, raw[k++] = 0, raw[k++] = 0x08, raw[k++] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++) {
        raw[k++] = (uint8_t)(dims[i] >> 24), raw[k++] = (uint8_t)(dims[i] >> 16);
        raw[k++] = (uint8_t)(dims[i] >> 8), raw[k++] = (uint8_t)dims[i];
        items *= dims[i];
    }
    for (size_t i = 0; i < items; i++) raw[k++] = (uint8_t)(ndim == 1 ? i % 10 : i * 37);
    if (!gz) {
        put(in, raw, k);
        return;
    }
    z_stream zs = {0};
    deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY); /* gzip wrapper */
    zs.next_in = raw, zs.avail_in = (uInt)k;
    zs.next_out = in->b + in->n, zs.avail_out = (uInt)(CAP - in->n);
    deflate(&zs, Z_FINISH);
    in->n += zs.total_out;
    deflateEnd(&zs);
}

static bool idx_seed(int k, input *in)
{
    static const uint32_t img[3] = {4, 2, 3}, lab[1] = {4}, two[2] = {3, 4};
    in->n = 0;
    uint8_t mode = (uint8_t)(k < 4 ? (k == 0 ? 3 : k == 1 ? 1 : k == 2 ? 0 : 2) : k < 6 ? 3 + (k - 4) * 2 : 5 + (k - 6));
    put(in, &mode, 1);
    switch (k) {
    case 0: idx_file(in, 3, img, false); return true;
    case 1: idx_file(in, 1, lab, false); return true;
    case 2: idx_file(in, 3, img, true); return true;
    case 3: idx_file(in, 2, two, false); return true;
    case 4: idx_file(in, 3, img, true); return true;
    case 5: case 6: case 7: case 8: { /* pairs: modes 5, 5, 6, 7 */
        in->b[0] = (uint8_t)(k == 5 ? 5 : k == 6 ? 5 : k == 7 ? 6 : 7);
        size_t at = in->n;
        in->n += 2;
        idx_file(in, 3, img, k == 8);
        size_t cut = in->n - at - 2;
        in->b[at] = (uint8_t)cut, in->b[at + 1] = (uint8_t)(cut >> 8);
        idx_file(in, 1, lab, k == 6);
        return true;
    }
    default: return false;
    }
}

/* A .npy file as NumPy writes it (version 1-3), with its values' bytes a simple pattern. */
static void npy_file(input *in, int version, const char *descr, const char *shape, size_t values, int itemsize)
{
    char header[256];
    int len = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t pre = version == 1 ? 10 : 12, total = (pre + (size_t)len + 1 + 63) / 64 * 64, hlen = total - pre;
    memset(header + len, ' ', hlen - (size_t)len - 1);
    header[hlen - 1] = '\n';
    uint8_t p[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t)version, 0, (uint8_t)hlen, (uint8_t)(hlen >> 8), 0, 0};
    put(in, p, pre);
    put(in, header, hlen);
    /* integers small enough for int32, floats any bit pattern */
    for (size_t i = 0; i < values * (size_t)itemsize; i++)
        in->b[in->n++] = (uint8_t)(descr[1] == 'i' ? (i % (size_t)itemsize == 0 ? i : 0) : i * 7);
}

static bool npy_seed(int k, input *in)
{
    static const struct {
        const char *descr, *shape;
        size_t values;
        int itemsize;
    } s[] = {{"<f4", "(2, 3)", 6, 4}, {"<f8", "(3,)", 3, 8},   {"<i4", "(2, 2, 2)", 8, 4}, {"<i8", "(2,)", 2, 8},
             {"|u1", "(4,)", 4, 1},   {"|b1", "(3,)", 3, 1},   {"<f4", "()", 1, 4},        {"<f4", "(1, 1, 1, 1, 2)", 2, 4}};
    if (k >= (int)(sizeof s / sizeof s[0])) return false;
    in->n = 0;
    npy_file(in, 1 + k % 3, s[k].descr, s[k].shape, s[k].values, s[k].itemsize);
    return true;
}

/* ---- mutations -------------------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x243F6A8885A308D3ull;

static uint64_t next(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

static uint32_t interesting(size_t n)
{
    const uint32_t v[] = {0, 1, 2, 3, 7, 8, 10, 28, 255, 256, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000u,
                          0xFFFFFFFFu, (uint32_t)n, (uint32_t)n + 1, (uint32_t)n - 1};
    return v[below(sizeof v / sizeof v[0])];
}

/* One random edit of in, returning nothing: in->n stays within CAP. Offsets favour the first 128 bytes,
 * where the headers are. */
static void mutate(input *in)
{
    static const char structural[] = "(),:'\"{}[] \n0123456789LTF-.<|>fiub";
    uint8_t *b = in->b;
    size_t n = in->n, at = next() % 2 ? below(n < 128 ? n : 128) : below(n);
    switch (next() % 9) {
    case 0: if (n) b[at] ^= (uint8_t)(1u << below(8)); break;
    case 1: if (n) b[at] = (uint8_t)interesting(n); break;
    case 2: if (n) b[at] = (uint8_t)structural[below(sizeof structural - 1)]; break;
    case 3: { /* a 16- or 32-bit field, big- or little-endian (IDX dims, .npy header length) */
        int w = next() % 2 ? 4 : 2;
        uint32_t v = interesting(n);
        bool big = next() % 2;
        for (int i = 0; i < w && at + (size_t)w <= n; i++) b[at + i] = (uint8_t)(v >> (8 * (big ? w - 1 - i : i)));
        break;
    }
    case 4: in->n = below(n + 1); break; /* cut */
    case 5: { /* insert 1-8 bytes, structural or random */
        size_t k = 1 + below(8);
        if (n + k > CAP) break;
        memmove(b + at + k, b + at, n - at);
        for (size_t i = 0; i < k; i++) b[at + i] = next() % 2 ? (uint8_t)structural[below(sizeof structural - 1)] : (uint8_t)next();
        in->n = n + k;
        break;
    }
    case 6: { /* delete a range */
        size_t k = 1 + below(16);
        if (at + k > n) k = n - at;
        memmove(b + at, b + at + k, n - at - k);
        in->n = n - k;
        break;
    }
    case 7: { /* copy a chunk over another place */
        size_t from = below(n), k = 1 + below(32);
        if (from + k > n) k = n - from;
        if (at + k <= n) memmove(b + at, b + from, k);
        break;
    }
    case 8: { /* duplicate a chunk in place (grows repeated structure) */
        size_t k = 1 + below(16);
        if (at + k > n) k = n - at;
        if (n + k > CAP) break;
        memmove(b + at + k, b + at, n - at);
        in->n = n + k;
        break;
    }
    }
}

/* ---- the runs ------------------------------------------------------------------------------------------------- */

typedef bool (*seed_fn)(int k, input *in);
typedef int (*target_fn)(const uint8_t *data, size_t size);

static void run(const char *name, seed_fn seed, target_fn target, bool (*accepted)(const input *))
{
    int seeds = 0;
    input in;
    while (seed(seeds, &in)) seeds++;
    int before = fuzz_failures, ok = 0;
    clock_t t0 = clock();
    for (int i = 0; i < ITERATIONS; i++) {
        seed((int)below((size_t)seeds), &in);
        for (int m = 1 + (int)below(3); m > 0; m--) mutate(&in);
        /* an exact-size copy, so that ASan sees any read past the end of the input */
        uint8_t *copy = malloc(in.n ? in.n : 1);
        memcpy(copy, in.b, in.n);
        target(copy, in.n);
        ok += accepted(&in);
        free(copy);
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(fuzz_failures == before, "%s: %d mutated inputs from %d seeds in %.2f s, no property broken", name,
          ITERATIONS, seeds, secs);
    CHECK(ok > ITERATIONS / 200 && ok < ITERATIONS, "%s: %d of them accepted, the rest refused", name, ok);
}

/* Whether the reader accepts an input (counted to show the mutations reach past the first check). */
static bool idx_accepted(const input *in)
{
    if (in->n < 1) return false;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_idx idx;
    bool ok = in->b[0] % 8 <= 4 && fv_idx_read_mem(ctx, in->b + 1, in->n - 1, "x", in->b[0] % 8, &idx) == FV_OK;
    if (ok) fv_idx_release(&idx);
    fv_ctx_free(ctx);
    return ok;
}

static bool npy_accepted(const input *in)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_tensor *t = fv_npy_read_mem(ctx, in->b, in->n, "x");
    fv_tensor_free(t);
    fv_ctx_free(ctx);
    return t != NULL;
}

static int write_seeds(const char *dir)
{
    char path[4096];
    seed_fn fns[2] = {idx_seed, npy_seed};
    const char *sub[2] = {"idx", "npy"};
    mkdir(dir, 0755);
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, sub[f]);
        mkdir(path, 0755);
        input in;
        for (int k = 0; fns[f](k, &in); k++) {
            snprintf(path, sizeof path, "%s/%s/seed_%d", dir, sub[f], k);
            FILE *out = fopen(path, "wb");
            if (!out || fwrite(in.b, 1, in.n, out) != in.n) return fprintf(stderr, "cannot write %s\n", path), 1;
            fclose(out);
        }
    }
    printf("seeds written to %s/idx and %s/npy\n", dir, dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--seeds") == 0) return write_seeds(argv[2]);
    input in;
    bool valid = true;
    for (int k = 0; idx_seed(k, &in); k++) valid = valid && (in.b[0] % 8 > 4 || idx_accepted(&in));
    for (int k = 0; npy_seed(k, &in); k++) valid = valid && npy_accepted(&in);
    CHECK(valid, "every seed is a valid input");
    run("fuzz_idx", idx_seed, fuzz_idx_one, idx_accepted);
    run("fuzz_npy", npy_seed, fuzz_npy_one, npy_accepted);
    return test_finish();
}
