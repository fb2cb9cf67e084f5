/* The (image, mask) pairs of a segmentation set before anything is decoded: from a folder (images/ and masks/
 * matched by base name) or a CSV of image,mask rows; shared by seg_list.c, which lists, and seg_folder.c, which
 * reads and checks the pairs. A detection folder's (image, label file) pairs are listed the same way. */
#ifndef FV_DATA_SEG_LIST_H
#define FV_DATA_SEG_LIST_H

#include "image_list.h"

typedef struct {
    char *image, *mask;
} seg_pair;

typedef struct {
    seg_pair *pairs;
    int64_t n, cap;
    int64_t unpaired; /* images without a mask and masks without an image (in issues) */
    img_list issues;  /* only its problems are used: the same record as image folders keep */
    char **class_names; /* classes.txt beside images/ and masks/ (or the CSV), one name a line */
    int n_class_names;
} seg_list;

/* A problem, or with strict the error "PATH: reason". */
fv_status seg_problem(fv_ctx *ctx, seg_list *l, bool strict, const char *path, const char *reason);
/* Fill l from a folder or a CSV; errors (unreadable, malformed, nothing listed) name the path. An image without
 * a mask, or the reverse, is a problem (strict: an error). */
fv_status seg_list_folder(fv_ctx *ctx, const char *dir, bool strict, seg_list *l);
/* The same pairing of DIR/images with another folder of DIR (second) holding files of extension ext: a
 * detection folder's labels/NAME.txt (det_folder.c); the pair's second path is then that file. */
fv_status seg_list_folder_of(fv_ctx *ctx, const char *dir, const char *second, const char *ext, bool strict,
                             seg_list *l);
fv_status seg_list_csv(fv_ctx *ctx, const char *csv, bool strict, seg_list *l);
void seg_list_release(seg_list *l);

/* One more image of (w, h, c) in a scan's size table (sizes, n: a segmentation or detection scan's), and the
 * table sorted by count, most frequent first. */
fv_status seg_count_size(fv_ctx *ctx, fv_image_size_count **sizes, int *n, int w, int h, int c);
void seg_sort_sizes(fv_image_size_count *sizes, int n);

#endif
