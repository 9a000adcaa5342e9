/* The Gaussian kernels of the smooth activations over their whole domain:
 * variances 1e-8 .. 1e12 and correlations -1 .. 1, against an adaptive
 * Gauss-Kronrod reference split at the activation's bend, and the cost of
 * one kernel bounded.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <time.h>

#define LIMIT 1000
/* Tolerance of the comparison, relative to E[f^2] (f = phi or phi'):
 * the rule aims at SP_GAUSS_TOL = 1e-11; the reference's own error is
 * below 1e-11 of the same scale. */
#define TOL 1e-9

static gsl_integration_workspace *wi, *wo;

typedef struct {
  sp_activation act;
  int deriv;       /* 0 phi, 1 phi' */
  double aw, b, m; /* u = aw w + b z; m = aw w at the current outer node */
} ref;

static double fval(const ref *r, double u)
{
  return r->deriv ? sp_activation_dphi(r->act, 1.0, u) : sp_activation_phi(r->act, 1.0, u);
}

/* Integrand of psi in x = b z. */
static double inner_f(double x, void *p)
{
  const ref *r = p;
  double z = x / r->b;
  return exp(-0.5 * z * z) / (sqrt(2.0 * M_PI) * r->b) * fval(r, r->m + x);
}

/* Breakpoints: the ends +-L, the bend at `at` and points 1, 4 and 16
 * widths `wd` either side of it, those inside (-L, L), sorted. */
static size_t breakpoints(double L, double at, double wd, double *pts)
{
  const double off[] = {-16.0, -4.0, -1.0, 0.0, 1.0, 4.0, 16.0};
  size_t n = 0;
  pts[n++] = -L;
  for (int i = 0; i < 7; i++) {
    double x = at + off[i] * wd;
    if (x > -L && x < L && x > pts[n - 1])
      pts[n++] = x;
  }
  pts[n++] = L;
  return n;
}

/* psi(w) = E_z f(aw w + b z) (f itself when b = 0). */
static double psi(void *arg, double w)
{
  ref *r = arg;
  r->m = r->aw * w;
  if (r->b == 0.0)
    return fval(r, r->m);
  gsl_function F = {inner_f, r};
  double pts[9], v, e;
  size_t n = breakpoints(10.0 * r->b, -r->m, 1.0, pts);
  gsl_integration_qagp(&F, pts, n, 1e-300, 1e-12, LIMIT, wi, &v, &e);
  return v;
}

/* E[f(u) f(v)] for Var u = Var v = q1, Cov = p1 (f = phi or phi'). */
static double ref_pair(sp_activation act, int deriv, double q1, double p1)
{
  ref r = {act, deriv, sqrt(fabs(p1)), sqrt(q1 - fabs(p1)), 0.0};
  tu_outer o = {psi, &r, p1 < 0.0};
  gsl_function F = {tu_outer_f, &o};
  double pts[9], v, e;
  double wd = r.aw > 0.0 ? fmax(1.0, r.b) / r.aw : 1.0;
  size_t n = breakpoints(10.0, 0.0, wd, pts);
  gsl_integration_qagp(&F, pts, n, 1e-300, 1e-11, LIMIT, wo, &v, &e);
  return v;
}

static const double qs[] = {1e-8, 2.7e-5, 3.1e-2, 0.83, 47.0, 3.9e3, 6.1e5, 8.3e7, 1e12};
static const double cs[] = {-1.0, -0.999999, -0.71, -0.23, 0.0, 0.37, 0.86, 0.9987,
                            1.0 - 3e-7, 1.0};
#define NQ (sizeof qs / sizeof qs[0])
#define NC (sizeof cs / sizeof cs[0])

static double seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Every (q1, c) of the grid: E phi^2, E phi phi, the gap, E phi' phi'
 * against the reference; the largest time of one sp_gauss_kernel(). */
static void whole_domain(sp_activation act)
{
  double worst = 0.0, slowest = 0.0, wq = 0.0, wc = 0.0;
  int fails = 0;
  for (size_t i = 0; i < NQ; i++) {
    double q1 = qs[i], r2 = ref_pair(act, 0, q1, q1), rd2 = ref_pair(act, 1, q1, q1);
    for (size_t j = 0; j < NC; j++) {
      double p1 = cs[j] * q1, t0 = seconds(), ed;
      sp_kernel k;
      int s = sp_gauss_kernel(act, 1.0, q1, p1, &k);
      slowest = fmax(slowest, seconds() - t0);
      s |= sp_gauss_dphi_pair(act, 1.0, q1, p1, &ed);
      double rp = ref_pair(act, 0, q1, p1), rdp = ref_pair(act, 1, q1, p1);
      double e = fmax(fabs(k.phi2 - r2), fmax(fabs(k.phiphi - rp), fabs(k.gap - (r2 - rp)))) / r2;
      e = fmax(e, fabs(ed - rdp) / rd2);
      if (s)
        fails++, e = INFINITY;
      if (e > TOL)
        tap_diag("%s q1 %g c %.9g: phiphi %.17g (ref %.17g) phi'phi' %.17g (ref %.17g) status %d",
                 sp_activation_name(act), q1, cs[j], k.phiphi, rp, ed, rdp, s);
      if (e > worst)
        worst = e, wq = q1, wc = cs[j];
    }
  }
  tap_ok(worst <= TOL && !fails, "%s: E phi^2, E phi phi, gap, E phi' phi' at %zu variances "
         "1e-8 .. 1e12 x %zu correlations -1 .. 1 within %.1e of E[f^2] of the adaptive "
         "reference (worst %.1e at q1 %g, c %.9g)", sp_activation_name(act), NQ, NC, TOL, worst,
         wq, wc);
  tap_diag("%s: slowest kernel %.1f ms", sp_activation_name(act), 1e3 * slowest);
}

/* Near c = 1 the gap follows Price's theorem, gap = d1 E[phi'^2] (1 +
 * O(d1)) for d1 = q1 - p1 small in the argument's units, at every
 * variance. */
static void gap_at_every_scale(sp_activation act)
{
  double worst = 0.0;
  for (size_t i = 0; i < NQ; i++) {
    double q1 = qs[i], d1 = 3.3e-9 * fmin(1.0, q1), d2;
    sp_kernel k;
    int s = sp_gauss_kernel_d(act, 1.0, q1, d1, &k) | sp_gauss_dphi2(act, 1.0, q1, &d2);
    double e = s ? INFINITY : fabs(k.gap / (d1 * d2) - 1.0);
    worst = fmax(worst, e);
  }
  tap_ok(worst < 1e-6, "%s: gap at q1 - p1 = 3.3e-9 min(1, q1) is (q1 - p1) E[phi'^2] to %.1e "
         "at every variance", sp_activation_name(act), worst);
}

int main(void)
{
  gsl_set_error_handler_off();
  wi = gsl_integration_workspace_alloc(LIMIT);
  wo = gsl_integration_workspace_alloc(LIMIT);
  /* erf: its closed forms checked over the same domain */
  const sp_activation acts[] = {SP_ACT_TANH, SP_ACT_GELU, SP_ACT_SILU, SP_ACT_ERF};
  for (int a = 0; a < 4; a++) {
    whole_domain(acts[a]);
    gap_at_every_scale(acts[a]);
  }
  gsl_integration_workspace_free(wi);
  gsl_integration_workspace_free(wo);
  return tap_done();
}
