/* Warnings for outputs that are not finite: a NaN or an infinity in a model's output (from a NaN in the
 * input, or weights gone bad) makes its prediction meaningless, so predict, evaluate and run say which
 * samples gave one instead of printing a confident-looking class. */
#ifndef FV_CLI_FINITE_H
#define FV_CLI_FINITE_H

#include "fovea.h"

/* For each sample (row along the first dimension) of y that holds a NaN or an infinity, print on stderr
 * "PROG: warning: sample I of SOURCE gave a NaN output" (I is indices[i] when given, else i; path(i) names
 * the sample's file when it returns one), at most 5 lines and then a count of the rest. Returns the number of
 * such samples. */
int64_t cli_warn_nonfinite(const char *prog, const fv_tensor *y, const char *source, const int64_t *indices,
                           const char *(*path)(const void *data, int64_t i), const void *data);

#endif
