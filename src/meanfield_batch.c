/* Many independent mean-field solves shared among POSIX threads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/meanfield.h"
#include "sigprop/status.h"

#include <unistd.h>
#ifdef SP_HAVE_THREADS
#include <pthread.h>
#endif

typedef struct {
  sp_activation act;
  double a;
  size_t n;
  const double *sw, *sb;
  sp_meanfield *out;
  int *status;
  size_t next; /* the next point to take */
#ifdef SP_HAVE_THREADS
  pthread_mutex_t lock;
#endif
} batch;

/* Take points one at a time until none is left. */
static void *batch_worker(void *arg)
{
  batch *b = arg;
  for (;;) {
#ifdef SP_HAVE_THREADS
    pthread_mutex_lock(&b->lock);
#endif
    size_t k = b->next++;
#ifdef SP_HAVE_THREADS
    pthread_mutex_unlock(&b->lock);
#endif
    if (k >= b->n)
      return NULL;
    b->status[k] = sp_meanfield_solve(b->act, b->a, b->sw[k], b->sb[k], &b->out[k]);
  }
}

int sp_meanfield_solve_batch(sp_activation act, double erf_scale, size_t n, const double *var_w,
                             const double *var_b, unsigned threads, sp_meanfield *out,
                             int *statuses)
{
  if ((n && (!var_w || !var_b || !out || !statuses)) || threads > SP_MF_MAX_THREADS)
    return SP_EINVAL;
  batch b = {act, erf_scale, n, var_w, var_b, out, statuses, 0
#ifdef SP_HAVE_THREADS
             , PTHREAD_MUTEX_INITIALIZER
#endif
  };
#ifdef SP_HAVE_THREADS
  if (threads == 0) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    threads = c > 0 ? (unsigned)(c < SP_MF_MAX_THREADS ? c : SP_MF_MAX_THREADS) : 1u;
  }
  if (threads > n)
    threads = n ? (unsigned)n : 1u;
  pthread_t tid[SP_MF_MAX_THREADS];
  unsigned started = 0;
  for (; started + 1 < threads; started++)
    if (pthread_create(&tid[started], NULL, batch_worker, &b) != 0)
      break; /* fewer threads: the points are shared among those running */
  batch_worker(&b);
  for (unsigned t = 0; t < started; t++)
    pthread_join(tid[t], NULL);
  pthread_mutex_destroy(&b.lock);
#else
  (void)threads;
  batch_worker(&b);
#endif
  return SP_OK;
}
