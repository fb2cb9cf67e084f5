/* fovea training output: the Keras-style progress display (what model.fit(verbose=1) prints), the banner
 * printed before training, and the history of each epoch's metrics as a CSV file (Keras' CSVLogger) with
 * a strict reader for plotting. */
#ifndef FOVEA_PROGRESS_H
#define FOVEA_PROGRESS_H

#include <stdio.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- progress display ------------------------------------------------------------------------------ */

typedef enum {
    FV_PROGRESS_AUTO = 0, /* a bar redrawn in place when the stream is a terminal, else FV_PROGRESS_PLAIN */
    FV_PROGRESS_TTY,      /* the bar, whatever the stream is */
    FV_PROGRESS_PLAIN,    /* per epoch only "Epoch i/N" and the final line (logs, pipes) */
    FV_PROGRESS_QUIET     /* nothing */
} fv_progress_mode;

typedef struct fv_progress fv_progress;

/* Seconds on any monotonic scale; user is what was given to fv_progress_set_clock. */
typedef double (*fv_clock_fn)(void *user);

/* A display writing to f (not closed by fv_progress_free). NULL only when out of memory. */
fv_progress *fv_progress_new(FILE *f, fv_progress_mode mode);
void fv_progress_free(fv_progress *p);
/* The mode in effect (FV_PROGRESS_AUTO resolved to TTY or PLAIN). */
fv_progress_mode fv_progress_get_mode(const fv_progress *p);
/* Replace the clock (default: CLOCK_MONOTONIC), for tests and replays. */
void fv_progress_set_clock(fv_progress *p, fv_clock_fn clock, void *user);
/* Least time between two redraws of the bar (default 0.05 s); the last step is always drawn. */
void fv_progress_set_interval(fv_progress *p, double seconds);

/* Prints "Epoch 3/10" (epoch is 1-based here, as Keras prints it) and starts the epoch's clock. steps is the
 * number of batches in the epoch, or 0 when unknown (the bar then shows "    120/Unknown"). */
void fv_progress_begin_epoch(fv_progress *p, int epoch, int epochs, long steps);
/* After batch `step` (1-based) with the running values of the metrics, in the caller's order, e.g.
 *  120/938 [==>...........................] - ETA: 12s - loss: 0.2710 - accuracy: 0.9012
 * Drawn in terminal mode only, throttled, but call it at every step in every mode: step 1's time is what the
 * final line's time per step starts from. Values are rounded to float (what the history file stores) and
 * print as Keras prints them: %.4f, or %.4e when |v| <= 1e-3 ("5.0000e-04"), "nan" for NaN. */
void fv_progress_update(fv_progress *p, long step, const char *const *names, const double *values, int n);
/* The epoch's final line, with every metric including validation ones, e.g.
 *  938/938 [==============================] - 25s 27ms/step - loss: 0.2710 - val_loss: 0.3121
 * The time per step excludes the first step when it was reported (it pays for warm-up), as in Keras. */
void fv_progress_end_epoch(fv_progress *p, const char *const *names, const double *values, int n);
/* A line of its own (callback messages: "Epoch 5: val_loss improved ..."); ends a bar being drawn first.
 * Nothing in quiet mode. A newline is added when the text has none. */
void fv_progress_printf(fv_progress *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* What is known before training starts; zero fields are left out of the banner. */
typedef struct {
    int64_t params_total, params_trainable, params_non_trainable;
    uint64_t param_bytes;      /* parameters, gradients and optimizer state */
    uint64_t activation_bytes; /* activations and their gradients at the training batch size */
    const char *simd;          /* vector code in use, e.g. "avx2"; NULL: "none" */
    int threads;
    int64_t train_samples, val_samples; /* 0: not printed */
    int batch;
} fv_banner_info;

/* The banner (nothing in quiet mode), e.g.
 *   Parameters: 1,234,567 total, 1,230,000 trainable, 4,567 non-trainable
 *   Memory: 14.13 MiB for parameters, 96.00 MiB for activations
 *   Compute: SIMD avx2, 2 threads
 *   Train on 60,000 samples, validate on 10,000 samples, batch 64 */
void fv_progress_banner(fv_progress *p, const fv_banner_info *info);

/* Human units in binary multiples: "512 B", "1.50 KiB", "4.71 MiB", "1.20 GiB", "3.00 TiB". Returns buf. */
char *fv_format_bytes(uint64_t bytes, char *buf, size_t len);
/* An integer with thousands separators, as Keras' summary prints counts: "1,234,567". Returns buf. */
char *fv_format_count(int64_t n, char *buf, size_t len);

/* ---- history (CSV) --------------------------------------------------------------------------------- */

/* A history file, as Keras' CSVLogger writes it: a header "epoch,<names>" then one row per epoch, the epoch
 * 0-based, each value rounded to float and written with %.9g, enough to give that float back exactly:
 * (float) of the value read back is the float the progress line rounded to 4 decimals. NaN is written "nan".
 * Columns keep the caller's order (Keras sorts them alphabetically; pass them sorted for Keras' layout).
 * Each row goes to the file in one write when appended. */
typedef struct fv_history_writer fv_history_writer;

/* Opens path for writing. append false: a new file (an old one is replaced). append true (resuming): the
 * existing file is read with fv_history_read and its header must be exactly this one; rows are then added
 * after its last. A missing or empty file is started with the header either way. Names must be non-empty,
 * distinct, not "epoch", and free of commas, quotes and line breaks. NULL with FV_ERR_ARG, FV_ERR_IO or
 * FV_ERR_FORMAT in ctx. */
fv_history_writer *fv_history_open(fv_ctx *ctx, const char *path, const char *const *names, int n, bool append);
/* The same for a run starting at first_epoch: 0 starts a new file; above 0 (resuming) keeps the existing rows of
 * earlier epochs and cuts off those of first_epoch and later, which the interrupted run wrote after its
 * checkpoint, so that no epoch appears twice. Either way a regular file is locked (flock) while open: a second
 * writer, in this process or another, is refused with FV_ERR_IO instead of interleaving rows. A failed row (a full
 * disk) is cut back out of the file and reported with FV_ERR_IO; the writer can be closed or tried again. */
fv_history_writer *fv_history_open_at(fv_ctx *ctx, const char *path, const char *const *names, int n, int first_epoch);
/* The last epoch in the file (read when appending, or written since), or -1 when it has no rows. */
int fv_history_last_epoch(const fv_history_writer *h);
/* One row; n must equal the number of names. */
fv_status fv_history_append(fv_history_writer *h, int epoch, const double *values, int n);
/* Closes the file; FV_ERR_IO in ctx when the final flush fails. */
fv_status fv_history_close(fv_history_writer *h);

/* A history file read back. */
typedef struct {
    int n_cols;     /* metric columns, not counting epoch */
    char **names;   /* n_cols names */
    int n_rows;
    int *epochs;    /* n_rows epochs */
    double *values; /* n_rows x n_cols, row-major; "nan", "inf" and Keras' "NA" (missing) read as NaN/inf */
} fv_history;

/* Reads a history CSV strictly: a header starting with "epoch", every row with as many fields as the header,
 * epochs non-negative integers, values numbers; "\r\n" line ends are accepted (Python's csv module writes
 * them). NULL with FV_ERR_FORMAT in ctx naming the file and line, e.g.
 * "history 'run/history.csv' line 4: field 3 ('loss') is not a number: 'abc'". */
fv_history *fv_history_read(fv_ctx *ctx, const char *path);
void fv_history_free(fv_history *h);
/* The column index of a metric, or -1. */
int fv_history_column(const fv_history *h, const char *name);

#ifdef __cplusplus
}
#endif
#endif
