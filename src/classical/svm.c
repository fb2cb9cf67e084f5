/* The RBF kernel SVM through libsvm, as scikit-learn's SVC calls it (C-SVC, shrinking, tol 1e-3, a 200 MB kernel
 * cache, gamma "scale" = 1 / (features * variance of x)). The samples are handed over grouped by class (a stable
 * sort), which is the grouping libsvm makes itself, so that its classes come in fovea's order and its
 * one-vs-one machines are (0, 1), (0, 2) ... as the svm_rbf layer reads them. */
#include <stdlib.h>
#include <string.h>

#include <libsvm/svm.h>

#include "classical_internal.h"

static void quiet(const char *s) { (void)s; }

double fv_head_gamma(const fv_head_options *o, const float *x, int64_t n, int64_t d)
{
    if (o->gamma > 0) return o->gamma;
    if (o->gamma == FV_GAMMA_AUTO) return 1.0 / (double)d;
    double sum = 0, sq = 0, count = (double)n * (double)d;
    for (int64_t i = 0; i < n * d; i++) sum += x[i];
    double mean = sum / count;
    for (int64_t i = 0; i < n * d; i++) sq += (x[i] - mean) * (x[i] - mean);
    double var = sq / count;
    return var > 0 ? 1.0 / ((double)d * var) : 1.0;
}

fv_status fv_fit_svm_rbf(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out)
{
    fv_ctx *ctx = data->ctx;
    int64_t n = data->n, d = data->d;
    int k = data->k;
    if (n > 0x7fffffff || d >= 0x7fffffff) return fv_error(ctx, FV_ERR_ARG, "libsvm takes at most 2^31 - 1 samples and features");
    int64_t nnz = 0;
    for (int64_t i = 0; i < n * d; i++) nnz += data->x[i] != 0;
    struct svm_problem p = {(int)n, malloc((size_t)n * sizeof(double)), malloc((size_t)n * sizeof(struct svm_node *))};
    struct svm_node *pool = malloc((size_t)(nnz + n) * sizeof *pool);
    int64_t *first = calloc((size_t)k + 1, sizeof *first);
    fv_status s = p.y && p.x && pool && first ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory copying features for libsvm");
    struct svm_model *sm = NULL;
    if (!s) { /* rows grouped by class, each class in the data's order */
        for (int64_t i = 0; i < n; i++) first[data->y[i] + 1]++;
        for (int c = 0; c < k; c++) first[c + 1] += first[c];
        struct svm_node *f = pool;
        for (int c = 0; c < k; c++)
            for (int64_t i = 0, r = first[c]; i < n; i++) {
                if (data->y[i] != c) continue;
                p.x[r] = f, p.y[r++] = c;
                for (int64_t j = 0; j < d; j++)
                    if (data->x[i * d + j] != 0) *f++ = (struct svm_node){(int)j + 1, data->x[i * d + j]};
                *f++ = (struct svm_node){-1, 0};
            }
        struct svm_parameter param = {0};
        param.svm_type = C_SVC;
        param.kernel_type = RBF;
        param.gamma = fv_head_gamma(o, data->x, n, d);
        param.cache_size = o->cache_mb;
        param.eps = o->tol > 0 ? o->tol : 1e-3;
        param.C = o->C;
        param.shrinking = 1;
        const char *why = svm_check_parameter(&p, &param);
        if (why) s = fv_error(ctx, FV_ERR_ARG, "libsvm: %s", why);
        else {
            svm_set_print_string_function(quiet);
            sm = svm_train(&p, &param);
            if (!sm) s = fv_error(ctx, FV_ERR_NOMEM, "libsvm could not fit the svm_rbf head");
        }
    }
    if (!s && sm->nr_class != k) s = fv_error(ctx, FV_ERR_STATE, "libsvm found %d classes, not %d", sm->nr_class, k);
    for (int c = 0; !s && c < k; c++)
        if (sm->label[c] != c) s = fv_error(ctx, FV_ERR_STATE, "libsvm put class %d at %d", sm->label[c], c);
    if (!s) {
        int64_t nsv = sm->l;
        out->spec = fv_spec_of_type("svm_rbf", NULL);
        out->spec.a.units = k;
        out->spec.a.size = (int)nsv;
        out->spec.a.alpha = (float)sm->param.gamma;
        fv_tensor *sv = out->values[0] = fv_head_tensor(ctx, 2, nsv, d);
        fv_tensor *coef = out->values[1] = fv_head_tensor(ctx, 2, k - 1, nsv);
        fv_tensor *b = out->values[2] = fv_head_tensor(ctx, 1, (int64_t)k * (k - 1) / 2, 0);
        fv_tensor *counts = out->values[3] = fv_head_tensor(ctx, 1, k, 0);
        if (!sv || !coef || !b || !counts) s = fv_errcode(ctx);
        for (int64_t v = 0; !s && v < nsv; v++) {
            for (const struct svm_node *f = sm->SV[v]; f->index != -1; f++) fv_f32(sv)[v * d + f->index - 1] = (float)f->value;
            for (int j = 0; j < k - 1; j++) fv_f32(coef)[j * nsv + v] = (float)sm->sv_coef[j][v];
        }
        for (int64_t q = 0; !s && q < b->size; q++) fv_f32(b)[q] = (float)-sm->rho[q];
        for (int c = 0; !s && c < k; c++) fv_f32(counts)[c] = (float)sm->nSV[c];
    }
    if (sm) svm_free_and_destroy_model(&sm);
    free(p.y), free(p.x), free(pool), free(first);
    return s;
}
