/* The ONNX fuzz target on deterministic mutations of valid models (PyTorch's exports in the fixtures and
 * fovea's own): bit flips, interesting values written as varints (lengths, dimensions, enum values), cuts,
 * insertions, deletions and copied chunks, in the suite in a few seconds.
 * `test_fuzz_onnx --seeds DIR` writes the valid files as a starting corpus for a libFuzzer session. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fuzz_failures;
#define FUZZ_FAIL(...) (fuzz_failures++ < 5 ? (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr)) : 0)
#include "fuzz_onnx.c"
#include "mutate.h"
#include "test.h"

#define ITERATIONS 20000
#define MAX_SEEDS 8

static mut_rng rng = {0x2545F4914F6CDD1Dull};

static uint64_t next(void) { return mut_next(&rng); }
static size_t below(size_t n) { return mut_below(&rng, n); }

typedef struct {
    unsigned char *b;
    size_t n;
} blob;

static blob read_file(const char *path)
{
    blob s;
    s.b = mut_read_file(path, &s.n);
    return s;
}

/* Seeds: small fovea exports (every layer kind fovea writes) and PyTorch's exports from the fixtures. */
static int seeds(blob *out)
{
    int n = 0;
    fv_ctx *ctx = fv_ctx_new(5);
    const char *texts[] = {
        "input x shape=2x6x6\nconv2d c filters=3 kernel=3 padding=same\nbatch_norm bn\nhard_swish h\nmax_pool p kernel=2\n"
        "upsample u mode=bilinear\npad pd padding=1\nconcat cat from=pd,pd\nglobal_avg_pool g\ndense d units=3\n",
        "input x shape=6\ndense a units=4\nsilu s\ndropout dr rate=0.2\ndense b units=2\nsoftmax sm\n",
        "input x shape=1x5x5\nconv_transpose2d t filters=2 kernel=3 stride=2\nlrn l size=3\nrelu6 r\navg_pool a kernel=2 "
        "count_include_pad=false\nconv2d dw filters=2 kernel=1 groups=2\nmul m from=dw,a\nflatten f\ndense d units=2\n"};
    for (int k = 0; k < 3; k++) {
        fv_model *m = fv_model_parse(ctx, texts[k], "seed");
        void *buf = NULL;
        size_t len = 0;
        if (m && fv_model_init(m) == FV_OK && fv_onnx_save_mem(m, k == 2 ? 11 : 13, &buf, &len) == FV_OK)
            out[n++] = (blob){buf, len};
        fv_model_free(m);
    }
    const char *files[] = {"mobile_op13", "keras_op17", "decoder_op13", "plain_op13"};
    for (int k = 0; k < 4 && n < MAX_SEEDS; k++) {
        char path[200];
        snprintf(path, sizeof path, "tests/reference/fixtures/onnx/%s.onnx", files[k]);
        blob b = read_file(path);
        if (b.b) out[n++] = b;
    }
    fv_ctx_free(ctx);
    return n;
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* One random edit of b (n bytes, room for cap), returning the new length. */
static size_t mutate(unsigned char *b, size_t n, size_t cap)
{
    size_t at = below(n);
    if (next() % 7 == 0) { /* a varint (a length, a dimension, an enum) replaced by an interesting value */
        const uint64_t v[] = {0, 1, 2, 3, 4, 7, 8, 11, 16, 127, 128, 255, 1000, 65535, 1u << 20, 1ull << 31,
                              1ull << 40, UINT64_MAX, (uint64_t)-1 >> 1, n, n - at};
        unsigned char enc[10];
        size_t k = put_varint(enc, v[below(sizeof v / sizeof v[0])]), old = 1;
        while (at + old <= n && old < 10 && (b[at + old - 1] & 0x80)) old++;
        if (at + old > n || n - old + k > cap) return n;
        memmove(b + at + k, b + at + old, n - at - old);
        memcpy(b + at, enc, k);
        return n - old + k;
    }
    return mut_edit(&rng, b, n, cap, 32);
}

static int write_seeds(const char *dir)
{
    blob s[MAX_SEEDS];
    int n = seeds(s);
    for (int k = 0; k < n; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/seed%d.onnx", dir, k);
        FILE *f = fopen(path, "wb");
        if (!f) return 1;
        fwrite(s[k].b, 1, s[k].n, f);
        fclose(f);
        free(s[k].b);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--seeds")) return write_seeds(argv[2]);
    blob s[MAX_SEEDS];
    int n = seeds(s);
    if (!CHECK(n == 7, "%d seed models", n)) return test_finish();
    int loaded = 0;
    for (int k = 0; k < n; k++) {
        fv_ctx *ctx = fv_ctx_new(0);
        fv_model *m = fv_onnx_load_mem(ctx, s[k].b, s[k].n, "seed");
        loaded += m != NULL;
        fv_model_free(m);
        fv_ctx_free(ctx);
        LLVMFuzzerTestOneInput(s[k].b, s[k].n);
    }
    CHECK(loaded == n && fuzz_failures == 0, "every seed loads, runs and survives export and import");
    clock_t start = clock();
    size_t cap = 0;
    for (int k = 0; k < n; k++) cap = s[k].n > cap ? s[k].n : cap;
    cap += 4096;
    unsigned char *in = malloc(cap);
    loaded = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        int k = (int)below((size_t)n);
        size_t len = s[k].n;
        memcpy(in, s[k].b, len);
        for (int m = 1 + (int)below(3); m > 0; m--) len = mutate(in, len, cap);
        fv_ctx *ctx = fv_ctx_new(0);
        fv_model *m = fv_onnx_load_mem(ctx, in, len, "x");
        loaded += m != NULL;
        fv_model_free(m);
        fv_ctx_free(ctx);
        LLVMFuzzerTestOneInput(in, len);
    }
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK(fuzz_failures == 0, "%d mutated models: each refused with a status and a message naming it, or loaded, run "
          "and re-exported unchanged (%d broken properties)", ITERATIONS, fuzz_failures);
    CHECK(loaded > 0 && loaded < ITERATIONS, "%d of them still loaded (%.1f s)", loaded, secs);
    free(in);
    for (int k = 0; k < n; k++) free(s[k].b);
    return test_finish();
}
