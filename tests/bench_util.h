/* Timing shared by the C benchmarks: seconds on a chosen clock, the
 * comparison that sorts timings for their median, and a row of the
 * beta x alpha-sa grid the propagation benchmarks sweep.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_BENCH_UTIL_H
#define SIGPROP_BENCH_UTIL_H

#include "sigprop.h"

#include <time.h>

/* The time of `clock` in seconds (CLOCK_MONOTONIC: the wall clock;
 * CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID: processor time, which
 * a loaded machine does not inflate). */
static inline double bench_seconds(clockid_t clock)
{
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Wall-clock seconds. */
static inline double bench_wall(void)
{
  return bench_seconds(CLOCK_MONOTONIC);
}

/* qsort() comparison of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Row i of an n x n grid over beta and alpha-sa, both in [0, 5]: row[j] is
 * base with beta = 5 i/(n - 1) and alpha_sa = 5 j/(n - 1), j < n. */
static inline void bench_grid_row(const sp_model *base, int i, int n, sp_model *row)
{
  for (int j = 0; j < n; j++) {
    row[j] = *base;
    row[j].beta = 5.0 * i / (n - 1);
    row[j].alpha_sa = 5.0 * j / (n - 1);
  }
}

#endif
