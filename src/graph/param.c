/* Parameters: a value and its gradient, shared by reference count between nodes and graphs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

fv_param *fv_param_new(fv_ctx *ctx, const char *name, fv_param_kind kind, int ndim, const int64_t *shape)
{
    return fv_param_new_typed(ctx, name, kind, FV_F32, ndim, shape);
}

fv_param *fv_param_new_typed(fv_ctx *ctx, const char *name, fv_param_kind kind, fv_dtype dtype, int ndim,
                             const int64_t *shape)
{
    if (dtype != FV_F32 && kind != FV_PARAM_BUFFER) {
        fv_error(ctx, FV_ERR_ARG, "parameter '%s': a %s parameter must be a buffer (only float32 ones train)",
                 name ? name : "", fv_dtype_name(dtype));
        return NULL;
    }
    fv_param *p = calloc(1, sizeof *p);
    if (!p) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory creating parameter '%s'", name ? name : "");
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", name ? name : "param");
    p->kind = kind;
    p->trainable = kind == FV_PARAM_WEIGHT;
    p->refs = 1;
    if (fv_shape_check(ctx, p->name, dtype, ndim, shape) < 0 ||
        fv_tensor_ensure(ctx, &p->value, dtype, ndim, shape) != FV_OK ||
        fv_tensor_ensure(ctx, &p->grad, FV_F32, dtype == FV_F32 ? ndim : 0, shape) != FV_OK) {
        fv_tensor_release(&p->value);
        fv_tensor_release(&p->grad);
        free(p);
        return NULL;
    }
    return p;
}

void fv_param_free(fv_param *p)
{
    if (!p || --p->refs > 0) return;
    fv_tensor_release(&p->value);
    fv_tensor_release(&p->grad);
    free(p);
}

void fv_param_zero_grad(fv_param *p)
{
    if (p) fv_tensor_zero(&p->grad);
}

void fv_param_set_trainable(fv_param *p, bool trainable)
{
    if (p) p->trainable = trainable && p->kind == FV_PARAM_WEIGHT;
}
