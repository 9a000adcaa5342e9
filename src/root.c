/* Bracketing and Brent's method, the library's one root finder.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "root.h"

#include "sigprop/status.h"

#include <math.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

/* The function as GSL sees it: the bracket ends served from the caller's
 * values, every other value screened.  After an error or a non-finite
 * value it returns 0 (finite, so GSL raises nothing) and the solver stops
 * at the next check of `status`. */
typedef struct {
  sp_root_fn f;
  void *arg;
  double lo, hi, flo, fhi;
  int status;
} screened;

static double screened_fn(double x, void *p)
{
  screened *s = p;
  if (s->status)
    return 0.0;
  if (x == s->lo)
    return s->flo;
  if (x == s->hi)
    return s->fhi;
  double v = NAN;
  int st = s->f(x, s->arg, &v);
  if (st == SP_OK && !isfinite(v))
    st = SP_EDOM;
  if (st) {
    s->status = st;
    return 0.0;
  }
  return v;
}

int sp_root_brent(sp_root_fn f, void *arg, double lo, double hi, double flo, double fhi,
                  double xabs, double xrel, double *root)
{
  if (!f || !root)
    return SP_EINVAL;
  if (!(lo <= hi) || !isfinite(lo) || !isfinite(hi) || !isfinite(flo) || !isfinite(fhi)
      || !(xabs >= 0.0) || !(xrel >= 0.0) || !(xabs > 0.0 || xrel > 0.0))
    return SP_EDOM;
  if (flo == 0.0 || fhi == 0.0) {
    *root = flo == 0.0 ? lo : hi;
    return SP_OK;
  }
  if ((flo < 0.0) == (fhi < 0.0))
    return SP_ENOROOT;
  gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!solver)
    return SP_ENOMEM;
  screened s = {f, arg, lo, hi, flo, fhi, SP_OK};
  gsl_function F = {screened_fn, &s};
  int status = gsl_root_fsolver_set(solver, &F, lo, hi) == GSL_SUCCESS ? SP_ENOCONV : SP_EDOM;
  double r = NAN;
  for (int iter = 0; status == SP_ENOCONV && iter < SP_ROOT_MAX_ITER; iter++) {
    if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS || s.status) {
      status = s.status ? s.status : SP_EDOM;
      break;
    }
    r = gsl_root_fsolver_root(solver);
    int t = gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                   gsl_root_fsolver_x_upper(solver), xabs, xrel);
    if (t == GSL_SUCCESS)
      status = SP_OK;
    else if (t != GSL_CONTINUE)
      status = SP_EDOM;
  }
  gsl_root_fsolver_free(solver);
  if (status == SP_OK || status == SP_ENOCONV)
    *root = r;
  return status;
}

int sp_root_scan(sp_root_fn f, void *arg, double lo, double hi, double f0, int n, double *a,
                 double *b, double *fa, double *fb)
{
  if (!f || !a || !b || !fa || !fb)
    return SP_EINVAL;
  if (!(lo <= hi) || !isfinite(lo) || !isfinite(hi) || !isfinite(f0) || f0 == 0.0 || n < 1)
    return SP_EDOM;
  double xp = lo, fp = f0;
  for (int i = 1; i <= n; i++) {
    double x = lo + (hi - lo) * (double)i / (double)n, v = NAN;
    int s = f(x, arg, &v);
    if (s)
      return s;
    if (!isfinite(v))
      return SP_EDOM;
    if (v == 0.0 || (v < 0.0) != (fp < 0.0)) {
      *a = xp, *b = x, *fa = fp, *fb = v;
      return SP_OK;
    }
    xp = x;
    fp = v;
  }
  return SP_ENOROOT;
}
