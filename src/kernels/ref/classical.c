/* Plain kernels of the classical heads (see classical.h). */
#include "classical.h"

#include <math.h>

void fv_ref_gaussian_nb(float *out, const float *x, const float *mean, const float *var, const float *prior,
                        int64_t n, int64_t d, int64_t k)
{
    for (int64_t c = 0; c < k; c++) {
        /* the per-class constant first, as scikit-learn sums it before the data term */
        double norm = 0;
        for (int64_t j = 0; j < d; j++) norm += log(2.0 * 3.14159265358979323846 * var[c * d + j]);
        norm = log((double)prior[c]) - 0.5 * norm;
        for (int64_t i = 0; i < n; i++) {
            double q = 0;
            for (int64_t j = 0; j < d; j++) {
                double e = (double)x[i * d + j] - mean[c * d + j];
                q += e * e / var[c * d + j];
            }
            out[i * k + c] = (float)(norm - 0.5 * q);
        }
    }
}

void fv_ref_svm_rbf(float *out, const float *x, const float *sv, const float *coef, const float *intercept,
                    const int64_t *first, const int64_t *count, int64_t n, int64_t d, int64_t s, int64_t k, double gamma,
                    double *scratch)
{
    double *kv = scratch, *votes = scratch + s, *conf = votes + k;
    for (int64_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        for (int64_t v = 0; v < s; v++) {
            double q = 0;
            for (int64_t j = 0; j < d; j++) {
                double e = (double)xi[j] - sv[v * d + j];
                q += e * e;
            }
            kv[v] = exp(-gamma * q);
        }
        for (int64_t c = 0; c < k; c++) votes[c] = conf[c] = 0;
        int64_t p = 0;
        for (int64_t a = 0; a < k; a++)
            for (int64_t b = a + 1; b < k; b++, p++) {
                double f = 0;
                for (int64_t v = first[a]; v < first[a] + count[a]; v++) f += coef[(b - 1) * s + v] * kv[v];
                for (int64_t v = first[b]; v < first[b] + count[b]; v++) f += coef[a * s + v] * kv[v];
                f += intercept[p];
                votes[f >= 0 ? a : b] += 1;
                conf[a] += f, conf[b] -= f;
            }
        for (int64_t c = 0; c < k; c++) out[i * k + c] = (float)(votes[c] + conf[c] / (3 * (fabs(conf[c]) + 1)));
    }
}

void fv_ref_tree_ensemble(float *out, const float *x, const float *nodes, const float *values, const int64_t *roots,
                          const float *bias, int64_t n, int64_t d, int64_t t, int64_t k, int combine, double *scratch)
{
    (void)d;
    for (int64_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        for (int64_t c = 0; c < k; c++) scratch[c] = 0;
        for (int64_t tree = 0; tree < t; tree++) {
            int64_t v = roots[tree];
            while (nodes[v * 4] >= 0) {
                const float *node = nodes + v * 4;
                v = xi[(int64_t)node[0]] < node[1] ? (int64_t)node[2] : (int64_t)node[3];
            }
            for (int64_t c = 0; c < k; c++) scratch[c] += values[v * k + c];
        }
        for (int64_t c = 0; c < k; c++)
            out[i * k + c] = combine == 0 ? (float)(bias[c] + scratch[c])
                                          : (float)log(fmax(scratch[c] / (double)t, 1e-12));
    }
}
