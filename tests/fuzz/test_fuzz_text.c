/* The fuzz targets of the text and small binary inputs (fuzz_history.c, fuzz_image_list.c, fuzz_augment.c,
 * fuzz_optim_state.c, fuzz_seg_set.c, fuzz_det_labels.c, fuzz_darknet.c) on deterministic mutations of valid inputs, in the suite in a few seconds:
 * the same properties libFuzzer checks in `make fuzz`. `test_fuzz_text --seeds DIR` writes the valid inputs to
 * DIR/<target>/ (how tests/fuzz/corpus was made). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int fuzz_failures;
#define FUZZ_FAIL(...) (fuzz_failures++ < 5 ? (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr)) : 0)
#define LLVMFuzzerTestOneInput fuzz_history_one
#include "fuzz_history.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_image_list_one
#include "fuzz_image_list.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_augment_one
#include "fuzz_augment.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_optim_state_one
#include "fuzz_optim_state.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_seg_set_one
#include "fuzz_seg_set.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_det_labels_one
#include "fuzz_det_labels.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_darknet_one
#include "fuzz_darknet.c"
#undef LLVMFuzzerTestOneInput
#include "mutate.h"
#include "test.h"

#define ITERATIONS 3000
#define MAX_SEEDS 8

static mut_rng rng = {0x9E3779B97F4A7C15ull};

typedef struct {
    unsigned char *b[MAX_SEEDS];
    size_t n[MAX_SEEDS];
    int count;
} seeds;

static void add_text(seeds *s, const char *text)
{
    size_t n = strlen(text);
    s->b[s->count] = malloc(n + 1);
    memcpy(s->b[s->count], text, n + 1);
    s->n[s->count++] = n;
}

static void seeds_history(seeds *s)
{
    add_text(s, "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.75,0.683,0.8,0.55\n1,0.81,0.52,0.83,0.47\n");
    add_text(s, "epoch,loss\r\n0,nan\r\n1,inf\r\n2,NA\r\n");
    add_text(s, "epoch,lr\n0,0.001\n");
}

static void seeds_image_list(seeds *s)
{
    add_text(s, "cat/1.png,cat\ndog/2.jpg,dog\ncat/3.jpeg,cat\n");
    add_text(s, "a.png,0\nb.png,1\nc.png,2\nd.png,10\n");
    add_text(s, "path,label\n\"x y.png\",bird\n  z.png , fish \n");
}

static void seeds_augment(seeds *s)
{
    add_text(s, "rotate=15 shift=0.1 zoom=0.9:1.1 fill=reflect hflip=0.5");
    add_text(s, "crop=0.5 crop-scale=0.2:1 blur=0.1:2@0.3 noise=0:0.05 brightness=0.2 contrast=0.1:0.3");
    add_text(s, "saturation=0.2 hue=0.1 grayscale=0.2 erase=0.3 erase-value=random cutout=0.25@0.5 median=0.1 "
                "sharpen=0.5:1.5 vflip=0.2 shear=5 interp=nearest cval=0.5");
}

/* The mode byte, then the bytes. */
static void add_prefixed(seeds *s, uint8_t mode, const void *bytes, size_t n)
{
    s->b[s->count] = malloc(n + 1);
    s->b[s->count][0] = mode;
    memcpy(s->b[s->count] + 1, bytes, n);
    s->n[s->count++] = n + 1;
}

static void seeds_seg_set(seeds *s)
{
    const char *csv[] = {"image,mask\nimages/a.png,masks/a.png\n", "images/a.png , \"masks/a.png\"\nimages/b.png,masks/a.png\n",
                         "path,mask\r\nimages/a.png,images/a.png\r\n"};
    for (int i = 0; i < 3; i++) add_prefixed(s, 1, csv[i], strlen(csv[i]));
    uint8_t px[6 * 5], *png = NULL;
    size_t n = 0;
    for (int p = 0; p < 30; p++) px[p] = (uint8_t)(p % 4 == 3 ? 255 : p % 4);
    fv_ctx *ctx = fv_ctx_new(1);
    if (fv_png_encode(ctx, px, 6, 5, 1, &png, &n) == FV_OK) add_prefixed(s, 0, png, n);
    free(png);
    fv_ctx_free(ctx);
}

static void seeds_det_labels(seeds *s)
{
    add_text(s, "0 0.5 0.5 0.25 0.5\n2 0.1 0.2 0.2 0.4\n");
    add_text(s, "1 0.9375 0.916667 0.125 0.166667\r\n\r\n  0 0.5 0.5 1 1 \r\n");
    add_text(s, "");
}

static void seeds_darknet(seeds *s)
{
    const char *cfg = "[net]\nwidth=16\nheight=16\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\n"
                      "pad=1\nactivation=leaky\n[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=21\nsize=1\n"
                      "activation=linear\n[yolo]\nmask=0\nanchors=4,5,8,9\nclasses=2\nnum=2\n[route]\nlayers=-2\n"
                      "[upsample]\nstride=2\n[shortcut]\nfrom=-7\n";
    add_prefixed(s, 0, cfg, strlen(cfg));
    /* a small network's weights: header, then 4 x 4 batch-norm floats and 4 x 9 weights, 2 biases and 2 x 4 */
    static unsigned char w[20 + 4 * (16 + 36 + 2 + 8)];
    int32_t head[3] = {0, 2, 0};
    memcpy(w, head, sizeof head);
    for (size_t i = 20; i < sizeof w; i += 4) {
        float v = 0.25f * (float)((i / 4) % 7);
        memcpy(w + i, &v, 4);
    }
    add_prefixed(s, 1, w, sizeof w);
}

static void seeds_optim_state(seeds *s)
{
    fv_optimizer *opt = fuzz_optimizer();
    void *buf = NULL;
    size_t len = 0;
    if (fv_optim_save_mem(opt, &buf, &len) == FV_OK) s->b[s->count] = buf, s->n[s->count++] = len;
}

typedef struct {
    const char *name;
    void (*make)(seeds *);
    int (*target)(const uint8_t *, size_t);
} target;

static const target targets[] = {{"history", seeds_history, fuzz_history_one},
                                 {"image_list", seeds_image_list, fuzz_image_list_one},
                                 {"augment", seeds_augment, fuzz_augment_one},
                                 {"optim_state", seeds_optim_state, fuzz_optim_state_one},
                                 {"seg_set", seeds_seg_set, fuzz_seg_set_one},
                                 {"det_labels", seeds_det_labels, fuzz_det_labels_one},
                                 {"darknet", seeds_darknet, fuzz_darknet_one}};

static void run(const target *t)
{
    seeds s = {0};
    int before = fuzz_failures; /* a failure while making the seeds counts too */
    t->make(&s);
    if (!CHECK(s.count > 0, "%s: seeds made", t->name)) return;
    clock_t t0 = clock();
    unsigned char buf[8192];
    for (int i = 0; i < ITERATIONS; i++) {
        int k = (int)mut_below(&rng, (size_t)s.count);
        size_t n = s.n[k] < sizeof buf ? s.n[k] : sizeof buf;
        memcpy(buf, s.b[k], n);
        for (int m = 1 + (int)mut_below(&rng, 3); m > 0; m--) n = mut_edit(&rng, buf, n, sizeof buf, 16);
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any read past the end */
        memcpy(copy, buf, n);
        t->target(copy, n);
        free(copy);
    }
    for (int k = 0; k < s.count; k++) t->target(s.b[k], s.n[k]), free(s.b[k]);
    CHECK(fuzz_failures == before, "%s: %d mutated inputs from %d seeds in %.2f s, no property broken", t->name,
          ITERATIONS, s.count, (double)(clock() - t0) / CLOCKS_PER_SEC);
}

static int write_seeds(const char *dir)
{
    mkdir(dir, 0777);
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        seeds s = {0};
        targets[i].make(&s);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, targets[i].name);
        mkdir(path, 0777);
        for (int k = 0; k < s.count; k++) {
            snprintf(path, sizeof path, "%s/%s/seed%d", dir, targets[i].name, k);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(s.b[k], 1, s.n[k], f) != s.n[k] || fclose(f)) return fprintf(stderr, "cannot write %s\n", path), 1;
            free(s.b[k]);
        }
    }
    printf("seeds written under %s\n", dir);
    return 0;
}

static void cleanup(void)
{
    fv_optim_free(fz_opt);
    fv_model_free(fz_model);
    fv_ctx_free(fz_ctx);
}

int main(int argc, char **argv)
{
    int rc = argc == 3 && !strcmp(argv[1], "--seeds") ? write_seeds(argv[2]) : -1;
    if (rc < 0) {
        for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) run(&targets[i]);
        rc = test_finish();
    }
    cleanup();
    return rc;
}
