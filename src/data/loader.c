/* The loader: a bounded ring of batch slots that worker threads fill sample by sample (decode, then the
 * augmentation keyed by (seed, epoch, index)), so a batch is the same floats whichever thread made each
 * sample. Waits are on condition variables; the thread that fetches helps with its own batch. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataset_internal.h"
#include "fovea/augment.h"
#include "fovea/loader.h"

#define LOADER_MAX_THREADS 256
#define LOADER_MAX_DEPTH 64

typedef enum { SLOT_FREE = 0, SLOT_WORK, SLOT_READY } slot_state;

typedef struct {
    slot_state state;
    uint64_t seq;       /* queue order: workers serve the oldest batch first */
    int epoch, n, cap;
    int64_t *idx;
    float *x;           /* cap samples */
    int32_t *y;         /* a data set's labels */
    double *t;          /* a tuple set's targets, tper values per sample */
    int next, done;     /* samples claimed, samples finished */
    int fail_at;        /* the first sample (by position) that failed, or n: a deterministic message */
    fv_status status;
    char msg[512];
} slot;

typedef struct {
    fv_loader *l;
    fv_ctx *ctx; /* the worker's own: errors of concurrent decodes must not share one record */
    pthread_t thread;
} worker;

struct fv_loader {
    fv_ctx *ctx;
    const fv_dataset *ds;      /* the samples: a data set, */
    const fv_tensor_set *set;  /* or a tuple set (several inputs, any target) */
    fv_loader_options opt;
    int64_t per; /* floats per sample (every input's, one after the other) */
    int n_inputs;
    int64_t in_per[FV_TENSOR_SET_MAX_INPUTS];
    int64_t tper; /* target values per sample of a tuple set */
    pthread_mutex_t mu;
    pthread_cond_t work, ready;
    slot *slots;
    int depth;
    uint64_t seq;
    bool stop;
    worker *workers;
    int n_workers;
    fv_ctx *own_ctx; /* for the samples the fetching thread makes */
    fv_loader_stats stats;
};

fv_loader_options fv_loader_defaults(void)
{
    fv_loader_options o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    return o;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- making samples ------------------------------------------------------------------------------------ */

/* Sample i of a tuple set's slot: its inputs one after the other, its target as doubles. */
static fv_status make_tuple(fv_loader *l, slot *sl, int i, fv_ctx *ctx)
{
    float *rows[FV_TENSOR_SET_MAX_INPUTS], *at = sl->x + (int64_t)i * l->per;
    for (int k = 0; k < l->n_inputs; k++) rows[k] = at, at += l->in_per[k];
    return fv_tensor_set_make(l->set, ctx, sl->idx[i], sl->epoch, rows, l->tper ? sl->t + (int64_t)i * l->tper : NULL);
}

/* Sample i of a slot: decoded, then augmented when it belongs to a training epoch. */
static void make_sample(fv_loader *l, slot *sl, int i, fv_ctx *ctx)
{
    if (l->set) {
        fv_status s = make_tuple(l, sl, i, ctx);
        if (s == FV_OK) return;
        pthread_mutex_lock(&l->mu);
        if (i < sl->fail_at) {
            sl->fail_at = i, sl->status = s;
            strncpy(sl->msg, fv_errmsg(ctx), sizeof sl->msg - 1);
            sl->msg[sizeof sl->msg - 1] = '\0';
        }
        pthread_mutex_unlock(&l->mu);
        fv_clear_error(ctx);
        return;
    }
    float *dst = sl->x + (int64_t)i * l->per;
    fv_tensor x = {.dtype = FV_F32, .ndim = 2, .shape = {1, l->per}, .size = l->per, .data = dst, .owns = false};
    fv_tensor y = {.dtype = FV_I32, .ndim = 1, .shape = {1}, .size = 1, .data = &sl->y[i], .owns = false};
    fv_status s = fv_dataset_batch_ctx(l->ds, ctx, &sl->idx[i], 1, &x, &y);
    if (s == FV_OK && l->opt.augment && sl->epoch >= 0) {
        int64_t shape[3];
        fv_dataset_shape(l->ds, shape);
        uint64_t key = ((uint64_t)sl->epoch << 40) ^ (uint64_t)sl->idx[i];
        s = fv_augment_apply(l->opt.augment, l->opt.seed, key, dst, (int)shape[0], (int)shape[1], (int)shape[2], NULL, 0,
                             NULL, NULL);
    }
    if (s == FV_OK) return;
    pthread_mutex_lock(&l->mu);
    if (i < sl->fail_at) {
        sl->fail_at = i;
        sl->status = s;
        strncpy(sl->msg, fv_errmsg(ctx), sizeof sl->msg - 1);
        sl->msg[sizeof sl->msg - 1] = '\0';
    }
    pthread_mutex_unlock(&l->mu);
    fv_clear_error(ctx);
}

/* Claim the next sample of sl (lock held); -1 when all are claimed. */
static int claim(slot *sl)
{
    return sl->state == SLOT_WORK && sl->next < sl->n ? sl->next++ : -1;
}

/* Mark one sample done (lock held); the last one makes the batch ready. */
static void finish(fv_loader *l, slot *sl)
{
    if (++sl->done == sl->n) {
        sl->state = SLOT_READY;
        pthread_cond_broadcast(&l->ready);
    }
}

/* The oldest batch with unclaimed samples (lock held), or NULL. */
static slot *oldest_work(fv_loader *l)
{
    slot *best = NULL;
    for (int k = 0; k < l->depth; k++) {
        slot *sl = &l->slots[k];
        if (sl->state == SLOT_WORK && sl->next < sl->n && (!best || sl->seq < best->seq)) best = sl;
    }
    return best;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    fv_loader *l = w->l;
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        slot *sl = oldest_work(l);
        if (!sl) {
            pthread_cond_wait(&l->work, &l->mu);
            continue;
        }
        int i = claim(sl);
        pthread_mutex_unlock(&l->mu);
        make_sample(l, sl, i, w->ctx);
        pthread_mutex_lock(&l->mu);
        finish(l, sl);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* ---- the queue ----------------------------------------------------------------------------------------- */

static slot *find_slot(fv_loader *l, int epoch, const int64_t *idx, int n)
{
    for (int k = 0; k < l->depth; k++) {
        slot *sl = &l->slots[k];
        if (sl->state != SLOT_FREE && sl->epoch == epoch && sl->n == n && memcmp(sl->idx, idx, (size_t)n * sizeof *idx) == 0)
            return sl;
    }
    return NULL;
}

/* A free slot, else the oldest ready one (a prefetched batch nobody fetched), else NULL (lock held). */
static slot *free_slot(fv_loader *l)
{
    slot *oldest = NULL;
    for (int k = 0; k < l->depth; k++) {
        slot *sl = &l->slots[k];
        if (sl->state == SLOT_FREE) return sl;
        if (sl->state == SLOT_READY && (!oldest || sl->seq < oldest->seq)) oldest = sl;
    }
    return oldest;
}

/* Room for n samples in a slot that no worker touches (lock held). */
static bool reserve(fv_loader *l, slot *sl, int n)
{
    if (n <= sl->cap) return true;
    int64_t *idx = realloc(sl->idx, (size_t)n * sizeof *idx);
    if (idx) sl->idx = idx;
    float *x = realloc(sl->x, (size_t)n * (size_t)l->per * sizeof *x);
    if (x) sl->x = x;
    int32_t *y = realloc(sl->y, (size_t)n * sizeof *y);
    if (y) sl->y = y;
    double *t = l->tper ? realloc(sl->t, (size_t)n * (size_t)l->tper * sizeof *t) : NULL;
    if (t) sl->t = t;
    if (!idx || !x || !y || (l->tper && !t)) return false;
    sl->cap = n;
    return true;
}

/* Queue a batch in sl, free or ready (lock held); false when out of memory. */
static bool fill_slot(fv_loader *l, slot *sl, int epoch, const int64_t *idx, int n)
{
    sl->state = SLOT_FREE;
    if (!reserve(l, sl, n)) return false;
    memcpy(sl->idx, idx, (size_t)n * sizeof *idx);
    sl->epoch = epoch, sl->n = n;
    sl->next = sl->done = 0;
    sl->fail_at = n;
    sl->status = FV_OK;
    sl->msg[0] = '\0';
    sl->seq = ++l->seq;
    sl->state = n > 0 ? SLOT_WORK : SLOT_READY;
    pthread_cond_broadcast(&l->work);
    return true;
}

static fv_status loader_prefetch(void *data, int epoch, const int64_t *indices, int n)
{
    fv_loader *l = data;
    if (n < 1 || !indices) return FV_OK;
    pthread_mutex_lock(&l->mu);
    slot *sl = find_slot(l, epoch, indices, n) ? NULL : free_slot(l);
    if (sl) fill_slot(l, sl, epoch, indices, n); /* a hint: dropped when every slot is in work */
    pthread_mutex_unlock(&l->mu);
    return FV_OK;
}

static fv_status check_out(fv_loader *l, int n, const fv_tensor *x, const fv_tensor *y)
{
    if (!x || !x->data || x->dtype != FV_F32 || x->size < (int64_t)n * l->per)
        return fv_error(l->ctx, FV_ERR_SHAPE, "loader: the image tensor cannot hold %d samples of %lld values", n,
                        (long long)l->per);
    if (y && (!y->data || y->dtype != FV_I32 || y->size < n))
        return fv_error(l->ctx, FV_ERR_SHAPE, "loader: the label tensor cannot hold %d int32 labels", n);
    return FV_OK;
}

/* The slot of this batch, queued now if it was not (lock held): when every slot is in work, the oldest
 * becomes ready soon (the workers never stop while there is work); NULL when out of memory. */
static slot *slot_for(fv_loader *l, int epoch, const int64_t *idx, int n)
{
    slot *sl = find_slot(l, epoch, idx, n);
    if (sl) {
        l->stats.prefetched++;
        return sl;
    }
    while (!(sl = free_slot(l))) pthread_cond_wait(&l->ready, &l->mu);
    return fill_slot(l, sl, epoch, idx, n) ? sl : NULL;
}

/* The batch (epoch, indices) ready in its slot, made now (with the workers' help) if it was not queued; the
 * lock is held on return; NULL when out of memory (the lock released). */
static slot *wait_ready(fv_loader *l, int epoch, const int64_t *indices, int n)
{
    pthread_mutex_lock(&l->mu);
    l->stats.batches++;
    slot *sl = slot_for(l, epoch, indices, n);
    if (!sl) {
        pthread_mutex_unlock(&l->mu);
        fv_error(l->ctx, FV_ERR_NOMEM, "loader: out of memory for a batch of %d samples", n);
        return NULL;
    }
    double t0 = 0;
    while (sl->state != SLOT_READY) {
        int i = claim(sl);
        if (i >= 0) { /* help with our own batch rather than wait */
            pthread_mutex_unlock(&l->mu);
            make_sample(l, sl, i, l->own_ctx);
            pthread_mutex_lock(&l->mu);
            finish(l, sl);
            continue;
        }
        if (t0 == 0) t0 = now_seconds();
        pthread_cond_wait(&l->ready, &l->mu);
    }
    if (t0 != 0) l->stats.wait_seconds += now_seconds() - t0;
    return sl;
}

/* The slot's status as the fetch's, the slot freed and the lock released. */
static fv_status release(fv_loader *l, slot *sl)
{
    fv_status s = sl->status;
    char msg[sizeof sl->msg];
    memcpy(msg, sl->msg, sizeof msg);
    sl->state = SLOT_FREE;
    pthread_mutex_unlock(&l->mu);
    return s ? fv_error(l->ctx, s, "%s", msg) : FV_OK;
}

static fv_status loader_fetch(void *data, int epoch, const int64_t *indices, int n, fv_tensor *x, fv_tensor *y)
{
    fv_loader *l = data;
    if (l->set) return fv_error(l->ctx, FV_ERR_ARG, "loader: a tuple set's batches come through fetch_io");
    if (n < 0 || (n > 0 && !indices)) return fv_error(l->ctx, FV_ERR_ARG, "loader: %d samples requested", n);
    fv_status s = check_out(l, n, x, y);
    if (s) return s;
    slot *sl = wait_ready(l, epoch, indices, n);
    if (!sl) return fv_errcode(l->ctx);
    memcpy(x->data, sl->x, (size_t)n * (size_t)l->per * sizeof(float));
    if (y) memcpy(y->data, sl->y, (size_t)n * sizeof(int32_t));
    return release(l, sl);
}

/* A tuple set's batch: every input's rows out of the slot's samples, the targets in y's dtype. */
static fv_status loader_fetch_io(void *data, int epoch, const int64_t *indices, int n, fv_tensor *const *xs,
                                 int n_inputs, fv_tensor *y)
{
    fv_loader *l = data;
    if (!l->set) return fv_error(l->ctx, FV_ERR_ARG, "loader: a data set's batches come through fetch");
    if (n < 0 || (n > 0 && !indices)) return fv_error(l->ctx, FV_ERR_ARG, "loader: %d samples requested", n);
    fv_status s = fv_tensor_set_check_batch(l->set, l->ctx, xs, n_inputs, y);
    if (s) return s;
    slot *sl = wait_ready(l, epoch, indices, n);
    if (!sl) return fv_errcode(l->ctx);
    for (int i = 0; i < n; i++) {
        const float *at = sl->x + (int64_t)i * l->per;
        for (int k = 0; k < n_inputs; k++) {
            memcpy(fv_f32(xs[k]) + (int64_t)i * l->in_per[k], at, (size_t)l->in_per[k] * sizeof(float));
            at += l->in_per[k];
        }
    }
    for (int i = 0; y && sl->status == FV_OK && i < n; i++)
        if ((s = fv_tensor_set_put_target(l->ctx, sl->t + (int64_t)i * l->tper, indices[i], y, i)) != FV_OK) {
            sl->state = SLOT_FREE;
            pthread_mutex_unlock(&l->mu);
            return s;
        }
    return release(l, sl);
}

fv_data_source fv_loader_source(fv_loader *l)
{
    if (l && l->set) {
        fv_data_source s = {fv_tensor_set_count(l->set), NULL, l, loader_prefetch, loader_fetch_io};
        return s;
    }
    fv_data_source s = {l ? fv_dataset_count(l->ds) : 0, loader_fetch, l, loader_prefetch, NULL};
    return s;
}

fv_loader_stats fv_loader_get_stats(const fv_loader *l)
{
    fv_loader_stats s = {0, 0, 0};
    if (!l) return s;
    pthread_mutex_lock((pthread_mutex_t *)&l->mu);
    s = l->stats;
    pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
    return s;
}

/* ---- life ---------------------------------------------------------------------------------------------- */

static int default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : cores > 4 ? 4 : (int)cores;
}

static fv_status start_workers(fv_loader *l, int n)
{
    if (!(l->workers = calloc((size_t)(n ? n : 1), sizeof *l->workers)))
        return fv_error(l->ctx, FV_ERR_NOMEM, "loader: out of memory for %d threads", n);
    for (int i = 0; i < n; i++) {
        worker *w = &l->workers[i];
        w->l = l;
        if (!(w->ctx = fv_ctx_new(0))) return fv_error(l->ctx, FV_ERR_NOMEM, "loader: out of memory for %d threads", n);
        fv_ctx_set_max_image_bytes(w->ctx, fv_ctx_max_image_bytes(l->ctx)); /* the caller's image limit */
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            fv_ctx_free(w->ctx);
            return fv_error(l->ctx, FV_ERR_ARG, "loader: cannot start thread %d of %d", i + 1, n);
        }
        l->n_workers++;
    }
    return FV_OK;
}

/* A loader over ds or set (one of them), its sample size set, its threads started. */
static fv_loader *loader_new(fv_ctx *ctx, const fv_dataset *ds, const fv_tensor_set *set, const fv_loader_options *opt)
{
    fv_loader_options o = opt ? *opt : fv_loader_defaults();
    if ((!ds && !set) || o.threads < 0 || o.threads > LOADER_MAX_THREADS || o.depth < 0 || o.depth > LOADER_MAX_DEPTH ||
        (set && o.augment)) {
        fv_error(ctx, FV_ERR_ARG, "loader: %s, %d threads (0..%d), depth %d (0..%d)%s", ds || set ? "a data set" : "no data set",
                 o.threads, LOADER_MAX_THREADS, o.depth, LOADER_MAX_DEPTH,
                 set && o.augment ? "; a tuple set augments with its own pipeline (fv_tensor_set_augment)" : "");
        return NULL;
    }
    fv_loader *l = calloc(1, sizeof *l);
    if (!l) {
        fv_error(ctx, FV_ERR_NOMEM, "loader: out of memory");
        return NULL;
    }
    l->ctx = ctx, l->ds = ds, l->set = set, l->opt = o;
    if (ds) {
        int64_t shape[3];
        fv_dataset_shape(ds, shape);
        l->per = shape[0] * shape[1] * shape[2];
    } else {
        l->n_inputs = fv_tensor_set_inputs(set);
        for (int k = 0; k < l->n_inputs; k++) l->per += (l->in_per[k] = fv_tensor_set_input_size(set, k));
        l->tper = fv_tensor_set_target_size(set);
    }
    l->depth = o.depth ? o.depth : 3;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work, NULL);
    pthread_cond_init(&l->ready, NULL);
    l->slots = calloc((size_t)l->depth, sizeof *l->slots);
    l->own_ctx = fv_ctx_new(0);
    if (!l->slots || !l->own_ctx) {
        fv_error(ctx, FV_ERR_NOMEM, "loader: out of memory");
        fv_loader_free(l);
        return NULL;
    }
    if (start_workers(l, o.threads ? o.threads : default_threads()) != FV_OK) {
        fv_loader_free(l);
        return NULL;
    }
    return l;
}

fv_loader *fv_loader_new(fv_ctx *ctx, const fv_dataset *ds, const fv_loader_options *opt)
{
    if (!ds) return fv_error(ctx, FV_ERR_ARG, "loader: no data set"), NULL;
    return loader_new(ctx, ds, NULL, opt);
}

fv_loader *fv_loader_new_tuples(fv_ctx *ctx, const fv_tensor_set *set, const fv_loader_options *opt)
{
    if (!set) return fv_error(ctx, FV_ERR_ARG, "loader: no tuple set"), NULL;
    return loader_new(ctx, NULL, set, opt);
}

void fv_loader_free(fv_loader *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->n_workers; i++) {
        pthread_join(l->workers[i].thread, NULL);
        fv_ctx_free(l->workers[i].ctx);
    }
    free(l->workers);
    for (int k = 0; l->slots && k < l->depth; k++) free(l->slots[k].idx), free(l->slots[k].x), free(l->slots[k].y), free(l->slots[k].t);
    free(l->slots);
    fv_ctx_free(l->own_ctx);
    pthread_cond_destroy(&l->work);
    pthread_cond_destroy(&l->ready);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
