/* The fovea commands and what they share: each returns the process exit status (0 success, 1 failure of
 * the work, 2 a usage error), having printed a one-line reason on failure. */
#ifndef FV_CLI_COMMANDS_H
#define FV_CLI_COMMANDS_H

#include "args.h"
#include "fovea.h"

int cmd_train(int argc, char **argv);
int cmd_transfer_plan(int argc, char **argv); /* fovea transfer plan */
int cmd_evaluate(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_gradcam(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_featuremaps(int argc, char **argv);
int cmd_patches(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_augment(int argc, char **argv);
int cmd_transfer(int argc, char **argv);

/* Parse a command's arguments: 0 to go on, otherwise the exit status to return (help: 0, error: 2). */
int cli_parse(const fv_cli_cmd *cmd, int argc, char **argv, fv_cli_args **args, int *exit_status);

/* A model by name (fmnist-cnn, lenet5, mlp), description file or model file; NULL after printing why. */
fv_model *cli_model(fv_ctx *ctx, const char *prog, const char *spec, int channels, int height, int width, int classes);

/* The --input CxHxW flag of a built-in model (zeros when absent); 2 after printing why when malformed. */
int cli_input_shape(const char *prog, const fv_cli_args *a, int *c, int *h, int *w);

/* A file a command reads or writes, named by its flag (--out) or argument (MODEL) for messages; path NULL: not
 * given. Lists end with an entry whose flag is NULL. */
typedef struct {
    const char *flag;
    const char *path;
} cli_file;

/* The start-up checks of a command's files, before any long work: every output must be writable where it is
 * (fv_output_check: no missing directory, no directory or socket in its place) and must be neither an input
 * (compared by device and inode, so links and other names of it count) nor another output. 0, or the exit
 * status after printing one line: 2 for an output naming an input or another output, 1 when it cannot be
 * written. */
int cli_check_files(const char *prog, const cli_file *inputs, const cli_file *outputs);


/* msg without a leading "predict: " when prog is "fovea predict" (the library names its function, the program
 * its command: one of the two is enough), so no message reads "fovea predict: predict: ..."; its control
 * characters escaped (fv_printable: messages quote names from files). Valid until the next call. */
const char *cli_message(const char *prog, const char *msg);

/* Options of every command that reads images or loads models, and setting them on the context (images,
 * models: whether the command's table has CLI_OPT_MAX_IMAGE_MB, CLI_OPT_ALLOW_NONFINITE). */
#define CLI_OPT_MAX_IMAGE_MB                                                                                  \
    FV_CLI_INT_OPT("max-image-mb", "256", "MB", "refuse images that need more than MB MiB to decode (pixels and "  \
                   "decoder buffers: a small file can declare gigabytes of pixels)", 1, 1 << 20)
#define CLI_OPT_ALLOW_NONFINITE                                                                               \
    FV_CLI_FLAG_OPT("allow-nonfinite", NULL, "load a model whose weights hold NaN or infinity (refused otherwise)")
void cli_load_flags(fv_ctx *ctx, const fv_cli_args *a, bool images, bool models);

/* Print "prog: message" from the context (through cli_message) and return 1. */
int cli_fail(const char *prog, fv_ctx *ctx);
/* The same, naming the file or data set the failing input came from: "prog: source: message". */
int cli_fail_on(const char *prog, const char *source, fv_ctx *ctx);

#endif
