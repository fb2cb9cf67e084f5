/* Classical heads: the options and their defaults, the checks made before any fitting (finite features, labels,
 * the memory estimate against the limit), and appending a fitted head to a model as ordinary layers (an optional
 * standardize layer, then the head's own), whose parameters then hold the fitted values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classical_internal.h"

static const char *const method_names[FV_HEAD_COUNT] = {"logreg", "linear_svm", "svm_rbf", "gaussian_nb",
                                                        "random_forest", "xgboost"};

fv_head_options fv_head_defaults(fv_head_method method)
{
    fv_head_options o;
    memset(&o, 0, sizeof o);
    o.method = method;
    o.C = 1.0;
    o.gamma = FV_GAMMA_SCALE;
    o.cache_mb = 200;
    o.trees = 100;
    o.max_depth = method == FV_HEAD_XGBOOST ? 6 : 0;
    o.min_samples_split = 2;
    o.min_samples_leaf = 1;
    o.learning_rate = 0.3;
    o.var_smoothing = 1e-9;
    return o;
}

int fv_head_method_from_name(const char *name)
{
    for (int i = 0; name && i < FV_HEAD_COUNT; i++)
        if (strcmp(name, method_names[i]) == 0) return i;
    return -1;
}

const char *fv_head_method_name(fv_head_method method)
{
    return method >= 0 && method < FV_HEAD_COUNT ? method_names[method] : "unknown";
}

double fv_head_default_memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? 0.5 * (double)pages * (double)size : 4.0 * (1 << 30);
}

/* The most nodes one tree can have: a leaf holds at least min_samples_leaf samples, and a depth limit caps it. */
static double tree_nodes(const fv_head_options *o, double n)
{
    double leaves = ceil(n / (o->min_samples_leaf > 0 ? o->min_samples_leaf : 1));
    if (o->max_depth > 0 && o->max_depth < 60) leaves = fmin(leaves, ldexp(1.0, o->max_depth));
    return 2 * leaves - 1;
}

double fv_head_memory_estimate(const fv_head_options *o, int64_t n_, int64_t d_, int k)
{
    double n = (double)n_, d = (double)d_, bytes = 0;
    if (o->standardize) bytes += n * d * 4; /* the standardized copy */
    switch (o->method) {
    case FV_HEAD_LOGREG:
    case FV_HEAD_LINEAR_SVM: /* liblinear's nodes (index, value) with the bias, its per-sample vectors, w */
        bytes += n * (d + 2) * 16 + n * 48 + (d + 1) * k * 8 * 3;
        break;
    case FV_HEAD_SVM_RBF: /* libsvm's nodes, the kernel cache, the solver's per-sample vectors, the coefficients */
        bytes += n * (d + 1) * 16 + o->cache_mb * 1048576.0 + n * (128 + 8.0 * k) + n * d * 4;
        break;
    case FV_HEAD_GAUSSIAN_NB:
        bytes += 4.0 * k * d * 8 + n * 8;
        break;
    case FV_HEAD_RANDOM_FOREST: { /* per thread a node's sorted samples; every tree's nodes while fitting and as
                                   * the layer's parameters */
        double nodes = tree_nodes(o, n) * o->trees;
        bytes += n * 64 * 4 + nodes * (4 + k) * 4 * 2 + nodes * 8;
        break;
    }
    case FV_HEAD_XGBOOST: { /* the DMatrix and its histogram index, gradients, predictions, the trees twice */
        double nodes = tree_nodes(o, n) * o->trees * (k > 2 ? k : 1);
        bytes += n * d * (4 + 4 + 4) + n * k * 24 + nodes * (64 + (4.0 + k) * 4 * 2);
        break;
    }
    default: break;
    }
    return bytes;
}

fv_tensor *fv_head_tensor(fv_ctx *ctx, int ndim, int64_t d0, int64_t d1)
{
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, ndim, (int64_t[]){d0, d1});
    if (t) memset(t->data, 0, (size_t)t->size * sizeof(float));
    return t;
}

void fv_head_layer_free(fv_head_layer *l)
{
    for (int i = 0; i < FV_HEAD_MAX_PARAMS; i++) fv_tensor_free(l->values[i]), l->values[i] = NULL;
}

static fv_status check_options(fv_ctx *ctx, const fv_head_options *o)
{
    if (o->method < 0 || o->method >= FV_HEAD_COUNT)
        return fv_error(ctx, FV_ERR_ARG, "classical head: unknown method %d", (int)o->method);
    const char *m = method_names[o->method];
    if (!(o->C > 0) || !isfinite(o->C)) return fv_error(ctx, FV_ERR_ARG, "%s: C %g must be positive", m, o->C);
    if (!(o->gamma > 0 || o->gamma == FV_GAMMA_SCALE || o->gamma == FV_GAMMA_AUTO) || !isfinite(o->gamma))
        return fv_error(ctx, FV_ERR_ARG, "%s: gamma %g must be positive (or scale, auto)", m, o->gamma);
    if (!(o->tol >= 0) || !isfinite(o->tol)) return fv_error(ctx, FV_ERR_ARG, "%s: tol %g must be >= 0", m, o->tol);
    if (!(o->cache_mb > 0) || o->cache_mb > 1e7) return fv_error(ctx, FV_ERR_ARG, "%s: cache %g MB out of range", m, o->cache_mb);
    if (o->trees < 1 || o->trees > 100000) return fv_error(ctx, FV_ERR_ARG, "%s: %d trees (1 to 100000)", m, o->trees);
    if (o->max_depth < 0 || o->max_depth > 1000) return fv_error(ctx, FV_ERR_ARG, "%s: max depth %d (0 to 1000)", m, o->max_depth);
    if (o->method == FV_HEAD_XGBOOST && (o->max_depth < 1 || o->max_depth > 30))
        return fv_error(ctx, FV_ERR_ARG, "%s: max depth %d (1 to 30)", m, o->max_depth);
    if (o->min_samples_split < 2 || o->min_samples_leaf < 1)
        return fv_error(ctx, FV_ERR_ARG, "%s: min_samples_split %d (>= 2), min_samples_leaf %d (>= 1)", m,
                        o->min_samples_split, o->min_samples_leaf);
    if (!(o->learning_rate > 0) || o->learning_rate > 1)
        return fv_error(ctx, FV_ERR_ARG, "%s: learning rate %g must be in (0, 1]", m, o->learning_rate);
    if (!(o->var_smoothing >= 0) || !isfinite(o->var_smoothing))
        return fv_error(ctx, FV_ERR_ARG, "%s: var_smoothing %g must be >= 0", m, o->var_smoothing);
    if (!(o->max_memory_mb >= 0) || !isfinite(o->max_memory_mb))
        return fv_error(ctx, FV_ERR_ARG, "%s: max memory %g MB must be >= 0", m, o->max_memory_mb);
    return FV_OK;
}

/* Finite features, labels in [0, k), every class present: what no method can do without. */
static fv_status check_data(fv_ctx *ctx, const fv_tensor *x, const fv_tensor *labels, int k)
{
    if (!x || x->dtype != FV_F32 || x->ndim != 2 || x->shape[0] < 2)
        return fv_error(ctx, FV_ERR_ARG, "classical head: features must be float32 (samples, features) with at least 2 "
                        "samples, got %s", x ? fv_dtype_name(x->dtype) : "none");
    int64_t n = x->shape[0], d = x->shape[1];
    if (!labels || labels->dtype != FV_I32 || labels->size != n)
        return fv_error(ctx, FV_ERR_ARG, "classical head: labels must be int32, one per sample (%lld)", (long long)n);
    if (k < 2 || k > (1 << 20)) return fv_error(ctx, FV_ERR_ARG, "classical head: %d classes (at least 2)", k);
    const float *v = fv_f32(x);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            if (!isfinite(v[i * d + j]))
                return fv_error(ctx, FV_ERR_NUMERIC, "classical head: feature %lld of sample %lld is %g; the features "
                                "must be finite", (long long)j, (long long)i, (double)v[i * d + j]);
    int64_t *count = calloc((size_t)k, sizeof *count);
    if (!count) return fv_error(ctx, FV_ERR_NOMEM, "out of memory counting %d classes", k);
    fv_status s = FV_OK;
    for (int64_t i = 0; i < n && !s; i++) {
        int32_t c = fv_i32(labels)[i];
        if (c < 0 || c >= k)
            s = fv_error(ctx, FV_ERR_ARG, "classical head: sample %lld has label %d, outside the %d classes", (long long)i, c, k);
        else count[c]++;
    }
    for (int c = 0; c < k && !s; c++)
        if (!count[c])
            s = fv_error(ctx, FV_ERR_ARG, "classical head: class %d has no training sample; every class needs at least one", c);
    free(count);
    return s;
}

/* scikit-learn's StandardScaler (population deviation, 1 for a constant feature), applied as the layer will. */
static fv_status standardize(fv_ctx *ctx, const float *x, int64_t n, int64_t d, fv_head_layer *layer, float **out)
{
    layer->spec = fv_spec_of_type("standardize", NULL);
    fv_tensor *mean = layer->values[0] = fv_head_tensor(ctx, 1, d, 0), *scale = layer->values[1] = fv_head_tensor(ctx, 1, d, 0);
    float *z = *out = mean && scale ? malloc((size_t)(n * d) * sizeof *z) : NULL;
    if (!z) return fv_errcode(ctx) ? fv_errcode(ctx) : fv_error(ctx, FV_ERR_NOMEM, "out of memory standardizing features");
    for (int64_t j = 0; j < d; j++) {
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < n; i++) sum += x[i * d + j];
        double mu = sum / (double)n;
        for (int64_t i = 0; i < n; i++) sq += (x[i * d + j] - mu) * (x[i * d + j] - mu);
        double sd = sqrt(sq / (double)n);
        fv_f32(mean)[j] = (float)mu;
        fv_f32(scale)[j] = sd > 10 * 2.220446049250313e-16 * fabs(mu) && sd > 0 ? (float)sd : 1.0f;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) z[i * d + j] = (x[i * d + j] - fv_f32(mean)[j]) / fv_f32(scale)[j];
    return FV_OK;
}

/* Append a layer reading `from` and copy its fitted values into its parameters. */
static int append(fv_model *m, int from, fv_head_layer *hl, const char *name)
{
    fv_ctx *ctx = fv_model_ctx(m);
    char unique[64];
    snprintf(unique, sizeof unique, "%s", name);
    for (int i = 1; fv_model_find_layer(m, unique) >= 0; i++) snprintf(unique, sizeof unique, "%s_%d", name, i);
    hl->spec.name = unique;
    hl->spec.n_in = 1;
    hl->spec.in[0] = from;
    int idx = fv_model_add_layer(m, &hl->spec);
    if (idx < 0) return -1;
    fv_param *params[FV_HEAD_MAX_PARAMS];
    int np = fv_model_layer_params(m, idx, params, FV_HEAD_MAX_PARAMS);
    for (int j = 0; j < np; j++) {
        const fv_tensor *v = hl->values[j];
        if (!v || v->size != params[j]->value.size) {
            fv_error(ctx, FV_ERR_STATE, "classical head: parameter '%s' of %lld values, fitted %lld", params[j]->name,
                     (long long)params[j]->value.size, v ? (long long)v->size : 0LL);
            return -1;
        }
        memcpy(params[j]->value.data, v->data, (size_t)v->size * sizeof(float));
    }
    return idx;
}

static fv_status fit_method(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out)
{
    switch (o->method) {
    case FV_HEAD_LOGREG:
    case FV_HEAD_LINEAR_SVM: return fv_fit_linear(data, o, out);
    case FV_HEAD_SVM_RBF: return fv_fit_svm_rbf(data, o, out);
    case FV_HEAD_GAUSSIAN_NB: return fv_fit_gaussian_nb(data, o, out);
    case FV_HEAD_RANDOM_FOREST: return fv_fit_forest(data, o, out);
    case FV_HEAD_XGBOOST: return fv_fit_xgboost(data, o, out);
    default: return fv_error(data->ctx, FV_ERR_ARG, "classical head: unknown method %d", (int)o->method);
    }
}

int fv_head_fit(fv_model *m, int from, const fv_tensor *x, const fv_tensor *labels, int k, const fv_head_options *o)
{
    if (!m || !o) return -1;
    fv_ctx *ctx = fv_model_ctx(m);
    if (from < 0) from = fv_model_layer_count(m) - 1;
    if (from < 0 || from >= fv_model_layer_count(m)) {
        fv_error(ctx, FV_ERR_ARG, "classical head: layer %d is not one of the model's %d", from, fv_model_layer_count(m));
        return -1;
    }
    if (check_options(ctx, o) || check_data(ctx, x, labels, k)) return -1;
    int64_t n = x->shape[0], d = x->shape[1], shape[FV_MAX_DIMS];
    int nd = fv_model_layer_shape(m, from, shape);
    if (nd != 1 || shape[0] != d) {
        fv_error(ctx, FV_ERR_SHAPE, "classical head: layer '%s' gives %s%lld values per sample, the features %lld",
                 fv_model_layer_name(m, from), nd != 1 ? "more than a vector of " : "", nd >= 1 ? (long long)shape[0] : 0LL,
                 (long long)d);
        return -1;
    }
    double need = fv_head_memory_estimate(o, n, d, k);
    double limit = o->max_memory_mb > 0 ? o->max_memory_mb * 1048576.0 : fv_head_default_memory_limit();
    if (need > limit) {
        fv_error(ctx, FV_ERR_NOMEM, "%s on %lld samples x %lld features (%d classes) needs about %.0f MiB, more than the "
                 "limit of %.0f MiB (raise it with --max-memory-mb, or use fewer samples or features)",
                 fv_head_method_name(o->method), (long long)n, (long long)d, k, need / 1048576.0, limit / 1048576.0);
        return -1;
    }
    fv_head_layer scaler = {0}, head = {0};
    float *z = NULL;
    fv_status s = o->standardize ? standardize(ctx, fv_f32(x), n, d, &scaler, &z) : FV_OK;
    fv_head_data data = {ctx, z ? z : fv_f32(x), fv_i32(labels), n, d, k};
    if (!s) s = fit_method(&data, o, &head);
    free(z);
    int idx = -1;
    if (!s && o->standardize) from = append(m, from, &scaler, "standardize");
    if (!s && from >= 0) idx = append(m, from, &head, fv_head_method_name(o->method));
    if (idx >= 0 && fv_model_set_outputs(m, &idx, 1) != FV_OK) idx = -1;
    fv_head_layer_free(&scaler), fv_head_layer_free(&head);
    return idx;
}
