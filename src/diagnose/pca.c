/* PCA through the eigenvectors of the covariance matrix, found by cyclic Jacobi rotations (exact to rounding for
 * the feature counts of a network's penultimate layer), with scikit-learn's sign convention. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/diagnose.h"

#define MAX_FEATURES 1024

/* Eigen-decomposition of the symmetric a (d x d, destroyed): values in w, vectors in the columns of v. */
static void jacobi(double *a, double *v, double *w, int64_t d)
{
    for (int64_t i = 0; i < d * d; i++) v[i] = 0;
    for (int64_t i = 0; i < d; i++) v[i * d + i] = 1;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int64_t p = 0; p < d; p++)
            for (int64_t q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
        if (off < 1e-30) break;
        for (int64_t p = 0; p < d; p++)
            for (int64_t q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (fabs(apq) < 1e-300) continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int64_t k = 0; k < d; k++) { /* rotate rows/columns p and q */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq, a[k * d + q] = s * akp + c * akq;
                }
                for (int64_t k = 0; k < d; k++) {
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk, a[q * d + k] = s * apk + c * aqk;
                }
                for (int64_t k = 0; k < d; k++) {
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq, v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int64_t i = 0; i < d; i++) w[i] = a[i * d + i];
}

/* Modified Gram-Schmidt on the p columns of v (d x p, row-major). */
static void orthonormalize(double *v, int64_t d, int64_t p)
{
    for (int64_t a = 0; a < p; a++) {
        for (int64_t b = 0; b < a; b++) {
            double dot = 0;
            for (int64_t i = 0; i < d; i++) dot += v[i * p + a] * v[i * p + b];
            for (int64_t i = 0; i < d; i++) v[i * p + a] -= dot * v[i * p + b];
        }
        double norm = 0;
        for (int64_t i = 0; i < d; i++) norm += v[i * p + a] * v[i * p + a];
        norm = sqrt(norm) > 0 ? sqrt(norm) : 1;
        for (int64_t i = 0; i < d; i++) v[i * p + a] /= norm;
    }
}

/* The top p eigenpairs of the covariance cov (d x d) by subspace iteration and a Rayleigh-Ritz step: vectors in
 * the first p columns of vec (d x d layout, as jacobi gives), values in val; the rest of val is -inf. For many
 * features, where a full decomposition (d^3 per sweep) would take minutes. */
static fv_status top_eigen(const double *cov, int64_t d, int64_t p, double *vec, double *val)
{
    double *v = malloc((size_t)(d * p) * sizeof *v), *w = malloc((size_t)(d * p) * sizeof *w);
    double *s = malloc((size_t)(p * p) * sizeof *s), *e = malloc((size_t)(p * p) * sizeof *e), *ev = malloc((size_t)p * sizeof *ev);
    if (!v || !w || !s || !e || !ev) {
        free(v), free(w), free(s), free(e), free(ev);
        return FV_ERR_NOMEM;
    }
    for (int64_t i = 0; i < d * p; i++) v[i] = fv_rng_uniform(17, 1, (uint64_t)i) - 0.5;
    orthonormalize(v, d, p);
    for (int it = 0; it < 300; it++) {
        for (int64_t i = 0; i < d; i++)
            for (int64_t a = 0; a < p; a++) {
                double acc = 0;
                for (int64_t j = 0; j < d; j++) acc += cov[i * d + j] * v[j * p + a];
                w[i * p + a] = acc;
            }
        orthonormalize(w, d, p);
        double change = 0;
        for (int64_t i = 0; i < d * p; i++) change = fmax(change, fabs(fabs(w[i]) - fabs(v[i])));
        memcpy(v, w, (size_t)(d * p) * sizeof *v);
        if (change < 1e-12) break;
    }
    for (int64_t a = 0; a < p; a++) /* s = v^T cov v */
        for (int64_t b = 0; b < p; b++) {
            double acc = 0;
            for (int64_t i = 0; i < d; i++) {
                double ci = 0;
                for (int64_t j = 0; j < d; j++) ci += cov[i * d + j] * v[j * p + b];
                acc += v[i * p + a] * ci;
            }
            s[a * p + b] = acc;
        }
    jacobi(s, e, ev, p);
    for (int64_t i = 0; i < d; i++)
        for (int64_t c = 0; c < d; c++) {
            double acc = 0;
            if (c < p)
                for (int64_t a = 0; a < p; a++) acc += v[i * p + a] * e[a * p + c];
            vec[i * d + c] = acc;
        }
    for (int64_t c = 0; c < d; c++) val[c] = c < p ? ev[c] : -INFINITY;
    free(v), free(w), free(s), free(e), free(ev);
    return FV_OK;
}

fv_status fv_pca(fv_ctx *ctx, const float *x, int64_t n, int64_t d, int k, float *components, float *variance,
                 float *ratio, float *projected)
{
    if (n < 2 || d < 1 || k < 1 || k > d || d > MAX_FEATURES)
        return fv_error(ctx, FV_ERR_ARG, "PCA of %lld samples x %lld features to %d components: needs at least 2 "
                        "samples, 1 <= components <= features <= %d", (long long)n, (long long)d, k, MAX_FEATURES);
    double *mean = calloc((size_t)d, sizeof *mean), *cov = calloc((size_t)(d * d), sizeof *cov);
    double *vec = malloc((size_t)(d * d) * sizeof *vec), *val = malloc((size_t)d * sizeof *val);
    double *proj = malloc((size_t)(n * k) * sizeof *proj);
    int64_t *order = malloc((size_t)d * sizeof *order);
    if (!mean || !cov || !vec || !val || !proj || !order) {
        free(mean), free(cov), free(vec), free(val), free(proj), free(order);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory for PCA");
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) mean[j] += x[i * d + j];
    for (int64_t j = 0; j < d; j++) mean[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t p = 0; p < d; p++) {
            double xp = x[i * d + p] - mean[p];
            for (int64_t q = p; q < d; q++) cov[p * d + q] += xp * (x[i * d + q] - mean[q]);
        }
    double total = 0;
    for (int64_t p = 0; p < d; p++) {
        for (int64_t q = p; q < d; q++) cov[q * d + p] = cov[p * d + q] /= (double)(n - 1);
        total += cov[p * d + p];
    }
    if (d <= 64) {
        jacobi(cov, vec, val, d);
    } else {
        int64_t p = k + 8 < d ? k + 8 : d;
        double *copy = malloc((size_t)(d * d) * sizeof *copy);
        fv_status st = copy ? (memcpy(copy, cov, (size_t)(d * d) * sizeof *copy), top_eigen(copy, d, p, vec, val)) : FV_ERR_NOMEM;
        free(copy);
        if (st) {
            free(mean), free(cov), free(vec), free(val), free(proj), free(order);
            return fv_error(ctx, FV_ERR_NOMEM, "out of memory for PCA");
        }
    }
    for (int64_t i = 0; i < d; i++) order[i] = i;
    for (int64_t i = 0; i < d; i++) /* selection of the k largest eigenvalues */
        for (int64_t j = i + 1; j < d; j++)
            if (val[order[j]] > val[order[i]]) {
                int64_t t = order[i];
                order[i] = order[j], order[j] = t;
            }
    for (int c = 0; c < k; c++) {
        int64_t e = order[c], far = 0;
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            for (int64_t j = 0; j < d; j++) s += (x[i * d + j] - mean[j]) * vec[j * d + e];
            proj[i * k + c] = s;
            if (fabs(s) > fabs(proj[far * k + c])) far = i;
        }
        double sign = proj[far * k + c] < 0 ? -1 : 1;
        for (int64_t i = 0; i < n; i++) proj[i * k + c] *= sign;
        if (components)
            for (int64_t j = 0; j < d; j++) components[c * d + j] = (float)(sign * vec[j * d + e]);
        if (variance) variance[c] = (float)val[e];
        if (ratio) ratio[c] = (float)(total > 0 ? val[e] / total : 0);
    }
    if (projected)
        for (int64_t i = 0; i < n * k; i++) projected[i] = (float)proj[i];
    free(mean), free(cov), free(vec), free(val), free(proj), free(order);
    return FV_OK;
}
