/* Layer types of classical heads fitted on network features (src/classical): standardize (scikit-learn's
 * StandardScaler as an exact affine layer), gaussian_nb, svm_rbf and tree_ensemble. Their sizes (classes,
 * support vectors, trees, nodes) are keys, so that a description line makes the parameters' shapes and model
 * files round-trip; the fitted values are buffer parameters (never trained, saved in model files). The heads are
 * inference only (their operators have no backward) and have no ONNX form, so the exporter refuses them by name. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fovea/classical.h"
#include "model_internal.h"

#define KEY(n, k, field, req) {n, k, offsetof(fv_layer_attrs, field), req, NULL}
#define CHOICE(n, field, list) {n, FV_K_CHOICE, offsetof(fv_layer_attrs, field), false, list}

/* In the order of fv_tree_ensemble's combine. */
static const char *const combine_rules[] = {"sum", "log_mean", NULL};

static const fv_layer_key no_keys[] = {{NULL}};
static const fv_layer_key nb_keys[] = {KEY("classes", FV_K_INT, units, true), {NULL}};
static const fv_layer_key svm_keys[] = {KEY("classes", FV_K_INT, units, true), KEY("vectors", FV_K_INT, size, true),
                                        KEY("gamma", FV_K_FLOAT, alpha, true), {NULL}};
static const fv_layer_key tree_keys[] = {KEY("classes", FV_K_INT, units, true), KEY("trees", FV_K_INT, filters, true),
                                         KEY("nodes", FV_K_INT, size, true), CHOICE("combine", choice[0], combine_rules),
                                         {NULL}};

/* Every parameter starts at zero: the fit fills them. */
static void zero_init(int j, fv_init_spec *spec)
{
    (void)j;
    spec->kind = FV_INIT_ZEROS;
}

/* The features D of an (N, D) input, or -1 after the error. */
static int64_t features_of(fv_model *m, const fv_layer *l, const fv_tensor *in0)
{
    if (in0->ndim == 2 && l->batched) return in0->shape[1];
    char shape[96];
    size_t used = (size_t)snprintf(shape, sizeof shape, "(");
    for (int d = 0; d < in0->ndim && used < sizeof shape; d++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld", d ? ", " : "", (long long)in0->shape[d]);
    if (used < sizeof shape) snprintf(shape + used, sizeof shape - used, ")");
    fv_error(m->ctx, FV_ERR_SHAPE, "%s '%s': needs features (N, D) with the batch first, got an input of shape %s "
             "(flatten or pool it first)", l->type->name, l->name, shape);
    return -1;
}

static bool buffer(fv_model *m, fv_layer *l, const char *name, int ndim, int64_t d0, int64_t d1)
{
    return fv_layer_new_param(m, l, name, FV_PARAM_BUFFER, ndim, (int64_t[]){d0, d1}) != NULL;
}

static fv_status standardize_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    int64_t d = features_of(m, l, in0);
    if (d < 0) return fv_errcode(m->ctx);
    return buffer(m, l, "mean", 1, d, 0) && buffer(m, l, "scale", 1, d, 0) ? FV_OK : fv_errcode(m->ctx);
}

static fv_status nb_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    int64_t d = features_of(m, l, in0), k = l->a.units;
    if (d < 0) return fv_errcode(m->ctx);
    return buffer(m, l, "theta", 2, k, d) && buffer(m, l, "var", 2, k, d) && buffer(m, l, "class_prior", 1, k, 0)
               ? FV_OK : fv_errcode(m->ctx);
}

static fv_status svm_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    int64_t d = features_of(m, l, in0), k = l->a.units, s = l->a.size;
    if (d < 0) return fv_errcode(m->ctx);
    return buffer(m, l, "support_vectors", 2, s, d) && buffer(m, l, "dual_coef", 2, k - 1, s) &&
                   buffer(m, l, "intercept", 1, k * (k - 1) / 2, 0) && buffer(m, l, "n_support", 1, k, 0)
               ? FV_OK : fv_errcode(m->ctx);
}

static fv_status tree_params(fv_model *m, fv_layer *l, const fv_tensor *in0)
{
    int64_t d = features_of(m, l, in0), k = l->a.units, nodes = l->a.size, trees = l->a.filters;
    if (d < 0) return fv_errcode(m->ctx);
    return buffer(m, l, "nodes", 2, nodes, 4) && buffer(m, l, "values", 2, nodes, k) && buffer(m, l, "roots", 1, trees, 0) &&
                   buffer(m, l, "bias", 1, k, 0)
               ? FV_OK : fv_errcode(m->ctx);
}

static fv_node *param(fv_graph *g, const fv_layer *l, int k)
{
    return k < l->n_params ? fv_use_param(g, l->params[k]) : NULL;
}

/* (x - mean) / scale, as StandardScaler.transform: differentiable, so a body can still be trained through it. */
static fv_node *build_standardize(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_node *centred = fv_sub(g, in[0], param(g, l, 0));
    fv_graph_set_next_name(g, l->name);
    return fv_div(g, centred, param(g, l, 1));
}

static fv_node *build_nb(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_node *mean = param(g, l, 0), *var = param(g, l, 1), *prior = param(g, l, 2);
    fv_graph_set_next_name(g, l->name);
    return fv_gaussian_nb(g, in[0], mean, var, prior, l->a.units);
}

static fv_node *build_svm(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_node *sv = param(g, l, 0), *coef = param(g, l, 1), *b = param(g, l, 2), *count = param(g, l, 3);
    fv_graph_set_next_name(g, l->name);
    return fv_svm_rbf(g, in[0], sv, coef, b, count, l->a.units, l->a.alpha);
}

static fv_node *build_tree(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    fv_node *nodes = param(g, l, 0), *values = param(g, l, 1), *roots = param(g, l, 2), *bias = param(g, l, 3);
    fv_graph_set_next_name(g, l->name);
    return fv_tree_ensemble(g, in[0], nodes, values, roots, bias, l->a.units, l->a.choice[0]);
}

const fv_generic_type fv_layers_classical[] = {
    {.base = {"standardize", "StandardScaler", FV_L_GENERIC, 0, 1, 1, no_keys}, .build = build_standardize,
     .make_params = standardize_params, .init = zero_init},
    {.base = {"gaussian_nb", "GaussianNB", FV_L_GENERIC, 0, 1, 1, nb_keys}, .build = build_nb, .make_params = nb_params,
     .init = zero_init},
    {.base = {"svm_rbf", "SVC", FV_L_GENERIC, 0, 1, 1, svm_keys}, .build = build_svm, .make_params = svm_params,
     .init = zero_init},
    {.base = {"tree_ensemble", "TreeEnsemble", FV_L_GENERIC, 0, 1, 1, tree_keys}, .build = build_tree,
     .make_params = tree_params, .init = zero_init},
    {.base = {NULL}},
};
