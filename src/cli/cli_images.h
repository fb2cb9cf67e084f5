/* Image files as the commands take them (PNG and JPEG beside .npy; a list, a glob that the shell did not
 * expand, or a folder of images), the preprocessing flags (--resize, --center-crop, and --normalize where a
 * model is made), and class names for predictions (--labels FILE, ImageNet's list for 1000-class models). */
#ifndef FV_CLI_IMAGES_H
#define FV_CLI_IMAGES_H

#include "commands.h"
#include "fovea.h"

struct fv_cli_args;

/* --resize and --center-crop: how images are fitted to a model's input (default: the model's stored rule). */
#define CLI_RESIZE_OPTS                                                                                          \
    FV_CLI_CHOICE_OPT("resize", NULL, "shorter|stretch|pad", "how images are fitted to the model's input: "        \
                      "shorter side resized then centre-cropped (torchvision's Resize + CenterCrop), stretched, or " \
                      "letterboxed (default: the rule stored in the model, else stretch)"),                        \
    FV_CLI_STR_OPT("center-crop", NULL, "S|F", "resize to shorter side S (or the input's size / F, F in (0, 1]), "   \
                   "then crop the input's size from the centre (torchvision's Resize(256) + CenterCrop(224) is 256 "\
                   "or 0.875 for a 224 input)")
/* --normalize, for the commands that make or convert a model (train, convert). */
#define CLI_NORMALIZE_OPTS                                                                                       \
    FV_CLI_STR_OPT("normalize", NULL, "imagenet|MEAN,STD|none", "store the input normalization in the model, "     \
                   "applied by every command: imagenet (torchvision's mean and std, shorter side 256 + centre crop "\
                   "unless --resize says otherwise), one MEAN,STD for every channel or C means then C stds; none "  \
                   "removes it"),                                                                                \
    FV_CLI_CHOICE_OPT("channel-order", NULL, "rgb|bgr", "the channel order the model's weights expect (stored)")

/* The model's preprocessing with the command's --resize and --center-crop applied: 0, or 2 after printing why
 * (a malformed --center-crop). */
int cli_preprocess(const struct fv_cli_args *a, const fv_model *m, const char *prog, fv_preprocess *p);

/* train and convert: --normalize, --channel-order, --resize and --center-crop stored into m (nothing when none
 * is given). 0, 2 after printing a usage error (given twice when argv is given, malformed), 1 after a refusal by
 * the model. */
int cli_store_preprocess(const struct fv_cli_args *a, int argc, char **argv, fv_model *m, const char *prog);
/* Whether --normalize appears more than once in argv (before "--"): 2 after printing why, else 0. */
int cli_normalize_once(int argc, char **argv, const char *prog);

/* Whether path names a .npy file (by its extension). */
bool cli_is_npy(const char *path);

/* The files that items name, in order: a folder gives its PNG and JPEG files (sorted by name, not recursive), an
 * item that is no file but holds * ? or [ its glob(3) matches (sorted), anything else itself. *files is malloc'd
 * (free with cli_files_free). 0, or 1 after printing why (an empty folder, a pattern matching nothing). */
int cli_expand_inputs(const char *prog, const char *const *items, int n, char ***files, int *n_files);
void cli_files_free(char **files, int n);

/* Decodes every image file among files (those that are not .npy) once, so that one that cannot be read or
 * decoded stops the command before any work, naming it. 0, or 1 after printing why. */
int cli_check_images(fv_ctx *ctx, const char *prog, char *const *files, int n);

/* The images files[0..n) as one batch (n, C, H, W) at m's input: decoded, converted to its channels, resized by
 * p, in [0, 1] (the model's graph normalizes). NULL after printing why (naming the file). */
fv_tensor *cli_image_batch(fv_ctx *ctx, const char *prog, const fv_model *m, const fv_preprocess *p,
                           char *const *files, int n);

/* The image inputs of features and patches: positional arguments from first on, expanded (cli_expand_inputs);
 * a .npy refused (these commands read layers of images, not batches). *n 0 when none is given. 0, or 1 after
 * printing why. */
int cli_image_inputs(const char *prog, const struct fv_cli_args *a, int first, char ***files, int *n);

/* path with "-i" before its extension when n > 1 (one output per image: over.png, over-0.png, ...), as given
 * when n is 1; malloc'd, NULL when path is NULL or on no memory. */
char *cli_indexed_path(const char *path, int i, int n);
/* The images among a command's arguments after MODEL (cli_expand_inputs), a .npy refused. 0, or 1 after
 * printing why. */
int cli_image_args(const char *prog, const struct fv_cli_args *a, char ***files, int *n);

/* cli_check_files with MODEL, --data (or NULL) and every input file as the inputs, so that no output overwrites
 * an image it reads. */
int cli_check_image_files(const char *prog, const char *model, const char *data, char *const *files, int n,
                          const cli_file *outputs);

/* Images as a data source at a model's input: each decoded and fitted when its batch is fetched (a folder need
 * not fit in memory), labels -1. failed: the index of the file that could not be read, else -1. */
typedef struct {
    fv_ctx *ctx;
    fv_preprocess p;
    char *const *files; /* borrowed */
    int64_t chw[3], failed;
} cli_image_set;

/* s and *src over files[0..n) for m with p; src->data is s. 0, or 1 after printing why (a model that does not
 * take images). */
int cli_image_source(cli_image_set *s, fv_ctx *ctx, const char *prog, const fv_model *m, const fv_preprocess *p,
                     char *const *files, int n, fv_data_source *src);

/* Class names for m's outputs: from --labels FILE (one name a line; "imagenet": ImageNet's), else ImageNet's when
 * m has 1000 outputs and no names; stored in m (in memory). 0, or 1 after printing why (a count that does not
 * match, naming the file). */
int cli_apply_labels(fv_model *m, const char *labels, const char *prog);

#endif
