/* The progress display (exact lines in terminal, plain and quiet modes under a fake clock: bar, ETA and
 * timing formats, throttling, padding), the banner and its number formats, and the history CSV (layout,
 * round trip, append and resume checks, strict reader errors naming file and line). */
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

/* ---- helpers -------------------------------------------------------------------------------------- */

static double fake_now;
static double fake_clock(void *user)
{
    (void)user;
    return fake_now;
}

typedef struct {
    char *buf;
    size_t len;
    FILE *f;
    fv_progress *p;
} capture;

static void cap_open(capture *c, fv_progress_mode mode)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    c->p = fv_progress_new(c->f, mode);
    fv_progress_set_clock(c->p, fake_clock, NULL);
}

/* The text written so far; the caller frees it. */
static char *cap_close(capture *c)
{
    fv_progress_free(c->p);
    fclose(c->f);
    return c->buf;
}

static int same_text(const char *got, const char *want, const char *what)
{
    int ok = strcmp(got, want) == 0;
    CHECK(ok, "%s", what);
    if (!ok) printf("  got:  [%s]\n  want: [%s]\n", got, want);
    return ok;
}

static const char *const names2[] = {"loss", "accuracy"};
static const char *const names4[] = {"loss", "accuracy", "val_loss", "val_accuracy"};

/* ---- progress ------------------------------------------------------------------------------------- */

static void test_tty(void)
{
    capture c;
    cap_open(&c, FV_PROGRESS_TTY);
    CHECK(fv_progress_get_mode(c.p) == FV_PROGRESS_TTY, "forced terminal mode");
    fake_now = 100;
    fv_progress_begin_epoch(c.p, 3, 10, 938);
    double v[4] = {0.5, 0.8, 0.3121, 0.889};
    fake_now = 100.5;
    fv_progress_update(c.p, 1, names2, v, 2);
    double v120[2] = {0.2710, 0.9012};
    fake_now = 100.5 + 119 * 0.027;
    fv_progress_update(c.p, 120, names2, v120, 2);
    fake_now += 0.01; /* within 50 ms: not drawn */
    fv_progress_update(c.p, 121, names2, v120, 2);
    fake_now = 110;
    fv_progress_update(c.p, 400, names2, v120, 1); /* a shorter line erases the longer one */
    double vend[4] = {0.2710, 0.9012, 0.3121, 0.8890};
    fake_now = 100.5 + 937 * 0.026;
    fv_progress_update(c.p, 938, names2, vend, 2); /* the last step is always drawn */
    fv_progress_end_epoch(c.p, names4, vend, 4);
    char *out = cap_close(&c);

    const char *l120 = "120/938 [==>...........................] - ETA: 22s - loss: 0.2710 - accuracy: 0.9012";
    const char *l400 = "400/938 [===========>..................] - ETA: 12s - loss: 0.2710";
    const char *l938 = "938/938 [==============================] - ETA: 0s - loss: 0.2710 - accuracy: 0.9012";
    const char *lend = "938/938 [==============================] - 25s 26ms/step - loss: 0.2710 - accuracy: 0.9012 - "
                       "val_loss: 0.3121 - val_accuracy: 0.8890";
    const char *l1 = "  1/938 [..............................] - ETA: 7:48 - loss: 0.5000 - accuracy: 0.8000";
    char want[2048];
    /* each line is padded to the width of the one it replaces: "7:48" is one wider than "22s" */
    int pad120 = (int)(strlen(l1) - strlen(l120)), pad400 = (int)(strlen(l120) - strlen(l400));
    CHECK(pad120 == 1 && pad400 == 19, "padding widths %d %d", pad120, pad400);
    snprintf(want, sizeof want, "Epoch 3/10\n\r%s\r%s%*s\r%s%*s\r%s\r%s\n", l1, l120, pad120, "", l400, pad400, "",
             l938, lend);
    same_text(out, want, "terminal: bar, ETA, throttling, padding, final line");
    free(out);
}

static void test_eta_and_timing_formats(void)
{
    capture c;
    cap_open(&c, FV_PROGRESS_TTY);
    double v[1] = {1.25};
    fake_now = 0;
    fv_progress_begin_epoch(c.p, 1, 1, 100000);
    fake_now = 1;
    fv_progress_update(c.p, 1, names2, v, 1);
    char *out = cap_close(&c);
    same_text(out, "Epoch 1/1\n\r     1/100000 [..............................] - ETA: 27:46:39 - loss: 1.2500",
              "ETA past an hour");
    free(out);

    /* Steps of 0.5 ms: microseconds per step; the first step's extra time is left out. */
    cap_open(&c, FV_PROGRESS_PLAIN);
    fake_now = 0;
    fv_progress_begin_epoch(c.p, 2, 5, 10);
    for (int s = 1; s <= 10; s++) {
        fake_now = 0.25 + 0.0005 * s;
        fv_progress_update(c.p, s, names2, v, 1);
    }
    fv_progress_end_epoch(c.p, names2, v, 1);
    out = cap_close(&c);
    same_text(out, "Epoch 2/5\n10/10 [==============================] - 0s 500us/step - loss: 1.2500\n",
              "plain mode: only the final line, us/step");
    free(out);

    /* Slow steps: s/step; no update at all: the step count is the epoch's. */
    cap_open(&c, FV_PROGRESS_PLAIN);
    fake_now = 10;
    fv_progress_begin_epoch(c.p, 1, 1, 7);
    fake_now = 24;
    fv_progress_end_epoch(c.p, NULL, NULL, 0);
    out = cap_close(&c);
    same_text(out, "Epoch 1/1\n7/7 [==============================] - 14s 2s/step\n", "seconds per step");
    free(out);
}

static void test_values_and_unknown_total(void)
{
    capture c;
    cap_open(&c, FV_PROGRESS_TTY);
    const char *const names[] = {"loss", "tiny", "zero", "bad", "neg"};
    double v[5] = {0.1, 0.0005, 0, NAN, -2.5};
    fake_now = 0;
    fv_progress_begin_epoch(c.p, 1, 2, 0);
    fake_now = 1;
    fv_progress_update(c.p, 5, names, v, 5);
    fv_progress_printf(c.p, "note %d", 7);
    fake_now = 2;
    fv_progress_update(c.p, 10, names, v, 1);
    fv_progress_end_epoch(c.p, names, v, 1);
    char *out = cap_close(&c);
    same_text(out,
              "Epoch 1/2\n"
              "\r      5/Unknown - 1s 200ms/step - loss: 0.1000 - tiny: 5.0000e-04 - zero: 0.0000e+00 - bad: nan"
              " - neg: -2.5000\n"
              "note 7\n"
              "\r     10/Unknown - 2s 200ms/step - loss: 0.1000"
              "\r     10/Unknown - 2s 200ms/step - loss: 0.1000\n",
              "unknown total, Keras' value formats, a message ending the bar");
    free(out);
}

static void test_quiet_and_auto(void)
{
    capture c;
    cap_open(&c, FV_PROGRESS_QUIET);
    double v[1] = {1};
    fv_progress_begin_epoch(c.p, 1, 1, 3);
    fv_progress_update(c.p, 3, names2, v, 1);
    fv_progress_end_epoch(c.p, names2, v, 1);
    fv_progress_printf(c.p, "hidden");
    fv_banner_info info = {.params_total = 10, .threads = 1};
    fv_progress_banner(c.p, &info);
    char *out = cap_close(&c);
    same_text(out, "", "quiet mode prints nothing");
    free(out);

    cap_open(&c, FV_PROGRESS_AUTO);
    CHECK(fv_progress_get_mode(c.p) == FV_PROGRESS_PLAIN, "auto mode on a memory stream is plain");
    free(cap_close(&c));
}

static void test_banner(void)
{
    capture c;
    cap_open(&c, FV_PROGRESS_PLAIN);
    fv_banner_info info = {1234567, 1230000, 4567, 14816000, 100663296, "avx2", 2, 60000, 10000, 64};
    fv_progress_banner(c.p, &info);
    fv_banner_info one = {.params_total = 999, .params_trainable = 999, .activation_bytes = 512, .threads = 1};
    fv_progress_banner(c.p, &one);
    char *out = cap_close(&c);
    same_text(out,
              "Parameters: 1,234,567 total, 1,230,000 trainable, 4,567 non-trainable\n"
              "Memory: 14.13 MiB for parameters, 96.00 MiB for activations\n"
              "Compute: SIMD avx2, 2 threads\n"
              "Train on 60,000 samples, validate on 10,000 samples, batch 64\n"
              "Parameters: 999 total, 999 trainable, 0 non-trainable\n"
              "Memory: 0 B for parameters, 512 B for activations\n"
              "Compute: SIMD none, 1 thread\n",
              "banner");
    free(out);

    char b[48];
    CHECK(!strcmp(fv_format_bytes(1023, b, sizeof b), "1023 B"), "1023 B");
    CHECK(!strcmp(fv_format_bytes(1536, b, sizeof b), "1.50 KiB"), "1.50 KiB");
    CHECK(!strcmp(fv_format_bytes((uint64_t)1 << 30, b, sizeof b), "1.00 GiB"), "1.00 GiB");
    CHECK(!strcmp(fv_format_bytes((uint64_t)3 << 40, b, sizeof b), "3.00 TiB"), "3.00 TiB");
    CHECK(!strcmp(fv_format_count(0, b, sizeof b), "0"), "count 0");
    CHECK(!strcmp(fv_format_count(1000, b, sizeof b), "1,000"), "count 1,000");
    CHECK(!strcmp(fv_format_count(-1234567, b, sizeof b), "-1,234,567"), "negative count");
    CHECK(!strcmp(fv_format_count(INT64_MIN, b, sizeof b), "-9,223,372,036,854,775,808"), "INT64_MIN");
}

/* ---- history -------------------------------------------------------------------------------------- */

static char tmpdir[64];

static void path_in_tmp(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", tmpdir, name); }

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = calloc(1, 65536);
    size_t n = fread(s, 1, 65535, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static const char *const hnames[] = {"accuracy", "loss", "lr", "val_accuracy", "val_loss"};

static void test_history_write_read(fv_ctx *ctx)
{
    char path[128];
    path_in_tmp(path, sizeof path, "h.csv");
    fv_history_writer *h = fv_history_open(ctx, path, hnames, 5, false);
    CHECK(h != NULL, "history opened: %s", fv_errmsg(ctx));
    if (!h) return;
    CHECK(fv_history_last_epoch(h) == -1, "new file has no epoch");
    double r0[5] = {0.9012, 0.2710, 0.001, 0.889, 0.3121};
    double r1[5] = {0.95, 0.123456789, 1e-4, 1, NAN};
    CHECK(fv_history_append(h, 0, r0, 5) == FV_OK, "row 0");
    /* flushed row by row: readable before close */
    char *mid = slurp(path);
    same_text(mid, "epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.901199996,0.270999998,0.00100000005,"
                   "0.888999999,0.312099993\n", "header and first row, flushed");
    free(mid);
    CHECK(fv_history_append(h, 1, r1, 5) == FV_OK, "row 1");
    CHECK(fv_history_append(h, 2, r1, 4) == FV_ERR_ARG, "wrong value count refused");
    CHECK(fv_history_last_epoch(h) == 1, "last epoch 1");
    CHECK(fv_history_close(h) == FV_OK, "closed");

    fv_history *rd = fv_history_read(ctx, path);
    CHECK(rd && rd->n_rows == 2 && rd->n_cols == 5, "read back 2 rows of 5 columns");
    if (!rd) return;
    CHECK(fv_history_column(rd, "val_loss") == 4 && fv_history_column(rd, "epoch") == -1, "columns by name");
    bool exact = true, same4 = true;
    for (int i = 0; i < 5; i++) {
        double rows[2][5];
        memcpy(rows[0], r0, sizeof r0);
        memcpy(rows[1], r1, sizeof r1);
        for (int r = 0; r < 2; r++) {
            double want = (float)rows[r][i], got = (float)rd->values[r * 5 + i];
            if (isnan(want) ? !isnan(got) : want != got) exact = false;
            char a[32], b[32];
            snprintf(a, sizeof a, "%.4f", (double)(float)rows[r][i]); /* what the progress line shows */
            snprintf(b, sizeof b, "%.4f", got);
            if (!isnan(want) && strcmp(a, b)) same4 = false;
        }
    }
    CHECK(exact, "values read back give the floats written");
    CHECK(same4, "read back values round to the progress line's 4 decimals");
    CHECK(rd->epochs[0] == 0 && rd->epochs[1] == 1, "0-based epochs");
    fv_history_free(rd);
}

static void test_history_append(fv_ctx *ctx)
{
    char path[128];
    path_in_tmp(path, sizeof path, "h.csv"); /* written by test_history_write_read */
    fv_history_writer *h = fv_history_open(ctx, path, hnames, 5, true);
    CHECK(h && fv_history_last_epoch(h) == 1, "append: resumes after epoch 1");
    double r[5] = {1, 2, 3, 4, 5};
    if (h) {
        fv_history_append(h, 2, r, 5);
        fv_history_close(h);
    }
    fv_history *rd = fv_history_read(ctx, path);
    CHECK(rd && rd->n_rows == 3 && rd->epochs[2] == 2 && rd->values[2 * 5 + 4] == 5, "appended a third row");
    fv_history_free(rd);

    h = fv_history_open(ctx, path, hnames, 3, true);
    char want[512];
    snprintf(want, sizeof want,
             "history '%s': its header 'epoch,accuracy,loss,lr,val_accuracy,val_loss' differs from this run's "
             "'epoch,accuracy,loss,lr'", path);
    CHECK(!h && fv_errcode(ctx) == FV_ERR_FORMAT, "append with another header refused");
    same_text(fv_errmsg(ctx), want, "header mismatch message");

    /* A missing or empty file is started with the header; a last row without newline gets one. */
    char p2[128];
    path_in_tmp(p2, sizeof p2, "empty.csv");
    spit(p2, "");
    h = fv_history_open(ctx, p2, hnames, 2, true);
    if (h) {
        fv_history_append(h, 0, r, 2);
        fv_history_close(h);
    }
    char *s = slurp(p2);
    same_text(s ? s : "", "epoch,accuracy,loss\n0,1,2\n", "append to an empty file writes the header");
    free(s);
    spit(p2, "epoch,loss\r\n3,0.5");
    h = fv_history_open(ctx, p2, hnames + 1, 1, true);
    CHECK(h && fv_history_last_epoch(h) == 3, "CRLF file without final newline: last epoch 3");
    if (h) {
        fv_history_append(h, 4, r, 1);
        fv_history_close(h);
    }
    s = slurp(p2);
    same_text(s ? s : "", "epoch,loss\r\n3,0.5\n4,1\n", "newline added before appending");
    free(s);

    const char *const bad[] = {"loss", "a,b"};
    CHECK(!fv_history_open(ctx, p2, bad, 2, false) && fv_errcode(ctx) == FV_ERR_ARG, "comma in a name refused");
    const char *const dup[] = {"loss", "loss"};
    CHECK(!fv_history_open(ctx, p2, dup, 2, false), "duplicate name refused: %s", fv_errmsg(ctx));
}

static void read_error(fv_ctx *ctx, const char *text, const char *want_tail)
{
    char path[128], want[512];
    path_in_tmp(path, sizeof path, "bad.csv");
    spit(path, text);
    fv_history *h = fv_history_read(ctx, path);
    CHECK(!h && fv_errcode(ctx) == FV_ERR_FORMAT, "rejected: %s", want_tail);
    fv_history_free(h);
    snprintf(want, sizeof want, "history '%s'%s", path, want_tail);
    same_text(fv_errmsg(ctx), want, "reader message");
}

static void test_history_reader(fv_ctx *ctx)
{
    read_error(ctx, "epoch,loss\n0,0.5\n1,abc\n", " line 3: field 2 ('loss') is not a number: 'abc'");
    read_error(ctx, "epoch,loss\n0,0.5,1\n", " line 2: expected 2 fields as in the header, got more than 2");
    read_error(ctx, "epoch,loss,acc\n0\n", " line 2: expected 3 fields as in the header, got 1");
    read_error(ctx, "step,loss\n", " line 1: the header does not start with 'epoch'");
    read_error(ctx, "", ": empty file, expected a header 'epoch,...'");
    read_error(ctx, "epoch,loss\n-1,0.5\n", " line 2: epoch is not a non-negative integer: '-1'");
    read_error(ctx, "epoch,loss\n0,0.5\n\n", " line 3: empty line");
    read_error(ctx, "epoch,loss\n0,\n", " line 2: field 2 ('loss') is not a number: ''");
    read_error(ctx, "epoch,,loss\n", " line 1: empty column name in the header");

    char path[128];
    path_in_tmp(path, sizeof path, "keras.csv");
    spit(path, "epoch,accuracy,loss\r\n0,0.5,NA\r\n1,inf,nan\r\n");
    fv_history *h = fv_history_read(ctx, path);
    CHECK(h && h->n_rows == 2 && isnan(h->values[1]) && isinf(h->values[2]) && isnan(h->values[3]),
          "CRLF, NA, inf and nan accepted");
    fv_history_free(h);
    path_in_tmp(path, sizeof path, "missing.csv");
    CHECK(!fv_history_read(ctx, path) && fv_errcode(ctx) == FV_ERR_IO, "missing file: %s", fv_errmsg(ctx));
}

int main(void)
{
    test_tty();
    test_eta_and_timing_formats();
    test_values_and_unknown_total();
    test_quiet_and_auto();
    test_banner();

    snprintf(tmpdir, sizeof tmpdir, "/tmp/fv_progress_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        CHECK(0, "mkdtemp");
        return test_finish();
    }
    fv_ctx *ctx = fv_ctx_new(1);
    test_history_write_read(ctx);
    test_history_append(ctx);
    test_history_reader(ctx);
    fv_ctx_free(ctx);
    const char *files[] = {"h.csv", "empty.csv", "bad.csv", "keras.csv"};
    for (int i = 0; i < 4; i++) {
        char p[128];
        path_in_tmp(p, sizeof p, files[i]);
        remove(p);
    }
    rmdir(tmpdir);
    return test_finish();
}
