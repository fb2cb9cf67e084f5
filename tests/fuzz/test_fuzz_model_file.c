/* The model file fuzz target on 20000 deterministic mutations of valid files (bit flips, interesting
 * values in length and offset fields, cuts, insertions, deletions, copied chunks), most with their
 * checksums recomputed so that the structural checks are reached; in the suite, in a few seconds.
 * `test_fuzz_model_file --seeds DIR` writes the valid files as a starting corpus for a libFuzzer session. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fuzz_failures;
#define FUZZ_FAIL(...) (fuzz_failures++ < 5 ? (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr)) : 0)
#include "fuzz_model_file.c"
#include "test.h"

#define ITERATIONS 20000

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

/* Small valid files: most of their bytes are structure rather than tensor data. */
static void *seed(fv_ctx *ctx, int kind, size_t *len)
{
    fv_modelfile *mf = fv_modelfile_new(ctx);
    void *buf = NULL;
    if (kind > 0) {
        fv_modelfile_set_description(mf, "input 1x8x8\nconv2d c1 filters=2 kernel=3\ndense fc units=3\n");
        fv_modelfile_meta_set(mf, "class_names", "a\nb\nc");
        fv_modelfile_meta_set(mf, "normalization.mean", "0.5");
        const int64_t shapes[][3] = {{2, 1, 3}, {2}, {3, 4}, {1}};
        const int ndims[] = {3, 1, 2, 0};
        const char *names[] = {"c1.weight", "c1.bias", "fc.weight", "step"};
        for (int k = 0; k < (kind == 1 ? 4 : 2); k++) {
            fv_tensor *t = fv_tensor_new(ctx, k == 3 ? FV_I32 : FV_F32, ndims[k], shapes[k]);
            for (int64_t i = 0; t && i < t->size; i++) fv_f32(t)[i] = (float)(i + 1) * 0.25f;
            fv_modelfile_add_tensor(mf, names[k], t);
            fv_tensor_free(t);
        }
    }
    if (kind == 2) {
        fv_modelfile_set_blob(mf, FV_BLOB_OPTIMIZER, "FVOP....state", 13);
        fv_modelfile_set_blob(mf, "empty", NULL, 0);
        fv_modelfile_pos_set_int(mf, FV_POS_EPOCH, 4);
        fv_modelfile_pos_set_real(mf, FV_POS_BEST, 0.75);
    }
    if (fv_modelfile_save_mem(ctx, mf, &buf, len) != FV_OK) buf = NULL;
    fv_modelfile_free(mf);
    return buf;
}

static uint64_t interesting(size_t n)
{
    const uint64_t v[] = {0, 1, 2, 7, 8, 63, 64, 255, 256, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, (uint64_t)1 << 32,
                          (uint64_t)1 << 62, INT64_MAX, UINT64_MAX, n, n + 1, n - 1, n / 2};
    return v[below(sizeof v / sizeof v[0])];
}

/* One random edit of b (n bytes, room for cap), returning the new length. Offsets favour the first 400
 * bytes, where the header, the table and the index are. */
static size_t mutate(unsigned char *b, size_t n, size_t cap)
{
    size_t at = next() % 2 ? below(n < 400 ? n : 400) : below(n);
    switch (next() % 8) {
    case 0: if (n) b[at] ^= (unsigned char)(1u << below(8)); return n;
    case 1: if (n) b[at] = (unsigned char)interesting(n); return n;
    case 2: { /* a little-endian field of 1, 2, 4 or 8 bytes */
        int w = 1 << below(4);
        if (at + (size_t)w <= n) mfb_put(b + at, interesting(n), w);
        return n;
    }
    case 3: return below(n + 1); /* cut */
    case 4: { /* insert random bytes */
        size_t k = 1 + below(16);
        if (n + k > cap) return n;
        memmove(b + at + k, b + at, n - at);
        for (size_t i = 0; i < k; i++) b[at + i] = (unsigned char)next();
        return n + k;
    }
    case 5: { /* delete bytes */
        size_t k = 1 + below(16);
        if (at + k > n) return n;
        memmove(b + at, b + at + k, n - at - k);
        return n - k;
    }
    case 6: { /* copy a chunk over another place */
        size_t from = below(n), k = 1 + below(32);
        if (from + k <= n && at + k <= n) memmove(b + at, b + from, k);
        return n;
    }
    default: { /* a tag swapped for another known or unknown one */
        static const char *const tags[] = {"DESC", "META", "TPOS", "BLOB", "TIDX", "TDAT", "XTRA"};
        size_t e = 32 + 32 * below(6);
        if (e + 4 <= n) memcpy(b + e, tags[below(7)], 4);
        return n;
    }
    }
}

static int write_seeds(const char *dir)
{
    fv_ctx *ctx = fv_ctx_new(0);
    for (int k = 0; k < 3; k++) {
        size_t len = 0;
        unsigned char *s = seed(ctx, k, &len);
        for (int mode = 0; s && mode < 2; mode++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/seed%d_%s", dir, k, mode ? "resealed" : "raw");
            FILE *f = fopen(path, "wb");
            if (!f) return 1;
            fputc(mode ? 3 : 0, f);
            fwrite(s, 1, len, f);
            fclose(f);
        }
        free(s);
    }
    fv_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--seeds")) return write_seeds(argv[2]);
    fv_ctx *ctx = fv_ctx_new(0);
    size_t len[3];
    unsigned char *seeds[3];
    for (int k = 0; k < 3; k++) seeds[k] = seed(ctx, k, &len[k]);
    if (!CHECK(seeds[0] && seeds[1] && seeds[2], "seed files")) return test_finish();
    for (int k = 0; k < 3; k++) {
        fv_modelfile *mf = fv_modelfile_load_mem(ctx, seeds[k], len[k], "seed");
        CHECK(mf != NULL, "seed %d (%zu bytes) loads", k, len[k]);
        fv_modelfile_free(mf);
    }
    clock_t start = clock();
    int loaded = 0;
    size_t cap = 8192;
    unsigned char *in = malloc(cap + 1);
    for (int it = 0; it < ITERATIONS; it++) {
        int k = (int)below(3);
        size_t n = len[k];
        memcpy(in + 1, seeds[k], n);
        for (int m = 1 + (int)below(3); m > 0; m--) n = mutate(in + 1, n, cap);
        in[0] = (unsigned char)"\0\1\3\3"[next() % 4]; /* raw, resealed, or resealed with the size made right */
        /* count the inputs that load, to see that mutations also reach the end of the reader */
        unsigned char *copy = malloc(n + 1);
        memcpy(copy, in + 1, n);
        if (in[0] & 2) mfb_fix_size(copy, n);
        if (in[0] & 1) mfb_reseal(copy, n);
        fv_modelfile *mf = fv_modelfile_load_mem(ctx, copy, n, "x");
        loaded += mf != NULL;
        fv_modelfile_free(mf);
        free(copy);
        LLVMFuzzerTestOneInput(in, n + 1);
    }
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK(fuzz_failures == 0, "%d mutated files: every one refused with FV_ERR_FORMAT naming it, or loaded, read and "
          "saved again to the same bytes (%d broken properties)", ITERATIONS, fuzz_failures);
    CHECK(loaded > 0 && loaded < ITERATIONS, "%d of them still loaded (%.1f s)", loaded, secs);
    free(in);
    for (int k = 0; k < 3; k++) free(seeds[k]);
    fv_ctx_free(ctx);
    return test_finish();
}
