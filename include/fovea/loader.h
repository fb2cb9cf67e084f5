/* fovea loader: batches of a dataset decoded and augmented on background threads ahead of the training
 * step, in a bounded queue, with the same batches for the same seed whatever the number of threads. */
#ifndef FOVEA_LOADER_H
#define FOVEA_LOADER_H

#include "fovea/data.h"
#include "fovea/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fv_augment fv_augment; /* fovea/augment.h */

typedef struct {
    int threads;               /* worker threads; 0: one per core, at most 4; the caller of fetch helps too */
    int depth;                 /* batches held at once (queued, in work or ready), 1..64; 0: 3 */
    const fv_augment *augment; /* applied to training batches (epoch >= 0, not validation's -1); NULL: none */
    uint64_t seed;             /* the augmentation's: sample i of epoch e is augmented from (seed, e, i) */
} fv_loader_options;

fv_loader_options fv_loader_defaults(void);

typedef struct fv_loader fv_loader;

/* A loader over ds (which must outlive it); the augmentation is borrowed too. NULL with the reason in ctx.
 * Errors of fetch (a file that fails to decode, named) are reported in ctx, in the thread that fetches. */
fv_loader *fv_loader_new(fv_ctx *ctx, const fv_dataset *ds, const fv_loader_options *opt);
void fv_loader_free(fv_loader *l);

/* The loader as a data source for fv_trainer_fit and fv_evaluate: fetch returns the batch prefetched for
 * the same (epoch, indices) when there is one, waiting for it if still in work, else makes it at once (with
 * the workers' help); prefetch queues a batch for the workers (a hint: dropped when the queue is full of
 * batches still in work). Sample i of a batch is the same floats however it was made. */
fv_data_source fv_loader_source(fv_loader *l);

typedef struct {
    int64_t batches;        /* fetched */
    int64_t prefetched;     /* of those, found already queued by prefetch */
    double wait_seconds;    /* time fetch spent waiting for workers */
} fv_loader_stats;

fv_loader_stats fv_loader_get_stats(const fv_loader *l);

/* A loader over a tuple set (fovea/data.h): the same queue and threads, each sample's inputs and target made by
 * fv_tensor_set's rules with the set's own augmentation (fv_tensor_set_augment; opt->augment must be NULL).
 * Its source serves through fetch_io, any number of inputs, targets in the dtype the task asks for. */
fv_loader *fv_loader_new_tuples(fv_ctx *ctx, const fv_tensor_set *set, const fv_loader_options *opt);

/* A tuple data set (fovea/data.h) as a data source: fetch_io serves its inputs, fetch one-input models; the
 * target goes to y in the dtype y has (the task's). */
fv_data_source fv_tensor_set_source(fv_tensor_set *s);

#ifdef __cplusplus
}
#endif
#endif
