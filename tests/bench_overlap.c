/* Benchmark (meson test --benchmark): the default diagram's sweep with
 * finite-T statistics -- 201 x 201 (beta, alpha-sa) points, depth 60 --
 * through sp_diagram on the default threads, with the row overlap 1/T and
 * exact (its table built lazily within the run), of encoder and of causal
 * rows, five runs each, wall and processor time and their medians; then the
 * encoder's and the causal overlap table of T = 512 built panel by panel.
 * The tables against direct evaluation are the tests overlap_diagram and
 * overlap_table_causal.  Prints figures; never fails on time.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _DEFAULT_SOURCE /* getloadavg */
#include "sigprop.h"
#include "test_util.h"
#include "bench_util.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { N = 201, RUNS = 5 };

/* Processor time of the process (all its threads). */
static double cpu(void)
{
  return bench_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

/* One default diagram, the workspace and its tables made within. */
static int diagram(sp_row_overlap ovl, int causal, double *wall, double *proc)
{
  sp_model m;
  sp_axis x, y;
  tu_overlap_grid(ovl, N, &m, &x, &y);
  m.causal = causal;
  sp_diagram *d = NULL;
  double t0 = bench_wall(), c0 = cpu();
  int s = sp_diagram_alloc(&m, &x, &y, NULL, &d);
  s = s ? s : sp_diagram_sweep(d);
  *wall = bench_wall() - t0;
  *proc = cpu() - c0;
  sp_diagram_free(d);
  return s;
}

static int runs(sp_row_overlap ovl, int causal, int k)
{
  double w[RUNS], c[RUNS];
  int s = SP_OK;
  for (int r = 0; r < RUNS && !s; r++)
    s = diagram(ovl, causal, &w[r], &c[r]);
  if (s) {
    printf("not ok %d - diagram failed: %s\n", k, sp_strerror(s));
    return s;
  }
  printf("ok %d - default %s diagram (sweep, tables included), finite T, row overlap %s, "
         "default threads:", k, causal ? "causal" : "encoder", sp_row_overlap_name(ovl));
  for (int r = 0; r < RUNS; r++)
    printf(" %.2f/%.2f", w[r], c[r]);
  qsort(w, RUNS, sizeof *w, bench_cmp_double);
  qsort(c, RUNS, sizeof *c, bench_cmp_double);
  printf(" s (wall/cpu); medians %.2f s wall, %.2f s cpu\n", w[RUNS / 2], c[RUNS / 2]);
  return SP_OK;
}

/* Table k of T = 512 (encoder or causal) built panel by panel. */
static int panels(int causal, int k)
{
  sp_overlap_table *t = NULL;
  int s = causal ? sp_overlap_table_alloc_causal(512, &t) : sp_overlap_table_alloc(512, &t);
  static const double top[] = {1.5, 3.0, 5.0, 8.0};
  printf("ok %d - %s overlap table T = 512 by panels (lambda <= top: wall/cpu, all threads):", k,
         causal ? "causal" : "encoder");
  for (int p = 0; p < 4 && !s; p++) {
    double t0 = bench_wall(), c0 = cpu();
    s = sp_overlap_table_build(t, top[p]);
    int nodes;
    sp_overlap_table_info(t, NULL, NULL, &nodes);
    printf(" %g: %.2f/%.2f s (%d nodes)", top[p], bench_wall() - t0, cpu() - c0, nodes);
  }
  printf("%s\n", s ? " FAILED" : "");
  sp_overlap_table_free(t);
  return s;
}

int main(void)
{
  gsl_set_error_handler_off();
  double load[3] = {0.0, 0.0, 0.0};
  getloadavg(load, 3);
  printf("1..6\n# load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  if (runs(SP_OVERLAP_INDEPENDENT, 0, 1) || runs(SP_OVERLAP_EXACT, 0, 2)
      || runs(SP_OVERLAP_INDEPENDENT, 1, 3) || runs(SP_OVERLAP_EXACT, 1, 4))
    return 1;
  int s = panels(0, 5);
  s = s ? s : panels(1, 6);
  return s;
}
