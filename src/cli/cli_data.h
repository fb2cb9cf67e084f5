/* Data sets as the commands name them (--data fashion-mnist, mnist, a directory of IDX files, a folder of
 * class folders of images or a CSV of path,label), over the library's datasets: opening a split, its shape
 * and classes, and a data source for training (through the loader for image sets and augmentation). */
#ifndef FV_CLI_DATA_H
#define FV_CLI_DATA_H

#include "fovea.h"

typedef struct cli_data cli_data;
struct fv_cli_args;

/* The training (train true) or test split; limit > 0 keeps a stratified sample of limit samples (seed 1;
 * cli_data_open_opts takes the options' seed). NULL with the reason in ctx. */
cli_data *cli_data_open(fv_ctx *ctx, const char *spec, bool train, int64_t limit);

/* How image sets are opened and batched (cli_data_open uses the defaults: all zero but verify). */
typedef struct {
    const char *prog;          /* begins the messages */
    int channels, height, width; /* 0: the first image's */
    bool strict;               /* a bad file is an error rather than skipped */
    bool verify;               /* decode every file when opening (else headers only) */
    bool announce;             /* print Keras' "Found N files belonging to K classes." */
    int loader_threads;        /* 0: one per core, at most 4 */
    uint64_t seed;             /* which samples a limit takes (fv_dataset_sample_stratified) */
    const char *select_classes; /* "7,8,9": only these classes, renumbered 0.. in this order (NULL: all) */
    int64_t per_class;         /* > 0: this many samples of each class (after select_classes, before a limit) */
    const fv_preprocess *pre;  /* image sets: fitted by this rule (a model's; cli_data_fit_model), NULL: stretched */
} cli_data_opts;
cli_data_opts cli_data_defaults(const char *prog);
/* The help of --limit, the same in every command. */
#define CLI_LIMIT_HELP "a stratified sample of N samples: each class its share (rounded by largest remainders), " \
    "drawn the same every run (train: for the same --seed), kept in the data's order (0: all)"
/* The options of image sets, for a command's table (read back by cli_data_opts_from_args). */
#define CLI_IMAGE_SET_OPTS                                                                                       \
    FV_CLI_STR_OPT("size", NULL, "HxW", "image folders: resize every image to this (default: the first image's)"), \
    FV_CLI_INT_OPT("channels", "0", "N", "image folders: 1 gray or 3 RGB (0: the first image's)", 0, 3),          \
    FV_CLI_FLAG_OPT("strict", NULL, "image folders and segmentation sets: a bad file is an error (default: skipped and listed)"),      \
    FV_CLI_FLAG_OPT("quick-scan", NULL, "image folders: check only the headers when opening (faster; a file "   \
                    "corrupt past its header then stops training)"),                                              \
    FV_CLI_INT_OPT("loader-threads", "0", "N", "threads decoding and augmenting ahead (0: one per core, at most 4)", 0, 256)
/* Subsets of a data set, for a command's table (read by cli_data_opts_from_args when the table has them). */
#define CLI_SUBSET_OPTS                                                                                          \
    FV_CLI_STR_OPT("select-classes", NULL, "C,C,...", "only these classes of the data, numbered 0, 1, ... in this " \
                   "order (transfer to a part of a data set)"),                                                   \
    FV_CLI_INT_OPT("per-class", "0", "N", "N samples of each class, drawn the same every run (0: all)", 0, 9e15)
/* The options above into o; 1 after printing why (--size not HxW). */
int cli_data_opts_from_args(const struct fv_cli_args *a, cli_data_opts *o);
cli_data *cli_data_open_opts(fv_ctx *ctx, const char *spec, bool train, int64_t limit, const cli_data_opts *o);
/* Image sets read at the model's input: its channels and size (where o leaves them 0), resized by pre (the model's
 * preprocessing with the command's flags, kept by the caller while the data is open). */
void cli_data_fit_model(cli_data_opts *o, const fv_model *m, const fv_preprocess *pre);
/* cli_data_open with the image set fitted to the model (cli_data_fit_model with the default options). */
cli_data *cli_data_open_model(fv_ctx *ctx, const char *spec, bool train, int64_t limit, const fv_model *m,
                              const fv_preprocess *pre);
bool cli_data_is_images(const cli_data *d);
const fv_loader *cli_data_loader(const cli_data *d); /* NULL when batches come straight from the dataset */
/* Split off a seeded random validation fraction (Keras' validation_split with a seed); d keeps the rest. 0 on
 * success, else 1 with the reason in the context. */
int cli_data_split(fv_ctx *ctx, cli_data *d, double fraction, uint64_t seed, cli_data **val);
/* Batch through the loader (threads ahead of the step), augmenting training batches when augment is given. */
int cli_data_use_loader(fv_ctx *ctx, cli_data *d, const fv_augment *augment, uint64_t seed, int threads);
void cli_data_free(cli_data *d);
int64_t cli_data_count(const cli_data *d);
void cli_data_shape(const cli_data *d, int64_t shape[3]);
int cli_data_classes(const cli_data *d);
const char *cli_data_class_name(const cli_data *d, int k); /* NULL when the set has no names */
const char *cli_data_path(const cli_data *d, int64_t i);   /* the file of sample i of an image set, else NULL */
fv_data_source cli_data_source(cli_data *d);
const fv_dataset *cli_data_dataset(const cli_data *d);
/* Renumber d's classes to the model's stored class names (fv_dataset_match_class_names), so that a folder
 * is scored by name, not by index; 0, or 1 after printing why (a class the model lacks, both lists named). */
int cli_data_match_model(fv_ctx *ctx, cli_data *d, const fv_model *m, const char *prog);
/* 0 when the samples fit the model's input, else 1 after printing "prog: the images of SPEC are 1x8x8 but
 * model 'm' takes 1x28x28". Gray data for an RGB model (or RGB for a gray one) fits: d's source then repeats
 * the channel (or takes the ITU-R 601 luma), as image files are converted. */
int cli_data_check_model(cli_data *d, const fv_model *m, const char *prog, const char *spec);
struct fv_cli_args;
/* The image a command is pointed at: the second positional argument as a .npy (1, C, H, W) or an image file
 * (fitted to the model by pre), or --data SET --index I from the test split (*label its class, else -1). NULL
 * after printing or recording why. */
fv_tensor *cli_load_image(fv_ctx *ctx, const struct fv_cli_args *a, const fv_model *m, const fv_preprocess *pre,
                          int32_t *label, const char *prog);
/* n / (k * count of class c) for each class (0 for an absent class). */
/* 1 after printing why (naming spec) when a label of the set is not one of the model's outputs; else 0. */
int cli_data_check_labels(const cli_data *d, const fv_model *m, const char *prog, const char *spec);
void cli_data_balanced_weights(const cli_data *d, float *w, int k);

#endif
