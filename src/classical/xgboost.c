/* Gradient-boosted trees through libxgboost's C API, with XGBClassifier's objective (multi:softprob over k
 * classes, binary:logistic for two) and the given rounds, depth, learning rate, seed and threads (tree_method
 * hist). The trees are read back from XGBoost's text dump and laid out for the tree_ensemble layer (children
 * after their parent, x < threshold to the left); the base margin is whatever makes the layer's first sample
 * equal XGBoost's own margin, so that no rule about base_score has to be copied. XGBoost runs on one thread
 * unless the options ask for more: its OpenMP threads (libgomp) spin at every barrier, and on our 2 cores beside
 * another busy process 20 rounds on 500 samples took 29 s on two threads against 1.2 s on one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "classical_internal.h"

typedef struct {
    int feature;      /* -1: a leaf */
    float threshold;  /* or the leaf's value */
    int yes, no;
    bool seen;
} dump_node;

/* One tree of the text dump ("0:[f12<0.5] yes=1,no=2,missing=1" / "3:leaf=0.25" lines) into nodes by id. */
static int parse_tree(const char *text, dump_node **out, int *count)
{
    int cap = 0, n = 0;
    dump_node *nodes = NULL;
    for (const char *line = text; *line;) {
        while (*line == '\t' || *line == '\n') line++;
        if (!*line) break;
        char *end;
        long id = strtol(line, &end, 10);
        if (end == line || *end != ':' || id < 0 || id > (1 << 24)) return free(nodes), -1;
        if (id >= cap) {
            int nc = (int)id + 64;
            dump_node *grown = realloc(nodes, (size_t)nc * sizeof *grown);
            if (!grown) return free(nodes), -1;
            memset(grown + cap, 0, (size_t)(nc - cap) * sizeof *grown);
            nodes = grown, cap = nc;
        }
        dump_node *v = &nodes[id];
        const char *p = end + 1;
        if (strncmp(p, "leaf=", 5) == 0) {
            v->feature = -1;
            v->threshold = strtof(p + 5, &end);
        } else if (sscanf(p, "[f%d<%f] yes=%d,no=%d", &v->feature, &v->threshold, &v->yes, &v->no) != 4) {
            return free(nodes), -1;
        }
        v->seen = true;
        if (id + 1 > n) n = (int)id + 1;
        line = strchr(p, '\n');
        if (!line) break;
    }
    *out = nodes, *count = n;
    return 0;
}

/* Lays one parsed tree out at dst (preorder: children after parents), leaves' values in column cls; returns the
 * nodes written or -1 for a malformed tree. */
static int64_t lay_out(const dump_node *nodes, int count, int64_t d, float *dst_nodes, float *dst_values, int64_t at,
                       int k, int cls)
{
    int *stack = malloc((size_t)(count + 1) * sizeof *stack);
    int64_t *slot = malloc((size_t)(count + 1) * sizeof *slot);
    int64_t m = 0;
    int top = 0;
    if (!stack || !slot) return free(stack), free(slot), -1;
    stack[top] = 0, slot[top++] = at + m++;
    while (top > 0 && m >= 0) {
        top--;
        int id = stack[top];
        int64_t here = slot[top];
        const dump_node *v = id < count ? &nodes[id] : NULL;
        float *row = dst_nodes + here * 4;
        if (!v || !v->seen) m = -1;
        else if (v->feature < 0) {
            row[0] = -1, row[1] = 0, row[2] = row[3] = -1;
            dst_values[here * k + cls] = v->threshold;
        } else if (v->feature >= d || m + 2 > count || v->yes >= count || v->no >= count) m = -1;
        else {
            int64_t yes = at + m++, no = at + m++;
            row[0] = (float)v->feature, row[1] = v->threshold, row[2] = (float)yes, row[3] = (float)no;
            stack[top] = v->no, slot[top++] = no;
            stack[top] = v->yes, slot[top++] = yes;
        }
    }
    free(stack), free(slot);
    return m;
}

static fv_status xgb_error(fv_ctx *ctx, const char *what)
{
    return fv_error(ctx, FV_ERR_ARG, "xgboost: %s: %s", what, XGBGetLastError());
}

fv_status fv_fit_xgboost(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out)
{
    fv_ctx *ctx = data->ctx;
    int64_t n = data->n, d = data->d;
    int k = data->k, per_round = k > 2 ? k : 1;
    DMatrixHandle dm = NULL;
    BoosterHandle bst = NULL;
    float *labels = malloc((size_t)n * sizeof *labels);
    if (!labels) return fv_error(ctx, FV_ERR_NOMEM, "out of memory for the labels");
    for (int64_t i = 0; i < n; i++) labels[i] = (float)data->y[i];
    fv_status s = FV_OK;
    char buf[64];
    if (XGDMatrixCreateFromMat(data->x, (bst_ulong)n, (bst_ulong)d, NAN, &dm) ||
        XGDMatrixSetFloatInfo(dm, "label", labels, (bst_ulong)n) || XGBoosterCreate(&dm, 1, &bst))
        s = xgb_error(ctx, "cannot hold the features");
    const char *params[][2] = {{"objective", k > 2 ? "multi:softprob" : "binary:logistic"}, {"tree_method", "hist"},
                               {"verbosity", "0"}};
    for (size_t i = 0; !s && i < sizeof params / sizeof *params; i++)
        if (XGBoosterSetParam(bst, params[i][0], params[i][1])) s = xgb_error(ctx, params[i][0]);
    struct { const char *name; double v; } nums[] = {{"num_class", k > 2 ? k : 0}, {"max_depth", o->max_depth},
                                                     {"eta", o->learning_rate}, {"seed", (double)(o->seed & 0x7fffffff)},
                                                     {"nthread", o->threads > 0 ? o->threads : 1}};
    for (size_t i = 0; !s && i < sizeof nums / sizeof *nums; i++) {
        if (nums[i].v == 0 && strcmp(nums[i].name, "num_class") == 0) continue;
        snprintf(buf, sizeof buf, "%.17g", nums[i].v);
        if (XGBoosterSetParam(bst, nums[i].name, buf)) s = xgb_error(ctx, nums[i].name);
    }
    for (int it = 0; !s && it < o->trees; it++)
        if (XGBoosterUpdateOneIter(bst, it, dm)) s = xgb_error(ctx, "boosting");
    bst_ulong n_trees = 0, n_pred = 0;
    const char **dump = NULL;
    const float *pred = NULL;
    if (!s && XGBoosterDumpModelEx(bst, "", 0, "text", &n_trees, &dump)) s = xgb_error(ctx, "reading the trees back");
    if (!s && n_trees != (bst_ulong)o->trees * (bst_ulong)per_round)
        s = fv_error(ctx, FV_ERR_STATE, "xgboost: %llu trees, expected %d", (unsigned long long)n_trees, o->trees * per_round);
    /* the margins of every sample (option 1), for the base margin */
    if (!s && XGBoosterPredict(bst, dm, 1, 0, 0, &n_pred, &pred)) s = xgb_error(ctx, "margins");
    dump_node **trees = s ? NULL : calloc((size_t)n_trees, sizeof *trees);
    int *counts = s ? NULL : calloc((size_t)n_trees, sizeof *counts);
    int64_t total = 0;
    if (!s && (!trees || !counts)) s = fv_error(ctx, FV_ERR_NOMEM, "out of memory reading the trees");
    for (bst_ulong t = 0; !s && t < n_trees; t++) {
        if (parse_tree(dump[t], &trees[t], &counts[t]))
            s = fv_error(ctx, FV_ERR_STATE, "xgboost: cannot read tree %llu of its dump", (unsigned long long)t);
        else total += counts[t];
    }
    if (!s && total >= (1 << 24)) s = fv_error(ctx, FV_ERR_ARG, "xgboost: %lld nodes, more than 2^24", (long long)total);
    if (!s) {
        out->spec = fv_spec_of_type("tree_ensemble", NULL);
        out->spec.a.units = k, out->spec.a.filters = (int)n_trees, out->spec.a.size = (int)total, out->spec.a.choice[0] = 0;
        fv_tensor *nodes = out->values[0] = fv_head_tensor(ctx, 2, total, 4);
        fv_tensor *values = out->values[1] = fv_head_tensor(ctx, 2, total, k);
        fv_tensor *roots = out->values[2] = fv_head_tensor(ctx, 1, (int64_t)n_trees, 0);
        fv_tensor *bias = out->values[3] = fv_head_tensor(ctx, 1, k, 0);
        if (!nodes || !values || !roots || !bias) s = fv_errcode(ctx);
        int64_t at = 0;
        for (bst_ulong t = 0; !s && t < n_trees; t++) {
            int cls = k > 2 ? (int)(t % (bst_ulong)k) : 1;
            int64_t m = lay_out(trees[t], counts[t], d, fv_f32(nodes), fv_f32(values), at, k, cls);
            if (m < 0) s = fv_error(ctx, FV_ERR_STATE, "xgboost: tree %llu of its dump is malformed", (unsigned long long)t);
            fv_f32(roots)[t] = (float)at;
            at += m;
        }
        if (!s) { /* bias = XGBoost's margin of sample 0 minus the sum of its leaves */
            double sum[2] = {0};
            for (int c = 0; c < k; c++) {
                double leaves = 0;
                for (bst_ulong t = 0; t < n_trees; t++) {
                    int64_t v = (int64_t)fv_f32(roots)[t];
                    while (fv_f32(nodes)[v * 4] >= 0) {
                        const float *row = fv_f32(nodes) + v * 4;
                        v = data->x[(int64_t)row[0]] < row[1] ? (int64_t)row[2] : (int64_t)row[3];
                    }
                    leaves += fv_f32(values)[v * k + c];
                }
                if (k > 2) fv_f32(bias)[c] = (float)(pred[c] - leaves);
                else sum[c] = leaves;
            }
            if (k == 2) fv_f32(bias)[1] = (float)(pred[0] - sum[1]);
        }
    }
    for (bst_ulong t = 0; trees && t < n_trees; t++) free(trees[t]);
    free(trees), free(counts), free(labels);
    if (bst) XGBoosterFree(bst);
    if (dm) XGDMatrixFree(dm);
    return s;
}
