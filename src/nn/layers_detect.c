/* Layer types of detection: yolo, a YOLOv3 head's marker (Darknet's [yolo] section). It passes its input,
 * the head's raw map (N, A (5 + classes), H, W), through unchanged (a view) and carries what reading that map
 * takes: classes= and anchors= (this head's A anchors as w,h pairs in input pixels). The loss a detection task
 * builds on it (fv_yolo_task) and the decoding of detections (fv_yolo_detect) read those keys, the anchors of
 * every yolo output of the model together deciding which head each true box goes to. */
#include <stddef.h>

#include "model_internal.h"

#define KEY(n, k, field, req) {n, k, offsetof(fv_layer_attrs, field), req, NULL}

static const fv_layer_key yolo_keys[] = {KEY("classes", FV_K_INT, units, true), KEY("anchors", FV_K_FLOATS, scales, true),
                                         {NULL}};

static fv_node *build_yolo(fv_graph *g, const fv_layer *l, fv_node *const *in)
{
    const fv_tensor *x = fv_node_value(in[0]);
    int anchors = l->a.scales.n / 2;
    if (l->a.scales.n < 2 || l->a.scales.n % 2) {
        fv_error(fv_graph_ctx(g), FV_ERR_ARG, "yolo '%s': anchors= holds %d numbers (w,h pairs expected)", l->name,
                 l->a.scales.n);
        return NULL;
    }
    for (int k = 0; k < l->a.scales.n; k++)
        if (!(l->a.scales.v[k] > 0.0f)) {
            fv_error(fv_graph_ctx(g), FV_ERR_ARG, "yolo '%s': anchor %d has a size %g (positive pixels expected)",
                     l->name, k / 2, (double)l->a.scales.v[k]);
            return NULL;
        }
    if (x && (x->ndim != 4 || x->shape[1] != (int64_t)anchors * (5 + l->a.units))) {
        char dims[96];
        fv_error(fv_graph_ctx(g), FV_ERR_SHAPE, "yolo '%s': its input %s should be (N, %d, H, W): %d anchors x (5 + %d "
                 "classes)", l->name, fv_shape_str(x, dims, sizeof dims), anchors * (5 + l->a.units), anchors,
                 l->a.units);
        return NULL;
    }
    int64_t same[FV_MAX_DIMS] = {0};
    return fv_reshape(g, in[0], x ? x->ndim : 4, same);
}

const fv_generic_type fv_layers_detect[] = {
    {.base = {"yolo", "YOLO", FV_L_GENERIC, 0, 1, 1, yolo_keys}, .build = build_yolo},
    {.base = {NULL}},
};
