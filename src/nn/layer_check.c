/* The checks every layer passes before it joins a model, whether it came from a description line or from a
 * typed spec (fovea/layer.h): its name, and each of its type's keys in the range the description parser
 * accepts, so that a spec cannot hold what no text could say. Messages name the layer and the key as the
 * parser's do ("conv2d 'c1': stride=0: expected a positive size or HxW"). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

static bool in_range(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

static fv_status bad(fv_ctx *ctx, const char *where, const fv_layer *l, const fv_layer_key *k, const char *value,
                     const char *expect)
{
    return fv_error(ctx, FV_ERR_ARG, "%s%s '%s': %s=%s: expected %s", where, l->type->name, l->name, k->name, value,
                    expect);
}

/* A key's value is out of range when its text would not parse: the same bounds as layer_types.c's reader. */
static const char *int_problem(const fv_layer_key *k, const void *field)
{
    int v = *(const int *)field;
    if (k->kind == FV_K_AXIS) return in_range(v, -FV_MAX_DIMS, FV_MAX_DIMS - 1) ? NULL : "an axis from -6 to 5";
    bool axis = k->offset == offsetof(fv_layer_attrs, axis);
    return in_range(v, axis ? -FV_MAX_DIMS : 1, FV_KEY_INT_MAX) ? NULL : "a positive integer";
}

static const char *pair_problem(const fv_layer_key *k, const int *p)
{
    int lo = k->offset == offsetof(fv_layer_attrs, output_padding) ? 0 : 1;
    if (in_range(p[0], lo, FV_KEY_SIZE_MAX) && in_range(p[1], lo, FV_KEY_SIZE_MAX)) return NULL;
    return lo ? "a positive size or HxW" : "a size or HxW";
}

static const char *pad_problem(const fv_layer *l, const int *p)
{
    fv_pad_mode mode = l->a.pad_mode;
    if (mode != FV_PAD_EXPLICIT && mode != FV_PAD_SAME && mode != FV_PAD_VALID) return "a padding mode (explicit, same or valid)";
    if (mode != FV_PAD_EXPLICIT && l->type->kind != FV_L_CONV2D) return "sizes (same/valid: conv2d only)";
    for (int i = 0; i < 4; i++)
        if (!in_range(p[i], 0, FV_KEY_SIZE_MAX)) return "P, PHxPW, top x left x bottom x right, same or valid";
    return NULL;
}

static const char *shape_problem(const fv_layer_attrs *a)
{
    const char *expect = "sizes joined by x (CxHxW, a feature count) or scalar";
    if (!in_range(a->ndim, 0, FV_MAX_DIMS)) return expect;
    for (int d = 0; d < a->ndim; d++)
        if (!in_range(a->shape[d], 0, FV_KEY_INT_MAX)) return expect;
    if (fv_size_product(a->ndim, a->shape, FV_MAX_SAMPLE_ELEMENTS) < 0)
        return "at most 2^26 (67,108,864) values per sample";
    return NULL;
}

static const char *list_problem(const fv_layer_key *k, const void *field)
{
    if (k->kind == FV_K_INTS) {
        const fv_int_list *list = field;
        if (!in_range(list->n, 0, FV_LAYER_MAX_LIST)) return "comma-separated integers (at most 12)";
        for (int i = 0; i < list->n; i++)
            if (!in_range(list->v[i], -FV_KEY_LIST_MAX, FV_KEY_LIST_MAX)) return "comma-separated integers";
        return NULL;
    }
    const fv_float_list *list = field;
    if (!in_range(list->n, 0, FV_LAYER_MAX_LIST)) return "comma-separated finite numbers (at most 12)";
    for (int i = 0; i < list->n; i++)
        if (!isfinite(list->v[i])) return "comma-separated finite numbers";
    return NULL;
}

static const char *text_problem(const char *text, size_t size)
{
    const char *expect = "1 to 63 printable characters without spaces, '#' or '='";
    const char *end = memchr(text, '\0', size);
    if (!end || end == text) return expect;
    for (const char *c = text; c < end; c++)
        if (*c <= ' ' || *c > '~' || *c == '#' || *c == '=') return expect;
    return NULL;
}

static int choice_count(const fv_layer_key *k)
{
    int n = 0;
    while (k->choices[n]) n++;
    return n;
}

/* What is wrong with key k of l, or NULL; value receives the value as text for the kinds that
 * fv_layer_format_value cannot write safely when out of range (a choice index, a list's count). */
static const char *key_problem(const fv_layer *l, const fv_layer_key *k, char *value, size_t size)
{
    const void *field = fv_layer_key_field(l, k);
    const int *p = field; /* int-valued kinds only: a bool or float field is not read through it */
    switch (k->kind) {
    case FV_K_INT:
    case FV_K_AXIS: return int_problem(k, field);
    case FV_K_PAIR: return pair_problem(k, p);
    case FV_K_PAD:
        snprintf(value, size, "%dx%dx%dx%d", p[0], p[1], p[2], p[3]);
        return pad_problem(l, p);
    case FV_K_FLOAT: return isfinite(*(const float *)field) ? NULL : "a finite number";
    case FV_K_BOOL: return NULL;
    case FV_K_SHAPE:
        snprintf(value, size, "(%d dimensions)", l->a.ndim);
        return shape_problem(&l->a);
    case FV_K_MODE:
        snprintf(value, size, "%d", l->a.mode);
        return l->a.mode == FV_RESIZE_NEAREST || l->a.mode == FV_RESIZE_BILINEAR ? NULL : "nearest or bilinear";
    case FV_K_CHOICE:
        snprintf(value, size, "%d", *p);
        return in_range(*p, 0, choice_count(k) - 1) ? NULL : "the index of one of the key's values";
    case FV_K_INTS:
    case FV_K_FLOATS: snprintf(value, size, "(%d values)", *p); return list_problem(k, field); /* n comes first */
    case FV_K_TEXT: snprintf(value, size, "(text)"); return text_problem(field, sizeof l->a.text);
    }
    return "a known kind of value";
}

/* Whether key k holds its type's default, which a line without the key leaves, in range or not (a pool's
 * stride 0 is "the kernel", split's parts 0 "sizes= says"). */
static bool is_default(const fv_layer_attrs *a, const fv_layer_attrs *d, const fv_layer_key *k)
{
    const void *f = fv_attrs_field(a, k), *g = fv_attrs_field(d, k);
    switch (k->kind) {
    case FV_K_PAIR: return memcmp(f, g, 2 * sizeof(int)) == 0;
    case FV_K_PAD: return memcmp(f, g, 4 * sizeof(int)) == 0 && a->pad_mode == d->pad_mode;
    case FV_K_INT:
    case FV_K_AXIS:
    case FV_K_CHOICE:
    case FV_K_MODE:
    case FV_K_FLOAT: return memcmp(f, g, sizeof(int)) == 0;
    default: return false; /* the defaults of the other kinds are in range */
    }
}

fv_status fv_layer_check_attrs(fv_ctx *ctx, const char *where, const fv_layer *l)
{
    fv_layer_attrs defaults;
    fv_layer_defaults(l->type, &defaults);
    for (const fv_layer_key *k = l->type->keys; k->name; k++) {
        if (fv_layer_key_unset(&l->a, k))
            return fv_error(ctx, FV_ERR_ARG, "%s%s '%s': missing %s=", where, l->type->name, l->name, k->name);
        char value[96];
        const char *expect = key_problem(l, k, value, sizeof value);
        if (!expect || (!k->required && is_default(&l->a, &defaults, k))) continue;
        bool formattable = k->kind == FV_K_INT || k->kind == FV_K_AXIS || k->kind == FV_K_PAIR || k->kind == FV_K_FLOAT;
        if (formattable) fv_layer_format_value(&l->a, k, value, sizeof value); /* as a description writes it */
        return bad(ctx, where, l, k, value, expect);
    }
    return FV_OK;
}

/* A name must read back from a description line: none of the line's separators (space, tab, CR, LF), no '='
 * (a key), ',' (the separator of from=) or '#' (a comment). Anything else is kept (UTF-8; even escape
 * sequences, which summaries print escaped). */
fv_status fv_layer_check_name(fv_ctx *ctx, const char *where, const fv_layer_type *t, const char *name)
{
    size_t n = strlen(name);
    if (n >= sizeof((fv_layer *)0)->name)
        return fv_error(ctx, FV_ERR_ARG, "%slayer name '%.40s...' is longer than 63 characters", where, name);
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (strchr(" \t\r\n=,#", *c))
            return fv_error(ctx, FV_ERR_ARG, "%s%s '%s': a layer name may not hold spaces, tabs, line breaks, '=', "
                            "',' or '#'", where, t->name, name);
    return FV_OK;
}
