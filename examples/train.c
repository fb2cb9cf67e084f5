#include <fovea.h>
#include <stdio.h>

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(42);
    fv_dataset *train = fv_dataset_find(ctx, "fashion-mnist", true);
    fv_model *m = fv_model_parse(ctx, "input shape=1x28x28\n"
                                      "conv2d conv1 filters=16 kernel=3 padding=1\nrelu\nmax_pool kernel=2\n"
                                      "flatten\ndense fc units=10\n", "example");
    if (!train || !m || fv_model_init(m) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    fv_fit_config cfg = fv_fit_defaults();              /* Adam, PyTorch's defaults */
    cfg.epochs = 1, cfg.batch_size = 64, cfg.validation_split = 0.2;
    fv_data_source first = {.count = 3000, .fetch = fv_dataset_fetch, .data = train}; /* the first 3,000 */
    fv_trainer *t = fv_trainer_new(m, &cfg);
    if (!t || fv_trainer_fit(t, &first) != FV_OK || fv_model_save(m, "example.fvm") != FV_OK)
        return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    printf("val_accuracy %.4f, saved example.fvm\n", fv_trainer_log(t, "val_accuracy"));
    fv_trainer_free(t), fv_model_free(m), fv_dataset_free(train), fv_ctx_free(ctx);
    return 0;
}
