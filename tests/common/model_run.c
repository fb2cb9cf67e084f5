#include "model_run.h"

fv_tensor *run_model(fv_model *m, const fv_tensor *x, bool inference)
{
    fv_node *in, *out;
    fv_graph *g = inference ? fv_model_build_inference(m, x->shape[0], &in, &out)
                            : fv_model_build(m, x->shape[0], &in, &out, NULL);
    if (!g) return NULL;
    fv_graph_set_training(g, false);
    fv_tensor *y = NULL;
    if (fv_graph_set_input(g, in, x) == FV_OK && fv_graph_forward(g) == FV_OK) {
        const fv_tensor *o = fv_node_value(out);
        y = fv_tensor_from(fv_model_ctx(m), FV_F32, o->ndim, o->shape, o->data);
    }
    fv_graph_free(g);
    return y;
}
