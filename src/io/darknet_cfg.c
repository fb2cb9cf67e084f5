/* A Darknet .cfg file as a fovea model (include/fovea/darknet.h). The file is read into sections of options,
 * every option checked against its section's list (Darknet's training options are known and ignored), then the
 * sections become layers through fv_model_add_layer, each Darknet layer's output remembered by index for
 * [route] and [shortcut]. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/darknet.h"
#include "fovea/layer.h"

#define MAX_OPTIONS 48
#define MAX_LAYERS 4096

typedef struct {
    char key[48], value[512];
    int line;
} option;

typedef struct {
    char name[32];
    int line, n;
    option opt[MAX_OPTIONS];
} section;

typedef struct {
    fv_ctx *ctx;
    const char *path;
    section *s;
    int n, cap;
} cfg_file;

/* The options each section may hold: those read, then Darknet's training and augmentation options, ignored. */
static const char *const net_keys[] = {"width", "height", "channels", "batch", "subdivisions", "momentum", "decay",
                                       "angle", "saturation", "exposure", "hue", "learning_rate", "burn_in",
                                       "max_batches", "policy", "steps", "scales", "aspect", "adam", "B1", "B2", "eps",
                                       "max_crop", "min_crop", "mosaic", "power", "time_steps", "notruth", "random",
                                       "gamma", "step", "rate", "seed", "jitter", "flip", NULL};
static const char *const conv_keys[] = {"batch_normalize", "filters", "size", "stride", "pad", "padding",
                                        "activation", "groups", "dilation", "binary", "xnor", "dot", "flipped", NULL};
static const char *const pool_keys[] = {"size", "stride", "padding", NULL};
static const char *const route_keys[] = {"layers", NULL};
static const char *const shortcut_keys[] = {"from", "activation", "alpha", "beta", NULL};
static const char *const upsample_keys[] = {"stride", "scale", NULL};
static const char *const yolo_keys[] = {"mask", "anchors", "classes", "num", "jitter", "ignore_thresh", "truth_thresh",
                                        "random", "max", "counters_per_class", "label_smooth_eps", "scale_x_y",
                                        "iou_normalizer", "iou_loss", "nms_kind", "beta_nms", "cls_normalizer", NULL};

static const char *const *keys_of(const char *name)
{
    static const struct {
        const char *name;
        const char *const *keys;
    } table[] = {{"net", net_keys},         {"network", net_keys},         {"convolutional", conv_keys},
                 {"conv", conv_keys},       {"maxpool", pool_keys},        {"max", pool_keys},
                 {"route", route_keys},     {"shortcut", shortcut_keys},   {"upsample", upsample_keys},
                 {"yolo", yolo_keys}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].name, name)) return table[i].keys;
    return NULL;
}

/* ---- reading the file --------------------------------------------------------------------------------- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
    return s;
}

static fv_status add_section(cfg_file *f, const char *name, int line)
{
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 32;
        section *g = cap <= MAX_LAYERS + 1 ? realloc(f->s, (size_t)cap * sizeof *g) : NULL;
        if (!g) return fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: more than %d sections", f->path, line, MAX_LAYERS);
        f->s = g, f->cap = cap;
    }
    section *s = &f->s[f->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->line = line;
    if (!keys_of(name)) return fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: unknown section [%s]", f->path, line, name);
    return FV_OK;
}

static fv_status add_option(cfg_file *f, char *text, int line)
{
    char *eq = strchr(text, '=');
    if (!eq) return fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: expected key=value, got '%.60s'", f->path, line, text);
    if (!f->n) return fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: an option before the first [section]", f->path, line);
    *eq = '\0';
    char *key = trim(text), *value = trim(eq + 1);
    section *s = &f->s[f->n - 1];
    bool known = false;
    for (const char *const *k = keys_of(s->name); *k && !known; k++) known = !strcmp(*k, key);
    if (!known) return fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: unknown option '%.40s' in [%s]", f->path, line, key, s->name);
    if (s->n == MAX_OPTIONS || strlen(key) >= sizeof s->opt[0].key || strlen(value) >= sizeof s->opt[0].value)
        return fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: option '%.40s' too long or too many options", f->path, line, key);
    option *o = &s->opt[s->n++];
    snprintf(o->key, sizeof o->key, "%s", key), snprintf(o->value, sizeof o->value, "%s", value);
    o->line = line;
    return FV_OK;
}

static fv_status read_cfg(fv_ctx *ctx, const char *path, cfg_file *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = ctx, f->path = path;
    FILE *in = fopen(path, "r");
    if (!in) return fv_error(ctx, FV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char buf[1024];
    fv_status st = FV_OK;
    for (int line = 1; !st && fgets(buf, sizeof buf, in); line++) {
        if (!strchr(buf, '\n') && !feof(in)) {
            st = fv_error(ctx, FV_ERR_FORMAT, "%s:%d: line longer than %d characters", path, line, (int)sizeof buf - 2);
            break;
        }
        char *t = trim(buf);
        if (!*t || *t == '#' || *t == ';') continue;
        if (*t == '[') {
            char *end = strchr(t, ']');
            if (!end) st = fv_error(ctx, FV_ERR_FORMAT, "%s:%d: '[' without ']'", path, line);
            else *end = '\0', st = add_section(f, trim(t + 1), line);
        } else {
            st = add_option(f, t, line);
        }
    }
    fclose(in);
    if (!st && (!f->n || (strcmp(f->s[0].name, "net") && strcmp(f->s[0].name, "network"))))
        st = fv_error(ctx, FV_ERR_FORMAT, "%s: the first section must be [net]", path);
    return st;
}

/* ---- options ------------------------------------------------------------------------------------------ */

static const option *find(const section *s, const char *key)
{
    for (int i = s->n - 1; i >= 0; i--) /* the last one given counts, as in Darknet */
        if (!strcmp(s->opt[i].key, key)) return &s->opt[i];
    return NULL;
}

/* An integer option in [lo, hi], def when absent; false with the error set. */
static bool int_opt(const cfg_file *f, const section *s, const char *key, int def, int lo, int hi, int *out)
{
    const option *o = find(s, key);
    *out = def;
    if (!o) return true;
    char *end;
    errno = 0;
    long v = strtol(o->value, &end, 10);
    if (end == o->value || *end || errno || v < lo || v > hi) {
        fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: %s=%s in [%s] must be an integer in [%d, %d]", f->path, o->line, key,
                 o->value, s->name, lo, hi);
        return false;
    }
    *out = (int)v;
    return true;
}

/* A comma-separated list of numbers (at most max); the count, or -1 with the error set. */
static int list_opt(const cfg_file *f, const section *s, const char *key, double *out, int max)
{
    const option *o = find(s, key);
    if (!o) return 0;
    int n = 0;
    for (const char *p = o->value; *p;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || n == max) {
            fv_error(f->ctx, FV_ERR_FORMAT, "%s:%d: %s=%s in [%s]: expected up to %d numbers separated by commas",
                     f->path, o->line, key, o->value, s->name, max);
            return -1;
        }
        out[n++] = v;
        while (*end == ' ' || *end == '\t') end++;
        if (*end == ',') end++;
        while (*end == ' ' || *end == '\t') end++;
        p = end;
    }
    return n;
}

/* ---- building ----------------------------------------------------------------------------------------- */

typedef struct {
    cfg_file *f;
    fv_model *m;
    char (*out)[64]; /* per Darknet layer: the name of our layer holding its output */
    int *channels;   /* and its channel count */
    int *height, *width;
    int yolo[16], n_yolo;
} builder;

static fv_status add(builder *b, const fv_layer_spec *spec, const section *s)
{
    if (fv_model_add_layer(b->m, spec) >= 0) return FV_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", fv_errmsg(b->f->ctx));
    return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [%s]: %s", b->f->path, s->line, s->name, why);
}

/* An activation after layer k's main op: leaky (0.1), relu, logistic, linear (none). */
static fv_status activation(builder *b, const section *s, int k, const char *from, const char *def)
{
    const option *o = find(s, "activation");
    const char *act = o ? o->value : def;
    char name[64];
    snprintf(b->out[k], sizeof b->out[k], "%s", from);
    if (!strcmp(act, "linear")) return FV_OK;
    fv_layer_spec a;
    if (!strcmp(act, "leaky")) snprintf(name, sizeof name, "leaky_%d", k), a = fv_spec_leaky_relu(name, 0.1f);
    else if (!strcmp(act, "relu")) snprintf(name, sizeof name, "relu_%d", k), a = fv_spec_relu(name);
    else if (!strcmp(act, "logistic")) snprintf(name, sizeof name, "logistic_%d", k), a = fv_spec_activation(name, FV_ACT_SIGMOID);
    else return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: activation=%s in [%s] is not supported (leaky, relu, "
                         "logistic, linear)", b->f->path, o ? o->line : s->line, act, s->name);
    fv_spec_from(&a, from);
    snprintf(b->out[k], sizeof b->out[k], "%s", name);
    return add(b, &a, s);
}

static const char *prev(const builder *b, int k) { return k ? b->out[k - 1] : "input"; }

static fv_status conv(builder *b, const section *s, int k)
{
    int bn, filters, size, stride, pad, padding, groups;
    cfg_file *f = b->f;
    if (!int_opt(f, s, "batch_normalize", 0, 0, 1, &bn) || !int_opt(f, s, "filters", 1, 1, 1 << 16, &filters) ||
        !int_opt(f, s, "size", 1, 1, 64, &size) || !int_opt(f, s, "stride", 1, 1, 64, &stride) ||
        !int_opt(f, s, "pad", 0, 0, 1, &pad) || !int_opt(f, s, "padding", 0, 0, 64, &padding) ||
        !int_opt(f, s, "groups", 1, 1, 1 << 16, &groups))
        return FV_ERR_FORMAT;
    char name[64];
    snprintf(name, sizeof name, "conv_%d", k);
    fv_layer_spec cs = fv_spec_conv2d(name, filters, size);
    fv_spec_stride(&cs, stride, stride);
    int p = pad ? size / 2 : padding;
    fv_spec_padding(&cs, p, p);
    cs.a.groups = groups, cs.a.bias = !bn;
    fv_spec_from(&cs, prev(b, k));
    fv_status st = add(b, &cs, s);
    const char *last = name;
    char bname[64];
    if (!st && bn) {
        snprintf(bname, sizeof bname, "bn_%d", k);
        fv_layer_spec bs = fv_spec_batch_norm(bname);
        bs.a.eps = 0.0f; /* the variance read from .weights is converted to make sqrt(var) the divisor */
        fv_spec_from(&bs, name);
        st = add(b, &bs, s), last = bname;
    }
    int h = k ? b->height[k - 1] : b->height[MAX_LAYERS], w = k ? b->width[k - 1] : b->width[MAX_LAYERS];
    b->channels[k] = filters, b->height[k] = (h + 2 * p - size) / stride + 1, b->width[k] = (w + 2 * p - size) / stride + 1;
    return st ? st : activation(b, s, k, last, "logistic");
}

static fv_status maxpool(builder *b, const section *s, int k)
{
    int size, stride, padding;
    if (!int_opt(b->f, s, "size", 1, 1, 64, &size) || !int_opt(b->f, s, "stride", size, 1, 64, &stride) ||
        !int_opt(b->f, s, "padding", size - 1, 0, 128, &padding))
        return FV_ERR_FORMAT;
    char name[64];
    snprintf(name, sizeof name, "maxpool_%d", k);
    fv_layer_spec ps = fv_spec_max_pool(name, size);
    fv_spec_stride(&ps, stride, stride);
    ps.a.pad_mode = FV_PAD_EXPLICIT; /* Darknet's: padding / 2 before, the rest after */
    ps.a.pad[0] = ps.a.pad[1] = padding / 2, ps.a.pad[2] = ps.a.pad[3] = padding - padding / 2;
    fv_spec_from(&ps, prev(b, k));
    snprintf(b->out[k], sizeof b->out[k], "%s", name);
    b->channels[k] = k ? b->channels[k - 1] : b->channels[MAX_LAYERS];
    int h = k ? b->height[k - 1] : b->height[MAX_LAYERS], w = k ? b->width[k - 1] : b->width[MAX_LAYERS];
    b->height[k] = (h + padding - size) / stride + 1, b->width[k] = (w + padding - size) / stride + 1;
    return add(b, &ps, s);
}

/* A layer index as written (negative: counted back from k), checked. */
static bool layer_ref(builder *b, const section *s, const char *key, double v, int k, int *out)
{
    int i = v < 0 ? k + (int)v : (int)v;
    if (v != floor(v) || i < 0 || i >= k) {
        fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: %s=%g in [%s] (layer %d) names no earlier layer", b->f->path,
                 find(s, key)->line, key, v, s->name, k);
        return false;
    }
    *out = i;
    return true;
}

static fv_status route(builder *b, const section *s, int k)
{
    double v[16];
    int n = list_opt(b->f, s, "layers", v, 16), idx[16], c = 0;
    if (n == 0) return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [route] needs layers=", b->f->path, s->line);
    if (n < 0) return FV_ERR_FORMAT;
    for (int i = 0; i < n; i++) {
        if (!layer_ref(b, s, "layers", v[i], k, &idx[i])) return FV_ERR_FORMAT;
        c += b->channels[idx[i]];
        if (i && (b->height[idx[i]] != b->height[idx[0]] || b->width[idx[i]] != b->width[idx[0]]))
            return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [route] joins maps of %dx%d and %dx%d", b->f->path,
                            s->line, b->height[idx[0]], b->width[idx[0]], b->height[idx[i]], b->width[idx[i]]);
    }
    b->channels[k] = c, b->height[k] = b->height[idx[0]], b->width[k] = b->width[idx[0]];
    char name[64];
    snprintf(name, sizeof name, "route_%d", k);
    fv_layer_spec r = n == 1 ? fv_spec_of_type("identity", name) : fv_spec_concat(name, 1);
    for (int i = 0; i < n; i++) fv_spec_from(&r, b->out[idx[i]]);
    snprintf(b->out[k], sizeof b->out[k], "%s", name);
    return add(b, &r, s);
}

static fv_status shortcut(builder *b, const section *s, int k)
{
    double v[2];
    int n = list_opt(b->f, s, "from", v, 1), from;
    if (n != 1) return n < 0 ? FV_ERR_FORMAT : fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [shortcut] needs from=", b->f->path, s->line);
    if (!layer_ref(b, s, "from", v[0], k, &from)) return FV_ERR_FORMAT;
    if (b->channels[from] != b->channels[k - 1] || b->height[from] != b->height[k - 1])
        return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [shortcut] adds maps of %d and %d channels", b->f->path,
                        s->line, b->channels[from], b->channels[k - 1]);
    char name[64];
    snprintf(name, sizeof name, "shortcut_%d", k);
    fv_layer_spec a = fv_spec_add(name, prev(b, k), b->out[from]);
    b->channels[k] = b->channels[k - 1], b->height[k] = b->height[k - 1], b->width[k] = b->width[k - 1];
    fv_status st = add(b, &a, s);
    return st ? st : activation(b, s, k, name, "linear");
}

static fv_status upsample(builder *b, const section *s, int k)
{
    int stride;
    if (!int_opt(b->f, s, "stride", 2, 1, 64, &stride)) return FV_ERR_FORMAT;
    char name[64];
    snprintf(name, sizeof name, "upsample_%d", k);
    fv_layer_spec u = fv_spec_upsample(name, stride, FV_RESIZE_NEAREST);
    fv_spec_from(&u, prev(b, k));
    snprintf(b->out[k], sizeof b->out[k], "%s", name);
    b->channels[k] = b->channels[k - 1], b->height[k] = b->height[k - 1] * stride, b->width[k] = b->width[k - 1] * stride;
    return add(b, &u, s);
}

static fv_status yolo(builder *b, const section *s, int k)
{
    double anchors[2 * 16], mask[16];
    int classes, num, na = list_opt(b->f, s, "anchors", anchors, 32), nm = list_opt(b->f, s, "mask", mask, 16);
    if (na < 0 || nm < 0 || !int_opt(b->f, s, "classes", 20, 1, 100000, &classes) ||
        !int_opt(b->f, s, "num", na / 2, 1, 16, &num))
        return FV_ERR_FORMAT;
    if (na % 2 || na / 2 < num || !num)
        return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [yolo] has %d anchor numbers for num=%d (w,h pairs)",
                        b->f->path, s->line, na, num);
    if (!nm) /* no mask: every anchor */
        for (int i = 0; i < num; i++) mask[nm++] = i;
    if (nm > 6)
        return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [yolo] masks %d anchors (at most 6 a head)", b->f->path,
                        s->line, nm);
    char name[64];
    snprintf(name, sizeof name, "yolo_%d", k);
    fv_layer_spec y = fv_spec_of_type("yolo", name);
    y.a.units = classes, y.a.scales.n = 2 * nm;
    for (int i = 0; i < nm; i++) {
        if (mask[i] != floor(mask[i]) || mask[i] < 0 || mask[i] >= num)
            return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [yolo] mask entry %g names no anchor of %d",
                            b->f->path, find(s, "mask")->line, mask[i], num);
        y.a.scales.v[2 * i] = (float)anchors[2 * (int)mask[i]], y.a.scales.v[2 * i + 1] = (float)anchors[2 * (int)mask[i] + 1];
    }
    if (b->channels[k - 1] != nm * (5 + classes))
        return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [yolo] with %d anchors and %d classes reads %d channels, "
                        "not %d", b->f->path, s->line, nm, classes, nm * (5 + classes), b->channels[k - 1]);
    fv_spec_from(&y, prev(b, k));
    snprintf(b->out[k], sizeof b->out[k], "%s", name);
    b->channels[k] = b->channels[k - 1], b->height[k] = b->height[k - 1], b->width[k] = b->width[k - 1];
    if (b->n_yolo == 16) return fv_error(b->f->ctx, FV_ERR_FORMAT, "%s: more than 16 [yolo] heads", b->f->path);
    fv_status st = add(b, &y, s);
    if (!st) b->yolo[b->n_yolo++] = fv_model_layer_count(b->m) - 1;
    return st;
}

static fv_status build(builder *b)
{
    const section *net = &b->f->s[0];
    int w, h, c;
    if (!int_opt(b->f, net, "width", 416, 1, 1 << 14, &w) || !int_opt(b->f, net, "height", 416, 1, 1 << 14, &h) ||
        !int_opt(b->f, net, "channels", 3, 1, 64, &c))
        return FV_ERR_FORMAT;
    b->channels[MAX_LAYERS] = c, b->height[MAX_LAYERS] = h, b->width[MAX_LAYERS] = w;
    fv_layer_spec in = fv_spec_input("input", 3, (int64_t[]){c, h, w});
    fv_status st = add(b, &in, net);
    for (int i = 1; !st && i < b->f->n; i++) {
        const section *s = &b->f->s[i];
        int k = i - 1;
        if (!strcmp(s->name, "convolutional") || !strcmp(s->name, "conv")) st = conv(b, s, k);
        else if (!strcmp(s->name, "maxpool") || !strcmp(s->name, "max")) st = maxpool(b, s, k);
        else if (!strcmp(s->name, "route")) st = route(b, s, k);
        else if (!strcmp(s->name, "shortcut")) st = k ? shortcut(b, s, k) : fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [shortcut] first", b->f->path, s->line);
        else if (!strcmp(s->name, "upsample")) st = k ? upsample(b, s, k) : fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [upsample] first", b->f->path, s->line);
        else if (!strcmp(s->name, "yolo")) st = k ? yolo(b, s, k) : fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [yolo] first", b->f->path, s->line);
        else st = fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [%s] is not supported", b->f->path, s->line, s->name);
        if (!st && (b->height[k] < 1 || b->width[k] < 1))
            st = fv_error(b->f->ctx, FV_ERR_FORMAT, "%s:%d: [%s] leaves a map of %dx%d", b->f->path, s->line, s->name,
                          b->height[k], b->width[k]);
    }
    if (!st && b->n_yolo) st = fv_model_set_outputs(b->m, b->yolo, b->n_yolo);
    return st;
}

fv_model *fv_darknet_load_cfg(fv_ctx *ctx, const char *cfg_path)
{
    cfg_file f;
    fv_status st = read_cfg(ctx, cfg_path, &f);
    if (!st && f.n - 1 > MAX_LAYERS) st = fv_error(ctx, FV_ERR_FORMAT, "%s: more than %d layers", cfg_path, MAX_LAYERS);
    builder b = {&f, NULL, NULL, NULL, NULL, NULL, {0}, 0};
    if (!st) {
        const char *base = strrchr(cfg_path, '/');
        char name[128];
        snprintf(name, sizeof name, "%s", base ? base + 1 : cfg_path);
        char *dot = strrchr(name, '.');
        if (dot) *dot = '\0';
        b.m = fv_model_new(ctx, name);
        b.out = calloc(MAX_LAYERS + 1, sizeof *b.out);
        b.channels = calloc(4 * (MAX_LAYERS + 1), sizeof(int));
        if (!b.m || !b.out || !b.channels) st = fv_error(ctx, FV_ERR_NOMEM, "out of memory");
        else b.height = b.channels + MAX_LAYERS + 1, b.width = b.height + MAX_LAYERS + 1, st = build(&b);
    }
    if (st) fv_model_free(b.m), b.m = NULL;
    free(b.out), free(b.channels), free(f.s);
    return b.m;
}
