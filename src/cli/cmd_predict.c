/* fovea predict MODEL INPUT...: the top-k classes with their probabilities for each sample of .npy batches,
 * or for samples of a data set picked by index (--data fashion-mnist --index 0,1,2). With --task, what fits
 * the task: a probability and a decision (binary), the labels above the threshold (multilabel), the values
 * (regress), the mask's classes and their shares (segment, --masks writes the argmax masks), the embedding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "cli_finite.h"
#include "cli_images.h"
#include "cli_task.h"
#include "commands.h"

static const fv_cli_opt opts[] = {
    {.name = "top", .type = FV_CLI_INT, .def = "3", .metavar = "K", .help = "classes to show per sample", .min = 1, .max = 1000},
    {.name = "data", .type = FV_CLI_STRING, .def = NULL, .metavar = "SET|DIR", .help = "predict samples of this data set's test split"},
    {.name = "index", .type = FV_CLI_LIST, .def = "0", .metavar = "I,I,...", .help = "which samples of --data"},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores); results do not depend on it", .min = 0, .max = 4096},
    FV_CLI_CHOICE_OPT("task", "classify", "classify|binary|multilabel|regress|segment|embed", "what the model was trained for (docs/TRAINING.md)"),
    FV_CLI_FLOAT_OPT("threshold", "0.5", "P", "binary/multilabel: the probability of a positive", 0, 1),
    FV_CLI_STR_OPT("masks", NULL, "FILE.npy", "segment: write the predicted masks (N, H, W) as int32"),
    FV_CLI_STR_OPT("labels", NULL, "FILE|imagenet", "class names, one a line (default: the model's; ImageNet's for a "
                   "1000-class model without names)"),
    CLI_RESIZE_OPTS,
    CLI_OPT_MAX_IMAGE_MB,
    CLI_OPT_ALLOW_NONFINITE,
};
static const fv_cli_pos pos[] = {{.name = "MODEL", .help = "a model file"},
                                 {.name = "INPUT", .help = ".npy batches (N, C, H, W), PNG or JPEG images, folders of "
                                  "them, or globs ('*.jpg')", .optional = true, .repeated = true}};
static const fv_cli_cmd cmd = {.prog = "fovea predict", "Show the most probable classes of each input.", opts, sizeof opts / sizeof opts[0], pos, sizeof pos / sizeof pos[0]};

/* What row i of a batch is called: its file (names), else WHAT[index], the data set's index or the position in a
 * .npy batch. */
static void row_name(const char *what, const int64_t *index, char *const *names, int64_t i)
{
    char pb[1024]; /* file names printed escaped */
    if (names) printf("%s", fv_printable(names[i], pb, sizeof pb));
    else printf("%s[%lld]", what, (long long)(index ? index[i] : i));
}

static void show(const fv_model *m, const fv_tensor *p, int top, const char *what, const int64_t *index,
                 char *const *names, const int32_t *labels)
{
    int64_t n = p->shape[0], k = p->shape[1];
    int t = top < k ? top : (int)k;
    char pb[256]; /* class names come from the model file: printed escaped */
    for (int64_t i = 0; i < n; i++) {
        const float *row = fv_f32(p) + i * k;
        row_name(what, index, names, i);
        if (labels) {
            const char *name = fv_model_class_name(m, labels[i]);
            if (name) printf(" (true: %s)", fv_printable(name, pb, sizeof pb));
            else printf(" (true: class %d)", labels[i]);
        }
        printf(":");
        bool used[4096] = {false};
        for (int r = 0; r < t; r++) {
            int64_t best = -1;
            for (int64_t c = 0; c < k && c < 4096; c++)
                if (!used[c] && (best < 0 || row[c] > row[best])) best = c;
            used[best] = true;
            const char *name = fv_model_class_name(m, (int)best);
            if (name) printf("  %s %.4f", fv_printable(name, pb, sizeof pb), row[best]);
            else printf("  class %lld %.4f", (long long)best, row[best]);
        }
        printf("\n");
    }
}

static double prob(const fv_model *m, float z)
{
    const char *last = fv_model_layer_type(m, fv_model_output_layer(m, 0));
    return strcmp(last, "sigmoid") == 0 ? z : 1.0 / (1.0 + exp(-(double)z));
}

/* One sample's line for tasks other than classification. */
static void show_task_row(const fv_model *m, const char *task, const fv_tensor *o, int64_t i, double th, int32_t *mask)
{
    int64_t per = o->size / o->shape[0];
    const float *v = fv_f32(o) + i * per;
    char pb[256];
    if (!strcmp(task, "binary")) {
        printf("  p=%.4f -> %d", prob(m, v[0]), prob(m, v[0]) >= th);
    } else if (!strcmp(task, "multilabel")) {
        int shown = 0;
        for (int64_t c = 0; c < per; c++)
            if (prob(m, v[c]) >= th) {
                const char *name = fv_model_class_name(m, (int)c);
                if (name) printf("  %s %.4f", fv_printable(name, pb, sizeof pb), prob(m, v[c]));
                else printf("  label %lld %.4f", (long long)c, prob(m, v[c]));
                shown++;
            }
        if (!shown) printf("  (no label above %g)", th);
    } else if (!strcmp(task, "segment") && o->ndim >= 3) {
        int64_t k = o->shape[1], px = per / k, counts[4096] = {0};
        for (int64_t p = 0; p < px; p++) {
            int64_t best = 0;
            for (int64_t c = 1; c < k; c++)
                if (v[c * px + p] > v[best * px + p]) best = c;
            if (best < 4096) counts[best]++;
            if (mask) mask[i * px + p] = (int32_t)best;
        }
        for (int64_t c = 0; c < k && c < 4096; c++)
            if (counts[c]) printf("  class %lld %.1f%%", (long long)c, 100.0 * (double)counts[c] / (double)px);
    } else {
        for (int64_t j = 0; j < per && j < 16; j++) printf(" %.4f", v[j]);
        if (per > 16) printf(" ... (%lld values)", (long long)per);
    }
    printf("\n");
}

/* --task other than classify: each sample of x as the task reads it. */
static int show_task(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, const fv_tensor *x, const char *what,
                     char *const *names)
{
    const char *task = cli_task_name(a, m);
    fv_tensor *o = fv_model_output(m, x);
    if (!o) return cli_fail("fovea predict", ctx);
    int32_t *mask = NULL;
    const char *masks = fv_cli_str(a, "masks");
    bool seg = !strcmp(task, "segment") && o->ndim >= 3;
    if (masks && seg) mask = calloc((size_t)(o->size / o->shape[1]), sizeof *mask);
    for (int64_t i = 0; i < o->shape[0]; i++) {
        row_name(what, NULL, names, i);
        printf(":");
        show_task_row(m, task, o, i, fv_cli_float(a, "threshold"), mask);
    }
    int rc = 0;
    if (mask) {
        int64_t shape[FV_MAX_DIMS] = {o->shape[0]};
        for (int d = 2; d < o->ndim; d++) shape[d - 1] = o->shape[d];
        fv_tensor *t = fv_tensor_from(ctx, FV_I32, o->ndim - 1, shape, mask);
        if (!t || fv_npy_write(ctx, masks, t) != FV_OK) rc = cli_fail("fovea predict", ctx);
        else printf("Wrote the masks to %s\n", masks);
        fv_tensor_free(t);
    }
    free(mask);
    fv_tensor_free(o);
    return rc;
}

static const char *sample_path(const void *d, int64_t i) { return cli_data_path(d, i); }

/* --data a segmentation set: the --index samples' images through the task's view (classes per pixel). */
static int predict_seg_data(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, const char *const *items, int n)
{
    fv_tensor_set *set = cli_seg_open(ctx, a, "fovea predict", 0, NULL);
    if (!set) return 1;
    const fv_tensor *all = fv_tensor_set_input(set, 0);
    int64_t per = all->size / all->shape[0], shape[4] = {n, all->shape[1], all->shape[2], all->shape[3]};
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, shape);
    char (*labels)[32] = calloc((size_t)n, sizeof *labels), **names = calloc((size_t)n, sizeof *names);
    int rc = x && labels && names ? 0 : cli_fail("fovea predict", ctx);
    for (int i = 0; !rc && i < n; i++) {
        char *end;
        long long k = strtoll(items[i], &end, 10);
        if (*end || end == items[i] || k < 0 || k >= all->shape[0])
            rc = fprintf(stderr, "fovea predict: --index %s is not a sample of the %lld in %s\n", items[i],
                         (long long)all->shape[0], fv_cli_str(a, "data")) > 0;
        else memcpy(fv_f32(x) + i * per, fv_f32(all) + k * per, (size_t)per * sizeof(float));
        snprintf(labels[i], sizeof labels[i], "sample[%lld]", k), names[i] = labels[i];
    }
    if (!rc) rc = show_task(ctx, m, a, x, "sample", names);
    free(labels), free(names);
    fv_tensor_free(x);
    fv_tensor_set_free(set);
    return rc;
}

static int predict_data(fv_ctx *ctx, fv_model *m, const fv_cli_args *a, int top, const fv_preprocess *pre)
{
    const char *const *items;
    int n = fv_cli_list(a, "index", &items);
    if (fv_is_segmentation_set(fv_cli_str(a, "data"))) return predict_seg_data(ctx, m, a, items, n);
    cli_data *d = cli_data_open_model(ctx, fv_cli_str(a, "data"), false, 0, m, pre);
    if (!d) return cli_fail("fovea predict", ctx);
    if (cli_data_match_model(ctx, d, m, "fovea predict") || cli_data_check_model(d, m, "fovea predict", fv_cli_str(a, "data"))) {
        cli_data_free(d);
        return 1;
    }
    int64_t s[3], *idx = calloc((size_t)n, sizeof *idx);
    cli_data_shape(d, s);
    int rc = 1;
    for (int i = 0; idx && i < n; i++) {
        char *end;
        idx[i] = strtoll(items[i], &end, 10);
        if (*end || end == items[i] || idx[i] < 0 || idx[i] >= cli_data_count(d)) {
            fprintf(stderr, "fovea predict: --index %s is not a sample of the %lld in %s\n", items[i],
                    (long long)cli_data_count(d), fv_cli_str(a, "data"));
            goto done;
        }
    }
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){n, s[0], s[1], s[2]});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){n});
    fv_data_source src = cli_data_source(d);
    fv_tensor *p = x && y && src.fetch(src.data, -1, idx, n, x, y) == FV_OK ? fv_predict(m, x) : NULL;
    if (p) {
        cli_warn_nonfinite("fovea predict", p, fv_cli_str(a, "data"), idx, sample_path, d);
        show(m, p, top, "sample", idx, NULL, fv_i32(y));
        rc = 0;
    } else {
        cli_fail("fovea predict", ctx);
    }
    fv_tensor_free(p), fv_tensor_free(x), fv_tensor_free(y);
done:
    free(idx);
    cli_data_free(d);
    return rc;
}

int cmd_predict(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = "fovea predict";
    int top = (int)fv_cli_int(a, "top");
    if (fv_cli_npos(a) < 2 && !fv_cli_str(a, "data")) {
        fprintf(stderr, "%s: give inputs (images, folders, .npy) or --data SET with --index\n", prog);
        fv_cli_free(a);
        return 2;
    }
    if (fv_cli_str(a, "masks")) { /* the masks file is checked before any work, against the model and inputs */
        cli_file in[3] = {{"MODEL", fv_cli_pos_at(a, 0)}, {"INPUT", fv_cli_npos(a) > 1 ? fv_cli_pos_at(a, 1) : NULL},
                          {NULL, NULL}};
        cli_file out[2] = {{"--masks", fv_cli_str(a, "masks")}, {NULL, NULL}};
        if ((status = cli_check_files(prog, in, out)) != 0) {
            fv_cli_free(a);
            return status;
        }
    }
    fv_ctx *ctx = fv_ctx_new(1);
    cli_load_flags(ctx, a, true, true);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    fv_preprocess pre;
    char **files = NULL;
    int n_files = 0, rc = m ? cli_preprocess(a, m, prog, &pre) : 1;
    if (!rc) rc = cli_apply_labels(m, fv_cli_str(a, "labels"), prog);
    /* every input found and every image decoded before any prediction: a bad file stops nothing half-done */
    const char **items = calloc((size_t)fv_cli_npos(a) + 1, sizeof *items);
    for (int i = 1; items && i < fv_cli_npos(a); i++) items[i - 1] = fv_cli_pos_at(a, i);
    if (!rc && !items) rc = fprintf(stderr, "%s: out of memory\n", prog) > 0;
    if (!rc) rc = cli_expand_inputs(prog, items, fv_cli_npos(a) - 1, &files, &n_files);
    free(items);
    if (!rc) rc = cli_check_images(ctx, prog, files, n_files);
    if (!rc && fv_cli_str(a, "data")) rc = predict_data(ctx, m, a, top, &pre);
    for (int i = 0; !rc && i < n_files;) {
        int n = 1; /* a .npy file, or a run of up to 32 images predicted as one batch */
        while (!cli_is_npy(files[i]) && i + n < n_files && n < 32 && !cli_is_npy(files[i + n])) n++;
        const char *path = files[i];
        bool images = !cli_is_npy(path);
        fv_tensor *x = images ? cli_image_batch(ctx, prog, m, &pre, files + i, n) : fv_npy_read(ctx, path);
        char *const *names = images ? files + i : NULL;
        if (!x && images) rc = 1; /* printed, naming the file */
        else if (!x) rc = cli_fail(prog, ctx); /* the reader's message names the file */
        else if (strcmp(cli_task_name(a, m), "classify") != 0) rc = show_task(ctx, m, a, x, path, names);
        else {
            fv_tensor *p = fv_predict(m, x);
            if (!p) rc = cli_fail_on(prog, path, ctx);
            else cli_warn_nonfinite(prog, p, path, NULL, NULL, NULL), show(m, p, top, path, NULL, names, NULL);
            fv_tensor_free(p);
        }
        fv_tensor_free(x);
        i += n;
    }
    cli_files_free(files, n_files);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
