/* The default diagram (201 x 201 (beta, alpha-sa) points, depth 60) with
 * finite-T statistics and the exact row overlap, swept through the shared
 * workspace and its lazily built tables on the default threads, against
 * point-by-point evaluation without any table (the finite-T and overlap
 * quadratures at every block) at 200 random grid points.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

enum { N = 201, POINTS = 200 };

/* rho_L, block 1's E Y2 and the largest E Y2 of model m, every block by
 * the quadratures (no workspace). */
static int direct(const sp_model *m, double *rho, double *y2_first, double *y2_max)
{
  double q = m->q0, p = m->rho0 * m->q0;
  *y2_first = *y2_max = 0.0;
  for (long l = 1; l <= m->depth; l++) {
    sp_attn_stats a;
    int s = sp_maps_block(m, NULL, &q, &p, SP_REM_Y2, &a);
    if (s)
      return s;
    if (l == 1)
      *y2_first = a.y2;
    *y2_max = a.y2 > *y2_max ? a.y2 : *y2_max;
  }
  *rho = p / q;
  return SP_OK;
}

int main(void)
{
  gsl_set_error_handler_off();
  sp_model m;
  sp_axis x, y;
  tu_overlap_grid(SP_OVERLAP_EXACT, N, &m, &x, &y);
  sp_diagram *d = NULL;
  int s = sp_diagram_alloc(&m, &x, &y, NULL, &d);
  s = s ? s : sp_diagram_sweep(d);
  const sp_diagram_data *v = sp_diagram_view(d);
  size_t undefined = v ? v->count[SP_CLASS_UNDEFINED] : 0;
  tap_ok(s == SP_OK && undefined == 0, "201 x 201 x 60 swept with the exact overlap (%zu "
         "undefined)", undefined);
  if (s) {
    sp_diagram_free(d);
    return tap_done();
  }
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 31415926);
  double wr = 0.0, wf = 0.0, wm = 0.0;
  int bad = 0;
  for (int k = 0; k < POINTS; k++) {
    size_t i = gsl_rng_uniform_int(r, N), j = gsl_rng_uniform_int(r, N);
    const sp_diagram_point *pt = &v->pt[j * N + i];
    sp_model mk = m;
    mk.beta = pt->x;
    mk.alpha_sa = pt->y;
    double rho, y2f, y2m;
    if (direct(&mk, &rho, &y2f, &y2m)) {
      bad++;
      continue;
    }
    wr = fmax(wr, fabs(rho - pt->rho_final));
    wf = fmax(wf, fabs(y2f - pt->y2_first));
    wm = fmax(wm, fabs(y2m - pt->y2_max));
  }
  /* E O and E Y2 within 1e-6 a block (the tables' stated errors); rho_L
   * after 60 blocks within 1e-5. */
  tap_ok(bad == 0 && wr <= 1e-5, "rho_L against direct evaluation at %d random points: worst "
         "|d| %.3g", POINTS, wr);
  tap_ok(bad == 0 && wf <= 1e-6 && wm <= 1e-6, "E Y2 of block 1 and largest: worst |d| %.3g "
         "and %.3g", wf, wm);
  gsl_rng_free(r);
  sp_diagram_free(d);
  return tap_done();
}
