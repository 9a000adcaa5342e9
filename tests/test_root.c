/* The private root finder (src/root.c): Brent's method to its tolerance,
 * the one non-convergence rule, bracketing scans, and every error path,
 * all with GSL's default error handler left on (it aborts): a callback's
 * NaN must come back as a status.  Also a contour whose refining function
 * is NaN between the grid nodes, through the public API.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "root.h"
#include "tap.h"

#include <math.h>

typedef struct {
  double shift;   /* f(x) = x^3 - shift */
  double nan_lo;  /* NaN (or inf) on (nan_lo, nan_hi) */
  double nan_hi;
  double bad;     /* the value returned there */
  int fail_at;    /* a status returned from the fail_at-th call on (0: never) */
  int calls;
  int step;       /* f = sign(x^3 - shift) instead */
} cubic;

static int cubic_fn(double x, void *arg, double *f)
{
  cubic *c = arg;
  c->calls++;
  if (c->fail_at && c->calls >= c->fail_at) {
    *f = NAN;
    return SP_EOVERFLOW;
  }
  *f = x > c->nan_lo && x < c->nan_hi ? c->bad : x * x * x - c->shift;
  if (c->step && isfinite(*f))
    *f = *f < 0.0 ? -1.0 : 1.0;
  return SP_OK;
}

static double cube(double x)
{
  return x * x * x;
}

static void brent(void)
{
  cubic c = {2.3719, 9.0, 9.0, NAN, 0, 0, 0};
  double lo = 0.713, hi = 3.117, r = 0.0;
  int s = sp_root_brent(cubic_fn, &c, lo, hi, cube(lo) - c.shift, cube(hi) - c.shift, 1e-13,
                        0.0, &r);
  tap_ok(s == SP_OK && fabs(r - cbrt(c.shift)) < 1e-13, "x^3 = 2.3719: root %.16f (cbrt "
         "%.16f) to 1e-13 in %d calls", r, cbrt(c.shift), c.calls);
  c.calls = 0;
  s = sp_root_brent(cubic_fn, &c, lo, hi, cube(lo) - c.shift, cube(hi) - c.shift, 0.0, 1e-9,
                    &r);
  tap_ok(s == SP_OK && fabs(r / cbrt(c.shift) - 1.0) < 2e-9, "relative tolerance 1e-9: %.12f",
         r);
  r = -7.0;
  tap_ok(sp_root_brent(cubic_fn, &c, lo, hi, 0.0, 1.0, 1e-12, 0.0, &r) == SP_OK && r == lo,
         "f(lo) = 0: lo");
  tap_ok(sp_root_brent(cubic_fn, &c, lo, hi, -1.0, 0.0, 1e-12, 0.0, &r) == SP_OK && r == hi,
         "f(hi) = 0: hi");
  tap_ok(sp_root_brent(cubic_fn, &c, lo, lo, 0.0, 0.0, 1e-12, 0.0, &r) == SP_OK && r == lo,
         "lo = hi with f = 0 there: lo");
  r = -7.0;
  tap_ok(sp_root_brent(cubic_fn, &c, lo, hi, 0.5, 1.5, 1e-12, 0.0, &r) == SP_ENOROOT
         && r == -7.0, "same signs: ENOROOT, root untouched");
  tap_ok(sp_root_brent(cubic_fn, &c, lo, lo, 0.5, 0.5, 1e-12, 0.0, &r) == SP_ENOROOT,
         "lo = hi, f != 0: ENOROOT");
  /* a jump: the bracket cannot shrink below one ulp of it, so it never
   * meets an absolute tolerance of 1e-300: the one non-convergence rule */
  c.calls = 0;
  c.step = 1;
  s = sp_root_brent(cubic_fn, &c, lo, hi, -1.0, 1.0, 1e-300, 0.0, &r);
  tap_ok(s == SP_ENOCONV && fabs(r - cbrt(c.shift)) < 1e-15 && c.calls <= SP_ROOT_MAX_ITER,
         "unreachable tolerance: ENOCONV after %d calls, last estimate %.16f", c.calls, r);
}

static void screening(void)
{
  double lo = 0.713, hi = 3.117, r = -7.0;
  /* NaN where Brent's first secant step lands: GSL would abort on it */
  cubic c = {2.3719, 0.75, 3.0, NAN, 0, 0, 0};
  int s = sp_root_brent(cubic_fn, &c, lo, hi, cube(lo) - c.shift, cube(hi) - c.shift, 1e-12,
                        0.0, &r);
  tap_ok(s == SP_EDOM && r == -7.0 && c.calls >= 1, "callback NaN inside the bracket: EDOM "
         "(no abort with GSL's default handler), after %d calls", c.calls);
  cubic ci = {2.3719, 0.75, 3.0, INFINITY, 0, 0, 0};
  s = sp_root_brent(cubic_fn, &ci, lo, hi, cube(lo) - ci.shift, cube(hi) - ci.shift, 1e-12,
                    0.0, &r);
  tap_ok(s == SP_EDOM, "callback +inf: EDOM");
  cubic cf = {2.3719, 9.0, 9.0, NAN, 2, 0, 0};
  s = sp_root_brent(cubic_fn, &cf, lo, hi, cube(lo) - cf.shift, cube(hi) - cf.shift, 1e-12,
                    0.0, &r);
  tap_ok(s == SP_EOVERFLOW && cf.calls == 2 && r == -7.0, "callback status passed on at once "
         "(%d calls), root untouched", cf.calls);
  /* an error after a few iterations leaves the root untouched as well */
  cubic cl = {2.3719, 9.0, 9.0, NAN, 5, 0, 0};
  s = sp_root_brent(cubic_fn, &cl, lo, hi, cube(lo) - cl.shift, cube(hi) - cl.shift, 1e-14,
                    0.0, &r);
  tap_ok(s == SP_EOVERFLOW && cl.calls == 5 && r == -7.0, "status at the 5th call: passed on, "
         "root untouched");
  tap_ok(sp_root_brent(cubic_fn, &c, lo, hi, NAN, 1.0, 1e-12, 0.0, &r) == SP_EDOM
         && sp_root_brent(cubic_fn, &c, lo, hi, -1.0, INFINITY, 1e-12, 0.0, &r) == SP_EDOM,
         "non-finite f(lo) or f(hi): EDOM");
  tap_ok(sp_root_brent(cubic_fn, &c, hi, lo, -1.0, 1.0, 1e-12, 0.0, &r) == SP_EDOM
         && sp_root_brent(cubic_fn, &c, NAN, hi, -1.0, 1.0, 1e-12, 0.0, &r) == SP_EDOM
         && sp_root_brent(cubic_fn, &c, lo, INFINITY, -1.0, 1.0, 1e-12, 0.0, &r) == SP_EDOM,
         "lo > hi, NaN or infinite end: EDOM");
  tap_ok(sp_root_brent(cubic_fn, &c, lo, hi, -1.0, 1.0, -1e-12, 0.0, &r) == SP_EDOM
         && sp_root_brent(cubic_fn, &c, lo, hi, -1.0, 1.0, 0.0, -1.0, &r) == SP_EDOM
         && sp_root_brent(cubic_fn, &c, lo, hi, -1.0, 1.0, 0.0, 0.0, &r) == SP_EDOM
         && sp_root_brent(cubic_fn, &c, lo, hi, -1.0, 1.0, NAN, 0.0, &r) == SP_EDOM,
         "negative, NaN or both-zero tolerances: EDOM");
  tap_ok(sp_root_brent(NULL, &c, lo, hi, -1.0, 1.0, 1e-12, 0.0, &r) == SP_EINVAL
         && sp_root_brent(cubic_fn, &c, lo, hi, -1.0, 1.0, 1e-12, 0.0, NULL) == SP_EINVAL,
         "NULL function or root: EINVAL");
}

static void scan(void)
{
  cubic c = {2.3719, 9.0, 9.0, NAN, 0, 0, 0};
  double a, b, fa, fb, lo = 0.713, hi = 3.117;
  int s = sp_root_scan(cubic_fn, &c, lo, hi, cube(lo) - c.shift, 7, &a, &b, &fa, &fb);
  tap_ok(s == SP_OK && a < cbrt(c.shift) && b > cbrt(c.shift) && fa < 0.0 && fb > 0.0
         && fabs(b - a - (hi - lo) / 7.0) < 1e-15 && c.calls == 2,
         "scan of 7 steps: bracket [%.4f, %.4f] after %d calls", a, b, c.calls);
  cubic z = {8.0, 9.0, 9.0, NAN, 0, 0, 0}; /* root 2 on the grid 1 + i/4 */
  s = sp_root_scan(cubic_fn, &z, 1.0, 3.0, -7.0, 8, &a, &b, &fa, &fb);
  tap_ok(s == SP_OK && b == 2.0 && fb == 0.0 && a == 1.75, "a grid point on the root: fb = 0");
  tap_ok(sp_root_scan(cubic_fn, &c, 1.5, 3.0, 1.0, 5, &a, &b, &fa, &fb) == SP_ENOROOT,
         "no sign change: ENOROOT");
  cubic n = {2.3719, 0.9, 1.0, NAN, 0, 0, 0};
  tap_ok(sp_root_scan(cubic_fn, &n, lo, hi, -1.0, 40, &a, &b, &fa, &fb) == SP_EDOM,
         "NaN met by the scan: EDOM");
  cubic f = {2.3719, 9.0, 9.0, NAN, 1, 0, 0};
  tap_ok(sp_root_scan(cubic_fn, &f, lo, hi, -1.0, 4, &a, &b, &fa, &fb) == SP_EOVERFLOW,
         "callback status passed on");
  tap_ok(sp_root_scan(cubic_fn, &c, lo, hi, 0.0, 4, &a, &b, &fa, &fb) == SP_EDOM
         && sp_root_scan(cubic_fn, &c, lo, hi, NAN, 4, &a, &b, &fa, &fb) == SP_EDOM
         && sp_root_scan(cubic_fn, &c, lo, hi, -1.0, 0, &a, &b, &fa, &fb) == SP_EDOM
         && sp_root_scan(cubic_fn, &c, hi, lo, -1.0, 4, &a, &b, &fa, &fb) == SP_EDOM
         && sp_root_scan(NULL, &c, lo, hi, -1.0, 4, &a, &b, &fa, &fb) == SP_EINVAL
         && sp_root_scan(cubic_fn, &c, lo, hi, -1.0, 4, &a, NULL, &fa, &fb) == SP_EINVAL,
         "scan argument errors");
}

/* A circle of radius 1.37 whose refining function is undefined (NaN)
 * off the grid nodes on a band of x: the crossings there keep linear
 * interpolation, and nothing reaches GSL's error handler. */
static int circle(double x, double y, void *arg, double *v)
{
  (void)arg;
  int node = fabs(x * 4.0 - round(x * 4.0)) < 1e-12;
  *v = !node && x > -0.6 && x < 0.45 ? NAN : x * x + y * y;
  return SP_OK;
}

static void contour_nan(void)
{
  enum { N = 13 };
  double x[N], y[N], z[N * N];
  for (int i = 0; i < N; i++)
    x[i] = y[i] = -1.5 + 0.25 * i;
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++)
      z[j * N + i] = x[i] * x[i] + y[j] * y[j];
  sp_contour c = {0, NULL};
  int s = sp_contour_lines(N, N, x, y, z, 1.37 * 1.37, circle, NULL, &c);
  double worst = 0.0;
  size_t nv = 0;
  for (size_t k = 0; s == SP_OK && k < c.n; k++)
    for (size_t i = 0; i < c.lines[k].n; i++, nv++)
      if (c.lines[k].x[i] <= -0.6 || c.lines[k].x[i] >= 0.45)
        worst = fmax(worst, fabs(hypot(c.lines[k].x[i], c.lines[k].y[i]) - 1.37));
  tap_ok(s == SP_OK && nv > 20 && worst < 1e-9, "contour with a NaN refining function on a "
         "band: status %d, %zu vertices, refined ones on the circle to %.1e", s, nv, worst);
  if (s == SP_OK)
    sp_contour_free(&c);
}

int main(void)
{
  /* GSL's default error handler stays on: it aborts the test if sigprop
   * ever lets GSL raise an error. */
  brent();
  screening();
  scan();
  contour_nan();
  return tap_done();
}
