/* fovea detect MODEL IMAGE... [--out boxed.png] [--json boxes.json] [--conf 0.25] [--iou 0.45]: a YOLO
 * detector's boxes on each image, printed one per line (class, score, x0 y0 x1 y1), drawn over the image in the
 * Pascal VOC palette with the class number at the box's corner, and written as JSON. Images are taken and
 * fitted as predict takes them; boxes are in the pixels of the image the model sees (its input size). With
 * several images the index goes before each output's extension (boxed.png: boxed-0.png, ...); the JSON holds
 * them all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_images.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    FV_CLI_STR_OPT("out", NULL, "BOXED.png", "the boxes drawn over the image (several images: BOXED-0.png, ...)"),
    FV_CLI_STR_OPT("json", NULL, "BOXES.json", "every image's detections as JSON"),
    FV_CLI_FLOAT_OPT("conf", "0.25", "P", "the lowest score kept (objectness x class probability)", 0, 1),
    FV_CLI_FLOAT_OPT("iou", "0.45", "X", "non-maximum suppression within a class: IoU above this suppresses", 0, 1),
    FV_CLI_INT_OPT("max-det", "100", "N", "at most this many detections an image", 1, 100000),
    FV_CLI_INT_OPT("threads", "0", "N", "threads (0: all cores)", 0, 4096),
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a YOLO detector (its outputs are yolo layers)"},
                                 {.name = "IMAGE", .help = "PNG or JPEG images, folders of them, or globs ('*.jpg')",
                                  .repeated = true}};
static const fv_cli_cmd cmd = {.prog = "fovea detect", .summary = "Find objects in images with a YOLO detector.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 2};

static const char *prog = "fovea detect";


/* ---- drawing --------------------------------------------------------------------------------------------- */

/* Digits 0-9 in 3x5 pixels, a row a nibble (bit 2 the left column). */
static const uint8_t digits[10][5] = {{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7},
                                      {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1},
                                      {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};

static void put(uint8_t *rgb, int w, int h, int x, int y, const uint8_t c[3])
{
    if (x >= 0 && y >= 0 && x < w && y < h) memcpy(rgb + 3 * ((size_t)y * w + x), c, 3);
}

/* A 1-pixel frame of box b in colour c, and the number k in a filled tag at its top-left corner. */
static void draw_box(uint8_t *rgb, int w, int h, const float *b, int k, const uint8_t c[3])
{
    int x0 = (int)b[0], y0 = (int)b[1], x1 = (int)b[2] - 1, y1 = (int)b[3] - 1;
    for (int x = x0; x <= x1; x++) put(rgb, w, h, x, y0, c), put(rgb, w, h, x, y1, c);
    for (int y = y0; y <= y1; y++) put(rgb, w, h, x0, y, c), put(rgb, w, h, x1, y, c);
    char text[12];
    int n = snprintf(text, sizeof text, "%d", k), tw = 4 * n + 1;
    static const uint8_t black[3] = {0, 0, 0};
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < tw; x++) put(rgb, w, h, x0 + x, y0 + y, c);
    for (int i = 0; i < n; i++)
        for (int r = 0; r < 5; r++)
            for (int col = 0; col < 3; col++)
                if (digits[text[i] - '0'][r] >> (2 - col) & 1) put(rgb, w, h, x0 + 1 + 4 * i + col, y0 + 1 + r, black);
}

/* The model's view of image x (1, C, H, W) as RGB bytes, its boxes drawn over it. */
static uint8_t *boxed(const fv_tensor *x, const float *boxes, const int32_t *classes, int64_t n)
{
    int c = (int)x->shape[1], h = (int)x->shape[2], w = (int)x->shape[3];
    uint8_t *rgb = malloc((size_t)w * h * 3);
    if (!rgb) return NULL;
    const float *p = fv_f32((fv_tensor *)x);
    for (int64_t i = 0; i < (int64_t)w * h; i++)
        for (int k = 0; k < 3; k++) {
            float v = p[(c == 3 ? k : 0) * (int64_t)w * h + i] * 255.0f + 0.5f;
            rgb[3 * i + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); /* NaN: 0 */
        }
    for (int64_t i = n - 1; i >= 0; i--) { /* the best drawn last, on top */
        uint8_t colour[3];
        fv_class_colour(classes[i] + 1, colour); /* + 1: palette 0 is black */
        draw_box(rgb, w, h, boxes + 4 * i, classes[i], colour);
    }
    return rgb;
}

/* ---- JSON ----------------------------------------------------------------------------------------------- */

typedef struct {
    char **files;
    int n, max_det;
    const float *boxes, *scores;
    const int32_t *classes;
    const int64_t *counts;
} json_doc;

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static int fill_json(FILE *f, void *arg)
{
    const json_doc *d = arg;
    fprintf(f, "[\n");
    for (int i = 0; i < d->n; i++) {
        fprintf(f, "  {\"image\": ");
        json_string(f, d->files[i]);
        fprintf(f, ", \"detections\": [");
        for (int64_t k = 0; k < d->counts[i]; k++) {
            const float *b = d->boxes + ((int64_t)i * d->max_det + k) * 4;
            fprintf(f, "%s\n    {\"class\": %d, \"score\": %.6f, \"box\": [%.2f, %.2f, %.2f, %.2f]}", k ? "," : "",
                    d->classes[(int64_t)i * d->max_det + k], (double)d->scores[(int64_t)i * d->max_det + k],
                    (double)b[0], (double)b[1], (double)b[2], (double)b[3]);
        }
        fprintf(f, "%s]}%s\n", d->counts[i] ? "\n  " : "", i + 1 < d->n ? "," : "");
    }
    fprintf(f, "]\n");
    return ferror(f) ? EIO : 0;
}

/* ---- the command ---------------------------------------------------------------------------------------- */


/* One image's detections into slot i of the arrays, printed, and drawn to its --out file. */
static int detect_one(fv_ctx *ctx, fv_model *m, const fv_yolo_info *info, const fv_preprocess *pre,
                      const fv_cli_args *a, char *file, int i, int n, json_doc *d)
{
    fv_tensor *x = cli_image_batch(ctx, prog, m, pre, &file, 1);
    if (!x) return 1;
    fv_yolo_detect_options o = {(float)fv_cli_float(a, "conf"), (float)fv_cli_float(a, "iou"), d->max_det};
    float *b = (float *)d->boxes + (int64_t)i * d->max_det * 4, *s = (float *)d->scores + (int64_t)i * d->max_det;
    int32_t *c = (int32_t *)d->classes + (int64_t)i * d->max_det;
    int64_t *count = (int64_t *)d->counts + i;
    int rc = fv_yolo_run(m, info, x, &o, b, s, c, count) == FV_OK ? 0 : cli_fail_on(prog, fv_cli_pos_at(a, 0), fv_model_ctx(m));
    char pb[512], ob[512];
    if (!rc) printf("%s: %lld objects\n", fv_printable(file, pb, sizeof pb), (long long)*count);
    for (int64_t k = 0; !rc && k < *count; k++)
        printf("  class %d  score %.3f  box %.1f %.1f %.1f %.1f\n", c[k], (double)s[k], (double)b[4 * k],
               (double)b[4 * k + 1], (double)b[4 * k + 2], (double)b[4 * k + 3]);
    char *out = !rc && fv_cli_str(a, "out") ? cli_indexed_path(fv_cli_str(a, "out"), i, n) : NULL;
    uint8_t *rgb = out ? boxed(x, b, c, *count) : NULL;
    if (out && !rgb) rc = fprintf(stderr, "%s: out of memory\n", prog) > 0;
    if (rgb && fv_png_write(ctx, out, rgb, (int)x->shape[3], (int)x->shape[2], 3) != FV_OK) rc = cli_fail(prog, ctx);
    else if (rgb) printf("  -> %s\n", fv_printable(out, ob, sizeof ob));
    free(rgb), free(out);
    fv_tensor_free(x);
    return rc;
}

static int run(const fv_cli_args *a, char **files, int n)
{
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_yolo_info info;
    fv_preprocess pre;
    int rc = m ? cli_preprocess(a, m, prog, &pre) : 1;
    if (!rc && fv_yolo_info_of(ctx, m, &info) != FV_OK) rc = cli_fail_on(prog, fv_cli_pos_at(a, 0), ctx);
    if (!rc) rc = cli_check_images(ctx, prog, files, n);
    int max_det = (int)fv_cli_int(a, "max-det");
    json_doc d = {files, n, max_det, malloc((size_t)n * max_det * 4 * sizeof(float)),
                  malloc((size_t)n * max_det * sizeof(float)), malloc((size_t)n * max_det * sizeof(int32_t)),
                  calloc((size_t)n, sizeof(int64_t))};
    if (!rc && (!d.boxes || !d.scores || !d.classes || !d.counts)) rc = fprintf(stderr, "%s: out of memory\n", prog) > 0;
    for (int i = 0; !rc && i < n; i++) rc = detect_one(ctx, m, &info, &pre, a, files[i], i, n, &d);
    const char *json = fv_cli_str(a, "json");
    int err = !rc && json ? fv_atomic_write(json, fill_json, &d) : 0;
    char pb[512];
    if (err) rc = fprintf(stderr, "%s: cannot write %s: %s\n", prog, fv_printable(json, pb, sizeof pb), fv_write_strerror(err)) > 0;
    else if (!rc && json) printf("Wrote the detections of %d images to %s\n", n, fv_printable(json, pb, sizeof pb));
    free((void *)d.boxes), free((void *)d.scores), free((void *)d.classes), free((void *)d.counts);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return rc;
}

int cmd_detect(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    char **files = NULL;
    int n = 0, rc = 0;
    if (fv_cli_npos(a) < 2) rc = 2, fprintf(stderr, "%s: give IMAGE files after the MODEL\n", prog);
    if (!rc) rc = cli_image_args(prog, a, &files, &n);
    cli_file outs[3] = {{"--out", fv_cli_str(a, "out")}, {"--json", fv_cli_str(a, "json")}, {NULL, NULL}};
    if (!rc) rc = cli_check_image_files(prog, fv_cli_pos_at(a, 0), NULL, files, n, outs);
    if (!rc) rc = run(a, files, n);
    cli_files_free(files, n);
    fv_cli_free(a);
    return rc;
}
