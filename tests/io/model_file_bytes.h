/* Test helpers that edit model file bytes directly (docs/FORMAT.md): find a section, read and write
 * little-endian fields, and recompute every checksum after an edit, so that a test or a fuzzer can reach
 * the checks behind the checksums. Header-only, shared by tests/io and tests/fuzz. */
#ifndef FV_MODEL_FILE_BYTES_H
#define FV_MODEL_FILE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

static inline uint64_t mfb_get(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void mfb_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Number of section table entries that lie inside the file (0 when the header is not there). */
static inline uint32_t mfb_sections(const unsigned char *b, size_t n)
{
    if (n < 40) return 0;
    uint32_t k = (uint32_t)mfb_get(b + 12, 4);
    if (k > 64) k = 64;
    while (k > 0 && 32 + 32 * (size_t)k > n) k--;
    return k;
}

/* Offset of the table entry of the section with tag ("TIDX"), or 0 when there is none. */
static inline size_t mfb_entry(const unsigned char *b, size_t n, const char *tag)
{
    uint32_t k = mfb_sections(b, n);
    for (uint32_t i = 0; i < k; i++)
        if (memcmp(b + 32 + 32 * i, tag, 4) == 0) return 32 + 32 * (size_t)i;
    return 0;
}

/* Where a section's bytes start (0 when absent); its length in *len. */
static inline size_t mfb_section(const unsigned char *b, size_t n, const char *tag, size_t *len)
{
    size_t e = mfb_entry(b, n, tag);
    if (!e) return 0;
    if (len) *len = (size_t)mfb_get(b + e + 16, 8);
    return (size_t)mfb_get(b + e + 8, 8);
}

/* Make the header's file size field say n (after an insertion or a deletion). */
static inline void mfb_fix_size(unsigned char *b, size_t n)
{
    if (n >= 24) mfb_put(b + 16, n, 8);
}

/* Recompute the checksums of every section that lies inside the file, the table's, the header's and the
 * whole file's (this last one only when the file ends where its header says). */
static inline void mfb_reseal(unsigned char *b, size_t n)
{
    uint32_t k = mfb_sections(b, n);
    if (n < 40) return;
    for (uint32_t i = 0; i < k; i++) {
        unsigned char *e = b + 32 + 32 * i;
        uint64_t off = mfb_get(e + 8, 8), len = mfb_get(e + 16, 8);
        if (off <= n && len <= n - off) mfb_put(e + 24, crc32_z(0, b + off, (size_t)len), 4);
    }
    if (k == (uint32_t)mfb_get(b + 12, 4)) mfb_put(b + 24, crc32_z(0, b + 32, 32 * (size_t)k), 4);
    mfb_put(b + 28, crc32_z(0, b, 28), 4);
    if (mfb_get(b + 16, 8) == n) mfb_put(b + n - 8, crc32_z(0, b, n - 8), 4);
}

#endif
