/* fv_atomic_write, the path of every output: symlinks written through (the link stays), FIFOs and character
 * devices written directly (never replaced), directories and sockets refused, stale temporaries of the same file
 * removed (and nothing else), and fv_output_check's refusals before any work. Only files made in a temporary
 * directory are touched, apart from writing into /dev/null once it is shown that a FIFO is not replaced. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <unistd.h>

#include "fovea/io.h"
#include "test.h"

static char dir[64];

static const char *at(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", dir, name);
    return buf;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) fputs(text, f), fclose(f);
}

static int has(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strcmp(buf, text) == 0;
}

static int is_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_symlinks(void)
{
    char t[256], l[256], l2[256], d[256];
    put(at(t, "target.txt"), "old");
    CHECK(symlink("target.txt", at(l, "link.txt")) == 0, "made a relative link");
    CHECK(fv_atomic_write_bytes(l, "new", 3) == 0, "write through a link");
    CHECK(is_link(l), "the link is still a link");
    CHECK(has(t, "new"), "its target has the new content");
    CHECK(symlink(l, at(l2, "link2.txt")) == 0 && fv_atomic_write_bytes(l2, "two", 3) == 0 && is_link(l2) &&
              is_link(l) && has(t, "two"),
          "a chain of two links is followed to the file");
    mkdir(at(d, "sub"), 0777);
    CHECK(symlink("sub/created.txt", at(l, "dangling.txt")) == 0, "made a dangling link");
    CHECK(fv_atomic_write_bytes(l, "made", 4) == 0 && is_link(l) && has(at(t, "sub/created.txt"), "made"),
          "a dangling link's target is created, the link kept");
    CHECK(symlink("loop2", at(l, "loop1")) == 0 && symlink("loop1", at(l2, "loop2")) == 0, "made a loop");
    CHECK(fv_atomic_write_bytes(l, "x", 1) == ELOOP && is_link(l) && is_link(l2), "a loop of links is refused");
}

/* A FIFO is written into, not replaced; only once that holds is /dev/null written to. */
static void test_fifo_and_devices(void)
{
    char p[256];
    CHECK(mkfifo(at(p, "fifo"), 0600) == 0, "made a FIFO");
    int rd = open(p, O_RDONLY | O_NONBLOCK);
    int err = fv_atomic_write_bytes(p, "through", 7);
    struct stat st;
    int still_fifo = stat(p, &st) == 0 && S_ISFIFO(st.st_mode);
    char buf[16] = "";
    ssize_t n = rd >= 0 ? read(rd, buf, sizeof buf - 1) : -1;
    CHECK(err == 0 && still_fifo && n == 7 && memcmp(buf, "through", 7) == 0, "a FIFO is written directly and stays one");
    if (rd >= 0) close(rd);
    if (!still_fifo) {
        printf("skip /dev/null: a FIFO was replaced, so /dev/null would be too\n");
        return;
    }
    CHECK(fv_atomic_write_bytes("/dev/null", "x", 1) == 0, "/dev/null is written");
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is still a character device");
    CHECK(fv_output_check("/dev/null") == 0, "/dev/null passes the output check");
    int was_link = is_link("/dev/stdout");
    /* /dev/stdout, as a link of our own to a pipe through /proc: written directly into the pipe. */
    int fds[2];
    char l[256], name[64];
    if (pipe(fds) == 0) {
        snprintf(name, sizeof name, "/proc/self/fd/%d", fds[1]);
        CHECK(symlink(name, at(l, "stdout")) == 0, "made a link to a pipe through /proc");
        CHECK(fv_atomic_write_bytes(l, "piped", 5) == 0 && is_link(l), "a pipe named through /proc is written");
        memset(buf, 0, sizeof buf);
        CHECK(read(fds[0], buf, sizeof buf - 1) == 5 && strcmp(buf, "piped") == 0, "the pipe got the bytes");
        close(fds[0]), close(fds[1]);
    }
    /* A regular file named through /proc (--output /dev/stdout >> log): appended to, the same inode. */
    char f[256];
    put(at(f, "log.txt"), "log ");
    int fd = open(f, O_WRONLY | O_APPEND);
    struct stat before, after;
    stat(f, &before);
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    CHECK(fv_atomic_write_bytes(name, "tail", 4) == 0, "a file named through /proc is written");
    stat(f, &after);
    CHECK(before.st_ino == after.st_ino && has(f, "log tail"), "that file was appended to, not replaced");
    close(fd);
    /* One of our descriptors (/dev/stdout > file): written through it, so that what is written to it after follows. */
    fd = open(f, O_WRONLY | O_TRUNC);
    snprintf(name, sizeof name, "/dev/fd/%d", fd);
    CHECK(fv_atomic_write_bytes(name, "array", 5) == 0 && write(fd, " then text", 10) == 10 && has(f, "array then text"),
          "a descriptor of ours shares its offset: text printed after the array follows it");
    close(fd);
    CHECK(is_link("/dev/stdout") == was_link, "/dev/stdout is as it was");
}

static void test_refusals(void)
{
    char d[256], s[256];
    mkdir(at(d, "adir"), 0777);
    CHECK(fv_atomic_write_bytes(d, "x", 1) == EISDIR, "a directory is refused");
    CHECK(fv_output_check(d) == EISDIR, "and by the output check");
    struct stat st;
    CHECK(stat(d, &st) == 0 && S_ISDIR(st.st_mode), "the directory is still there");
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%.100s", at(s, "sock"));
    if (sock >= 0 && bind(sock, (struct sockaddr *)&addr, sizeof addr) == 0) {
        CHECK(fv_atomic_write_bytes(s, "x", 1) == FV_WRITE_ENOTFILE, "a socket is refused");
        CHECK(strstr(fv_write_strerror(FV_WRITE_ENOTFILE), "socket") != NULL, "with a message naming it");
        CHECK(stat(s, &st) == 0 && S_ISSOCK(st.st_mode), "the socket is still there");
    } else {
        printf("skip socket refusal: cannot bind a unix socket here\n");
    }
    if (sock >= 0) close(sock);
    CHECK(fv_output_check(at(d, "missing/x.fvm")) == ENOENT, "a missing directory fails the output check");
    mkdir(at(d, "clean"), 0777);
    CHECK(fv_output_check(at(s, "clean/fine.fvm")) == 0, "a writable place passes the output check");
    CHECK(rmdir(d) == 0, "and the check left nothing in the directory");
}

static void test_stale_temporaries(void)
{
    char p[256], a[256], b[256], c[256], e[256], g[256], l[256];
    put(at(a, "m.fvm.tmp-abC123"), "stale");
    put(at(b, "m.fvm.tmp-abc"), "not ours: 3 characters");
    put(at(c, "m.fvm.tmp-abcdefg"), "not ours: 7 characters");
    put(at(e, "n.fvm.tmp-abcdef"), "another file's");
    put(at(g, "m.fvm.tmp-LOCKED"), "a save in progress");
    int held = open(g, O_RDONLY);
    flock(held, LOCK_EX);
    CHECK(fv_atomic_write_bytes(at(p, "m.fvm"), "model", 5) == 0, "saved m.fvm");
    CHECK(!exists(a), "the stale temporary of m.fvm was removed");
    CHECK(exists(b) && exists(c) && exists(e), "other names were kept");
    CHECK(exists(g), "a temporary locked by a save in progress was kept");
    close(held);
    CHECK(symlink("m.fvm.tmp-zzzzzz", at(l, "m.fvm.tmp-linkzz")) == 0 && fv_atomic_write_bytes(p, "model", 5) == 0 &&
              is_link(l) && !exists(g),
          "a link with the pattern's name is kept; the unlocked temporary goes");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/fovea_atomic.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_symlinks();
    test_fifo_and_devices();
    test_refusals();
    test_stale_temporaries();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return test_finish();
}
