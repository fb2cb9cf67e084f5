/* Data sets as the commands name them, over the library's fv_dataset: the named sets Debian packages
 * (fashion-mnist, mnist) or a directory of IDX files, one split at a time, optionally cut to a stratified sample;
 * or an image set (class folders or a CSV list), announced as Keras does, its bad files listed. */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "cli_data.h"
#include "cli_images.h"
#include "commands.h"

struct cli_data {
    fv_dataset *ds;
    fv_loader *loader; /* NULL: batches straight from the dataset */
    bool images;
    int threads;       /* the loader's */
    fv_ctx *ctx;
    int to_channels;   /* 0, or the model's channels (1 or 3) when the data has the other count */
    fv_data_source base;
    fv_tensor *scratch; /* one batch at the data's channels */
};

cli_data_opts cli_data_defaults(const char *prog)
{
    cli_data_opts o = {.prog = prog, .verify = true, .seed = 1};
    return o;
}

/* "7,8,9" into classes (room for 4096): the count, or -1. */
static int parse_classes(const char *text, int *classes)
{
    int k = 0;
    for (const char *p = text; *p;) {
        char *end;
        long c = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || c < 0 || c > 1 << 20 || k == 4096) return -1;
        classes[k++] = (int)c;
        p = *end ? end + 1 : end;
    }
    return k ? k : -1;
}

int cli_data_opts_from_args(const fv_cli_args *a, cli_data_opts *o)
{
    const char *size = fv_cli_str(a, "size");
    if (size) {
        char *end;
        long h = strtol(size, &end, 10), w = h;
        if (*end == 'x' || *end == 'X') w = strtol(end + 1, &end, 10);
        if (*end || h < 1 || w < 1 || h > 65536 || w > 65536) {
            fprintf(stderr, "%s: --size expects HxW (or N for NxN), got '%s'\n", o->prog, size);
            return 1;
        }
        o->height = (int)h, o->width = (int)w;
    }
    if (fv_cli_int(a, "channels") == 2) {
        fprintf(stderr, "%s: --channels is 1 (gray) or 3 (RGB)\n", o->prog);
        return 1;
    }
    if (fv_cli_int(a, "channels")) o->channels = (int)fv_cli_int(a, "channels");
    o->strict = fv_cli_flag(a, "strict");
    o->verify = !fv_cli_flag(a, "quick-scan");
    o->loader_threads = (int)fv_cli_int(a, "loader-threads");
    if (fv_cli_has(a, "select-classes")) o->select_classes = fv_cli_str(a, "select-classes");
    if (fv_cli_has(a, "per-class")) o->per_class = fv_cli_int(a, "per-class");
    int classes[4096];
    if (o->select_classes && parse_classes(o->select_classes, classes) < 0) {
        fprintf(stderr, "%s: --select-classes expects up to 4096 class numbers separated by commas, got '%s'\n",
                o->prog, o->select_classes);
        return 1;
    }
    return 0;
}

/* --select-classes "7,8,9" then --per-class N; ds replaced (freed) or NULL with the reason in ctx. */
static fv_dataset *subset(fv_ctx *ctx, fv_dataset *ds, const cli_data_opts *o)
{
    if (o->select_classes) { /* checked by cli_data_opts_from_args */
        int classes[4096], k = parse_classes(o->select_classes, classes);
        fv_dataset *sel = fv_dataset_select_classes(ds, classes, k > 0 ? k : 0);
        fv_dataset_free(ds);
        if (!(ds = sel)) return NULL;
    }
    if (o->per_class > 0) {
        fv_dataset *few = fv_dataset_sample_per_class(ds, o->per_class, o->seed);
        fv_dataset_free(ds);
        ds = few;
    }
    return ds;
}

/* Keras' line, then the bad files on stderr (all of them: a user fixing a data set wants the list). */
static void report_scan(const fv_image_scan *scan, const char *spec, const cli_data_opts *o)
{
    if (o->announce)
        printf("Found %lld files belonging to %d classes.\n", (long long)scan->found, scan->n_classes);
    if (scan->n_problems == 0) return;
    char path[1024], reason[1024]; /* paths come from the folder or the CSV: printed escaped */
    fprintf(stderr, "%s: %s: skipped %lld unreadable of %lld files%s\n", o->prog, fv_printable(spec, path, sizeof path),
            (long long)scan->skipped, (long long)scan->found, o->strict ? "" : " (--strict makes this an error)");
    for (int i = 0; i < scan->n_problems; i++)
        fprintf(stderr, "  %s: %s\n", fv_printable(scan->problems[i].path, path, sizeof path),
                fv_printable(scan->problems[i].reason, reason, sizeof reason));
}

static fv_dataset *open_images(fv_ctx *ctx, const char *spec, const cli_data_opts *o)
{
    fv_image_set_options io = fv_image_set_defaults();
    io.channels = o->channels, io.height = o->height, io.width = o->width;
    io.strict = o->strict, io.verify = o->verify;
    io.preprocess = o->pre;
    fv_image_scan scan;
    fv_dataset *ds = fv_dataset_load_images(ctx, spec, &io, &scan);
    if (ds || scan.found) report_scan(&scan, spec, o);
    fv_image_scan_release(&scan);
    return ds;
}

cli_data *cli_data_open_opts(fv_ctx *ctx, const char *spec, bool train, int64_t limit, const cli_data_opts *o)
{
    bool images = fv_dataset_is_image_set(spec);
    fv_dataset *ds = images ? open_images(ctx, spec, o) : fv_dataset_find(ctx, spec, train);
    if (ds) ds = subset(ctx, ds, o);
    if (!ds) return NULL;
    if (limit > 0 && limit < fv_dataset_count(ds)) {
        fv_dataset *cut = fv_dataset_sample_stratified(ds, limit, o->seed);
        fv_dataset_free(ds);
        if (!(ds = cut)) return NULL;
    }
    cli_data *d = calloc(1, sizeof *d);
    if (!d) {
        fv_dataset_free(ds);
        fprintf(stderr, "out of memory opening %s\n", spec);
        return NULL;
    }
    d->ds = ds;
    d->ctx = ctx;
    d->images = images;
    d->threads = o->loader_threads;
    /* image sets decode at batch time: always on the loader's threads */
    if (images && cli_data_use_loader(ctx, d, NULL, 0, o->loader_threads)) {
        cli_data_free(d);
        return NULL;
    }
    return d;
}

void cli_data_fit_model(cli_data_opts *o, const fv_model *m, const fv_preprocess *pre)
{
    int64_t ms[FV_MAX_DIMS];
    if (!m || fv_model_input_shape(m, ms) != 3 || (ms[0] != 1 && ms[0] != 3)) return;
    if (!o->channels) o->channels = (int)ms[0];
    if (!o->height) o->height = (int)ms[1], o->width = (int)ms[2];
    o->pre = pre;
}

cli_data *cli_data_open_model(fv_ctx *ctx, const char *spec, bool train, int64_t limit, const fv_model *m,
                              const fv_preprocess *pre)
{
    cli_data_opts o = cli_data_defaults("fovea");
    cli_data_fit_model(&o, m, pre);
    return cli_data_open_opts(ctx, spec, train, limit, &o);
}

cli_data *cli_data_open(fv_ctx *ctx, const char *spec, bool train, int64_t limit)
{
    cli_data_opts o = cli_data_defaults("fovea");
    return cli_data_open_opts(ctx, spec, train, limit, &o);
}

bool cli_data_is_images(const cli_data *d) { return d && d->images; }
const fv_loader *cli_data_loader(const cli_data *d) { return d ? d->loader : NULL; }

int cli_data_use_loader(fv_ctx *ctx, cli_data *d, const fv_augment *augment, uint64_t seed, int threads)
{
    fv_loader_options lo = fv_loader_defaults();
    lo.augment = augment, lo.seed = seed, lo.threads = threads;
    fv_loader *l = fv_loader_new(ctx, d->ds, &lo);
    if (!l) return 1;
    d->threads = threads;
    fv_loader_free(d->loader);
    d->loader = l;
    return 0;
}

int cli_data_split(fv_ctx *ctx, cli_data *d, double fraction, uint64_t seed, cli_data **val)
{
    fv_dataset *tr, *va;
    *val = NULL;
    if (fv_dataset_split(d->ds, fraction, FV_SPLIT_RANDOM, seed, &tr, &va) != FV_OK) return 1;
    cli_data *v = calloc(1, sizeof *v);
    if (!v) {
        fv_dataset_free(tr), fv_dataset_free(va);
        return fprintf(stderr, "out of memory splitting the data\n"), 1;
    }
    fv_loader_free(d->loader), d->loader = NULL;
    fv_dataset_free(d->ds);
    d->ds = tr;
    v->ds = va, v->images = d->images, v->ctx = ctx;
    if (d->images && (cli_data_use_loader(ctx, d, NULL, 0, d->threads) || cli_data_use_loader(ctx, v, NULL, 0, d->threads))) {
        cli_data_free(v);
        return 1;
    }
    *val = v;
    return 0;
}

void cli_data_free(cli_data *d)
{
    if (!d) return;
    fv_loader_free(d->loader);
    fv_dataset_free(d->ds);
    fv_tensor_free(d->scratch);
    free(d);
}

int64_t cli_data_count(const cli_data *d) { return fv_dataset_count(d->ds); }
void cli_data_shape(const cli_data *d, int64_t shape[3]) { fv_dataset_shape(d->ds, shape); }
int cli_data_classes(const cli_data *d) { return fv_dataset_classes(d->ds); }
const char *cli_data_class_name(const cli_data *d, int k) { return fv_dataset_class_name(d->ds, k); }
const char *cli_data_path(const cli_data *d, int64_t i) { return fv_dataset_path(d->ds, i); }

const fv_dataset *cli_data_dataset(const cli_data *d) { return d->ds; }

/* A batch at the data's channels, then converted to the model's: gray repeated into R, G and B, or RGB to gray
 * by ITU-R 601 luma (PIL's convert("L") weights). */
static fv_data_source plain_source(cli_data *d);

static fv_status channels_fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    cli_data *d = data;
    int64_t s[3];
    fv_dataset_shape(d->ds, s);
    int64_t hw = s[1] * s[2], need = (int64_t)n * s[0] * hw;
    if (!d->scratch || d->scratch->size < need) {
        fv_tensor_free(d->scratch);
        int64_t shape[4] = {n, s[0], s[1], s[2]};
        if (!(d->scratch = fv_tensor_new(d->ctx, FV_F32, 4, shape))) return fv_errcode(d->ctx);
    }
    fv_tensor t = *d->scratch;
    t.shape[0] = n, t.size = need;
    fv_status st = d->base.fetch(d->base.data, epoch, idx, n, &t, y);
    const float *in = fv_f32(&t);
    float *out = fv_f32(x);
    for (int64_t i = 0; !st && i < n; i++)
        for (int64_t p = 0; p < hw; p++) {
            const float *px = in + i * s[0] * hw + p;
            if (d->to_channels == 3)
                for (int c = 0; c < 3; c++) out[(i * 3 + c) * hw + p] = px[0];
            else
                out[i * hw + p] = 0.299f * px[0] + 0.587f * px[hw] + 0.114f * px[2 * hw];
        }
    return st;
}

static fv_status channels_prefetch(void *data, int epoch, const int64_t *idx, int n)
{
    cli_data *d = data;
    return d->base.prefetch(d->base.data, epoch, idx, n);
}

fv_data_source cli_data_source(cli_data *d)
{
    if (d->to_channels) {
        d->base = plain_source(d);
        fv_data_source s = {d->base.count, channels_fetch, d, d->base.prefetch ? channels_prefetch : NULL, NULL};
        return s;
    }
    return plain_source(d);
}

static fv_data_source plain_source(cli_data *d)
{
    if (d->loader) return fv_loader_source(d->loader);
    fv_data_source s = {fv_dataset_count(d->ds), fv_dataset_fetch, d->ds, NULL, NULL};
    return s;
}

void cli_data_balanced_weights(const cli_data *d, float *w, int k)
{
    int64_t *counts = calloc((size_t)k, sizeof *counts);
    if (!counts) return;
    fv_dataset_class_counts(d->ds, counts);
    int64_t n = fv_dataset_count(d->ds);
    for (int c = 0; c < k; c++) w[c] = counts[c] ? (float)((double)n / ((double)k * (double)counts[c])) : 0.0f;
    free(counts);
}

int cli_data_match_model(fv_ctx *ctx, cli_data *d, const fv_model *m, const char *prog)
{
    if (!d || !m || !fv_model_class_name(m, 0)) return 0;
    int n = 0;
    while (n < 65536 && fv_model_class_name(m, n)) n++;
    const char **names = malloc((size_t)n * sizeof *names);
    if (!names) return fprintf(stderr, "%s: out of memory\n", prog), 1;
    for (int k = 0; k < n; k++) names[k] = fv_model_class_name(m, k);
    fv_status s = fv_dataset_match_class_names(d->ds, names, n);
    free(names);
    if (s) return cli_fail(prog, ctx);
    return 0;
}

int cli_data_check_model(cli_data *d, const fv_model *m, const char *prog, const char *spec)
{
    int64_t ds[3], ms[FV_MAX_DIMS];
    fv_dataset_shape(d->ds, ds);
    int nd = fv_model_input_shape(m, ms);
    /* gray into an RGB model repeats the channel, RGB into a gray one takes the luma: as image files are read */
    bool gray_rgb = nd == 3 && ds[1] == ms[1] && ds[2] == ms[2] && ((ds[0] == 1 && ms[0] == 3) || (ds[0] == 3 && ms[0] == 1));
    if (gray_rgb) {
        d->to_channels = (int)ms[0];
        return 0;
    }
    int64_t dsize = ds[0] * ds[1] * ds[2], msize = 1;
    for (int i = 0; i < nd; i++) msize *= ms[i];
    bool same = nd == 3 ? ds[0] == ms[0] && ds[1] == ms[1] && ds[2] == ms[2] : dsize == msize;
    if (same) return 0;
    fprintf(stderr, "%s: the images of %s are %lldx%lldx%lld but model '%s' takes ", prog, spec, (long long)ds[0],
            (long long)ds[1], (long long)ds[2], fv_model_name(m));
    for (int i = 0; i < nd; i++) fprintf(stderr, "%s%lld", i ? "x" : "", (long long)ms[i]);
    fprintf(stderr, "%s\n", nd == 1 ? " features" : "");
    return 1;
}

int cli_data_check_labels(const cli_data *d, const fv_model *m, const char *prog, const char *spec)
{
    int k = fv_dataset_classes(d->ds);
    int64_t outputs = fv_model_output_size(m);
    int64_t *counts = k > outputs && outputs > 0 ? calloc((size_t)k, sizeof *counts) : NULL;
    if (!counts) return 0; /* every label fits (or the model has no class outputs to check against) */
    fv_dataset_class_counts(d->ds, counts);
    int high = k - 1;
    while (high >= outputs && !counts[high]) high--;
    int64_t n = counts[high];
    free(counts);
    if (high < outputs) return 0;
    char shown_spec[512], shown_model[256];
    fprintf(stderr, "%s: %s: label %d (%lld sample%s) is outside the %lld classes of model '%s'\n", prog,
            fv_printable(spec, shown_spec, sizeof shown_spec), high, (long long)n, n == 1 ? "" : "s",
            (long long)outputs, fv_printable(fv_model_name(m), shown_model, sizeof shown_model));
    return 1;
}

fv_tensor *cli_load_image(fv_ctx *ctx, const fv_cli_args *a, const fv_model *m, const fv_preprocess *pre,
                          int32_t *label, const char *prog)
{
    *label = -1;
    if (fv_cli_npos(a) > 1 && cli_is_npy(fv_cli_pos_at(a, 1))) return fv_npy_read(ctx, fv_cli_pos_at(a, 1));
    if (fv_cli_npos(a) > 1) {
        char *const path[1] = {(char *)fv_cli_pos_at(a, 1)};
        fv_tensor *x = cli_image_batch(ctx, prog, m, pre, path, 1);
        if (!x) fv_clear_error(ctx); /* printed */
        return x;
    }
    cli_data *d = cli_data_open_model(ctx, fv_cli_str(a, "data"), false, 0, m, pre);
    if (!d) return NULL;
    int64_t s[3], i = fv_cli_int(a, "index");
    cli_data_shape(d, s);
    fv_tensor *x = NULL, *y = NULL;
    if (cli_data_match_model(ctx, d, m, prog) || cli_data_check_model(d, m, prog, fv_cli_str(a, "data"))) goto done;
    if (i >= cli_data_count(d)) {
        fprintf(stderr, "%s: --index %lld is past the %lld images of %s\n", prog, (long long)i,
                (long long)cli_data_count(d), fv_cli_str(a, "data"));
        goto done;
    }
    x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, s[0], s[1], s[2]});
    y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){1});
    fv_data_source src = cli_data_source(d);
    if (x && y && src.fetch(src.data, -1, &i, 1, x, y) == FV_OK) *label = fv_i32(y)[0];
    else fv_tensor_free(x), x = NULL;
done:
    fv_tensor_free(y);
    cli_data_free(d);
    return x;
}

