/* Critical values by bracketing scan and Brent's method.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/critical.h"
#include "sigprop/status.h"
#include "root.h"

#include <math.h>

typedef struct {
  sp_model model;
  const sp_workspace *w;
  const sp_param *param;
  double rho_max;
} rho_problem;

static int rho_excess(double x, void *arg, double *f)
{
  rho_problem *pb = arg;
  sp_summary s;
  int st = sp_model_set(&pb->model, pb->param, x);
  if (!st)
    st = sp_propagate_summary(&pb->model, pb->w, &s);
  *f = st ? NAN : s.rho_final - pb->rho_max;
  return st;
}

int sp_critical_rho(const sp_model *m, const sp_workspace *w, const sp_param *param,
                    double rho_max, double lo, double hi, double xtol, double *root)
{
  if (!m || !param || !root)
    return SP_EINVAL;
  *root = NAN;
  if (param->kind != SP_PARAM_REAL)
    return SP_EINVAL;
  if (!(lo < hi) || !isfinite(lo) || !isfinite(hi) || !(xtol > 0.0) || !isfinite(rho_max))
    return SP_EDOM;
  if (lo < param->min || hi > param->max)
    return SP_EDOM;
  rho_problem pb = {*m, w, param, rho_max};
  double f0, a, b, fa, fb, r;
  int s = rho_excess(lo, &pb, &f0);
  if (s)
    return s;
  if (f0 <= 0.0) {
    *root = lo;
    return SP_ENOROOT;
  }
  if ((s = sp_root_scan(rho_excess, &pb, lo, hi, f0, SP_CRITICAL_SCAN, &a, &b, &fa, &fb)))
    return s;
  if ((s = sp_root_brent(rho_excess, &pb, a, b, fa, fb, xtol, 0.0, &r)))
    return s;
  *root = r;
  return SP_OK;
}

int sp_critical_depth(const sp_model *m, const sp_workspace *w, double rho_max, long lo,
                      long hi, long *depth)
{
  if (!m || !depth)
    return SP_EINVAL;
  if (lo < 1 || hi < lo || hi > SP_MAX_DEPTH || !isfinite(rho_max))
    return SP_EDOM;
  int s = sp_model_validate(m, NULL);
  if (s)
    return s;
  double q = m->q0, p = m->rho0 * m->q0;
  for (long l = 1; l <= hi; l++) {
    if ((s = sp_maps_block(m, w, &q, &p, SP_REM_Y2, NULL)))
      return s;
    if (p / q > rho_max) {
      if (l - 1 < lo)
        return SP_ENOROOT;
      *depth = l - 1;
      return SP_OK;
    }
  }
  *depth = hi;
  return SP_ENOROOT;
}
