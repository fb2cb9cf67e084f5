/* A hash index from names to small integers (layer or parameter positions), so that looking a name up
 * costs the same for the ten-thousandth layer as for the first. The names stay with their owner: the index
 * keeps each name's hash and asks the owner for the text only to confirm a match. */
#ifndef FV_NAME_INDEX_H
#define FV_NAME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The name of entry `value` of `owner` (a layer, a parameter ...). */
typedef const char *(*fv_name_of)(const void *owner, int value);

typedef struct {
    uint32_t *hashes; /* per slot */
    int *values;      /* per slot: value + 1, 0 when empty */
    size_t cap;       /* a power of two, or 0 */
    size_t n;
} fv_name_index;

/* The value stored under name (the smallest, if the name was stored more than once), or -1. */
int fv_name_index_find(const fv_name_index *ix, const char *name, fv_name_of name_of, const void *owner);
/* Room for `more` names, so that adding them cannot fail; false when out of memory. */
bool fv_name_index_reserve(fv_name_index *ix, size_t more);
/* Store value under name (the caller checks that the name is new); false when out of memory. */
bool fv_name_index_add(fv_name_index *ix, const char *name, int value);
void fv_name_index_free(fv_name_index *ix);

#endif
