/* Why a save failed reaches the message: fv_atomic_write returns the errno of the write that failed (a full disk
 * is ENOSPC, a file-size limit EFBIG) even when the filler only saw stdio's error flag and errno was overwritten
 * before it looked. The limit is RLIMIT_FSIZE (SIGXFSZ ignored), which needs no full file system. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fovea/io.h"
#include "test.h"

/* 256 KiB in small pieces, then errno clobbered (as the report's image encoding and mallocs may), then stdio's flag. */
static int fill_then_clobber(FILE *f, void *arg)
{
    (void)arg;
    char line[64];
    memset(line, 'x', sizeof line - 1), line[sizeof line - 1] = '\n';
    for (int i = 0; i < 4096; i++) fwrite(line, 1, sizeof line, f);
    errno = ENOENT;
    return ferror(f) ? EIO : 0;
}

/* A filler whose own error is not a write's: kept as it is. */
static int fill_refuses(FILE *f, void *arg)
{
    (void)arg;
    fputs("a little", f);
    return ENOMEM;
}

static int count_temporaries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d) closedir(d);
    return n;
}

static void test_file_size_limit(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/big.out", dir);
    struct rlimit old, small;
    getrlimit(RLIMIT_FSIZE, &old);
    small = old;
    small.rlim_cur = 64 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    int set = setrlimit(RLIMIT_FSIZE, &small) == 0;
    int err = set ? fv_atomic_write(path, fill_then_clobber, NULL) : EFBIG;
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    CHECK(set, "a 64 KiB file-size limit could be set");
    CHECK(err == EFBIG, "a write past the size limit fails with its own errno: '%s' (wanted '%s')", strerror(err),
          strerror(EFBIG));
    CHECK(access(path, F_OK) != 0, "no file where the write failed");
    CHECK(count_temporaries(dir, "big.out.tmp-") == 0, "no temporary file left");
    err = fv_atomic_write(path, fill_then_clobber, NULL);
    CHECK(err == 0 && access(path, F_OK) == 0, "without the limit the same write succeeds (%s)", strerror(err));
}

static void test_filler_error_kept(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/refused.out", dir);
    int err = fv_atomic_write(path, fill_refuses, NULL);
    CHECK(err == ENOMEM, "a filler's own error is returned as it is: '%s'", strerror(err));
    CHECK(access(path, F_OK) != 0, "nothing written when the filler fails");
}

int main(void)
{
    char dir[] = "/tmp/fovea_write_errors.XXXXXX";
    if (!mkdtemp(dir)) return CHECK(0, "mkdtemp"), test_finish();
    test_file_size_limit(dir);
    test_filler_error_kept(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    return test_finish();
}
