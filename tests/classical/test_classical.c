/* Classical heads against scikit-learn and XGBoost (tests/reference/gen_classical.py: digits, 1,197 training and
 * 600 test samples): each head fitted with the reference's hyper-parameters must reach its test accuracy within
 * 0.5 points, and where the method is deterministic give its decision values (liblinear's, libsvm's, naive
 * Bayes' joint log-likelihood, XGBoost's margins). Then what a model with a head must do: save and load with
 * the same outputs, describe and parse back, refuse a gradient through the head, refuse non-finite features and
 * a fit past the memory limit before any fitting, and refuse hostile tree nodes in a model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

static fx_file *fx;
static fv_ctx *ctx;

static fv_model *features_model(int64_t d)
{
    fv_model *m = fv_model_new(ctx, "digits");
    fv_layer_spec in = fv_spec_input("input", 1, &d);
    if (m && fv_model_add_layer(m, &in) < 0) fv_model_free(m), m = NULL;
    return m;
}

/* The model's output (n, k) on x; NULL on error. */
static fv_tensor *run(fv_model *m, const fv_tensor *x)
{
    fv_node *in, *out;
    fv_graph *g = fv_model_build(m, x->shape[0], &in, &out, NULL);
    if (!g) return NULL;
    fv_graph_set_training(g, false);
    fv_tensor *y = NULL;
    if (fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK) {
        const fv_tensor *v = fv_node_value(out);
        y = fv_tensor_new(ctx, FV_F32, v->ndim, v->shape);
        if (y) memcpy(y->data, v->data, (size_t)v->size * sizeof(float));
    }
    fv_graph_free(g);
    return y;
}

static double accuracy(const fv_tensor *scores, const fv_tensor *labels)
{
    int64_t n = scores->shape[0], k = scores->shape[1], right = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t best = 0;
        for (int64_t c = 1; c < k; c++)
            if (fv_f32(scores)[i * k + c] > fv_f32(scores)[i * k + best]) best = c;
        right += best == fv_i32(labels)[i];
    }
    return 100.0 * (double)right / (double)n;
}

/* max |a - b| / max |b| */
static double rel(const fv_tensor *a, const fv_tensor *b)
{
    if (!a || !b || a->size != b->size) return INFINITY;
    return rel_error(fv_f32(a), fv_f32(b), b->size);
}

/* Fits a head on the training set; returns the model (NULL on failure) and the test scores in *scores. */
static fv_model *fit(fv_head_options *o, fv_tensor **scores)
{
    const fv_tensor *x = fx_get(fx, "x_train");
    fv_model *m = features_model(x->shape[1]);
    int head = m ? fv_head_fit(m, -1, x, fx_get(fx, "y_train"), 10, o) : -1;
    if (head < 0) {
        printf("  fit %s: %s\n", fv_head_method_name(o->method), fv_errmsg(ctx));
        fv_model_free(m);
        return NULL;
    }
    *scores = run(m, fx_get(fx, "x_test"));
    return m;
}

static void check_method(fv_head_method method, const char *decision, double tol)
{
    fv_head_options o = fv_head_defaults(method);
    const char *name = fv_head_method_name(method);
    char key[64];
    if (method == FV_HEAD_XGBOOST) o.trees = 50, o.max_depth = 4, o.learning_rate = 0.3;
    fv_tensor *scores = NULL;
    fv_model *m = fit(&o, &scores);
    snprintf(key, sizeof key, "%s:accuracy", name);
    double want = fv_f32(fx_get(fx, key))[0], got = scores ? accuracy(scores, fx_get(fx, "y_test")) : -1;
    CHECK(m && fabs(got - want) <= 0.5, "%s: test accuracy %.2f%%, scikit-learn/XGBoost %.2f%%", name, got, want);
    if (decision) {
        snprintf(key, sizeof key, "%s:%s", name, decision);
        double e = rel(scores, fx_get(fx, key));
        CHECK(e < tol, "%s: %s within %.0e of the reference's (%.1e)", name, decision, tol, e);
    }
    fv_tensor_free(scores);
    fv_model_free(m);
}

static void check_forest(void)
{
    double sum = 0;
    int seeds = 3;
    for (int s = 0; s < seeds; s++) {
        fv_head_options o = fv_head_defaults(FV_HEAD_RANDOM_FOREST);
        o.seed = (uint64_t)s;
        fv_tensor *scores = NULL;
        fv_model *m = fit(&o, &scores);
        sum += scores ? accuracy(scores, fx_get(fx, "y_test")) : 0;
        if (s == 0 && m) { /* the same seed grows the same forest on any thread count */
            fv_ctx_set_threads(ctx, 1);
            o.threads = 1;
            fv_tensor *again = NULL;
            fv_model *m1 = fit(&o, &again);
            CHECK(scores && again && memcmp(scores->data, again->data, (size_t)scores->size * 4) == 0,
                  "random_forest: the same forest on 1 thread as on 2");
            fv_tensor_free(again), fv_model_free(m1);
            fv_ctx_set_threads(ctx, 2);
        }
        fv_tensor_free(scores), fv_model_free(m);
    }
    double want = fv_f32(fx_get(fx, "random_forest:accuracy"))[0];
    CHECK(fabs(sum / seeds - want) <= 0.5, "random_forest: mean test accuracy over %d seeds %.2f%%, scikit-learn's over "
          "5 seeds %.2f%%", seeds, sum / seeds, want);
}

/* The standardize layer equals StandardScaler's transform; a model with it and an SVM head saves, loads and
 * parses back with the same outputs, and refuses a gradient through the head. */
static void check_model_file(void)
{
    fv_head_options o = fv_head_defaults(FV_HEAD_SVM_RBF);
    o.standardize = true;
    fv_tensor *scores = NULL;
    fv_model *m = fit(&o, &scores);
    if (!CHECK(m && scores, "svm_rbf head on standardized features")) return;
    /* the standardize layer's output against StandardScaler */
    fv_node *in, *out, **nodes = NULL;
    const fv_tensor *xt = fx_get(fx, "x_test");
    fv_graph *g = fv_model_build(m, xt->shape[0], &in, &out, &nodes);
    int sl = fv_model_find_layer(m, "standardize");
    if (g && sl >= 0 && fv_graph_set_input(g, in, xt) == FV_OK && fv_graph_forward(g) == FV_OK) {
        double e = rel_error(fv_f32(fv_node_value(nodes[sl])), fv_f32(fx_get(fx, "standardized")), xt->size);
        CHECK(e < 1e-5, "standardize equals StandardScaler's transform (%.1e)", e);
        /* a gradient through the head is refused, naming it */
        fv_tensor *seed = fv_tensor_new(ctx, FV_F32, 2, fv_node_value(out)->shape);
        fv_node_keep_grad(g, nodes[sl]);
        fv_status s = seed ? fv_graph_backward_seed(g, out, seed) : FV_ERR_NOMEM;
        CHECK(s != FV_OK && strstr(fv_errmsg(ctx), "svm_rbf") && strstr(fv_errmsg(ctx), "inference only"),
              "backward through the head is refused: %s", fv_errmsg(ctx));
        fv_tensor_free(seed);
    } else CHECK(0, "standardized model runs: %s", fv_errmsg(ctx));
    free(nodes), fv_graph_free(g);
    char path[64];
    snprintf(path, sizeof path, "/tmp/fovea_classical_%d.fvm", (int)getpid());
    fv_model *back = fv_model_save(m, path) == FV_OK ? fv_model_load(ctx, path) : NULL;
    fv_tensor *again = back ? run(back, xt) : NULL;
    CHECK(again && memcmp(again->data, scores->data, (size_t)scores->size * 4) == 0,
          "saved and loaded, the same scores%s%s", again ? "" : ": ", again ? "" : fv_errmsg(ctx));
    unlink(path);
    char *text = fv_model_describe(m);
    CHECK(text && strstr(text, "svm_rbf") && strstr(text, "vectors=") && strstr(text, "gamma="),
          "the description names the head and its sizes");
    fv_model *parsed = text ? fv_model_parse(ctx, text, "head.fvd") : NULL;
    CHECK(parsed && fv_model_param_count(parsed) == fv_model_param_count(m), "the description parses back");
    free(text);
    fv_tensor_free(again), fv_tensor_free(scores);
    fv_model_free(parsed), fv_model_free(back), fv_model_free(m);
}

/* Trees from a hostile file: a child before its parent (a cycle) or past the end is refused by forward. */
static void check_hostile_trees(void)
{
    fv_head_options o = fv_head_defaults(FV_HEAD_XGBOOST);
    o.trees = 3, o.max_depth = 2;
    fv_tensor *scores = NULL;
    fv_model *m = fit(&o, &scores);
    fv_param *nodes = m ? fv_model_find_param(m, "xgboost.nodes") : NULL;
    if (!CHECK(nodes != NULL, "xgboost head has its nodes parameter")) return fv_model_free(m);
    float *row = fv_f32(&nodes->value);
    float keep = row[2];
    row[2] = 0; /* the root's left child is the root */
    fv_tensor *bad = run(m, fx_get(fx, "x_test"));
    CHECK(!bad && strstr(fv_errmsg(ctx), "node 0"), "a tree whose node loops back is refused: %s", fv_errmsg(ctx));
    fv_tensor_free(bad);
    row[2] = keep, row[0] = 1e9f;
    bad = run(m, fx_get(fx, "x_test"));
    CHECK(!bad && strstr(fv_errmsg(ctx), "node 0"), "a split on a feature past the input's is refused");
    fv_tensor_free(bad), fv_tensor_free(scores);
    fv_model_free(m);
}

static void check_bad_input(void)
{
    const fv_tensor *x = fx_get(fx, "x_train"), *y = fx_get(fx, "y_train");
    fv_tensor *copy = fv_tensor_new(ctx, FV_F32, 2, x->shape);
    memcpy(copy->data, x->data, (size_t)x->size * 4);
    fv_f32(copy)[5 * x->shape[1] + 7] = NAN;
    fv_model *m = features_model(x->shape[1]);
    fv_head_options o = fv_head_defaults(FV_HEAD_GAUSSIAN_NB);
    int layers = fv_model_layer_count(m);
    CHECK(fv_head_fit(m, -1, copy, y, 10, &o) < 0 && strstr(fv_errmsg(ctx), "feature 7 of sample 5") &&
              fv_model_layer_count(m) == layers,
          "NaN features refused, naming sample and feature, the model unchanged: %s", fv_errmsg(ctx));
    fv_f32(copy)[5 * x->shape[1] + 7] = INFINITY;
    CHECK(fv_head_fit(m, -1, copy, y, 10, &o) < 0 && strstr(fv_errmsg(ctx), "is inf"), "infinite features refused");
    fv_tensor_free(copy);
    o = fv_head_defaults(FV_HEAD_SVM_RBF);
    double need = fv_head_memory_estimate(&o, 10000000, 4096, 1000);
    CHECK(need > 600e9, "kernel SVM on 10M x 4096 features is estimated at %.0f GB", need / 1e9);
    o.max_memory_mb = 100; /* below the 200 MB kernel cache alone */
    CHECK(fv_head_fit(m, -1, x, y, 10, &o) < 0 && strstr(fv_errmsg(ctx), "more than the limit of 100 MiB") &&
              fv_model_layer_count(m) == layers,
          "a fit past the memory limit is refused before fitting: %s", fv_errmsg(ctx));
    o = fv_head_defaults(FV_HEAD_LOGREG);
    CHECK(fv_head_fit(m, -1, x, y, 11, &o) < 0 && strstr(fv_errmsg(ctx), "class 10 has no training sample"),
          "a class without samples refused: %s", fv_errmsg(ctx));
    CHECK(fv_head_method_from_name("svm_rbf") == FV_HEAD_SVM_RBF && fv_head_method_from_name("svm") < 0, "method names");
    fv_model_free(m);
}

int main(void)
{
    fx = fx_load(FIXTURE_DIR "/classical_digits.fvx");
    if (!CHECK(fx != NULL, "classical fixture loads")) return test_finish();
    ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, 2);
    check_method(FV_HEAD_LOGREG, "decision", 1e-3);
    check_method(FV_HEAD_LINEAR_SVM, "decision", 1e-2);
    check_method(FV_HEAD_SVM_RBF, "decision", 1e-3);
    check_method(FV_HEAD_GAUSSIAN_NB, "jll", 1e-4);
    check_method(FV_HEAD_XGBOOST, "margin", 1e-5);
    check_forest();
    check_model_file();
    check_hostile_trees();
    check_bad_input();
    fv_ctx_free(ctx);
    fx_free(fx);
    return test_finish();
}
