/* Many independent mean-field solves shared among POSIX threads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/meanfield.h"
#include "sigprop/status.h"
#include "threads.h"

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
  sp_threads_run(batch_worker, &b, sp_threads_count(threads, n));
#ifdef SP_HAVE_THREADS
  pthread_mutex_destroy(&b.lock);
#endif
  return SP_OK;
}
