/* For fuzz targets whose reader takes a path (CSV lists, history files): the input written to one temporary
 * file per process, rewritten for each input. Header-only, included by the fuzz_*.c that need it. */
#ifndef FV_FUZZ_FILE_H
#define FV_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The path of a file now holding data (a fresh temporary directory per process, so that parallel fuzzers do
 * not share it), or NULL when it cannot be written. */
static const char *fuzz_write_file(const uint8_t *data, size_t size, const char *name)
{
    static char dir[64], path[128];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fovea-fuzz-XXXXXX");
        if (!mkdtemp(dir)) return dir[0] = '\0', NULL;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    size_t put = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || put != size) return NULL;
    return path;
}

#endif
