/* The thread pool (see pool.h). Our own rather than OpenMP's: libgomp spins ~300k iterations at every barrier
 * and its wait policy can only be set by OMP_WAIT_POLICY before it loads, so with a busy neighbour process the
 * spinning threads took the cores the working ones needed (resnet18 at batch 1 ran 3x slower). Here every wait
 * spins for a bounded time, then sleeps on a futex; a waker makes a system call only when someone sleeps. */
#define _GNU_SOURCE
#include "pool.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

/* How long a wait spins before it sleeps, in nanoseconds: long enough to catch the next region of a training
 * step without a system call, short enough that a waiting thread soon gives its core away. A time, not a count
 * of pause instructions: a pause takes ~10 cycles on one CPU and ~140 on another. History: 200 pauses suited
 * an AMD Zen 3 with a busy neighbour (resnet18 batch 1: 90 ms, against 140-165 ms with 2000); on an Intel Xeon
 * VM (2 vCPUs) the same 200 pauses were a few microseconds, the workers slept between the regions of every
 * step, and waking them by futex took a third of U-Net training (832 ms a step; 10 us of spinning: 439 ms;
 * 50 us: 411 ms; 200 us: 411 ms). */
#ifndef SPIN_NS
#define SPIN_NS 50000
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* ---- waiting: a word that waiters watch for a change ----------------------------------------------- */

typedef struct {
    alignas(64) atomic_uint value;
    atomic_int sleepers; /* waiters inside the futex wait: a waker makes no system call when there are none */
} waitword;

#ifdef __linux__
static void futex_wait(atomic_uint *w, unsigned old)
{
    syscall(SYS_futex, (void *)w, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
}
static void futex_wake_all(atomic_uint *w) { syscall(SYS_futex, (void *)w, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0); }
#else
/* Elsewhere: short sleeps instead of a futex (still passive, a little slower to wake). */
static void futex_wait(atomic_uint *w, unsigned old)
{
    struct timespec ts = {0, 20000};
    if (atomic_load(w) == old) nanosleep(&ts, NULL);
}
static void futex_wake_all(atomic_uint *w) { (void)w; }
#endif

/* CLOCK_MONOTONIC goes through the vDSO: ~20 ns, read once per 32 pauses. */
static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Returns once w's value differs from old: a bounded spin, then sleep. The sleepers count and the value are
 * both sequentially consistent, so either the waker sees the sleeper or the sleeper sees the new value (and the
 * futex itself refuses to sleep on a changed value). */
static void ww_wait(waitword *w, unsigned old)
{
    for (int64_t start = 0;;) {
        for (int i = 0; i < 32; i++) {
            if (atomic_load_explicit(&w->value, memory_order_acquire) != old) return;
            cpu_relax();
        }
        int64_t t = now_ns();
        if (!start) start = t;
        else if (t - start > SPIN_NS) break;
    }
    while (atomic_load(&w->value) == old) {
        atomic_fetch_add(&w->sleepers, 1);
        if (atomic_load(&w->value) == old) futex_wait(&w->value, old);
        atomic_fetch_sub(&w->sleepers, 1);
    }
}

static void ww_wake(waitword *w)
{
    if (atomic_load(&w->sleepers) > 0) futex_wake_all(&w->value);
}

/* ---- teams -------------------------------------------------------------------------------------------- */

/* One worker's claim counter: chunks claimed so far from that worker's block (see claim_chunks). */
typedef struct {
    alignas(64) _Atomic int64_t claimed;
} claim_slot;

struct fv_team {
    int size;
    alignas(64) atomic_uint arrived;
    waitword gen; /* barrier generation */
    /* Claim counters of worksharing loops, one per worker: the loop that starts in generation g claims from
     * next[g % 2]; the last member into a barrier clears the counters of the generation it opens (no one still
     * reads them). */
    claim_slot *next[2];
};

/* Chunk c covers [c grain, (c + 1) grain); worker w owns the contiguous block of chunks
 * [C w / size, C (w + 1) / size) and works through it first, then helps the others through what is left of
 * theirs. Owning the same block in every loop keeps a worker on the data it wrote in the previous one: when the
 * two cores of a virtual machine sit on different dies, a cache line written by one core costs the other a
 * cross-die transfer, and dynamic claiming (any chunk to whoever asks) made training up to 1.8x slower there.
 * Helping still evens out a worker slowed by another process. Which worker computes a chunk never changes it. */
static void claim_chunks(claim_slot *slots, int size, int worker, int64_t n, int64_t grain, fv_range_fn body,
                         void *arg)
{
    int64_t chunks = (n + grain - 1) / grain;
    for (int k = 0; k < size; k++) {
        int owner = (worker + k) % size;
        int64_t first = chunks * owner / size, end = chunks * (owner + 1) / size;
        for (;;) {
            int64_t c = first + atomic_fetch_add_explicit(&slots[owner].claimed, 1, memory_order_relaxed);
            if (c >= end) break;
            body(arg, c * grain, c * grain + grain < n ? c * grain + grain : n, worker);
        }
    }
}

static void clear_claims(claim_slot *slots, int size)
{
    for (int w = 0; w < size; w++) atomic_store_explicit(&slots[w].claimed, 0, memory_order_relaxed);
}

int fv_team_size(const fv_team *team) { return team->size; }

void fv_team_barrier(fv_team *team)
{
    if (team->size <= 1) return;
    unsigned g = atomic_load(&team->gen.value);
    if (atomic_fetch_add(&team->arrived, 1) == (unsigned)team->size - 1) {
        atomic_store(&team->arrived, 0);
        clear_claims(team->next[(g + 1) % 2], team->size);
        atomic_store(&team->gen.value, g + 1);
        ww_wake(&team->gen);
    } else {
        ww_wait(&team->gen, g);
    }
}

void fv_team_for(fv_team *team, int worker, int64_t n, int64_t grain, fv_range_fn body, void *arg)
{
    if (grain < 1) grain = 1;
    if (team->size <= 1) {
        if (n > 0) body(arg, 0, n, worker);
        return;
    }
    unsigned g = atomic_load(&team->gen.value);
    claim_chunks(team->next[g % 2], team->size, worker, n, grain, body, arg);
    fv_team_barrier(team);
}

/* ---- the pool ----------------------------------------------------------------------------------------- */

typedef struct {
    waitword go; /* bumped by the region's owner to hand this worker the current region */
} worker_slot;

static struct {
    pthread_mutex_t owner; /* held by the thread whose region runs on the pool */
    int started;           /* workers 1 .. started exist (changed only by the owner) */
    fv_team_fn fn;
    void *arg;
    fv_team team;
    waitword pending; /* workers of the current region not yet done */
    worker_slot slots[FV_POOL_MAX_THREADS];
    claim_slot claims[2][FV_POOL_MAX_THREADS];
} pool = {.owner = PTHREAD_MUTEX_INITIALIZER, .team = {.next = {pool.claims[0], pool.claims[1]}}};

/* True on pool workers, and on an owner while it runs its share: calls from there run inline. */
static _Thread_local bool in_region;

static void *worker_main(void *p)
{
    int id = (int)(intptr_t)p;
    waitword *go = &pool.slots[id].go;
    unsigned seen = 0;
    in_region = true;
    for (;;) {
        ww_wait(go, seen);
        seen = atomic_load(&go->value);
        pool.fn(pool.arg, &pool.team, id);
        if (atomic_fetch_sub(&pool.pending.value, 1) == 1) ww_wake(&pool.pending);
    }
    return NULL;
}

/* Starts workers up to id want - 1 (fewer if the system refuses); returns how many the region can use. */
static int grow(int want)
{
    while (pool.started < want - 1) {
        pthread_attr_t attr;
        pthread_t t;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker_main, (void *)(intptr_t)(pool.started + 1));
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pool.started++;
    }
    return pool.started + 1 < want ? pool.started + 1 : want;
}

static void run_alone(fv_team_fn fn, void *arg)
{
    fv_team solo = {.size = 1};
    fn(arg, &solo, 0);
}

void fv_parallel_run(int threads, fv_team_fn fn, void *arg)
{
    if (threads > FV_POOL_MAX_THREADS) threads = FV_POOL_MAX_THREADS;
    if (threads <= 1 || in_region || pthread_mutex_trylock(&pool.owner) != 0) {
        run_alone(fn, arg);
        return;
    }
    int n = grow(threads);
    pool.fn = fn, pool.arg = arg, pool.team.size = n;
    atomic_store(&pool.team.arrived, 0);
    clear_claims(pool.claims[0], n), clear_claims(pool.claims[1], n);
    atomic_store(&pool.pending.value, (unsigned)(n - 1));
    for (int i = 1; i < n; i++) {
        atomic_fetch_add(&pool.slots[i].go.value, 1);
        ww_wake(&pool.slots[i].go);
    }
    in_region = true;
    fn(arg, &pool.team, 0);
    in_region = false;
    for (unsigned left; (left = atomic_load(&pool.pending.value)) != 0;) ww_wait(&pool.pending, left);
    pthread_mutex_unlock(&pool.owner);
}

typedef struct {
    fv_range_fn body;
    void *arg;
    int64_t n, grain;
} for_job;

/* A plain loop needs no barrier: the owner's wait for all workers ends it. */
static void for_member(void *p, fv_team *team, int worker)
{
    const for_job *j = p;
    if (team->size <= 1) j->body(j->arg, 0, j->n, worker);
    else claim_chunks(team->next[0], team->size, worker, j->n, j->grain, j->body, j->arg);
}

void fv_parallel_for(int threads, int64_t n, int64_t grain, fv_range_fn body, void *arg)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t chunks = (n + grain - 1) / grain;
    if (threads > chunks) threads = (int)chunks; /* no worker woken without a chunk to claim */
    if (threads <= 1 || in_region) {
        body(arg, 0, n, 0);
        return;
    }
    for_job j = {body, arg, n, grain};
    fv_parallel_run(threads, for_member, &j);
}
