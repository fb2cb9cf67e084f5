/* fovea transfer plan SRC --data TARGET [--run]: the seed's decision table as a command. It measures how much
 * target data there is (images per class) and how close its domain is to the source's, places the target in
 * one of the four quadrants (small or large data x similar or different domain), and prints the strategy with
 * the command that carries it out; --run runs it.
 *
 * The rule (docs/TRAINING.md): small = fewer than 100 images in the target's smallest class. Similar = the
 * target's mean activations at the source's first batch norm lie within 0.2 of its standard deviations of the
 * means it learned (averaged over channels): the inputs look like the source's. Linear probes (softmax
 * regression on standardized pixels and on the source's convolutional features, 70/30 seeded split, at most 200
 * images a class) are printed beside it; they did not separate the domains of the worked example (both near 1 on
 * a few images), the statistics did (0.02-0.14 for Fashion-MNIST's own classes, 0.24 for MNIST's digits).
 *
 * The strategies follow the seed's table where the worked example (README) agreed and depart where it did not,
 * each departure measured there: small and similar, fine-tune the top half (it beat the head alone by 3.9 points
 * at 1 image a class and tied at 5 and 10); large and similar, a logistic regression on the body's features
 * (96.8% against 95.3% fine-tuned); small and different, train from scratch (90.5% against at best 88.5% for
 * any transfer); large and different, fine-tune everything with a small rate for the body (95.2%). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "commands.h"

#define SMALL_PER_CLASS 100
#define PROBE_PER_CLASS 200

static const fv_cli_opt opts[] = {
    {.name = "data", .type = FV_CLI_STRING, .def = NULL, .metavar = "SET|DIR|CSV", .help = "the target's training data"},
    CLI_IMAGE_SET_OPTS,
    CLI_SUBSET_OPTS,
    {.name = "seed", .type = FV_CLI_INT, .def = "1", .metavar = "N", .help = "the probes' split and weights", .min = 0, .max = 9e15},
    {.name = "run", .type = FV_CLI_FLAG, .def = NULL, .metavar = NULL, .help = "train the recommended strategy (fovea train with the printed flags)"},
    {.name = "out", .type = FV_CLI_STRING, .def = "transfer.fvm", .metavar = "FILE", .help = "with --run: the trained model"},
    {.name = "threads", .type = FV_CLI_INT, .def = "0", .metavar = "N", .help = "threads (0: all cores)", .min = 0, .max = 4096},
};
static const fv_cli_pos pos[] = {{.name = "SRC", .help = "the pretrained model (file, zoo name or ONNX)"}};
static const fv_cli_cmd cmd = {.prog = "fovea transfer plan", .summary = "Choose a transfer strategy for a target data set.",
                               .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .pos = pos, .n_pos = 1};

/* Every sample's values as rows (n, d) and the labels. */
static fv_tensor *rows(fv_ctx *ctx, fv_data_source *src, const int64_t *shape, fv_tensor **labels)
{
    int64_t n = src->count, d = shape[0] * shape[1] * shape[2], xs[2] = {n, d};
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 2, xs);
    *labels = fv_tensor_new(ctx, FV_I32, 1, &n);
    int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    for (int64_t i = 0; idx && i < n; i++) idx[i] = i;
    if (!x || !*labels || !idx || src->fetch(src->data, -1, idx, (int)n, x, *labels) != FV_OK)
        fv_tensor_free(x), fv_tensor_free(*labels), x = NULL, *labels = NULL;
    free(idx);
    return x;
}

/* Standardize the columns of x (n, d) in place: a probe on raw scales would measure the optimizer. */
static void standardize(fv_tensor *x)
{
    int64_t n = x->shape[0], d = x->shape[1];
    for (int64_t j = 0; j < d; j++) {
        double s = 0, q = 0;
        for (int64_t i = 0; i < n; i++) s += fv_f32(x)[i * d + j], q += (double)fv_f32(x)[i * d + j] * fv_f32(x)[i * d + j];
        double mean = s / (double)n, sd = sqrt(fmax(q / (double)n - mean * mean, 0.0));
        for (int64_t i = 0; i < n; i++) fv_f32(x)[i * d + j] = (float)((fv_f32(x)[i * d + j] - mean) / (sd > 1e-6 ? sd : 1.0));
    }
}

/* The held-out accuracy of a softmax regression on x (n, d): 70/30 seeded split, Adam, 100 epochs. */
static double probe(fv_ctx *ctx, fv_tensor *x, const fv_tensor *y, int k, uint64_t seed)
{
    standardize(x);
    fv_tensor x4 = *x;
    x4.ndim = 4, x4.shape[2] = x4.shape[3] = 1;
    fv_dataset *all = fv_dataset_from_tensors(ctx, &x4, y, k), *tr = NULL, *va = NULL;
    char text[128];
    snprintf(text, sizeof text, "input x shape=%lld\ndense fc units=%d\n", (long long)x->shape[1], k);
    fv_model *m = all && fv_dataset_split(all, 0.3, FV_SPLIT_RANDOM, seed, &tr, &va) == FV_OK
                      ? fv_model_parse(ctx, text, "probe") : NULL;
    double acc = NAN;
    fv_fit_config c = fv_fit_defaults();
    c.epochs = 100, c.batch_size = 64, c.seed = seed, c.verbose = FV_VERBOSE_QUIET, c.optim.lr = 1e-2f;
    c.optim.weight_decay = 1e-4f;
    fv_trainer *t = m && fv_model_init(m) == FV_OK ? fv_trainer_new(m, &c) : NULL;
    fv_data_source ts = {fv_dataset_count(tr), fv_dataset_fetch, tr, NULL, NULL};
    fv_data_source vs = {fv_dataset_count(va), fv_dataset_fetch, va, NULL, NULL};
    fv_eval_result r = {0};
    if (t && fv_trainer_fit(t, &ts) == FV_OK && fv_evaluate(m, &vs, 256, &r) == FV_OK) acc = r.accuracy;
    fv_eval_result_free(&r);
    fv_trainer_free(t), fv_model_free(m), fv_dataset_free(tr), fv_dataset_free(va), fv_dataset_free(all);
    return acc;
}

/* mean over channels of |mu_target - running_mean| / sqrt(running_var + eps) at the first batch norm. */
static double bn_gap(fv_ctx *ctx, fv_model *m, fv_data_source *src)
{
    int bn = -1;
    for (int i = 0; i < fv_model_layer_count(m) && bn < 0; i++)
        if (strcmp(fv_model_layer_type(m, i), "batch_norm") == 0) bn = i;
    if (bn < 1) return NAN;
    const char *in = fv_model_layer_name(m, fv_model_layer_input(m, bn, 0));
    fv_tensor *f = fv_extract_features(m, src, in, 256, NULL);
    fv_param *ps[4];
    int np = fv_model_layer_params(m, bn, ps, 4);
    double gap = NAN;
    int64_t c = np == 4 ? ps[2]->value.size : 0;
    if (f && c > 0 && f->size % (f->shape[0] * c) == 0) {
        int64_t n = f->shape[0], hw = f->size / (n * c);
        gap = 0;
        for (int64_t ch = 0; ch < c; ch++) {
            double s = 0;
            for (int64_t i = 0; i < n; i++)
                for (int64_t p = 0; p < hw; p++) s += fv_f32(f)[(i * c + ch) * hw + p];
            double mu = s / (double)(n * hw), sd = sqrt(fv_f32(&ps[3]->value)[ch] + 1e-5);
            gap += fabs(mu - fv_f32(&ps[2]->value)[ch]) / sd;
        }
        gap /= (double)c;
    }
    fv_tensor_free(f);
    (void)ctx;
    return gap;
}

#define SIMILAR_GAP 0.2

typedef enum { PLAN_TRAIN, PLAN_CLASSICAL, PLAN_SCRATCH } plan_kind;

typedef struct {
    const char *quadrant, *strategy, *flags;
    plan_kind kind;
} plan;

/* The worked example's recipe for every trained strategy: augmentation and label smoothing. */
#define SMALL_RECIPE " --rotate 12 --shift 0.12 --zoom 0.9:1.1 --label-smoothing 0.1 --batch 32"

static plan decide(bool small, bool similar)
{
    if (small && similar)
        return (plan){"small data, similar domain", "fine-tune the top layers, the lower half frozen, on a new head",
                      "--include-top false --freeze fraction=0.5" SMALL_RECIPE, PLAN_TRAIN};
    if (small)
        return (plan){"small data, different domain", "train the architecture from scratch: the source's features do "
                      "not fit and too few images correct them", "--classes K" SMALL_RECIPE, PLAN_SCRATCH};
    if (similar)
        return (plan){"large data, similar domain", "a logistic regression on the body's features (the features fit; "
                      "a linear head is enough)", "--pool flatten --standardize --head logreg", PLAN_CLASSICAL};
    return (plan){"large data, different domain", "fine-tune every layer on a new head, the body at a small rate",
                  "--include-top false --lr-body 1e-4" SMALL_RECIPE, PLAN_TRAIN};
}

/* The command of the plan, without "fovea": train (on a new head, or from scratch on SRC's description with K
 * outputs) or transfer (a classical head on the base's last layer). */
static void plan_command(const plan *p, const fv_cli_args *a, const cli_data_opts *o, const char *layer, int k,
                         char *line, size_t size)
{
    const char *src = fv_cli_pos_at(a, 0), *data = fv_cli_str(a, "data"), *out = fv_cli_str(a, "out");
    int at;
    if (p->kind == PLAN_CLASSICAL)
        at = snprintf(line, size, "transfer %s --data %s --layer %s %s --out %s", src, data, layer, p->flags, out);
    else if (p->kind == PLAN_SCRATCH)
        at = snprintf(line, size, "train --model %s --scratch --data %s --classes %d%s --out %s", src, data, k,
                      p->flags + strlen("--classes K"), out);
    else
        at = snprintf(line, size, "train --model %s --data %s %s --out %s", src, data, p->flags, out);
    if (o->select_classes && at < (int)size) at += snprintf(line + at, size - (size_t)at, " --select-classes %s", o->select_classes);
    if (o->per_class > 0 && at < (int)size) /* about 3,000 updates a class, as the worked example trained */
        at += snprintf(line + at, size - (size_t)at, " --per-class %lld", (long long)o->per_class);
    if (o->per_class > 0 && p->kind != PLAN_CLASSICAL && at < (int)size)
        snprintf(line + at, size - (size_t)at, " --epochs %lld",
                 (long long)(3000 / o->per_class > 20 ? 3000 / o->per_class : 20));
}

/* --run: the printed command, run in this process. */
static int run_plan(const char *line, const plan *p, const fv_cli_args *a)
{
    (void)a;
    char copy[2048], *args[64];
    snprintf(copy, sizeof copy, "%s", line);
    int n = 0;
    for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && n < 63; t = strtok_r(NULL, " ", &save)) args[n++] = t;
    args[n] = NULL;
    return p->kind == PLAN_CLASSICAL ? cmd_transfer(n - 1, args + 1) : cmd_train(n - 1, args + 1);
}

int cmd_transfer_plan(int argc, char **argv)
{
    fv_cli_args *a;
    int status;
    if (cli_parse(&cmd, argc, argv, &a, &status)) return status;
    const char *prog = cmd.prog;
    cli_data_opts o = cli_data_defaults(prog);
    o.seed = (uint64_t)fv_cli_int(a, "seed");
    if (!fv_cli_str(a, "data") || cli_data_opts_from_args(a, &o)) {
        if (!fv_cli_str(a, "data")) fprintf(stderr, "%s: --data is required\n", prog);
        fv_cli_free(a);
        return 2;
    }
    fv_ctx *ctx = fv_ctx_new(o.seed);
    fv_ctx_set_threads(ctx, (int)fv_cli_int(a, "threads"));
    fv_model *m = cli_model(ctx, prog, fv_cli_pos_at(a, 0), 0, 0, 0, 0);
    cli_data *d = m ? cli_data_open_opts(ctx, fv_cli_str(a, "data"), true, 0, &o) : NULL;
    fv_model *base = m ? fv_model_base(m, FV_ZOO_POOL_NONE, 0) : NULL;
    int rc = 1;
    if (!m || !d || !base) {
        if (m) cli_fail(prog, ctx);
        goto done;
    }
    int k = cli_data_classes(d);
    int64_t *counts = calloc((size_t)k, sizeof *counts), least = INT64_MAX;
    fv_dataset_class_counts(cli_data_dataset(d), counts);
    for (int c = 0; c < k; c++) least = counts[c] < least ? counts[c] : least;
    free(counts);
    /* the probes look at a bounded sample: a large target says what it has to say in 200 images a class */
    fv_dataset *few = fv_dataset_sample_per_class(cli_data_dataset(d), PROBE_PER_CLASS, o.seed);
    fv_data_source src = {fv_dataset_count(few), fv_dataset_fetch, few, NULL, NULL};
    int64_t shape[3];
    fv_dataset_shape(few, shape);
    fv_tensor *y = NULL, *y2 = NULL, *pix = rows(ctx, &src, shape, &y);
    const char *layer = fv_model_layer_name(base, fv_model_layer_count(base) - 1);
    fv_tensor *feat = fv_extract_features(m, &src, layer, 256, &y2);
    if (!pix || !feat) {
        cli_fail(prog, ctx);
        fv_tensor_free(pix), fv_tensor_free(y), fv_tensor_free(feat), fv_tensor_free(y2), fv_dataset_free(few);
        goto done;
    }
    fv_tensor flat = *feat;
    flat.ndim = 2, flat.shape[1] = feat->size / feat->shape[0];
    double p_pix = probe(ctx, pix, y, k, o.seed), p_feat = probe(ctx, &flat, y, k, o.seed);
    double gap = bn_gap(ctx, m, &src);
    bool small = least < SMALL_PER_CLASS, similar = !(gap >= SIMILAR_GAP); /* no batch norm: taken as similar */
    plan p = decide(small, similar);
    printf("Target: %lld images in %d classes, %lld in the smallest (%s: under %d a class is small)\n",
           (long long)cli_data_count(d), k, (long long)least, small ? "small" : "large", SMALL_PER_CLASS);
    printf("Linear probe on the pixels: %.4f; on the source's features (%s, %lld values): %.4f\n", p_pix, layer,
           (long long)flat.shape[1], p_feat);
    if (!isnan(gap))
        printf("Distance from the source's first batch norm statistics: %.3f standard deviations (%s: under %.1f is "
               "similar)\n", gap, similar ? "similar" : "different", SIMILAR_GAP);
    char line[2048];
    plan_command(&p, a, &o, layer, k, line, sizeof line);
    printf("Quadrant: %s\nStrategy: %s\nfovea %s\n", p.quadrant, p.strategy, line);
    fv_tensor_free(pix), fv_tensor_free(y), fv_tensor_free(feat), fv_tensor_free(y2), fv_dataset_free(few);
    rc = fv_cli_flag(a, "run") ? run_plan(line, &p, a) : 0;
done:
    fv_model_free(base);
    cli_data_free(d);
    fv_model_free(m);
    fv_ctx_free(ctx);
    fv_cli_free(a);
    return rc;
}
