/* The model description fuzz target on deterministic mutations of valid descriptions (tokens swapped,
 * numbers replaced by extreme values, lines cut, dropped or repeated, bytes flipped), in the suite.
 * `test_fuzz_model_desc --seeds DIR` writes the valid descriptions as a libFuzzer corpus. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int fuzz_failures;
#define FUZZ_FAIL(...) (fuzz_failures++ < 5 ? (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr)) : 0)
#include "fuzz_model_desc.c"
#include "test.h"

#define ITERATIONS 20000

static const char *const seeds[] = {
    "model m\ninput input shape=1x28x28\nconv2d c1 filters=4 kernel=3 padding=1\nbatch_norm bn\nrelu\n"
    "max_pool p kernel=2\nflatten\ndense fc units=10\n",
    "input shape=3x16x16\nconv2d a filters=8 kernel=3 stride=2 padding=same\nrelu r\n"
    "conv2d b filters=8 kernel=1 from=r\nadd s from=r,b\nconcat c from=s,r\nglobal_avg_pool\ndense units=3\n",
    "input shape=2x9x9\nconv_transpose2d t filters=2 kernel=3 stride=2 output_padding=1 groups=2\n"
    "avg_pool kernel=3 stride=2 ceil_mode=true count_include_pad=false\nupsample scale=2 mode=bilinear\n"
    "pad padding=0x1x2x3 value=1.5\nlrn size=3 alpha=1e-4 beta=0.75 k=2\nleaky_relu alpha=0.2\nflatten\ndense units=2\n",
    "input shape=64\ndense units=8 bias=false\nelu alpha=0.5\ndropout rate=0.3\ndense units=2\nsoftmax\n",
};
static const char *const pieces[] = {"0", "-1", "99999999999", "1x0", "x", "=", "nan", "inf", "1e39", "from=",
                                     "from=c1,c1", "groups=3", "kernel=40", "same", "#", "\n", " ", "shape=0x1x1",
                                     "dilation=9", "stride=0", "units=0", "filters=1000000"};

static uint64_t state = 0x2545F4914F6CDD1Dull;
static uint64_t next(void)
{
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
}

static void mutate(char *buf, size_t cap)
{
    size_t n = strlen(buf);
    int edits = 1 + (int)(next() % 3);
    for (int e = 0; e < edits && n > 0; e++) {
        size_t at = next() % n;
        switch (next() % 4) {
        case 0: buf[at] = (char)(next() % 96 + 32); break;          /* flip a byte */
        case 1: buf[at] = '\0', n = at; break;                       /* cut */
        case 2: memmove(buf + at, buf + at + 1, n - at), n--; break; /* delete */
        default: {                                                   /* insert a hostile piece */
            const char *p = pieces[next() % (sizeof pieces / sizeof pieces[0])];
            size_t k = strlen(p);
            if (n + k + 1 >= cap) break;
            memmove(buf + at + k, buf + at, n - at + 1);
            memcpy(buf + at, p, k);
            n += k;
        }
        }
    }
}

static int write_seeds(const char *dir)
{
    for (int k = 0; k < 4; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/seed%d.fvd", dir, k);
        FILE *f = fopen(path, "w");
        if (!f || fputs(seeds[k], f) < 0 || fclose(f)) return fprintf(stderr, "cannot write %s\n", path), 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--seeds")) return write_seeds(argv[2]);
    char buf[2048];
    int parsed = 0;
    for (int i = 0; i < ITERATIONS; i++) {
        snprintf(buf, sizeof buf, "%s", seeds[i % 4]);
        if (i >= 4) mutate(buf, sizeof buf);
        fv_ctx *ctx = fv_ctx_new(1);
        fv_model *m = fv_model_parse(ctx, buf, "probe");
        parsed += m != NULL;
        fv_model_free(m);
        fv_ctx_free(ctx);
        LLVMFuzzerTestOneInput((const uint8_t *)buf, strlen(buf));
    }
    CHECK(fuzz_failures == 0, "%d mutated descriptions: every one refused with a message or round-tripped (%d parsed)",
          ITERATIONS, parsed);
    return test_finish();
}
