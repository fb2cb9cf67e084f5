/* Broadcast shapes and default node names of the math family (see math_common.h). */
#include "math_common.h"

#include <stdio.h>

_Static_assert(FV_BCAST_DIMS == FV_MAX_DIMS, "broadcasting covers every rank");

fv_status fv_bshapes_make(fv_graph *g, const fv_node *n, const char *what, int k, const fv_tensor *const *t,
                          fv_bshapes *s)
{
    s->ndim = 0;
    for (int j = 0; j < 3; j++)
        for (int d = 0; d < FV_BCAST_DIMS; d++) s->in[j][d] = 1;
    for (int j = 0; j < k; j++) {
        fv_bcast_pad(s->in[j], t[j]->ndim, t[j]->shape);
        if (t[j]->ndim > s->ndim) s->ndim = t[j]->ndim;
    }
    for (int d = 0; d < FV_BCAST_DIMS; d++) {
        int64_t o = 1;
        for (int j = 0; j < k; j++) {
            int64_t v = s->in[j][d];
            if (v == 1 || v == o) continue;
            if (o != 1) {
                if (k == 2)
                    return fv_node_error(g, n, FV_ERR_SHAPE,
                                         "%s: shapes %s and %s do not broadcast (%lld vs %lld, dimension %d from "
                                         "the end)",
                                         what, fv_dims(t[0]), fv_dims(t[1]), (long long)o, (long long)v,
                                         FV_BCAST_DIMS - d);
                return fv_node_error(g, n, FV_ERR_SHAPE,
                                     "%s: shapes %s, %s and %s do not broadcast (%lld vs %lld, dimension %d from "
                                     "the end)",
                                     what, fv_dims(t[0]), fv_dims(t[1]), fv_dims(t[2]), (long long)o, (long long)v,
                                     FV_BCAST_DIMS - d);
            }
            o = v;
        }
        s->out[d] = o;
    }
    if (fv_size_product(FV_BCAST_DIMS, s->out, FV_MAX_TENSOR_BYTES / 8) < 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "%s: the broadcast of %s and %s is too large", what, fv_dims(t[0]),
                             fv_dims(t[k - 1]));
    return FV_OK;
}

fv_node *fv_math_node(fv_graph *g, fv_op_kind op, const char *kind, fv_node *const *in, int n_in, int n_required,
                      const void *attr, size_t attr_size)
{
    bool named_here = g && !g->next_name[0];
    if (named_here) snprintf(g->next_name, sizeof g->next_name, "%s_%d", kind, g->n_nodes);
    fv_node *n = fv_graph_add(g, op, in, n_in, n_required, attr, attr_size);
    if (named_here) g->next_name[0] = '\0'; /* a refused node must not pass its name on to the next one */
    return n;
}
