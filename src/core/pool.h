/* fovea's thread pool: the fast kernels' only source of threads (no OpenMP runtime is linked).
 *
 * One process-wide pool, its workers started on first use and added whenever a larger thread count is asked
 * (up to FV_POOL_MAX_THREADS). The calling thread is always worker 0 and works too. Idle threads spin for a
 * few microseconds (so back-to-back regions stay cheap) and then sleep on a futex, so a busy neighbour process
 * never competes with threads that have nothing to do.
 *
 * Which worker runs which chunk may vary from run to run (a worker that finishes its block helps the others); callers keep every sum in an order fixed by the data
 * (per-item outputs, partials added in item order), so results never depend on the thread count.
 *
 * Calls from inside a region (nested) run serially on the calling worker. Two threads outside the pool that
 * ask at once (two contexts on two threads): the first gets the pool, the second runs its region alone on its
 * own thread, so neither ever waits for the other. */
#ifndef FV_CORE_POOL_H
#define FV_CORE_POOL_H

#include <stdint.h>

#define FV_POOL_MAX_THREADS 256

typedef struct fv_team fv_team;

/* A range [begin, end) of a loop, run by worker `worker` (0 .. threads - 1, for per-thread scratch). */
typedef void (*fv_range_fn)(void *arg, int64_t begin, int64_t end, int worker);
/* One member of a team: every member runs the function once. */
typedef void (*fv_team_fn)(void *arg, fv_team *team, int worker);

/* Calls body over [0, n) in chunks of `grain` indices (the last may be shorter) on up to `threads` workers,
 * each of which owns a contiguous block of chunks and then helps with the others' (see claim_chunks in pool.c);
 * returns when all are done. n <= grain, threads <= 1 or a nested call: one call, inline. */
void fv_parallel_for(int threads, int64_t n, int64_t grain, fv_range_fn body, void *arg);

/* Runs fn once on each of up to `threads` workers (fv_team_size tells how many it got; at least 1), for
 * regions that need barriers between phases. Returns when all are done. */
void fv_parallel_run(int threads, fv_team_fn fn, void *arg);

int fv_team_size(const fv_team *team);
/* Waits until every member of the team has arrived. */
void fv_team_barrier(fv_team *team);
/* A worksharing loop inside a team: every member must call it (in the same sequence of team calls); the
 * chunks are shared out among them, and it returns, after a barrier, once all are done. */
void fv_team_for(fv_team *team, int worker, int64_t n, int64_t grain, fv_range_fn body, void *arg);

#endif
