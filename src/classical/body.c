/* The body a classical head sits on: the layers of a model that one layer needs, copied with their weights into
 * a new model, then pooled or flattened so that its output is one feature vector per sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classical_internal.h"

static int find(const fv_model *src, const char *layer)
{
    fv_ctx *ctx = fv_model_ctx(src);
    int k = layer ? fv_model_find_layer(src, layer) : -1;
    if (k >= 0) return k;
    char list[900] = "";
    size_t len = 0;
    for (int i = 0; i < fv_model_layer_count(src) && len + 70 < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", fv_model_layer_name(src, i));
    fv_error(ctx, FV_ERR_ARG, "layer '%s' does not exist in model '%s'; its layers: %s", layer ? layer : "(none)",
             fv_model_name(src), list);
    return -1;
}

/* Copy every parameter value (and whether it trains) of src's layer i into dst's layer j. */
static fv_status copy_params(const fv_model *src, int i, fv_model *dst, int j)
{
    fv_param *from[8], *to[8];
    int a = fv_model_layer_params(src, i, from, 8), b = fv_model_layer_params(dst, j, to, 8);
    if (a != b)
        return fv_error(fv_model_ctx(dst), FV_ERR_STATE, "layer '%s': %d parameters copied into %d", fv_model_layer_name(src, i), a, b);
    for (int p = 0; p < a; p++) {
        if (from[p]->value.size != to[p]->value.size || from[p]->value.dtype != to[p]->value.dtype)
            return fv_error(fv_model_ctx(dst), FV_ERR_STATE, "parameter '%s' changed shape when copied", from[p]->name);
        memcpy(to[p]->value.data, from[p]->value.data, (size_t)from[p]->value.size * fv_dtype_size(from[p]->value.dtype));
        if (to[p]->kind == FV_PARAM_WEIGHT) fv_param_set_trainable(to[p], from[p]->trainable);
    }
    return FV_OK;
}

static int add_after(fv_model *dst, const char *type, int from)
{
    fv_layer_spec s = fv_spec_of_type(type, NULL);
    s.n_in = 1, s.in[0] = from;
    return fv_model_add_layer(dst, &s);
}

fv_model *fv_model_body(const fv_model *src, const char *layer, fv_body_pool pool)
{
    if (!src) return NULL;
    fv_ctx *ctx = fv_model_ctx(src);
    int last = find(src, layer), n = fv_model_layer_count(src);
    if (last < 0) return NULL;
    int *map = malloc((size_t)n * sizeof *map);
    bool *needed = calloc((size_t)n, sizeof *needed);
    fv_model *dst = map && needed ? fv_model_new(ctx, fv_model_name(src)) : NULL;
    fv_status s = dst ? FV_OK : fv_errcode(ctx) ? fv_errcode(ctx) : fv_error(ctx, FV_ERR_NOMEM, "out of memory copying a model");
    if (!s) {
        needed[last] = true;
        for (int i = last; i >= 0; i--)
            for (int j = 0; needed[i] && j < fv_model_layer_input_count(src, i); j++) needed[fv_model_layer_input(src, i, j)] = true;
    }
    int end = -1;
    for (int i = 0; !s && i <= last; i++) {
        map[i] = -1;
        if (!needed[i]) continue;
        fv_layer_spec spec;
        if ((s = fv_model_layer_spec(src, i, &spec))) break;
        for (int j = 0; j < spec.n_in; j++) spec.in[j] = map[spec.in[j]], spec.in_name[j] = NULL;
        int owner = fv_model_layer_share(src, i);
        if (owner >= 0 && map[owner] < 0) spec.share = NULL; /* its owner stays behind: the values are copied */
        if ((map[i] = end = fv_model_add_layer(dst, &spec)) < 0) s = fv_errcode(ctx);
        else if (!spec.share) s = copy_params(src, i, dst, map[i]);
    }
    fv_preprocess pre; /* the source's whole preprocessing: its features were learned on inputs made that way */
    if (!s && fv_model_preprocess(src, &pre)) s = fv_model_set_preprocess(dst, &pre);
    int64_t shape[FV_MAX_DIMS];
    int nd = s ? 0 : fv_model_layer_shape(dst, end, shape);
    if (!s && nd == 3 && pool != FV_BODY_FLATTEN) {
        end = add_after(dst, pool == FV_BODY_POOL_MAX ? "global_max_pool" : "global_avg_pool", end);
        nd = end < 0 ? 0 : 3;
    }
    if (!s && end >= 0 && nd > 1) end = add_after(dst, "flatten", end);
    if (!s && end < 0) s = fv_errcode(ctx);
    free(map), free(needed);
    if (s) {
        fv_model_free(dst);
        return NULL;
    }
    return dst;
}
