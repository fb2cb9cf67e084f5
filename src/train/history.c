/* The training history as a CSV file in the layout of Keras' CSVLogger (header "epoch,<metrics>", one row
 * per epoch, 0-based epochs), appended and flushed row by row so that a crash loses at most the epoch in
 * progress, plus a strict reader for plotting and for resuming a run onto the same file. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../core/internal.h"
#include "fovea/progress.h"

struct fv_history_writer {
    fv_ctx *ctx;
    FILE *f;
    char *path;
    int n;
    int last_epoch;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- reading -------------------------------------------------------------------------------------- */

void fv_history_free(fv_history *h)
{
    if (!h) return;
    for (int i = 0; i < h->n_cols; i++) free(h->names[i]);
    free(h->names);
    free(h->epochs);
    free(h->values);
    free(h);
}

int fv_history_column(const fv_history *h, const char *name)
{
    for (int i = 0; i < h->n_cols; i++)
        if (strcmp(h->names[i], name) == 0) return i;
    return -1;
}

/* Split a line (modified in place) at commas; returns the field count, or -1 past max fields. */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    for (char *s = line;; s++) {
        if (n == max) return -1;
        fields[n++] = s;
        s = strchr(s, ',');
        if (!s) return n;
        *s = '\0';
    }
}

typedef struct {
    fv_ctx *ctx;
    const char *path;
    long lineno;
} reader;

static fv_status bad_line(const reader *r, const char *what, const char *detail)
{
    return fv_error(r->ctx, FV_ERR_FORMAT, "history '%s' line %ld: %s%s", r->path, r->lineno, what, detail);
}

/* Reads one line without its "\n" or "\r\n" into *buf; returns its length, or -1 at end of file. */
static long read_line(FILE *f, char **buf, size_t *cap)
{
    ssize_t n = getline(buf, cap, f);
    if (n < 0) return -1;
    if (n > 0 && (*buf)[n - 1] == '\n') (*buf)[--n] = '\0';
    if (n > 0 && (*buf)[n - 1] == '\r') (*buf)[--n] = '\0';
    return (long)n;
}

/* A history is text: a NUL byte or a control character (other than a tab) means another kind of file, which is
 * refused here with where it was found rather than parsed into odd names or numbers. */
static fv_status check_text(const reader *r, const char *line, long len)
{
    for (long i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 && c != '\t') {
            char detail[64];
            snprintf(detail, sizeof detail, " (byte 0x%02x at column %ld)", c, i + 1);
            return bad_line(r, "not a text file", detail);
        }
    }
    return FV_OK;
}

static fv_status parse_header(const reader *r, fv_history *h, char *line)
{
    int max = (int)strlen(line) + 2;
    char **fields = malloc((size_t)max * sizeof *fields);
    if (!fields) return fv_error(r->ctx, FV_ERR_NOMEM, "history '%s': out of memory", r->path);
    int n = split_fields(line, fields, max);
    fv_status st = FV_OK;
    if (strcmp(fields[0], "epoch") != 0) {
        st = bad_line(r, "the header does not start with 'epoch'", "");
        goto done;
    }
    h->names = calloc((size_t)n, sizeof *h->names);
    if (!h->names) {
        st = fv_error(r->ctx, FV_ERR_NOMEM, "history '%s': out of memory", r->path);
        goto done;
    }
    for (int i = 1; i < n; i++) {
        if (!fields[i][0]) {
            st = bad_line(r, "empty column name in the header", "");
            goto done;
        }
        if (!(h->names[h->n_cols] = dup_str(fields[i]))) {
            st = fv_error(r->ctx, FV_ERR_NOMEM, "history '%s': out of memory", r->path);
            goto done;
        }
        h->n_cols++;
    }
done:
    free(fields);
    return st;
}

static bool parse_value(const char *s, double *v)
{
    if (strcmp(s, "NA") == 0) { /* Keras' CSVLogger writes NA for a metric missing that epoch */
        *v = NAN;
        return true;
    }
    if (!s[0] || s[0] == ' ') return false;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

static bool parse_epoch(const char *s, int *epoch)
{
    if (s[0] < '0' || s[0] > '9') return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v > INT_MAX) return false;
    *epoch = (int)v;
    return true;
}

static fv_status grow_rows(const reader *r, fv_history *h, int *cap)
{
    if (h->n_rows < *cap) return FV_OK;
    int ncap = *cap ? *cap * 2 : 64;
    int *e = realloc(h->epochs, (size_t)ncap * sizeof *e);
    if (e) h->epochs = e;
    double *v = realloc(h->values, (size_t)ncap * (size_t)(h->n_cols ? h->n_cols : 1) * sizeof *v);
    if (v) h->values = v;
    if (!e || !v) return fv_error(r->ctx, FV_ERR_NOMEM, "history '%s': out of memory", r->path);
    *cap = ncap;
    return FV_OK;
}

static fv_status parse_row(const reader *r, fv_history *h, char *line, char **fields)
{
    int n = split_fields(line, fields, h->n_cols + 1);
    if (n != h->n_cols + 1) {
        char detail[64];
        if (n < 0)
            snprintf(detail, sizeof detail, "more than %d", h->n_cols + 1);
        else
            snprintf(detail, sizeof detail, "%d", n);
        return fv_error(r->ctx, FV_ERR_FORMAT, "history '%s' line %ld: expected %d fields as in the header, got %s",
                        r->path, r->lineno, h->n_cols + 1, detail);
    }
    int *epoch = &h->epochs[h->n_rows];
    if (!parse_epoch(fields[0], epoch))
        return fv_error(r->ctx, FV_ERR_FORMAT, "history '%s' line %ld: epoch is not a non-negative integer: '%s'",
                        r->path, r->lineno, fields[0]);
    double *row = h->values + (size_t)h->n_rows * (size_t)h->n_cols;
    for (int i = 0; i < h->n_cols; i++)
        if (!parse_value(fields[i + 1], &row[i]))
            return fv_error(r->ctx, FV_ERR_FORMAT, "history '%s' line %ld: field %d ('%s') is not a number: '%s'",
                            r->path, r->lineno, i + 2, h->names[i], fields[i + 1]);
    h->n_rows++;
    return FV_OK;
}

static fv_status read_rows(reader *r, FILE *f, fv_history *h)
{
    char *line = NULL;
    size_t cap = 0;
    int rows_cap = 0;
    fv_status st = FV_OK;
    char **fields = malloc((size_t)(h->n_cols + 1) * sizeof *fields);
    if (!fields) st = fv_error(r->ctx, FV_ERR_NOMEM, "history '%s': out of memory", r->path);
    while (st == FV_OK) {
        long len = read_line(f, &line, &cap);
        if (len < 0) break;
        r->lineno++;
        if (len == 0) {
            st = bad_line(r, "empty line", "");
            break;
        }
        if ((st = check_text(r, line, len)) != FV_OK || (st = grow_rows(r, h, &rows_cap)) != FV_OK) break;
        st = parse_row(r, h, line, fields);
    }
    if (st == FV_OK && ferror(f)) st = fv_error(r->ctx, FV_ERR_IO, "history '%s': read error", r->path);
    free(fields);
    free(line);
    return st;
}

fv_history *fv_history_read(fv_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fv_error(ctx, FV_ERR_IO, "history '%s': cannot open: %s", path, strerror(errno));
        return NULL;
    }
    fv_history *h = calloc(1, sizeof *h);
    reader r = {ctx, path, 1};
    char *line = NULL;
    size_t cap = 0;
    long len;
    fv_status st = FV_OK;
    if (!h)
        st = fv_error(ctx, FV_ERR_NOMEM, "history '%s': out of memory", path);
    else if ((len = read_line(f, &line, &cap)) < 0)
        st = fv_error(ctx, FV_ERR_FORMAT, "history '%s': empty file, expected a header 'epoch,...'", path);
    else if ((st = check_text(&r, line, len)) == FV_OK)
        st = parse_header(&r, h, line);
    free(line);
    if (st == FV_OK) st = read_rows(&r, f, h);
    fclose(f);
    if (st != FV_OK) {
        fv_history_free(h);
        return NULL;
    }
    return h;
}

/* ---- writing -------------------------------------------------------------------------------------- */

static fv_status check_names(fv_ctx *ctx, const char *path, const char *const *names, int n)
{
    if (n < 0 || (n > 0 && !names)) return fv_error(ctx, FV_ERR_ARG, "history '%s': no column names", path);
    for (int i = 0; i < n; i++) {
        const char *s = names[i];
        if (!s || !s[0]) return fv_error(ctx, FV_ERR_ARG, "history '%s': column %d has no name", path, i + 1);
        if (strpbrk(s, ",\"\r\n"))
            return fv_error(ctx, FV_ERR_ARG, "history '%s': column name '%s' has a comma, quote or line break", path, s);
        if (strcmp(s, "epoch") == 0)
            return fv_error(ctx, FV_ERR_ARG, "history '%s': 'epoch' is the first column already", path);
        for (int j = 0; j < i; j++)
            if (strcmp(names[j], s) == 0)
                return fv_error(ctx, FV_ERR_ARG, "history '%s': column '%s' appears twice", path, s);
    }
    return FV_OK;
}

/* The existing file must have exactly our header; remember its last epoch. */
static fv_status check_existing(fv_history_writer *h, const char *const *names, int n)
{
    fv_history *old = fv_history_read(h->ctx, h->path);
    if (!old) return fv_errcode(h->ctx);
    bool same = old->n_cols == n;
    for (int i = 0; same && i < n; i++) same = strcmp(old->names[i], names[i]) == 0;
    if (!same) {
        char mine[256] = "epoch", theirs[256] = "epoch";
        for (int i = 0; i < n; i++) snprintf(mine + strlen(mine), sizeof mine - strlen(mine), ",%s", names[i]);
        for (int i = 0; i < old->n_cols; i++)
            snprintf(theirs + strlen(theirs), sizeof theirs - strlen(theirs), ",%s", old->names[i]);
        fv_history_free(old);
        return fv_error(h->ctx, FV_ERR_FORMAT, "history '%s': its header '%s' differs from this run's '%s'", h->path,
                        theirs, mine);
    }
    h->last_epoch = old->n_rows ? old->epochs[old->n_rows - 1] : -1;
    fv_history_free(old);
    return FV_OK;
}

/* Size of the file, and whether it ends with a newline (a row written by hand may not). */
static long file_tail(const char *path, bool *ends_with_newline)
{
    FILE *f = fopen(path, "rb");
    *ends_with_newline = true;
    if (!f) return 0;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size > 0 && fseek(f, -1, SEEK_END) == 0) *ends_with_newline = fgetc(f) == '\n';
    fclose(f);
    return size;
}

static fv_status write_header(fv_history_writer *h, const char *const *names, int n)
{
    fputs("epoch", h->f);
    for (int i = 0; i < n; i++) fprintf(h->f, ",%s", names[i]);
    fputc('\n', h->f);
    if (fflush(h->f) != 0 || ferror(h->f))
        return fv_error(h->ctx, FV_ERR_IO, "history '%s': write failed: %s", h->path, strerror(errno));
    return FV_OK;
}

static fv_status open_file(fv_history_writer *h, const char *const *names, int n, bool append)
{
    bool newline = true;
    long size = append ? file_tail(h->path, &newline) : 0;
    if (size > 0) {
        fv_status st = check_existing(h, names, n);
        if (st != FV_OK) return st;
    }
    h->f = fopen(h->path, size > 0 ? "ab" : "wb");
    if (!h->f) return fv_error(h->ctx, FV_ERR_IO, "history '%s': cannot open for writing: %s", h->path, strerror(errno));
    if (size > 0) {
        if (!newline) fputc('\n', h->f);
        return FV_OK;
    }
    return write_header(h, names, n);
}

fv_history_writer *fv_history_open(fv_ctx *ctx, const char *path, const char *const *names, int n, bool append)
{
    if (!path) {
        fv_error(ctx, FV_ERR_ARG, "history: no path");
        return NULL;
    }
    if (check_names(ctx, path, names, n) != FV_OK) return NULL;
    fv_history_writer *h = calloc(1, sizeof *h);
    if (!h || !(h->path = dup_str(path))) {
        free(h);
        fv_error(ctx, FV_ERR_NOMEM, "history '%s': out of memory", path);
        return NULL;
    }
    h->ctx = ctx;
    h->n = n;
    h->last_epoch = -1;
    if (open_file(h, names, n, append) != FV_OK) {
        if (h->f) fclose(h->f);
        free(h->path);
        free(h);
        return NULL;
    }
    return h;
}

int fv_history_last_epoch(const fv_history_writer *h) { return h->last_epoch; }

fv_status fv_history_append(fv_history_writer *h, int epoch, const double *values, int n)
{
    if (n != h->n)
        return fv_error(h->ctx, FV_ERR_ARG, "history '%s': %d values for %d columns", h->path, n, h->n);
    if (epoch < 0) return fv_error(h->ctx, FV_ERR_ARG, "history '%s': negative epoch %d", h->path, epoch);
    fprintf(h->f, "%d", epoch);
    for (int i = 0; i < n; i++) {
        if (isnan(values[i]))
            fputs(",nan", h->f); /* not glibc's "-nan", which no reader expects */
        else
            fprintf(h->f, ",%.9g", (double)(float)values[i]); /* exact for a float, as the display rounds */
    }
    fputc('\n', h->f);
    if (fflush(h->f) != 0 || ferror(h->f))
        return fv_error(h->ctx, FV_ERR_IO, "history '%s': write failed: %s", h->path, strerror(errno));
    h->last_epoch = epoch;
    return FV_OK;
}

fv_status fv_history_close(fv_history_writer *h)
{
    if (!h) return FV_OK;
    fv_status st = FV_OK;
    if (fclose(h->f) != 0) st = fv_error(h->ctx, FV_ERR_IO, "history '%s': close failed: %s", h->path, strerror(errno));
    free(h->path);
    free(h);
    return st;
}
