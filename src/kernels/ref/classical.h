/* Kernels of the classical heads' inference (forward only): Gaussian naive Bayes' joint log-likelihood, an RBF
 * support vector machine's one-vs-rest decision values, and ensembles of decision trees. Plain loops over raw
 * pointers, outputs first; sums in double as scikit-learn and libsvm compute them. */
#ifndef FV_KERNELS_REF_CLASSICAL_H
#define FV_KERNELS_REF_CLASSICAL_H

#include <stdint.h>

/* out (n, k) = log prior_c - 0.5 sum_j log(2 pi var_cj) - 0.5 sum_j (x_ij - mean_cj)^2 / var_cj: scikit-learn's
 * GaussianNB joint log-likelihood. x (n, d), mean and var (k, d), prior (k). */
void fv_ref_gaussian_nb(float *out, const float *x, const float *mean, const float *var, const float *prior,
                        int64_t n, int64_t d, int64_t k);

/* out (n, k): scikit-learn's SVC decision_function (decision_function_shape="ovr") over libsvm's one-vs-one
 * machines: each pair (a < b) decides f = sum over a's vectors of coef[b-1][v] K(x, v) + sum over b's of
 * coef[a][v] K(x, v) + intercept[pair]; a wins its vote when f >= 0, and each class's votes are shifted by
 * its summed confidences c / (3 (|c| + 1)), which are below 1/3 and so only break ties. K(x, v) =
 * exp(-gamma |x - v|^2). x (n, d), sv (s, d) grouped by class, count (k) vectors per class (as whole numbers),
 * coef (k - 1, s), intercept (k (k - 1) / 2). scratch: s + 2 k doubles. */
void fv_ref_svm_rbf(float *out, const float *x, const float *sv, const float *coef, const float *intercept,
                    const int64_t *first, const int64_t *count, int64_t n, int64_t d, int64_t s, int64_t k, double gamma,
                    double *scratch);

/* out (n, k) from t trees of nodes (m, 4) = (feature, threshold, left, right) rows, leaves with feature -1,
 * values (m, k) at the leaves, roots (t): a sample goes left when x[feature] < threshold. combine 0: out =
 * bias + the sum of the leaves' values (gradient boosting's margins); 1: out = log(max(mean of the leaves'
 * values, 1e-12)) (a random forest's averaged class probabilities, as logs so that softmax gives them back).
 * The nodes must have been checked (fv_tree_check). */
void fv_ref_tree_ensemble(float *out, const float *x, const float *nodes, const float *values, const int64_t *roots,
                          const float *bias, int64_t n, int64_t d, int64_t t, int64_t k, int combine, double *scratch);

#endif
