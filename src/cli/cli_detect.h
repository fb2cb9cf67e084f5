/* Detection in the commands (train, evaluate): whether a run is one (a YOLO model, or a detection folder as
 * --data), the folder opened with its problems reported, the detector's task, and its scores (COCO's and VOC's
 * mAP, per class). */
#ifndef FV_CLI_DETECT_H
#define FV_CLI_DETECT_H

#include "args.h"
#include "fovea.h"

/* Whether the command detects: --task detect, or the model's task line says detect, or no --task and --data is
 * a detection folder that is no segmentation set (a composed folder, both, needs --task detect). */
bool cli_is_detection(const fv_cli_args *a, const fv_model *m);
/* The detection folder --data (--strict, --channels, --size, or the model's input size when m is given): its
 * pair count printed, bad files listed on stderr. classes (may be NULL): the larger of classes.txt's count and
 * the largest class + 1. NULL with the reason printed. */
fv_tensor_set *cli_det_open(fv_ctx *ctx, const fv_cli_args *a, const char *prog, const fv_model *m, int *classes);
/* fovea evaluate on a detector: COCO's summary (map, map50, map75, by size, recall) and VOC's mAP at IoU 0.5,
 * then AP per class; 0, or 1 after printing the reason. */
int cli_det_evaluate(fv_ctx *ctx, const fv_cli_args *a, const char *prog, fv_model *m);

#endif
