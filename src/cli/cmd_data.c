/* fovea data: look at an image set before training on it (inspect: Keras' Found line, images per class, the
 * image sizes, every unreadable file and why; for segmentation sets the pairs and pixels per class), and write a data set out as class folders of PNG files
 * (export: e.g. 100 Fashion-MNIST images per class, for the image-folder demo). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_data.h"
#include "commands.h"

static const fv_cli_opt inspect_opts[] = {
    FV_CLI_FLAG_OPT("quick-scan", NULL, "check only the headers (faster; misses files corrupt past their header)"),
    CLI_OPT_MAX_IMAGE_MB,
};
static const fv_cli_pos inspect_pos[] = {FV_CLI_ARG("DIR|CSV", "a folder of class folders of images, a CSV of path,label, a segmentation folder (images/, masks/), a CSV of image,mask or a detection folder (images/, labels/)")};
static const fv_cli_cmd inspect_cmd = {"fovea data inspect", "Count an image set's files per class, list its image sizes and its unreadable files.",
                                       inspect_opts, 2, inspect_pos, 1};

static const fv_cli_opt export_opts[] = {
    FV_CLI_CHOICE_OPT("split", "train", "train|test", "which split of the data set"),
    FV_CLI_INT_OPT("per-class", "0", "N", "only the first N images of each class (0: all)", 0, 9e15),
};
static const fv_cli_pos export_pos[] = {FV_CLI_ARG("SET", "fashion-mnist, mnist or a directory of IDX files"),
                                        FV_CLI_ARG("DIR", "where to write DIR/<class>/<index>.png")};
static const fv_cli_cmd export_cmd = {"fovea data export", "Write a data set as class folders of PNG files.", export_opts, 2,
                                      export_pos, 2};

static const fv_cli_opt compose_opts[] = {
    FV_CLI_CHOICE_OPT("split", "train", "train|test", "which split the items come from"),
    FV_CLI_INT_OPT("canvas", "64", "C", "the side of the square canvases", 1, 4096),
    FV_CLI_STR_OPT("items", "2:4", "MIN:MAX", "how many items each canvas holds (up to 21)"),
    FV_CLI_INT_OPT("count", "1000", "N", "how many canvases", 1, 99999),
    FV_CLI_INT_OPT("seed", "0", "S", "the seed every draw comes from", 0, 9e15),
    FV_CLI_FLAG_OPT("boxes", NULL, "also labels/: the items' boxes as YOLO label files (a detection folder)"),
};
static const fv_cli_pos compose_pos[] = {FV_CLI_ARG("SET", "fashion-mnist, mnist or a directory of IDX files"),
                                         FV_CLI_ARG("DIR", "where to write images/, masks/, classes.txt, boxes.csv")};
static const fv_cli_cmd compose_cmd = {"fovea data compose",
                                       "Paste a data set's items onto canvases: a segmentation folder of images, masks and boxes.",
                                       compose_opts, 6, compose_pos, 2};

static void print_sizes(const fv_image_scan *scan)
{
    printf("\nImage sizes (width x height x channels, as stored):\n");
    for (int i = 0; i < scan->n_sizes; i++)
        printf("  %6dx%dx%d  %lld\n", scan->sizes[i].width, scan->sizes[i].height, scan->sizes[i].channels,
               (long long)scan->sizes[i].count);
}

static void print_classes(const fv_dataset *ds)
{
    int k = fv_dataset_classes(ds);
    int64_t *counts = calloc((size_t)k, sizeof *counts);
    if (!counts) return;
    fv_dataset_class_counts(ds, counts);
    printf("\nReadable images per class:\n");
    for (int c = 0; c < k; c++) {
        const char *name = fv_dataset_class_name(ds, c);
        char shown[256]; /* a folder's name may hold control characters: printed escaped */
        if (name) printf("  %3d %-24s %lld\n", c, fv_printable(name, shown, sizeof shown), (long long)counts[c]);
        else printf("  %3d %-24s %lld\n", c, "", (long long)counts[c]);
    }
    free(counts);
}

/* A segmentation set's mask pixels per class id: every id up to the largest named or present, then the ignored. */
static void print_seg_classes(const fv_seg_scan *scan)
{
    int64_t total = 0;
    int top = scan->n_class_names - 1;
    for (int v = 0; v < 256; v++) total += scan->pixels[v];
    for (int v = 0; v < 255; v++)
        if (scan->pixels[v]) top = v > top ? v : top;
    printf("\nMask pixels per class (%lld pixels):\n", (long long)total);
    for (int v = 0; v <= top; v++) {
        char shown[256];
        const char *name = v < scan->n_class_names ? fv_printable(scan->class_names[v], shown, sizeof shown) : "";
        printf("  %3d %-24s %12lld  %6.2f%%\n", v, name, (long long)scan->pixels[v],
               total ? 100.0 * (double)scan->pixels[v] / (double)total : 0.0);
    }
    if (scan->pixels[255])
        printf("  255 %-24s %12lld  %6.2f%%\n", "(ignored)", (long long)scan->pixels[255],
               100.0 * (double)scan->pixels[255] / (double)total);
}

/* fovea data inspect on a segmentation folder or a CSV of image,mask: pairs, per-class pixels, sizes and every
 * bad or unpaired file with its reason. */
static int inspect_segmentation(fv_ctx *ctx, const char *path)
{
    fv_seg_options o = fv_seg_defaults();
    fv_seg_scan scan;
    fv_tensor_set *set = fv_seg_load(ctx, path, &o, &scan);
    char shown[1024], reason[1024];
    printf("Found %lld image,mask pairs: %lld usable, %lld bad; %lld unpaired files.\n", (long long)scan.pairs,
           (long long)(scan.pairs - scan.skipped), (long long)scan.skipped, (long long)scan.unpaired);
    if (set) print_seg_classes(&scan);
    if (scan.n_sizes) printf("\nImage sizes (width x height x channels, as read):\n");
    for (int i = 0; i < scan.n_sizes; i++)
        printf("  %6dx%dx%d  %lld\n", scan.sizes[i].width, scan.sizes[i].height, scan.sizes[i].channels,
               (long long)scan.sizes[i].count);
    if (scan.n_problems) printf("\nMissing, mismatched and unreadable (left out of training):\n");
    for (int i = 0; i < scan.n_problems; i++)
        printf("  %s: %s\n", fv_printable(scan.problems[i].path, shown, sizeof shown),
               fv_printable(scan.problems[i].reason, reason, sizeof reason));
    int rc = set ? 0 : cli_fail("fovea data inspect", ctx);
    fv_tensor_set_free(set);
    fv_seg_scan_release(&scan);
    return rc;
}

/* fovea data inspect on a detection folder: images, objects per class, their sizes, images without objects,
 * and every bad or unpaired file with its reason (a label file's with its line). */
static int inspect_detection(fv_ctx *ctx, const char *dir)
{
    fv_det_scan scan;
    fv_tensor_set *set = fv_det_load(ctx, dir, NULL, &scan);
    char shown[1024], reason[1024];
    printf("Found %lld image,label pairs: %lld usable (%lld without objects), %lld bad; %lld unpaired files.\n",
           (long long)scan.images, (long long)(scan.images - scan.skipped), (long long)scan.empty,
           (long long)scan.skipped, (long long)scan.unpaired);
    if (set) {
        printf("\nObjects per class (%lld objects):\n", (long long)scan.boxes);
        for (int c = 0; c < scan.n_per_class; c++) {
            const char *name = c < scan.n_class_names ? fv_printable(scan.class_names[c], shown, sizeof shown) : "";
            printf("  %3d %-24s %10lld\n", c, name, (long long)scan.per_class[c]);
        }
        printf("\nObject sizes (COCO's areas, in pixels of the images): small (< 32^2) %lld, medium %lld, large "
               "(>= 96^2) %lld\n", (long long)scan.size_counts[0], (long long)scan.size_counts[1],
               (long long)scan.size_counts[2]);
    }
    if (scan.n_sizes) printf("\nImage sizes (width x height x channels, as stored):\n");
    for (int i = 0; i < scan.n_sizes; i++)
        printf("  %6dx%dx%d  %lld\n", scan.sizes[i].width, scan.sizes[i].height, scan.sizes[i].channels,
               (long long)scan.sizes[i].count);
    if (scan.n_problems) printf("\nMissing, invalid and unreadable (left out of training):\n");
    for (int i = 0; i < scan.n_problems; i++)
        printf("  %s: %s\n", fv_printable(scan.problems[i].path, shown, sizeof shown),
               fv_printable(scan.problems[i].reason, reason, sizeof reason));
    int rc = set ? 0 : cli_fail("fovea data inspect", ctx);
    fv_tensor_set_free(set);
    fv_det_scan_release(&scan);
    return rc;
}

static int inspect(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&inspect_cmd, argc, argv, &a, &status)) return status;
    const char *path = fv_cli_pos_at(a, 0);
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, false);
    bool seg = fv_is_segmentation_set(path), det = fv_is_detection_folder(path);
    if (seg || det) { /* a composed folder is both: both reports */
        int rc = seg ? inspect_segmentation(ctx, path) : 0;
        if (seg && det) printf("\n");
        if (det) rc |= inspect_detection(ctx, path);
        fv_ctx_free(ctx);
        fv_cli_free(a);
        return rc;
    }
    fv_image_set_options o = fv_image_set_defaults();
    o.verify = !fv_cli_flag(a, "quick-scan");
    fv_image_scan scan;
    fv_dataset *ds = fv_dataset_load_images(ctx, path, &o, &scan);
    int rc = 0;
    if (ds || scan.found) printf("Found %lld files belonging to %d classes.\n", (long long)scan.found, scan.n_classes);
    if (ds) print_classes(ds);
    if (scan.n_sizes) print_sizes(&scan);
    if (scan.n_problems) {
        printf("\nUnreadable (%lld files skipped) and empty:\n", (long long)scan.skipped);
        for (int i = 0; i < scan.n_problems; i++) {
            char where[1024], reason[512];
            printf("  %s: %s\n", fv_printable(scan.problems[i].path, where, sizeof where),
                   fv_printable(scan.problems[i].reason, reason, sizeof reason));
        }
    }
    if (scan.ignored) printf("\n%lld files without an image extension (.png, .jpg, .jpeg) were ignored.\n", (long long)scan.ignored);
    if (!ds) rc = cli_fail("fovea data inspect", ctx);
    fv_image_scan_release(&scan);
    fv_dataset_free(ds);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}

/* A folder name per class that sorts in label order: the number, zero-padded, then the name made safe. */
static void class_folder(const fv_dataset *ds, int k, char *out, size_t size)
{
    int digits = fv_dataset_classes(ds) > 10 ? (int)floor(log10(fv_dataset_classes(ds) - 1)) + 1 : 1;
    const char *name = fv_dataset_class_name(ds, k);
    int n = snprintf(out, size, "%0*d%s", digits, k, name ? "_" : "");
    for (const char *p = name; p && *p && (size_t)n + 1 < size; p++)
        out[n++] = (*p == '/' || *p == ' ' || *p == '\\') ? '_' : *p;
    out[n] = '\0';
}

/* Sample i as interleaved bytes (the dataset's floats are bytes / 255: rounding recovers them exactly). */
static void sample_bytes(const float *x, int64_t c, int64_t hw, uint8_t *out)
{
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t p = 0; p < hw; p++) {
            float v = x[ch * hw + p] * 255.0f;
            out[p * c + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
        }
}

/* mkdir -p */
static int make_dir(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') *p = '\0', mkdir(buf, 0777), *p = '/';
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    fprintf(stderr, "fovea data export: cannot create %s: %s\n", path, strerror(errno));
    return 1;
}

typedef struct {
    const uint8_t *p;
    size_t n;
} png_bytes;

static int fill_bytes(FILE *f, void *arg)
{
    const png_bytes *b = arg;
    return fwrite(b->p, 1, b->n, f) == b->n ? 0 : EIO;
}

/* Through fv_write_file without its fsyncs: syncing 10,000 files would cost more than encoding them, while the
 * rename still leaves no half-written image behind a killed export, and no link or device is replaced. */
static int write_png(fv_ctx *ctx, const char *path, const uint8_t *px, const int64_t s[3])
{
    uint8_t *png;
    size_t len;
    if (fv_png_encode(ctx, px, (int)s[2], (int)s[1], (int)s[0], &png, &len) != FV_OK) return cli_fail("fovea data export", ctx);
    png_bytes job = {png, len};
    int err = fv_write_file(path, fill_bytes, &job, FV_WRITE_NOSYNC);
    free(png);
    if (err) fprintf(stderr, "fovea data export: cannot write %s: %s\n", path, fv_write_strerror(err));
    return err ? 1 : 0;
}

static int write_pngs(fv_ctx *ctx, const fv_dataset *ds, const char *dir, int64_t per_class)
{
    int64_t s[3], n = fv_dataset_count(ds), written = 0;
    fv_dataset_shape(ds, s);
    int k = fv_dataset_classes(ds);
    int64_t *count = calloc((size_t)k, sizeof *count);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, s[0], s[1], s[2]});
    uint8_t *px = malloc((size_t)(s[0] * s[1] * s[2]));
    char folder[512], path[1024];
    int rc = !count || !x || !px || make_dir(dir);
    for (int c = 0; !rc && c < k; c++) {
        class_folder(ds, c, folder, sizeof folder);
        snprintf(path, sizeof path, "%s/%s", dir, folder);
        rc = make_dir(path);
    }
    for (int64_t i = 0; !rc && i < n; i++) {
        int32_t y = fv_dataset_label(ds, i);
        if (per_class > 0 && count[y] >= per_class) continue;
        if (fv_dataset_batch(ds, &i, 1, x, NULL) != FV_OK) rc = cli_fail("fovea data export", ctx);
        sample_bytes(fv_f32(x), s[0], s[1] * s[2], px);
        class_folder(ds, y, folder, sizeof folder);
        snprintf(path, sizeof path, "%s/%s/%05lld.png", dir, folder, (long long)i);
        if (!rc) rc = write_png(ctx, path, px, s);
        count[y]++, written++;
    }
    if (!rc) printf("Wrote %lld PNG files in %d class folders under %s\n", (long long)written, k, dir);
    free(count), free(px);
    fv_tensor_free(x);
    return rc;
}

static int export_set(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&export_cmd, argc, argv, &a, &status)) return status;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_dataset *ds = fv_dataset_find(ctx, fv_cli_pos_at(a, 0), strcmp(fv_cli_str(a, "split"), "train") == 0);
    int rc = ds ? write_pngs(ctx, ds, fv_cli_pos_at(a, 1), fv_cli_int(a, "per-class")) : cli_fail("fovea data export", ctx);
    fv_dataset_free(ds);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}

static int compose(int argc, char **argv)
{
    const char *prog = "fovea data compose";
    fv_cli_args *a;
    int status;
    if (cli_parse(&compose_cmd, argc, argv, &a, &status)) return status;
    fv_compose_options o = fv_compose_defaults();
    o.canvas = (int)fv_cli_int(a, "canvas");
    o.seed = (uint64_t)fv_cli_int(a, "seed");
    o.yolo_labels = fv_cli_flag(a, "boxes");
    char end;
    if (sscanf(fv_cli_str(a, "items"), "%d:%d%c", &o.min_items, &o.max_items, &end) != 2) {
        fprintf(stderr, "%s: --items takes MIN:MAX (2:4), not '%s'\n", prog, fv_cli_str(a, "items"));
        fv_cli_free(a);
        return 2;
    }
    fv_ctx *ctx = fv_ctx_new(1);
    fv_dataset *ds = fv_dataset_find(ctx, fv_cli_pos_at(a, 0), strcmp(fv_cli_str(a, "split"), "train") == 0);
    int64_t n = fv_cli_int(a, "count");
    const char *dir = fv_cli_pos_at(a, 1);
    int rc = ds && fv_compose_write(ctx, ds, &o, n, dir) == FV_OK ? 0 : cli_fail(prog, ctx);
    if (!rc) printf("Wrote %lld canvases of %dx%d under %s (images/, masks/, %sclasses.txt, boxes.csv)\n", (long long)n,
                    o.canvas, o.canvas, dir, o.yolo_labels ? "labels/, " : "");
    fv_dataset_free(ds);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}

int cmd_data(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "inspect") == 0) return inspect(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "export") == 0) return export_set(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "compose") == 0) return compose(argc - 1, argv + 1);
    bool help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
    fprintf(help ? stdout : stderr, "usage: fovea data inspect DIR|CSV    (counts per class, image sizes, unreadable files)\n"
                                    "       fovea data export SET DIR      (a data set as class folders of PNG files)\n"
                                    "       fovea data compose SET DIR     (items pasted onto canvases: images, masks, boxes)\n");
    return help ? 0 : 2;
}
