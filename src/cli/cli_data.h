/* Data sets as the commands name them (--data fashion-mnist, mnist, or a directory of IDX files), over the
 * library's datasets: opening a split, its shape and classes, and a data source for training. */
#ifndef FV_CLI_DATA_H
#define FV_CLI_DATA_H

#include "fovea.h"

typedef struct cli_data cli_data;

/* The training (train true) or test split; limit > 0 keeps the first limit samples. NULL with the reason in
 * ctx. */
cli_data *cli_data_open(fv_ctx *ctx, const char *spec, bool train, int64_t limit);
void cli_data_free(cli_data *d);
int64_t cli_data_count(const cli_data *d);
void cli_data_shape(const cli_data *d, int64_t shape[3]);
int cli_data_classes(const cli_data *d);
const char *cli_data_class_name(const cli_data *d, int k); /* NULL when the set has no names */
fv_data_source cli_data_source(cli_data *d);
/* 0 when the samples fit the model's input, else 1 after printing "prog: the images of SPEC are 1x8x8 but
 * model 'm' takes 1x28x28". */
int cli_data_check_model(const cli_data *d, const fv_model *m, const char *prog, const char *spec);
struct fv_cli_args;
/* The image a command is pointed at: the second positional argument as a .npy (1, C, H, W), or --data SET
 * --index I from the test split (*label its class, else -1). NULL after printing or recording why. */
fv_tensor *cli_load_image(fv_ctx *ctx, const struct fv_cli_args *a, const fv_model *m, int32_t *label, const char *prog);
/* n / (k * count of class c) for each class (0 for an absent class). */
void cli_data_balanced_weights(const cli_data *d, float *w, int k);

#endif
