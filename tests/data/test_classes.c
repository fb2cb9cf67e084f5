/* fv_dataset_match_class_names: a dataset's classes renumbered to a model's by name (another order, or only
 * some of them), refused naming both lists when one is not the model's, untouched without names. */
#include <string.h>

#include "fovea/data.h"
#include "test.h"

/* 4 samples of classes ant, cat, ant, cat (a sorted folder's numbering: ant 0, cat 1), split in two. */
static fv_dataset *named_set(fv_ctx *ctx, bool names, fv_dataset **half)
{
    uint8_t px[4] = {1, 2, 3, 4};
    int32_t labels[4] = {0, 1, 0, 1};
    fv_dataset *ds = fv_dataset_from_u8(ctx, 4, 1, 1, 1, px, labels, 2);
    if (names) fv_dataset_set_class_names(ds, (const char *[]){"ant", "cat"}, 2);
    *half = fv_dataset_range(ds, 2, 2);
    return ds;
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_dataset *half, *ds = named_set(ctx, true, &half);
    CHECK(fv_dataset_match_class_names(ds, (const char *[]){"cat", "ant"}, 2) == FV_OK && fv_dataset_label(ds, 0) == 1 &&
          fv_dataset_label(ds, 1) == 0 && strcmp(fv_dataset_class_name(ds, 0), "cat") == 0,
          "another order: labels and names follow the model's");
    CHECK(fv_dataset_label(half, 0) == 1 && strcmp(fv_dataset_class_name(half, 1), "ant") == 0, "shared with a subset");
    CHECK(fv_dataset_match_class_names(half, (const char *[]){"cat", "ant"}, 2) == FV_OK && fv_dataset_label(half, 0) == 1,
          "matching again changes nothing");
    fv_dataset_free(ds), fv_dataset_free(half);

    ds = named_set(ctx, true, &half);
    CHECK(fv_dataset_match_class_names(ds, (const char *[]){"bee", "cat", "ant"}, 3) == FV_OK &&
          fv_dataset_classes(ds) == 3 && fv_dataset_label(ds, 0) == 2 && fv_dataset_label(ds, 1) == 1,
          "some of the model's classes: mapped into its 3");
    fv_dataset_free(ds), fv_dataset_free(half);

    ds = named_set(ctx, true, &half);
    fv_status s = fv_dataset_match_class_names(ds, (const char *[]){"cat", "dog"}, 2);
    CHECK(s == FV_ERR_FORMAT && strstr(fv_errmsg(ctx), "'ant'") && strstr(fv_errmsg(ctx), "the data's: ant, cat") &&
          strstr(fv_errmsg(ctx), "the model's: cat, dog"), "another class: refused naming both lists (%s)", fv_errmsg(ctx));
    CHECK(fv_dataset_label(ds, 1) == 1 && strcmp(fv_dataset_class_name(ds, 0), "ant") == 0, "refused: nothing changed");
    fv_dataset_free(ds), fv_dataset_free(half);
    fv_clear_error(ctx);

    ds = named_set(ctx, false, &half);
    CHECK(fv_dataset_match_class_names(ds, (const char *[]){"cat", "ant"}, 2) == FV_OK && fv_dataset_label(ds, 1) == 1,
          "no names in the data: index matching");
    fv_dataset_free(ds), fv_dataset_free(half);
    fv_ctx_free(ctx);
    return test_finish();
}
