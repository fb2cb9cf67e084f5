/* The history file under hostile conditions: a second writer is refused (no interleaved rows), a resumed run
 * cuts off the rows after its checkpoint's epoch instead of repeating them, and a full disk (/dev/full, and a
 * small tmpfs where one can be mounted) fails the row with FV_ERR_IO and leaves no half row in the file.
 * Also class names: refused when set with a control character, broken UTF-8 or the wrong count. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fovea/progress.h"
#include "test.h"

static char dir[64];
static const char *const names[] = {"accuracy", "loss"};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = calloc(1, 65536);
    size_t n = s ? fread(s, 1, 65535, f) : 0;
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static int rows(fv_history_writer *h, int from, int to)
{
    int ok = 1;
    for (int e = from; e <= to; e++) ok &= fv_history_append(h, e, (double[]){0.5, (double)e}, 2) == FV_OK;
    return ok;
}

static void test_second_writer_refused(fv_ctx *ctx)
{
    char path[128];
    snprintf(path, sizeof path, "%s/locked.csv", dir);
    fv_history_writer *a = fv_history_open_at(ctx, path, names, 2, 0);
    CHECK(a && rows(a, 0, 1), "first writer writes two rows");
    fv_history_writer *b = fv_history_open_at(ctx, path, names, 2, 0);
    CHECK(!b && fv_errcode(ctx) == FV_ERR_IO && strstr(fv_errmsg(ctx), "another training run"),
          "a second writer is refused: %s", fv_errmsg(ctx));
    fv_history_close(b);
    CHECK(rows(a, 2, 2), "the first goes on");
    fv_history_close(a);
    char *text = slurp(path);
    CHECK(text && strcmp(text, "epoch,accuracy,loss\n0,0.5,0\n1,0.5,1\n2,0.5,2\n") == 0,
          "the file holds the first writer's rows only, untruncated by the second");
    free(text);
    b = fv_history_open_at(ctx, path, names, 2, 3);
    CHECK(b != NULL, "once closed, another writer may open it");
    fv_history_close(b);
}

static void test_resume_cuts_rows(fv_ctx *ctx)
{
    char path[128];
    snprintf(path, sizeof path, "%s/resume.csv", dir);
    fv_history_writer *h = fv_history_open_at(ctx, path, names, 2, 0);
    CHECK(h && rows(h, 0, 4), "an interrupted run wrote epochs 0 to 4");
    fv_history_close(h);
    h = fv_history_open_at(ctx, path, names, 2, 2); /* its last checkpoint was after epoch 1 */
    CHECK(h && fv_history_last_epoch(h) == 1, "resuming at epoch 2: the last row kept is epoch 1");
    CHECK(h && rows(h, 2, 4), "the resumed run writes epochs 2 to 4");
    fv_history_close(h);
    char *text = slurp(path);
    CHECK(text && strcmp(text, "epoch,accuracy,loss\n0,0.5,0\n1,0.5,1\n2,0.5,2\n3,0.5,3\n4,0.5,4\n") == 0,
          "each epoch appears once");
    free(text);
    h = fv_history_open_at(ctx, path, names, 2, 0);
    fv_history_close(h);
    text = slurp(path);
    CHECK(text && strcmp(text, "epoch,accuracy,loss\n") == 0, "a new run (epoch 0) starts the file again");
    free(text);
}

static void test_dev_full(fv_ctx *ctx)
{
    fv_history_writer *h = fv_history_open_at(ctx, "/dev/full", names, 2, 0);
    CHECK(h != NULL, "/dev/full opens (the header waits for the first row): %s", h ? "" : fv_errmsg(ctx));
    if (!h) return;
    CHECK(fv_history_append(h, 0, (double[]){1, 2}, 2) == FV_ERR_IO && strstr(fv_errmsg(ctx), "No space left"),
          "a row on a full device fails with FV_ERR_IO naming the cause: %s", fv_errmsg(ctx));
    fv_history_close(h);
}

/* A real full file system: a 64 KiB tmpfs filled up. Skipped (and not counted) where mounting is not allowed. */
static void test_full_tmpfs(fv_ctx *ctx)
{
    char mnt[128], filler[160], path[160];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    mkdir(mnt, 0700);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
        printf("skip full tmpfs: cannot mount one here (%s)\n", strerror(errno));
        return;
    }
    snprintf(path, sizeof path, "%s/h.csv", mnt);
    fv_history_writer *h = fv_history_open_at(ctx, path, names, 2, 0);
    CHECK(h && rows(h, 0, 1), "two rows written before the disk fills");
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    FILE *f = fopen(filler, "wb");
    static char block[4096];
    while (f && fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0) {
    }
    if (f) fclose(f);
    /* a long row, so that it cannot fit in what the last block left */
    double many[2] = {1.0 / 3, 2.0 / 3};
    int failures = 0;
    for (int e = 2; e < 200 && h; e++) failures += fv_history_append(h, e, many, 2) != FV_OK;
    CHECK(failures > 0 && fv_errcode(ctx) == FV_ERR_IO, "rows on the full tmpfs fail: %s", fv_errmsg(ctx));
    unlink(filler);
    CHECK(h && fv_history_append(h, 300, many, 2) == FV_OK, "with space again, a row is written");
    fv_history_close(h);
    fv_history *back = fv_history_read(ctx, path);
    CHECK(back != NULL, "the file is still a well-formed history (no half row): %s", back ? "" : fv_errmsg(ctx));
    CHECK(back && back->epochs[back->n_rows - 1] == 300, "and ends with the last row");
    fv_history_free(back);
    umount(mnt);
}

static void test_class_names(fv_ctx *ctx)
{
    fv_model *m = fv_model_by_name(ctx, "mlp", 1, 28, 28, 3);
    CHECK(m != NULL, "built an mlp with 3 outputs");
    if (!m) return;
    CHECK(fv_model_set_class_names(m, (const char *[]){"cat", "dög", "bird"}, 3) == FV_OK, "3 good names are set");
    CHECK(fv_model_set_class_names(m, (const char *[]){"cat", "dog"}, 2) == FV_ERR_ARG &&
              strstr(fv_errmsg(ctx), "2 class names for the 3 outputs"),
          "too few names are refused: %s", fv_errmsg(ctx));
    CHECK(fv_model_set_class_names(m, (const char *[]){"cat", "d\nog", "bird"}, 3) == FV_ERR_ARG &&
              strstr(fv_errmsg(ctx), "control character"),
          "a line break is refused: %s", fv_errmsg(ctx));
    CHECK(fv_model_set_class_names(m, (const char *[]){"cat", "\x1b[31mdog", "bird"}, 3) == FV_ERR_ARG,
          "an escape sequence is refused");
    CHECK(fv_model_set_class_names(m, (const char *[]){"cat", "dog", "b\xffird"}, 3) == FV_ERR_ARG &&
              strstr(fv_errmsg(ctx), "UTF-8"),
          "broken UTF-8 is refused: %s", fv_errmsg(ctx));
    CHECK(fv_model_class_name(m, 1) && strcmp(fv_model_class_name(m, 1), "dög") == 0, "the good names stay");
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    snprintf(dir, sizeof dir, "/tmp/fovea_hist.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_second_writer_refused(ctx);
    test_resume_cuts_rows(ctx);
    test_dev_full(ctx);
    test_full_tmpfs(ctx);
    test_class_names(ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    fv_ctx_free(ctx);
    return test_finish();
}
