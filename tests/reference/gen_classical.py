"""Reference classical heads on a fixed feature set: scikit-learn's digits (1,797 8x8 images, 64 features,
scaled to [0, 1]), shuffled with a fixed seed and cut into 1,197 training and 600 test samples. For each head
fovea fits (src/classical) the same method with the same hyper-parameters in scikit-learn or XGBoost's Python
package: test accuracy, and where the method is deterministic its decision values on the test set
(logistic regression and linear SVM through scikit-learn's bundled liblinear, kernel SVM through its libsvm,
Gaussian naive Bayes' joint log-likelihood, XGBoost's margins). The random forest depends on its generator, so
its reference is the mean test accuracy over five seeds. Also StandardScaler's transform of the test set.
Writes classical_digits.fvx. Needs python3-sklearn and python3-xgboost."""
import os
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

import fvfx

N_TRAIN = 1197


def make(outdir):
    import xgboost

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    order = np.random.default_rng(16).permutation(len(y))
    x, y = x[order], y[order].astype(np.int32)
    xtr, ytr, xte, yte = x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]
    fx = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}

    def acc(pred):
        return np.float32(100.0 * np.mean(np.asarray(pred) == yte))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a solver that did not converge would make a poor reference
        lr = LogisticRegression(solver="liblinear", C=1.0, tol=1e-4).fit(xtr, ytr)
        fx["logreg:accuracy"] = acc(lr.predict(xte))
        fx["logreg:decision"] = lr.decision_function(xte)
        svm = LinearSVC(C=1.0, tol=1e-4, random_state=0).fit(xtr, ytr)
        fx["linear_svm:accuracy"] = acc(svm.predict(xte))
        fx["linear_svm:decision"] = svm.decision_function(xte)
    rbf = SVC(C=1.0, gamma="scale").fit(xtr, ytr)
    fx["svm_rbf:accuracy"] = acc(rbf.predict(xte))
    fx["svm_rbf:decision"] = rbf.decision_function(xte)
    fx["svm_rbf:gamma"] = np.float32(1.0 / (xtr.shape[1] * xtr.astype(np.float64).var()))
    fx["svm_rbf:n_support"] = rbf.n_support_.astype(np.int32)
    nb = GaussianNB().fit(xtr, ytr)
    fx["gaussian_nb:accuracy"] = acc(nb.predict(xte))
    fx["gaussian_nb:jll"] = nb.predict_joint_log_proba(xte)
    accs = [acc(RandomForestClassifier(n_estimators=100, random_state=s).fit(xtr, ytr).predict(xte)) for s in range(5)]
    fx["random_forest:accuracies"] = np.array(accs, np.float32)
    fx["random_forest:accuracy"] = np.float32(np.mean(accs))
    xgb = xgboost.XGBClassifier(n_estimators=50, max_depth=4, learning_rate=0.3, tree_method="hist",
                                random_state=0, n_jobs=1).fit(xtr, ytr)
    fx["xgboost:accuracy"] = acc(xgb.predict(xte))
    fx["xgboost:margin"] = xgb.predict(xte, output_margin=True)
    fx["standardized"] = StandardScaler().fit(xtr).transform(xte)
    fvfx.write(os.path.join(outdir, "classical_digits.fvx"), fx)
    for k in sorted(fx):
        if k.endswith("accuracy"):
            print(f"  {k} {float(fx[k]):.2f}")
    return 1


if __name__ == "__main__":
    make(os.path.join(os.path.dirname(__file__), "fixtures"))
