/* Datasets from files: a pair of IDX files (images, labels), a pair of .npy arrays, and data sets found by
 * name (fashion-mnist, mnist) or by directory, with their class names. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset_internal.h"
#include "fovea/io.h"

#define CLASSES_FILE_MAX_BYTES (1 << 20)
#define CLASS_NAME_MAX 255

/* ---- IDX pairs ------------------------------------------------------------------------------------- */

static fv_dataset *dataset_from_idx(fv_ctx *ctx, fv_idx *img, fv_idx *lab, int n_classes, const char *images_path,
                                    const char *labels_path)
{
    if (img->dims[0] != lab->dims[0]) {
        fv_error(ctx, FV_ERR_FORMAT, "%s holds %lld images but %s holds %lld labels", images_path,
                 (long long)img->dims[0], labels_path, (long long)lab->dims[0]);
        return NULL;
    }
    ds_store *st = ds_store_new(ctx, img->dims[0], 1, img->dims[1], img->dims[2], images_path);
    if (!st) return NULL;
    for (int64_t i = 0; i < st->n; i++) st->labels[i] = lab->data[i];
    if (ds_store_check_labels(ctx, st, n_classes, labels_path) != FV_OK) {
        ds_store_unref(st);
        return NULL;
    }
    st->u8 = img->data; /* the store takes the pixels over: no copy */
    img->data = NULL;
    return ds_wrap(ctx, st);
}

fv_dataset *fv_dataset_load_idx(fv_ctx *ctx, const char *images_path, const char *labels_path, int n_classes)
{
    if (!images_path || !labels_path) {
        fv_error(ctx, FV_ERR_ARG, "fv_dataset_load_idx: NULL path");
        return NULL;
    }
    fv_idx img, lab;
    fv_dataset *ds = NULL;
    if (fv_idx_read(ctx, images_path, 3, &img) != FV_OK) return NULL;
    if (fv_idx_read(ctx, labels_path, 1, &lab) == FV_OK) {
        ds = dataset_from_idx(ctx, &img, &lab, n_classes, images_path, labels_path);
        fv_idx_release(&lab);
    }
    fv_idx_release(&img);
    return ds;
}

/* ---- NPY pairs --------------------------------------------------------------------------------------- */

fv_dataset *fv_dataset_load_npy(fv_ctx *ctx, const char *images_path, const char *labels_path, int n_classes)
{
    if (!images_path || !labels_path) {
        fv_error(ctx, FV_ERR_ARG, "fv_dataset_load_npy: NULL path");
        return NULL;
    }
    fv_tensor *x = fv_npy_read(ctx, images_path), *y = x ? fv_npy_read(ctx, labels_path) : NULL;
    fv_dataset *ds = y ? ds_from_tensors(ctx, x, y, n_classes, images_path, labels_path) : NULL;
    fv_tensor_free(x);
    fv_tensor_free(y);
    return ds;
}

/* ---- data sets by name ---------------------------------------------------------------------------------- */

static const char *const FASHION_NAMES[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
static const char *const DIGIT_NAMES[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

typedef struct {
    const char *name;
    const char *const *classes;
    const char *install; /* how to get it, for the not-found message */
} known_set;

static const known_set KNOWN[] = {
    {"fashion-mnist", FASHION_NAMES, "`apt install dataset-fashion-mnist` provides it"},
    {"mnist", DIGIT_NAMES, "put its four IDX files in $FOVEA_DATA_DIR/mnist"},
};

/* "Fashion-MNIST", "fashion_mnist" and "fashion-mnist" alike. */
static bool same_name(const char *spec, const char *name)
{
    for (; *spec && *name; spec++, name++) {
        char c = *spec == '_' ? '-' : (char)tolower((unsigned char)*spec);
        if (c != *name) return false;
    }
    return !*spec && !*name;
}

static const known_set *known_by_name(const char *spec)
{
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (same_name(spec, KNOWN[i].name)) return &KNOWN[i];
    return NULL;
}

static bool is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* dir/<split>-<what>-<idxn>-ubyte in the spellings seen in the wild: gzipped or not, and with '.' before
 * idxN (as some archive tools extract them). */
static bool find_file(const char *dir, const char *split, const char *what, const char *idxn, char *out, size_t len)
{
    static const char seps[2] = {'-', '.'};
    static const char *const exts[2] = {".gz", ""};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if ((size_t)snprintf(out, len, "%s/%s-%s%c%s-ubyte%s", dir, split, what, seps[i], idxn, exts[j]) < len &&
                is_file(out))
                return true;
    return false;
}

fv_status fv_class_names_read(fv_ctx *ctx, const char *dir, char ***names, int *n)
{
    char path[4096];
    *names = NULL;
    *n = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/classes.txt", dir) >= sizeof path || !is_file(path)) return FV_OK;
    FILE *f = fopen(path, "r");
    if (!f) return fv_error(ctx, FV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char line[CLASS_NAME_MAX + 3];
    int count = 0, cap = 0;
    long read_bytes = 0;
    char **list = NULL;
    fv_status s = FV_OK;
    while (s == FV_OK && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        read_bytes += (long)len;
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            s = fv_error(ctx, FV_ERR_FORMAT, "%s: line %d is longer than %d characters", path, count + 1, CLASS_NAME_MAX);
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = '\0';
        if (read_bytes > CLASSES_FILE_MAX_BYTES || count >= FV_DATASET_MAX_CLASSES) {
            s = fv_error(ctx, FV_ERR_FORMAT, "%s: more than %d classes or %d bytes", path, FV_DATASET_MAX_CLASSES,
                         CLASSES_FILE_MAX_BYTES);
            break;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            char **grown = realloc(list, (size_t)cap * sizeof *grown);
            if (!grown) {
                s = fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            list = grown;
        }
        if (!(list[count] = strdup(line))) s = fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory", path);
        else count++;
    }
    fclose(f);
    while (s == FV_OK && count > 0 && list[count - 1][0] == '\0') free(list[--count]); /* trailing blank lines */
    if (s == FV_OK && count == 0) s = fv_error(ctx, FV_ERR_FORMAT, "%s names no classes", path);
    if (s != FV_OK) {
        for (int k = 0; k < count; k++) free(list[k]);
        free(list);
        return s;
    }
    *names = list;
    *n = count;
    return FV_OK;
}

void fv_class_names_free(char **names, int n)
{
    for (int k = 0; names && k < n; k++) free(names[k]);
    free(names);
}

/* The split of the IDX files in dir (both must exist: *found false otherwise), named when names is given. */
static fv_dataset *load_dir(fv_ctx *ctx, const char *dir, bool train, const char *const *names, int n_names, bool *found)
{
    char images[4096], labels[4096];
    const char *split = train ? "train" : "t10k";
    *found = find_file(dir, split, "images", "idx3", images, sizeof images) &&
             find_file(dir, split, "labels", "idx1", labels, sizeof labels);
    if (!*found) return NULL;
    fv_dataset *ds = fv_dataset_load_idx(ctx, images, labels, n_names);
    if (ds && names && fv_dataset_set_class_names(ds, names, n_names) != FV_OK) {
        fv_dataset_free(ds);
        return NULL;
    }
    return ds;
}

static fv_dataset *find_in_dir(fv_ctx *ctx, const char *dir, bool train)
{
    char **names;
    int n;
    if (fv_class_names_read(ctx, dir, &names, &n) != FV_OK) return NULL;
    bool found;
    fv_dataset *ds = load_dir(ctx, dir, train, (const char *const *)names, n, &found);
    fv_class_names_free(names, n);
    if (!found) {
        const char *split = train ? "train" : "t10k";
        fv_error(ctx, FV_ERR_IO, "%s holds no %s-images-idx3-ubyte[.gz] with %s-labels-idx1-ubyte[.gz] (the %s split "
                 "of an MNIST-style data set)", dir, split, split, train ? "training" : "test");
    }
    return ds;
}

static fv_dataset *find_known(fv_ctx *ctx, const known_set *k, bool train)
{
    char dirs[2][4096], tried[2 * 4096 + 8] = "";
    int n = 0;
    const char *env = getenv("FOVEA_DATA_DIR");
    if (env && *env && (size_t)snprintf(dirs[n], sizeof dirs[n], "%s/%s", env, k->name) < sizeof dirs[n]) n++;
    snprintf(dirs[n++], sizeof dirs[0], "/usr/share/datasets/%s", k->name);
    for (int i = 0; i < n; i++) {
        bool found;
        fv_dataset *ds = load_dir(ctx, dirs[i], train, k->classes, 10, &found);
        if (found) return ds; /* loaded, or failed with the file's own message */
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s", i ? ", " : "", dirs[i]);
    }
    const char *split = train ? "train" : "t10k";
    fv_error(ctx, FV_ERR_IO, "%s (%s split) not found: looked for %s-images-idx3-ubyte[.gz] and "
             "%s-labels-idx1-ubyte[.gz] in %s%s; %s", k->name, train ? "training" : "test", split, split, tried,
             env && *env ? "" : " ($FOVEA_DATA_DIR/<name> is searched first when set)", k->install);
    return NULL;
}

fv_dataset *fv_dataset_find(fv_ctx *ctx, const char *spec, bool train)
{
    if (!spec || !*spec) {
        fv_error(ctx, FV_ERR_ARG, "no data set named (fashion-mnist, mnist or a directory of IDX files)");
        return NULL;
    }
    const known_set *k = known_by_name(spec);
    if (k) return find_known(ctx, k, train);
    if (is_dir(spec)) return find_in_dir(ctx, spec, train);
    fv_error(ctx, FV_ERR_ARG, "unknown data set '%s': not fashion-mnist, mnist or a directory of IDX files", spec);
    return NULL;
}
