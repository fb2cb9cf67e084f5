/* Looking inside a model: Grad-CAM (and, to come, feature maps, embeddings, maximally activating patches). */
#ifndef FOVEA_DIAGNOSE_H
#define FOVEA_DIAGNOSE_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layer Grad-CAM uses by default: the input of the last flatten or global pooling layer (the last spatial
 * feature map before the classifier), else the last layer with a spatial (C, H, W) output larger than 1x1;
 * -1 with a message when the model has none. */
int fv_gradcam_default_layer(fv_model *m);

/* Grad-CAM (Selvaraju et al.) of one image x (1, C, H, W) for class cls (< 0: the predicted class) at layer
 * (NULL: the default): ReLU(sum_k alpha_k A^k) with alpha_k the spatial mean of d y_c / d A^k, y_c the class
 * score before softmax, at the layer's resolution and divided by its maximum when that is positive. Returns
 * the map (h, w) and, if wanted, the class used. The model's weights and their gradients are left as they
 * were. Errors name the layer (listing the valid ones) or the class. */
fv_tensor *fv_gradcam(fv_model *m, const fv_tensor *x, int cls, const char *layer, int *cls_used);

#ifdef __cplusplus
}
#endif
#endif
