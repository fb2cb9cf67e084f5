/* Scratch buffers kept from one call of a kernel to the next, one spare per slot (a kernel's role, such as
 * "GEMM's packed B"): a fresh buffer of a megabyte or more is a fresh mapping from malloc, whose page faults and
 * zeroing cost 2-3% of a 1024^3 product and more of the many small products of a network. A call takes the
 * spare if it is big enough (else allocates) and gives its buffer back, which replaces the spare; two calls at
 * once simply allocate. Buffers are 64-byte aligned and hold whatever the last user left. */
#ifndef FV_CORE_SCRATCH_H
#define FV_CORE_SCRATCH_H

#include <stddef.h>

typedef struct fv_scratch_head fv_scratch_head;
typedef fv_scratch_head *_Atomic fv_scratch_slot; /* zero-initialized: no spare yet */

/* A buffer of at least `bytes`, NULL when no memory can be had. */
void *fv_scratch_take(fv_scratch_slot *slot, size_t bytes);
/* Back to the slot (p from fv_scratch_take on the same slot, or NULL). */
void fv_scratch_give(fv_scratch_slot *slot, void *p);

#endif
