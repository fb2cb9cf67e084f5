/* Random forest as scikit-learn's RandomForestClassifier grows it (its defaults): each tree on a bootstrap
 * sample (n draws with replacement, drawn samples weighted by their count), CART splits chosen by the Gini
 * criterion among floor(sqrt(features)) features drawn at each node (constant ones not counted, as scikit-learn
 * draws on until that many non-constant features were tried), thresholds half-way between neighbouring values,
 * grown until pure or min_samples_split / min_samples_leaf / max_depth stop it; a leaf holds its class
 * frequencies and the forest averages them. The random draws are fovea's counter-based generator (seed, tree),
 * so trees grow in parallel and any thread count gives the same forest; they are not scikit-learn's draws, so
 * the same seed gives another forest of the same quality. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/pool.h"
#include "classical_internal.h"

#define FOREST_STREAM UINT64_C(0x666f72657374) /* "forest" */
#define FEATURE_THRESHOLD 1e-7                /* scikit-learn's: values closer than this are not split apart */

typedef struct {
    float *nodes, *values; /* (m, 4) and (m, k) */
    int64_t m, cap;
} tree;

typedef struct {
    float v;
    int32_t i;
} keyed;

typedef struct {
    int64_t start, end, node;
    int depth;
} pending;

typedef struct {
    const fv_head_data *data;
    const fv_head_options *o;
    int max_features;
    tree *trees;
    fv_status *status;
} forest_job;

typedef struct { /* a tree's draws: (seed, stream of the tree, counter) */
    uint64_t seed, stream, next;
} draws;

static uint64_t draw(draws *r, uint64_t bound)
{
    return (uint64_t)(((unsigned __int128)fv_rng_bits(r->seed, r->stream, r->next++) * bound) >> 64);
}

static int by_value(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : x->i - y->i;
}

static int64_t new_node(tree *t, int k)
{
    if (t->m == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 256;
        float *nodes = realloc(t->nodes, (size_t)cap * 4 * sizeof *nodes);
        if (nodes) t->nodes = nodes;
        float *values = realloc(t->values, (size_t)(cap * k) * sizeof *values);
        if (values) t->values = values;
        if (!nodes || !values) return -1;
        t->cap = cap;
    }
    float *n = t->nodes + t->m * 4;
    n[0] = -1, n[1] = 0, n[2] = n[3] = -1;
    memset(t->values + t->m * k, 0, (size_t)k * sizeof(float));
    return t->m++;
}

/* x <= threshold (a double) as x < the float the layer compares with. */
static float strict_threshold(double threshold)
{
    float f = (float)threshold;
    if ((double)f > threshold) f = nextafterf(f, -INFINITY);
    return nextafterf(f, INFINITY);
}

typedef struct {
    int feature;
    double threshold, proxy;
    int64_t pos;
} split;

/* The best Gini split of samples[start, end) over the features drawn for this node. */
static split best_split(const forest_job *job, draws *r, int32_t *samples, int64_t start, int64_t end,
                        const double *weight, keyed *buf, int *features, double *left, double *right)
{
    const fv_head_data *data = job->data;
    int64_t d = data->d, cnt = end - start;
    int k = data->k, min_leaf = job->o->min_samples_leaf;
    split best = {-1, 0, -INFINITY, 0};
    for (int64_t j = 0; j < d; j++) features[j] = (int)j;
    int visited = 0;
    for (int64_t drawn = 0; drawn < d && visited < job->max_features; drawn++) {
        int64_t pick = drawn + (int64_t)draw(r, (uint64_t)(d - drawn));
        int f = features[pick];
        features[pick] = features[drawn], features[drawn] = f;
        for (int64_t s = 0; s < cnt; s++) buf[s] = (keyed){data->x[(int64_t)samples[start + s] * d + f], samples[start + s]};
        qsort(buf, (size_t)cnt, sizeof *buf, by_value);
        if (buf[cnt - 1].v <= buf[0].v + FEATURE_THRESHOLD) continue; /* constant here: not counted */
        visited++;
        double wl = 0, wr = 0;
        for (int c = 0; c < k; c++) left[c] = 0, right[c] = 0;
        for (int64_t s = 0; s < cnt; s++) right[data->y[buf[s].i]] += weight[buf[s].i], wr += weight[buf[s].i];
        for (int64_t p = 1; p < cnt; p++) {
            double w = weight[buf[p - 1].i];
            int c = data->y[buf[p - 1].i];
            left[c] += w, right[c] -= w, wl += w, wr -= w;
            if (buf[p].v <= buf[p - 1].v + FEATURE_THRESHOLD || p < min_leaf || cnt - p < min_leaf) continue;
            double sl = 0, sr = 0;
            for (int q = 0; q < k; q++) sl += left[q] * left[q], sr += right[q] * right[q];
            double proxy = sl / wl + sr / wr;
            if (proxy > best.proxy) {
                double t = buf[p - 1].v / 2.0 + buf[p].v / 2.0;
                if (t == buf[p].v || isinf(t)) t = buf[p - 1].v;
                best = (split){f, t, proxy, p};
            }
        }
    }
    return best;
}

static fv_status grow(const forest_job *job, int64_t index, tree *t)
{
    const fv_head_data *data = job->data;
    const fv_head_options *o = job->o;
    int64_t n = data->n, d = data->d;
    int k = data->k;
    draws r = {o->seed, FOREST_STREAM + (uint64_t)index, 0};
    double *weight = calloc((size_t)n, sizeof *weight), *counts = malloc((size_t)(3 * k) * sizeof *counts);
    int32_t *samples = malloc((size_t)n * sizeof *samples);
    keyed *buf = malloc((size_t)n * sizeof *buf);
    int *features = malloc((size_t)d * sizeof *features);
    pending *stack = malloc((size_t)(2 * n + 2) * sizeof *stack);
    fv_status s = weight && counts && samples && buf && features && stack ? FV_OK : FV_ERR_NOMEM;
    int64_t used = 0, top = 0;
    if (!s) {
        for (int64_t i = 0; i < n; i++) weight[draw(&r, (uint64_t)n)] += 1;
        for (int64_t i = 0; i < n; i++)
            if (weight[i] > 0) samples[used++] = (int32_t)i;
        int64_t root = new_node(t, k);
        if (root < 0) s = FV_ERR_NOMEM;
        else stack[top++] = (pending){0, used, root, 0};
    }
    while (!s && top > 0) {
        pending p = stack[--top];
        double *wc = counts, w = 0, sq = 0;
        for (int c = 0; c < k; c++) wc[c] = 0;
        for (int64_t q = p.start; q < p.end; q++) wc[data->y[samples[q]]] += weight[samples[q]];
        for (int c = 0; c < k; c++) w += wc[c];
        for (int c = 0; c < k; c++) sq += (wc[c] / w) * (wc[c] / w);
        int64_t cnt = p.end - p.start;
        bool leaf = (o->max_depth > 0 && p.depth >= o->max_depth) || cnt < o->min_samples_split ||
                    cnt < 2 * o->min_samples_leaf || 1 - sq <= DBL_EPSILON;
        split b = {-1, 0, 0, 0};
        if (!leaf) b = best_split(job, &r, samples, p.start, p.end, weight, buf, features, counts + k, counts + 2 * k);
        if (b.feature < 0) {
            for (int c = 0; c < k; c++) t->values[p.node * k + c] = (float)(wc[c] / w);
            continue;
        }
        /* samples <= threshold first */
        int64_t lo = p.start, hi = p.end - 1;
        while (lo <= hi) {
            if (data->x[(int64_t)samples[lo] * d + b.feature] <= b.threshold) lo++;
            else {
                int32_t tmp = samples[lo];
                samples[lo] = samples[hi], samples[hi--] = tmp;
            }
        }
        int64_t left = new_node(t, k), right = left >= 0 ? new_node(t, k) : -1;
        if (right < 0) {
            s = FV_ERR_NOMEM;
            break;
        }
        float *node = t->nodes + p.node * 4;
        node[0] = (float)b.feature, node[1] = strict_threshold(b.threshold), node[2] = (float)left, node[3] = (float)right;
        stack[top++] = (pending){lo, p.end, right, p.depth + 1};
        stack[top++] = (pending){p.start, lo, left, p.depth + 1};
    }
    free(weight), free(counts), free(samples), free(buf), free(features), free(stack);
    return s;
}

static void grow_range(void *arg, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    forest_job *job = arg;
    for (int64_t i = begin; i < end; i++) job->status[i] = grow(job, i, &job->trees[i]);
}

fv_status fv_fit_forest(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out)
{
    fv_ctx *ctx = data->ctx;
    if (data->n > 0x7fffffff) return fv_error(ctx, FV_ERR_ARG, "random_forest: at most 2^31 - 1 samples");
    int max_features = (int)floor(sqrt((double)data->d));
    forest_job job = {data, o, max_features > 0 ? max_features : 1, calloc((size_t)o->trees, sizeof(tree)),
                      calloc((size_t)o->trees, sizeof(fv_status))};
    fv_status s = job.trees && job.status ? FV_OK : FV_ERR_NOMEM;
    if (!s) fv_parallel_for(o->threads > 0 ? o->threads : fv_ctx_threads(ctx), o->trees, 1, grow_range, &job);
    int64_t total = 0;
    for (int i = 0; !s && i < o->trees; i++) s = job.status[i], total += job.trees[i].m;
    if (!s && total >= (1 << 24)) /* node indices are stored as floats, exact below 2^24 */
        s = fv_error(ctx, FV_ERR_ARG, "random_forest: %lld nodes, more than 2^24; limit max_depth or raise "
                     "min_samples_leaf", (long long)total);
    if (!s) {
        int k = data->k;
        out->spec = fv_spec_of_type("tree_ensemble", NULL);
        out->spec.a.units = k, out->spec.a.filters = o->trees, out->spec.a.size = (int)total, out->spec.a.choice[0] = 1;
        fv_tensor *nodes = out->values[0] = fv_head_tensor(ctx, 2, total, 4);
        fv_tensor *values = out->values[1] = fv_head_tensor(ctx, 2, total, k);
        fv_tensor *roots = out->values[2] = fv_head_tensor(ctx, 1, o->trees, 0);
        out->values[3] = fv_head_tensor(ctx, 1, k, 0);
        if (!nodes || !values || !roots || !out->values[3]) s = fv_errcode(ctx);
        for (int64_t i = 0, at = 0; !s && i < o->trees; at += job.trees[i++].m) {
            const tree *t = &job.trees[i];
            fv_f32(roots)[i] = (float)at;
            for (int64_t v = 0; v < t->m; v++) {
                float *node = fv_f32(nodes) + (at + v) * 4;
                memcpy(node, t->nodes + v * 4, 4 * sizeof *node);
                if (node[0] >= 0) node[2] += (float)at, node[3] += (float)at;
            }
            memcpy(fv_f32(values) + at * k, t->values, (size_t)(t->m * k) * sizeof(float));
        }
    }
    if (s == FV_ERR_NOMEM && !*fv_errmsg(ctx)) fv_error(ctx, s, "out of memory growing the random forest");
    for (int i = 0; job.trees && i < o->trees; i++) free(job.trees[i].nodes), free(job.trees[i].values);
    free(job.trees), free(job.status);
    return s;
}
