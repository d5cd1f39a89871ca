// A small pool of helper threads for splitting one layer's work between cores, for the
// latency of a single text: a layer takes tens of microseconds there, and waking a sleeping
// thread per layer (DispatchQueue.concurrentPerform) cost about 15% of the time (perf: futex
// wake-ups and task switches). Helpers spin for a while after each run, so the layers of one
// forward pass find them awake, then sleep on a condition variable: an idle daemon burns nothing.
#include "kernels.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

// About 100–200 µs of pause instructions before a helper goes to sleep.
#define SPINS 4000

struct CKernelsPool {
    long helpers;
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    // The current run: written before `claim` publishes it, stable until every part is done.
    CKernelsPartFunction function;
    void *context;
    // generation << 32 | parts << 16 | next unclaimed part, in one word: a part is claimed for
    // one generation only, and a run's part count can never be read with another run's counter.
    _Atomic uint64_t claim;
    _Atomic long pending;
    _Atomic int stop;
};

// Runs parts of generation `generation` until none is left or the run has moved on. `function` and
// `context` are read only after a part was claimed: the run cannot end (and they change) before it is done.
static void work(CKernelsPool *pool, uint64_t generation) {
    for (;;) {
        uint64_t seen = atomic_load_explicit(&pool->claim, memory_order_acquire);
        if ((seen >> 32) != generation) return;
        long parts = (long)((seen >> 16) & 0xFFFF), part = (long)(seen & 0xFFFF);
        if (part >= parts) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->claim, &seen, seen + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        pool->function(pool->context, part);
        atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_release);
    }
}

static void *helper(void *argument) {
    CKernelsPool *pool = argument;
    uint64_t last = 0;
    for (;;) {
        uint64_t generation = last;
        for (int spin = 0; spin < SPINS; spin++) {
            generation = atomic_load_explicit(&pool->claim, memory_order_acquire) >> 32;
            if (generation != last || atomic_load_explicit(&pool->stop, memory_order_relaxed)) break;
            _mm_pause();
        }
        if (generation == last) {
            pthread_mutex_lock(&pool->mutex);
            while ((generation = atomic_load_explicit(&pool->claim, memory_order_acquire) >> 32) == last &&
                   !atomic_load_explicit(&pool->stop, memory_order_relaxed))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load_explicit(&pool->stop, memory_order_relaxed)) return NULL;
        work(pool, generation);
        last = generation;
    }
}

CKernelsPool *CKernels_pool_create(long threads) {
    CKernelsPool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->helpers = threads > 1 ? threads - 1 : 0;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    atomic_init(&pool->claim, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->stop, 0);
    pool->threads = calloc((size_t)(pool->helpers ? pool->helpers : 1), sizeof(pthread_t));
    for (long i = 0; i < pool->helpers; i++)
        if (pthread_create(&pool->threads[i], NULL, helper, pool) != 0) {
            pool->helpers = i;  // run with the helpers that started (none: the caller does every part)
            break;
        }
    return pool;
}

long CKernels_pool_threads(const CKernelsPool *pool) { return pool->helpers + 1; }

void CKernels_pool_run(CKernelsPool *pool, CKernelsPartFunction function, void *context, long parts) {
    if (parts <= 0) return;
    if (parts > 0xFFFF) {  // more parts than the claim word counts: run them here
        for (long part = 0; part < parts; part++) function(context, part);
        return;
    }
    // Every part of the last run is claimed (its word reads next == parts), so no helper can
    // claim one and read `function` while it is replaced.
    pool->function = function;
    pool->context = context;
    atomic_store_explicit(&pool->pending, parts, memory_order_relaxed);
    uint64_t generation = ((atomic_load_explicit(&pool->claim, memory_order_relaxed) >> 32) + 1) & 0xFFFFFFFFu;
    atomic_store_explicit(&pool->claim, generation << 32 | (uint64_t)parts << 16, memory_order_release);
    // Always through the mutex: a helper checks the generation under it before it waits.
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    work(pool, generation);
    while (atomic_load_explicit(&pool->pending, memory_order_acquire) > 0) _mm_pause();
}

void CKernels_pool_destroy(CKernelsPool *pool) {
    if (!pool) return;
    atomic_store_explicit(&pool->stop, 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (long i = 0; i < pool->helpers; i++) pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->threads);
    free(pool);
}
