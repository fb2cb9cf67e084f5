/* fovea: deep learning for computer vision, in C. One header for the whole public API. */
#ifndef FOVEA_H
#define FOVEA_H

#include "fovea/core.h"
#include "fovea/graph.h"
#include "fovea/ops.h"
#include "fovea/init.h"
#include "fovea/optim.h"
#include "fovea/model.h"
#include "fovea/train.h"
#include "fovea/diagnose.h"
#include "fovea/image.h"
#include "fovea/modelfile.h"
#include "fovea/progress.h"
#include "fovea/metrics.h"
#include "fovea/data.h"
#include "fovea/loader.h"
#include "fovea/io.h"
#include "fovea/onnx.h"
#include "fovea/augment.h"
#include "fovea/classical.h"
#include "fovea/boxes.h"
#include "fovea/detect.h"
#include "fovea/darknet.h"

#endif
