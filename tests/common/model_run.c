#include <stdio.h>
#include <string.h>

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

int load_params_by_name(fv_model *m, const fx_file *fx)
{
    int bad = 0;
    for (int k = 0; k < fv_model_param_count(m); k++) {
        fv_param *p = fv_model_param(m, k);
        const fv_tensor *t = fx_get(fx, p->name);
        if (!t || t->size != p->value.size) {
            printf("  %s: %s\n", p->name, t ? "size differs" : "not in the fixture");
            bad++;
            continue;
        }
        memcpy(fv_f32(&p->value), fv_f32(t), (size_t)t->size * sizeof(float));
    }
    return bad;
}
