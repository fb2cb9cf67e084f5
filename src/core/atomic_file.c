/* Atomic file replacement (fv_atomic_write in fovea/io.h): temporary file + fsync + rename + fsync of the directory. */
#include "fovea/io.h"
#include "write_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Permissions for the new file: the old file's, or what open(..., 0666) would give under the umask. The umask
 * is read from /proc because umask() cannot be read without changing it under other threads' feet. */
static mode_t new_file_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) return st.st_mode & 0777;
    unsigned mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[128];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Umask: %o", &mask) == 1) break;
        fclose(f);
    }
    return (mode_t)(0666 & ~mask);
}

/* Makes the rename durable; the new file is complete whether or not this succeeds. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (!(dir = malloc(n + 1))) return;
        memcpy(dir, path, n), dir[n] = '\0';
    }
    int fd = open(dir ? dir : ".", O_RDONLY);
    if (fd >= 0) fsync(fd), close(fd);
    free(dir);
}

int fv_atomic_write(const char *path, fv_file_filler fill, void *arg)
{
    if (!path || !*path) return EINVAL;
    size_t n = strlen(path);
    char *tmp = malloc(n + 12);
    if (!tmp) return ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", 12);
    mode_t mode = new_file_mode(path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return e;
    }
    int err = fchmod(fd, mode) != 0 ? errno : 0, write_err = 0;
    FILE *f = err ? NULL : fv_write_stream(fd, &write_err);
    if (!f) {
        if (!err) err = errno;
        close(fd);
    } else {
        errno = 0;
        err = fill(f, arg);
        if (!err && fflush(f) != 0) err = errno ? errno : EIO;
        if (!err && ferror(f)) err = EIO;
        if (err == EIO && write_err) err = write_err; /* a filler's EIO: the failed write's own reason */
        if (!err && fsync(fd) != 0) err = errno;
        if (fclose(f) != 0 && !err) err = write_err ? write_err : errno ? errno : EIO;
    }
    if (!err && rename(tmp, path) != 0) err = errno;
    if (err) unlink(tmp);
    free(tmp);
    if (!err) sync_parent_dir(path);
    return err;
}

typedef struct {
    const void *data;
    size_t size;
} bytes;

static int fill_bytes(FILE *f, void *arg)
{
    const bytes *b = arg;
    return b->size && fwrite(b->data, 1, b->size, f) != b->size ? (errno ? errno : EIO) : 0;
}

int fv_atomic_write_bytes(const char *path, const void *data, size_t size)
{
    bytes b = {data, size};
    return fv_atomic_write(path, fill_bytes, &b);
}
