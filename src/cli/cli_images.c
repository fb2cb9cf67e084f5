/* Image files as command inputs (lists, globs, folders), the preprocessing flags, and class names for
 * predictions. The decoding, resizing and normalizing are the library's (fv_image_prepare and the model's
 * graph); this file only finds the files, checks them before any work and reads the flags. */
#include <dirent.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "args.h"
#include "cli_images.h"
#include "commands.h"

/* ---- preprocessing flags -------------------------------------------------------------------------------- */

/* The model's input as (C, H, W); false when it is not an image. */
static bool image_input(const fv_model *m, int64_t chw[3])
{
    int64_t s[FV_MAX_DIMS];
    if (fv_model_input_shape(m, s) != 3) return false;
    memcpy(chw, s, 3 * sizeof *chw);
    return true;
}

/* --center-crop S or F into p->resize_size for an input whose shorter side is shorter. */
static int center_crop(const char *text, int64_t shorter, const char *prog, fv_preprocess *p)
{
    char *end;
    double v = strtod(text, &end);
    bool whole = v > 1 && v == floor(v) && v <= 65536;
    if (*end || end == text || !(whole || (v > 0 && v <= 1))) {
        fprintf(stderr, "%s: --center-crop expects a size in pixels (256) or a fraction in (0, 1] (0.875), got '%s'\n",
                prog, text);
        return 2;
    }
    double size = whole ? v : floor((double)shorter / v + 1e-9);
    if (size > 65536) {
        fprintf(stderr, "%s: --center-crop %s gives a resize to %.0f pixels (at most 65536)\n", prog, text, size);
        return 2;
    }
    p->resize_size = (int)size;
    return 0;
}

static int apply_resize_flags(const fv_cli_args *a, const fv_model *m, const char *prog, fv_preprocess *p)
{
    const char *rule = fv_cli_str(a, "resize"), *crop = fv_cli_str(a, "center-crop");
    if (rule) p->resize = !strcmp(rule, "shorter") ? FV_RESIZE_SHORTER : !strcmp(rule, "pad") ? FV_RESIZE_PAD : FV_RESIZE_STRETCH;
    if (rule && !crop) p->resize_size = 0;
    int64_t chw[3] = {0, 1, 1};
    if (crop && !image_input(m, chw)) {
        fprintf(stderr, "%s: --center-crop: model '%s' does not take images\n", prog, fv_model_name(m));
        return 2;
    }
    return crop ? center_crop(crop, chw[1] < chw[2] ? chw[1] : chw[2], prog, p) : 0;
}

int cli_preprocess(const fv_cli_args *a, const fv_model *m, const char *prog, fv_preprocess *p)
{
    fv_model_preprocess(m, p);
    return apply_resize_flags(a, m, prog, p);
}

int cli_normalize_once(int argc, char **argv, const char *prog)
{
    int seen = 0;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        seen += !strcmp(argv[i], "--normalize") || !strncmp(argv[i], "--normalize=", 12);
    if (seen < 2) return 0;
    fprintf(stderr, "%s: --normalize is given %d times; a model stores one normalization (give it once)\n", prog, seen);
    return 2;
}

/* --normalize's value into p (channels: the model's input channels). */
static int parse_normalize(const char *text, int channels, int64_t shorter, const char *prog, fv_preprocess *p)
{
    if (!strcmp(text, "none")) return p->channels = 0, 0;
    if (!strcmp(text, "imagenet")) {
        if (channels != 3) {
            fprintf(stderr, "%s: --normalize imagenet needs a 3-channel input; the model takes %d\n", prog, channels);
            return 2;
        }
        fv_preprocess in = fv_preprocess_imagenet();
        p->channels = 3;
        memcpy(p->mean, in.mean, sizeof in.mean), memcpy(p->std, in.std, sizeof in.std);
        p->resize = FV_RESIZE_SHORTER, p->resize_size = (int)floor((double)shorter / 0.875 + 1e-9);
        return 0;
    }
    float v[2 * FV_PREPROCESS_MAX_CHANNELS];
    int n = 0;
    const char *s = text;
    while (*s && n < 2 * FV_PREPROCESS_MAX_CHANNELS) {
        char *end;
        v[n] = strtof(s, &end);
        if (end == s || (*end && *end != ',')) break;
        n++, s = *end ? end + 1 : end;
    }
    if (*s || (n != 2 && n != 2 * channels)) {
        fprintf(stderr, "%s: --normalize expects imagenet, none, MEAN,STD or %d means then %d stds, got '%s'\n", prog,
                channels, channels, text);
        return 2;
    }
    p->channels = n / 2;
    for (int c = 0; c < n / 2; c++) p->mean[c] = v[c], p->std[c] = v[n / 2 + c];
    return 0;
}

int cli_store_preprocess(const fv_cli_args *a, int argc, char **argv, fv_model *m, const char *prog)
{
    const char *norm = fv_cli_str(a, "normalize"), *order = fv_cli_str(a, "channel-order");
    if (!norm && !order && !fv_cli_str(a, "resize") && !fv_cli_str(a, "center-crop")) return 0;
    int rc = argv ? cli_normalize_once(argc, argv, prog) : 0;
    if (rc) return rc;
    int64_t chw[3];
    if (!image_input(m, chw)) {
        fprintf(stderr, "%s: --normalize: model '%s' does not take images (C, H, W)\n", prog, fv_model_name(m));
        return 2;
    }
    fv_preprocess p;
    bool had = fv_model_preprocess(m, &p);
    if (norm && (rc = parse_normalize(norm, (int)chw[0], chw[1] < chw[2] ? chw[1] : chw[2], prog, &p))) return rc;
    if (order) p.bgr = !strcmp(order, "bgr");
    if ((rc = apply_resize_flags(a, m, prog, &p))) return rc;
    if (fv_model_set_preprocess(m, &p) != FV_OK) {
        fprintf(stderr, "%s: --normalize %s: %s\n", prog, norm ? norm : "", cli_message(prog, fv_errmsg(fv_model_ctx(m))));
        return 1;
    }
    char text[512];
    printf("Preprocessing%s: %s\n", had ? " (replacing the stored one)" : "", fv_preprocess_describe(&p, text, sizeof text));
    return 0;
}

/* ---- finding the files ----------------------------------------------------------------------------------- */

static bool has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), k = strlen(ext);
    return n > k && strcasecmp(path + n - k, ext) == 0;
}

bool cli_is_npy(const char *path) { return has_ext(path, ".npy"); }

static bool is_image_name(const char *name)
{
    return has_ext(name, ".png") || has_ext(name, ".jpg") || has_ext(name, ".jpeg");
}

typedef struct {
    char **v;
    int n, cap;
} list;

static bool push(list *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) return false;
        l->v = v, l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) return false;
    memcpy(c, s, len), c[len] = '\0';
    l->v[l->n++] = c;
    return true;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A folder's images, sorted. */
static int add_folder(const char *prog, const char *dir, list *l)
{
    DIR *d = opendir(dir);
    char shown[512];
    if (!d) return fprintf(stderr, "%s: cannot read folder %s\n", prog, fv_printable(dir, shown, sizeof shown)), 1;
    int first = l->n;
    struct dirent *e;
    size_t dl = strlen(dir);
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !is_image_name(e->d_name)) continue;
        size_t len = dl + 1 + strlen(e->d_name);
        char *p = malloc(len + 1);
        ok = p != NULL;
        if (ok) snprintf(p, len + 1, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", e->d_name);
        ok = ok && push(l, p, strlen(p));
        free(p);
    }
    closedir(d);
    if (!ok) return fprintf(stderr, "%s: out of memory listing %s\n", prog, fv_printable(dir, shown, sizeof shown)), 1;
    if (l->n == first)
        return fprintf(stderr, "%s: folder %s holds no PNG or JPEG image\n", prog, fv_printable(dir, shown, sizeof shown)), 1;
    qsort(l->v + first, (size_t)(l->n - first), sizeof *l->v, by_name);
    return 0;
}

void cli_files_free(char **files, int n)
{
    for (int i = 0; files && i < n; i++) free(files[i]);
    free(files);
}

int cli_expand_inputs(const char *prog, const char *const *items, int n, char ***files, int *n_files)
{
    list l = {0};
    int rc = 0;
    char shown[512];
    for (int i = 0; !rc && i < n; i++) {
        struct stat sb;
        const char *it = items[i];
        if (stat(it, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rc = add_folder(prog, it, &l);
        } else if (stat(it, &sb) != 0 && strpbrk(it, "*?[")) {
            glob_t g;
            int r = glob(it, 0, NULL, &g);
            if (r == GLOB_NOMATCH) rc = fprintf(stderr, "%s: no file matches %s\n", prog, fv_printable(it, shown, sizeof shown)) > 0;
            else if (r) rc = fprintf(stderr, "%s: cannot expand %s\n", prog, fv_printable(it, shown, sizeof shown)) > 0;
            for (size_t k = 0; !rc && k < g.gl_pathc; k++)
                if (!push(&l, g.gl_pathv[k], strlen(g.gl_pathv[k]))) rc = 1;
            if (!r) globfree(&g);
        } else if (!push(&l, it, strlen(it))) {
            rc = 1;
        }
    }
    if (rc) {
        cli_files_free(l.v, l.n);
        return 1;
    }
    *files = l.v, *n_files = l.n;
    return 0;
}

int cli_check_images(fv_ctx *ctx, const char *prog, char *const *files, int n)
{
    for (int i = 0; i < n; i++) {
        if (cli_is_npy(files[i])) continue;
        fv_image im;
        if (fv_image_read(ctx, files[i], &im) != FV_OK) return cli_fail(prog, ctx); /* the message names the file */
        fv_image_release(&im);
    }
    return 0;
}

/* Whether m takes images (1 or 3 channels of HxW, into chw); false after printing why, naming file. */
static bool takes_images(const char *prog, const fv_model *m, const char *file, int64_t chw[3])
{
    char shown[512];
    if (image_input(m, chw) && (chw[0] == 1 || chw[0] == 3)) return true;
    fprintf(stderr, "%s: %s: model '%s' does not take images (its input is not 1 or 3 channels of HxW)\n", prog,
            fv_printable(file, shown, sizeof shown), fv_model_name(m));
    return false;
}

fv_tensor *cli_image_batch(fv_ctx *ctx, const char *prog, const fv_model *m, const fv_preprocess *p,
                           char *const *files, int n)
{
    int64_t chw[3];
    if (!takes_images(prog, m, files[0], chw)) return NULL;
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){n, chw[0], chw[1], chw[2]});
    if (!x) return cli_fail(prog, ctx), NULL;
    int64_t per = chw[0] * chw[1] * chw[2];
    for (int i = 0; i < n; i++) {
        fv_image im;
        fv_status s = fv_image_read(ctx, files[i], &im);
        if (!s) s = fv_image_prepare(ctx, &im, p, (int)chw[0], (int)chw[1], (int)chw[2], fv_f32(x) + i * per);
        if (s) {
            fv_image_release(&im);
            fv_tensor_free(x);
            cli_fail_on(prog, files[i], ctx);
            return NULL;
        }
        fv_image_release(&im);
    }
    return x;
}

int cli_image_inputs(const char *prog, const fv_cli_args *a, int first, char ***files, int *n)
{
    int given = fv_cli_npos(a) - first;
    *files = NULL, *n = 0;
    if (given < 1) return 0;
    const char **items = calloc((size_t)given, sizeof *items);
    if (!items) return fprintf(stderr, "%s: out of memory\n", prog) > 0;
    for (int i = 0; i < given; i++) items[i] = fv_cli_pos_at(a, first + i);
    int rc = cli_expand_inputs(prog, items, given, files, n);
    free(items);
    char shown[512];
    for (int i = 0; !rc && i < *n; i++)
        if (cli_is_npy((*files)[i])) {
            fprintf(stderr, "%s: %s: give PNG or JPEG images (or --data); .npy batches are for predict\n", prog,
                    fv_printable((*files)[i], shown, sizeof shown));
            cli_files_free(*files, *n);
            *files = NULL, *n = 0, rc = 1;
        }
    return rc;
}

int cli_check_image_files(const char *prog, const char *model, const char *data, char *const *files, int n,
                          const cli_file *outputs)
{
    cli_file *in = calloc((size_t)n + 3, sizeof *in);
    if (!in) return fprintf(stderr, "%s: out of memory\n", prog) > 0;
    in[0] = (cli_file){"MODEL", model};
    int k = 1;
    if (data) in[k++] = (cli_file){"--data", data};
    for (int i = 0; i < n; i++) in[k++] = (cli_file){"INPUT", files[i]};
    int rc = cli_check_files(prog, in, outputs);
    free(in);
    return rc;
}

static fv_status fetch_images(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    cli_image_set *s = data;
    int64_t per = s->chw[0] * s->chw[1] * s->chw[2];
    (void)epoch; /* never augmented */
    for (int i = 0; i < n; i++) {
        fv_image im;
        fv_status st = fv_image_read(s->ctx, s->files[idx[i]], &im);
        if (!st) st = fv_image_prepare(s->ctx, &im, &s->p, (int)s->chw[0], (int)s->chw[1], (int)s->chw[2], fv_f32(x) + i * per);
        fv_image_release(&im);
        if (st) return s->failed = idx[i], st;
        if (y && y->dtype == FV_I32) fv_i32(y)[i] = -1; /* images given as files have no label */
    }
    return FV_OK;
}

int cli_image_source(cli_image_set *s, fv_ctx *ctx, const char *prog, const fv_model *m, const fv_preprocess *p,
                     char *const *files, int n, fv_data_source *src)
{
    *s = (cli_image_set){.ctx = ctx, .p = *p, .files = files, .failed = -1};
    if (!takes_images(prog, m, files[0], s->chw)) return 1;
    *src = (fv_data_source){.count = n, .fetch = fetch_images, .data = s};
    return 0;
}

/* ---- class names -------------------------------------------------------------------------------------------- */

/* The lines of a file (without \n or \r\n; a last empty line dropped). NULL after printing why. */
static char **read_lines(const char *path, const char *prog, int *n)
{
    char shown[512];
    FILE *f = fopen(path, "r");
    if (!f) return fprintf(stderr, "%s: --labels: cannot open %s\n", prog, fv_printable(path, shown, sizeof shown)), NULL;
    list l = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool ok = true;
    while (ok && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        ok = l.n < (1 << 20) && push(&l, line, (size_t)len);
    }
    free(line);
    fclose(f);
    if (!ok) {
        cli_files_free(l.v, l.n);
        fprintf(stderr, "%s: --labels %s: too many lines or out of memory\n", prog, fv_printable(path, shown, sizeof shown));
        return NULL;
    }
    *n = l.n;
    return l.v;
}

int cli_apply_labels(fv_model *m, const char *labels, const char *prog)
{
    int64_t k = fv_model_output_size(m);
    char shown[512];
    if (!labels && (fv_model_class_name(m, 0) || k != FV_IMAGENET_CLASSES)) return 0;
    if (!labels || !strcmp(labels, "imagenet")) {
        if (k != FV_IMAGENET_CLASSES) {
            fprintf(stderr, "%s: --labels imagenet names 1000 classes; model '%s' has %lld outputs\n", prog,
                    fv_model_name(m), (long long)k);
            return 1;
        }
        if (fv_model_set_class_names(m, fv_imagenet_classes(), FV_IMAGENET_CLASSES) != FV_OK)
            return cli_fail(prog, fv_model_ctx(m));
        return 0;
    }
    int n = 0;
    char **names = read_lines(labels, prog, &n);
    if (!names) return 1;
    int rc = 0;
    if (n != k) {
        fprintf(stderr, "%s: --labels %s: %d names for the %lld outputs of model '%s' (one name a line)\n", prog,
                fv_printable(labels, shown, sizeof shown), n, (long long)k, fv_model_name(m));
        rc = 1;
    } else if (fv_model_set_class_names(m, (const char *const *)names, n) != FV_OK) {
        fprintf(stderr, "%s: --labels %s: %s\n", prog, fv_printable(labels, shown, sizeof shown),
                cli_message(prog, fv_errmsg(fv_model_ctx(m))));
        rc = 1;
    }
    cli_files_free(names, n);
    return rc;
}

char *cli_indexed_path(const char *path, int i, int n)
{
    if (!path) return NULL;
    size_t len = strlen(path) + 24;
    char *s = malloc(len);
    if (!s) return NULL;
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (n <= 1) snprintf(s, len, "%s", path);
    else if (!dot || (slash && dot < slash)) snprintf(s, len, "%s-%d", path, i);
    else snprintf(s, len, "%.*s-%d%s", (int)(dot - path), path, i, dot);
    return s;
}

int cli_image_args(const char *prog, const fv_cli_args *a, char ***files, int *n)
{
    const char **items = calloc((size_t)fv_cli_npos(a), sizeof *items);
    if (!items) return fprintf(stderr, "%s: out of memory\n", prog) > 0;
    for (int i = 1; i < fv_cli_npos(a); i++) items[i - 1] = fv_cli_pos_at(a, i);
    int rc = cli_expand_inputs(prog, items, fv_cli_npos(a) - 1, files, n);
    free(items);
    char pb[512];
    for (int i = 0; !rc && i < *n; i++)
        if (cli_is_npy((*files)[i]))
            rc = fprintf(stderr, "%s: %s: give PNG or JPEG images\n", prog, fv_printable((*files)[i], pb, sizeof pb)) > 0;
    return rc;
}
