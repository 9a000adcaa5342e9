/* Benchmark (meson test --benchmark): the worst-case time of one block map
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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Processor time of the calling thread. */
static double now(void)
{
  return bench_seconds(CLOCK_THREAD_CPUTIME_ID);
}

#define NQ 21
#define NC 24

int main(void)
{
  static double t[NQ * NC];
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
