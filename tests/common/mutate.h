/* What the deterministic fuzz tests (tests/fuzz/test_fuzz_*.c) share: a seeded xorshift generator, reading a
 * seed file, and the format-blind byte edits (flip, overwrite, cut, insert, delete, copy a chunk) that each
 * test mixes with edits aimed at its own format's lengths and counts. */
#ifndef FV_TEST_MUTATE_H
#define FV_TEST_MUTATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state; /* any non-zero seed */
} mut_rng;

uint64_t mut_next(mut_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
size_t mut_below(mut_rng *r, size_t n);

/* A whole file, malloc'd (*n bytes), or NULL. */
unsigned char *mut_read_file(const char *path, size_t *n);

/* One random format-blind edit of b (n bytes, room for cap): inserts and deletes of 1 to 8 bytes, chunk copies
 * of 1 to max_chunk bytes. Returns the new length. */
size_t mut_edit(mut_rng *r, unsigned char *b, size_t n, size_t cap, size_t max_chunk);

#endif
