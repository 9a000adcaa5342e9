/* Benchmark (meson test --benchmark): a 201 x 201 x depth-60 post-LN sweep
 * over (beta, alpha-sa) with a tanh or GELU MLP and finite-T statistics at
 * T = 512, next to the ReLU / T -> infinity sweep, on one core.  Prints the
 * table build times, the sweep times and their ratios; never fails on time.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "bench_util.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <time.h>

/* Processor time of this process: on a shared machine it measures the
 * work, where the wall clock also counts waiting for a core. */
static double now(void)
{
  return bench_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

#define N 201

/* One sweep through the batched interface, a grid row at a time; returns
 * seconds, adds the final correlations to *sink (so nothing is elided). */
static double sweep(const sp_model *base, const sp_workspace *w, double *sink, int *errors)
{
  static sp_model m[N];
  static sp_summary s[N];
  static int st[N];
  double t0 = now(), acc = 0.0;
  for (int i = 0; i < N; i++) {
    bench_grid_row(base, i, N, m);
    sp_propagate_summary_batch(m, N, w, s, st);
    for (int j = 0; j < N; j++) {
      if (st[j])
        ++*errors;
      else
        acc += s[j].rho_final;
    }
  }
  *sink += acc;
  return now() - t0;
}

int main(void)
{
  gsl_set_error_handler_off();
  struct {
    const char *name;
    sp_activation act;
    sp_stats stats;
  } cases[] = {
    {"relu, T -> infinity", SP_ACT_RELU, SP_STATS_ASYMPTOTIC},
    {"tanh, finite T = 512", SP_ACT_TANH, SP_STATS_FINITE},
    {"gelu, finite T = 512", SP_ACT_GELU, SP_STATS_FINITE},
    {"relu, finite T = 512", SP_ACT_RELU, SP_STATS_FINITE},
  };
  double sink = 0.0, base = 0.0;
  /* The first table build of a process pays about 0.1 s of one-time costs
   * (first touches of memory and of the maths library); pay them here so
   * that the figures below compare like with like. */
  {
    sp_model m;
    sp_model_default(&m);
    m.stats = SP_STATS_FINITE;
    m.tokens = 16;
    sp_workspace *w = NULL;
    sp_workspace_alloc(&w);
    double t0 = now();
    int s = w ? sp_workspace_prepare(w, &m) : SP_ENOMEM;
    printf("warm-up: first table build of the process (T = 16) %.3f s%s\n", now() - t0,
           s ? " (failed)" : "");
    sp_workspace_free(w);
  }
  printf("post-LN sweep %d x %d (beta, alpha-sa in [0, 5]) x depth 60, one core; "
         "processor seconds\n", N, N);
  double w0 = bench_wall();
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sp_model m;
    sp_model_default(&m);
    m.depth = 60;
    m.tokens = 512;
    m.activation = cases[k].act;
    m.stats = cases[k].stats;
    sp_workspace *w = NULL;
    sp_workspace_alloc(&w);
    double t0 = now();
    int s = sp_workspace_prepare(w, &m);
    double prep = now() - t0;
    if (s) {
      printf("%-22s prepare failed: %s\n", cases[k].name, sp_strerror(s));
      sp_workspace_free(w);
      continue;
    }
    int errors = 0;
    double t = sweep(&m, w, &sink, &errors);
    if (k == 0)
      base = t;
    printf("%-22s tables %6.3f s   sweep %6.3f s   total %6.3f s   sweep / relu-asymptotic "
           "%5.2f   %.0f blocks/s%s\n", cases[k].name, prep, t, prep + t, t / base,
           (double)N * N * m.depth / t, errors ? "   (errors!)" : "");
    sp_workspace_free(w);
  }
  printf("(wall clock for everything %.3f s; checksum %.6f)\n", bench_wall() - w0, sink);
  return 0;
}
