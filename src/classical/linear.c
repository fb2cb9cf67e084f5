/* Logistic regression and linear SVM through liblinear, as scikit-learn's LogisticRegression(solver="liblinear")
 * and LinearSVC call it: L2-regularized logistic regression (primal) or squared-hinge SVM (dual coordinate
 * descent), one-vs-rest, with a bias feature of 1 that is regularized like the weights (intercept_scaling 1),
 * zero features left out as scikit-learn's dense-to-sparse copy does. The fitted head is exactly a dense layer:
 * its scores are liblinear's decision values. */
#include <stdlib.h>
#include <string.h>

#include <linear.h>

#include "classical_internal.h"

static void quiet(const char *s) { (void)s; }

/* liblinear's problem from dense features: each row's nonzero features (1-based), the bias node, the end mark. */
static fv_status make_problem(const fv_head_data *data, struct problem *p, struct feature_node **pool)
{
    int64_t nnz = 0;
    for (int64_t i = 0; i < data->n * data->d; i++) nnz += data->x[i] != 0;
    p->l = (int)data->n, p->n = (int)data->d + 1, p->bias = 1;
    p->y = malloc((size_t)data->n * sizeof *p->y);
    p->x = malloc((size_t)data->n * sizeof *p->x);
    *pool = malloc((size_t)(nnz + 2 * data->n) * sizeof **pool);
    if (!p->y || !p->x || !*pool) return fv_error(data->ctx, FV_ERR_NOMEM, "out of memory copying features for liblinear");
    struct feature_node *f = *pool;
    for (int64_t i = 0; i < data->n; i++) {
        p->x[i] = f;
        p->y[i] = data->y[i];
        for (int64_t j = 0; j < data->d; j++)
            if (data->x[i * data->d + j] != 0) *f++ = (struct feature_node){(int)j + 1, data->x[i * data->d + j]};
        *f++ = (struct feature_node){(int)data->d + 1, 1.0};
        *f++ = (struct feature_node){-1, 0};
    }
    return FV_OK;
}

/* liblinear's weights (one vector per class in its label order, one for two classes) into dense weight (k, d)
 * and bias (k) by class. */
static void to_dense(const struct model *lm, int64_t d, int k, float *w, float *b)
{
    int nr_w = lm->nr_class == 2 ? 1 : lm->nr_class;
    for (int c = 0; c < lm->nr_class; c++) {
        int cls = lm->label[c], col = nr_w == 1 ? 0 : c;
        double sign = nr_w == 1 && c == 1 ? -1 : 1; /* two classes: the second scores minus the first's value */
        for (int64_t j = 0; j <= d; j++) {
            double v = sign * lm->w[j * nr_w + col];
            if (j < d) w[cls * d + j] = (float)v;
            else b[cls] = (float)(v * lm->bias);
        }
    }
    (void)k;
}

fv_status fv_fit_linear(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out)
{
    fv_ctx *ctx = data->ctx;
    if (data->n > 0x7fffffff || data->d >= 0x7fffffff)
        return fv_error(ctx, FV_ERR_ARG, "liblinear takes at most 2^31 - 1 samples and features");
    struct problem p = {0};
    struct feature_node *pool = NULL;
    fv_status s = make_problem(data, &p, &pool);
    struct parameter param = {0};
    param.solver_type = o->method == FV_HEAD_LOGREG ? L2R_LR : L2R_L2LOSS_SVC_DUAL;
    param.eps = o->tol > 0 ? o->tol : 1e-4;
    param.C = o->C;
    param.p = 0.1;
    const char *why = s ? NULL : check_parameter(&p, &param);
    if (why) s = fv_error(ctx, FV_ERR_ARG, "liblinear: %s", why);
    struct model *lm = NULL;
    if (!s) {
        set_print_string_function(quiet);
        srand((unsigned)o->seed); /* liblinear's dual solver shuffles with rand() */
        lm = train(&p, &param);
        if (!lm) s = fv_error(ctx, FV_ERR_NOMEM, "liblinear could not fit the %s head", fv_head_method_name(o->method));
    }
    if (!s) {
        out->spec = fv_spec_dense(NULL, data->k);
        out->values[0] = fv_head_tensor(ctx, 2, data->k, data->d);
        out->values[1] = fv_head_tensor(ctx, 1, data->k, 0);
        if (!out->values[0] || !out->values[1]) s = fv_errcode(ctx);
        else to_dense(lm, data->d, data->k, fv_f32(out->values[0]), fv_f32(out->values[1]));
    }
    if (lm) free_and_destroy_model(&lm);
    free(p.y), free(p.x), free(pool);
    return s;
}
