/* Models to and from model files: the description text, every parameter and buffer by name, class names
 * and input normalization as metadata. Loading checks the whole file against the description before any
 * model is returned. A path that is not a model file is read as a description text. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/internal.h"
#include "../nn/class_names.h"
#include "fovea/model.h"
#include "fovea/modelfile.h"
#include "fovea/onnx.h"
#include "preprocess_meta.h"

#define META_CLASSES "class_names"
#define META_MEAN "normalization.mean"
#define META_STD "normalization.std"
#define META_FROZEN "frozen_layers" /* fine-tuning's frozen layers, comma-separated */
#define META_SCALE "preprocess.scale"   /* only when not 1/255 */
#define META_ORDER "preprocess.order"   /* "bgr"; absent: RGB */
#define META_RESIZE "preprocess.resize" /* "shorter 256", "pad", "stretch 256"; absent: stretch */
#define MAX_DESCRIPTION (16u << 20)
#define FV_MODEL_MAX_NORM_TEXT (FV_MODEL_MAX_NORM_CHANNELS * 24)

static fv_status put_floats(fv_modelfile *mf, const char *key, const float *v, int n)
{
    char buf[FV_MODEL_MAX_NORM_TEXT];
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%.9g", i ? "," : "", v[i]);
    return fv_modelfile_meta_set(mf, key, buf);
}

static fv_status put_classes(fv_modelfile *mf, const fv_model *m)
{
    size_t len = 0;
    int n = 0;
    while (fv_model_class_name(m, n)) len += strlen(fv_model_class_name(m, n++)) + 1;
    if (!n) return FV_OK;
    char *buf = malloc(len + 1);
    if (!buf) return fv_error(fv_model_ctx(m), FV_ERR_NOMEM, "out of memory saving class names");
    size_t at = 0; /* appended by position: strcat would rescan the text, quadratic in the classes */
    for (int i = 0; i < n; i++) {
        size_t k = strlen(fv_model_class_name(m, i));
        if (i) buf[at++] = '\n';
        memcpy(buf + at, fv_model_class_name(m, i), k);
        at += k;
    }
    buf[at] = '\0';
    fv_status s = fv_modelfile_meta_set(mf, META_CLASSES, buf);
    free(buf);
    return s;
}

static fv_status put_frozen(fv_modelfile *mf, const fv_model *m)
{
    char *frozen = fv_model_frozen_layers(m);
    if (!frozen) return fv_error(fv_model_ctx(m), FV_ERR_NOMEM, "out of memory saving the frozen layers");
    fv_status s = *frozen ? fv_modelfile_meta_set(mf, META_FROZEN, frozen) : FV_OK;
    free(frozen);
    return s;
}

/* The frozen layers of a file, frozen again (a name the description lacks makes the file corrupt). */
static fv_status load_frozen(fv_model *m, const fv_modelfile *mf, const char *path)
{
    const char *frozen = fv_modelfile_meta_get(mf, META_FROZEN);
    if (!frozen || !*frozen) return FV_OK;
    if (fv_model_freeze(m, frozen, NULL, NULL) == FV_OK) return FV_OK;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", fv_errmsg(fv_model_ctx(m)));
    return fv_error(fv_model_ctx(m), FV_ERR_FORMAT, "model file %s: its frozen layers: %s", path, msg);
}

static const char *const resize_rules[] = {"stretch", "shorter", "pad"};

fv_status fv_preprocess_to_meta(fv_modelfile *mf, const fv_model *m)
{
    fv_preprocess p;
    if (!fv_model_preprocess(m, &p)) return FV_OK;
    fv_status s = FV_OK;
    if (p.channels) s = put_floats(mf, META_MEAN, p.mean, p.channels);
    if (!s && p.channels) s = put_floats(mf, META_STD, p.std, p.channels);
    if (!s && fabs(255.0 * (double)p.scale - 1.0) >= 1e-6) s = put_floats(mf, META_SCALE, &p.scale, 1);
    if (!s && p.bgr) s = fv_modelfile_meta_set(mf, META_ORDER, "bgr");
    if (!s && (p.resize != FV_RESIZE_STRETCH || p.resize_size)) {
        char text[32];
        snprintf(text, sizeof text, p.resize_size ? "%s %d" : "%s", resize_rules[p.resize], p.resize_size);
        s = fv_modelfile_meta_set(mf, META_RESIZE, text);
    }
    return s;
}

fv_modelfile *fv_model_to_modelfile(const fv_model *m)
{
    if (!m) return NULL;
    fv_ctx *ctx = fv_model_ctx(m);
    fv_modelfile *mf = fv_modelfile_new(ctx);
    char *desc = fv_model_describe(m);
    fv_status s = mf && desc ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory saving model '%s'", fv_model_name(m));
    if (!s) s = fv_modelfile_set_description(mf, desc);
    if (!s) s = fv_modelfile_meta_set(mf, "created_by", "fovea");
    if (!s) s = put_classes(mf, m);
    if (!s) s = put_frozen(mf, m);
    if (!s) s = fv_preprocess_to_meta(mf, m);
    for (int i = 0; !s && i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        s = fv_modelfile_add_tensor(mf, p->name, &p->value);
    }
    free(desc);
    if (s) {
        fv_modelfile_free(mf);
        return NULL;
    }
    return mf;
}

fv_status fv_model_save(const fv_model *m, const char *path)
{
    if (!m || !path) return FV_ERR_ARG;
    fv_modelfile *mf = fv_model_to_modelfile(m);
    if (!mf) return fv_errcode(fv_model_ctx(m));
    fv_status s = fv_modelfile_save(fv_model_ctx(m), mf, path);
    fv_modelfile_free(mf);
    return s;
}

/* A weight of NaN or infinity turns every prediction into NaN or a confident guess: refused unless the
 * context allows it (fv_ctx_allow_nonfinite, the CLI's --allow-nonfinite). */
static fv_status check_finite(fv_ctx *ctx, const char *path, const char *name, const fv_tensor *t)
{
    const float *x = t->data;
    if (fv_ctx_nonfinite_allowed(ctx) || t->dtype != FV_F32) return FV_OK;
    for (int64_t i = 0; i < t->size; i++)
        if (!isfinite(x[i]))
            return fv_error(ctx, FV_ERR_NUMERIC, "model file %s: parameter '%s' holds a non-finite value: element %lld "
                            "is %g (load it anyway with --allow-nonfinite)", path, name, (long long)i, x[i]);
    return FV_OK;
}

fv_status fv_model_load_weights(fv_model *m, const fv_modelfile *mf, const char *path)
{
    fv_ctx *ctx = fv_model_ctx(m);
    int n = fv_model_param_count(m);
    /* Check everything first, so that a bad file changes nothing. */
    for (int i = 0; i < n; i++) {
        fv_param *p = fv_model_param(m, i);
        const fv_tensor *t = fv_modelfile_find_tensor(mf, p->name);
        if (!t) return fv_error(ctx, FV_ERR_FORMAT, "model file %s has no tensor '%s'", path, p->name);
        bool same = t->dtype == p->value.dtype && t->ndim == p->value.ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == p->value.shape[d];
        if (!same)
            return fv_error(ctx, FV_ERR_FORMAT, "model file %s: tensor '%s' has a shape or type that does not match "
                            "the model's (%lld %s elements stored, %lld %s expected)", path, p->name, (long long)t->size,
                            fv_dtype_name(t->dtype), (long long)p->value.size, fv_dtype_name(p->value.dtype));
        fv_status s = check_finite(ctx, path, p->name, t);
        if (s) return s;
    }
    for (int i = 0; i < fv_modelfile_tensor_count(mf); i++) {
        const char *name;
        fv_modelfile_tensor_at(mf, i, &name);
        if (!fv_model_find_param(m, name))
            return fv_error(ctx, FV_ERR_FORMAT, "model file %s: tensor '%s' belongs to no layer of the model", path, name);
    }
    for (int i = 0; i < n; i++) {
        fv_param *p = fv_model_param(m, i);
        const fv_tensor *t = fv_modelfile_find_tensor(mf, p->name);
        memcpy(p->value.data, t->data, (size_t)t->size * fv_dtype_size(t->dtype));
    }
    return FV_OK;
}

static int get_floats(const char *text, float *out, int max)
{
    int n = 0;
    for (const char *p = text; p && *p && n < max; n++) {
        char *end;
        out[n] = strtof(p, &end);
        if (end == p) return -1;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
}

/* The model's own message about stored metadata (a count, a normalization), put in the file's name. */
static fv_status in_file(fv_ctx *ctx, fv_status s, const char *path)
{
    if (!s || s == FV_ERR_NOMEM) return s;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", fv_errmsg(ctx));
    return fv_error(ctx, FV_ERR_FORMAT, "model file %s: %s", path, msg);
}

static fv_status load_meta(fv_model *m, const fv_modelfile *mf, const char *path)
{
    fv_ctx *ctx = fv_model_ctx(m);
    const char *classes = fv_modelfile_meta_get(mf, META_CLASSES);
    if (classes) {
        char *copy = strdup(classes);
        int n = 1;
        for (const char *c = classes; *c; c++) n += *c == '\n';
        const char **names = calloc((size_t)n, sizeof *names);
        if (!copy || !names) {
            free(copy), free(names);
            return fv_error(ctx, FV_ERR_NOMEM, "out of memory reading class names of %s", path);
        }
        int k = 0;
        for (char *s = copy, *nl; s; s = nl) {
            nl = strchr(s, '\n');
            if (nl) *nl++ = '\0';
            names[k++] = s;
        }
        fv_status s = fv_model_load_class_names(m, names, k);
        free(copy), free(names);
        if (s) return in_file(ctx, s, path);
    }
    return fv_preprocess_from_meta(m, mf, path, "model file ");
}

fv_status fv_preprocess_from_meta(fv_model *m, const fv_modelfile *mf, const char *path, const char *what)
{
    fv_ctx *ctx = fv_model_ctx(m);
    const char *mean = fv_modelfile_meta_get(mf, META_MEAN), *std = fv_modelfile_meta_get(mf, META_STD);
    const char *scale = fv_modelfile_meta_get(mf, META_SCALE), *order = fv_modelfile_meta_get(mf, META_ORDER);
    const char *resize = fv_modelfile_meta_get(mf, META_RESIZE);
    if (!mean && !std && !scale && !order && !resize) return FV_OK;
    fv_preprocess p = fv_preprocess_defaults();
    if (mean || std) {
        int nm = get_floats(mean, p.mean, FV_MODEL_MAX_NORM_CHANNELS), ns = get_floats(std, p.std, FV_MODEL_MAX_NORM_CHANNELS);
        if (!mean || !std || nm <= 0 || nm != ns)
            return fv_error(ctx, FV_ERR_FORMAT, "%s%s: bad input normalization (mean '%.100s', std '%.100s')", what, path,
                            mean ? mean : "", std ? std : "");
        p.channels = nm;
    }
    if (scale && get_floats(scale, &p.scale, 1) != 1)
        return fv_error(ctx, FV_ERR_FORMAT, "%s%s: bad preprocessing scale '%.100s'", what, path, scale);
    if (order && strcmp(order, "bgr") != 0 && strcmp(order, "rgb") != 0)
        return fv_error(ctx, FV_ERR_FORMAT, "%s%s: bad channel order '%.100s' (rgb or bgr)", what, path, order);
    p.bgr = order && !strcmp(order, "bgr");
    if (resize) {
        int rule = -1, size = 0, used = 0;
        char word[16] = "";
        if (sscanf(resize, "%15s%n %d%n", word, &used, &size, &used) >= 1 && resize[used] == '\0')
            for (int r = 0; r < 3; r++)
                if (!strcmp(word, resize_rules[r])) rule = r;
        if (rule < 0 || size < 0 || size > 65536)
            return fv_error(ctx, FV_ERR_FORMAT, "%s%s: bad resize rule '%.100s' (stretch, shorter or pad, and a size)",
                            what, path, resize);
        p.resize = (fv_resize_rule)rule, p.resize_size = size;
    }
    fv_status s = fv_model_set_preprocess(m, &p);
    if (!s || s == FV_ERR_NOMEM) return s;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", fv_errmsg(ctx));
    return fv_error(ctx, FV_ERR_FORMAT, "%s%s: %s", what, path, msg);
}

fv_model *fv_model_from_modelfile(fv_ctx *ctx, const fv_modelfile *mf, const char *path)
{
    if (!ctx || !mf) return NULL;
    fv_model *m = fv_model_parse(ctx, fv_modelfile_description(mf), path);
    if (!m) return NULL;
    if (fv_model_load_weights(m, mf, path) != FV_OK || load_meta(m, mf, path) != FV_OK ||
        load_frozen(m, mf, path) != FV_OK) {
        fv_model_free(m);
        return NULL;
    }
    return m;
}

/* Whether the file starts with the model file's magic. */
static int is_model_file(fv_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fv_error(ctx, FV_ERR_IO, "cannot open model '%s': %s", path, strerror(errno));
        return -1;
    }
    char magic[4] = {0};
    size_t n = fread(magic, 1, 4, f);
    fclose(f);
    return n == 4 && memcmp(magic, "FVMD", 4) == 0;
}

static char *read_text(fv_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fv_error(ctx, FV_ERR_IO, "cannot open model description '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_DESCRIPTION + 1);
    size_t n = buf ? fread(buf, 1, MAX_DESCRIPTION + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (!buf || err || n > MAX_DESCRIPTION || memchr(buf, '\0', n)) {
        fv_error(ctx, buf ? FV_ERR_FORMAT : FV_ERR_NOMEM, "'%s' is neither a fovea model file nor a model description "
                 "(%s)", path, !buf ? "out of memory" : err ? "read error" : n > MAX_DESCRIPTION ? "over 16 MiB"
                 : "binary data");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

fv_model *fv_model_load(fv_ctx *ctx, const char *path)
{
    if (!ctx || !path) return NULL;
    size_t len = strlen(path);
    if (len > 5 && strcasecmp(path + len - 5, ".onnx") == 0) return fv_onnx_load(ctx, path); /* docs/ONNX.md */
    int kind = is_model_file(ctx, path);
    if (kind < 0) return NULL;
    if (kind == 0) {
        char *text = read_text(ctx, path);
        fv_model *m = text ? fv_model_parse(ctx, text, path) : NULL;
        free(text);
        if (m && fv_model_init(m) != FV_OK) {
            fv_model_free(m);
            return NULL;
        }
        return m;
    }
    fv_modelfile *mf = fv_modelfile_load(ctx, path);
    if (!mf) return NULL;
    fv_model *m = fv_model_from_modelfile(ctx, mf, path);
    fv_modelfile_free(mf);
    return m;
}
