/* Benchmark (meson test --benchmark): the default diagram's sweep with
 * finite-T statistics and the exact row overlap -- 201 x 201 (beta,
 * alpha-sa) points, depth 60 -- through the tables (the overlap table's
 * build timed apart), and its rho_L, E Y2 of block 1 and largest E Y2
 * against point-by-point direct evaluation (no workspace: the finite-T and
 * overlap quadratures at every block) at 200 random grid points.  Prints
 * figures; never fails on time.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "bench_util.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { N = 201 };

static double cpu(void)
{
  return (double)clock() / CLOCKS_PER_SEC;
}

static void model_at(sp_model *m, int i, int j)
{
  sp_model_default(m);
  m->stats = SP_STATS_FINITE;
  m->row_overlap = SP_OVERLAP_EXACT;
  m->depth = 60;
  m->beta = 5.0 * i / (N - 1.0);
  m->alpha_sa = 5.0 * j / (N - 1.0);
}

int main(void)
{
  gsl_set_error_handler_off();
  static sp_model row[N];
  static sp_summary sum[N * N];
  static int st[N];
  sp_workspace *w = NULL;
  sp_workspace_alloc(&w);
  sp_model m;
  model_at(&m, 0, 0);
  m.row_overlap = SP_OVERLAP_INDEPENDENT;
  double t0 = bench_wall(), c0 = cpu();
  int s = sp_workspace_prepare(w, &m); /* the finite-T table */
  double t1 = bench_wall(), c1 = cpu();
  m.row_overlap = SP_OVERLAP_EXACT;
  s = s ? s : sp_workspace_prepare(w, &m); /* the overlap table */
  double t2 = bench_wall(), c2 = cpu();
  int bad = 0;
  for (int j = 0; j < N && !s; j++) {
    for (int i = 0; i < N; i++)
      model_at(&row[i], i, j);
    sp_propagate_summary_batch(row, N, w, sum + (size_t)j * N, st);
    for (int i = 0; i < N; i++)
      bad += st[i] != 0;
  }
  double t3 = bench_wall(), c3 = cpu();
  printf("1..2\n");
  printf("ok 1 - finite-T table %.2f s (cpu %.2f), overlap table %.2f s (cpu %.2f, all "
         "threads), sweep 201 x 201 x 60 on one thread %.2f s (cpu %.2f); %d points failed\n",
         t1 - t0, c1 - c0, t2 - t1, c2 - c1, t3 - t2, c3 - c2, bad);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 16180339);
  double wr = 0.0, wy = 0.0, wm = 0.0;
  for (int k = 0; k < 200 && !s; k++) {
    int i = (int)gsl_rng_uniform_int(r, N), j = (int)gsl_rng_uniform_int(r, N);
    model_at(&m, i, j);
    double q = m.q0, p = m.rho0 * m.q0, y2f = 0.0, y2m = 0.0;
    for (long l = 1; l <= m.depth; l++) {
      sp_attn_stats a;
      if (sp_maps_block(&m, NULL, &q, &p, SP_REM_Y2, &a))
        break;
      if (l == 1)
        y2f = a.y2;
      y2m = a.y2 > y2m ? a.y2 : y2m;
    }
    const sp_summary *t = &sum[(size_t)j * N + (size_t)i];
    wr = fmax(wr, fabs(p / q - t->rho_final));
    wy = fmax(wy, fabs(y2f - t->y2_first));
    wm = fmax(wm, fabs(y2m - t->y2_max));
  }
  printf("ok 2 - against direct evaluation at 200 random points: worst |d rho_L| %.3g, "
         "|d y2_first| %.3g, |d y2_max| %.3g\n", wr, wy, wm);
  gsl_rng_free(r);
  sp_workspace_free(w);
  return s;
}
