/* The Keras-style progress display of training: "Epoch i/N", a bar redrawn in place on a terminal, the
 * epoch's final line with timings and metrics, and the banner printed before training. Formats follow
 * Keras 2.x's Progbar so that users read the numbers as they are used to. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fovea/progress.h"

#define BAR_WIDTH 30

struct fv_progress {
    FILE *f;
    fv_progress_mode mode; /* never AUTO once made */
    fv_clock_fn clock;
    void *clock_user;
    double interval;
    int epoch, epochs;
    long steps;            /* 0: unknown */
    long last_step;        /* last step reported in this epoch */
    double t_start;        /* begin_epoch */
    double t_first;        /* when step 1 was reported, or -1 */
    double t_drawn;        /* last redraw, or -INFINITY */
    size_t prev_width;     /* width of the bar line on screen, to erase a longer one */
    bool bar_open;         /* a bar is drawn and its line not ended */
};

/* ---- a growable line ------------------------------------------------------------------------------ */

typedef struct {
    char *s;
    size_t len, cap;
    bool failed;
} line_buf;

static void lb_printf(line_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void lb_printf(line_buf *b, const char *fmt, ...)
{
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!b->s || b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = true;
            return;
        }
        b->s = s;
        b->cap = cap;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

static void lb_repeat(line_buf *b, char c, long n)
{
    for (long i = 0; i < n; i++) lb_printf(b, "%c", c);
}

/* ---- the display ---------------------------------------------------------------------------------- */

static double monotonic_seconds(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

fv_progress *fv_progress_new(FILE *f, fv_progress_mode mode)
{
    fv_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->f = f;
    if (mode == FV_PROGRESS_AUTO) {
        int fd = f ? fileno(f) : -1;
        mode = fd >= 0 && isatty(fd) ? FV_PROGRESS_TTY : FV_PROGRESS_PLAIN;
    }
    p->mode = f ? mode : FV_PROGRESS_QUIET;
    p->clock = monotonic_seconds;
    p->interval = 0.05;
    p->t_first = -1;
    p->t_drawn = -INFINITY;
    return p;
}

void fv_progress_free(fv_progress *p) { free(p); }

fv_progress_mode fv_progress_get_mode(const fv_progress *p) { return p->mode; }

void fv_progress_set_clock(fv_progress *p, fv_clock_fn clock, void *user)
{
    p->clock = clock ? clock : monotonic_seconds;
    p->clock_user = user;
}

void fv_progress_set_interval(fv_progress *p, double seconds) { p->interval = seconds > 0 ? seconds : 0; }

static double now(const fv_progress *p) { return p->clock(p->clock_user); }

/* End a bar line still open, so that the next text starts on a line of its own. */
static void close_bar(fv_progress *p)
{
    if (p->bar_open) fputc('\n', p->f);
    p->bar_open = false;
    p->prev_width = 0;
}

void fv_progress_begin_epoch(fv_progress *p, int epoch, int epochs, long steps)
{
    p->epoch = epoch;
    p->epochs = epochs;
    p->steps = steps > 0 ? steps : 0;
    p->last_step = 0;
    p->t_first = -1;
    p->t_drawn = -INFINITY;
    p->t_start = now(p);
    if (p->mode == FV_PROGRESS_QUIET) return;
    close_bar(p);
    fprintf(p->f, "Epoch %d/%d\n", epoch, epochs);
    fflush(p->f);
}

/* Seconds per step as Keras estimates it: the first step, which pays for warm-up, is left out once a later
 * one is known. */
static double time_per_step(const fv_progress *p, long step, double t)
{
    if (step <= 0) return 0;
    if (p->t_first >= 0 && step > 1) return (t - p->t_first) / (double)(step - 1);
    return (t - p->t_start) / (double)step;
}

/* "120/938 [==>.....]" or, with an unknown total, "    120/Unknown". */
static void put_bar(line_buf *b, long step, long steps)
{
    if (steps <= 0) {
        lb_printf(b, "%7ld/Unknown", step);
        return;
    }
    char total[32];
    int digits = snprintf(total, sizeof total, "%ld", steps);
    lb_printf(b, "%*ld/%s [", digits, step, total);
    double frac = (double)step / (double)steps;
    if (frac > 1) frac = 1;
    long done = (long)(BAR_WIDTH * frac);
    if (done > 0) {
        lb_repeat(b, '=', done - 1);
        lb_printf(b, "%c", step < steps ? '>' : '=');
    }
    lb_repeat(b, '.', BAR_WIDTH - done);
    lb_printf(b, "]");
}

/* Keras' ETA: "1:02:03" past an hour, "1:05" past a minute, else "12s" (each part truncated). */
static void put_eta(line_buf *b, double eta)
{
    if (eta > 3600)
        lb_printf(b, " - ETA: %ld:%02ld:%02ld", (long)(eta / 3600), (long)(fmod(eta, 3600) / 60), (long)fmod(eta, 60));
    else if (eta > 60)
        lb_printf(b, " - ETA: %ld:%02ld", (long)(eta / 60), (long)fmod(eta, 60));
    else
        lb_printf(b, " - ETA: %lds", (long)eta);
}

/* " - 25s 27ms/step": elapsed seconds and time per step in s, ms or us. */
static void put_timing(line_buf *b, double elapsed, double per_step)
{
    lb_printf(b, " - %.0fs", elapsed);
    if (per_step >= 1 || per_step == 0)
        lb_printf(b, " %.0fs/step", per_step);
    else if (per_step >= 1e-3)
        lb_printf(b, " %.0fms/step", per_step * 1e3);
    else
        lb_printf(b, " %.0fus/step", per_step * 1e6);
}

static void put_metrics(line_buf *b, const char *const *names, const double *values, int n)
{
    for (int i = 0; i < n; i++) {
        double v = (float)values[i]; /* the float the history file stores, so both round alike */
        if (isnan(v))
            lb_printf(b, " - %s: nan", names[i]); /* not glibc's "-nan" */
        else if (fabs(v) > 1e-3)
            lb_printf(b, " - %s: %.4f", names[i], v);
        else
            lb_printf(b, " - %s: %.4e", names[i], v);
    }
}

/* Draw a line; on a terminal it replaces the bar in place and is padded to erase a longer previous one. */
static void emit(fv_progress *p, line_buf *b, bool final)
{
    if (b->failed) return;
    size_t width = b->len;
    if (p->mode == FV_PROGRESS_TTY) {
        fputc('\r', p->f);
        fputs(b->s, p->f);
        for (size_t i = width; i < p->prev_width; i++) fputc(' ', p->f);
        p->prev_width = width;
        p->bar_open = !final;
    } else {
        fputs(b->s, p->f);
    }
    if (final) {
        fputc('\n', p->f);
        p->prev_width = 0;
    }
    fflush(p->f);
}

void fv_progress_update(fv_progress *p, long step, const char *const *names, const double *values, int n)
{
    double t = now(p);
    if (step == 1) p->t_first = t;
    p->last_step = step;
    if (p->mode != FV_PROGRESS_TTY) return;
    bool last = p->steps > 0 && step >= p->steps;
    if (t - p->t_drawn < p->interval && !last) return;
    p->t_drawn = t;
    line_buf b = {0};
    put_bar(&b, step, p->steps);
    double per_step = time_per_step(p, step, t);
    if (p->steps > 0)
        put_eta(&b, per_step * (double)(p->steps - step > 0 ? p->steps - step : 0));
    else
        put_timing(&b, t - p->t_start, per_step);
    put_metrics(&b, names, values, n);
    emit(p, &b, false);
    free(b.s);
}

void fv_progress_end_epoch(fv_progress *p, const char *const *names, const double *values, int n)
{
    if (p->mode == FV_PROGRESS_QUIET) return;
    double t = now(p);
    long step = p->last_step > 0 ? p->last_step : p->steps;
    line_buf b = {0};
    put_bar(&b, step, p->steps);
    put_timing(&b, t - p->t_start, time_per_step(p, step, t));
    put_metrics(&b, names, values, n);
    emit(p, &b, true);
    free(b.s);
    p->bar_open = false;
}

void fv_progress_printf(fv_progress *p, const char *fmt, ...)
{
    if (p->mode == FV_PROGRESS_QUIET) return;
    close_bar(p);
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    char *text = small;
    if ((size_t)n >= sizeof small) {
        if (!(text = malloc((size_t)n + 1))) return;
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    fputs(text, p->f);
    if (n == 0 || text[n - 1] != '\n') fputc('\n', p->f);
    fflush(p->f);
    if (text != small) free(text);
}

/* ---- the banner ----------------------------------------------------------------------------------- */

char *fv_format_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
        return buf;
    }
    double v = (double)bytes / 1024;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.2f %s", v, units[u]);
    return buf;
}

char *fv_format_count(int64_t n, char *buf, size_t len)
{
    char digits[32];
    uint64_t mag = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    char out[48];
    size_t o = 0;
    if (n < 0) out[o++] = '-';
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
    return buf;
}

void fv_progress_banner(fv_progress *p, const fv_banner_info *in)
{
    if (p->mode == FV_PROGRESS_QUIET || !in) return;
    close_bar(p);
    char a[48], b[48], c[48];
    if (in->params_total > 0)
        fprintf(p->f, "Parameters: %s total, %s trainable, %s non-trainable\n",
                fv_format_count(in->params_total, a, sizeof a), fv_format_count(in->params_trainable, b, sizeof b),
                fv_format_count(in->params_non_trainable, c, sizeof c));
    if (in->param_bytes || in->activation_bytes)
        fprintf(p->f, "Memory: %s for parameters, %s for activations\n", fv_format_bytes(in->param_bytes, a, sizeof a),
                fv_format_bytes(in->activation_bytes, b, sizeof b));
    if (in->threads > 0)
        fprintf(p->f, "Compute: SIMD %s, %d thread%s\n", in->simd && in->simd[0] ? in->simd : "none", in->threads,
                in->threads == 1 ? "" : "s");
    if (in->train_samples > 0) {
        fprintf(p->f, "Train on %s samples", fv_format_count(in->train_samples, a, sizeof a));
        if (in->val_samples > 0) fprintf(p->f, ", validate on %s samples", fv_format_count(in->val_samples, b, sizeof b));
        if (in->batch > 0) fprintf(p->f, ", batch %d", in->batch);
        fputc('\n', p->f);
    }
    fflush(p->f);
}
