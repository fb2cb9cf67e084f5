/* Class names read back from a model file or an ONNX file (model.c): counted against the outputs, but kept as
 * they were written, control characters and all, since whatever prints them escapes them (fv_printable). */
#ifndef FV_NN_CLASS_NAMES_H
#define FV_NN_CLASS_NAMES_H

#include "fovea/model.h"

fv_status fv_model_load_class_names(fv_model *m, const char *const *names, int n);

#endif
