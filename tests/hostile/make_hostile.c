/* Writes the files of tests/hostile (test_hostile.sh runs fovea on them). `small DIR`: what is committed in
 * tests/hostile/corpus: the valid bases (DIR/base: an IDX set, a batch, an image folder and its CSV) and the
 * hostile NPY, IDX, PNG, JPEG, ONNX, model-file, description, CSV, history and augmentation-spec cases.
 * `derive BASE DIR`: model files edited from valid ones that fovea wrote (BASE/tiny.fvm, BASE/ckpt.fvm).
 * `large DIR`: what is too big to commit, made at test time (a 16-bit RGBA 16000x16000 PNG of 2 MB, 4,000
 * unnamed layers in each model format, an IDX gzip bomb, a CSV of 20,000 classes). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <jpeglib.h>

#include "fovea.h"
#include "fovea/modelfile.h"
#include "pb.h"

static const char *dir;

/* Class names that are markup: a report that does not escape them runs their script. */
#define MARKUP_CLASSES "<img src=x onerror=alert(1)>\n</script><script>alert(2)</script>\nx\"'><svg onload=alert(3)>"

static void die(const char *what)
{
    fprintf(stderr, "make_hostile: %s\n", what);
    exit(1);
}

static char *path_of(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static void write_bytes(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(path_of(name), "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) die(path_of(name));
}

static void subdir(const char *name)
{
    if (mkdir(path_of(name), 0755) != 0 && errno != EEXIST) die(path_of(name));
}

static void put_u32be(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }
static void put_u32le(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24); }
static void put_u64le(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* ---- NPY ------------------------------------------------------------------------------------------------ */

/* A version-1 NPY file: the header dict as given (padded to 64 bytes), then n bytes of data. */
static void npy(const char *name, const char *dict, const void *data, size_t n)
{
    size_t hl = strlen(dict), total = 10 + hl + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t len = hl + pad + 1;
    uint8_t *b = malloc(10 + len + n);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (uint8_t)(len & 0xff), b[9] = (uint8_t)(len >> 8);
    memcpy(b + 10, dict, hl);
    memset(b + 10 + hl, ' ', pad);
    b[10 + hl + pad] = '\n';
    if (n) memcpy(b + 10 + len, data, n);
    write_bytes(name, b, 10 + len + n);
    free(b);
}

static void npy_files(void)
{
    float x[2 * 64];
    int32_t xi[64];
    for (int i = 0; i < 128; i++) x[i] = (float)(i % 17) / 17.0f;
    for (int i = 0; i < 64; i++) xi[i] = i * 3;
    /* one image each, so that gradcam and featuremaps take them too */
    npy("npy-int32.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 8, 8), }", xi, sizeof xi);
    float nan_x[64];
    memcpy(nan_x, x, sizeof nan_x);
    nan_x[9] = nan_x[27] = nan_x[45] = NAN;
    npy("npy-nan.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8), }", nan_x, sizeof nan_x);
    float inf_x[64];
    memcpy(inf_x, x, sizeof inf_x);
    inf_x[20] = INFINITY;
    npy("npy-inf.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8), }", inf_x, sizeof inf_x);
    /* (2^62 + 1) * 4 wraps to 4 elements in 64 bits: 16 bytes of data "fit" */
    npy("npy-wrap-shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387905, 4), }", x, 16);
    npy("npy-wrap-4d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387905, 1, 2, 2), }", x, 16);
    npy("npy-huge-dims.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1, 8, 8), }", x, sizeof x);
    npy("npy-negative-dim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 1, 8, 8), }", x, sizeof x);
    npy("npy-overflow-dim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 1, 8, 8), }", x, sizeof x);
    npy("npy-fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1, 8, 8), }", x, sizeof x);
    npy("npy-big-endian.npy", "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 1, 8, 4), }", x, sizeof x);
    npy("npy-object.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2, 1, 8, 8), }", x, sizeof x);
    npy("npy-unterminated.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 8, 8", x, sizeof x);
    npy("npy-9-dims.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 2, 64), }", x, sizeof x);
    npy("npy-escape.npy", "{'descr': '\x1b[2J\x1b]0;pwned\x07', 'fortran_order': False, 'shape': (2, 1, 8, 8), }", x, sizeof x);
    /* a header length that points past the end of the file */
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 8, 8), }";
    uint8_t b[128];
    memcpy(b, "\x93NUMPY\x01\x00\xff\xff", 10);
    memcpy(b + 10, dict, strlen(dict));
    write_bytes("npy-header-past-end.npy", b, 10 + strlen(dict));
}

/* ---- IDX ------------------------------------------------------------------------------------------------ */

static size_t idx_header(uint8_t *b, uint8_t type, int ndim, const uint32_t *dims)
{
    b[0] = b[1] = 0, b[2] = type, b[3] = (uint8_t)ndim;
    for (int d = 0; d < ndim; d++) put_u32be(b + 4 + 4 * d, dims[d]);
    return 4 + 4 * (size_t)ndim;
}

/* A data set folder: train and t10k images (n of 8x8) and labels; hook may replace the train images. */
static void idx_set(const char *name, const uint8_t *images, size_t images_len, const uint8_t *labels, size_t labels_len)
{
    char p[512];
    subdir(name);
    uint8_t good[16 + 12 * 64], goodl[8 + 12];
    uint32_t d3[3] = {12, 8, 8}, d1[1] = {12};
    size_t h = idx_header(good, 8, 3, d3), hl = idx_header(goodl, 8, 1, d1);
    for (int i = 0; i < 12 * 64; i++) good[h + (size_t)i] = (uint8_t)(i * 37 % 251);
    for (int i = 0; i < 12; i++) goodl[hl + (size_t)i] = (uint8_t)(i % 3);
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", name);
    write_bytes(p, images ? images : good, images ? images_len : sizeof good);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", name);
    write_bytes(p, labels ? labels : goodl, labels ? labels_len : sizeof goodl);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", name);
    write_bytes(p, images ? images : good, images ? images_len : sizeof good);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", name);
    write_bytes(p, labels ? labels : goodl, labels ? labels_len : sizeof goodl);
}

static void gz_file(const char *name, const void *data, size_t n, size_t cut)
{
    uLongf cap = compressBound(n) + 64;
    uint8_t *out = malloc(cap);
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2");
    z.next_in = (Bytef *)data, z.avail_in = (uInt)n, z.next_out = out, z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) die("deflate");
    size_t len = z.total_out;
    deflateEnd(&z);
    write_bytes(name, out, cut && cut < len ? cut : len);
    free(out);
}

static void idx_files(void)
{
    uint8_t b[4096];
    uint32_t huge[3] = {2147483647u, 65535, 65535}; /* 9e18 bytes claimed, 64 present */
    size_t h = idx_header(b, 8, 3, huge);
    memset(b + h, 7, 64);
    idx_set("idx-huge-dims", b, h + 64, NULL, 0);
    uint32_t wrap[3] = {1u << 31, 1u << 31, 4}; /* 2^64: wraps to 0 in 64 bits */
    h = idx_header(b, 8, 3, wrap);
    idx_set("idx-wrap-dims", b, h, NULL, 0);
    uint32_t d3[3] = {12, 8, 8};
    h = idx_header(b, 0x0D, 3, d3); /* float32 elements where unsigned bytes are expected */
    memset(b + h, 0xff, 12 * 64 * 4 > 3000 ? 3000 : 12 * 64 * 4);
    idx_set("idx-float-type", b, h + 3000, NULL, 0);
    uint8_t many[4 + 4 * 255];
    memset(many, 0, sizeof many), many[2] = 8, many[3] = 255; /* 255 dimensions */
    for (int i = 0; i < 255; i++) many[4 + 4 * i + 3] = 2;
    idx_set("idx-255-dims", many, sizeof many, NULL, 0);
    uint8_t lab[8 + 12];
    uint32_t d1[1] = {12};
    size_t hl = idx_header(lab, 8, 1, d1);
    for (int i = 0; i < 12; i++) lab[hl + (size_t)i] = (uint8_t)(i % 3);
    lab[hl + 5] = 255; /* a label of 255 among 0..2 */
    idx_set("idx-label-255", NULL, 0, lab, sizeof lab);
    uint32_t d1b[1] = {9};
    hl = idx_header(lab, 8, 1, d1b); /* 9 labels for 12 images */
    idx_set("idx-count-mismatch", NULL, 0, lab, hl + 9);
    /* gzip: a truncated stream (the inflation bomb is one of the large files) */
    subdir("idx-gz-truncated");
    uint8_t good[16 + 12 * 64];
    h = idx_header(good, 8, 3, d3);
    for (int i = 0; i < 12 * 64; i++) good[h + (size_t)i] = (uint8_t)(i * 37 % 251);
    gz_file("idx-gz-truncated/train-images-idx3-ubyte.gz", good, sizeof good, 40);
    gz_file("idx-gz-truncated/t10k-images-idx3-ubyte.gz", good, sizeof good, 40);
    hl = idx_header(lab, 8, 1, d1);
    for (int i = 0; i < 12; i++) lab[hl + (size_t)i] = (uint8_t)(i % 3);
    gz_file("idx-gz-truncated/train-labels-idx1-ubyte.gz", lab, hl + 12, 0);
    gz_file("idx-gz-truncated/t10k-labels-idx1-ubyte.gz", lab, hl + 12, 0);
}

/* A gzip stream of 200 KB that inflates to 100 MB: a 10,000,000 x 1 x 10 set with only 12 labels. */
static void idx_gz_bomb(void)
{
    uint8_t lab[8 + 12];
    uint32_t d1[1] = {12};
    size_t hl = idx_header(lab, 8, 1, d1);
    for (int i = 0; i < 12; i++) lab[hl + (size_t)i] = (uint8_t)(i % 3);
    subdir("idx-gz-bomb");
    size_t n = 16 + (size_t)100 * 1000 * 1000;
    uint8_t *bomb = calloc(n, 1);
    uint32_t bd[3] = {10000000, 1, 10};
    idx_header(bomb, 8, 3, bd);
    gz_file("idx-gz-bomb/train-images-idx3-ubyte.gz", bomb, n, 0);
    gz_file("idx-gz-bomb/t10k-images-idx3-ubyte.gz", bomb, n, 0);
    free(bomb);
    gz_file("idx-gz-bomb/train-labels-idx1-ubyte.gz", lab, hl + 12, 0);
    gz_file("idx-gz-bomb/t10k-labels-idx1-ubyte.gz", lab, hl + 12, 0);
}

/* ---- PNG and JPEG ------------------------------------------------------------------------------------------ */

static void png_chunk(FILE *f, const char *type, const uint8_t *data, size_t n)
{
    uint8_t len[4], crc[4];
    put_u32be(len, (uint32_t)n);
    uLong c = crc32(0, (const Bytef *)type, 4);
    if (n) c = crc32(c, data, (uInt)n);
    put_u32be(crc, (uint32_t)c);
    fwrite(len, 1, 4, f), fwrite(type, 1, 4, f);
    if (n) fwrite(data, 1, n, f);
    fwrite(crc, 1, 4, f);
}

static FILE *png_start(const char *name, uint32_t w, uint32_t h, uint8_t depth, uint8_t colour)
{
    FILE *f = fopen(path_of(name), "wb");
    if (!f) die(path_of(name));
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    uint8_t ihdr[13] = {0};
    put_u32be(ihdr, w), put_u32be(ihdr + 4, h);
    ihdr[8] = depth, ihdr[9] = colour;
    png_chunk(f, "IHDR", ihdr, sizeof ihdr);
    return f;
}

static void png_finish(FILE *f, const uint8_t *idat, size_t n)
{
    if (idat) png_chunk(f, "IDAT", idat, n);
    png_chunk(f, "IEND", NULL, 0);
    if (fclose(f) != 0) die("png");
}

/* A PNG whose header is as given and whose pixel data is the zlib stream of `rows` zero rows of `row` bytes. */
static void png_zero(const char *name, uint32_t w, uint32_t h, uint8_t depth, uint8_t colour, size_t row, size_t rows)
{
    size_t n = (row + 1) * rows;
    uint8_t *raw = calloc(n ? n : 1, 1);
    uLongf cap = compressBound(n);
    uint8_t *z = malloc(cap);
    if (compress2(z, &cap, raw, n, 9) != Z_OK) die("compress2");
    png_finish(png_start(name, w, h, depth, colour), z, cap);
    free(raw), free(z);
}

static void png_files(void)
{
    /* headers that claim far more than the few bytes present */
    png_zero("png-rgba16-16000.png", 16000, 16000, 16, 6, 16000 * 8, 2);
    png_zero("png-width-2e9.png", 2000000000u, 1, 8, 0, 64, 1);
    png_zero("png-65535-square.png", 65535, 65535, 8, 2, 64, 1);
    png_zero("png-zero-width.png", 0, 8, 8, 0, 0, 8);
    png_zero("png-bad-depth.png", 8, 8, 3, 2, 8, 8); /* RGB at 3 bits: not allowed */
    FILE *f = png_start("png-no-idat.png", 8, 8, 8, 0);
    png_finish(f, NULL, 0);
}

/* An 8x8 gray baseline JPEG made with libjpeg, whose frame header (SOF0) is then patched to other sizes, less
 * its last drop bytes. */
static void jpeg_sized(const char *name, uint16_t h, uint16_t w, size_t drop)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *buf = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &n);
    c.image_width = 8, c.image_height = 8, c.input_components = 1, c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    uint8_t px[64];
    for (int i = 0; i < 64; i++) px[i] = (uint8_t)(i * 4);
    while (c.next_scanline < 8) {
        JSAMPROW row = px + 8 * c.next_scanline;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    for (size_t i = 0; i + 8 < n; i++)
        if (buf[i] == 0xff && buf[i + 1] == 0xc0) {
            buf[i + 5] = (uint8_t)(h >> 8), buf[i + 6] = (uint8_t)h, buf[i + 7] = (uint8_t)(w >> 8), buf[i + 8] = (uint8_t)w;
            break;
        }
    write_bytes(name, buf, drop < n ? n - drop : n);
    free(buf);
}

static void jpeg_files(void)
{
    jpeg_sized("jpeg-16000.jpg", 16000, 16000, 0);
    jpeg_sized("jpeg-65535.jpg", 65535, 65535, 0);
    jpeg_sized("jpeg-zero-height.jpg", 0, 8, 0);
    jpeg_sized("jpeg-no-eoi.jpg", 8, 8, 2);
}

/* ---- ONNX -------------------------------------------------------------------------------------------------- */

static void write_pb(const char *name, pb *m)
{
    write_bytes(name, m->b, m->n);
    free(m->b);
}

/* x (N, 4) -> Reshape(x, shape) where shape = Gather(Reshape(c4, [2^62+1, 4]), 1): the folded Reshape's size
 * product wraps to 4 and the Gather then reads row 1 of a 4-element constant. */
static void onnx_reshape_gather(void)
{
    pb g = {0};
    int64_t c4v[4] = {1, 4, 1, 1}, wrap[2] = {((int64_t)1 << 62) + 1, 4}, one = 1;
    pb c4 = pb_itensor("c4", 4, c4v), sh = pb_itensor("wrap_shape", 2, wrap);
    pb idx = pb_tensor("row", PB_INT64, 0, NULL, &one, 8);
    pb_msg(&g, 5, &c4), pb_msg(&g, 5, &sh), pb_msg(&g, 5, &idx);
    pb r1 = pb_node("Reshape", "wrap", "c4,wrap_shape", "big");
    pb ga = pb_node("Gather", "gather", "big,row", "shape");
    pb_attr_int(&ga, "axis", 0);
    pb r2 = pb_node("Reshape", "out", "x,shape", "y");
    pb_msg(&g, 1, &r1), pb_msg(&g, 1, &ga), pb_msg(&g, 1, &r2);
    int64_t xd[2] = {-1, 4};
    pb vi = pb_value_info("x", 2, xd), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb m = pb_model(13, &g);
    write_pb("onnx-reshape-gather.onnx", &m);
}

/* x (N, 1, 8, 8) -> Flatten -> Gemm fc with the weight given (dims and raw bytes as passed). */
static void onnx_gemm(const char *name, const int64_t *xd, int wn, const int64_t *wd, const float *w, size_t wbytes)
{
    pb g = {0};
    pb fl = pb_node("Flatten", "flat", "x", "f"), fc = pb_node("Gemm", "fc", "f,fc.weight,fc.bias", "y");
    pb_attr_int(&fc, "transB", 1);
    pb_msg(&g, 1, &fl), pb_msg(&g, 1, &fc);
    int64_t bd[1] = {3};
    float bias[3] = {0.1f, 0.2f, 0.3f};
    pb wt = pb_tensor("fc.weight", PB_FLOAT, wn, wd, w, wbytes), bt = pb_tensor("fc.bias", PB_FLOAT, 1, bd, bias, 12);
    pb_msg(&g, 5, &wt), pb_msg(&g, 5, &bt);
    pb vi = pb_value_info("x", 4, xd), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb m = pb_model(13, &g);
    write_pb(name, &m);
}

static void onnx_files(void)
{
    onnx_reshape_gather();
    static float w[3 * 64];
    for (int i = 0; i < 3 * 64; i++) w[i] = (float)(i % 7) / 7.0f - 0.5f;
    int64_t xd[4] = {-1, 1, 8, 8}, wd[2] = {3, 64};
    int64_t wrap[2] = {((int64_t)1 << 62) + 1, 4}; /* 16 bytes of data for a wrapped (2^62+1) x 4 */
    onnx_gemm("onnx-wrap-initializer.onnx", xd, 2, wrap, w, 16);
    int64_t big[2] = {3, (int64_t)1 << 40};
    onnx_gemm("onnx-huge-initializer.onnx", xd, 2, big, w, sizeof w);
    int64_t neg[2] = {-3, -64};
    onnx_gemm("onnx-negative-dims.onnx", xd, 2, neg, w, sizeof w);
    int64_t hx[4] = {-1, 1, 100000, 100000};
    onnx_gemm("onnx-huge-input.onnx", hx, 2, wd, w, sizeof w);
    int64_t wx[4] = {-1, (int64_t)1 << 62, 2, 2};
    onnx_gemm("onnx-wrap-input.onnx", wx, 2, wd, w, sizeof w);
    static float bad[3 * 64];
    memcpy(bad, w, sizeof w);
    bad[5] = NAN, bad[6] = INFINITY;
    onnx_gemm("onnx-nonfinite.onnx", xd, 2, wd, bad, sizeof bad);
}

/* ---- model files made byte by byte: a tensor index that claims (2^62 + 1) x 4 floats in 16 bytes ------------- */

static void fvm_wrapped_tensor(const char *name, uint64_t d0, uint64_t d1, uint64_t bytes)
{
    const char *desc = "model wrap\ninput shape=4\ndense fc units=1\n";
    uint8_t b[1024] = {0};
    size_t dl = strlen(desc);
    /* header 32, table of 3 sections (DESC, TIDX, TDAT) 96, DESC at 128, TIDX at 192, TDAT at 256, trailer */
    size_t desc_at = 128, tidx_at = 192, tdat_at = 256;
    memcpy(b + desc_at, desc, dl);
    uint8_t *t = b + tidx_at;
    const char *tn = "fc.weight";
    put_u32le(t, 1);
    t[4] = (uint8_t)strlen(tn), t[5] = 0;
    memcpy(t + 6, tn, strlen(tn));
    uint8_t *e = t + 6 + strlen(tn);
    e[0] = 0, e[1] = 2; /* float32, 2 dims */
    put_u64le(e + 2, d0), put_u64le(e + 10, d1), put_u64le(e + 18, tdat_at), put_u64le(e + 26, bytes);
    size_t tidx_len = (size_t)(e + 34 - t), tdat_len = 64;
    for (int i = 0; i < 16; i++) b[tdat_at + (size_t)i] = (uint8_t)(i * 11);
    size_t size = tdat_at + tdat_len + 8;
    const char *tags[3] = {"DESC", "TIDX", "TDAT"};
    size_t at[3] = {desc_at, tidx_at, tdat_at}, len[3] = {dl, tidx_len, tdat_len};
    for (int s = 0; s < 3; s++) {
        uint8_t *r = b + 32 + 32 * s;
        memcpy(r, tags[s], 4);
        put_u32le(r + 4, 1);
        put_u64le(r + 8, at[s]), put_u64le(r + 16, len[s]);
        put_u32le(r + 24, (uint32_t)crc32(0, b + at[s], (uInt)len[s]));
    }
    memcpy(b, "FVMD", 4);
    put_u32le(b + 4, 1), put_u32le(b + 8, 0), put_u32le(b + 12, 3), put_u64le(b + 16, size);
    put_u32le(b + 24, (uint32_t)crc32(0, b + 32, 96));
    put_u32le(b + 28, (uint32_t)crc32(0, b, 28));
    put_u32le(b + size - 8, (uint32_t)crc32(0, b, (uInt)(size - 8)));
    memcpy(b + size - 4, "DMVF", 4);
    write_bytes(name, b, size);
}

/* A valid 8x8 gray PNG whose pixels depend on seed. */
static void png_gray8(const char *name, int seed)
{
    uint8_t raw[8 * 9];
    for (int y = 0; y < 8; y++) {
        raw[y * 9] = 0;
        for (int x = 0; x < 8; x++) raw[y * 9 + 1 + x] = (uint8_t)((x * 31 + y * 17 + seed * 85) % 256);
    }
    uLongf cap = compressBound(sizeof raw);
    uint8_t z[256];
    if (cap > sizeof z || compress2(z, &cap, raw, sizeof raw, 9) != Z_OK) die("compress2");
    png_finish(png_start(name, 8, 8, 8, 0), z, cap);
}

/* The valid files the hostile ones are variants of: an IDX set, a batch, an image folder and its CSV. */
static void bases(void)
{
    subdir("base");
    idx_set("base/idx", NULL, 0, NULL, 0);
    /* the same set with class names that are markup (for the report) */
    idx_set("idx-markup", NULL, 0, NULL, 0);
    write_bytes("idx-markup/classes.txt", MARKUP_CLASSES "\n", strlen(MARKUP_CLASSES) + 1);
    float x[2 * 64];
    for (int i = 0; i < 128; i++) x[i] = (float)(i % 17) / 17.0f;
    npy("base/x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 8, 8), }", x, sizeof x);
    subdir("base/images");
    FILE *csv = fopen(path_of("base/images/labels.csv"), "w");
    if (!csv) die("labels.csv");
    const char *cls[3] = {"ankle", "bag", "coat"};
    for (int c = 0; c < 3; c++) {
        char p[256];
        snprintf(p, sizeof p, "base/images/%s", cls[c]);
        subdir(p);
        for (int i = 0; i < 2; i++) {
            snprintf(p, sizeof p, "base/images/%s/%d.png", cls[c], i);
            png_gray8(p, c * 2 + i);
            fprintf(csv, "%s/%d.png,%s\n", cls[c], i, cls[c]);
        }
        snprintf(p, sizeof p, "base/images/%s/2.jpg", cls[c]);
        jpeg_sized(p, 8, 8, 0);
        fprintf(csv, "%s/2.jpg,%s\n", cls[c], cls[c]);
    }
    if (fclose(csv) != 0) die("labels.csv");
}

/* ---- text: descriptions, CSV label lists, histories, augmentation specs ----------------------------------------- */

static void text(const char *name, const char *t) { write_bytes(name, t, strlen(t)); }

/* A string of n copies of unit (the caller frees it). */
static char *repeat(const char *unit, int n)
{
    size_t u = strlen(unit);
    char *b = malloc(u * (size_t)n + 1);
    for (int i = 0; i < n; i++) memcpy(b + u * (size_t)i, unit, u);
    b[u * (size_t)n] = '\0';
    return b;
}

static void descriptions(void)
{
    text("fvd-comma-shape.fvd", "input t shape=28x332333,333\nrelu\n");
    text("fvd-huge-input.fvd", "input shape=65535x65535x65535\nflatten\ndense units=10\n");
    text("fvd-wrap-input.fvd", "input shape=4294967297x4294967297x4\nrelu\n");
    text("fvd-overflow-number.fvd", "input shape=1x8x99999999999999999999999\nrelu\n");
    text("fvd-huge-dense.fvd", "input shape=1x8x8\nflatten\ndense units=2147483647\n");
    text("fvd-huge-conv.fvd", "input shape=3x224x224\nconv2d filters=1000000 kernel=1000 padding=1000\n");
    text("fvd-huge-upsample.fvd", "input shape=1x8x8\nupsample scale=1000000\nflatten\ndense units=3\n");
    text("fvd-huge-pad.fvd", "input shape=1x8x8\npad padding=1000000000\n");
    text("fvd-negative.fvd", "input shape=1x8x8\nconv2d filters=-2 kernel=-3\n");
    text("fvd-zero-stride.fvd", "input shape=1x8x8\nmax_pool kernel=2 stride=0\n");
    text("fvd-nan-rate.fvd", "input shape=1x8x8\nflatten\ndropout rate=nan\ndense units=3\n");
    text("fvd-cycle.fvd", "input shape=1x8x8\nrelu a from=b\nrelu b from=a\n");
    text("fvd-duplicate-names.fvd", "input shape=1x8x8\nrelu a\nrelu a\n");
    text("fvd-escape-name.fvd", "model \x1b[2Jpwned\ninput shape=1x8x8\nrelu r\x1b]0;title\x07\n");
    write_bytes("fvd-nul.fvd", "input shape=1x8x8\nrelu\0\nrelu\n", 30);
    char *name = repeat("n", 5000), buf[6000];
    snprintf(buf, sizeof buf, "input shape=1x8x8\nrelu %s\n", name);
    text("fvd-long-name.fvd", buf);
    free(name);
    char *from = repeat("input,", 1000), *cat = malloc(strlen(from) + 64);
    sprintf(cat, "input shape=1x8x8\nconcat c from=%sinput\n", from);
    text("fvd-wide-concat.fvd", cat);
    free(from), free(cat);
}

static void label_lists(void)
{
    text("csv-mixed-labels.csv", "base/images/ankle/0.png,0\nbase/images/ankle/1.png,0\nbase/images/bag/0.png,1\n"
         "base/images/bag/1.png,2\nbase/images/coat/0.png,10\nbase/images/coat/1.png,-1\nbase/images/coat/2.jpg,1.0\n");
    const char nul[] = "base/images/ankle/0.png,ankle\nbase/images/bag/0.png,bag\0\nbase/images/ankle/1.png,coat\n"
                       "base/images/coat/0.png,coat\n";
    write_bytes("csv-nul.csv", nul, sizeof nul - 1);
    text("csv-markup.csv", "base/images/ankle/0.png,<img src=x onerror=alert(1)>\n"
         "base/images/bag/0.png,</script><script>alert(2)</script>\nbase/images/coat/0.png,x\"'><svg onload=alert(3)>\n"
         "base/images/ankle/1.png,<img src=x onerror=alert(1)>\n");
    text("csv-escape-label.csv", "base/images/ankle/0.png,\x1b[31mred\nbase/images/bag/0.png,bell\a\n"
         "base/images/coat/0.png,coat\r\x1b[2K\n");
    text("csv-missing-file.csv", "base/images/ankle/0.png,ankle\nbase/images/nothere.png,bag\nbase/images/coat/0.png,coat\n");
    text("csv-directory-entry.csv", "base/images/ankle/0.png,ankle\nbase/images/bag,bag\nbase/images/coat/0.png,coat\n");
    text("csv-not-image.csv", "base/images/ankle/0.png,ankle\nbase/x.npy,bag\nbase/images/coat/0.png,coat\n");
    char *line = repeat("a", 9000), buf[9100];
    snprintf(buf, sizeof buf, "base/images/ankle/0.png,%s\n", line);
    text("csv-long-line.csv", buf);
    free(line);
}

/* 20,000 classes of one image each (a quadratic class lookup shows here). */
static void many_classes(void)
{
    char *many = malloc(20000 * 40), *p = many;
    for (int i = 0; i < 20000; i++) p += sprintf(p, "base/images/ankle/0.png,class%d\n", i);
    text("csv-20000-classes.csv", many);
    free(many);
}

static void histories(void)
{
    uint8_t junk[2048];
    uint32_t r = 12345;
    for (size_t i = 0; i < sizeof junk; i++) r = r * 1103515245u + 12345u, junk[i] = (uint8_t)(r >> 16);
    write_bytes("hist-binary.csv", junk, sizeof junk);
    const char nul[] = "epoch,loss,accuracy\n0,1.0,0.5\0\n7,0.1,0.9\n1,0.5,0.6\n";
    write_bytes("hist-nul.csv", nul, sizeof nul - 1);
    text("hist-nonfinite.csv", "epoch,loss,accuracy\n0,nan,inf\n1,-nan,1e309\n2,-inf,0.5\n");
    text("hist-huge-epoch.csv", "epoch,loss\n1e300,0.5\n99999999999999999999,0.4\n-5,0.3\n");
    text("hist-escape.csv", "epoch,\x1b[31mloss\x1b]0;pwned\x07\n0,1\n1,0.5\n");
    text("hist-markup.csv", "epoch,<img src=x onerror=alert(1)>\n0,1\n1,0.5\n");
    char *cols = repeat(",loss", 3000), *head = malloc(strlen(cols) + 64);
    sprintf(head, "epoch%s\n0\n", cols);
    text("hist-3000-columns.csv", head);
    free(cols), free(head);
    char *wide = repeat("x", 20000), *w = malloc(20100);
    sprintf(w, "epoch,%s\n0,1\n", wide);
    text("hist-long-line.csv", w);
    free(wide), free(w);
}

static void augment_specs(void)
{
    /* RULE TAB SPEC per line: "refuse" must be refused, "any" may be taken */
    text("augment-specs.txt", "refuse\trotate=nan\nrefuse\tzoom=inf:1\nrefuse\tshift=-1e309\nrefuse\thflip=2\n"
         "refuse\trotate=15@1.5\nrefuse\tbogus=1\nrefuse\trotate=10 \x1b[31mzoom=1\x1b[0m\nrefuse\tblur=nan:1@0.5\n"
         "any\trotate=1e308\nany\tzoom=1e-300:1e300\nany\tnoise=1e30:1e30\nany\tcrop=1 crop-scale=0:0\n"
         "any\tcrop=1 crop-ratio=1e-300:1e300\nany\tshear=1e300 shift=1e300\nany\tblur=1e30:1e30\n");
}

static void small(void)
{
    bases();
    descriptions();
    label_lists();
    histories();
    augment_specs();
    npy_files();
    idx_files();
    png_files();
    jpeg_files();
    onnx_files();
    fvm_wrapped_tensor("fvm-wrap-tensor.fvm", ((uint64_t)1 << 62) + 1, 4, 16);
    fvm_wrapped_tensor("fvm-huge-tensor.fvm", (uint64_t)1 << 40, 4, 16);
}

/* ---- model files edited from valid ones ------------------------------------------------------------------------ */

static fv_modelfile *load(fv_ctx *ctx, const char *base, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", base, name);
    fv_modelfile *mf = fv_modelfile_load(ctx, p);
    if (!mf) die(fv_errmsg(ctx));
    return mf;
}

static void save(fv_ctx *ctx, fv_modelfile *mf, const char *name)
{
    if (fv_modelfile_save(ctx, mf, path_of(name)) != FV_OK) die(fv_errmsg(ctx));
    fv_modelfile_free(mf);
}

/* The first element of the named float tensor (the file's own copy: the generator edits it in place). */
static float *first_weight(fv_modelfile *mf)
{
    const char *name;
    const fv_tensor *t = fv_modelfile_tensor_at(mf, 0, &name);
    if (!t || t->dtype != FV_F32) die("no float tensor");
    return (float *)t->data;
}

static void derive(fv_ctx *ctx, const char *base)
{
    fv_modelfile *mf = load(ctx, base, "tiny.fvm");
    first_weight(mf)[1] = NAN;
    save(ctx, mf, "fvm-nan-weight.fvm");
    mf = load(ctx, base, "tiny.fvm");
    first_weight(mf)[0] = -INFINITY;
    save(ctx, mf, "fvm-inf-weight.fvm");
    /* escape sequences and newlines in every string a command may print */
    mf = load(ctx, base, "tiny.fvm");
    fv_modelfile_meta_set(mf, "class_names", "\x1b[31mred\x1b[0m\nbell\a\x1b]0;pwned\x07\ncr\rINJECTED");
    fv_modelfile_meta_set(mf, "created_by", "fovea\x1b[2J\nINJECTED: created by");
    fv_modelfile_meta_set(mf, "note", "\x1b[6n\x1bP+q\x1b\\\nINJECTED");
    save(ctx, mf, "fvm-meta-escape.fvm");
    /* markup in class names: the report must escape it */
    mf = load(ctx, base, "tiny.fvm");
    fv_modelfile_meta_set(mf, "class_names", MARKUP_CLASSES);
    save(ctx, mf, "fvm-markup-classes.fvm");
    mf = load(ctx, base, "tiny.fvm");
    fv_modelfile_meta_set(mf, "class_names", "a\nb\nc\nd\ne\nf\ng");
    save(ctx, mf, "fvm-seven-classes.fvm");
    mf = load(ctx, base, "tiny.fvm");
    fv_modelfile_meta_set(mf, "normalization.mean", "nan");
    fv_modelfile_meta_set(mf, "normalization.std", "0");
    save(ctx, mf, "fvm-norm-nan.fvm");
    /* callbacks' state, learning-rate factor and position out of range in a checkpoint */
    static const struct {
        const char *file, *key;
        double v;
    } pos[] = {
        {"ckpt-wait-1e300.fvm", "callback.0.EarlyStopping.1", 1e300},
        {"ckpt-wait-nan.fvm", "callback.0.EarlyStopping.1", NAN},
        {"ckpt-best-epoch-inf.fvm", "callback.0.EarlyStopping.2", -INFINITY},
        {"ckpt-stopped-1e19.fvm", "callback.0.EarlyStopping.4", 1e19},
        {"ckpt-lr-factor-nan.fvm", "lr_factor", NAN},
        {"ckpt-lr-factor-1e300.fvm", "lr_factor", 1e300},
    };
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
        mf = load(ctx, base, "ckpt.fvm");
        double old;
        if (!fv_modelfile_pos_get_real(mf, pos[i].key, &old)) die(pos[i].key);
        fv_modelfile_pos_set_real(mf, pos[i].key, pos[i].v);
        save(ctx, mf, pos[i].file);
    }
    mf = load(ctx, base, "ckpt.fvm");
    fv_modelfile_pos_set_int(mf, "global_step", INT64_MAX);
    fv_modelfile_pos_set_int(mf, "train_passes", -1);
    save(ctx, mf, "ckpt-steps-max.fvm");
    /* the optimizer's state cut, flipped, emptied */
    size_t len;
    mf = load(ctx, base, "ckpt.fvm");
    const uint8_t *blob = fv_modelfile_blob(mf, FV_BLOB_OPTIMIZER, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, blob, len);
    fv_modelfile_set_blob(mf, FV_BLOB_OPTIMIZER, copy, len / 2);
    save(ctx, mf, "ckpt-optim-cut.fvm");
    mf = load(ctx, base, "ckpt.fvm");
    copy[len / 3] ^= 0x40;
    fv_modelfile_set_blob(mf, FV_BLOB_OPTIMIZER, copy, len);
    save(ctx, mf, "ckpt-optim-flip.fvm");
    mf = load(ctx, base, "ckpt.fvm");
    fv_modelfile_set_blob(mf, FV_BLOB_OPTIMIZER, NULL, 0);
    save(ctx, mf, "ckpt-optim-empty.fvm");
    free(copy);
}

/* ---- large files, made at test time ------------------------------------------------------------------------ */

/* A 16-bit RGBA 16000x16000 PNG, valid and complete: 2,048,016,000 zero bytes of rows (filter byte 0 and
 * 128,000 zeros each) compress to about 2 MB. One deflated chunk of 16 rows is repeated 1000 times (its blocks
 * are not final and only refer back to zeros), then a final empty block and the Adler-32 of n zeros, which is
 * 1 + (n mod 65521) * 65536. */
static void png_huge(void)
{
    const size_t row = 1 + 16000 * 8, chunk = 16 * row, reps = 1000;
    uint8_t *zeros = calloc(chunk, 1), *z = malloc(chunk / 100 + 4096);
    z_stream s = {0};
    if (deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2");
    s.next_in = zeros, s.avail_in = (uInt)chunk, s.next_out = z, s.avail_out = (uInt)(chunk / 100 + 4096);
    if (deflate(&s, Z_FULL_FLUSH) != Z_OK || s.avail_in) die("deflate");
    size_t zn = s.total_out;
    deflateEnd(&s);
    size_t total = 2 + zn * reps + 5 + 4;
    uint8_t *idat = malloc(total), *p = idat;
    *p++ = 0x78, *p++ = 0x01;
    for (size_t i = 0; i < reps; i++) memcpy(p, z, zn), p += zn;
    memcpy(p, "\x01\x00\x00\xff\xff", 5), p += 5;
    uint64_t n = (uint64_t)row * 16000;
    put_u32be(p, (uint32_t)(((n % 65521) << 16) | 1));
    FILE *f = png_start("png-rgba16-16000-full.png", 16000, 16000, 16, 6);
    png_finish(f, idat, total);
    free(zeros), free(z), free(idat);
}

static void many_layers(fv_ctx *ctx, int n)
{
    size_t cap = 64 + (size_t)n * 6;
    char *text = malloc(cap), *p = text;
    p += sprintf(p, "input shape=1x2x2\n");
    for (int i = 0; i < n; i++) p += sprintf(p, "relu\n");
    write_bytes("relu4000.fvd", text, (size_t)(p - text));
    fv_modelfile *mf = fv_modelfile_new(ctx);
    if (!mf || fv_modelfile_set_description(mf, text) != FV_OK) die(fv_errmsg(ctx));
    save(ctx, mf, "relu4000.fvm");
    free(text);
    pb g = {0};
    char in[32], out[32];
    for (int i = 0; i < n; i++) {
        snprintf(in, sizeof in, i ? "t%d" : "x", i - 1);
        snprintf(out, sizeof out, i == n - 1 ? "y" : "t%d", i);
        pb nd = pb_node("Relu", NULL, in, out);
        pb_msg(&g, 1, &nd);
    }
    int64_t xd[4] = {-1, 1, 2, 2};
    pb vi = pb_value_info("x", 4, xd), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    pb m = pb_model(13, &g);
    write_pb("relu4000.onnx", &m);
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "derive") == 0 && argc < 4)) {
        fprintf(stderr, "usage: make_hostile small DIR | derive BASE DIR | large DIR\n");
        return 2;
    }
    dir = argv[argc - 1];
    fv_ctx *ctx = fv_ctx_new(1);
    if (strcmp(argv[1], "small") == 0) small();
    else if (strcmp(argv[1], "derive") == 0) derive(ctx, argv[2]);
    else if (strcmp(argv[1], "large") == 0) png_huge(), many_layers(ctx, 4000), idx_gz_bomb(), many_classes();
    else die("unknown mode");
    fv_ctx_free(ctx);
    return 0;
}
