/* What the fitting of each classical head hands back to head.c: the layer to append (a spec) and its
 * parameters' values in the order the layer type makes them. Each method lives in its own file. */
#ifndef FV_CLASSICAL_INTERNAL_H
#define FV_CLASSICAL_INTERNAL_H

#include "../core/internal.h"
#include "fovea/classical.h"
#include "fovea/layer.h"

#define FV_HEAD_MAX_PARAMS 4

typedef struct {
    fv_layer_spec spec;
    fv_tensor *values[FV_HEAD_MAX_PARAMS]; /* owned; NULL past the last */
} fv_head_layer;

/* The data every method fits on: x (n, d) finite, y (n) in [0, k), every class present. */
typedef struct {
    fv_ctx *ctx;
    const float *x;
    const int32_t *y;
    int64_t n, d;
    int k;
} fv_head_data;

fv_status fv_fit_linear(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out);
fv_status fv_fit_svm_rbf(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out);
fv_status fv_fit_gaussian_nb(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out);
fv_status fv_fit_forest(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out);
fv_status fv_fit_xgboost(const fv_head_data *data, const fv_head_options *o, fv_head_layer *out);

/* gamma of the RBF kernel for features x (n, d): o->gamma, or its scale / auto rule. */
double fv_head_gamma(const fv_head_options *o, const float *x, int64_t n, int64_t d);

/* A float32 tensor of the given shape for a head layer's parameter, zeroed; NULL with the error. */
fv_tensor *fv_head_tensor(fv_ctx *ctx, int ndim, int64_t d0, int64_t d1);
void fv_head_layer_free(fv_head_layer *l);

#endif
