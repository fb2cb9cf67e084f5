/* Checking one operator against a PyTorch fixture, and against finite differences.
 *
 * opcheck_fixture loads the fixture, makes a leaf for every in:/param:/buffer: entry (in file order),
 * calls build() to add the op, runs forward (train mode unless meta:mode is "eval"), compares the output,
 * runs backward from dout (or from the scalar output), compares every grad:NAME and after:NAME, and then
 * compares the gradients with central finite differences on a sample of elements. */
#ifndef FV_OPCHECK_H
#define FV_OPCHECK_H

#include "fixture.h"

typedef struct {
    fv_node **leaf; /* leaves in fixture order */
    const char **name; /* their names without the prefix */
    int n;
} opcheck_leaves;

typedef fv_node *(*opcheck_build)(fv_graph *g, const opcheck_leaves *in, const fx_file *fx);

/* Find a leaf by name (NULL if absent). */
fv_node *opcheck_leaf(const opcheck_leaves *in, const char *name);

/* Runs one fixture; records its checks with CHECK. */
void opcheck_fixture(const char *path, opcheck_build build);
/* Runs every fixture in FIXTURE_DIR whose name starts with prefix; fails if there is none. */
void opcheck_all(const char *prefix, opcheck_build build);

/* Finite-difference check of d(sum(out * seed))/d(leaf) for a sample of each float leaf's elements,
 * against the gradients backward computed. Points next to a kink are skipped; *checked counts the others.
 * Returns the number of mismatches (and prints the first few). */
int gradcheck(fv_graph *g, fv_node *out, const fv_tensor *seed, fv_node *const *leaves, int n_leaves,
              int samples_per_leaf, int *checked);

#endif
