/* ONNX's own conformance data (Debian's libonnx-testdata): data/node (one operator per test) and
 * data/pytorch-converted (PyTorch modules exported by its early exporter), both DIR/NAME/model.onnx with
 * test_data_set_K of input_J.pb and output_0.pb. Every test whose operators are all among fv_onnx_operators() is
 * run. The first graph input is the image; the others (weights, pads, scales ... fed as inputs in these tests)
 * become initializers from the data set, as exporters write them. A test passes when every data set matches
 * output_0.pb within 1e-5 + 1e-4 |expected| per element; a model fovea refuses must be refused with
 * FV_ERR_UNSUPPORTED, FV_ERR_SHAPE or FV_ERR_ARG and a message; no model may load and compute wrong numbers, and
 * every test of expected_pass[] must still pass. Skips (0 passed, 0 failed) when the data are not installed;
 * FOVEA_ONNX_TESTDATA overrides the data folder (the one holding node/ and pytorch-converted/); -v lists every
 * test. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fovea/onnx.h"
#include "pb.h"
#include "test.h"

#define DEFAULT_DATA "/usr/share/libonnx-testdata/data"

static bool verbose;

static bool claimed(const char *op)
{
    for (const char *const *o = fv_onnx_operators(); *o; o++)
        if (strcmp(*o, op) == 0) return true;
    return false;
}

typedef struct {
    const uint8_t *graph;  /* the GraphProto's bytes inside the model */
    size_t graph_len;
    char inputs[8][128];   /* graph inputs that are not initializers, in order */
    int n_inputs;
    bool all_claimed;
    char ops[200];
    char unread[200];      /* the operators fovea does not read, comma separated */
} model_info;

static void read_graph(const uint8_t *g, size_t n, model_info *mi)
{
    char inits[64][128];
    int n_inits = 0;
    pb_reader r = {g, n, 0};
    int field, wire;
    const uint8_t *d;
    size_t len;
    uint64_t v;
    mi->all_claimed = true;
    while (pb_next(&r, &field, &wire, &d, &len, &v)) {
        if (wire != 2) continue;
        pb_reader q = {d, len, 0};
        int f2, w2;
        const uint8_t *d2;
        size_t l2;
        while ((field == 1 || field == 5 || field == 11) && pb_next(&q, &f2, &w2, &d2, &l2, &v)) {
            if (field == 1 && f2 == 4 && w2 == 2) { /* a node's op_type */
                char op[64];
                snprintf(op, sizeof op, "%.*s", (int)l2, (const char *)d2);
                if (!claimed(op) && !strstr(mi->unread, op)) {
                    size_t u = strlen(mi->unread);
                    snprintf(mi->unread + u, sizeof mi->unread - u, "%s%s", u ? "," : "", op);
                }
                mi->all_claimed = mi->all_claimed && claimed(op);
                size_t at = strlen(mi->ops);
                snprintf(mi->ops + at, sizeof mi->ops - at, "%s%s", at ? "," : "", op);
            } else if (field == 5 && f2 == 8 && w2 == 2 && n_inits < 64) {
                snprintf(inits[n_inits++], 128, "%.*s", (int)l2, (const char *)d2);
            } else if (field == 11 && f2 == 1 && w2 == 2 && mi->n_inputs < 8) {
                snprintf(mi->inputs[mi->n_inputs++], 128, "%.*s", (int)l2, (const char *)d2);
            }
        }
    }
    for (int i = 0; i < mi->n_inputs; i++) /* older files list initializers among the inputs */
        for (int k = 0; k < n_inits; k++)
            if (strcmp(mi->inputs[i], inits[k]) == 0) {
                memmove(mi->inputs[i], mi->inputs[i + 1], (size_t)(mi->n_inputs - i - 1) * 128);
                mi->n_inputs--, i--;
                break;
            }
}

static bool read_model(const uint8_t *b, size_t n, model_info *mi)
{
    memset(mi, 0, sizeof *mi);
    pb_reader r = {b, n, 0};
    int field, wire;
    const uint8_t *d;
    size_t len;
    uint64_t v;
    while (pb_next(&r, &field, &wire, &d, &len, &v))
        if (field == 7 && wire == 2) mi->graph = d, mi->graph_len = len;
    if (!mi->graph) return false;
    read_graph(mi->graph, mi->graph_len, mi);
    return true;
}

/* The model with graph inputs 1.. turned into initializers holding the data set's input_1.pb ... */
static pb with_constants(const uint8_t *model, size_t n, const model_info *mi, const char *set)
{
    pb graph = {0}, out = {0};
    pb_raw(&graph, mi->graph, mi->graph_len);
    for (int j = 1; j < mi->n_inputs; j++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/input_%d.pb", set, j);
        size_t len = 0;
        unsigned char *t = pb_read_file(path, &len);
        if (!t) continue;
        pb init = {0};
        pb_raw(&init, t, len);
        pb_str(&init, 8, mi->inputs[j]); /* the name, whatever the file says (the last one counts) */
        pb_msg(&graph, 5, &init);
        free(t);
    }
    pb_reader r = {model, n, 0};
    int field, wire;
    const uint8_t *d;
    size_t len;
    uint64_t v;
    size_t start = 0;
    while (start = r.i, pb_next(&r, &field, &wire, &d, &len, &v)) {
        if (field == 7 && wire == 2) pb_msg(&out, 7, &graph);
        else pb_raw(&out, model + start, r.i - start);
    }
    free(graph.b);
    return out;
}

/* The output's shape must be ONNX's too: the same numbers as (N, C) where (N, C, 1, 1) was meant would break
 * the next operator of a larger graph. */
static bool same_shape(const fv_tensor *a, const fv_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return false;
    return true;
}

/* A tensor file as float32, int64, int32 or bool (pb.h reads values through floats: exact for the small
 * integers these tests hold). Empty tensors are built by hand, since fv_tensor_new wants dimensions >= 1. */
static fv_tensor *tensor_file(fv_ctx *ctx, const char *path)
{
    size_t n = 0;
    unsigned char *b = pb_read_file(path, &n);
    pb_tensor_data t;
    fv_tensor *x = NULL;
    if (b && pb_read_tensor(b, n, &t)) {
        fv_dtype dt = t.type == PB_INT64 ? FV_I64 : t.type == 6 ? FV_I32 : t.type == 9 ? FV_BOOL : FV_F32;
        bool known = t.type == PB_FLOAT || t.type == PB_INT64 || t.type == 6 || t.type == 9;
        if (known && t.ndim >= 0 && t.ndim <= FV_MAX_DIMS && (x = calloc(1, sizeof *x))) {
            x->dtype = dt, x->ndim = t.ndim, x->size = t.n, x->owns = true;
            for (int d = 0; d < t.ndim; d++) x->shape[d] = t.dims[d];
            x->data = calloc((size_t)(t.n ? t.n : 1), fv_dtype_size(dt));
            for (int64_t i = 0; x->data && i < t.n; i++) {
                if (dt == FV_F32) fv_f32(x)[i] = t.v[i];
                else if (dt == FV_I64) fv_i64(x)[i] = (int64_t)t.v[i];
                else if (dt == FV_I32) fv_i32(x)[i] = (int32_t)t.v[i];
                else fv_bool(x)[i] = t.v[i] != 0;
            }
        }
        free(t.v);
    }
    free(b);
    (void)ctx;
    return x;
}

static double element(const fv_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case FV_I64: return (double)fv_i64(t)[i];
    case FV_I32: return fv_i32(t)[i];
    case FV_BOOL: return fv_bool(t)[i];
    default: return fv_f32(t)[i];
    }
}

/* One output against its expected values: same shape, same kind (integers and booleans exactly), floats
 * within 1e-5 + 1e-4 |expected| (NaN where NaN is expected). */
static bool output_matches(const fv_tensor *y, const fv_tensor *want, double *worst)
{
    bool ok = same_shape(y, want) && (y->dtype == FV_F32) == (want->dtype == FV_F32);
    for (int64_t i = 0; ok && i < y->size; i++) {
        double a = element(y, i), b = element(want, i), d = fabs(a - b);
        ok = want->dtype == FV_F32 ? d <= 1e-5 + 1e-4 * fabs(b) || (isnan(a) && isnan(b)) : a == b;
        if (d > *worst) *worst = d;
    }
    return ok;
}

typedef enum { R_PASS, R_FAIL, R_REFUSED, R_BAD_REFUSAL } result;

/* One data set: load, run, compare. */
static result run_set(const uint8_t *model, size_t n, const model_info *mi, const char *set, char *why, size_t wsize)
{
    fv_ctx *ctx = fv_ctx_new(0);
    pb mod = with_constants(model, n, mi, set);
    fv_model *m = fv_onnx_load_mem(ctx, mod.b, mod.n, "model.onnx");
    free(mod.b);
    result res = R_PASS;
    if (!m) {
        fv_status s = fv_errcode(ctx);
        snprintf(why, wsize, "%s", fv_errmsg(ctx));
        res = (s == FV_ERR_UNSUPPORTED || s == FV_ERR_SHAPE || s == FV_ERR_ARG) && *why ? R_REFUSED : R_BAD_REFUSAL;
        fv_ctx_free(ctx);
        return res;
    }
    char path[1400];
    snprintf(path, sizeof path, "%s/input_0.pb", set);
    fv_tensor *x = tensor_file(ctx, path), *want[FV_MODEL_MAX_IO] = {0};
    int n_out = fv_model_output_count(m);
    bool have_all = x != NULL;
    for (int k = 0; k < n_out; k++) {
        snprintf(path, sizeof path, "%s/output_%d.pb", set, k);
        have_all = (want[k] = tensor_file(ctx, path)) && have_all;
    }
    fv_node *in[FV_MODEL_MAX_IO], *out[FV_MODEL_MAX_IO];
    int64_t batch = x && x->ndim && fv_model_layer_batched(m, fv_model_input_layer(m, 0)) ? x->shape[0] : 1;
    fv_graph *g = have_all && batch > 0 ? fv_model_build_io(m, batch, in, out, NULL) : NULL;
    if (g) fv_graph_set_training(g, false);
    if (!have_all || !g || fv_graph_set_input(g, in[0], x) || fv_graph_forward(g)) {
        snprintf(why, wsize, "loaded but did not run: %s", have_all ? fv_errmsg(ctx) : "a data file is unreadable");
        res = R_FAIL;
    } else {
        double worst = 0;
        int64_t values = 0;
        for (int k = 0; k < n_out; k++) {
            const fv_tensor *y = fv_node_value(out[k]);
            values += want[k]->size;
            if (!output_matches(y, want[k], &worst)) {
                res = R_FAIL;
                if (!same_shape(y, want[k]))
                    snprintf(why, wsize, "output %d of another shape (%d dimensions, %lld values)", k, y->ndim,
                             (long long)y->size);
                else snprintf(why, wsize, "output %d: %s values differ (largest difference %.3g)", k,
                              fv_dtype_name(y->dtype), worst);
            }
        }
        if (res == R_PASS) snprintf(why, wsize, "%lld values, largest difference %.3g", (long long)values, worst);
    }
    fv_graph_free(g);
    fv_tensor_free(x);
    for (int k = 0; k < n_out; k++) fv_tensor_free(want[k]);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return res;
}

/* The tests that passed when this list was written: one that stops passing is a regression, whatever its
 * reason. A test that starts passing is reported, to be added here. */
static const char *const expected_pass[] = {
    "node/test_abs", "node/test_acos", "node/test_acos_example", "node/test_acosh", "node/test_acosh_example",
    "node/test_add", "node/test_add_bcast", "node/test_and2d", "node/test_and3d", "node/test_and4d",
    "node/test_and_bcast3v1d", "node/test_and_bcast3v2d", "node/test_and_bcast4v2d", "node/test_and_bcast4v3d",
    "node/test_and_bcast4v4d", "node/test_argmax_default_axis_example",
    "node/test_argmax_default_axis_example_select_last_index", "node/test_argmax_default_axis_random",
    "node/test_argmax_default_axis_random_select_last_index", "node/test_argmax_keepdims_example",
    "node/test_argmax_keepdims_example_select_last_index", "node/test_argmax_keepdims_random",
    "node/test_argmax_keepdims_random_select_last_index", "node/test_argmax_negative_axis_keepdims_example",
    "node/test_argmax_negative_axis_keepdims_example_select_last_index",
    "node/test_argmax_negative_axis_keepdims_random",
    "node/test_argmax_negative_axis_keepdims_random_select_last_index", "node/test_argmax_no_keepdims_example",
    "node/test_argmax_no_keepdims_example_select_last_index", "node/test_argmax_no_keepdims_random",
    "node/test_argmax_no_keepdims_random_select_last_index", "node/test_argmin_default_axis_example",
    "node/test_argmin_default_axis_example_select_last_index", "node/test_argmin_default_axis_random",
    "node/test_argmin_default_axis_random_select_last_index", "node/test_argmin_keepdims_example",
    "node/test_argmin_keepdims_example_select_last_index", "node/test_argmin_keepdims_random",
    "node/test_argmin_keepdims_random_select_last_index", "node/test_argmin_negative_axis_keepdims_example",
    "node/test_argmin_negative_axis_keepdims_example_select_last_index",
    "node/test_argmin_negative_axis_keepdims_random",
    "node/test_argmin_negative_axis_keepdims_random_select_last_index", "node/test_argmin_no_keepdims_example",
    "node/test_argmin_no_keepdims_example_select_last_index", "node/test_argmin_no_keepdims_random",
    "node/test_argmin_no_keepdims_random_select_last_index", "node/test_asin", "node/test_asin_example",
    "node/test_asinh", "node/test_asinh_example", "node/test_atan", "node/test_atan_example", "node/test_atanh",
    "node/test_atanh_example", "node/test_averagepool_2d_ceil", "node/test_averagepool_2d_default",
    "node/test_averagepool_2d_precomputed_pads", "node/test_averagepool_2d_precomputed_pads_count_include_pad",
    "node/test_averagepool_2d_precomputed_same_upper", "node/test_averagepool_2d_precomputed_strides",
    "node/test_averagepool_2d_same_lower", "node/test_averagepool_2d_same_upper", "node/test_averagepool_2d_strides",
    "node/test_basic_conv_with_padding", "node/test_basic_conv_without_padding", "node/test_batchnorm_epsilon",
    "node/test_batchnorm_example", "node/test_ceil", "node/test_ceil_example", "node/test_celu",
    "node/test_celu_expanded", "node/test_clip", "node/test_clip_default_inbounds", "node/test_clip_default_max",
    "node/test_clip_default_min", "node/test_clip_example", "node/test_clip_inbounds", "node/test_clip_outbounds",
    "node/test_clip_splitbounds", "node/test_concat_1d_axis_0", "node/test_concat_1d_axis_negative_1",
    "node/test_concat_2d_axis_0", "node/test_concat_2d_axis_1", "node/test_concat_2d_axis_negative_1",
    "node/test_concat_2d_axis_negative_2", "node/test_concat_3d_axis_0", "node/test_concat_3d_axis_1",
    "node/test_concat_3d_axis_2", "node/test_concat_3d_axis_negative_1", "node/test_concat_3d_axis_negative_2",
    "node/test_concat_3d_axis_negative_3", "node/test_constant_pad", "node/test_conv_with_autopad_same",
    "node/test_conv_with_strides_and_asymmetric_padding", "node/test_conv_with_strides_no_padding",
    "node/test_conv_with_strides_padding", "node/test_convtranspose", "node/test_convtranspose_autopad_same",
    "node/test_convtranspose_dilations", "node/test_convtranspose_kernel_shape",
    "node/test_convtranspose_output_shape", "node/test_convtranspose_pad", "node/test_convtranspose_pads",
    "node/test_convtranspose_with_kernel", "node/test_cos", "node/test_cos_example", "node/test_cosh",
    "node/test_cosh_example", "node/test_depthtospace_crd_mode", "node/test_depthtospace_crd_mode_example",
    "node/test_depthtospace_dcr_mode", "node/test_depthtospace_example", "node/test_div", "node/test_div_bcast",
    "node/test_div_example", "node/test_dropout_default", "node/test_dropout_default_mask",
    "node/test_dropout_default_mask_ratio", "node/test_dropout_default_old", "node/test_dropout_default_ratio",
    "node/test_dropout_random_old", "node/test_edge_pad", "node/test_elu", "node/test_elu_default",
    "node/test_elu_example", "node/test_equal", "node/test_equal_bcast", "node/test_erf", "node/test_exp",
    "node/test_exp_example", "node/test_expand_dim_changed", "node/test_expand_dim_unchanged",
    "node/test_flatten_axis0", "node/test_flatten_axis1", "node/test_flatten_axis2", "node/test_flatten_axis3",
    "node/test_flatten_default_axis", "node/test_flatten_negative_axis1", "node/test_flatten_negative_axis2",
    "node/test_flatten_negative_axis3", "node/test_flatten_negative_axis4", "node/test_floor",
    "node/test_floor_example", "node/test_gather_0", "node/test_gather_1", "node/test_gather_2d_indices",
    "node/test_gather_elements_0", "node/test_gather_elements_1", "node/test_gather_elements_negative_indices",
    "node/test_gather_negative_indices", "node/test_gemm_all_attributes", "node/test_gemm_alpha",
    "node/test_gemm_beta", "node/test_gemm_default_matrix_bias", "node/test_gemm_default_no_bias",
    "node/test_gemm_default_scalar_bias", "node/test_gemm_default_single_elem_vector_bias",
    "node/test_gemm_default_vector_bias", "node/test_gemm_default_zero_bias", "node/test_gemm_transposeA",
    "node/test_gemm_transposeB", "node/test_globalaveragepool", "node/test_globalaveragepool_precomputed",
    "node/test_globalmaxpool", "node/test_globalmaxpool_precomputed", "node/test_greater", "node/test_greater_bcast",
    "node/test_greater_equal", "node/test_greater_equal_bcast", "node/test_greater_equal_bcast_expanded",
    "node/test_greater_equal_expanded", "node/test_hardmax_axis_0", "node/test_hardmax_axis_1",
    "node/test_hardmax_axis_2", "node/test_hardmax_default_axis", "node/test_hardmax_example",
    "node/test_hardmax_negative_axis", "node/test_hardmax_one_hot", "node/test_hardsigmoid",
    "node/test_hardsigmoid_default", "node/test_hardsigmoid_example", "node/test_hardswish",
    "node/test_hardswish_expanded", "node/test_identity", "node/test_instancenorm_epsilon",
    "node/test_instancenorm_example", "node/test_isinf", "node/test_isinf_negative", "node/test_isinf_positive",
    "node/test_isnan", "node/test_layer_normalization_2d_axis0", "node/test_layer_normalization_2d_axis0_expanded",
    "node/test_layer_normalization_2d_axis1", "node/test_layer_normalization_2d_axis1_expanded",
    "node/test_layer_normalization_2d_axis_negative_1", "node/test_layer_normalization_2d_axis_negative_1_expanded",
    "node/test_layer_normalization_2d_axis_negative_2", "node/test_layer_normalization_2d_axis_negative_2_expanded",
    "node/test_layer_normalization_3d_axis0_epsilon", "node/test_layer_normalization_3d_axis0_epsilon_expanded",
    "node/test_layer_normalization_3d_axis1_epsilon", "node/test_layer_normalization_3d_axis1_epsilon_expanded",
    "node/test_layer_normalization_3d_axis2_epsilon", "node/test_layer_normalization_3d_axis2_epsilon_expanded",
    "node/test_layer_normalization_3d_axis_negative_1_epsilon",
    "node/test_layer_normalization_3d_axis_negative_1_epsilon_expanded",
    "node/test_layer_normalization_3d_axis_negative_2_epsilon",
    "node/test_layer_normalization_3d_axis_negative_2_epsilon_expanded",
    "node/test_layer_normalization_3d_axis_negative_3_epsilon",
    "node/test_layer_normalization_3d_axis_negative_3_epsilon_expanded", "node/test_layer_normalization_4d_axis0",
    "node/test_layer_normalization_4d_axis0_expanded", "node/test_layer_normalization_4d_axis1",
    "node/test_layer_normalization_4d_axis1_expanded", "node/test_layer_normalization_4d_axis2",
    "node/test_layer_normalization_4d_axis2_expanded", "node/test_layer_normalization_4d_axis3",
    "node/test_layer_normalization_4d_axis3_expanded", "node/test_layer_normalization_4d_axis_negative_1",
    "node/test_layer_normalization_4d_axis_negative_1_expanded", "node/test_layer_normalization_4d_axis_negative_2",
    "node/test_layer_normalization_4d_axis_negative_2_expanded", "node/test_layer_normalization_4d_axis_negative_3",
    "node/test_layer_normalization_4d_axis_negative_3_expanded", "node/test_layer_normalization_4d_axis_negative_4",
    "node/test_layer_normalization_4d_axis_negative_4_expanded", "node/test_layer_normalization_default_axis",
    "node/test_layer_normalization_default_axis_expanded", "node/test_leakyrelu", "node/test_leakyrelu_default",
    "node/test_leakyrelu_example", "node/test_less", "node/test_less_bcast", "node/test_less_equal",
    "node/test_less_equal_bcast", "node/test_less_equal_bcast_expanded", "node/test_less_equal_expanded",
    "node/test_log", "node/test_log_example", "node/test_logsoftmax_axis_0", "node/test_logsoftmax_axis_0_expanded",
    "node/test_logsoftmax_axis_1", "node/test_logsoftmax_axis_1_expanded", "node/test_logsoftmax_axis_2",
    "node/test_logsoftmax_axis_2_expanded", "node/test_logsoftmax_default_axis",
    "node/test_logsoftmax_default_axis_expanded", "node/test_logsoftmax_example_1",
    "node/test_logsoftmax_example_1_expanded", "node/test_logsoftmax_large_number",
    "node/test_logsoftmax_large_number_expanded", "node/test_logsoftmax_negative_axis",
    "node/test_logsoftmax_negative_axis_expanded", "node/test_lrn", "node/test_lrn_default", "node/test_matmul_2d",
    "node/test_matmul_3d", "node/test_matmul_4d", "node/test_max_example", "node/test_max_float32",
    "node/test_max_int32", "node/test_max_int64", "node/test_max_one_input", "node/test_max_two_inputs",
    "node/test_maxpool_2d_ceil", "node/test_maxpool_2d_default", "node/test_maxpool_2d_precomputed_pads",
    "node/test_maxpool_2d_precomputed_same_upper", "node/test_maxpool_2d_precomputed_strides",
    "node/test_maxpool_2d_same_lower", "node/test_maxpool_2d_same_upper", "node/test_maxpool_2d_strides",
    "node/test_mean_example", "node/test_mean_one_input", "node/test_mean_two_inputs", "node/test_min_example",
    "node/test_min_float32", "node/test_min_int32", "node/test_min_int64", "node/test_min_one_input",
    "node/test_min_two_inputs", "node/test_mod_broadcast", "node/test_mod_int64_fmod",
    "node/test_mod_mixed_sign_float32", "node/test_mod_mixed_sign_int32", "node/test_mod_mixed_sign_int64",
    "node/test_mul", "node/test_mul_bcast", "node/test_mul_example", "node/test_mvn_expanded", "node/test_neg",
    "node/test_neg_example", "node/test_nllloss_NC", "node/test_nllloss_NC_expanded", "node/test_nllloss_NCd1",
    "node/test_nllloss_NCd1_expanded", "node/test_nllloss_NCd1_ii", "node/test_nllloss_NCd1_ii_expanded",
    "node/test_nllloss_NCd1_mean_weight_negative_ii", "node/test_nllloss_NCd1_mean_weight_negative_ii_expanded",
    "node/test_nllloss_NCd1_weight", "node/test_nllloss_NCd1_weight_expanded", "node/test_nllloss_NCd1_weight_ii",
    "node/test_nllloss_NCd1_weight_ii_expanded", "node/test_nllloss_NCd1d2", "node/test_nllloss_NCd1d2_expanded",
    "node/test_nllloss_NCd1d2_no_weight_reduction_mean_ii",
    "node/test_nllloss_NCd1d2_no_weight_reduction_mean_ii_expanded", "node/test_nllloss_NCd1d2_reduction_mean",
    "node/test_nllloss_NCd1d2_reduction_mean_expanded", "node/test_nllloss_NCd1d2_reduction_sum",
    "node/test_nllloss_NCd1d2_reduction_sum_expanded", "node/test_nllloss_NCd1d2_with_weight",
    "node/test_nllloss_NCd1d2_with_weight_expanded", "node/test_nllloss_NCd1d2_with_weight_reduction_mean",
    "node/test_nllloss_NCd1d2_with_weight_reduction_mean_expanded",
    "node/test_nllloss_NCd1d2_with_weight_reduction_sum",
    "node/test_nllloss_NCd1d2_with_weight_reduction_sum_expanded",
    "node/test_nllloss_NCd1d2_with_weight_reduction_sum_ii",
    "node/test_nllloss_NCd1d2_with_weight_reduction_sum_ii_expanded",
    "node/test_nllloss_NCd1d2d3_none_no_weight_negative_ii",
    "node/test_nllloss_NCd1d2d3_none_no_weight_negative_ii_expanded", "node/test_nllloss_NCd1d2d3_sum_weight_high_ii",
    "node/test_nllloss_NCd1d2d3_sum_weight_high_ii_expanded", "node/test_not_2d", "node/test_not_3d",
    "node/test_not_4d", "node/test_or2d", "node/test_or3d", "node/test_or4d", "node/test_or_bcast3v1d",
    "node/test_or_bcast3v2d", "node/test_or_bcast4v2d", "node/test_or_bcast4v3d", "node/test_or_bcast4v4d",
    "node/test_pow", "node/test_pow_bcast_array", "node/test_pow_bcast_scalar", "node/test_pow_example",
    "node/test_pow_types_float32_int32", "node/test_pow_types_float32_int64", "node/test_pow_types_float32_uint32",
    "node/test_pow_types_float32_uint64", "node/test_pow_types_int", "node/test_prelu_broadcast",
    "node/test_prelu_example", "node/test_reciprocal", "node/test_reciprocal_example",
    "node/test_reduce_l1_default_axes_keepdims_example", "node/test_reduce_l1_default_axes_keepdims_random",
    "node/test_reduce_l1_do_not_keepdims_example", "node/test_reduce_l1_do_not_keepdims_random",
    "node/test_reduce_l1_keep_dims_example", "node/test_reduce_l1_keep_dims_random",
    "node/test_reduce_l1_negative_axes_keep_dims_example", "node/test_reduce_l1_negative_axes_keep_dims_random",
    "node/test_reduce_l2_default_axes_keepdims_example", "node/test_reduce_l2_default_axes_keepdims_random",
    "node/test_reduce_l2_do_not_keepdims_example", "node/test_reduce_l2_do_not_keepdims_random",
    "node/test_reduce_l2_keep_dims_example", "node/test_reduce_l2_keep_dims_random",
    "node/test_reduce_l2_negative_axes_keep_dims_example", "node/test_reduce_l2_negative_axes_keep_dims_random",
    "node/test_reduce_log_sum", "node/test_reduce_log_sum_asc_axes", "node/test_reduce_log_sum_default",
    "node/test_reduce_log_sum_desc_axes", "node/test_reduce_log_sum_negative_axes",
    "node/test_reduce_max_default_axes_keepdim_example", "node/test_reduce_max_default_axes_keepdims_random",
    "node/test_reduce_max_do_not_keepdims_example", "node/test_reduce_max_do_not_keepdims_random",
    "node/test_reduce_max_keepdims_example", "node/test_reduce_max_keepdims_random",
    "node/test_reduce_max_negative_axes_keepdims_example", "node/test_reduce_max_negative_axes_keepdims_random",
    "node/test_reduce_mean_default_axes_keepdims_example", "node/test_reduce_mean_default_axes_keepdims_random",
    "node/test_reduce_mean_do_not_keepdims_example", "node/test_reduce_mean_do_not_keepdims_random",
    "node/test_reduce_mean_keepdims_example", "node/test_reduce_mean_keepdims_random",
    "node/test_reduce_mean_negative_axes_keepdims_example", "node/test_reduce_mean_negative_axes_keepdims_random",
    "node/test_reduce_min_default_axes_keepdims_example", "node/test_reduce_min_default_axes_keepdims_random",
    "node/test_reduce_min_do_not_keepdims_example", "node/test_reduce_min_do_not_keepdims_random",
    "node/test_reduce_min_keepdims_example", "node/test_reduce_min_keepdims_random",
    "node/test_reduce_min_negative_axes_keepdims_example", "node/test_reduce_min_negative_axes_keepdims_random",
    "node/test_reduce_prod_default_axes_keepdims_example", "node/test_reduce_prod_default_axes_keepdims_random",
    "node/test_reduce_prod_do_not_keepdims_example", "node/test_reduce_prod_do_not_keepdims_random",
    "node/test_reduce_prod_keepdims_example", "node/test_reduce_prod_keepdims_random",
    "node/test_reduce_prod_negative_axes_keepdims_example", "node/test_reduce_prod_negative_axes_keepdims_random",
    "node/test_reduce_sum_default_axes_keepdims_example", "node/test_reduce_sum_default_axes_keepdims_random",
    "node/test_reduce_sum_do_not_keepdims_example", "node/test_reduce_sum_do_not_keepdims_random",
    "node/test_reduce_sum_empty_axes_input_noop_example", "node/test_reduce_sum_empty_axes_input_noop_random",
    "node/test_reduce_sum_keepdims_example", "node/test_reduce_sum_keepdims_random",
    "node/test_reduce_sum_negative_axes_keepdims_example", "node/test_reduce_sum_negative_axes_keepdims_random",
    "node/test_reduce_sum_square_default_axes_keepdims_example",
    "node/test_reduce_sum_square_default_axes_keepdims_random", "node/test_reduce_sum_square_do_not_keepdims_example",
    "node/test_reduce_sum_square_do_not_keepdims_random", "node/test_reduce_sum_square_keepdims_example",
    "node/test_reduce_sum_square_keepdims_random", "node/test_reduce_sum_square_negative_axes_keepdims_example",
    "node/test_reduce_sum_square_negative_axes_keepdims_random", "node/test_reflect_pad", "node/test_relu",
    "node/test_reshape_extended_dims", "node/test_reshape_negative_dim", "node/test_reshape_negative_extended_dims",
    "node/test_reshape_one_dim", "node/test_reshape_reduced_dims", "node/test_reshape_reordered_all_dims",
    "node/test_reshape_reordered_last_dims", "node/test_reshape_zero_and_negative_dim", "node/test_reshape_zero_dim",
    "node/test_resize_downsample_scales_cubic", "node/test_resize_downsample_scales_cubic_A_n0p5_exclude_outside",
    "node/test_resize_downsample_scales_linear", "node/test_resize_downsample_scales_nearest",
    "node/test_resize_downsample_sizes_cubic", "node/test_resize_downsample_sizes_linear_pytorch_half_pixel",
    "node/test_resize_downsample_sizes_nearest", "node/test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn",
    "node/test_resize_upsample_scales_cubic", "node/test_resize_upsample_scales_cubic_A_n0p5_exclude_outside",
    "node/test_resize_upsample_scales_cubic_align_corners", "node/test_resize_upsample_scales_cubic_asymmetric",
    "node/test_resize_upsample_scales_linear", "node/test_resize_upsample_scales_linear_align_corners",
    "node/test_resize_upsample_scales_nearest", "node/test_resize_upsample_sizes_cubic",
    "node/test_resize_upsample_sizes_nearest", "node/test_resize_upsample_sizes_nearest_ceil_half_pixel",
    "node/test_resize_upsample_sizes_nearest_floor_align_corners",
    "node/test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric", "node/test_round",
    "node/test_scatter_elements_with_axis", "node/test_scatter_elements_with_duplicate_indices",
    "node/test_scatter_elements_with_negative_indices", "node/test_scatter_elements_without_axis",
    "node/test_sce_NCd1_mean_weight_negative_ii", "node/test_sce_NCd1_mean_weight_negative_ii_expanded",
    "node/test_sce_NCd1_mean_weight_negative_ii_log_prob",
    "node/test_sce_NCd1_mean_weight_negative_ii_log_prob_expanded",
    "node/test_sce_NCd1d2d3_none_no_weight_negative_ii", "node/test_sce_NCd1d2d3_none_no_weight_negative_ii_expanded",
    "node/test_sce_NCd1d2d3_none_no_weight_negative_ii_log_prob",
    "node/test_sce_NCd1d2d3_none_no_weight_negative_ii_log_prob_expanded",
    "node/test_sce_NCd1d2d3_sum_weight_high_ii", "node/test_sce_NCd1d2d3_sum_weight_high_ii_expanded",
    "node/test_sce_NCd1d2d3_sum_weight_high_ii_log_prob",
    "node/test_sce_NCd1d2d3_sum_weight_high_ii_log_prob_expanded", "node/test_sce_mean", "node/test_sce_mean_3d",
    "node/test_sce_mean_3d_expanded", "node/test_sce_mean_3d_log_prob", "node/test_sce_mean_3d_log_prob_expanded",
    "node/test_sce_mean_expanded", "node/test_sce_mean_log_prob", "node/test_sce_mean_log_prob_expanded",
    "node/test_sce_mean_no_weight_ii", "node/test_sce_mean_no_weight_ii_3d",
    "node/test_sce_mean_no_weight_ii_3d_expanded", "node/test_sce_mean_no_weight_ii_3d_log_prob",
    "node/test_sce_mean_no_weight_ii_3d_log_prob_expanded", "node/test_sce_mean_no_weight_ii_4d",
    "node/test_sce_mean_no_weight_ii_4d_expanded", "node/test_sce_mean_no_weight_ii_4d_log_prob",
    "node/test_sce_mean_no_weight_ii_4d_log_prob_expanded", "node/test_sce_mean_no_weight_ii_expanded",
    "node/test_sce_mean_no_weight_ii_log_prob", "node/test_sce_mean_no_weight_ii_log_prob_expanded",
    "node/test_sce_mean_weight", "node/test_sce_mean_weight_expanded", "node/test_sce_mean_weight_ii",
    "node/test_sce_mean_weight_ii_3d", "node/test_sce_mean_weight_ii_3d_expanded",
    "node/test_sce_mean_weight_ii_3d_log_prob", "node/test_sce_mean_weight_ii_3d_log_prob_expanded",
    "node/test_sce_mean_weight_ii_4d", "node/test_sce_mean_weight_ii_4d_expanded",
    "node/test_sce_mean_weight_ii_4d_log_prob", "node/test_sce_mean_weight_ii_4d_log_prob_expanded",
    "node/test_sce_mean_weight_ii_expanded", "node/test_sce_mean_weight_ii_log_prob",
    "node/test_sce_mean_weight_ii_log_prob_expanded", "node/test_sce_mean_weight_log_prob",
    "node/test_sce_mean_weight_log_prob_expanded", "node/test_sce_none", "node/test_sce_none_expanded",
    "node/test_sce_none_log_prob", "node/test_sce_none_log_prob_expanded", "node/test_sce_none_weights",
    "node/test_sce_none_weights_expanded", "node/test_sce_none_weights_log_prob",
    "node/test_sce_none_weights_log_prob_expanded", "node/test_sce_sum", "node/test_sce_sum_expanded",
    "node/test_sce_sum_log_prob", "node/test_sce_sum_log_prob_expanded", "node/test_selu", "node/test_selu_default",
    "node/test_selu_example", "node/test_shape", "node/test_shape_clip_end", "node/test_shape_clip_start",
    "node/test_shape_end_1", "node/test_shape_end_negative_1", "node/test_shape_example", "node/test_shape_start_1",
    "node/test_shape_start_1_end_2", "node/test_shape_start_1_end_negative_1", "node/test_shape_start_negative_1",
    "node/test_shrink_hard", "node/test_shrink_soft", "node/test_sigmoid", "node/test_sigmoid_example",
    "node/test_sign", "node/test_sin", "node/test_sin_example", "node/test_sinh", "node/test_sinh_example",
    "node/test_size", "node/test_size_example", "node/test_slice", "node/test_slice_default_axes",
    "node/test_slice_default_steps", "node/test_slice_end_out_of_bounds", "node/test_slice_neg",
    "node/test_slice_neg_steps", "node/test_slice_negative_axes", "node/test_slice_start_out_of_bounds",
    "node/test_softmax_axis_0", "node/test_softmax_axis_0_expanded", "node/test_softmax_axis_1",
    "node/test_softmax_axis_1_expanded", "node/test_softmax_axis_2", "node/test_softmax_axis_2_expanded",
    "node/test_softmax_default_axis", "node/test_softmax_default_axis_expanded", "node/test_softmax_example",
    "node/test_softmax_example_expanded", "node/test_softmax_large_number", "node/test_softmax_large_number_expanded",
    "node/test_softmax_negative_axis", "node/test_softmax_negative_axis_expanded", "node/test_softplus",
    "node/test_softplus_example", "node/test_softsign", "node/test_softsign_example", "node/test_spacetodepth",
    "node/test_spacetodepth_example", "node/test_split_equal_parts_1d", "node/test_split_equal_parts_2d",
    "node/test_split_equal_parts_default_axis", "node/test_split_variable_parts_1d",
    "node/test_split_variable_parts_2d", "node/test_split_variable_parts_default_axis",
    "node/test_split_zero_size_splits", "node/test_sqrt", "node/test_sqrt_example", "node/test_squeeze",
    "node/test_squeeze_negative_axes", "node/test_sub", "node/test_sub_bcast", "node/test_sub_example",
    "node/test_sum_example", "node/test_sum_one_input", "node/test_sum_two_inputs", "node/test_tan",
    "node/test_tan_example", "node/test_tanh", "node/test_tanh_example", "node/test_thresholdedrelu",
    "node/test_thresholdedrelu_default", "node/test_thresholdedrelu_example", "node/test_tile",
    "node/test_tile_precomputed", "node/test_top_k", "node/test_top_k_negative_axis", "node/test_top_k_smallest",
    "node/test_training_dropout_zero_ratio", "node/test_training_dropout_zero_ratio_mask",
    "node/test_transpose_all_permutations_0", "node/test_transpose_all_permutations_1",
    "node/test_transpose_all_permutations_2", "node/test_transpose_all_permutations_3",
    "node/test_transpose_all_permutations_4", "node/test_transpose_all_permutations_5", "node/test_transpose_default",
    "node/test_tril", "node/test_tril_neg", "node/test_tril_one_row_neg", "node/test_tril_out_neg",
    "node/test_tril_out_pos", "node/test_tril_pos", "node/test_tril_square", "node/test_tril_square_neg",
    "node/test_triu", "node/test_triu_neg", "node/test_triu_one_row", "node/test_triu_out_neg_out",
    "node/test_triu_out_pos", "node/test_triu_pos", "node/test_triu_square", "node/test_triu_square_neg",
    "node/test_unsqueeze_axis_0", "node/test_unsqueeze_axis_1", "node/test_unsqueeze_axis_2",
    "node/test_unsqueeze_axis_3", "node/test_unsqueeze_negative_axes", "node/test_unsqueeze_three_axes",
    "node/test_unsqueeze_two_axes", "node/test_unsqueeze_unsorted_axes", "node/test_upsample_nearest",
    "node/test_where_example", "node/test_where_long_example", "node/test_xor2d", "node/test_xor3d",
    "node/test_xor4d", "node/test_xor_bcast3v1d", "node/test_xor_bcast3v2d", "node/test_xor_bcast4v2d",
    "node/test_xor_bcast4v3d", "node/test_xor_bcast4v4d", "pytorch-converted/test_AvgPool1d",
    "pytorch-converted/test_AvgPool1d_stride", "pytorch-converted/test_AvgPool2d",
    "pytorch-converted/test_AvgPool2d_stride", "pytorch-converted/test_BatchNorm2d_eval",
    "pytorch-converted/test_BatchNorm2d_momentum_eval", "pytorch-converted/test_ConstantPad2d",
    "pytorch-converted/test_Conv2d", "pytorch-converted/test_Conv2d_depthwise",
    "pytorch-converted/test_Conv2d_depthwise_padded", "pytorch-converted/test_Conv2d_depthwise_strided",
    "pytorch-converted/test_Conv2d_depthwise_with_multiplier", "pytorch-converted/test_Conv2d_dilated",
    "pytorch-converted/test_Conv2d_groups", "pytorch-converted/test_Conv2d_groups_thnn",
    "pytorch-converted/test_Conv2d_no_bias", "pytorch-converted/test_Conv2d_padding",
    "pytorch-converted/test_Conv2d_strided", "pytorch-converted/test_ConvTranspose2d",
    "pytorch-converted/test_ConvTranspose2d_no_bias", "pytorch-converted/test_ELU",
    "pytorch-converted/test_Embedding", "pytorch-converted/test_Embedding_sparse", "pytorch-converted/test_GLU",
    "pytorch-converted/test_GLU_dim", "pytorch-converted/test_LeakyReLU",
    "pytorch-converted/test_LeakyReLU_with_negval", "pytorch-converted/test_Linear",
    "pytorch-converted/test_Linear_no_bias", "pytorch-converted/test_LogSoftmax", "pytorch-converted/test_MaxPool2d",
    "pytorch-converted/test_PReLU_1d", "pytorch-converted/test_PReLU_1d_multiparam",
    "pytorch-converted/test_PReLU_2d", "pytorch-converted/test_PReLU_2d_multiparam",
    "pytorch-converted/test_PReLU_3d", "pytorch-converted/test_PReLU_3d_multiparam",
    "pytorch-converted/test_PixelShuffle", "pytorch-converted/test_PoissonNLLLLoss_no_reduce",
    "pytorch-converted/test_ReLU", "pytorch-converted/test_ReflectionPad2d",
    "pytorch-converted/test_ReplicationPad2d", "pytorch-converted/test_SELU", "pytorch-converted/test_Sigmoid",
    "pytorch-converted/test_Softmax", "pytorch-converted/test_Softmin", "pytorch-converted/test_Softplus",
    "pytorch-converted/test_Softsign", "pytorch-converted/test_Tanh", "pytorch-converted/test_ZeroPad2d",
    "pytorch-converted/test_log_softmax_dim3", "pytorch-converted/test_log_softmax_lastdim",
    "pytorch-converted/test_softmax_functional_dim3", "pytorch-converted/test_softmax_lastdim",
    "pytorch-operator/test_operator_addmm", "pytorch-operator/test_operator_basic",
    "pytorch-operator/test_operator_chunk", "pytorch-operator/test_operator_clip",
    "pytorch-operator/test_operator_concat2", "pytorch-operator/test_operator_conv",
    "pytorch-operator/test_operator_convtranspose", "pytorch-operator/test_operator_exp",
    "pytorch-operator/test_operator_flatten", "pytorch-operator/test_operator_index",
    "pytorch-operator/test_operator_max", "pytorch-operator/test_operator_min", "pytorch-operator/test_operator_mm",
    "pytorch-operator/test_operator_non_float_params", "pytorch-operator/test_operator_pad",
    "pytorch-operator/test_operator_params", "pytorch-operator/test_operator_permute2",
    "pytorch-operator/test_operator_pow", "pytorch-operator/test_operator_reduced_mean",
    "pytorch-operator/test_operator_reduced_mean_keepdim", "pytorch-operator/test_operator_reduced_sum",
    "pytorch-operator/test_operator_reduced_sum_keepdim", "pytorch-operator/test_operator_repeat",
    "pytorch-operator/test_operator_repeat_dim_overflow", "pytorch-operator/test_operator_selu",
    "pytorch-operator/test_operator_sqrt", "pytorch-operator/test_operator_symbolic_override",
    "pytorch-operator/test_operator_view",
};

static bool expected(const char *suite, const char *name)
{
    char key[300];
    snprintf(key, sizeof key, "%s/%s", suite, name);
    for (size_t i = 0; i < sizeof expected_pass / sizeof *expected_pass; i++)
        if (strcmp(expected_pass[i], key) == 0) return true;
    return false;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sorted test_* entries of dir; -1 when dir cannot be read. */
static int list_tests(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    *names = NULL;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, "test_", 5) == 0) {
            *names = realloc(*names, (size_t)(n + 1) * sizeof **names);
            (*names)[n++] = strdup(e->d_name);
        }
    closedir(d);
    if (n) qsort(*names, (size_t)n, sizeof **names, cmp);
    return n;
}

typedef struct {
    int total, read, passed, refused, failed, bad, regressed, new_passes;
} counts;

/* One test, every data set until the first that does not pass; false when fovea does not read its operators. */
static bool run_test(const char *dir, const char *name, result *worst, char *ops, size_t osize, char *why,
                     size_t wsize)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s/model.onnx", dir, name);
    size_t len = 0;
    unsigned char *model = pb_read_file(path, &len);
    model_info mi;
    if (!model || !read_model(model, len, &mi) || !mi.all_claimed || mi.n_inputs < 1) {
        snprintf(why, wsize, "%s", !model || !mi.graph ? "the model file is unreadable"
                                   : !mi.all_claimed ? "operators fovea does not read: " : "the graph has no input");
        if (model && mi.graph && !mi.all_claimed) snprintf(why + strlen(why), wsize - strlen(why), "%s", mi.unread);
        free(model);
        return false;
    }
    *worst = R_PASS;
    for (int k = 0; *worst == R_PASS; k++) {
        char set[1200];
        struct stat st;
        snprintf(set, sizeof set, "%s/%s/test_data_set_%d", dir, name, k);
        if (stat(set, &st) != 0) break;
        *worst = run_set(model, len, &mi, set, why, wsize);
    }
    snprintf(ops, osize, "%s", mi.ops);
    free(model);
    return true;
}

static void tally(counts *c, const char *suite, const char *name, result r, const char *ops, const char *why)
{
    static const char *const label[] = {"pass", "FAIL", "refused", "BAD REFUSAL"};
    bool was = expected(suite, name);
    c->read++;
    c->passed += r == R_PASS, c->failed += r == R_FAIL, c->refused += r == R_REFUSED, c->bad += r == R_BAD_REFUSAL;
    c->regressed += was && r != R_PASS;
    c->new_passes += !was && r == R_PASS;
    if (verbose || r != R_PASS || was != (r == R_PASS)) /* every test that does not pass says why */
        printf("%-11s %s/%s (%s): %s%s\n", label[r], suite, name, ops, why,
               was && r != R_PASS ? " [REGRESSION: it passed before]"
               : !was && r == R_PASS ? " [new pass: add it to expected_pass]" : "");
}

/* Every test of one folder; false when the folder is absent. */
static bool run_suite(const char *root, const char *suite, counts *c)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", root, suite);
    char **names;
    int n = list_tests(dir, &names);
    memset(c, 0, sizeof *c);
    if (n < 0) return false;
    for (int i = 0; i < n; i++) {
        result r;
        char ops[200], why[800] = "";
        c->total++;
        if (run_test(dir, names[i], &r, ops, sizeof ops, why, sizeof why)) {
            tally(c, suite, names[i], r, ops, why);
        } else if (expected(suite, names[i])) { /* an operator dropped from fv_onnx_operators() */
            printf("%-11s %s/%s: no longer read [REGRESSION: it passed before]\n", "FAIL", suite, names[i]);
            c->regressed++;
        } else {
            printf("%-11s %s/%s: %s\n", "not run", suite, names[i], why);
        }
        free(names[i]);
    }
    free(names);
    printf("%s: %d tests, %d use only operators fovea reads; passed %d, refused (unsupported variants) %d, wrong "
           "numbers %d, refused unclearly %d; %d of the expected passes regressed, %d new passes\n",
           suite, c->total, c->read, c->passed, c->refused, c->failed, c->bad, c->regressed, c->new_passes);
    return true;
}

static void check_suite(const char *suite, const counts *c, int min_read, int min_passed)
{
    CHECK(c->read >= min_read, "%s: %d tests use only operators fovea reads", suite, c->read);
    CHECK(c->failed == 0, "%s: no model loads and computes wrong numbers (%d did)", suite, c->failed);
    CHECK(c->bad == 0, "%s: every refusal says the feature is unsupported (%d did not)", suite, c->bad);
    CHECK(c->regressed == 0, "%s: every expected pass still passes (%d do not)", suite, c->regressed);
    CHECK(c->passed >= min_passed, "%s: %d of %d pass (the rest use inputs of other ranks, opsets or variants "
          "fovea lacks)", suite, c->passed, c->read);
}

int main(int argc, char **argv)
{
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    const char *root = getenv("FOVEA_ONNX_TESTDATA") ? getenv("FOVEA_ONNX_TESTDATA") : DEFAULT_DATA;
    /* the floors are the figures of docs/ONNX.md: a test that stops being read is a change worth noticing */
    static const struct {
        const char *name;
        int min_read, min_passed;
    } suites[] = {{"node", 780, 641}, {"pytorch-converted", 82, 54}, {"pytorch-operator", 35, 28}};
    int present = 0;
    for (size_t i = 0; i < sizeof suites / sizeof *suites; i++) {
        counts c;
        if (!run_suite(root, suites[i].name, &c)) {
            printf("%s/%s is absent\n", root, suites[i].name);
            continue;
        }
        present++;
        check_suite(suites[i].name, &c, suites[i].min_read, suites[i].min_passed);
    }
    if (!present) printf("skipped: ONNX's conformance data are not at %s (apt-get install libonnx-testdata)\n", root);
    return test_finish();
}
