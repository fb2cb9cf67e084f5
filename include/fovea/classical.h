/* Classical heads on network features: logistic regression and linear SVM (liblinear), RBF kernel SVM (libsvm),
 * Gaussian naive Bayes, random forest (fovea's own CART) and gradient-boosted trees (libxgboost), fitted on a
 * features tensor and appended to a model as ordinary layers, so that one model file holds the network body
 * and the fitted head and every command uses it as it uses any model.
 *
 *     fv_model *body = fv_model_body(src, "flatten", FV_BODY_POOL_AVG);  // layers up to "flatten"
 *     fv_tensor *y, *x = fv_extract_features(body, &data, NULL, 256, &y); // its last layer's output
 *     fv_head_options o = fv_head_defaults(FV_HEAD_SVM_RBF);
 *     int head = fv_head_fit(body, -1, x, y, 10, &o);                     // appends the head; -1 on error
 *
 * The head's outputs are scores, one per class, whose arg-max is the predicted class; where the method has
 * probabilities, softmax of the scores gives them (logistic regression's one-vs-rest sigmoids excepted: the
 * softmax of its decision values ranks as they do). Hyper-parameters and their defaults are scikit-learn's
 * (XGBoost's for gradient boosting). */
#ifndef FOVEA_CLASSICAL_H
#define FOVEA_CLASSICAL_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    FV_HEAD_LOGREG = 0,  /* LogisticRegression(solver="liblinear"): one-vs-rest, L2, the bias regularized; a
                          * dense layer */
    FV_HEAD_LINEAR_SVM,  /* LinearSVC: squared hinge, L2, dual coordinate descent, one-vs-rest; a dense layer */
    FV_HEAD_SVM_RBF,     /* SVC(kernel="rbf"): libsvm's one-vs-one machines; outputs SVC's "ovr" decision values */
    FV_HEAD_GAUSSIAN_NB, /* GaussianNB: outputs the joint log-likelihood (softmax: predict_proba) */
    FV_HEAD_RANDOM_FOREST, /* RandomForestClassifier: Gini, bootstrap, sqrt(features) per split; outputs the log
                            * of the averaged leaf probabilities (softmax: predict_proba) */
    FV_HEAD_XGBOOST,     /* XGBClassifier (multi:softprob): outputs the margins (softmax: predict_proba) */
    FV_HEAD_COUNT
} fv_head_method;

/* gamma of the RBF kernel: a positive value, or one of scikit-learn's rules. */
#define FV_GAMMA_SCALE (-1.0) /* 1 / (features * variance of all of x) */
#define FV_GAMMA_AUTO (-2.0)  /* 1 / features */

typedef struct {
    fv_head_method method;
    double C;              /* inverse regularization: logreg, linear_svm, svm_rbf (1) */
    double gamma;          /* svm_rbf (FV_GAMMA_SCALE) */
    double tol;            /* stopping tolerance (0: the method's scikit-learn default: 1e-4 liblinear, 1e-3 libsvm) */
    int max_iter;          /* linear_svm (1000; liblinear's logistic regression stops on tol) */
    double cache_mb;       /* svm_rbf: libsvm's kernel cache (200) */
    int trees;             /* random_forest, xgboost: trees (boosting rounds) (100) */
    int max_depth;         /* random_forest: 0 for none (0); xgboost (6) */
    int min_samples_split; /* random_forest (2) */
    int min_samples_leaf;  /* random_forest (1) */
    double learning_rate;  /* xgboost (0.3) */
    double var_smoothing;  /* gaussian_nb: share of the largest feature variance added to all (1e-9) */
    uint64_t seed;         /* random_forest's bootstraps and features; xgboost's seed (0) */
    bool standardize;      /* insert a standardize layer first: (x - mean) / std as scikit-learn's StandardScaler */
    double max_memory_mb;  /* refuse a fit whose estimated need is larger (0: half of the physical memory) */
    int threads;           /* the forest's threads (0: the context's) and xgboost's (0: one; see xgboost.c) */
} fv_head_options;

fv_head_options fv_head_defaults(fv_head_method method);
/* "logreg", "linear_svm", "svm_rbf", "gaussian_nb", "random_forest", "xgboost"; -1 for an unknown name. */
int fv_head_method_from_name(const char *name);
const char *fv_head_method_name(fv_head_method method);

/* The bytes a fit of n samples of d features into k classes needs at most, as estimated before fitting (the
 * library's copy of the features, the kernel cache, the trees), and the default limit (half of RAM). */
double fv_head_memory_estimate(const fv_head_options *o, int64_t n, int64_t d, int k);
double fv_head_default_memory_limit(void);

/* Fit a head of o's method on features x (n, d) float32 and labels (n) int32 in [0, k) (each class present at
 * least once), and append its layers to m reading layer `from` (-1: the last layer), whose output must be
 * (N, d). Before any fitting: the features are checked finite (the error names the sample and the feature), the
 * labels in range, and the memory estimate against the limit (the error gives both). Returns the index of the
 * head's last layer, which becomes the model's output, or -1 with the reason in the context (m unchanged). */
int fv_head_fit(fv_model *m, int from, const fv_tensor *x, const fv_tensor *labels, int k, const fv_head_options *o);

/* What follows a spatial (C, H, W) layer in fv_model_body. */
typedef enum { FV_BODY_POOL_AVG = 0, FV_BODY_POOL_MAX, FV_BODY_FLATTEN } fv_body_pool;

/* A new model of the layers of src that `layer` needs (it and what it reads, in order), with their weights
 * copied, its input normalization, and then a global average or max pooling (or a flatten) when the layer's
 * output is spatial, and a flatten for any other output of more than one dimension: its last layer gives
 * (N, features). NULL with a message naming the layer (and listing the model's) on error. */
fv_model *fv_model_body(const fv_model *src, const char *layer, fv_body_pool pool);

/* ---- the heads' operators (forward only; parameters as inputs) --------------------------------------------- */

/* x (N, D), mean and var (K, D), prior (K) -> (N, K) joint log-likelihood. */
fv_node *fv_gaussian_nb(fv_graph *g, fv_node *x, fv_node *mean, fv_node *var, fv_node *prior, int classes);
/* x (N, D), vectors (S, D) grouped by class, coef (K - 1, S), intercept (K (K - 1) / 2), counts (K) -> (N, K)
 * one-vs-rest decision values built from the one-vs-one machines (libsvm's layout, scikit-learn's rule). */
fv_node *fv_svm_rbf(fv_graph *g, fv_node *x, fv_node *vectors, fv_node *coef, fv_node *intercept, fv_node *counts,
                    int classes, double gamma);
/* x (N, D), nodes (M, 4) rows (feature, threshold, left, right) with feature -1 at leaves and children after
 * their parent, values (M, K), roots (T), bias (K) -> (N, K): combine 0 the bias plus the sum of the leaves
 * reached (x[feature] < threshold goes left), 1 the log of their mean. */
fv_node *fv_tree_ensemble(fv_graph *g, fv_node *x, fv_node *nodes, fv_node *values, fv_node *roots, fv_node *bias,
                          int classes, int combine);

#ifdef __cplusplus
}
#endif
#endif
