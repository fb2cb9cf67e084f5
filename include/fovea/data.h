/* fovea data: in-memory image-classification datasets (samples, labels, class names), read from IDX files
 * (MNIST, Fashion-MNIST) or NPY arrays or built from memory, with batches, subsets and validation splits. */
#ifndef FOVEA_DATA_H
#define FOVEA_DATA_H

#include "fovea/core.h"
#include "fovea/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- IDX files ------------------------------------------------------------------------------------- */

/* An IDX file of unsigned bytes (MNIST's format): dims[0] items of dims[1] * ... * dims[ndim-1] bytes. */
#define FV_IDX_MAX_DIMS 4
/* The most data bytes an IDX file may hold: a guard against headers that promise absurd sizes. */
#define FV_IDX_MAX_BYTES ((int64_t)1 << 31)

typedef struct fv_idx {
    int ndim;
    int64_t dims[FV_IDX_MAX_DIMS];
    uint8_t *data; /* malloc'd, bytes long */
    int64_t bytes;
} fv_idx;

/* Read an IDX file, gzipped or plain. ndim is the number of dimensions expected (3 for images, 1 for
 * labels; 0 accepts 1 to FV_IDX_MAX_DIMS). Strict: a wrong magic or type, a zero or absurd dimension, a
 * truncated file (the message says how many bytes and items are missing) and data after the last item are
 * errors naming the file. out is left empty on error. */
fv_status fv_idx_read(fv_ctx *ctx, const char *path, int ndim, fv_idx *out);
/* The same from memory (gzip data, starting with 1f 8b, is inflated); name is used in messages. */
fv_status fv_idx_read_mem(fv_ctx *ctx, const void *buf, size_t len, const char *name, int ndim, fv_idx *out);
void fv_idx_release(fv_idx *idx);

/* ---- datasets ----------------------------------------------------------------------------------------- */

/* n samples of shape (C, H, W) with int32 labels in [0, n_classes) and optional class names. Pixels read as
 * bytes are stored as bytes (a quarter of the memory) and scaled to [0, 1] by x / 255 as each batch is
 * filled, exactly as torchvision's ToTensor; float pixels are stored and copied as they are. A subset or a
 * split shares its parent's storage (which lives until the last dataset using it is freed) and keeps only
 * a list of sample numbers. A dataset remembers the context it was made in and reports errors there. */
typedef struct fv_dataset fv_dataset;

/* Images (idx3: n x rows x cols bytes) and labels (idx1: n bytes) from two IDX files, plain or gzipped.
 * n_classes 0 infers it as the largest label + 1; otherwise a label outside it is an error naming the file
 * and index ("label 12 at index 345 of FILE is outside the 10 classes"). */
fv_dataset *fv_dataset_load_idx(fv_ctx *ctx, const char *images_path, const char *labels_path, int n_classes);

/* A dataset by name: "fashion-mnist" or "mnist" (any case, '_' for '-'), the training split when train, else
 * the test split, looked up in $FOVEA_DATA_DIR/<name> when that variable is set, then in
 * /usr/share/datasets/<name> (Debian's dataset-fashion-mnist); or a directory (write ./mnist for one named
 * like a known set) holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. There an optional
 * classes.txt names the classes, one a line; without it the class count is the largest label + 1.
 * The error lists every directory tried. */
fv_dataset *fv_dataset_find(fv_ctx *ctx, const char *spec, bool train);

/* Images (N,C,H,W), (N,H,W) or (N,D) and labels (N) from two .npy files (see fovea/io.h); integer images
 * (uint8 arrays) must lie in [0, 255] and are scaled by 1/255, float images are taken as they are. */
fv_dataset *fv_dataset_load_npy(fv_ctx *ctx, const char *images_path, const char *labels_path, int n_classes);

/* Copies of n samples of c x h x w bytes (scaled by 1/255 when batched) and their labels. */
fv_dataset *fv_dataset_from_u8(fv_ctx *ctx, int64_t n, int64_t c, int64_t h, int64_t w, const uint8_t *pixels,
                               const int32_t *labels, int n_classes);
/* Copies of x (F32, or I32 holding bytes 0..255; shaped as for fv_dataset_load_npy) and y (I32, (N)). */
fv_dataset *fv_dataset_from_tensors(fv_ctx *ctx, const fv_tensor *x, const fv_tensor *y, int n_classes);

void fv_dataset_free(fv_dataset *ds);

int64_t fv_dataset_count(const fv_dataset *ds);
/* The shape of one sample: (C, H, W). */
void fv_dataset_shape(const fv_dataset *ds, int64_t shape[3]);
int fv_dataset_classes(const fv_dataset *ds);
/* The name of class k, or NULL when the dataset has no names (or k is out of range). */
const char *fv_dataset_class_name(const fv_dataset *ds, int k);
/* Name the classes (n must equal the class count); the names are shared with subsets and splits. */
fv_status fv_dataset_set_class_names(fv_dataset *ds, const char *const *names, int n);
/* Renumber ds's classes to a model's: names[k] is the model's class k. When ds has names, each must be among
 * names (else an error naming the first missing one and both lists); its labels (shared with its subsets and
 * splits) then follow the model's numbering and its names become the model's, so that a folder sorted
 * differently, or holding only some of the classes, is still scored by name. Without names on either side
 * (IDX without classes.txt, integer CSV labels, a model without names) nothing changes: labels are indices. */
fv_status fv_dataset_match_class_names(fv_dataset *ds, const char *const *names, int n);
/* The label of sample i (-1 when i is out of range). */
int32_t fv_dataset_label(const fv_dataset *ds, int64_t i);
/* counts[k] = number of samples of class k, for k < fv_dataset_classes(ds). */
void fv_dataset_class_counts(const fv_dataset *ds, int64_t *counts);
/* Where the samples came from: the images file, or "memory". */
const char *fv_dataset_origin(const fv_dataset *ds);

/* Fill x (F32, shape (>= n, ...) with C*H*W values per sample, e.g. (n,C,H,W) or (n,C*H*W)) and y (I32,
 * at least n values; may be NULL) with the samples indices[0..n). Safe to call from several threads at
 * once on one dataset as long as no call fails (a failure writes the dataset's context). */
fv_status fv_dataset_batch(const fv_dataset *ds, const int64_t *indices, int n, fv_tensor *x, fv_tensor *y);
/* fv_dataset_batch with the signature of fv_data_source's fetch (fovea/train.h); epoch is ignored:
 * fv_data_source src = {fv_dataset_count(ds), fv_dataset_fetch, ds, NULL, NULL}; */
fv_status fv_dataset_fetch(void *ds, int epoch, const int64_t *indices, int n, fv_tensor *x, fv_tensor *y);

/* A dataset of the samples indices[0..n) of ds (in that order; repeats allowed), sharing its storage. */
fv_dataset *fv_dataset_subset(const fv_dataset *ds, const int64_t *indices, int64_t n);
/* The samples [first, first + n) of ds. */
fv_dataset *fv_dataset_range(const fv_dataset *ds, int64_t first, int64_t n);

/* n samples of ds drawn without replacement, every class keeping its share (what the CLI's --limit takes):
 * class c gets floor(n * count_c / count), and the samples still missing go one each to the classes with the
 * largest remainders of that division (ties to the lower class). Within a class the samples taken are those
 * with the smallest fv_rng_bits(seed, FV_SAMPLE_STREAM, i): the same seed gives the same samples. They keep
 * ds's order. n >= the count gives all of ds. */
#define FV_SAMPLE_STREAM UINT64_C(0x73616d706c65) /* "sample" */
fv_dataset *fv_dataset_sample_stratified(const fv_dataset *ds, int64_t n, uint64_t seed);

/* Up to per_class samples of every class (all of a class that has fewer), drawn as fv_dataset_sample_stratified
 * draws: the same seed gives the same samples, kept in ds's order. For few-shot transfer ("10 per class"). */
fv_dataset *fv_dataset_sample_per_class(const fv_dataset *ds, int64_t per_class, uint64_t seed);
/* The samples of the classes classes[0..k), relabelled 0..k-1 in that order (their names follow): a new data
 * set with its own copy of those samples (or of their file names). A class given twice or outside the data
 * set's is an error naming it. */
fv_dataset *fv_dataset_select_classes(const fv_dataset *ds, const int *classes, int k);

typedef enum {
    FV_SPLIT_LAST = 0, /* the last fraction is held out (Keras' validation_split) */
    FV_SPLIT_FIRST,    /* the first fraction */
    FV_SPLIT_RANDOM    /* a random fraction drawn from (seed, FV_SPLIT_STREAM); both parts keep ds's order */
} fv_split_mode;
#define FV_SPLIT_STREAM UINT64_C(0x73706c6974) /* "split" */

/* Split ds into *train and *val (0 < fraction < 1 is val's share; val gets n - floor(n * (1 - fraction))
 * samples as Keras does); both must be non-empty. Both are NULL on error. */
fv_status fv_dataset_split(const fv_dataset *ds, double fraction, fv_split_mode mode, uint64_t seed,
                           fv_dataset **train, fv_dataset **val);


/* ---- image folders and CSV lists ---------------------------------------------------------------------- */

/* A dataset of image files decoded when batched (nothing but paths and labels is held in memory), from
 *  - a folder with a subfolder per class (Keras' image_dataset_from_directory): the classes are the sorted
 *    subfolder names, each class's files are listed recursively in sorted order; files named .png, .jpg or
 *    .jpeg (any case) are images, other files are ignored as Keras ignores them;
 *  - a CSV file of path,label lines (an optional first line path,label or filename,class is a header; paths
 *    relative to the CSV's folder; labels all class numbers 0, 1, 2, ..., or all class names, numbered in sorted
 *    order; another number (-1, 1.0), numbers mixed with names, or a NUL byte is an error naming the line).
 * Each image is converted to the dataset's channels (gray, RGB) as PIL's convert does, resized to its size
 * (fv_image_resize or fv_image_fit), and scaled to [0, 1]. Subsets, splits, class counts and
 * fv_dataset_batch work on it as on any dataset.
 * Bad files (unreadable paths, zero bytes, not an image, truncated or corrupt data, sizes over
 * FV_IMAGE_MAX_PIXELS) are found when the set is opened: from the headers, or by decoding every file with
 * verify. By default they are skipped and listed in the scan with their path and the reason; with strict the
 * first one fails the load. A file that still fails to decode when batched (corrupt past its header, changed
 * since) makes that batch fail with an error naming the file: verify at load avoids that. */
typedef struct {
    int channels;            /* 1 or 3; 0: the first image's (gray and gray+alpha: 1, RGB and RGBA: 3) */
    int height, width;       /* 0: the first image's size */
    int filter;              /* an fv_resize_filter (fovea/image.h); bilinear by default, as Keras */
    int fit;                 /* an fv_fit_mode: stretch by default, as Keras */
    bool strict;             /* the first bad file or empty class folder fails the load */
    bool verify;             /* decode every image at load, not only its header */
    const fv_preprocess *preprocess; /* a model's resize rule (fovea/image.h's fv_preprocess, copied):
                                               * images fitted by fv_image_prepare instead of filter and fit; NULL */
} fv_image_set_options;

fv_image_set_options fv_image_set_defaults(void);

/* ImageNet's 1000 class names in torchvision's order and spelling ("tench", "goldfish", ...), NULL-terminated;
 * for 1000-class models that store no names of their own. */
#define FV_IMAGENET_CLASSES 1000
const char *const *fv_imagenet_classes(void);

/* One bad file or folder: its path and why. */
typedef struct {
    char *path;
    char *reason;
} fv_image_problem;

/* An image size and how many listed images have it. */
typedef struct {
    int width, height, channels;
    int64_t count;
} fv_image_size_count;

/* What opening an image set found. found and n_classes are Keras' "Found N files belonging to K classes."
 * (found counts every image file listed, the skipped ones included). */
typedef struct {
    int64_t found;       /* image files listed */
    int n_classes;
    int64_t skipped;     /* bad files left out (in problems) */
    int64_t ignored;     /* files without an image extension */
    int n_problems;      /* bad files, and class folders without images */
    fv_image_problem *problems;
    int n_sizes;         /* distinct (width, height, channels) of the headers, most frequent first */
    fv_image_size_count *sizes;
} fv_image_scan;

void fv_image_scan_release(fv_image_scan *scan);

/* Open a class folder or a CSV list (chosen by path: a directory or a file). scan may be NULL; it is filled
 * even when the load fails (so the bad files can be listed). NULL with the reason in ctx. */
fv_dataset *fv_dataset_load_images(fv_ctx *ctx, const char *path, const fv_image_set_options *opt,
                                   fv_image_scan *scan);
/* Whether fv_dataset_load_images would take path: a .csv file, or a directory without IDX files. */
bool fv_dataset_is_image_set(const char *path);
/* The file of sample i of an image set (NULL for other datasets or i out of range). */
const char *fv_dataset_path(const fv_dataset *ds, int64_t i);

/* fv_dataset_batch reporting errors into ctx instead of the dataset's context: for threads that each keep
 * their own context (the loader's workers). */
fv_status fv_dataset_batch_ctx(const fv_dataset *ds, fv_ctx *ctx, const int64_t *indices, int n, fv_tensor *x,
                               fv_tensor *y);

/* ---- tuples: several inputs and a target, for any task -------------------------------------------------- */

/* Samples of 1 to FV_TENSOR_SET_MAX_INPUTS inputs and one target (fovea/task.h says which: labels, masks,
 * values, identities, boxes), held as arrays with the samples along axis 0. Inputs are kept as float32, integer
 * arrays (uint8 images from .npy) scaled by 1/255 and refused outside [0, 255]. Targets are kept as given
 * (int32 or float32) and converted, batch by batch, to the dtype the task asks for; a fraction where the task
 * takes class numbers is an error naming the sample. Every array must have the same sample count. */
#define FV_TENSOR_SET_MAX_INPUTS 16
typedef struct fv_tensor_set fv_tensor_set;
struct fv_augment; /* fovea/augment.h */
/* Copies of the arrays; target may be NULL (a task without targets: triplets). */
fv_tensor_set *fv_tensor_set_new(fv_ctx *ctx, const fv_tensor *const *inputs, int n_inputs, const fv_tensor *target);
/* The same from .npy files (fovea/io.h); target_path may be NULL. Errors name the file. */
fv_tensor_set *fv_tensor_set_load_npy(fv_ctx *ctx, const char *const *input_paths, int n_inputs,
                                      const char *target_path);
void fv_tensor_set_free(fv_tensor_set *s);
int64_t fv_tensor_set_count(const fv_tensor_set *s);
int fv_tensor_set_inputs(const fv_tensor_set *s);
const fv_tensor *fv_tensor_set_input(const fv_tensor_set *s, int k);
const fv_tensor *fv_tensor_set_target(const fv_tensor_set *s);

/* How a target belongs to the first input's image under geometric augmentation. */
typedef enum {
    FV_PAIR_NONE = 0, /* the target does not move (labels, values, identities) */
    FV_PAIR_MASK,     /* targets (N, H, W): one mask per image, moved with it (nearest, 0 outside) */
    FV_PAIR_BOXES     /* targets (N, B, 5) float32 of class, x0, y0, x1, y1 in pixels (class -1 pads): carried
                       * through the transform, boxes left without area dropped, the rest padded with class -1 */
} fv_target_pairing;
/* Augment training batches (epoch >= 0) with aug (borrowed; NULL: none): the inputs that are images (N, C, H, W)
 * (others, such as feature vectors, pass unchanged); input k of sample i in epoch e draws from (seed, e, i, k),
 * so the inputs of a pair get their own transforms, except that the first input's mask or boxes follow its own
 * (pairing; the first input must then be images). A mask that is not (N, H, W) at the
 * images' size, or boxes that are not (N, B, 5), are refused naming both shapes. */
fv_status fv_tensor_set_augment(fv_tensor_set *s, const struct fv_augment *aug, uint64_t seed,
                                fv_target_pairing pairing);

/* ---- composed segmentation canvases ------------------------------------------------------------------- */

/* Canvases of several gray items (e.g. Fashion-MNIST) pasted onto a black square, for segmentation: canvas i
 * draws from fv_rng_bits(seed, FV_COMPOSE_STREAM, i * 64 + k): k = 0 gives the item count, min_items +
 * bits % (max_items - min_items + 1); item j (from 0) takes k = 1 + 3j for its sample (bits % count), 2 + 3j for
 * its x and 3 + 3j for its y (bits % (canvas - item side + 1) each). Items are pasted in order, later on top;
 * an item's zero pixels are transparent; each pixel it does paint sets the mask to its class + 1 when the pixel
 * exceeds threshold, else to 0 (background), so mask != 0 exactly where the canvas exceeds threshold. */
#define FV_COMPOSE_STREAM UINT64_C(0x636f6d706f7365) /* "compose" */
#define FV_COMPOSE_MAX_ITEMS 21                     /* 1 + 3 * 21 draws fit the 64 of a canvas */

typedef struct {
    int canvas;               /* side of the square canvas, at least the items' */
    int min_items, max_items; /* 1 <= min_items <= max_items <= FV_COMPOSE_MAX_ITEMS */
    int threshold;            /* an item's pixel above it is the item in the mask (25) */
    uint64_t seed;
    bool yolo_labels;         /* also labels/NNNNN.txt: the boxes in YOLO's format (a detection folder) */
} fv_compose_options;

fv_compose_options fv_compose_defaults(void);

/* One pasted item: class is the mask's id (the dataset's label + 1); x0, y0, x1, y1 bound, in canvas pixels
 * (x1, y1 one past the last), the item's pixels above threshold as pasted, before later items cover any of
 * them; all -1 when it has none. */
typedef struct {
    int class_id, x0, y0, x1, y1;
} fv_compose_box;

/* Canvas i of items (a dataset of 1 x h x w samples): image and mask canvas * canvas bytes, boxes room for
 * max_items (may be NULL); *n_boxes the items pasted. */
fv_status fv_compose_canvas(fv_ctx *ctx, const fv_dataset *items, const fv_compose_options *o, int64_t i,
                            uint8_t *image, uint8_t *mask, fv_compose_box *boxes, int *n_boxes);
/* Canvases 0..count-1 as a segmentation folder: dir/images/NNNNN.png (gray), dir/masks/NNNNN.png (class ids),
 * dir/classes.txt (background, then the dataset's class names or numbers) and dir/boxes.csv
 * (file,class,x0,y0,x1,y1, a line per item with pixels above threshold); with yolo_labels also a detection
 * folder: dir/labels/NNNNN.txt, a line "class cx cy w h" per such item, its class the mask's id, so that one
 * classes.txt names both (0, the background, is never an object). Errors name the file. */
fv_status fv_compose_write(fv_ctx *ctx, const fv_dataset *items, const fv_compose_options *o, int64_t count,
                           const char *dir);

/* ---- segmentation sets ------------------------------------------------------------------------------------ */

/* The class names in dir/classes.txt, one a line (trailing blank lines dropped; at most FV_DATASET_MAX_CLASSES
 * names of 255 characters): *names malloc'd (free with fv_class_names_free), *n = 0 and *names NULL when dir has
 * no such file. Errors name the file and the line. */
fv_status fv_class_names_read(fv_ctx *ctx, const char *dir, char ***names, int *n);
void fv_class_names_free(char **names, int n);

/* A segmentation set is either
 *  - a folder DIR with DIR/images/NAME.png|.jpg|.jpeg and DIR/masks/NAME.png, paired by base name, or
 *  - a CSV of image,mask rows (an optional first line image,mask is a header; paths relative to the CSV's folder),
 * with an optional classes.txt (DIR/classes.txt, or beside the CSV): the class names, one a line, class 0 first.
 * A mask is a PNG of class ids (fv_mask_read): 8-bit gray values, or a palette PNG's indices; 255 is the ignore
 * value of the segment task. Images are read at channels (1 or 3 as PIL's convert; 0: the first image's), all at
 * the first image's size (or resized to options.width x height), as float (N, C, H, W) in [0, 1]; masks as int32 (N, H, W). */
bool fv_is_segmentation_folder(const char *dir); /* dir holds images/ and masks/ */
/* A segmentation folder, or a .csv file whose first row is the header image,mask or pairs an image with a .png. */
bool fv_is_segmentation_set(const char *path);

typedef struct {
    int channels;     /* 0, 1 or 3 */
    bool strict;      /* the first bad pair fails the load (default: skipped and listed in the scan) */
    int classes;      /* > 0: a mask holding an id >= classes, other than ignore_index, is a bad pair; 0: unchecked */
    int ignore_index; /* 255 */
    int width, height; /* > 0: every image resized to this (bilinear, antialiased) and its mask with it (nearest
                        * neighbour: never a mixed class); 0: as read, all of the first image's size */
} fv_seg_options;

fv_seg_options fv_seg_defaults(void);

/* What opening a segmentation set found. Bad pairs, each named by the file at fault and why: an image without a
 * mask or a mask without an image, an unreadable or undecodable file, an RGB (or gray + alpha, 16-bit) mask, a
 * palette PNG without its palette, a mask of another size than its image, an image of another size than the
 * first, a class id too large for options.classes. */
typedef struct {
    int64_t pairs;       /* image,mask pairs listed (folder: images with a mask of the same name) */
    int64_t unpaired;    /* images without a mask, masks without an image, listed files that cannot be read */
    int64_t skipped;     /* listed pairs left out (in problems) */
    int n_problems;
    fv_image_problem *problems;
    int n_sizes;         /* (width, height, channels as read) of the decoded images, most frequent first */
    fv_image_size_count *sizes;
    int64_t pixels[256]; /* mask pixels per value over the pairs kept (pixels[255]: the ignore value) */
    int n_class_names;   /* from classes.txt; 0 when it is absent */
    char **class_names;
} fv_seg_scan;

void fv_seg_scan_release(fv_seg_scan *scan);

/* Open a segmentation folder or CSV as a tuple set (one input, int32 masks as the target). scan (may be NULL)
 * is filled even when the load fails. NULL with the reason in ctx: nothing usable, a malformed CSV or
 * classes.txt, or with strict the first bad pair. */
fv_tensor_set *fv_seg_load(fv_ctx *ctx, const char *path, const fv_seg_options *opt, fv_seg_scan *scan);
/* fv_seg_load of a folder, strict, classes unchecked. */
fv_tensor_set *fv_tensor_set_load_segmentation(fv_ctx *ctx, const char *dir, int channels);

/* ---- detection sets ------------------------------------------------------------------------------------- */

/* A detection folder in YOLO's layout: DIR/images/NAME.png|.jpg|.jpeg with DIR/labels/NAME.txt, one object a
 * line, "class cx cy w h": an integer class and the box's centre and size as fractions of the image's width and
 * height (an empty file: an image without objects); optional DIR/classes.txt names the classes. */
bool fv_is_detection_folder(const char *dir); /* dir holds images/ and labels/ */

typedef struct {
    int channels;      /* 1 or 3, or 0: the first image's (gray stays gray) */
    int classes;       /* > 0: a class id >= classes is a bad label; 0: classes.txt's count, or unchecked */
    int width, height; /* > 0: every image resized to this (its boxes scaled with it) */
    int max_boxes;     /* > 0: an image with more objects is a bad label; 0: no limit */
    bool strict;       /* the first bad image or label file fails the load */
} fv_det_options;

fv_det_options fv_det_defaults(void);

/* What opening a detection folder found. Bad files, each named with the reason (and the line of a label file):
 * an image without a label file or the reverse, an unreadable image, a label line that is not five numbers, a
 * class id that is not a whole number in range, a box outside [0, 1] or of zero or negative size; each skips its
 * image (strict: fails the load). */
typedef struct {
    int64_t images;       /* image, label file pairs listed */
    int64_t unpaired;     /* images without a label file, label files without an image */
    int64_t skipped;      /* listed pairs left out (in problems) */
    int64_t empty;        /* kept images without objects */
    int64_t boxes;        /* objects in the kept images */
    int64_t size_counts[3]; /* their boxes by COCO's areas at the loaded size: < 32^2, < 96^2, larger */
    int n_per_class;
    int64_t *per_class;   /* objects per class id (n_per_class: the largest id + 1, or the names' count) */
    int n_problems;
    fv_image_problem *problems;
    int n_sizes;
    fv_image_size_count *sizes;
    int n_class_names;
    char **class_names;
} fv_det_scan;

void fv_det_scan_release(fv_det_scan *scan);
/* Open a detection folder as a tuple set: images float (N, C, H, W) in [0, 1] and boxes float32 (N, B, 5) of
 * class, x0, y0, x1, y1 in pixels of the loaded images (B the most objects in an image, at least 1; class -1
 * pads), the target fv_task_detect and FV_PAIR_BOXES augmentation take. scan (may be NULL) is filled even when
 * the load fails. NULL with the reason in ctx: nothing usable, a malformed classes.txt, or with strict the first
 * bad file. */
fv_tensor_set *fv_det_load(fv_ctx *ctx, const char *dir, const fv_det_options *opt, fv_det_scan *scan);

#ifdef __cplusplus
}
#endif
#endif
