/* One worker function run on several POSIX threads at once.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "threads.h"

#include <unistd.h>
#ifdef SP_HAVE_THREADS
#include <pthread.h>
#endif

unsigned sp_threads_count(unsigned asked, size_t items)
{
#ifdef SP_HAVE_THREADS
  unsigned n = asked;
  if (n == 0) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? (unsigned)(c < SP_THREADS_MAX ? c : SP_THREADS_MAX) : 1u;
  }
  if (n > SP_THREADS_MAX)
    n = SP_THREADS_MAX;
  if (n > items)
    n = (unsigned)items;
  return n ? n : 1u;
#else
  (void)asked;
  (void)items;
  return 1u;
#endif
}

void sp_threads_run(void *(*worker)(void *), void *arg, unsigned n)
{
#ifdef SP_HAVE_THREADS
  pthread_t tid[SP_THREADS_MAX];
  unsigned started = 0;
  for (; started + 1 < n && started + 1 < SP_THREADS_MAX; started++)
    if (pthread_create(&tid[started], NULL, worker, arg) != 0)
      break; /* fewer threads: the work is shared among those running */
  worker(arg);
  for (unsigned t = 0; t < started; t++)
    pthread_join(tid[t], NULL);
#else
  (void)n;
  worker(arg);
#endif
}
