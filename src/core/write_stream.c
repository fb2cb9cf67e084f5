/* stdio keeps only an error flag when a buffered write fails, and errno is overwritten by whatever runs before
 * the caller looks (the report encodes images between its writes): a full disk then read "Input/output error".
 * This stream, used by fv_atomic_write, remembers the errno of the failing write itself ("No space left on
 * device", "File too large"). fopencookie is glibc's; fovea already requires Linux (/proc, open_memstream). */
#define _GNU_SOURCE
#include "write_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    int fd;
    int *first_error;
} sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
    sink *s = cookie;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(s->fd, buf + done, size - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        int e = n < 0 ? errno : EIO;
        if (!*s->first_error) *s->first_error = e;
        errno = e;
        return -1; /* stdio marks the stream failed; what was written stays written */
    }
    return (ssize_t)done;
}

static int sink_close(void *cookie)
{
    sink *s = cookie;
    int rc = close(s->fd), e = errno;
    free(s);
    errno = e;
    return rc;
}

FILE *fv_write_stream(int fd, int *first_error)
{
    *first_error = 0;
    sink *s = malloc(sizeof *s);
    if (!s) return errno = ENOMEM, NULL;
    s->fd = fd, s->first_error = first_error;
    FILE *f = fopencookie(s, "wb", (cookie_io_functions_t){.write = sink_write, .close = sink_close});
    if (!f) {
        int e = errno;
        free(s);
        errno = e;
    }
    return f;
}
