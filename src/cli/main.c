/* The fovea program: picks the command and turns its status into the exit code. The only place in fovea
 * that exits; every command is a thin layer over the library (src/cli/cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"train", cmd_train, "train a model (fit with callbacks, checkpoints, resume)"},
    {"evaluate", cmd_evaluate, "loss, accuracy and the confusion matrix of a model on a data set"},
    {"predict", cmd_predict, "the top classes of images or of a batch in a .npy file"},
    {"summary", cmd_summary, "the layers, output shapes and parameter counts of a model"},
    {"run", cmd_run, "forward passes on a batch from a .npy file: the output, the time, the memory"},
    {"segment", cmd_segment, "a segmentation model's classes over images, as an overlay PNG and a mask PNG"},
    {"detect", cmd_detect, "a YOLO detector's boxes in images: printed, drawn over them, written as JSON"},
    {"gradcam", cmd_gradcam, "Grad-CAM heat map of a class over an image"},
    {"featuremaps", cmd_featuremaps, "every channel of a layer's output for one image, as a grid"},
    {"patches", cmd_patches, "the input patches that most activate a channel over a data set"},
    {"features", cmd_features, "a layer's activations for a whole data set, as .npy or CSV"},
    {"transfer", cmd_transfer, "a classical head (SVM, random forest, XGBoost ...) fitted on a layer's features, saved with the body; `transfer plan`: which strategy fits a target"},
    {"report", cmd_report, "a self-contained HTML report: metrics, ROC, confidence, Grad-CAM, embedding"},
    {"data", cmd_data, "inspect an image folder (counts, sizes, unreadable files) or export a data set as PNG folders"},
    {"augment", cmd_augment, "a grid of randomly augmented versions of one image (--preview grid.png --rotate 15 ...)"},
    {"convert", cmd_convert, "a model between fovea's model file and ONNX, optionally with weights paired by structure"},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: fovea COMMAND [options]   (fovea COMMAND --help for its options)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "fovea: unknown command '%s' (commands:", argv[1]);
    for (int i = 0; i < N_COMMANDS; i++) fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
    fprintf(stderr, "; fovea --help)\n");
    return 2;
}
