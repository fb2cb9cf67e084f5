/* A model's raw outputs for a batch, for tests that compare them with a reference or with another model. */
#ifndef FV_TEST_MODEL_RUN_H
#define FV_TEST_MODEL_RUN_H

#include <stdbool.h>

#include "fixture.h"
#include "fovea.h"

/* The last layer's output (not softmaxed) for x in eval mode: through fv_model_build, or through
 * fv_model_build_inference (batch norms folded) when inference. A new tensor, or NULL with the error in the
 * model's context. */
fv_tensor *run_model(fv_model *m, const fv_tensor *x, bool inference);

/* Every parameter and buffer of m from the fixture entry of the same name (PyTorch's state-dict names); prints
 * each one missing or of another size and returns how many were. */
int load_params_by_name(fv_model *m, const fx_file *fx);

#endif
