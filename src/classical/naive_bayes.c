/* Gaussian naive Bayes as scikit-learn's GaussianNB fits it: per class the features' mean and population
 * variance, every variance raised by var_smoothing times the largest feature variance over all samples, and the
 * class priors as frequencies. The gaussian_nb layer outputs the joint log-likelihood. */
#include <stdlib.h>

#include "classical_internal.h"

fv_status fv_fit_gaussian_nb(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out)
{
    fv_ctx *ctx = data->ctx;
    int64_t n = data->n, d = data->d, k = data->k;
    out->spec = fv_spec_of_type("gaussian_nb", NULL);
    out->spec.a.units = (int)k;
    fv_tensor *theta = out->values[0] = fv_head_tensor(ctx, 2, k, d), *var = out->values[1] = fv_head_tensor(ctx, 2, k, d);
    fv_tensor *prior = out->values[2] = fv_head_tensor(ctx, 1, k, 0);
    double *sum = calloc((size_t)(k * d), sizeof *sum), *sq = calloc((size_t)(k * d), sizeof *sq);
    double *count = calloc((size_t)k, sizeof *count), *all = calloc((size_t)d, sizeof *all);
    if (!theta || !var || !prior || !sum || !sq || !count || !all) {
        free(sum), free(sq), free(count), free(all);
        return fv_errcode(ctx) ? fv_errcode(ctx) : fv_error(ctx, FV_ERR_NOMEM, "out of memory fitting naive Bayes");
    }
    for (int64_t i = 0; i < n; i++) {
        int c = data->y[i];
        count[c]++;
        for (int64_t j = 0; j < d; j++) sum[c * d + j] += data->x[i * d + j], all[j] += data->x[i * d + j];
    }
    for (int64_t i = 0; i < n; i++) /* deviations from the means, in two passes as NumPy's var */
        for (int64_t j = 0; j < d; j++) {
            double e = data->x[i * d + j] - sum[data->y[i] * d + j] / count[data->y[i]];
            sq[data->y[i] * d + j] += e * e;
        }
    double largest = 0;
    for (int64_t j = 0; j < d; j++) {
        double mean = all[j] / (double)n, v = 0;
        for (int64_t i = 0; i < n; i++) v += (data->x[i * d + j] - mean) * (data->x[i * d + j] - mean);
        if (v / (double)n > largest) largest = v / (double)n;
    }
    double eps = o->var_smoothing * largest;
    fv_status s = FV_OK;
    for (int64_t c = 0; c < k; c++) {
        fv_f32(prior)[c] = (float)(count[c] / (double)n);
        for (int64_t j = 0; j < d; j++) {
            fv_f32(theta)[c * d + j] = (float)(sum[c * d + j] / count[c]);
            fv_f32(var)[c * d + j] = (float)(sq[c * d + j] / count[c] + eps);
            if (!s && !(fv_f32(var)[c * d + j] > 0))
                s = fv_error(ctx, FV_ERR_NUMERIC, "gaussian_nb: feature %lld of class %lld has variance 0 (every feature "
                             "is constant: nothing to smooth by); give var_smoothing > 0 features that vary",
                             (long long)j, (long long)c);
        }
    }
    free(sum), free(sq), free(count), free(all);
    return s;
}
