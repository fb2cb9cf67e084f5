/* The task flags (cli_task.h): a task from them, tuple data from .npy arrays, and class labels adapted to the
 * target a task takes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_task.h"
#include "cli_data.h"
#include "commands.h"

/* "1,2.5" into at most max floats; the count, or -1. */
static int parse_floats(const char *s, float *out, int max)
{
    int n = 0;
    for (const char *p = s; n < max;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0) return -1;
        out[n++] = (float)v;
        if (!*end) return n;
        if (*end != ',') return -1;
        p = end + 1;
    }
    return -1;
}

/* --task, or when it is not given "segment" for a segmentation set as --data (pairs of images and masks can only
 * mean that), else the default. */
static const char *flag_task(const fv_cli_args *a)
{
    const char *inputs = fv_cli_has(a, "inputs") ? fv_cli_str(a, "inputs") : NULL; /* predict has no --inputs */
    bool seg = !fv_cli_given(a, "task") && !inputs && fv_cli_has(a, "data") && fv_is_segmentation_set(fv_cli_str(a, "data"));
    return seg ? "segment" : fv_cli_str(a, "task");
}

const char *cli_task_name(const fv_cli_args *a, const fv_model *m)
{
    static char kind[32];
    const char *line = m ? fv_model_task(m) : NULL;
    if (fv_cli_given(a, "task") || !line) return flag_task(a);
    snprintf(kind, sizeof kind, "%.*s", (int)strcspn(line, " \t"), line);
    return kind;
}

/* Whether a flag applies: always without a model task line, else only when given (it overrides the line). */
static bool applies(const fv_cli_args *a, bool from_model, const char *flag)
{
    return !from_model || fv_cli_given(a, flag);
}

int cli_task_from_args(fv_ctx *ctx, const fv_cli_args *a, const char *prog, const fv_model *m, const float *cw,
                       int n_cw, float label_smoothing, fv_task **out)
{
    *out = NULL;
    static float pw[1024]; /* the options point at it until the task copies it */
    const char *line = m && !fv_cli_given(a, "task") ? fv_model_task(m) : NULL;
    fv_task_options o = fv_task_defaults((fv_task_kind)fv_task_kind_from_name(flag_task(a)));
    if (line && fv_task_options_parse(ctx, line, &o, pw, 1024) != FV_OK) {
        fprintf(stderr, "%s: the model's task line '%s': %s\n", prog, line, fv_errmsg(ctx));
        return 1;
    }
    bool fm = line != NULL;
    const char *loss = fv_cli_str(a, "loss");
    if (loss && fv_task_parse_loss(ctx, loss, &o) != FV_OK) {
        fprintf(stderr, "%s: --loss '%s': %s\n", prog, loss, fv_errmsg(ctx));
        return 2;
    }
    const char *pws = fv_cli_str(a, "pos-weight");
    int npw = pws ? parse_floats(pws, pw, 1024) : 0;
    if (npw < 0) {
        fprintf(stderr, "%s: --pos-weight expects non-negative numbers separated by commas, got '%s'\n", prog, pws);
        return 2;
    }
    if (pws) o.pos_weight = pw, o.n_pos_weight = npw;
    if (cw) o.class_weights = cw, o.n_class_weights = n_cw;
    if (!fm || label_smoothing > 0) o.label_smoothing = label_smoothing; /* evaluate has no such flag */
    if (applies(a, fm, "ignore-index")) o.ignore_index = fv_cli_int(a, "ignore-index");
    if (applies(a, fm, "threshold")) o.threshold = (float)fv_cli_float(a, "threshold");
    if (fv_cli_given(a, "margin")) o.margin = (float)fv_cli_float(a, "margin");
    const char *mining = fv_cli_str(a, "mining");
    if (applies(a, fm, "mining"))
        o.mining = mining[0] == 'a' ? FV_TRIPLET_BATCH_ALL : mining[0] == 's' ? FV_TRIPLET_SEMI_HARD : FV_TRIPLET_BATCH_HARD;
    if (applies(a, fm, "beta")) o.beta = (float)fv_cli_float(a, "beta");
    if (applies(a, fm, "focal-alpha")) o.focal_alpha = (float)fv_cli_float(a, "focal-alpha");
    if (applies(a, fm, "focal-gamma")) o.focal_gamma = (float)fv_cli_float(a, "focal-gamma");
    if (applies(a, fm, "dice-smooth")) o.dice_smooth = (float)fv_cli_float(a, "dice-smooth");
    if (!(*out = fv_task_new(ctx, &o))) {
        fprintf(stderr, "%s: %s\n", prog, fv_errmsg(ctx));
        return 1;
    }
    return 0;
}

int cli_seg_classes(const fv_model *m)
{
    int64_t shape[FV_MAX_DIMS];
    if (!m || fv_model_output_count(m) < 1) return 0;
    int nd = fv_model_layer_shape(m, fv_model_output_layer(m, 0), shape);
    return nd == 3 && shape[0] > 0 && shape[0] <= 256 ? (int)shape[0] : 0;
}

/* What opening found: a count line, then every bad pair on stderr (a user fixing a data set wants the list). */
static void report_seg_scan(const fv_seg_scan *scan, const char *spec, const char *prog, bool strict)
{
    char path[1024], reason[1024];
    printf("Found %lld image,mask pairs in %s", (long long)scan->pairs, fv_printable(spec, path, sizeof path));
    if (scan->n_class_names) printf(" (%d class names in classes.txt)", scan->n_class_names);
    printf(".\n");
    if (!scan->n_problems) return;
    fprintf(stderr, "%s: %s: skipped %lld of %lld pairs and %lld unpaired files%s\n", prog, path,
            (long long)scan->skipped, (long long)scan->pairs, (long long)scan->unpaired,
            strict ? "" : " (--strict makes this an error)");
    for (int i = 0; i < scan->n_problems; i++)
        fprintf(stderr, "  %s: %s\n", fv_printable(scan->problems[i].path, path, sizeof path),
                fv_printable(scan->problems[i].reason, reason, sizeof reason));
}

fv_tensor_set *cli_seg_open(fv_ctx *ctx, const fv_cli_args *a, const char *prog, int classes, fv_seg_scan *scan)
{
    const char *data = fv_cli_str(a, "data");
    fv_seg_options o = fv_seg_defaults();
    o.classes = classes; /* predict has none of the set flags: the defaults then */
    if (fv_cli_has(a, "strict")) o.strict = fv_cli_flag(a, "strict");
    if (fv_cli_has(a, "ignore-index")) o.ignore_index = (int)fv_cli_int(a, "ignore-index");
    if (fv_cli_has(a, "channels")) o.channels = (int)fv_cli_int(a, "channels");
    if (fv_cli_has(a, "size")) {
        cli_data_opts d = {.prog = prog};
        if (cli_data_opts_from_args(a, &d)) return NULL;
        o.width = d.width, o.height = d.height;
    }
    fv_seg_scan own;
    if (!scan) scan = &own;
    fv_tensor_set *seg = fv_seg_load(ctx, data, &o, scan);
    if (seg) report_seg_scan(scan, data, prog, o.strict);
    else fprintf(stderr, "%s: --data %s: %s\n", prog, data, fv_errmsg(ctx));
    if (scan == &own) fv_seg_scan_release(&own);
    return seg;
}

fv_tensor_set *cli_tuple_open(fv_ctx *ctx, const fv_cli_args *a, const char *prog, int classes)
{
    const char *inputs = fv_cli_str(a, "inputs"), *data = fv_cli_str(a, "data");
    if (!inputs && fv_is_segmentation_set(data)) return cli_seg_open(ctx, a, prog, classes, NULL);
    char *copy = inputs ? strdup(inputs) : NULL;
    const char *paths[FV_TENSOR_SET_MAX_INPUTS];
    int n = 0;
    for (char *save = NULL, *p = copy ? strtok_r(copy, ",", &save) : NULL; p && n < FV_TENSOR_SET_MAX_INPUTS;
         p = strtok_r(NULL, ",", &save))
        paths[n++] = p;
    fv_tensor_set *s = n ? fv_tensor_set_load_npy(ctx, paths, n, fv_cli_str(a, "targets")) : NULL;
    if (!s) fprintf(stderr, "%s: --inputs %s: %s\n", prog, inputs ? inputs : "(none)",
                    n ? fv_errmsg(ctx) : "no files");
    free(copy);
    return s;
}

/* ---- class labels as a task's targets ------------------------------------------------------------------- */

struct cli_label_adapter {
    fv_data_source base;
    fv_tensor *labels; /* room for one batch of int32 labels */
};

static fv_status adapt_fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    cli_label_adapter *ad = data;
    if (!y || y->dtype == FV_I32) return ad->base.fetch(ad->base.data, epoch, idx, n, x, y);
    if (!ad->labels || ad->labels->shape[0] < n) return FV_ERR_ARG;
    fv_status s = ad->base.fetch(ad->base.data, epoch, idx, n, x, ad->labels);
    for (int i = 0; !s && i < n; i++) fv_f32(y)[i] = (float)fv_i32(ad->labels)[i];
    return s;
}

static fv_status adapt_prefetch(void *data, int epoch, const int64_t *idx, int n)
{
    cli_label_adapter *ad = data;
    return ad->base.prefetch(ad->base.data, epoch, idx, n);
}

fv_data_source cli_task_source(fv_ctx *ctx, fv_data_source base, const fv_task *task, int batch,
                               cli_label_adapter **adapter)
{
    *adapter = NULL;
    const fv_task_options *o = fv_task_options_of(task);
    if (!o || o->kind != FV_TASK_BINARY) return base;
    cli_label_adapter *ad = calloc(1, sizeof *ad);
    int64_t room = batch > 0 ? batch : 1;
    if (!ad) return base;
    ad->base = base;
    ad->labels = fv_tensor_new(ctx, FV_I32, 1, &room);
    *adapter = ad;
    fv_data_source s = {base.count, adapt_fetch, ad, base.prefetch ? adapt_prefetch : NULL, NULL};
    return s;
}

void cli_task_source_free(cli_label_adapter *adapter)
{
    if (!adapter) return;
    fv_tensor_free(adapter->labels);
    free(adapter);
}
