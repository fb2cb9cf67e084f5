/* Operators of the classical heads (inference only: their backward is refused): Gaussian naive Bayes, RBF
 * support vector machine, tree ensembles. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_CLASSICAL(X)                 \
    X(GAUSSIAN_NB, gaussian_nb)                 \
    X(SVM_RBF, svm_rbf)                         \
    X(TREE_ENSEMBLE, tree_ensemble)
