/* Private: one worker function run on several POSIX threads at once, the
 * calling thread among them, and the lock the workers share (the parallel
 * sweeps of diagram.c and meanfield_batch.c).  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_THREADS_H
#define SP_THREADS_H

#include <stddef.h>
#ifdef SP_HAVE_THREADS
#include <pthread.h>
#endif

/* The most threads one run uses. */
#define SP_THREADS_MAX 256

/* How many threads to run for `items` independent items: `asked`, or the
 * processors online when `asked` is 0; at most SP_THREADS_MAX and at most
 * `items`, and at least 1.  Always 1 in a build without threads. */
unsigned sp_threads_count(unsigned asked, size_t items);

/* Runs worker(arg) on n threads (n - 1 started here, plus the caller) and
 * returns when every one has returned.  The workers share arg and take
 * their work from it; when a thread cannot be started, those running share
 * the work (the worker must not count on a number of threads). */
void sp_threads_run(void *(*worker)(void *), void *arg, unsigned n);

/* A lock for the workers' shared state (a mutex; nothing in a build
 * without threads), initialised with SP_THREADS_LOCK_INIT. */
#ifdef SP_HAVE_THREADS
typedef pthread_mutex_t sp_threads_lock;
#define SP_THREADS_LOCK_INIT PTHREAD_MUTEX_INITIALIZER
#else
typedef int sp_threads_lock;
#define SP_THREADS_LOCK_INIT 0
#endif

static inline void sp_threads_lock_take(sp_threads_lock *l)
{
#ifdef SP_HAVE_THREADS
  pthread_mutex_lock(l);
#else
  (void)l;
#endif
}

static inline void sp_threads_lock_release(sp_threads_lock *l)
{
#ifdef SP_HAVE_THREADS
  pthread_mutex_unlock(l);
#else
  (void)l;
#endif
}

static inline void sp_threads_lock_destroy(sp_threads_lock *l)
{
#ifdef SP_HAVE_THREADS
  pthread_mutex_destroy(l);
#else
  (void)l;
#endif
}

#endif
