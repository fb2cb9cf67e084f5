/* Listing the files of an image set (a folder per class, or a CSV of path,label) before any is decoded:
 * shared by image_list.c, which walks and parses, and dataset_images.c, which checks and opens them. */
#ifndef FV_DATA_IMAGE_LIST_H
#define FV_DATA_IMAGE_LIST_H

#include <stdio.h>

#include "dataset_internal.h"

typedef struct {
    char *path;
    int32_t label;
} img_entry;

typedef struct {
    img_entry *items;
    int64_t n, cap;
    char **classes; /* sorted class names */
    int n_classes;
    int64_t ignored; /* files without an image extension */
    fv_image_problem *problems;
    int n_problems, cap_problems;
} img_list;

/* Whether name ends in .png, .jpg or .jpeg, in any case. */
bool img_has_image_ext(const char *name);
/* path = a + "/" + b (malloc'd; NULL when out of memory). */
char *img_join(const char *a, const char *b);
/* CSV pieces shared with the segmentation pair lists (seg_list.c). */
#define CSV_LINE_MAX 8192
/* A field without surrounding blanks and one pair of double quotes (edits f in place). */
char *img_trim_field(char *f);
/* The folder of a path ("." when it has none; malloc'd, NULL when out of memory). */
char *img_parent_dir(const char *path);
/* One line into buf (without its newline); 0 at the end of the file, -1 when it is longer than the buffer,
 * -2 when it holds a NUL byte (which would hide the rest of the line, a whole row perhaps, from the parser). */
int img_read_line(FILE *f, char *buf, size_t cap);
/* Each non-blank line of a CSV to row (lineno from 1; dir the CSV's folder, for relative paths), stopping at the
 * first error; over-long lines and NUL bytes are errors naming the CSV and the line. */
typedef fv_status (*img_csv_row_fn)(fv_ctx *ctx, void *user, char *line, int64_t lineno, const char *dir);
fv_status img_csv_each_row(fv_ctx *ctx, const char *csv, img_csv_row_fn row, void *user);
/* Record a problem (copies both strings); FV_ERR_NOMEM when out of memory. */
fv_status img_add_problem(fv_ctx *ctx, img_list *l, const char *path, const char *reason);
/* Fill l from a class folder or a CSV file; errors (not a folder, no classes, a malformed CSV) name the path.
 * Bad entries become problems; with strict the first one is an error. */
fv_status img_list_folder(fv_ctx *ctx, const char *root, bool strict, img_list *l);
fv_status img_list_csv(fv_ctx *ctx, const char *csv, bool strict, img_list *l);
void img_list_release(img_list *l);

#endif
