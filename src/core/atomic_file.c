/* Writing an output file (fv_atomic_write in fovea/io.h), the one path every file fovea writes goes through:
 * a regular file is replaced atomically (temporary file beside it + fsync + rename + fsync of the directory),
 * through any symlink to where it points; character devices and FIFOs (/dev/null, /dev/stdout) are written
 * directly; directories and other special files are refused. */
#define _DEFAULT_SOURCE /* flock: a lock per open file, which fcntl's per-process locks are not */
#include "fovea/io.h"
#include "write_stream.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40 /* as the kernel's limit on symlinks followed in one lookup */
#define TMP_SUFFIX ".tmp-XXXXXX"

const char *fv_write_strerror(int err)
{
    if (err == FV_WRITE_ENOTFILE) return "not a regular file, character device or FIFO (a block device or socket)";
    if (err == EISDIR) return "is a directory";
    return strerror(err);
}

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

/* The directory part of path ("." when it has none); NULL when out of memory. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir) memcpy(dir, path, n), dir[n] = '\0';
    return dir;
}

/* Makes the rename durable; the new file is complete whether or not this succeeds. */
static void sync_parent_dir(const char *path)
{
    char *dir = dir_of(path);
    int fd = dir ? open(dir, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) fsync(fd), close(fd);
    free(dir);
}

/* The descriptor a path names when it is one of this process's (/proc/self/fd/N, /dev/fd/N), else -1. */
static int own_fd(const char *path)
{
    char own[40];
    snprintf(own, sizeof own, "/proc/%ld/fd/", (long)getpid());
    const char *prefixes[] = {"/proc/self/fd/", "/dev/fd/", own};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], n) != 0 || !path[n]) continue;
        char *end;
        long fd = strtol(path + n, &end, 10);
        return *end || fd < 0 || fd > 1 << 20 ? -1 : (int)fd;
    }
    return -1;
}

/* Follows the symlinks of path's last component (a rename would replace the link itself) to the file they
 * name, which may not exist yet (a dangling link: the file is created where it points). *via_proc is set when a
 * link lies in /proc, as /dev/stdout -> /proc/self/fd/1 does: such a link names an open file, not a place;
 * *fd is that file's descriptor when it is one of ours. */
static int follow_links(const char *path, char **target, bool *via_proc, int *fd)
{
    char *cur = strdup(path);
    int err = cur ? 0 : ENOMEM;
    *via_proc = false;
    *fd = -1;
    for (int hops = 0; cur; hops++) {
        struct stat st;
        if (strncmp(cur, "/proc/", 6) == 0) *via_proc = true;
        if (*fd < 0 && (*fd = own_fd(cur)) >= 0) *via_proc = true;
        bool missing = lstat(cur, &st) != 0;
        if (missing && errno != ENOENT) {
            err = errno;
            break;
        }
        if (missing || !S_ISLNK(st.st_mode)) {
            *target = cur;
            return 0;
        }
        char link[4096];
        ssize_t n = hops == MAX_LINKS ? -1 : readlink(cur, link, sizeof link - 1);
        if (n < 0) {
            err = hops == MAX_LINKS ? ELOOP : errno;
            break;
        }
        link[n] = '\0';
        char *dir = link[0] == '/' ? strdup("") : dir_of(cur);
        char *next = dir ? malloc(strlen(dir) + (size_t)n + 2) : NULL;
        if (next) sprintf(next, "%s%s%s", dir, dir[0] ? "/" : "", link);
        free(dir), free(cur);
        cur = next;
        if (!cur) err = ENOMEM;
    }
    free(cur);
    return err;
}

/* Where and how path is written: *target (malloc'd) is the regular file to replace, or the path itself with
 * *direct set for a character device, FIFO or an open file named through /proc; *fd is set (else -1) when that
 * file is one of this process's descriptors (/dev/stdout redirected to a file). */
static int resolve(const char *path, char **target, bool *direct, int *fd)
{
    struct stat st;
    *target = NULL;
    *direct = false;
    *fd = -1;
    if (!path || !*path) return EINVAL;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return EISDIR;
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
            *direct = true;
            return (*target = strdup(path)) ? 0 : ENOMEM;
        }
        if (!S_ISREG(st.st_mode)) return FV_WRITE_ENOTFILE;
    } else if (errno != ENOENT) {
        return errno;
    }
    bool via_proc;
    int err = follow_links(path, target, &via_proc, fd);
    if (!err && via_proc) {
        free(*target);
        *direct = true;
        return (*target = strdup(path)) ? 0 : ENOMEM;
    }
    return err;
}

/* Runs the filler on a stream made by fv_write_stream and closes it. A filler's EIO (stdio lost the reason)
 * becomes the failed write's own errno (ENOSPC, EFBIG ...). fsync through fd: a cookie stream has no fileno. */
static int fill_and_close(FILE *f, int fd, const int *write_err, bool sync, fv_file_filler fill, void *arg)
{
    errno = 0;
    int err = fill(f, arg);
    if (!err && fflush(f) != 0) err = errno ? errno : EIO;
    if (!err && ferror(f)) err = EIO;
    if (err == EIO && *write_err) err = *write_err;
    if (!err && sync && fsync(fd) != 0) err = errno;
    if (fclose(f) != 0 && !err) err = *write_err ? *write_err : errno ? errno : EIO;
    return err;
}

/* Written as it is opened: no temporary file, no rename (which would replace /dev/null). A regular file that is
 * one of our descriptors (--output /dev/stdout > file) is written through that descriptor, sharing its offset,
 * so that what the program prints to it after does not overwrite the array; another named through /proc is
 * appended to. */
static int write_direct(const char *path, int own, fv_file_filler fill, void *arg)
{
    int fd = own >= 0 ? dup(own) : open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return errno;
    int write_err = 0;
    FILE *f = fv_write_stream(fd, &write_err);
    if (!f) {
        int err = errno;
        close(fd);
        return err;
    }
    return fill_and_close(f, fd, &write_err, false, fill, arg);
}

static bool is_own_temporary(const char *name, const char *base, size_t base_len)
{
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, ".tmp-", 5) != 0) return false;
    const char *x = name + base_len + 5;
    for (int i = 0; i < 6; i++)
        if (!((x[i] >= 'a' && x[i] <= 'z') || (x[i] >= 'A' && x[i] <= 'Z') || (x[i] >= '0' && x[i] <= '9')))
            return false;
    return x[6] == '\0';
}

/* Removes one stale temporary unless a save still holds it: every save keeps its temporary locked until renamed. */
static void remove_if_stale(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st, now;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
        unlinkat(dirfd, name, 0);
    close(fd);
}

/* Removes what killed saves of target left behind: exactly "<name>.tmp-XXXXXX", the names mkstemp gave them. */
static void remove_stale_temporaries(const char *target)
{
    char *dir = dir_of(target);
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    size_t base_len = strlen(base);
    DIR *d = dir ? opendir(dir) : NULL;
    free(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));)
        if (is_own_temporary(e->d_name, base, base_len)) remove_if_stale(dirfd(d), e->d_name);
    closedir(d);
}

static char *temporary_name(const char *target)
{
    size_t n = strlen(target);
    char *tmp = malloc(n + sizeof TMP_SUFFIX);
    if (tmp) memcpy(tmp, target, n), memcpy(tmp + n, TMP_SUFFIX, sizeof TMP_SUFFIX);
    return tmp;
}

static int write_replacing(const char *target, fv_file_filler fill, void *arg, unsigned flags)
{
    char *tmp = temporary_name(target);
    if (!tmp) return ENOMEM;
    mode_t mode = new_file_mode(target);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return e;
    }
    /* The lock marks the temporary as in use until it is renamed (the fd it belongs to stays open till then). */
    flock(fd, LOCK_EX);
    int lock = dup(fd); /* without it the lock would go with fclose, before the rename */
    int err = lock < 0 ? errno : fchmod(fd, mode) != 0 ? errno : 0, write_err = 0;
    FILE *f = err ? NULL : fv_write_stream(fd, &write_err);
    if (!f) {
        if (!err) err = errno;
        close(fd);
    } else {
        err = fill_and_close(f, fd, &write_err, !(flags & FV_WRITE_NOSYNC), fill, arg);
    }
    if (!err && rename(tmp, target) != 0) err = errno;
    if (err) unlink(tmp);
    if (lock >= 0) close(lock);
    free(tmp);
    if (!err && !(flags & FV_WRITE_NOSYNC)) {
        sync_parent_dir(target);
        remove_stale_temporaries(target);
    }
    return err;
}

int fv_write_file(const char *path, fv_file_filler fill, void *arg, unsigned flags)
{
    char *target;
    bool direct;
    int own;
    int err = resolve(path, &target, &direct, &own);
    if (!err) err = direct ? write_direct(target, own, fill, arg) : write_replacing(target, fill, arg, flags);
    free(target);
    return err;
}

int fv_atomic_write(const char *path, fv_file_filler fill, void *arg) { return fv_write_file(path, fill, arg, 0); }

int fv_output_check(const char *path)
{
    char *target;
    bool direct;
    int own;
    int err = resolve(path, &target, &direct, &own);
    if (!err && !direct) {
        /* The real test of the directory (permissions, ACLs, read-only mounts, root): create a temporary. */
        char *tmp = temporary_name(target);
        int fd = tmp ? mkstemp(tmp) : -1;
        if (fd < 0) err = tmp ? errno : ENOMEM;
        else close(fd), unlink(tmp);
        free(tmp);
    }
    free(target);
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
