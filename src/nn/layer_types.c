/* The layer types a model description may use: their keys, defaults (PyTorch's), and how a key's value is
 * read from and written to text. Adding a layer type starts here, then fv_layer_build in layers.c. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

#define KEY(n, k, field, req) {n, k, offsetof(fv_layer_attrs, field), req, NULL}
#define CHOICE(n, field, list) {n, FV_K_CHOICE, offsetof(fv_layer_attrs, field), false, list}

/* The element types, in fv_dtype's order. */
static const char *const dtype_names[] = {"float32", "int32", "int64", "bool", NULL};
static const fv_layer_key input_keys[] = {KEY("shape", FV_K_SHAPE, shape, true), CHOICE("dtype", dtype, dtype_names),
                                          KEY("batch", FV_K_BOOL, batch, false), {NULL}};
static const fv_layer_key constant_keys[] = {KEY("shape", FV_K_SHAPE, shape, true),
                                             CHOICE("dtype", dtype, dtype_names), {NULL}};
static const fv_layer_key conv_keys[] = {
    KEY("filters", FV_K_INT, filters, true), KEY("kernel", FV_K_PAIR, kernel, true),
    KEY("stride", FV_K_PAIR, stride, false),  KEY("padding", FV_K_PAD, pad, false),
    KEY("dilation", FV_K_PAIR, dilation, false), KEY("groups", FV_K_INT, groups, false),
    KEY("bias", FV_K_BOOL, bias, false),      {NULL}};
/* init=bilinear: fv_model_init fills the weight with a bilinear interpolation kernel (FCN's learned upsampling
 * starts as plain bilinear upsampling) instead of drawing it; kept in the description so that it survives a
 * model file and a re-initialization. */
static const char *const convt_inits[] = {"default", "bilinear", NULL};
static const fv_layer_key convt_keys[] = {
    KEY("filters", FV_K_INT, filters, true), KEY("kernel", FV_K_PAIR, kernel, true),
    KEY("stride", FV_K_PAIR, stride, false),  KEY("padding", FV_K_PAD, pad, false),
    KEY("output_padding", FV_K_PAIR, output_padding, false), KEY("dilation", FV_K_PAIR, dilation, false),
    KEY("groups", FV_K_INT, groups, false),   KEY("bias", FV_K_BOOL, bias, false),
    CHOICE("init", choice[0], convt_inits),   {NULL}};
static const fv_layer_key dense_keys[] = {KEY("units", FV_K_INT, units, true), KEY("bias", FV_K_BOOL, bias, false),
                                          {NULL}};
static const fv_layer_key bn_keys[] = {KEY("eps", FV_K_FLOAT, eps, false), KEY("momentum", FV_K_FLOAT, momentum, false),
                                       {NULL}};
static const fv_layer_key dropout_keys[] = {KEY("rate", FV_K_FLOAT, rate, false), {NULL}};
static const fv_layer_key alpha_keys[] = {KEY("alpha", FV_K_FLOAT, alpha, false), {NULL}};
static const fv_layer_key no_keys[] = {{NULL}};
static const fv_layer_key softmax_keys[] = {KEY("axis", FV_K_INT, axis, false), {NULL}};
static const fv_layer_key maxpool_keys[] = {
    KEY("kernel", FV_K_PAIR, kernel, true), KEY("stride", FV_K_PAIR, stride, false),
    KEY("padding", FV_K_PAD, pad, false),   KEY("ceil_mode", FV_K_BOOL, ceil_mode, false), {NULL}};
static const fv_layer_key avgpool_keys[] = {
    KEY("kernel", FV_K_PAIR, kernel, true), KEY("stride", FV_K_PAIR, stride, false),
    KEY("padding", FV_K_PAD, pad, false),   KEY("ceil_mode", FV_K_BOOL, ceil_mode, false),
    KEY("count_include_pad", FV_K_BOOL, count_include_pad, false), {NULL}};
static const fv_layer_key concat_keys[] = {KEY("axis", FV_K_INT, axis, false), {NULL}};
static const fv_layer_key pad_keys[] = {KEY("padding", FV_K_PAD, pad, true), KEY("value", FV_K_FLOAT, value, false),
                                        {NULL}};
static const fv_layer_key upsample_keys[] = {KEY("scale", FV_K_PAIR, scale, false), KEY("mode", FV_K_MODE, mode, false),
                                             KEY("align_corners", FV_K_BOOL, align_corners, false), {NULL}};
static const fv_layer_key lrn_keys[] = {KEY("size", FV_K_INT, size, true), KEY("alpha", FV_K_FLOAT, alpha, false),
                                        KEY("beta", FV_K_FLOAT, beta, false), KEY("k", FV_K_FLOAT, k, false), {NULL}};
static const fv_layer_key adaptive_keys[] = {KEY("size", FV_K_PAIR, out_size, true), {NULL}};

#define ACT(n, keras, a, keys) {n, keras, FV_L_ACTIVATION, a, 1, 1, keys}
static const fv_layer_type types[] = {
    {"input", "InputLayer", FV_L_INPUT, 0, 0, 0, input_keys},
    {"conv2d", "Conv2D", FV_L_CONV2D, 0, 1, 1, conv_keys},
    {"conv_transpose2d", "Conv2DTranspose", FV_L_CONV_TRANSPOSE2D, 0, 1, 1, convt_keys},
    {"dense", "Dense", FV_L_DENSE, 0, 1, 1, dense_keys},
    {"batch_norm", "BatchNormalization", FV_L_BATCH_NORM, 0, 1, 1, bn_keys},
    {"dropout", "Dropout", FV_L_DROPOUT, 0, 1, 1, dropout_keys},
    ACT("relu", "ReLU", FV_ACT_RELU, no_keys),
    ACT("leaky_relu", "LeakyReLU", FV_ACT_LEAKY_RELU, alpha_keys),
    ACT("relu6", "ReLU6", FV_ACT_RELU6, no_keys),
    ACT("elu", "ELU", FV_ACT_ELU, alpha_keys),
    ACT("sigmoid", "Sigmoid", FV_ACT_SIGMOID, no_keys),
    ACT("tanh", "Tanh", FV_ACT_TANH, no_keys),
    ACT("silu", "Swish", FV_ACT_SILU, no_keys),
    ACT("swish", "Swish", FV_ACT_SILU, no_keys),
    ACT("hard_sigmoid", "HardSigmoid", FV_ACT_HARD_SIGMOID, no_keys),
    ACT("hard_swish", "HardSwish", FV_ACT_HARD_SWISH, no_keys),
    {"softmax", "Softmax", FV_L_SOFTMAX, 0, 1, 1, softmax_keys},
    {"max_pool", "MaxPooling2D", FV_L_MAX_POOL, 0, 1, 1, maxpool_keys},
    {"avg_pool", "AveragePooling2D", FV_L_AVG_POOL, 0, 1, 1, avgpool_keys},
    {"global_avg_pool", "GlobalAveragePooling2D", FV_L_GLOBAL_AVG_POOL, 0, 1, 1, no_keys},
    {"global_max_pool", "GlobalMaxPooling2D", FV_L_GLOBAL_MAX_POOL, 0, 1, 1, no_keys},
    {"flatten", "Flatten", FV_L_FLATTEN, 0, 1, 1, no_keys},
    {"add", "Add", FV_L_ADD, 0, 2, 2, no_keys},
    {"mul", "Multiply", FV_L_MUL, 0, 2, 2, no_keys},
    {"concat", "Concatenate", FV_L_CONCAT, 0, 2, FV_LAYER_MAX_INPUTS, concat_keys},
    {"pad", "ZeroPadding2D", FV_L_PAD, 0, 1, 1, pad_keys},
    {"upsample", "UpSampling2D", FV_L_UPSAMPLE, 0, 1, 1, upsample_keys},
    {"lrn", "LocalResponseNorm", FV_L_LRN, 0, 1, 1, lrn_keys},
    {"adaptive_avg_pool", "AdaptiveAveragePooling2D", FV_L_ADAPTIVE_AVG_POOL, 0, 1, 1, adaptive_keys},
    {"constant", "Constant", FV_L_CONSTANT, 0, 0, 0, constant_keys},
};
#define N_TYPES ((int)(sizeof types / sizeof types[0]))

static const fv_generic_type *const families[] = {fv_layers_layout, fv_layers_math, fv_layers_reduce, fv_layers_norm,
                                                  fv_layers_loss, fv_layers_classical, fv_layers_detect};

const fv_generic_type *fv_generic_type_at(int i)
{
    for (size_t f = 0; i >= 0 && f < sizeof families / sizeof *families; f++)
        for (const fv_generic_type *t = families[f]; t->base.name; t++)
            if (i-- == 0) return t;
    return NULL;
}

const fv_layer_type *fv_layer_type_find(const char *name)
{
    for (int i = 0; i < N_TYPES; i++)
        if (strcmp(types[i].name, name) == 0) return &types[i];
    for (int i = 0; fv_generic_type_at(i); i++)
        if (strcmp(fv_generic_type_at(i)->base.name, name) == 0) return &fv_generic_type_at(i)->base;
    return NULL;
}

const fv_layer_type *fv_layer_type_at(int i)
{
    if (i >= 0 && i < N_TYPES) return &types[i];
    const fv_generic_type *g = fv_generic_type_at(i - N_TYPES);
    return g ? &g->base : NULL;
}

int fv_layer_type_index(const fv_layer_type *t)
{
    if (t >= types && t < types + N_TYPES) return (int)(t - types);
    for (int i = 0; fv_generic_type_at(i); i++)
        if (&fv_generic_type_at(i)->base == t) return N_TYPES + i < FV_LAYER_TYPE_COUNT ? N_TYPES + i : 0;
    return 0;
}

const fv_layer_key *fv_layer_find_key(const fv_layer_type *t, const char *name)
{
    for (const fv_layer_key *k = t->keys; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

void fv_layer_defaults(const fv_layer_type *t, fv_layer_attrs *a)
{
    memset(a, 0, sizeof *a);
    a->stride[0] = a->stride[1] = 0; /* pools: 0 means "the kernel"; convs: set to 1 below */
    a->dilation[0] = a->dilation[1] = 1;
    a->groups = 1;
    a->bias = true;
    a->eps = 1e-5f;
    a->momentum = 0.1f;
    a->rate = 0.5f;
    a->axis = 1;
    a->scale[0] = a->scale[1] = 2;
    a->mode = FV_RESIZE_NEAREST;
    a->count_include_pad = true;
    a->batch = true;
    a->keepdims = true;
    switch (t->kind) {
    case FV_L_CONV2D:
    case FV_L_CONV_TRANSPOSE2D: a->stride[0] = a->stride[1] = 1; break;
    case FV_L_ACTIVATION: a->alpha = t->act == FV_ACT_LEAKY_RELU ? 0.01f : 1.0f; break;
    case FV_L_LRN: a->alpha = 1e-4f, a->beta = 0.75f, a->k = 1.0f; break;
    case FV_L_GENERIC:
        if (fv_generic(t)->defaults) fv_generic(t)->defaults(a);
        break;
    default: break;
    }
}

/* A required key starts at a value that no check accepts, so that a spec whose caller never set it (and a
 * description line that never names it) is refused as missing it. */
void fv_layer_spec_defaults(const fv_layer_type *t, fv_layer_attrs *a)
{
    fv_layer_defaults(t, a);
    for (const fv_layer_key *k = t->keys; k->name; k++) {
        if (!k->required) continue;
        void *field = (char *)a + k->offset;
        switch (k->kind) {
        case FV_K_INT:
        case FV_K_AXIS:
        case FV_K_CHOICE:
        case FV_K_MODE: *(int *)field = FV_KEY_UNSET; break;
        case FV_K_PAIR:
        case FV_K_PAD: ((int *)field)[0] = FV_KEY_UNSET; break;
        case FV_K_FLOAT: *(float *)field = NAN; break;
        case FV_K_SHAPE: a->ndim = FV_KEY_UNSET; break;
        case FV_K_INTS: ((fv_int_list *)field)->n = FV_KEY_UNSET; break;
        case FV_K_FLOATS: ((fv_float_list *)field)->n = FV_KEY_UNSET; break;
        case FV_K_TEXT: *(char *)field = '\0'; break;
        case FV_K_BOOL: break; /* any value is a value; no type requires one */
        }
    }
}

bool fv_layer_key_unset(const fv_layer_attrs *a, const fv_layer_key *k)
{
    const void *field = fv_attrs_field(a, k);
    if (!k->required) return false;
    switch (k->kind) {
    case FV_K_INT:
    case FV_K_AXIS:
    case FV_K_CHOICE:
    case FV_K_MODE:
    case FV_K_PAIR:
    case FV_K_PAD: return *(const int *)field == FV_KEY_UNSET;
    case FV_K_FLOAT: return isnan(*(const float *)field);
    case FV_K_SHAPE: return a->ndim == FV_KEY_UNSET;
    case FV_K_INTS: return ((const fv_int_list *)field)->n == FV_KEY_UNSET;
    case FV_K_FLOATS: return ((const fv_float_list *)field)->n == FV_KEY_UNSET;
    case FV_K_TEXT: return *(const char *)field == '\0';
    case FV_K_BOOL: return false;
    }
    return false;
}

/* ---- reading values ------------------------------------------------------------------------------ */

static bool parse_int(const char *s, long lo, long hi, int *out)
{
    /* digits only (a '-' where negatives are allowed): strtol alone would take spaces and a '+' */
    if (!isdigit((unsigned char)s[s[0] == '-' && lo < 0]) || s[0] == '+') return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

/* "3" or "3x5" into up to max ints; returns how many (0 on error: an empty or non-numeric part, a separator
 * other than 'x', more than max parts). */
static int parse_ints(const char *s, int *out, int max, long lo, long hi)
{
    char buf[128];
    if (strlen(s) >= sizeof buf) return 0;
    strcpy(buf, s);
    int n = 0;
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, 'x');
        if (next) *next++ = '\0';
        if (n == max || !parse_int(tok, lo, hi, &out[n])) return 0;
        n++;
    }
    return n;
}

/* "0,2,-1" into a list (at most FV_LAYER_MAX_LIST integers of magnitude below 2^62). */
static bool parse_int_list(const char *s, fv_int_list *out)
{
    fv_int_list l = {0};
    for (const char *p = s; *p;) {
        const char *digits = p + (*p == '-');
        if (!isdigit((unsigned char)*digits) || l.n == FV_LAYER_MAX_LIST) return false;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || (*end && *end != ',') || v > FV_KEY_LIST_MAX || v < -FV_KEY_LIST_MAX) return false;
        l.v[l.n++] = v;
        p = *end ? end + 1 : end;
        if (*end && !*p) return false; /* a trailing comma */
    }
    if (!l.n && *s) return false;
    *out = l;
    return true;
}

static bool parse_float_list(const char *s, fv_float_list *out)
{
    fv_float_list l = {0};
    for (const char *p = s; *p;) {
        char *end;
        float v = strtof(p, &end);
        if (end == p || isspace((unsigned char)*p) || (*end && *end != ',') || !isfinite(v) || l.n == FV_LAYER_MAX_LIST)
            return false;
        l.v[l.n++] = v;
        p = *end ? end + 1 : end;
        if (*end && !*p) return false;
    }
    *out = l;
    return true;
}

/* "one of a, b or c" for a choice key's error. */
static const char *choice_list(const fv_layer_key *k, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "one of");
    for (int i = 0; k->choices[i] && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s %s", i ? "," : "", k->choices[i]);
    return buf;
}

static fv_status bad(fv_ctx *ctx, const char *where, const fv_layer *l, const char *key, const char *value,
                     const char *expect)
{
    return fv_error(ctx, FV_ERR_ARG, "%s%s '%s': %s=%s: expected %s", where, l->type->name, l->name, key, value,
                    expect);
}

static fv_status set_value(fv_ctx *ctx, const char *where, fv_layer *l, const fv_layer_key *k, const char *v)
{
    void *field = (char *)&l->a + k->offset;
    int t[FV_MAX_DIMS];
    char t_text[256];
    switch (k->kind) {
    case FV_K_INT:
        if (!parse_int(v, k->offset == offsetof(fv_layer_attrs, axis) ? -FV_MAX_DIMS : 1, FV_KEY_INT_MAX, field))
            return bad(ctx, where, l, k->name, v, "a positive integer");
        return FV_OK;
    case FV_K_AXIS:
        if (!parse_int(v, -FV_MAX_DIMS, FV_MAX_DIMS - 1, field))
            return bad(ctx, where, l, k->name, v, "an axis from -6 to 5");
        return FV_OK;
    case FV_K_INTS: return parse_int_list(v, field) ? FV_OK : bad(ctx, where, l, k->name, v, "comma-separated integers");
    case FV_K_FLOATS:
        return parse_float_list(v, field) ? FV_OK : bad(ctx, where, l, k->name, v, "comma-separated finite numbers");
    case FV_K_TEXT: { /* printable, no spaces or '#', so that it reads back from a description line */
        size_t n = strlen(v);
        bool ok = n > 0 && n < sizeof l->a.text;
        for (size_t i = 0; ok && i < n; i++) ok = isgraph((unsigned char)v[i]) && v[i] != '#' && v[i] != '=';
        if (!ok) return bad(ctx, where, l, k->name, v, "1 to 63 printable characters without spaces, '#' or '='");
        memcpy(field, v, n + 1);
        return FV_OK;
    }
    case FV_K_CHOICE:
        for (int i = 0; k->choices[i]; i++)
            if (strcmp(v, k->choices[i]) == 0) {
                *(int *)field = i;
                return FV_OK;
            }
        return bad(ctx, where, l, k->name, v, choice_list(k, t_text, sizeof t_text));
    case FV_K_PAIR: {
        long lo = k->offset == offsetof(fv_layer_attrs, output_padding) ? 0 : 1;
        int n = parse_ints(v, t, 2, lo, FV_KEY_SIZE_MAX);
        if (!n) return bad(ctx, where, l, k->name, v, lo ? "a positive size or HxW" : "a size or HxW");
        ((int *)field)[0] = t[0];
        ((int *)field)[1] = n == 2 ? t[1] : t[0];
        return FV_OK;
    }
    case FV_K_PAD: {
        int *p = field;
        if (strcmp(v, "same") == 0 || strcmp(v, "valid") == 0) {
            if (l->type->kind != FV_L_CONV2D) return bad(ctx, where, l, k->name, v, "sizes (same/valid: conv2d only)");
            l->a.pad_mode = v[0] == 's' ? FV_PAD_SAME : FV_PAD_VALID;
            memset(p, 0, 4 * sizeof *p);
            return FV_OK;
        }
        int n = parse_ints(v, t, 4, 0, FV_KEY_SIZE_MAX);
        if (n == 1) p[0] = p[1] = p[2] = p[3] = t[0];
        else if (n == 2) p[0] = p[2] = t[0], p[1] = p[3] = t[1];
        else if (n == 4) memcpy(p, t, 4 * sizeof *p); /* t holds FV_MAX_DIMS: copying it all ran into the next key */
        else return bad(ctx, where, l, k->name, v, "P, PHxPW, top x left x bottom x right, same or valid");
        l->a.pad_mode = FV_PAD_EXPLICIT;
        return FV_OK;
    }
    case FV_K_FLOAT: {
        char *end;
        float f = strtof(v, &end);
        if (end == v || *end || !isfinite(f)) return bad(ctx, where, l, k->name, v, "a finite number");
        *(float *)field = f;
        return FV_OK;
    }
    case FV_K_BOOL:
        if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) *(bool *)field = true;
        else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) *(bool *)field = false;
        else return bad(ctx, where, l, k->name, v, "true or false");
        return FV_OK;
    case FV_K_SHAPE: { /* "scalar" (rank 0) or sizes joined by x; 0 only in an input without a batch */
        int n = strcmp(v, "scalar") == 0 ? 0 : parse_ints(v, t, FV_MAX_DIMS, 0, FV_KEY_INT_MAX);
        if (n == 0 && strcmp(v, "scalar") != 0)
            return bad(ctx, where, l, k->name, v, "sizes joined by x (CxHxW, a feature count) or scalar");
        int64_t dims[FV_MAX_DIMS];
        for (int i = 0; i < n; i++) dims[i] = t[i];
        if (fv_size_product(n, dims, FV_MAX_SAMPLE_ELEMENTS) < 0)
            return bad(ctx, where, l, k->name, v, "at most 2^26 (67,108,864) values per sample");
        for (int i = 0; i < n; i++) l->a.shape[i] = t[i];
        l->a.ndim = n;
        return FV_OK;
    }
    case FV_K_MODE:
        if (strcmp(v, "nearest") == 0) l->a.mode = FV_RESIZE_NEAREST;
        else if (strcmp(v, "bilinear") == 0) l->a.mode = FV_RESIZE_BILINEAR;
        else return bad(ctx, where, l, k->name, v, "nearest or bilinear");
        return FV_OK;
    }
    return FV_ERR_ARG;
}

/* Edit distance for "did you mean" hints. */
static int distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 31 || lb > 31) return 99;
    int d[32][32];
    for (int i = 0; i <= la; i++) d[i][0] = i;
    for (int j = 0; j <= lb; j++) d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

fv_status fv_layer_set_key(fv_ctx *ctx, const char *where, fv_layer *l, const char *key, const char *value)
{
    const fv_layer_key *best = NULL;
    int best_d = 3;
    for (const fv_layer_key *k = l->type->keys; k->name; k++) {
        if (strcmp(k->name, key) == 0) return set_value(ctx, where, l, k, value);
        int d = distance(k->name, key);
        if (d < best_d) best_d = d, best = k;
    }
    if (best)
        return fv_error(ctx, FV_ERR_ARG, "%s%s '%s': unknown key '%s' (did you mean '%s'?)", where, l->type->name,
                        l->name, key, best->name);
    return fv_error(ctx, FV_ERR_ARG, "%s%s '%s': unknown key '%s'%s", where, l->type->name, l->name, key,
                    l->type->keys[0].name ? "" : " (this layer takes none)");
}

/* ---- writing values ------------------------------------------------------------------------------- */

fv_status fv_text_append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (*len + n + 1 > c) c *= 2;
        char *b = realloc(*buf, c);
        if (!b) return FV_ERR_NOMEM;
        *buf = b, *cap = c;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return FV_OK;
}

/* The shortest text that reads back as the same float: 0.01, not 0.00999999978. */
static void shortest_float(float f, char *out, size_t size)
{
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(out, size, "%.*g", digits, f);
        if (strtof(out, NULL) == f) break;
    }
}

static void format_ints(char *out, size_t size, const int64_t *v, int n, const char *sep)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%lld", i ? sep : "", (long long)v[i]);
}

void fv_layer_format_value(const fv_layer_attrs *a, const fv_layer_key *k, char *out, size_t size)
{
    const void *field = (const char *)a + k->offset;
    const int *p = field;
    switch (k->kind) {
    case FV_K_INT: snprintf(out, size, "%d", *p); break;
    case FV_K_PAIR:
        if (p[0] == p[1]) snprintf(out, size, "%d", p[0]);
        else snprintf(out, size, "%dx%d", p[0], p[1]);
        break;
    case FV_K_PAD:
        if (a->pad_mode != FV_PAD_EXPLICIT) snprintf(out, size, "%s", a->pad_mode == FV_PAD_SAME ? "same" : "valid");
        else if (p[0] == p[1] && p[1] == p[2] && p[2] == p[3]) snprintf(out, size, "%d", p[0]);
        else if (p[0] == p[2] && p[1] == p[3]) snprintf(out, size, "%dx%d", p[0], p[1]);
        else snprintf(out, size, "%dx%dx%dx%d", p[0], p[1], p[2], p[3]);
        break;
    case FV_K_FLOAT: shortest_float(*(const float *)field, out, size); break;
    case FV_K_BOOL: snprintf(out, size, "%s", *(const bool *)field ? "true" : "false"); break;
    case FV_K_SHAPE:
        if (a->ndim == 0) snprintf(out, size, "scalar");
        else format_ints(out, size, a->shape, a->ndim, "x");
        break;
    case FV_K_AXIS: snprintf(out, size, "%d", *p); break;
    case FV_K_INTS: {
        const fv_int_list *list = field;
        format_ints(out, size, list->v, list->n, ",");
        break;
    }
    case FV_K_FLOATS: {
        const fv_float_list *list = field;
        size_t used = 0;
        out[0] = '\0';
        for (int i = 0; i < list->n && used < size; i++) {
            char one[32];
            shortest_float(list->v[i], one, sizeof one);
            used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", one);
        }
        break;
    }
    case FV_K_CHOICE: snprintf(out, size, "%s", k->choices[*p]); break;
    case FV_K_TEXT: snprintf(out, size, "%s", (const char *)field); break;
    case FV_K_MODE: snprintf(out, size, "%s", a->mode == FV_RESIZE_BILINEAR ? "bilinear" : "nearest"); break;
    }
}

fv_status fv_layer_write_keys(const fv_layer *l, char **buf, size_t *len, size_t *cap)
{
    fv_layer_attrs defaults;
    fv_layer_defaults(l->type, &defaults);
    for (const fv_layer_key *k = l->type->keys; k->name; k++) {
        char v[320], d[320], item[360];
        fv_layer_format_value(&l->a, k, v, sizeof v);
        fv_layer_format_value(&defaults, k, d, sizeof d);
        if (!k->required && strcmp(v, d) == 0) continue;
        snprintf(item, sizeof item, " %s=%s", k->name, v);
        if (fv_text_append(buf, len, cap, item) != FV_OK) return FV_ERR_NOMEM;
    }
    return FV_OK;
}
