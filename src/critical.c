/* Critical values by bracketing scan and Brent's method.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/critical.h"
#include "sigprop/status.h"

#include <math.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

typedef struct {
  sp_model model;
  const sp_workspace *w;
  const sp_param *param;
  double rho_max;
  int status; /* first propagation error seen inside the solver */
} rho_problem;

static double rho_excess(double x, void *arg)
{
  rho_problem *pb = arg;
  sp_summary s;
  int st = sp_model_set(&pb->model, pb->param, x);
  if (!st)
    st = sp_propagate_summary(&pb->model, pb->w, &s);
  if (st) {
    if (!pb->status)
      pb->status = st;
    return NAN;
  }
  return s.rho_final - pb->rho_max;
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
  rho_problem pb = {*m, w, param, rho_max, SP_OK};

  double xprev = lo, fprev = rho_excess(lo, &pb);
  if (pb.status)
    return pb.status;
  if (fprev <= 0.0) {
    *root = lo;
    return SP_ENOROOT;
  }
  double a = NAN, b = NAN;
  for (int i = 1; i <= SP_CRITICAL_SCAN; i++) {
    double x = lo + (hi - lo) * (double)i / SP_CRITICAL_SCAN;
    double f = rho_excess(x, &pb);
    if (pb.status)
      return pb.status;
    if (f <= 0.0) {
      a = xprev;
      b = x;
      if (f == 0.0) {
        *root = x;
        return SP_OK;
      }
      break;
    }
    xprev = x;
    fprev = f;
  }
  if (isnan(a))
    return SP_ENOROOT;

  gsl_function F = {rho_excess, &pb};
  gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!solver)
    return SP_ENOMEM;
  int status = gsl_root_fsolver_set(solver, &F, a, b);
  int iter = 0;
  double r = 0.5 * (a + b);
  while (status == GSL_SUCCESS && iter++ < 200) {
    status = gsl_root_fsolver_iterate(solver);
    if (pb.status || status != GSL_SUCCESS)
      break;
    r = gsl_root_fsolver_root(solver);
    status = gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                    gsl_root_fsolver_x_upper(solver), xtol, 0.0);
    if (status == GSL_SUCCESS)
      break;
    if (status == GSL_CONTINUE)
      status = GSL_SUCCESS;
    else
      break;
  }
  int converged = status == GSL_SUCCESS && iter <= 200;
  gsl_root_fsolver_free(solver);
  if (pb.status)
    return pb.status;
  if (!converged)
    return SP_ENOCONV;
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
    if ((s = sp_block(m, w, &q, &p, SP_REM_Y2, NULL)))
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
