/* Sizes taken from files and texts (issue 13): every reader multiplies dimensions through the checked helper of
 * core/size.c, so a header whose product overflows or is absurd is refused with a message before anything is
 * allocated. The helper itself, then one overflowing or absurd case per reader (ONNX: tests/onnx/
 * test_onnx_hostile.c; model files: tests/io/test_model_file.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../src/core/internal.h"
#include "fovea.h"
#include "test.h"

static void check_helper(void)
{
    int64_t out = -7;
    CHECK(fv_size_mul(3, 4, 12, &out) && out == 12, "3 * 4 within 12");
    out = -7;
    CHECK(!fv_size_mul(3, 5, 12, &out) && out == -7, "3 * 5 over 12, out untouched");
    CHECK(!fv_size_mul(((int64_t)1 << 62) + 1, 4, INT64_MAX, &out), "(2^62 + 1) * 4 overflows");
    CHECK(!fv_size_mul(-1, 4, 100, &out) && !fv_size_mul(4, -1, 100, &out), "negative factors");
    CHECK(!fv_size_mul(0, INT64_MAX, 100, &out), "a zero factor does not excuse a huge one");
    CHECK(fv_size_mul(0, 100, 100, &out) && out == 0, "0 * 100");
    int64_t wrap[2] = {((int64_t)1 << 62) + 1, 4}, zero[3] = {5, 0, 7}, huge0[3] = {0, (int64_t)1 << 40, 1 << 30},
            neg[2] = {3, -2};
    CHECK(fv_size_product(2, wrap, INT64_MAX) == -1, "the product of (2^62 + 1, 4) does not wrap to 4");
    CHECK(fv_size_product(3, zero, 100) == 0 && fv_size_product(3, zero, 10) == -1, "a zero dimension: 0, the others still bounded");
    CHECK(fv_size_product(3, huge0, (int64_t)1 << 62) == -1, "zero does not hide a product of 2^70");
    CHECK(fv_size_product(2, neg, 100) == -1, "a negative dimension");
    CHECK(fv_size_product(0, NULL, 1) == 1, "a scalar");
}

static void refused_desc(const char *text, const char *phrase)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_parse(ctx, text, "t.fvd");
    CHECK(!m && strstr(fv_errmsg(ctx), phrase), "a description refused with '%s' (%s)", phrase,
          fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void check_descriptions(void)
{
    /* the fuzzer's find: a comma taken as a separator, then a 12 GB input tensor for shape inference */
    refused_desc("input t shape=28x332333,333\nrelu r\n", "CxHxW");
    refused_desc("input t shape=28x332333x333\nrelu r\n", "at most 2^26");
    refused_desc("input t shape=16777216x16777216x16777216\nrelu r\n", "at most 2^26");
    refused_desc("input t shape=0x4x4\nrelu r\n", "dimension 0 is 0");
    refused_desc("input t shape=2x2x2x2x2x2\nrelu r\n", "6 dimensions and the batch");
    const char *junk[] = {"3x4x4junk", "3xx4", " 3x4x4", "+3x4x4", "3x4x", "x3x4x4", "3x-4x4", "2x2x2x2x2x2x2", ""};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
        char text[128];
        snprintf(text, sizeof text, "input t shape=%s\nrelu r\n", junk[i]);
        refused_desc(text, "CxHxW");
    }
    refused_desc("input t shape=3x4x4\nconv2d c filters=3 kernel=3,3\n", "expected");
    /* a parameter of 2^24 x 2^14 values (1 TiB): refused before any allocation */
    refused_desc("input t shape=16384\ndense d units=16777216\n", "more than 2^28 values");
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_parse(ctx, "input t shape=4x4096x4096\nrelu r\n", "ok.fvd");
    CHECK(m != NULL, "4x4096x4096 (2^26 values) is accepted: %s", fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void check_idx_npy(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    /* an idx4 header of 2^32-1 in every dimension: 2^128 bytes */
    unsigned char idx[4 + 16 + 8] = {0, 0, 0x08, 4};
    memset(idx + 4, 0xff, 16);
    fv_idx out;
    memset(&out, 0, sizeof out);
    CHECK(fv_idx_read_mem(ctx, idx, sizeof idx, "big.idx", 0, &out) == FV_ERR_FORMAT &&
          strstr(fv_errmsg(ctx), "big.idx") && strstr(fv_errmsg(ctx), "limit"), "IDX: %s", fv_errmsg(ctx));
    /* a .npy header whose dimensions multiply past 2^64 */
    char npy[128] = "\x93NUMPY\x01\x00";
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }";
    size_t hlen = 118; /* 10 + hlen is a multiple of 64 */
    memset(npy + 10, ' ', hlen);
    memcpy(npy + 10, dict, strlen(dict));
    npy[8] = (char)hlen, npy[9] = 0, npy[10 + hlen - 1] = '\n';
    fv_tensor *t = fv_npy_read_mem(ctx, npy, 10 + hlen, "big.npy");
    CHECK(!t && strstr(fv_errmsg(ctx), "big.npy") && strstr(fv_errmsg(ctx), "limit"), "NPY: %s", fv_errmsg(ctx));
    fv_tensor_free(t);
    fv_ctx_free(ctx);
}

static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24, p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v; }

static void check_image(void)
{
    /* a PNG header of 2^31-1 x 2^31-1 RGBA 16-bit pixels, nothing after it */
    unsigned char png[8 + 25] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char *c = png + 8;
    put32(c, 13), memcpy(c + 4, "IHDR", 4), put32(c + 8, 0x7fffffff), put32(c + 12, 0x7fffffff);
    c[16] = 16, c[17] = 6, c[18] = c[19] = c[20] = 0;
    put32(c + 21, (uint32_t)crc32(0, c + 4, 17));
    fv_ctx *ctx = fv_ctx_new(1);
    fv_image im;
    CHECK(fv_image_decode(ctx, png, sizeof png, "big.png", &im) != FV_OK && strstr(fv_errmsg(ctx), "big.png") &&
          !im.pixels, "PNG: %s", fv_errmsg(ctx));
    fv_ctx_free(ctx);
}

/* An optimizer state whose parameter claims 200 dimensions and ends 8 bytes later: the reader checked room for
 * no dimension then read 8 of them past the end of the buffer. */
static void check_optim_state(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_parse(ctx, "input x shape=3\ndense d units=2\n", "t");
    fv_optim_config cfg = fv_optim_defaults(FV_OPT_ADAM);
    fv_optimizer *opt = m ? fv_optim_new(ctx, &cfg) : NULL;
    fv_param *p[2] = {m ? fv_model_param(m, 0) : NULL, m ? fv_model_param(m, 1) : NULL};
    void *buf = NULL;
    size_t len = 0;
    if (!CHECK(opt && fv_optim_add_group(opt, p, 2, -1) >= 0 && fv_optim_save_mem(opt, &buf, &len) == FV_OK,
               "an optimizer state: %s", fv_errmsg(ctx)))
        return;
    unsigned char *b = buf;
    size_t at = 28; /* "FVOP", version, kind, steps, n_params, n_state */
    for (uint32_t j = 0; j < b[24]; j++) at += 1 + b[at];
    at += 2 + (size_t)(b[at] | b[at + 1] << 8); /* the first parameter's name */
    b[at] = 200;
    unsigned char *cut = malloc(at + 9); /* exactly as long as the file now is: ASan sees a read past it */
    memcpy(cut, b, at + 9);
    CHECK(fv_optim_load_mem(opt, cut, at + 9, "many.state") == FV_ERR_FORMAT &&
          strstr(fv_errmsg(ctx), "200 dimensions"), "200 dimensions: %s", fv_errmsg(ctx));
    free(cut), free(buf);
    fv_optim_free(opt);
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    check_optim_state();
    check_helper();
    check_descriptions();
    check_idx_npy();
    check_image();
    return test_finish();
}
