/* Benchmark (meson test --benchmark): the default diagram's sweep with
 * finite-T statistics -- 201 x 201 (beta, alpha-sa) points, depth 60 --
 * through sp_diagram on the default threads, with the row overlap 1/T and
 * exact (its table built lazily within the run), five runs each, wall and
 * processor time and their medians; then the overlap table of T = 512
 * built panel by panel.  The table against direct evaluation is the test
 * overlap_diagram.  Prints figures; never fails on time.
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
static int diagram(sp_row_overlap ovl, double *wall, double *proc)
{
  sp_model m;
  sp_axis x, y;
  tu_overlap_grid(ovl, N, &m, &x, &y);
  sp_diagram *d = NULL;
  double t0 = bench_wall(), c0 = cpu();
  int s = sp_diagram_alloc(&m, &x, &y, NULL, &d);
  s = s ? s : sp_diagram_sweep(d);
  *wall = bench_wall() - t0;
  *proc = cpu() - c0;
  sp_diagram_free(d);
  return s;
}

static int runs(sp_row_overlap ovl, int k)
{
  double w[RUNS], c[RUNS];
  int s = SP_OK;
  for (int r = 0; r < RUNS && !s; r++)
    s = diagram(ovl, &w[r], &c[r]);
  if (s) {
    printf("not ok %d - diagram failed: %s\n", k, sp_strerror(s));
    return s;
  }
  printf("ok %d - default diagram (sweep, tables included), finite T, row overlap %s, default "
         "threads:", k, sp_row_overlap_name(ovl));
  for (int r = 0; r < RUNS; r++)
    printf(" %.2f/%.2f", w[r], c[r]);
  qsort(w, RUNS, sizeof *w, bench_cmp_double);
  qsort(c, RUNS, sizeof *c, bench_cmp_double);
  printf(" s (wall/cpu); medians %.2f s wall, %.2f s cpu\n", w[RUNS / 2], c[RUNS / 2]);
  return SP_OK;
}

int main(void)
{
  gsl_set_error_handler_off();
  double load[3] = {0.0, 0.0, 0.0};
  getloadavg(load, 3);
  printf("1..3\n# load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  if (runs(SP_OVERLAP_INDEPENDENT, 1) || runs(SP_OVERLAP_EXACT, 2))
    return 1;
  sp_overlap_table *t = NULL;
  int s = sp_overlap_table_alloc(512, &t);
  static const double top[] = {1.5, 3.0, 5.0, 8.0};
  printf("ok 3 - overlap table T = 512 by panels (lambda <= top: wall/cpu, all threads):");
  for (int k = 0; k < 4 && !s; k++) {
    double t0 = bench_wall(), c0 = cpu();
    s = sp_overlap_table_build(t, top[k]);
    int nodes;
    sp_overlap_table_info(t, NULL, NULL, &nodes);
    printf(" %g: %.2f/%.2f s (%d nodes)", top[k], bench_wall() - t0, cpu() - c0, nodes);
  }
  printf("%s\n", s ? " FAILED" : "");
  sp_overlap_table_free(t);
  return s;
}
