/* What a model expects of its input, said when a run on some input failed: the layer that failed names its own
 * shapes, which alone do not tell a user that the whole batch has the wrong size (a 224x224 RGB batch for a
 * 28x28 gray model), so the message leads with the model's input and the batch given. */
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

/* "(N, 1, 28, 28)" when batch is NULL, else "(2, 1, 28, 28)". */
static void shape_text(char *buf, size_t size, const char *batch, int ndim, const int64_t *shape)
{
    int n = snprintf(buf, size, "(%s", batch ? batch : "");
    for (int d = 0; d < ndim && n > 0 && (size_t)n < size; d++)
        n += snprintf(buf + n, size - (size_t)n, "%s%lld", d || batch ? ", " : "", (long long)shape[d]);
    if (n > 0 && (size_t)n < size) snprintf(buf + n, size - (size_t)n, ")");
}

static bool fits(const fv_model *m, const fv_tensor *x)
{
    int64_t want[FV_MAX_DIMS];
    int nd = fv_model_input_shape(m, want);
    if (x->dtype != FV_F32 || x->ndim != nd + 1) return false;
    for (int d = 0; d < nd; d++)
        if (x->shape[d + 1] != want[d]) return false;
    return true;
}

fv_status fv_model_explain_input(fv_model *m, const fv_tensor *x, fv_status s)
{
    if (!m || !x || s == FV_OK || s == FV_ERR_NOMEM || fits(m, x)) return s;
    int64_t want[FV_MAX_DIMS];
    int nd = fv_model_input_shape(m, want);
    char expects[160], got[160], detail[512];
    shape_text(expects, sizeof expects, "N", nd, want);
    shape_text(got, sizeof got, NULL, x->ndim, x->shape);
    snprintf(detail, sizeof detail, "%s", fv_errmsg(m->ctx));
    const char *type = x->dtype == FV_F32 ? "" : x->dtype == FV_I32 ? "int32 " : "non-float ";
    if (*detail)
        return fv_error(m->ctx, s, "model '%s' expects %s%s, got %s%s: %s", m->name, *type ? "float32 " : "", expects,
                        type, got, detail);
    return fv_error(m->ctx, s, "model '%s' expects %s%s, got %s%s", m->name, *type ? "float32 " : "", expects, type, got);
}
