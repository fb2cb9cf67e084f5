/* Open-addressing hash index from names to integers (see name_index.h): linear probing, grown to twice its
 * size when half full, so that adding n names and looking each up is O(n) on average. */
#include "name_index.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int fv_name_index_find(const fv_name_index *ix, const char *name, fv_name_of name_of, const void *owner)
{
    if (!ix->cap || !name) return -1;
    uint32_t h = hash_name(name);
    int found = -1; /* the first stored under a name given twice (growing the table may reorder a probe chain) */
    for (size_t j = h & (ix->cap - 1); ix->values[j]; j = (j + 1) & (ix->cap - 1))
        if (ix->hashes[j] == h && (found < 0 || ix->values[j] - 1 < found) &&
            strcmp(name_of(owner, ix->values[j] - 1), name) == 0)
            found = ix->values[j] - 1;
    return found;
}

static void put(uint32_t *hashes, int *values, size_t cap, uint32_t h, int value_plus_1)
{
    size_t j = h & (cap - 1);
    while (values[j]) j = (j + 1) & (cap - 1);
    hashes[j] = h, values[j] = value_plus_1;
}

bool fv_name_index_reserve(fv_name_index *ix, size_t more)
{
    size_t cap = ix->cap ? ix->cap : 64;
    while (2 * (ix->n + more) > cap) cap *= 2;
    if (cap == ix->cap) return true;
    uint32_t *hashes = malloc(cap * sizeof *hashes);
    int *values = calloc(cap, sizeof *values);
    if (!hashes || !values) {
        free(hashes), free(values);
        return false;
    }
    for (size_t j = 0; j < ix->cap; j++)
        if (ix->values[j]) put(hashes, values, cap, ix->hashes[j], ix->values[j]);
    free(ix->hashes), free(ix->values);
    ix->hashes = hashes, ix->values = values, ix->cap = cap;
    return true;
}

bool fv_name_index_add(fv_name_index *ix, const char *name, int value)
{
    if (!fv_name_index_reserve(ix, 1)) return false;
    put(ix->hashes, ix->values, ix->cap, hash_name(name), value + 1);
    ix->n++;
    return true;
}

void fv_name_index_free(fv_name_index *ix)
{
    free(ix->hashes), free(ix->values);
    ix->hashes = NULL, ix->values = NULL, ix->cap = ix->n = 0;
}
