/* The thread pool: every index visited exactly once for many sizes, grains and thread counts; owned blocks,
 * with help for a stalled worker; worker ids in range; nested calls; teams whose barriers order phases; two
 * outside threads using the pool at once; and regions after the workers have gone to sleep. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/core/pool.h"
#include "test.h"

typedef struct {
    atomic_int *visits;
    atomic_int bad_worker, bad_range;
    int threads;
    int64_t n, grain;
} cover_job;

static void cover_body(void *p, int64_t b, int64_t e, int worker)
{
    cover_job *j = p;
    if (worker < 0 || worker >= (j->threads > 1 ? j->threads : 1)) atomic_store(&j->bad_worker, 1);
    if (b < 0 || e > j->n || b >= e) atomic_store(&j->bad_range, 1);
    for (int64_t i = b; i < e; i++) atomic_fetch_add_explicit(&j->visits[i], 1, memory_order_relaxed);
}

/* Runs one loop; true when each index was visited once by a worker in range. */
static bool cover(int threads, int64_t n, int64_t grain)
{
    cover_job j = {calloc((size_t)(n ? n : 1), sizeof(atomic_int)), 0, 0, threads, n, grain};
    fv_parallel_for(threads, n, grain, cover_body, &j);
    bool ok = !atomic_load(&j.bad_worker) && !atomic_load(&j.bad_range);
    for (int64_t i = 0; i < n; i++) ok &= atomic_load(&j.visits[i]) == 1;
    free(j.visits);
    return ok;
}

static void coverage(void)
{
    static const int threads[] = {0, 1, 2, 3, 4, 8, 17};
    static const int64_t sizes[] = {0, 1, 2, 7, 64, 1000, 100003}, grains[] = {0, 1, 3, 64, 5000};
    int bad = 0, runs = 0;
    for (int t = 0; t < 7; t++)
        for (int s = 0; s < 7; s++)
            for (int g = 0; g < 5; g++, runs++) bad += !cover(threads[t], sizes[s], grains[g]);
    CHECK(bad == 0, "parallel for: every index once, workers in range (%d of %d runs wrong)", bad, runs);
}

/* Nested: each outer chunk runs an inner loop, which must run inline and cover its own range. */
static void nested_outer(void *p, int64_t b, int64_t e, int worker)
{
    atomic_int *bad = p;
    for (int64_t i = b; i < e; i++) bad[0] += !cover(4, 300 + i, 7);
}

static void nested(void)
{
    atomic_int bad = 0;
    fv_parallel_for(4, 40, 1, nested_outer, &bad);
    CHECK(atomic_load(&bad) == 0, "nested parallel for: inner loops complete");
}

/* A team: phase 1 fills a, then after the loop's barrier phase 2 reads a in reverse; an explicit barrier and a
 * second pair of loops check that loop counters are reused correctly. */
typedef struct {
    int64_t n;
    int *a, *b;
    int threads;
    atomic_int bad_size;
} team_job;

static void fill(void *p, int64_t b, int64_t e, int w)
{
    team_job *j = p;
    for (int64_t i = b; i < e; i++) j->a[i] = (int)i + 1;
}

static void reverse(void *p, int64_t b, int64_t e, int w)
{
    team_job *j = p;
    for (int64_t i = b; i < e; i++) j->b[i] = j->a[j->n - 1 - i];
}

static void clear(void *p, int64_t b, int64_t e, int w)
{
    team_job *j = p;
    for (int64_t i = b; i < e; i++) j->a[i] = 0;
}

static void member(void *p, fv_team *team, int worker)
{
    team_job *j = p;
    int size = fv_team_size(team);
    if (size < 1 || size > (j->threads > 1 ? j->threads : 1) || worker >= size) atomic_store(&j->bad_size, 1);
    for (int round = 0; round < 3; round++) {
        fv_team_for(team, worker, j->n, 5, fill, j);
        fv_team_for(team, worker, j->n, 3, reverse, j);
        fv_team_barrier(team);
        fv_team_for(team, worker, j->n, 11, clear, j);
    }
    fv_team_for(team, worker, j->n, 2, fill, j);
}

static bool team_once(int threads, int64_t n)
{
    team_job j = {n, calloc((size_t)n, sizeof(int)), calloc((size_t)n, sizeof(int)), threads, 0};
    fv_parallel_run(threads, member, &j);
    bool ok = !atomic_load(&j.bad_size);
    for (int64_t i = 0; i < n; i++) ok &= j.b[i] == (int)(n - i) && j.a[i] == (int)i + 1;
    free(j.a), free(j.b);
    return ok;
}

static void teams(void)
{
    int bad = 0;
    for (int t = 1; t <= 5; t++)
        for (int64_t n = 1; n < 3000; n = n * 3 + 1) bad += !team_once(t, n);
    CHECK(bad == 0, "teams: barriers order the phases, loops cover their ranges");
}

/* Two outside threads at once: whoever does not get the pool runs alone; both must be complete. */
static void *hammer(void *p)
{
    atomic_int *bad = p;
    for (int r = 0; r < 300; r++) bad[0] += !cover(3, 5000 + r, 16) + !team_once(3, 200 + r);
    return NULL;
}

static void concurrent(void)
{
    atomic_int bad = 0;
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, hammer, &bad);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    CHECK(atomic_load(&bad) == 0, "two callers at once: every loop complete");
}

/* After a pause the workers sleep on the futex; a new region must wake them. */
static void after_sleep(void)
{
    int bad = 0;
    for (int r = 0; r < 5; r++) {
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
        bad += !cover(4, 100000, 100) + !team_once(4, 1000);
    }
    CHECK(bad == 0, "regions after the workers have gone to sleep");
}

/* Owned blocks with help. Worker 1 stalls on its first chunk: worker 0 must finish its own block and then most
 * of worker 1's. And each worker starts in its own block: each holds its first chunk until the other has claimed
 * one (or 5 s have passed), and those first chunks must be the first of each block (0 and 100), not the next
 * chunks in line. */
typedef struct {
    atomic_int count_of[2];
    atomic_llong first_of[2]; /* first chunk each worker ran, -1 before */
    bool stall;
} owner_job;

static void owner_body(void *p, int64_t b, int64_t e, int worker)
{
    owner_job *j = p;
    (void)e;
    if (worker > 1) return;
    long long none = -1;
    bool first = atomic_compare_exchange_strong(&j->first_of[worker], &none, (long long)b);
    if (first && j->stall && worker == 1) nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    if (first && !j->stall) /* each waits for the other to start, so neither can reach the other's block first */
        for (int i = 0; i < 5000 && atomic_load(&j->first_of[1 - worker]) < 0; i++)
            nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    atomic_fetch_add(&j->count_of[worker], 1);
}

static void ownership(void)
{
    owner_job j = {.stall = true, .first_of = {-1, -1}};
    fv_parallel_for(2, 200, 1, owner_body, &j);
    CHECK(atomic_load(&j.count_of[0]) + atomic_load(&j.count_of[1]) == 200 && atomic_load(&j.count_of[0]) > 150,
          "a stalled worker's chunks are taken over (worker 0 ran %d of 200)", atomic_load(&j.count_of[0]));
    owner_job q = {.stall = false, .first_of = {-1, -1}};
    fv_parallel_for(2, 200, 1, owner_body, &q);
    CHECK(atomic_load(&q.first_of[0]) == 0 && atomic_load(&q.first_of[1]) == 100,
          "each worker starts on its own block (first chunks %lld and %lld; want 0 and 100)",
          (long long)atomic_load(&q.first_of[0]), (long long)atomic_load(&q.first_of[1]));
}

int main(void)
{
    ownership();
    coverage();
    nested();
    teams();
    concurrent();
    after_sleep();
    return test_finish();
}
