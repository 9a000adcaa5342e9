/* Many independent mean-field solves shared among POSIX threads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/meanfield.h"
#include "sigprop/status.h"
#include "meanfield_private.h"
#include "threads.h"

typedef struct {
  sp_activation act;
  double a;
  size_t n;
  const double *sw, *sb;
  sp_meanfield *out;
  int *status;
  size_t next; /* the next point to take */
  sp_threads_lock lock;
} batch;

/* Take points one at a time until none is left, reading phi's expansion
 * from this thread's table (without one, when it cannot be allocated,
 * the same numbers to its error are computed point by point). */
static void *batch_worker(void *arg)
{
  batch *b = arg;
  sp_hermite_table *ht = NULL;
  if (sp_hermite_table_alloc(b->act, b->a, &ht))
    ht = NULL;
  for (;;) {
    sp_threads_lock_take(&b->lock);
    size_t k = b->next++;
    sp_threads_lock_release(&b->lock);
    if (k >= b->n)
      break;
    b->status[k] = sp_meanfield_solve_tabulated(b->act, b->a, b->sw[k], b->sb[k], ht, &b->out[k]);
  }
  sp_hermite_table_free(ht);
  return NULL;
}

int sp_meanfield_solve_batch(sp_activation act, double erf_scale, size_t n, const double *var_w,
                             const double *var_b, unsigned threads, sp_meanfield *out,
                             int *statuses)
{
  if ((n && (!var_w || !var_b || !out || !statuses)) || threads > SP_MF_MAX_THREADS)
    return SP_EINVAL;
  batch b = {act, erf_scale, n, var_w, var_b, out, statuses, 0, SP_THREADS_LOCK_INIT};
  sp_threads_run(batch_worker, &b, sp_threads_count(threads, n));
  sp_threads_lock_destroy(&b.lock);
  return SP_OK;
}
