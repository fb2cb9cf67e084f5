/* The image fuzz target on deterministic mutations of the committed test images (every JPEG and PNG kind):
 * bit flips, random bytes, interesting big-endian values (sides, chunk and segment lengths), cuts, insertions,
 * deletions and copied chunks; half of the mutated PNGs get their chunk CRCs recomputed so that the mutation
 * reaches libpng's decoding rather than its checksum test. In the suite in a few seconds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static int fuzz_failures;
#define FUZZ_FAIL(...) (fuzz_failures++ < 5 ? (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr)) : 0)
#include "fuzz_image.c"
#include "mutate.h"
#include "test.h"

#define ITERATIONS 20000

static const char *const SEEDS[] = {"baseline.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg", "exif6.jpg",
                                    "gray1.png", "gray16.png", "gray_alpha.png", "palette_trns.png", "rgb_trns.png",
                                    "rgba.png", "rgba16.png"};
#define NSEEDS (int)(sizeof SEEDS / sizeof SEEDS[0])

static mut_rng rng = {0x9E3779B97F4A7C15ull};

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

static size_t mutate(unsigned char *b, size_t n, size_t cap)
{
    size_t at = below(n);
    if (next() % 7 == 0) { /* a side, a length or a count replaced by an interesting big-endian value */
        const uint32_t v[] = {0, 1, 2, 3, 8, 16, 255, 256, 4096, 65500, 65535, 65536, 100000, 1u << 24, 0x7fffffffu,
                              0xffffffffu};
        uint32_t x = v[below(sizeof v / sizeof v[0])];
        size_t k = next() & 1 ? 2 : 4;
        if (at + k > n) return n;
        for (size_t i = 0; i < k; i++) b[at + i] = (unsigned char)(x >> (8 * (k - 1 - i)));
        return n;
    }
    return mut_edit(&rng, b, n, cap, 64);
}

/* Every chunk's CRC made right again, as far as the chunk structure can be followed. */
static void fix_png_crcs(unsigned char *b, size_t n)
{
    if (n < 8 || memcmp(b, "\x89PNG", 4) != 0) return;
    for (size_t at = 8; at + 12 <= n;) {
        uint32_t len = (uint32_t)b[at] << 24 | (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 | b[at + 3];
        if (len > n - at - 12) return;
        uint32_t crc = (uint32_t)crc32(0, b + at + 4, len + 4);
        unsigned char *p = b + at + 8 + len;
        p[0] = (unsigned char)(crc >> 24), p[1] = (unsigned char)(crc >> 16), p[2] = (unsigned char)(crc >> 8), p[3] = (unsigned char)crc;
        at += 12 + len;
    }
}

int main(void)
{
    blob s[NSEEDS];
    int n = 0, decoded = 0;
    for (int k = 0; k < NSEEDS; k++) {
        char path[200];
        snprintf(path, sizeof path, "tests/reference/fixtures/images/%s", SEEDS[k]);
        s[n] = read_file(path);
        if (s[n].b) {
            fv_ctx *ctx = fv_ctx_new(0);
            fv_image im;
            decoded += fv_image_decode(ctx, s[n].b, s[n].n, SEEDS[k], &im) == FV_OK;
            fv_image_release(&im);
            fv_ctx_free(ctx);
            LLVMFuzzerTestOneInput(s[n].b, s[n].n);
            n++;
        }
    }
    if (!CHECK(n == NSEEDS && decoded == n && fuzz_failures == 0, "%d seed images decode", decoded)) return test_finish();
    clock_t start = clock();
    size_t cap = 0;
    for (int k = 0; k < n; k++) cap = s[k].n > cap ? s[k].n : cap;
    cap += 4096;
    unsigned char *in = malloc(cap);
    decoded = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        int k = (int)below((size_t)n);
        size_t len = s[k].n;
        memcpy(in, s[k].b, len);
        for (int m = 1 + (int)below(3); m > 0; m--) len = mutate(in, len, cap);
        if (next() & 1) fix_png_crcs(in, len);
        fv_ctx *ctx = fv_ctx_new(0);
        fv_image im;
        decoded += fv_image_decode(ctx, in, len, "x", &im) == FV_OK;
        fv_image_release(&im);
        fv_ctx_free(ctx);
        LLVMFuzzerTestOneInput(in, len);
    }
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK(fuzz_failures == 0, "%d mutated images: each refused with a status and a message naming it, or decoded "
          "into a well-formed image that resizes and converts (%d broken properties)", ITERATIONS, fuzz_failures);
    CHECK(decoded > 0 && decoded < ITERATIONS, "%d of them still decoded (%.1f s)", decoded, secs);
    free(in);
    for (int k = 0; k < n; k++) free(s[k].b);
    return test_finish();
}
