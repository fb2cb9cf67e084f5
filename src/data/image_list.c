/* The files of an image set, before decoding: a class folder walked as Keras' image_dataset_from_directory
 * does (sorted subfolders are the classes, files found recursively in sorted order), or a CSV of path,label.
 * Nothing is opened here but directories: a path that is not a regular file is reported, never read, so that
 * a FIFO named x.png cannot hang the listing. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "image_list.h"

#define WALK_MAX_DEPTH 32   /* deeper trees are not image sets; the bound also stops runaway walks */

bool img_has_image_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0);
}

char *img_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    size_t at = la;
    if (la && a[la - 1] != '/') p[at++] = '/';
    memcpy(p + at, b, lb + 1);
    return p;
}

fv_status img_add_problem(fv_ctx *ctx, img_list *l, const char *path, const char *reason)
{
    if (l->n_problems == l->cap_problems) {
        int cap = l->cap_problems ? 2 * l->cap_problems : 16;
        fv_image_problem *p = realloc(l->problems, (size_t)cap * sizeof *p);
        if (!p) return fv_error(ctx, FV_ERR_NOMEM, "out of memory listing bad files");
        l->problems = p, l->cap_problems = cap;
    }
    fv_image_problem *p = &l->problems[l->n_problems];
    p->path = strdup(path);
    p->reason = strdup(reason);
    if (!p->path || !p->reason) {
        free(p->path), free(p->reason);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory listing bad files");
    }
    l->n_problems++;
    return FV_OK;
}

/* A problem, or with strict the error "PATH: reason". */
static fv_status problem(fv_ctx *ctx, img_list *l, bool strict, const char *path, const char *reason)
{
    if (strict) return fv_error(ctx, FV_ERR_FORMAT, "%s: %s", path, reason);
    return img_add_problem(ctx, l, path, reason);
}

/* Takes ownership of path. */
static fv_status add_entry(fv_ctx *ctx, img_list *l, char *path, int32_t label)
{
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 256;
        img_entry *e = realloc(l->items, (size_t)cap * sizeof *e);
        if (!e) {
            free(path);
            return fv_error(ctx, FV_ERR_NOMEM, "out of memory listing %lld images", (long long)l->n);
        }
        l->items = e, l->cap = cap;
    }
    l->items[l->n].path = path;
    l->items[l->n++].label = label;
    return FV_OK;
}

void img_list_release(img_list *l)
{
    for (int64_t i = 0; i < l->n; i++) free(l->items[i].path);
    free(l->items);
    for (int k = 0; l->classes && k < l->n_classes; k++) free(l->classes[k]);
    free(l->classes);
    for (int i = 0; i < l->n_problems; i++) free(l->problems[i].path), free(l->problems[i].reason);
    free(l->problems);
    memset(l, 0, sizeof *l);
}

/* ---- sorted directory entries ---------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The names in dir but "." and "..", sorted byte-wise (Python's sorted on the names). */
static fv_status sorted_names(fv_ctx *ctx, const char *dir, char ***out, int *count)
{
    *out = NULL, *count = 0;
    DIR *d = opendir(dir);
    if (!d) return fv_error(ctx, FV_ERR_IO, "cannot open the folder %s: %s", dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **g = realloc(names, (size_t)cap * sizeof *g);
            if (!g) break;
            names = g;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    bool complete = e == NULL;
    closedir(d);
    if (!complete) {
        free_names(names, n);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory listing %s", dir);
    }
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str);
    *out = names, *count = n;
    return FV_OK;
}

/* ---- class folders ------------------------------------------------------------------------------------ */

/* One entry of a class folder: images are listed, folders walked (not through symbolic links, as Keras'
 * follow_links=False), anything else with an image's name is a problem. */
static fv_status walk_entry(fv_ctx *ctx, img_list *l, bool strict, char *path, const char *name, int32_t label,
                            int depth);

static fv_status walk(fv_ctx *ctx, img_list *l, bool strict, const char *dir, int32_t label, int depth)
{
    if (depth > WALK_MAX_DEPTH) return problem(ctx, l, strict, dir, "folders nested too deep; not listed");
    char **names;
    int n;
    fv_status s = sorted_names(ctx, dir, &names, &n);
    if (s && !strict && s != FV_ERR_NOMEM) {
        char why[512];
        snprintf(why, sizeof why, "%s", fv_errmsg(ctx));
        fv_clear_error(ctx);
        return problem(ctx, l, strict, dir, why);
    }
    if (s) return s;
    for (int i = 0; i < n && s == FV_OK; i++) {
        char *path = img_join(dir, names[i]);
        s = path ? walk_entry(ctx, l, strict, path, names[i], label, depth) : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    }
    free_names(names, n);
    return s;
}

static fv_status walk_entry(fv_ctx *ctx, img_list *l, bool strict, char *path, const char *name, int32_t label,
                            int depth)
{
    struct stat ls, sb;
    bool image = img_has_image_ext(name);
    fv_status s = FV_OK;
    if (lstat(path, &ls) != 0 || stat(path, &sb) != 0) {
        char reason[160];
        snprintf(reason, sizeof reason, "cannot read: %s", strerror(errno));
        if (image) s = problem(ctx, l, strict, path, reason);
    } else if (S_ISDIR(sb.st_mode) && image) {
        s = problem(ctx, l, strict, path, "a folder named like an image");
    } else if (S_ISDIR(sb.st_mode)) {
        if (!S_ISLNK(ls.st_mode)) s = walk(ctx, l, strict, path, label, depth + 1);
    } else if (!image) {
        l->ignored++;
    } else if (!S_ISREG(sb.st_mode)) {
        s = problem(ctx, l, strict, path, "not a regular file");
    } else {
        return add_entry(ctx, l, path, label); /* takes path */
    }
    free(path);
    return s;
}

fv_status img_list_folder(fv_ctx *ctx, const char *root, bool strict, img_list *l)
{
    memset(l, 0, sizeof *l);
    char **names;
    int n;
    fv_status s = sorted_names(ctx, root, &names, &n);
    if (s) return s;
    /* the classes: subfolders (hidden ones such as .ipynb_checkpoints are not classes) */
    if (!(l->classes = calloc((size_t)(n ? n : 1), sizeof *l->classes))) s = fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n && s == FV_OK; i++) {
        char *path = img_join(root, names[i]);
        struct stat sb;
        if (!path) s = fv_error(ctx, FV_ERR_NOMEM, "out of memory");
        else if (names[i][0] != '.' && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) l->classes[l->n_classes++] = names[i], names[i] = NULL;
        else if (names[i][0] != '.') l->ignored++;
        free(path);
    }
    free_names(names, n);
    if (s == FV_OK && l->n_classes == 0)
        s = fv_error(ctx, FV_ERR_FORMAT, "%s has no class folders (it should hold a folder of images per class)", root);
    if (s == FV_OK && l->n_classes > FV_DATASET_MAX_CLASSES)
        s = fv_error(ctx, FV_ERR_FORMAT, "%s: %d class folders, more than the %d supported", root, l->n_classes,
                     FV_DATASET_MAX_CLASSES);
    for (int k = 0; k < l->n_classes && s == FV_OK; k++) {
        char *dir = img_join(root, l->classes[k]);
        int64_t before = l->n;
        s = dir ? walk(ctx, l, strict, dir, k, 0) : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
        if (s == FV_OK && l->n == before) s = problem(ctx, l, strict, dir, "a class folder without images");
        free(dir);
    }
    return s;
}

/* ---- CSV lists ---------------------------------------------------------------------------------------- */

/* Trim spaces and one pair of double quotes, in place. */
char *img_trim_field(char *f)
{
    while (*f == ' ' || *f == '\t') f++;
    size_t n = strlen(f);
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t' || f[n - 1] == '\r' || f[n - 1] == '\n')) f[--n] = '\0';
    if (n >= 2 && f[0] == '"' && f[n - 1] == '"') f[n - 1] = '\0', f++;
    return f;
}

/* What a CSV label is: a class number (digits only, below FV_DATASET_MAX_CLASSES), another number (-1, 1.0,
 * 1e3, 70000: never a class number, and never silently a name either), or a class name. */
typedef enum { LABEL_INDEX, LABEL_NUMBER, LABEL_NAME } label_kind;

static label_kind kind_of_label(const char *s)
{
    const char *p = s;
    bool digits_only = true;
    int digits = 0;
    if (*p == '+' || *p == '-') p++, digits_only = false;
    for (; *p >= '0' && *p <= '9'; p++) digits++;
    if (*p == '.') {
        digits_only = false;
        for (p++; *p >= '0' && *p <= '9'; p++) digits++;
    }
    if (digits && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1 + (p[1] == '+' || p[1] == '-');
        if (*q >= '0' && *q <= '9') {
            digits_only = false;
            for (p = q; *p >= '0' && *p <= '9'; p++) {}
        }
    }
    if (!digits || *p) return LABEL_NAME;
    if (!digits_only || strlen(s) > 9) return LABEL_NUMBER;
    return atol(s) < FV_DATASET_MAX_CLASSES ? LABEL_INDEX : LABEL_NUMBER;
}

/* The labels seen so far: the first row's kind decides whether the CSV uses numbers or names. */
typedef struct {
    label_kind kind;
    int64_t line;
    char text[64];
} label_seen;

/* A label of the wrong kind is an error naming its line and the line that set the kind. */
static fv_status check_label(fv_ctx *ctx, label_seen *seen, const char *label, int64_t lineno, const char *csv)
{
    label_kind k = kind_of_label(label);
    if (k == LABEL_NUMBER)
        return fv_error(ctx, FV_ERR_FORMAT, "%s line %lld: label '%s' is a number but not a class number (class "
                        "numbers are whole numbers from 0 to %d)", csv, (long long)lineno, label, FV_DATASET_MAX_CLASSES - 1);
    if (seen->line == 0) {
        seen->kind = k, seen->line = lineno;
        snprintf(seen->text, sizeof seen->text, "%s", label);
        return FV_OK;
    }
    if (k == seen->kind) return FV_OK;
    return fv_error(ctx, FV_ERR_FORMAT, "%s line %lld: label '%s' is a class %s but line %lld's '%s' is a class %s "
                    "(use numbers or names throughout)", csv, (long long)lineno, label, k == LABEL_INDEX ? "number" : "name",
                    (long long)seen->line, seen->text, seen->kind == LABEL_INDEX ? "number" : "name");
}

/* The rows' labels as texts, then numbered: class numbers as they are, else class names in sorted order. */
static fv_status number_labels(fv_ctx *ctx, img_list *l, char **texts, const char *csv, label_kind kind)
{
    if (kind == LABEL_INDEX) {
        int32_t top = -1;
        for (int64_t i = 0; i < l->n; i++) {
            l->items[i].label = (int32_t)atol(texts[i]);
            if (l->items[i].label > top) top = l->items[i].label;
        }
        l->n_classes = top + 1;
        return FV_OK;
    }
    char **sorted = malloc((size_t)(l->n ? l->n : 1) * sizeof *sorted);
    if (!sorted) return fv_error(ctx, FV_ERR_NOMEM, "out of memory reading %s", csv);
    if (l->n) memcpy(sorted, texts, (size_t)l->n * sizeof *sorted); /* texts is NULL when no row was read */
    qsort(sorted, (size_t)l->n, sizeof *sorted, cmp_str);
    int k = 0;
    for (int64_t i = 0; i < l->n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) sorted[k++] = sorted[i];
    if (k > FV_DATASET_MAX_CLASSES) {
        free(sorted);
        return fv_error(ctx, FV_ERR_FORMAT, "%s names %d classes, more than the %d supported", csv, k, FV_DATASET_MAX_CLASSES);
    }
    l->classes = calloc((size_t)k, sizeof *l->classes);
    for (int c = 0; l->classes && c < k; c++) l->classes[l->n_classes++] = strdup(sorted[c]);
    for (int64_t i = 0; l->classes && i < l->n; i++) {
        char **hit = bsearch(&texts[i], sorted, (size_t)k, sizeof *sorted, cmp_str);
        l->items[i].label = (int32_t)(hit - sorted);
    }
    free(sorted);
    for (int c = 0; c < l->n_classes; c++)
        if (!l->classes[c]) return fv_error(ctx, FV_ERR_NOMEM, "out of memory reading %s", csv);
    return l->classes ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory reading %s", csv);
}

static bool is_header(const char *label)
{
    return strcasecmp(label, "label") == 0 || strcasecmp(label, "class") == 0 || strcasecmp(label, "labels") == 0;
}

/* One row "path,label" (split at the last comma, so that paths may hold commas). */
static fv_status csv_row(fv_ctx *ctx, img_list *l, bool strict, const char *dir, char *line, int64_t lineno,
                         const char *csv, char ***texts, label_seen *seen)
{
    char *comma = strrchr(line, ',');
    if (!comma) return fv_error(ctx, FV_ERR_FORMAT, "%s line %lld: expected path,label", csv, (long long)lineno);
    *comma = '\0';
    char *path = img_trim_field(line), *label = img_trim_field(comma + 1);
    if (lineno == 1 && is_header(label)) return FV_OK;
    if (!*path || !*label) return fv_error(ctx, FV_ERR_FORMAT, "%s line %lld: an empty path or label", csv, (long long)lineno);
    fv_status s = check_label(ctx, seen, label, lineno, csv);
    if (s) return s;
    char *full = path[0] == '/' ? strdup(path) : img_join(dir, path);
    struct stat sb;
    if (!full) return fv_error(ctx, FV_ERR_NOMEM, "out of memory reading %s", csv);
    int rc = stat(full, &sb);
    if (rc != 0 || !S_ISREG(sb.st_mode)) {
        char reason[160];
        snprintf(reason, sizeof reason, "cannot read: %s", rc != 0 ? strerror(errno) : "not a regular file");
        s = problem(ctx, l, strict, full, reason);
        free(full);
        return s;
    }
    /* The texts keep the items' capacity (add_entry doubles it when full): one realloc a row made a long CSV
     * quadratic wherever realloc copies. */
    char **t = *texts;
    if (l->n == l->cap) {
        t = realloc(*texts, (size_t)(l->cap ? 2 * l->cap : 256) * sizeof *t);
        if (t) *texts = t;
    }
    if (!t || !(t[l->n] = strdup(label))) {
        free(full);
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory reading %s", csv);
    }
    if ((s = add_entry(ctx, l, full, 0)) != FV_OK) free(t[l->n]);
    return s;
}

char *img_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    char *d = malloc((size_t)(slash - path) + 1);
    if (d) memcpy(d, path, (size_t)(slash - path)), d[slash - path] = '\0';
    return d;
}

int img_read_line(FILE *f, char *buf, size_t cap)
{
    size_t n = 0;
    int c;
    bool nul = false;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 >= cap) return -1;
        nul |= c == '\0';
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    if (nul) return -2;
    return c == EOF && n == 0 ? 0 : 1;
}

fv_status img_csv_each_row(fv_ctx *ctx, const char *csv, img_csv_row_fn row, void *user)
{
    FILE *f = fopen(csv, "r");
    if (!f) return fv_error(ctx, FV_ERR_IO, "cannot open %s: %s", csv, strerror(errno));
    char *dir = img_parent_dir(csv), line[CSV_LINE_MAX];
    fv_status s = dir ? FV_OK : fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    int64_t lineno = 0;
    int got;
    while (s == FV_OK && (got = img_read_line(f, line, sizeof line)) != 0) {
        lineno++;
        if (got == -1)
            s = fv_error(ctx, FV_ERR_FORMAT, "%s line %lld is longer than %d bytes", csv, (long long)lineno, CSV_LINE_MAX);
        else if (got == -2)
            s = fv_error(ctx, FV_ERR_FORMAT, "%s line %lld holds a NUL byte (not a text CSV?)", csv, (long long)lineno);
        else if (*img_trim_field(line))
            s = row(ctx, user, line, lineno, dir);
    }
    if (s == FV_OK && ferror(f)) s = fv_error(ctx, FV_ERR_IO, "error reading %s", csv);
    fclose(f);
    free(dir);
    return s;
}

typedef struct {
    img_list *l;
    bool strict;
    const char *csv;
    char **texts;
    label_seen seen;
} csv_state;

static fv_status csv_state_row(fv_ctx *ctx, void *user, char *line, int64_t lineno, const char *dir)
{
    csv_state *c = user;
    return csv_row(ctx, c->l, c->strict, dir, line, lineno, c->csv, &c->texts, &c->seen);
}

fv_status img_list_csv(fv_ctx *ctx, const char *csv, bool strict, img_list *l)
{
    memset(l, 0, sizeof *l);
    csv_state c = {l, strict, csv, NULL, {LABEL_INDEX, 0, ""}}; /* no rows: no classes, as before */
    fv_status s = img_csv_each_row(ctx, csv, csv_state_row, &c);
    if (s == FV_OK && l->n == 0 && l->n_problems == 0) s = fv_error(ctx, FV_ERR_FORMAT, "%s lists no images", csv);
    if (s == FV_OK) s = number_labels(ctx, l, c.texts, csv, c.seen.kind);
    for (int64_t i = 0; c.texts && i < l->n; i++) free(c.texts[i]);
    free(c.texts);
    return s;
}
