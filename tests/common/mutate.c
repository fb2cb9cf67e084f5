#include "mutate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t mut_next(mut_rng *r)
{
    r->state ^= r->state << 13, r->state ^= r->state >> 7, r->state ^= r->state << 17;
    return r->state;
}

size_t mut_below(mut_rng *r, size_t n) { return n ? (size_t)(mut_next(r) % n) : 0; }

unsigned char *mut_read_file(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = b ? fread(b, 1, (size_t)(len > 0 ? len : 0), f) : 0;
    fclose(f);
    return b;
}

size_t mut_edit(mut_rng *r, unsigned char *b, size_t n, size_t cap, size_t max_chunk)
{
    size_t at = mut_below(r, n);
    switch (mut_next(r) % 6) {
    case 0: if (n) b[at] ^= (unsigned char)(1u << mut_below(r, 8)); return n;
    case 1: if (n) b[at] = (unsigned char)mut_next(r); return n;
    case 2: return mut_below(r, n + 1); /* cut */
    case 3: { /* insert random bytes */
        size_t k = 1 + mut_below(r, 8);
        if (n + k > cap) return n;
        memmove(b + at + k, b + at, n - at);
        for (size_t i = 0; i < k; i++) b[at + i] = (unsigned char)mut_next(r);
        return n + k;
    }
    case 4: { /* delete bytes */
        size_t k = 1 + mut_below(r, 8);
        if (at + k > n) return n;
        memmove(b + at, b + at + k, n - at - k);
        return n - k;
    }
    default: { /* a chunk copied over another place */
        size_t from = mut_below(r, n), k = 1 + mut_below(r, max_chunk);
        if (from + k <= n && at + k <= n) memmove(b + at, b + from, k);
        return n;
    }
    }
}
