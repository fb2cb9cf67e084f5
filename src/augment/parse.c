/* The text form of a pipeline: "rotate=15 zoom=0.9:1.1 fill=reflect hflip=0.5 blur=0.1:2@0.3". Items gather
 * into steps (every affine key into one warp, every colour key into one jitter), each step placed where its
 * first item stands; each item is checked on its own so that an error names it. Also the reverse: a pipeline
 * described as a spec. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment_internal.h"

typedef enum { G_AFFINE, G_HFLIP, G_VFLIP, G_CROP, G_BLUR, G_SHARPEN, G_MEDIAN, G_NOISE, G_COLOR, G_GRAY, G_ERASE, G_CUTOUT, G_COUNT } group;

typedef enum {
    V_NUMBER, /* one number in [min, max] */
    V_RANGE,  /* LO:HI within [min, max], or one number (see sym) */
    V_PROB,   /* the step's probability in [0, 1] */
    V_WORD    /* one of words ("a|b|c"); erase-value also takes a number */
} vtype;

typedef enum {
    S_SAME, /* one number v means v:v */
    S_ONE,  /* v means max(0, 1 - v):1 + v (torchvision's jitter amounts, Keras' zoom) */
    S_ZERO  /* v means -v:v */
} sym_rule;

typedef struct {
    const char *name;
    group g;
    vtype t;
    double min, max;
    sym_rule sym;
    const char *unit; /* or the words */
} key_def;

static const key_def keys[] = {
    {"rotate", G_AFFINE, V_NUMBER, 0, 180, S_SAME, "degrees"},
    {"shift", G_AFFINE, V_NUMBER, 0, 1, S_SAME, "fraction of the width and height"},
    {"shift-x", G_AFFINE, V_NUMBER, 0, 1, S_SAME, "fraction of the width"},
    {"shift-y", G_AFFINE, V_NUMBER, 0, 1, S_SAME, "fraction of the height"},
    {"shear", G_AFFINE, V_NUMBER, 0, 80, S_SAME, "degrees"},
    {"zoom", G_AFFINE, V_RANGE, 0.01, 100, S_ONE, "factor"},
    {"fill", G_AFFINE, V_WORD, 0, 0, S_SAME, "constant|nearest|reflect|wrap"},
    {"cval", G_AFFINE, V_NUMBER, -1e9, 1e9, S_SAME, "value"},
    {"interp", G_AFFINE, V_WORD, 0, 0, S_SAME, "bilinear|nearest"},
    {"hflip", G_HFLIP, V_PROB, 0, 1, S_SAME, "probability"},
    {"vflip", G_VFLIP, V_PROB, 0, 1, S_SAME, "probability"},
    {"crop", G_CROP, V_PROB, 0, 1, S_SAME, "probability"},
    {"crop-scale", G_CROP, V_RANGE, 1e-6, 1, S_SAME, "area fraction"},
    {"crop-ratio", G_CROP, V_RANGE, 1e-3, 1e3, S_SAME, "width / height"},
    {"blur", G_BLUR, V_RANGE, 0, 100, S_SAME, "sigma in pixels"},
    {"sharpen", G_SHARPEN, V_RANGE, 0, 100, S_SAME, "factor"},
    {"median", G_MEDIAN, V_PROB, 0, 1, S_SAME, "probability"},
    {"noise", G_NOISE, V_RANGE, 0, 1, S_SAME, "standard deviation"},
    {"brightness", G_COLOR, V_RANGE, 0, 100, S_ONE, "factor"},
    {"contrast", G_COLOR, V_RANGE, 0, 100, S_ONE, "factor"},
    {"saturation", G_COLOR, V_RANGE, 0, 100, S_ONE, "factor"},
    {"hue", G_COLOR, V_RANGE, -0.5, 0.5, S_ZERO, "turns"},
    {"grayscale", G_GRAY, V_PROB, 0, 1, S_SAME, "probability"},
    {"erase", G_ERASE, V_PROB, 0, 1, S_SAME, "probability"},
    {"erase-scale", G_ERASE, V_RANGE, 1e-6, 1, S_SAME, "area fraction"},
    {"erase-ratio", G_ERASE, V_RANGE, 1e-3, 1e3, S_SAME, "height / width"},
    {"erase-value", G_ERASE, V_WORD, 0, 1, S_SAME, "a value in [0, 1] or random"},
    {"cutout", G_CUTOUT, V_NUMBER, 1e-6, 1, S_SAME, "fraction of the shorter side"},
};
#define N_KEYS ((int)(sizeof keys / sizeof keys[0]))

/* What a spec says about one step before it is built. */
typedef struct {
    int first;    /* position of its first item, -1: absent */
    double p;     /* 1 unless given */
    bool p_given;
    const char *p_item; /* the item that gave it, for a conflict message */
    fv_affine_range affine;
    fv_crop_range crop;
    fv_color_range color;
    fv_erase_range erase;
    double range[2], size;
} pending;

typedef struct {
    fv_ctx *ctx;
    const char *item; /* the whole KEY=VALUE[@P] text, for messages */
} parse_ctx;

#define spec_error(pc, ...) spec_error(pc, __VA_ARGS__)

static fv_status spec_error(const parse_ctx *pc, const char *fmt, ...) FV_PRINTF(2, 3);
static fv_status spec_error(const parse_ctx *pc, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fv_error(pc->ctx, FV_ERR_ARG, "augment spec: '%s': %s", pc->item, msg);
}

/* A whole token as a finite number. */
static bool number(const char *s, double *v)
{
    char *end;
    if (!*s || isspace((unsigned char)*s)) return false;
    *v = strtod(s, &end);
    return *end == '\0' && isfinite(*v);
}

static fv_status parse_range(const parse_ctx *pc, const key_def *k, char *text, double out[2])
{
    char *colon = strchr(text, ':');
    if (colon) {
        *colon = '\0';
        if (!number(text, &out[0]) || !number(colon + 1, &out[1]))
            return spec_error(pc, "%s expects a number or a range LO:HI of finite numbers (%s)", k->name, k->unit);
        if (out[0] > out[1]) return spec_error(pc, "%s range %g:%g has LO > HI", k->name, out[0], out[1]);
    } else {
        double v;
        if (!number(text, &v)) return spec_error(pc, "%s expects a number or a range LO:HI of finite numbers (%s)", k->name, k->unit);
        if (k->sym != S_SAME && v < 0) return spec_error(pc, "%s amount %g is negative", k->name, v);
        if (k->sym == S_ONE) out[0] = fmax(1 - v, k->min), out[1] = 1 + v;
        else if (k->sym == S_ZERO) out[0] = -v, out[1] = v;
        else out[0] = out[1] = v;
    }
    if (out[0] < k->min || out[1] > k->max)
        return spec_error(pc, "%s range %g:%g is outside [%g, %g] (%s)", k->name, out[0], out[1], k->min, k->max, k->unit);
    return FV_OK;
}

static int word_index(const char *words, const char *w)
{
    size_t n = strlen(w);
    int i = 0;
    for (const char *s = words; *s; i++) {
        const char *bar = strchr(s, '|');
        size_t len = bar ? (size_t)(bar - s) : strlen(s);
        if (len == n && strncmp(s, w, n) == 0) return i;
        if (!bar) break;
        s = bar + 1;
    }
    return -1;
}

/* Store a checked value of key k into its step. */
static fv_status store(const parse_ctx *pc, const key_def *k, char *value, pending *st)
{
    double v = 0, r[2] = {0, 0};
    const char *n = k->name;
    if (strcmp(n, "erase-value") == 0) {
        if (strcmp(value, "random") == 0) st->erase.random_value = true;
        else if (number(value, &v) && v >= 0 && v <= 1) st->erase.value = (float)v;
        else return spec_error(pc, "erase-value expects a value in [0, 1] or 'random'");
        return FV_OK;
    }
    if (k->t == V_WORD) {
        int i = word_index(k->unit, value);
        if (i < 0) return spec_error(pc, "%s expects one of %s", n, k->unit);
        if (strcmp(n, "fill") == 0) st->affine.fill = (fv_fill_mode)i;
        else st->affine.interp = i == 0 ? FV_INTERP_BILINEAR : FV_INTERP_NEAREST;
        return FV_OK;
    }
    if (k->t == V_RANGE) {
        fv_status s = parse_range(pc, k, value, r);
        if (s != FV_OK) return s;
    } else if (!number(value, &v) || v < k->min || v > k->max) {
        return spec_error(pc, "%s expects a number in [%g, %g] (%s)", n, k->min, k->max, k->unit);
    }
    if (k->t == V_PROB) st->p = v;
    else if (strcmp(n, "rotate") == 0) st->affine.rotation = v;
    else if (strcmp(n, "shift") == 0) st->affine.shift_x = st->affine.shift_y = v;
    else if (strcmp(n, "shift-x") == 0) st->affine.shift_x = v;
    else if (strcmp(n, "shift-y") == 0) st->affine.shift_y = v;
    else if (strcmp(n, "shear") == 0) st->affine.shear = v;
    else if (strcmp(n, "zoom") == 0) st->affine.zoom_lo = r[0], st->affine.zoom_hi = r[1];
    else if (strcmp(n, "cval") == 0) st->affine.cval = (float)v;
    else if (strcmp(n, "crop-scale") == 0) st->crop.scale_lo = r[0], st->crop.scale_hi = r[1];
    else if (strcmp(n, "crop-ratio") == 0) st->crop.ratio_lo = r[0], st->crop.ratio_hi = r[1];
    else if (strcmp(n, "erase-scale") == 0) st->erase.scale_lo = r[0], st->erase.scale_hi = r[1];
    else if (strcmp(n, "erase-ratio") == 0) st->erase.ratio_lo = r[0], st->erase.ratio_hi = r[1];
    else if (strcmp(n, "brightness") == 0) memcpy(st->color.brightness, r, sizeof r);
    else if (strcmp(n, "contrast") == 0) memcpy(st->color.contrast, r, sizeof r);
    else if (strcmp(n, "saturation") == 0) memcpy(st->color.saturation, r, sizeof r);
    else if (strcmp(n, "hue") == 0) memcpy(st->color.hue, r, sizeof r);
    else if (strcmp(n, "cutout") == 0) st->size = v;
    else memcpy(st->range, r, sizeof r); /* blur, sharpen, noise */
    return FV_OK;
}

static const key_def *find_key(const char *name)
{
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0) return &keys[i];
    return NULL;
}

static fv_status set_probability(const parse_ctx *pc, pending *st, double p, const char *item)
{
    if (st->p_given && st->p != p)
        return spec_error(pc, "the step's probability was already given as %g by '%s'", st->p, st->p_item);
    st->p = p, st->p_given = true, st->p_item = item;
    return FV_OK;
}

/* One KEY=VALUE[@P] item (item is a writable copy; shown is the original text for messages). */
static fv_status parse_item(parse_ctx *pc, char *item, const char *shown, int pos, bool seen[N_KEYS], pending st[G_COUNT])
{
    pc->item = shown;
    char *eq = strchr(item, '=');
    if (!eq) return spec_error(pc, "expected KEY=VALUE");
    *eq = '\0';
    const key_def *k = find_key(item);
    if (!k) return spec_error(pc, "unknown key '%s' (see docs/AUGMENT.md for the keys)", item);
    if (seen[k - keys]) return spec_error(pc, "%s is given twice", k->name);
    seen[k - keys] = true;
    char *value = eq + 1, *at = strchr(value, '@');
    pending *s = &st[k->g];
    if (s->first < 0) s->first = pos;
    if (at) {
        *at = '\0';
        double p;
        if (k->t == V_PROB) return spec_error(pc, "%s takes its probability as its value, without @", k->name);
        if (!number(at + 1, &p) || p < 0 || p > 1) return spec_error(pc, "the probability after @ must be a number in [0, 1]");
        fv_status r = set_probability(pc, s, p, shown);
        if (r != FV_OK) return r;
    }
    fv_status r = store(pc, k, value, s);
    if (r == FV_OK && k->t == V_PROB) r = set_probability(pc, s, s->p, shown);
    return r;
}

static fv_status build(fv_augment *a, group g, const pending *s)
{
    switch (g) {
    case G_AFFINE: return fv_augment_add_affine(a, &s->affine, s->p);
    case G_HFLIP: return fv_augment_add_flip(a, true, s->p);
    case G_VFLIP: return fv_augment_add_flip(a, false, s->p);
    case G_CROP: return fv_augment_add_resized_crop(a, &s->crop, s->p);
    case G_BLUR: return fv_augment_add_blur(a, s->range[0], s->range[1], s->p);
    case G_SHARPEN: return fv_augment_add_sharpen(a, s->range[0], s->range[1], s->p);
    case G_MEDIAN: return fv_augment_add_median(a, s->p);
    case G_NOISE: return fv_augment_add_noise(a, s->range[0], s->range[1], s->p);
    case G_COLOR: return fv_augment_add_color(a, &s->color, s->p);
    case G_GRAY: return fv_augment_add_grayscale(a, s->p);
    case G_ERASE: return fv_augment_add_erase(a, &s->erase, s->p);
    default: return fv_augment_add_cutout(a, s->size, s->p);
    }
}

/* Split spec into items, parse each into st; the copies live in buf. */
static fv_status parse_items(parse_ctx *pc, const char *spec, char *buf, char *shown, pending st[G_COUNT])
{
    bool seen[N_KEYS] = {false};
    int pos = 0;
    const char *s = spec;
    while (*s) {
        while (isspace((unsigned char)*s)) s++;
        if (!*s) break;
        size_t len = 0;
        while (s[len] && !isspace((unsigned char)s[len])) len++;
        memcpy(buf, s, len), buf[len] = '\0';
        memcpy(shown, s, len), shown[len] = '\0';
        fv_status r = parse_item(pc, buf, shown, pos++, seen, st);
        if (r != FV_OK) return r;
        buf += len + 1, shown += len + 1, s += len;
    }
    return FV_OK;
}

fv_status fv_augment_parse(fv_augment *a, const char *spec)
{
    if (!a) return FV_ERR_ARG;
    if (!spec) return fv_error(a->ctx, FV_ERR_ARG, "augment spec: NULL");
    size_t len = strlen(spec) + 1;
    char *buf = malloc(2 * len);
    if (!buf) return fv_error(a->ctx, FV_ERR_NOMEM, "augment spec: out of memory");
    pending st[G_COUNT];
    memset(st, 0, sizeof st);
    for (int g = 0; g < G_COUNT; g++) st[g].first = -1, st[g].p = 1;
    parse_ctx pc = {.ctx = a->ctx, .item = ""};
    fv_status r = parse_items(&pc, spec, buf, buf + len, st);
    int before = a->n;
    /* Steps in the order of their first items. */
    for (int pos = 0; r == FV_OK && pos < (int)len; pos++)
        for (int g = 0; g < G_COUNT && r == FV_OK; g++)
            if (st[g].first == pos) r = build(a, (group)g, &st[g]);
    if (r != FV_OK) a->n = before; /* all or nothing */
    free(buf);
    return r;
}

/* ---- describing -------------------------------------------------------------------------------------------- */

/* A number that reads back as the same double: %g when that is exact, else all 17 digits. */
typedef struct {
    char s[32];
} num_text;

static num_text num(double v)
{
    num_text t;
    snprintf(t.s, sizeof t.s, "%g", v);
    if (strtod(t.s, NULL) != v) snprintf(t.s, sizeof t.s, "%.17g", v);
    return t;
}
#define N(v) num(v).s

static const char *const fill_names[] = {"constant", "nearest", "reflect", "wrap"};

static void describe_step(const aug_step *s, char *out, size_t len)
{
    const double *r = s->u.range;
    switch (s->kind) {
    case STEP_AFFINE: {
        const fv_affine_range *f = &s->u.affine;
        snprintf(out, len, "rotate=%s@%s shift-x=%s shift-y=%s shear=%s zoom=%s:%s fill=%s cval=%s interp=%s", N(f->rotation),
                 N(s->p), N(f->shift_x), N(f->shift_y), N(f->shear), N(f->zoom_lo ? f->zoom_lo : 1),
                 N(f->zoom_hi ? f->zoom_hi : 1), fill_names[f->fill], N(f->cval), f->interp == FV_INTERP_NEAREST ? "nearest" : "bilinear");
        break;
    }
    case STEP_HFLIP: snprintf(out, len, "hflip=%s", N(s->p)); break;
    case STEP_VFLIP: snprintf(out, len, "vflip=%s", N(s->p)); break;
    case STEP_CROP:
        snprintf(out, len, "crop=%s crop-scale=%s:%s crop-ratio=%s:%s", N(s->p), N(s->u.crop.scale_lo),
                 N(s->u.crop.scale_hi), N(s->u.crop.ratio_lo), N(s->u.crop.ratio_hi));
        break;
    case STEP_BLUR: snprintf(out, len, "blur=%s:%s@%s", N(r[0]), N(r[1]), N(s->p)); break;
    case STEP_SHARPEN: snprintf(out, len, "sharpen=%s:%s@%s", N(r[0]), N(r[1]), N(s->p)); break;
    case STEP_MEDIAN: snprintf(out, len, "median=%s", N(s->p)); break;
    case STEP_NOISE: snprintf(out, len, "noise=%s:%s@%s", N(r[0]), N(r[1]), N(s->p)); break;
    case STEP_COLOR: {
        const fv_color_range *c = &s->u.color;
        int n = snprintf(out, len, "hue=%s:%s@%s", N(c->hue[0]), N(c->hue[1]), N(s->p));
        const char *names[3] = {"brightness", "contrast", "saturation"};
        const double *v[3] = {c->brightness, c->contrast, c->saturation};
        for (int i = 0; i < 3 && n >= 0 && (size_t)n < len; i++)
            if (!(v[i][0] == 0 && v[i][1] == 0)) n += snprintf(out + n, len - n, " %s=%s:%s", names[i], N(v[i][0]), N(v[i][1]));
        break;
    }
    case STEP_GRAY: snprintf(out, len, "grayscale=%s", N(s->p)); break;
    case STEP_ERASE: {
        const fv_erase_range *e = &s->u.erase;
        char value[32];
        if (e->random_value) snprintf(value, sizeof value, "random");
        else snprintf(value, sizeof value, "%s", N(e->value));
        snprintf(out, len, "erase=%s erase-scale=%s:%s erase-ratio=%s:%s erase-value=%s", N(s->p), N(e->scale_lo),
                 N(e->scale_hi), N(e->ratio_lo), N(e->ratio_hi), value);
        break;
    }
    case STEP_CUTOUT: snprintf(out, len, "cutout=%s@%s", N(s->u.size), N(s->p)); break;
    }
}

void fv_augment_describe(const fv_augment *a, char *buf, size_t len)
{
    if (!buf || len == 0) return;
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; a && i < a->n && used + 1 < len; i++) {
        char one[512];
        describe_step(&a->steps[i], one, sizeof one);
        int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", one);
        if (n < 0) break;
        used += (size_t)n;
    }
}
