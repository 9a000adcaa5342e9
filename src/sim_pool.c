/* A minimal fork-join thread pool: persistent workers, tasks handed out one
 * index at a time under a mutex (tasks are coarse: a block of rows of a
 * matrix product), the caller works too and waits for the last task.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sim_private.h"

#include <stdlib.h>

#ifdef SP_HAVE_THREADS
#include <pthread.h>
#endif

struct sp_pool {
  int n;
#ifdef SP_HAVE_THREADS
  pthread_t *workers;
  int nworkers;         /* workers actually started */
  pthread_mutex_t lock;
  pthread_cond_t wake;  /* a new job, or shutdown */
  pthread_cond_t done;  /* the last task of a job finished */
  unsigned long job;    /* job generation, bumped by every sp_pool_run */
  int quit;
  void (*fn)(void *, long, int);
  void *ctx;
  long ntasks, next, finished;
#endif
};

#ifdef SP_HAVE_THREADS
/* Take and run tasks of the current job until none is left.  Called with
 * the lock held; returns with it held. */
static void drain(sp_pool *p, int tid)
{
  while (p->next < p->ntasks) {
    long t = p->next++;
    void (*fn)(void *, long, int) = p->fn;
    void *ctx = p->ctx;
    pthread_mutex_unlock(&p->lock);
    fn(ctx, t, tid);
    pthread_mutex_lock(&p->lock);
    if (++p->finished == p->ntasks)
      pthread_cond_signal(&p->done);
  }
}

typedef struct {
  sp_pool *pool;
  int tid;
} worker_arg;

static void *worker(void *arg)
{
  worker_arg *w = arg;
  sp_pool *p = w->pool;
  int tid = w->tid;
  free(w);
  unsigned long seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->quit && p->job == seen)
      pthread_cond_wait(&p->wake, &p->lock);
    if (p->quit)
      break;
    seen = p->job;
    drain(p, tid);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}
#endif

sp_pool *sp_pool_new(int n)
{
  sp_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->n = n < 1 ? 1 : n;
#ifdef SP_HAVE_THREADS
  if (p->n > 1) {
    if (pthread_mutex_init(&p->lock, NULL)) {
      free(p);
      return NULL;
    }
    if (pthread_cond_init(&p->wake, NULL)) {
      pthread_mutex_destroy(&p->lock);
      free(p);
      return NULL;
    }
    if (pthread_cond_init(&p->done, NULL)) {
      pthread_cond_destroy(&p->wake);
      pthread_mutex_destroy(&p->lock);
      free(p);
      return NULL;
    }
    p->workers = malloc((size_t)(p->n - 1) * sizeof *p->workers);
    if (!p->workers) {
      sp_pool_free(p);
      return NULL;
    }
    for (int i = 0; i < p->n - 1; i++) {
      worker_arg *w = malloc(sizeof *w);
      if (!w)
        break;
      w->pool = p;
      w->tid = i + 1;
      if (pthread_create(&p->workers[i], NULL, worker, w)) {
        free(w);
        break;
      }
      p->nworkers++;
    }
    if (p->nworkers < p->n - 1) {
      sp_pool_free(p);
      return NULL;
    }
  }
#else
  p->n = 1;
#endif
  return p;
}

int sp_pool_size(const sp_pool *p)
{
  return p->n;
}

void sp_pool_run(sp_pool *p, long ntasks, void (*fn)(void *, long, int), void *ctx)
{
#ifdef SP_HAVE_THREADS
  if (p->n > 1 && ntasks > 1) {
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    p->next = 0;
    p->finished = 0;
    p->job++;
    pthread_cond_broadcast(&p->wake);
    drain(p, 0);
    while (p->finished < p->ntasks)
      pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return;
  }
#endif
  for (long t = 0; t < ntasks; t++)
    fn(ctx, t, 0);
}

void sp_pool_free(sp_pool *p)
{
  if (!p)
    return;
#ifdef SP_HAVE_THREADS
  if (p->n > 1) {
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nworkers; i++)
      pthread_join(p->workers[i], NULL);
    free(p->workers);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
  }
#endif
  free(p);
}
