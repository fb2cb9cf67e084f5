/* Operators of the classical heads fitted on network features (src/classical): Gaussian naive Bayes, an RBF
 * support vector machine and tree ensembles. They are inference only: no backward (fv_graph_backward refuses a
 * path through them, naming the node), and their parameters are buffers. Since a model file may be hostile,
 * forward checks what the kernels would index by (support vector counts, tree nodes) before running them. */
#include <math.h>
#include <stdlib.h>

#include "../graph/graph_internal.h"
#include "../kernels/ref/classical.h"
#include "fovea/classical.h"

typedef struct {
    int classes;
} nb_attr;

typedef struct {
    int classes;
    double gamma;
} svm_attr;

typedef struct {
    int classes;
    int combine;
} tree_attr;

/* Input i must be float32 with the given shape (-1: any size in that dimension). */
static fv_status expect_shape(fv_graph *g, const fv_node *n, int i, int ndim, const int64_t *shape, const char *what)
{
    fv_status s = fv_expect(g, n, i, ndim, what);
    if (s) return s;
    const fv_tensor *t = &n->in[i]->value;
    for (int d = 0; d < ndim; d++)
        if (shape[d] >= 0 && t->shape[d] != shape[d])
            return fv_node_error(g, n, FV_ERR_SHAPE, "%s has shape %s; dimension %d should be %lld", what, fv_dims(t), d,
                                 (long long)shape[d]);
    return FV_OK;
}

static fv_status expect_features(fv_graph *g, fv_node *n, int classes)
{
    fv_status s = fv_expect(g, n, 0, 2, "input x (N, features)");
    if (s) return s;
    if (classes < 2) return fv_node_error(g, n, FV_ERR_ARG, "classes %d must be at least 2", classes);
    return FV_OK;
}

/* ---- Gaussian naive Bayes: x, mean (K, D), var (K, D), prior (K) ------------------------------------------- */

static fv_status nb_infer(fv_graph *g, fv_node *n)
{
    const nb_attr *at = n->attr;
    fv_status s = expect_features(g, n, at->classes);
    if (s) return s;
    int64_t k = at->classes, d = n->in[0]->value.shape[1];
    if ((s = expect_shape(g, n, 1, 2, (int64_t[]){k, d}, "mean")) || (s = expect_shape(g, n, 2, 2, (int64_t[]){k, d}, "var")) ||
        (s = expect_shape(g, n, 3, 1, &k, "prior")))
        return s;
    fv_node_set_shape(n, FV_F32, 2, (int64_t[]){n->in[0]->value.shape[0], k});
    return FV_OK;
}

static fv_status nb_forward(fv_graph *g, fv_node *n)
{
    const fv_tensor *x = &n->in[0]->value, *var = &n->in[2]->value, *prior = &n->in[3]->value;
    for (int64_t i = 0; i < var->size; i++)
        if (!(fv_f32(var)[i] > 0) || !isfinite(fv_f32(var)[i]))
            return fv_node_error(g, n, FV_ERR_ARG, "variance %lld is %g; variances must be positive and finite",
                                 (long long)i, (double)fv_f32(var)[i]);
    for (int64_t i = 0; i < prior->size; i++)
        if (!(fv_f32(prior)[i] > 0) || fv_f32(prior)[i] > 1)
            return fv_node_error(g, n, FV_ERR_ARG, "prior of class %lld is %g; priors must be in (0, 1]", (long long)i,
                                 (double)fv_f32(prior)[i]);
    fv_ref_gaussian_nb(fv_f32(&n->value), fv_f32(x), fv_f32(&n->in[1]->value), fv_f32(var), fv_f32(prior),
                       x->shape[0], x->shape[1], prior->size);
    return FV_OK;
}

const fv_op_def fv_op_gaussian_nb = {"gaussian_nb", nb_infer, nb_forward, NULL, false};

fv_node *fv_gaussian_nb(fv_graph *g, fv_node *x, fv_node *mean, fv_node *var, fv_node *prior, int classes)
{
    nb_attr at = {classes};
    return fv_graph_add(g, FV_OP_GAUSSIAN_NB, (fv_node *[]){x, mean, var, prior}, 4, 4, &at, sizeof at);
}

/* ---- RBF SVM: x, support vectors (S, D), dual coefficients (K-1, S), intercepts (K(K-1)/2), counts (K) ------ */

static fv_status svm_infer(fv_graph *g, fv_node *n)
{
    const svm_attr *at = n->attr;
    fv_status s = expect_features(g, n, at->classes);
    if (s) return s;
    if (!(at->gamma > 0) || !isfinite(at->gamma)) return fv_node_error(g, n, FV_ERR_ARG, "gamma %g must be positive", at->gamma);
    int64_t k = at->classes, d = n->in[0]->value.shape[1], pairs = k * (k - 1) / 2;
    if ((s = expect_shape(g, n, 1, 2, (int64_t[]){-1, d}, "support vectors")))
        return s;
    int64_t sv = n->in[1]->value.shape[0];
    if ((s = expect_shape(g, n, 2, 2, (int64_t[]){k - 1, sv}, "dual coefficients")) ||
        (s = expect_shape(g, n, 3, 1, &pairs, "intercepts")) || (s = expect_shape(g, n, 4, 1, &k, "class counts")))
        return s;
    fv_node_set_shape(n, FV_F32, 2, (int64_t[]){n->in[0]->value.shape[0], k});
    return FV_OK;
}

static fv_status svm_forward(fv_graph *g, fv_node *n)
{
    const svm_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value, *counts = &n->in[4]->value;
    int64_t k = at->classes, sv = n->in[1]->value.shape[0];
    int64_t *first = malloc((size_t)(2 * k) * sizeof *first);
    double *scratch = malloc((size_t)(sv + 2 * k) * sizeof *scratch);
    if (!first || !scratch) {
        free(first), free(scratch);
        return fv_node_error(g, n, FV_ERR_NOMEM, "out of memory for %lld support vectors", (long long)sv);
    }
    int64_t *count = first + k, total = 0;
    for (int64_t c = 0; c < k; c++) {
        float v = fv_f32(counts)[c];
        if (!(v >= 0 && v <= (float)(sv - total)) || v != floorf(v)) {
            free(first), free(scratch);
            return fv_node_error(g, n, FV_ERR_ARG, "class %lld counts %g support vectors; the counts must be whole "
                                 "numbers adding up to the %lld vectors", (long long)c, (double)v, (long long)sv);
        }
        first[c] = total, count[c] = (int64_t)v, total += count[c];
    }
    if (total != sv) {
        free(first), free(scratch);
        return fv_node_error(g, n, FV_ERR_ARG, "the class counts add up to %lld support vectors, not %lld",
                             (long long)total, (long long)sv);
    }
    fv_ref_svm_rbf(fv_f32(&n->value), fv_f32(x), fv_f32(&n->in[1]->value), fv_f32(&n->in[2]->value),
                   fv_f32(&n->in[3]->value), first, count, x->shape[0], x->shape[1], sv, k, at->gamma, scratch);
    free(first), free(scratch);
    return FV_OK;
}

const fv_op_def fv_op_svm_rbf = {"svm_rbf", svm_infer, svm_forward, NULL, false};

fv_node *fv_svm_rbf(fv_graph *g, fv_node *x, fv_node *vectors, fv_node *coef, fv_node *intercept, fv_node *counts,
                    int classes, double gamma)
{
    svm_attr at = {classes, gamma};
    return fv_graph_add(g, FV_OP_SVM_RBF, (fv_node *[]){x, vectors, coef, intercept, counts}, 5, 5, &at, sizeof at);
}

/* ---- tree ensembles: x, nodes (M, 4), leaf values (M, K), roots (T), bias (K) -------------------------------- */

static fv_status tree_infer(fv_graph *g, fv_node *n)
{
    const tree_attr *at = n->attr;
    fv_status s = expect_features(g, n, at->classes);
    if (s) return s;
    if (at->combine < 0 || at->combine > 1) return fv_node_error(g, n, FV_ERR_ARG, "combine %d is not 0 or 1", at->combine);
    int64_t k = at->classes;
    if ((s = expect_shape(g, n, 1, 2, (int64_t[]){-1, 4}, "nodes (M, 4)"))) return s;
    int64_t m = n->in[1]->value.shape[0];
    if ((s = expect_shape(g, n, 2, 2, (int64_t[]){m, k}, "leaf values")) || (s = expect_shape(g, n, 3, 1, (int64_t[]){-1}, "roots")) ||
        (s = expect_shape(g, n, 4, 1, &k, "bias")))
        return s;
    fv_node_set_shape(n, FV_F32, 2, (int64_t[]){n->in[0]->value.shape[0], k});
    return FV_OK;
}

/* A whole number in [lo, hi). */
static bool index_in(float v, int64_t lo, int64_t hi)
{
    return v >= (float)lo && v < (float)hi && v == floorf(v) && (int64_t)v >= lo && (int64_t)v < hi;
}

static fv_status tree_check(fv_ctx *ctx, const char *name, const float *nodes, int64_t m, const float *roots, int64_t t,
                        int64_t d, int64_t *root_index)
{
    for (int64_t i = 0; i < t; i++) {
        if (!index_in(roots[i], 0, m))
            return fv_error(ctx, FV_ERR_ARG, "tree_ensemble '%s': tree %lld starts at node %g, outside the %lld nodes",
                            name, (long long)i, (double)roots[i], (long long)m);
        root_index[i] = (int64_t)roots[i];
    }
    /* children come after their parent, so every walk ends */
    for (int64_t v = 0; v < m; v++) {
        const float *node = nodes + v * 4;
        if (node[0] == -1) continue;
        if (!index_in(node[0], 0, d) || !index_in(node[2], v + 1, m) || !index_in(node[3], v + 1, m) || isnan(node[1]))
            return fv_error(ctx, FV_ERR_ARG, "tree_ensemble '%s': node %lld (feature %g, threshold %g, children %g and "
                            "%g) is neither a leaf (feature -1) nor a split of one of the %lld features into two later "
                            "nodes", name, (long long)v, (double)node[0], (double)node[1], (double)node[2], (double)node[3],
                            (long long)d);
    }
    return FV_OK;
}

static fv_status tree_forward(fv_graph *g, fv_node *n)
{
    const tree_attr *at = n->attr;
    const fv_tensor *x = &n->in[0]->value, *nodes = &n->in[1]->value, *roots = &n->in[3]->value;
    int64_t t = roots->size, k = at->classes;
    int64_t *root_index = malloc((size_t)t * sizeof *root_index);
    double *scratch = malloc((size_t)k * sizeof *scratch);
    fv_status s = root_index && scratch ? FV_OK : fv_node_error(g, n, FV_ERR_NOMEM, "out of memory for %lld trees", (long long)t);
    if (!s) s = tree_check(g->ctx, n->name, fv_f32(nodes), nodes->shape[0], fv_f32(roots), t, x->shape[1], root_index);
    if (!s)
        fv_ref_tree_ensemble(fv_f32(&n->value), fv_f32(x), fv_f32(nodes), fv_f32(&n->in[2]->value), root_index,
                             fv_f32(&n->in[4]->value), x->shape[0], x->shape[1], t, k, at->combine, scratch);
    free(root_index), free(scratch);
    return s;
}

const fv_op_def fv_op_tree_ensemble = {"tree_ensemble", tree_infer, tree_forward, NULL, false};

fv_node *fv_tree_ensemble(fv_graph *g, fv_node *x, fv_node *nodes, fv_node *values, fv_node *roots, fv_node *bias,
                          int classes, int combine)
{
    tree_attr at = {classes, combine};
    return fv_graph_add(g, FV_OP_TREE_ENSEMBLE, (fv_node *[]){x, nodes, values, roots, bias}, 5, 5, &at, sizeof at);
}
