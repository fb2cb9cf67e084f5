/* The training history as a CSV file in the layout of Keras' CSVLogger (header "epoch,<metrics>", one row
 * per epoch, 0-based epochs), appended row by row with one write each so that a crash loses at most the epoch
 * in progress, locked against a second writer, cut back to the checkpoint's epoch when a run resumes, plus a
 * strict reader for plotting and for resuming a run onto the same file. */
#define _DEFAULT_SOURCE /* flock: a lock per open file, so that two writers in one process exclude each other too */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "../core/internal.h"
#include "fovea/progress.h"

struct fv_history_writer {
    fv_ctx *ctx;
    int fd;
    bool regular; /* a regular file: locked, cut back after a failed write */
    char *pending; /* text to write before the next row, or NULL */
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

/* Writes all of buf; on failure a regular file is cut back to where the write began, so that a full disk
 * leaves no half row behind. 0 or an errno value. */
static int write_raw(fv_history_writer *h, const char *buf, size_t len)
{
    off_t start = h->regular ? lseek(h->fd, 0, SEEK_END) : 0;
    for (size_t done = 0; done < len;) {
        ssize_t k = write(h->fd, buf + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            int err = k < 0 ? errno : EIO;
            if (h->regular && start >= 0 && ftruncate(h->fd, start) != 0) { /* the cut is all that can be done */
            }
            return err;
        }
        done += (size_t)k;
    }
    return 0;
}

/* What is still to be written before the next row (the header, or the line break a row written by hand
 * lacked) goes with it, so that a full disk at the start costs the history, not the run. */
static int write_pending(fv_history_writer *h)
{
    if (!h->pending) return 0;
    int err = write_raw(h, h->pending, strlen(h->pending));
    if (!err) free(h->pending), h->pending = NULL;
    return err;
}

static fv_status set_pending(fv_history_writer *h, const char *text)
{
    if (!(h->pending = dup_str(text))) return fv_error(h->ctx, FV_ERR_NOMEM, "history '%s': out of memory", h->path);
    write_pending(h); /* now if it can be; otherwise with the first row */
    return FV_OK;
}

static fv_status write_header(fv_history_writer *h, const char *const *names, int n)
{
    size_t len = 7;
    for (int i = 0; i < n; i++) len += strlen(names[i]) + 1;
    char *buf = malloc(len);
    if (!buf) return fv_error(h->ctx, FV_ERR_NOMEM, "history '%s': out of memory", h->path);
    strcpy(buf, "epoch");
    for (int i = 0; i < n; i++) strcat(buf, ","), strcat(buf, names[i]);
    strcat(buf, "\n");
    fv_status st = set_pending(h, buf);
    free(buf);
    return st;
}

/* The offset where the rows of epochs >= first_epoch begin (the file's size when there are none), scanning the
 * file already checked by fv_history_read; *last gets the last epoch before it, and *newline whether the kept
 * part ends with a line break (a row written by hand may not). */
static off_t rows_before(FILE *f, int first_epoch, int *last, bool *newline)
{
    char *line = NULL;
    size_t cap = 0;
    off_t keep = 0;
    ssize_t n = getline(&line, &cap, f); /* the header */
    *last = -1;
    *newline = n > 0 && line[n - 1] == '\n';
    keep = n > 0 ? n : 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        int epoch = atoi(line);
        if (first_epoch >= 0 && epoch >= first_epoch) break;
        *last = epoch;
        *newline = line[n - 1] == '\n';
        keep += n;
    }
    free(line);
    return keep;
}

/* Resuming at first_epoch: the rows of that epoch and later (written by the interrupted run after its
 * checkpoint) are cut off, so that the file holds each epoch once. */
static fv_status keep_rows_before(fv_history_writer *h, int first_epoch)
{
    int dup_fd = dup(h->fd);
    FILE *f = dup_fd >= 0 ? fdopen(dup_fd, "rb") : NULL;
    if (!f) {
        if (dup_fd >= 0) close(dup_fd);
        return fv_error(h->ctx, FV_ERR_IO, "history '%s': cannot read: %s", h->path, strerror(errno));
    }
    bool newline;
    int last;
    rewind(f);
    off_t keep = rows_before(f, first_epoch, &last, &newline);
    fclose(f);
    struct stat st;
    if (fstat(h->fd, &st) == 0 && keep < st.st_size && ftruncate(h->fd, keep) != 0)
        return fv_error(h->ctx, FV_ERR_IO, "history '%s': cannot cut off the rows from epoch %d on: %s", h->path,
                        first_epoch, strerror(errno));
    h->last_epoch = last;
    return newline ? FV_OK : set_pending(h, "\n");
}

/* Opened without truncating, and locked before anything is cut or written: a second run writing the same
 * file is refused instead of interleaving its rows with ours. FIFOs and devices (/dev/null) are not locked. */
static fv_status open_locked(fv_history_writer *h)
{
    /* Read and write: resuming reads the rows to keep through the same (locked) file. */
    h->fd = open(h->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0666);
    if (h->fd < 0 && errno == EACCES) h->fd = open(h->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0666);
    if (h->fd < 0)
        return fv_error(h->ctx, FV_ERR_IO, "history '%s': cannot open for writing: %s", h->path, strerror(errno));
    struct stat st;
    h->regular = fstat(h->fd, &st) == 0 && S_ISREG(st.st_mode);
    if (h->regular && flock(h->fd, LOCK_EX | LOCK_NB) != 0)
        return fv_error(h->ctx, FV_ERR_IO, "history '%s': %s", h->path,
                        errno == EWOULDBLOCK ? "another training run is writing it (the file is locked); give each "
                                               "run its own --history" : strerror(errno));
    return FV_OK;
}

static fv_status open_file(fv_history_writer *h, const char *const *names, int n, int first_epoch)
{
    fv_status st = open_locked(h);
    if (st != FV_OK) return st;
    struct stat s;
    off_t size = h->regular && fstat(h->fd, &s) == 0 ? s.st_size : 0;
    if (first_epoch != 0 && size > 0) {
        if ((st = check_existing(h, names, n)) != FV_OK) return st;
        return keep_rows_before(h, first_epoch);
    }
    if (h->regular && ftruncate(h->fd, 0) != 0)
        return fv_error(h->ctx, FV_ERR_IO, "history '%s': cannot truncate: %s", h->path, strerror(errno));
    return write_header(h, names, n);
}

static fv_history_writer *open_writer(fv_ctx *ctx, const char *path, const char *const *names, int n, int first_epoch)
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
    h->fd = -1;
    h->last_epoch = -1;
    if (open_file(h, names, n, first_epoch) != FV_OK) {
        if (h->fd >= 0) close(h->fd);
        free(h->pending);
        free(h->path);
        free(h);
        return NULL;
    }
    return h;
}

fv_history_writer *fv_history_open(fv_ctx *ctx, const char *path, const char *const *names, int n, bool append)
{
    return open_writer(ctx, path, names, n, append ? -1 : 0);
}

fv_history_writer *fv_history_open_at(fv_ctx *ctx, const char *path, const char *const *names, int n, int first_epoch)
{
    if (first_epoch < 0) {
        fv_error(ctx, FV_ERR_ARG, "history '%s': negative first epoch %d", path ? path : "", first_epoch);
        return NULL;
    }
    return open_writer(ctx, path, names, n, first_epoch);
}

int fv_history_last_epoch(const fv_history_writer *h) { return h->last_epoch; }

fv_status fv_history_append(fv_history_writer *h, int epoch, const double *values, int n)
{
    if (n != h->n)
        return fv_error(h->ctx, FV_ERR_ARG, "history '%s': %d values for %d columns", h->path, n, h->n);
    if (epoch < 0) return fv_error(h->ctx, FV_ERR_ARG, "history '%s': negative epoch %d", h->path, epoch);
    size_t cap = 16 + (size_t)n * 24, len;
    char *row = malloc(cap);
    if (!row) return fv_error(h->ctx, FV_ERR_NOMEM, "history '%s': out of memory", h->path);
    len = (size_t)snprintf(row, cap, "%d", epoch);
    for (int i = 0; i < n; i++) {
        if (isnan(values[i])) /* not glibc's "-nan", which no reader expects */
            len += (size_t)snprintf(row + len, cap - len, ",nan");
        else /* exact for a float, as the display rounds */
            len += (size_t)snprintf(row + len, cap - len, ",%.9g", (double)(float)values[i]);
    }
    len += (size_t)snprintf(row + len, cap - len, "\n");
    int err = write_pending(h);
    if (!err) err = write_raw(h, row, len);
    free(row);
    if (err) return fv_error(h->ctx, FV_ERR_IO, "history '%s': write failed: %s", h->path, strerror(err));
    h->last_epoch = epoch;
    return FV_OK;
}

fv_status fv_history_close(fv_history_writer *h)
{
    if (!h) return FV_OK;
    fv_status st = FV_OK;
    if (close(h->fd) != 0) st = fv_error(h->ctx, FV_ERR_IO, "history '%s': close failed: %s", h->path, strerror(errno));
    free(h->pending);
    free(h->path);
    free(h);
    return st;
}
