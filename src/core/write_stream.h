/* A stdio stream for writing a file descriptor that keeps the errno of its first failed write (write_stream.c). */
#ifndef FV_CORE_WRITE_STREAM_H
#define FV_CORE_WRITE_STREAM_H

#include <stdio.h>

/* A FILE writing fd (which fclose closes); *first_error (set to 0 here) receives the errno of the first write that
 * failed and keeps it, whatever happens to errno afterwards. NULL with errno set when it cannot be made. */
FILE *fv_write_stream(int fd, int *first_error);

#endif
