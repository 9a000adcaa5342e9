/* Benchmark of the mean-field engine (meson test --benchmark): block maps
 * per second of the post-LN ReLU block, and a 201 x 201 x depth-60 sweep of
 * sp_propagate_summary over (beta, alpha-sa) on one core, one at a time and
 * batched (the batch takes the vector path: see bench_blockmap for the
 * scalar and vector figures side by side).  CPU time of the calling
 * thread, so that a loaded machine does not inflate the figures.  Prints
 * figures; never fails on time.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "bench_util.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* One timed run of the block loop; returns block maps per second. */
static double block_rate(const sp_model *m, long n, double *sink)
{
  double q = 1.0, p = m->rho0, acc = 0.0;
  double t0 = bench_seconds(CLOCK_THREAD_CPUTIME_ID);
  for (long i = 0; i < n; i++) {
    if (sp_maps_block(m, NULL, &q, &p, SP_REM_Y2, NULL))
      return 0.0;
    if (p > 0.999) { /* restart before collapse so every map does full work */
      acc += p;
      q = 1.0;
      p = m->rho0;
    }
  }
  double dt = bench_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
  *sink += acc + p;
  return (double)n / dt;
}

static double sweep(const sp_model *base, double *sink)
{
  sp_model m = *base;
  double t0 = bench_seconds(CLOCK_THREAD_CPUTIME_ID), acc = 0.0;
  for (int i = 0; i < 201; i++)
    for (int j = 0; j < 201; j++) {
      sp_summary s;
      m.beta = 5.0 * i / 200.0;
      m.alpha_sa = 5.0 * j / 200.0;
      if (sp_propagate_summary(&m, NULL, &s) == SP_OK)
        acc += s.rho_final;
    }
  *sink += acc;
  return bench_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* The same sweep through the batched interface, one grid row at a time. */
static double sweep_batch(const sp_model *base, double *sink)
{
  sp_model m[201];
  sp_summary s[201];
  int st[201];
  double t0 = bench_seconds(CLOCK_THREAD_CPUTIME_ID), acc = 0.0;
  for (int i = 0; i < 201; i++) {
    for (int j = 0; j < 201; j++) {
      m[j] = *base;
      m[j].beta = 5.0 * i / 200.0;
      m[j].alpha_sa = 5.0 * j / 200.0;
    }
    sp_propagate_summary_batch(m, 201, NULL, s, st);
    for (int j = 0; j < 201; j++)
      if (!st[j])
        acc += s[j].rho_final;
  }
  *sink += acc;
  return bench_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
}

int main(void)
{
  gsl_set_error_handler_off();
  sp_model m;
  sp_model_default(&m);
  double sink = 0.0, rates[7], sweeps[5], batched[5];
  const long n = 4000000;
  for (int r = 0; r < 7; r++)
    rates[r] = block_rate(&m, n, &sink);
  qsort(rates, 7, sizeof rates[0], bench_cmp_double);
  m.depth = 60;
  for (int r = 0; r < 5; r++)
    sweeps[r] = sweep(&m, &sink);
  for (int r = 0; r < 5; r++)
    batched[r] = sweep_batch(&m, &sink);
  qsort(sweeps, 5, sizeof sweeps[0], bench_cmp_double);
  qsort(batched, 5, sizeof batched[0], bench_cmp_double);
  printf("post-LN ReLU block (T->inf): median %.1f million block maps/s over 7 runs "
         "(min %.1f, max %.1f); target 20, i.e. %.2fx the target\n",
         rates[3] / 1e6, rates[0] / 1e6, rates[6] / 1e6, rates[3] / 20e6);
  printf("201 x 201 x depth-60 sweep (beta, alpha-sa), one core: median %.3f s over 5 runs "
         "(min %.3f, max %.3f) = %.1f million block maps/s\n",
         sweeps[2], sweeps[0], sweeps[4], 201.0 * 201.0 * 60.0 / sweeps[2] / 1e6);
  printf("the same sweep batched (%d trajectories in lockstep): median %.3f s "
         "(min %.3f, max %.3f) = %.1f million block maps/s, %.2fx the target of 20; "
         "%.2fx the one-at-a-time sweep\n", SP_SUMMARY_BATCH, batched[2], batched[0], batched[4],
         201.0 * 201.0 * 60.0 / batched[2] / 1e6, 201.0 * 201.0 * 60.0 / batched[2] / 20e6,
         sweeps[2] / batched[2]);
  printf("# checksum %g\n", sink);
  return 0;
}
