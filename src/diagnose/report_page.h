/* What every report page shares (report.c): the head with its Content-Security-Policy, the model summary and
 * training curves, the closing script, and the atomic write; the classification and segmentation pages
 * (report_segment.c) differ only in the sections between. */
#ifndef FV_DIAGNOSE_REPORT_PAGE_H
#define FV_DIAGNOSE_REPORT_PAGE_H

#include <stdio.h>

#include "fovea/model.h"
#include "fovea/progress.h"

/* The head, the summary of m and, when history is given, the training curves. */
void fv_report_page_start(FILE *f, fv_model *m, const fv_history *history);
/* The script and the closing tags. */
void fv_report_page_end(FILE *f);
/* A warning paragraph (text escaped). */
void fv_report_warn(FILE *f, const char *text);
/* body(f, arg) written to path atomically: the old file stays unless the whole page was written. */
fv_status fv_report_save(fv_ctx *ctx, const char *path, void (*body)(FILE *f, void *arg), void *arg);

#endif
