/* Benchmark (meson test --benchmark): block maps per second per core of
 * the post-LN ReLU block (the default diagram's 201 x 201 x 60 sweep over
 * beta and alpha-sa through sp_propagate_summary_batch) on the scalar path
 * and on the vector path in each instruction set this processor has, side
 * by side in one run (medians of 5, CPU time of the calling thread); then
 * the worst-case time of one block map
 * for each activation without LayerNorm (the MLP's kernel then sees every
 * variance): sp_maps_block() at input variances q = 1e-8 .. 1e12 and
 * correlations -0.99 .. 1, weight variance 2 (so that q_1 spans the same
 * range).  Prints the median and the largest time per activation, in CPU
 * time of the calling thread (so that a loaded machine does not inflate
 * them); never fails on time.  A few strongly negative correlations are
 * refused (EDOM) for every activation: T tokens cannot all be correlated
 * below -1/(T - 1), and the attention output's variance turns negative.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "bench_util.h"
#include "propagate_simd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Processor time of the calling thread. */
static double now(void)
{
  return bench_seconds(CLOCK_THREAD_CPUTIME_ID);
}

/* One sweep on instruction set isa; returns CPU seconds. */
static double sweep(int isa, double *sink)
{
  enum { N = 201 };
  static sp_model m[N];
  static sp_summary s[N];
  static int st[N];
  sp_model base;
  sp_model_default(&base);
  base.depth = 60;
  double t0 = now(), acc = 0.0;
  for (int i = 0; i < N; i++) {
    bench_grid_row(&base, i, N, m);
    sp_propagate_summary_batch_isa(m, N, NULL, s, st, isa);
    for (int j = 0; j < N; j++)
      acc += st[j] ? 0.0 : s[j].rho_final;
  }
  *sink += acc;
  return now() - t0;
}

static void throughput(void)
{
  static const char *const names[] = {"scalar", "generic", "AVX2", "AVX-512"};
  double med[4] = {0}, sink = 0.0, sums[4] = {0};
  for (int isa = SP_SIMD_NONE; isa <= SP_SIMD_AVX512; isa++) {
    double t[5];
    if (!sp_propagate_simd_supported(isa))
      continue;
    for (int r = 0; r < 5; r++) {
      double before = sink;
      t[r] = sweep(isa, &sink);
      sums[isa + 1] = sink - before;
    }
    qsort(t, 5, sizeof *t, bench_cmp_double);
    med[isa + 1] = 201.0 * 201.0 * 60.0 / t[2];
  }
  printf("post-LN ReLU block, 201 x 201 x 60 sweep, million block maps/s per core "
         "(median of 5, CPU time):");
  for (int k = 0; k < 4; k++)
    if (med[k] > 0.0)
      printf(" %s %.1f", names[k], med[k] / 1e6);
  printf("; best vector / scalar %.2fx\n",
         (med[3] > 0.0 ? med[3] : med[2] > 0.0 ? med[2] : med[1]) / med[0]);
  for (int k = 1; k < 4; k++)
    if (med[k] > 0.0 && sums[k] != sums[0])
      printf("# %s sweep differs from scalar: sum of rho_L %.17g vs %.17g\n", names[k], sums[k],
             sums[0]);
}

#define NQ 21
#define NC 24

int main(void)
{
  static double t[NQ * NC];
  throughput();
  for (int act = 0; act < SP_NACT; act++) {
    sp_model m;
    sp_model_default(&m);
    m.norm = SP_NORM_NONE;
    m.activation = (sp_activation)act;
    m.var_w_in = m.var_w_out = 2.0;
    size_t n = 0;
    double worst_q = 0.0, worst_c = 0.0, worst = 0.0;
    int fails = 0;
    for (int i = 0; i < NQ; i++)
      for (int j = 0; j < NC; j++) {
        double q = pow(10.0, -8.0 + 20.0 * i / (NQ - 1));
        /* uniform in [-0.99, 0.9] and geometric towards 1 */
        double c = j < 16 ? -0.99 + 1.89 * j / 15.0 : 1.0 - pow(10.0, -(double)(j - 14));
        double qq = q, pp = c * q, t0 = now();
        fails += sp_maps_block(&m, NULL, &qq, &pp, SP_REM_Y2, NULL) != SP_OK;
        t[n] = now() - t0;
        if (t[n] > worst)
          worst = t[n], worst_q = q, worst_c = c;
        n++;
      }
    qsort(t, n, sizeof *t, bench_cmp_double);
    printf("%-6s block map: median %8.3f ms, worst %8.3f ms (q %.3g, c %.12g); %zu maps, "
           "%d refused\n", sp_activation_name((sp_activation)act), 1e3 * t[n / 2], 1e3 * worst,
           worst_q, worst_c, n, fails);
  }
  return 0;
}
