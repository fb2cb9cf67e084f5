/* A model's preprocessing as metadata keys (normalization.mean, normalization.std, preprocess.scale,
 * preprocess.order, preprocess.resize; docs/FORMAT.md), shared by model files (model_io.c) and ONNX files, whose
 * metadata_props carry the same keys behind "fovea." (onnx_export.c, onnx_import.c). */
#ifndef FV_IO_PREPROCESS_META_H
#define FV_IO_PREPROCESS_META_H

#include "fovea/model.h"
#include "fovea/modelfile.h"

/* The model's stored preprocessing into mf's metadata (nothing when none is stored; defaults are left out). */
fv_status fv_preprocess_to_meta(fv_modelfile *mf, const fv_model *m);
/* Back from mf's metadata into m; FV_ERR_FORMAT naming what and path ("model file x.fvm: bad ...") when a value
 * does not parse or does not fit the model. */
fv_status fv_preprocess_from_meta(fv_model *m, const fv_modelfile *mf, const char *path, const char *what);

#endif
