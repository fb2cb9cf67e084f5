/* Evaluation (mean cross-entropy, accuracy and the confusion matrix over a data source) and prediction
 * (class probabilities for a batch), both in eval mode on a graph of the model built for the purpose. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/ops.h"
#include "fovea/train.h"
#include "trainer_internal.h"

void fv_eval_result_free(fv_eval_result *r)
{
    if (!r) return;
    free(r->confusion);
    r->confusion = NULL;
}

/* The logits node: the model's output, or the input of a final softmax. */
static fv_node *logits_of(const fv_model *m, fv_node *out)
{
    int last = fv_model_layer_count(m) - 1;
    return strcmp(fv_model_layer_type(m, last), "softmax") == 0 ? fv_node_input(out, 0) : out;
}

static fv_status check_logits(fv_model *m, fv_node *z)
{
    if (fv_node_value(z)->ndim == 2) return FV_OK;
    return fv_error(fv_model_ctx(m), FV_ERR_SHAPE, "model '%s' gives %d-D outputs; classification needs (batch, "
                    "classes)", fv_model_name(m), fv_node_value(z)->ndim);
}

fv_status fv_evaluate(fv_model *m, const fv_data_source *data, int batch_size, fv_eval_result *out)
{
    if (!m || !data || !data->fetch || !out || batch_size < 1) return FV_ERR_ARG;
    fv_ctx *ctx = fv_model_ctx(m);
    memset(out, 0, sizeof *out);
    int64_t n = data->count, batch = batch_size < n ? batch_size : (n ? n : 1);
    fv_node *x, *o;
    fv_graph *g = fv_model_build_inference(m, batch, &x, &o);
    if (!g) return fv_errcode(ctx);
    fv_graph_set_training(g, false);
    fv_node *z = logits_of(m, o);
    fv_node_keep_value(z);
    fv_status s = check_logits(m, z);
    int64_t k = s ? 0 : fv_node_value(z)->shape[1];
    int64_t shape[FV_MAX_DIMS] = {batch};
    int nd = fv_model_input_shape(m, shape + 1);
    fv_tensor *xb = s ? NULL : fv_tensor_new(ctx, FV_F32, nd + 1, shape);
    fv_tensor *yb = s ? NULL : fv_tensor_new(ctx, FV_I32, 1, shape);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    out->confusion = calloc((size_t)(k * k > 0 ? k * k : 1), sizeof *out->confusion);
    if (!s && (!xb || !yb || !idx || !out->confusion)) s = fv_error(ctx, FV_ERR_NOMEM, "out of memory evaluating");
    out->n_classes = (int)k;
    out->first_nonfinite = -1;
    double sum = 0;
    int64_t correct = 0;
    for (int64_t first = 0; !s && first < n; first += batch) {
        int cnt = (int)(n - first < batch ? n - first : batch);
        for (int i = 0; i < cnt; i++) idx[i] = first + i;
        fv_tensor xv = *xb, yv = *yb;
        xv.shape[0] = yv.shape[0] = cnt;
        xv.size = xb->size / batch * cnt, yv.size = cnt;
        xv.owns = yv.owns = false;
        if ((s = data->fetch(data->data, -1, idx, cnt, &xv, &yv)) != FV_OK) break;
        if ((s = fv_graph_set_input(g, x, &xv)) != FV_OK || (s = fv_graph_forward(g)) != FV_OK) break;
        const float *zz = fv_f32(fv_node_value(z));
        for (int i = 0; i < cnt; i++) {
            int32_t y = fv_i32(&yv)[i];
            if (y < 0 || y >= k) {
                s = fv_error(ctx, FV_ERR_ARG, "label %d of sample %lld is outside the model's %lld classes", y,
                             (long long)(first + i), (long long)k);
                break;
            }
            const float *row = zz + (int64_t)i * k;
            int64_t best = 0;
            double mx = row[0], se = 0;
            bool finite = isfinite(row[0]);
            for (int64_t c = 1; c < k; c++) {
                if (row[c] > row[best]) best = c;
                if (row[c] > mx) mx = row[c];
                finite &= isfinite(row[c]) != 0;
            }
            for (int64_t c = 0; c < k; c++) se += exp(row[c] - mx);
            if (!finite && out->nonfinite++ == 0) out->first_nonfinite = first + i;
            sum += mx + log(se) - row[y];
            correct += best == y;
            out->confusion[y * k + best]++;
        }
    }
    out->count = n;
    out->loss = n ? sum / (double)n : NAN;
    out->accuracy = n ? (double)correct / (double)n : NAN;
    fv_tensor_free(xb), fv_tensor_free(yb);
    free(idx);
    fv_graph_free(g);
    if (s) fv_eval_result_free(out);
    return s;
}

fv_status fv_evaluate_task(fv_model *m, fv_task *task, const fv_data_source *data, int batch_size, fv_task_result *out)
{
    if (!m || !task || !data || !out || batch_size < 1) return FV_ERR_ARG;
    memset(out, 0, sizeof *out);
    fv_fit_config c = fv_fit_defaults();
    c.task = task, c.verbose = FV_VERBOSE_QUIET, c.epochs = 0;
    c.batch_size = data->count > 0 && data->count < batch_size ? (int)data->count : batch_size;
    c.optim = fv_optim_defaults(FV_OPT_SGD); /* no state: nothing is updated */
    fv_trainer *t = fv_trainer_new(m, &c);
    if (!t) return fv_errcode(fv_model_ctx(m));
    double v[FV_TASK_MAX_METRICS + 1];
    fv_status s = fv_trainer_evaluate(t, data, v);
    fv_trainer_free(t);
    if (s) return s;
    out->n = 1 + task->n_metrics;
    out->names[0] = "loss";
    for (int i = 0; i < out->n; i++) {
        if (i) out->names[i] = task->metric_names[i - 1];
        out->values[i] = v[i];
    }
    out->count = data->count;
    return FV_OK;
}

fv_tensor *fv_predict(fv_model *m, const fv_tensor *x)
{
    if (!m || !x) return NULL;
    fv_ctx *ctx = fv_model_ctx(m);
    if (x->ndim < 2 || x->dtype != FV_F32) { /* "model 'm' expects float32 (N, 1, 28, 28), got int32 (...)" */
        fv_clear_error(ctx);
        fv_model_explain_input(m, x, FV_ERR_SHAPE);
        return NULL;
    }
    fv_node *in, *o;
    fv_graph *g = fv_model_build_inference(m, x->shape[0], &in, &o);
    if (!g) return NULL;
    fv_graph_set_training(g, false);
    fv_node *z = logits_of(m, o);
    fv_node *p = check_logits(m, z) == FV_OK ? fv_softmax(g, z, 1) : NULL;
    fv_tensor *out = NULL;
    if (p && fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK) {
        const fv_tensor *v = fv_node_value(p);
        out = fv_tensor_from(ctx, FV_F32, v->ndim, v->shape, v->data);
    } else {
        fv_model_explain_input(m, x, fv_errcode(ctx));
    }
    fv_graph_free(g);
    return out;
}
