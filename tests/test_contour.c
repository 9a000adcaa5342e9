/* Tests of the contour module: marching squares on analytic fields.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>

/* z = x^2 + y^2 on an n x n grid over [lo, lo + 3]. */
static void circle_grid(size_t n, double lo, double *x, double *y, double *z)
{
  double h = 3.0 / (double)(n - 1);
  for (size_t i = 0; i < n; i++)
    x[i] = y[i] = lo + h * (double)i;
  for (size_t j = 0; j < n; j++)
    for (size_t i = 0; i < n; i++)
      z[j * n + i] = x[i] * x[i] + y[j] * y[j];
}

static int radius2(double x, double y, void *arg, double *v)
{
  (void)arg;
  *v = x * x + y * y;
  return SP_OK;
}

/* Largest | |v| - r | over all vertices; *outside counts vertices with |v| > r. */
static double radial_error(const sp_contour *c, double r, size_t *outside)
{
  double e = 0.0;
  *outside = 0;
  for (size_t i = 0; i < c->n; i++)
    for (size_t k = 0; k < c->lines[i].n; k++) {
      double d = hypot(c->lines[i].x[k], c->lines[i].y[k]) - r;
      *outside += d > 1e-15;
      e = fmax(e, fabs(d));
    }
  return e;
}

/* Largest gap between consecutive vertices (to check the stitching). */
static double max_step(const sp_polyline *l)
{
  double s = 0.0;
  size_t nseg = l->closed ? l->n : l->n - 1;
  for (size_t k = 0; k < nseg; k++) {
    size_t b = (k + 1) % l->n;
    s = fmax(s, hypot(l->x[b] - l->x[k], l->y[b] - l->y[k]));
  }
  return s;
}

static void test_circle(void)
{
  const double r = 1.0, lo = -1.37;
  double err_prev = NAN;
  for (size_t n = 16; n <= 128; n *= 2) {
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *z = malloc(n * n * sizeof *z);
    circle_grid(n, lo, x, y, z);
    double h = x[1] - x[0];
    sp_contour c = {0, NULL};
    int s = sp_contour_lines(n, n, x, y, z, r * r, NULL, NULL, &c);
    tap_ok(s == SP_OK && c.n == 1 && c.lines[0].closed, "circle n=%zu: one closed curve", n);
    size_t outside;
    double err = radial_error(&c, r, &outside);
    /* Along an edge z is exactly quadratic with z'' = 2, so the linear
     * crossing has z(v) = (t h)(t h - h) in [-h^2/4, 0]: |v| <= r and
     * r - |v| <= h^2 / (4 (r + sqrt(r^2 - h^2/4))) ~ h^2 / (8 r). */
    double bound = h * h / (4.0 * (r + sqrt(r * r - h * h / 4.0)));
    tap_ok(err <= bound * (1.0 + 1e-9) && outside == 0,
           "circle n=%zu: every vertex within h^2/(8r) = %.3g of r (max %.3g, %zu outside)",
           n, bound, err, outside);
    tap_ok(c.n == 1 && max_step(&c.lines[0]) <= h * M_SQRT2 * (1.0 + 1e-12),
           "circle n=%zu: consecutive vertices share a cell", n);
    if (!isnan(err_prev))
      tap_ok(err_prev / err > 3.0 && err_prev / err < 5.0,
             "circle: error falls like h^2 (ratio %.2f on halving h)", err_prev / err);
    err_prev = err;
    sp_contour_free(&c);

    s = sp_contour_lines(n, n, x, y, z, r * r, radius2, NULL, &c);
    err = radial_error(&c, r, &outside);
    tap_ok(s == SP_OK && c.n == 1 && err < 1e-9 * h + 1e-14,
           "circle n=%zu refined by root finding: max |r - |v|| = %.3g", n, err);
    sp_contour_free(&c);
    free(x);
    free(y);
    free(z);
  }
}

static int saddle_offset(double x, double y, void *arg, double *v)
{
  *v = (x - 0.5) * (y - 0.5) + *(double *)arg;
  return SP_OK;
}

static void test_saddle(void)
{
  double x[2] = {0.0, 1.0}, y[2] = {0.0, 1.0};
  double z[4] = {0.25, -0.25, -0.25, 0.25}; /* z = (x - 1/2)(y - 1/2) */
  for (int k = 0; k < 2; k++) {
    double level = k ? -0.01 : 0.01;
    sp_contour c = {0, NULL};
    int s = sp_contour_lines(2, 2, x, y, z, level, NULL, NULL, &c);
    int ok = s == SP_OK && c.n == 2 && c.lines[0].n == 2 && c.lines[1].n == 2;
    /* Level 0.01: centre (z = 0) below, so the corners (0,0) and (1,1) are
     * cut off; crossings at 0.48 and 0.52.  Level -0.01: the other two. */
    for (size_t i = 0; ok && i < c.n; i++) {
      const sp_polyline *l = &c.lines[i];
      double mx = 0.5 * (l->x[0] + l->x[1]), my = 0.5 * (l->y[0] + l->y[1]);
      int corner_bl_tr = (mx < 0.5) == (my < 0.5);
      ok &= k ? !corner_bl_tr : corner_bl_tr;
      for (size_t v = 0; v < 2; v++) {
        /* On a vertical edge (x = 0 or 1) the crossing is in y. */
        double u = (l->x[v] == 0.0 || l->x[v] == 1.0) ? l->y[v] : l->x[v];
        ok &= fabs(fabs(u - 0.5) - 0.02) < 1e-12;
      }
    }
    tap_ok(ok, "saddle, level %g: asymptotic decider separates the right corners", level);
    sp_contour_free(&c);
  }
  /* With a function the decision follows f at the centre, not the samples:
   * f = bilinear + 0.02 is above 0.01 at the centre. */
  double off = 0.02;
  double z2[4] = {0.27, -0.23, -0.23, 0.27};
  sp_contour c = {0, NULL};
  int s = sp_contour_lines(2, 2, x, y, z2, 0.01, saddle_offset, &off, &c);
  int ok = s == SP_OK && c.n == 2;
  for (size_t i = 0; ok && i < c.n; i++) {
    double mx = 0.5 * (c.lines[i].x[0] + c.lines[i].x[1]);
    double my = 0.5 * (c.lines[i].y[0] + c.lines[i].y[1]);
    ok &= (mx < 0.5) != (my < 0.5);
  }
  tap_ok(ok, "saddle with a function: centre value decides (corners (1,0), (0,1) cut off)");
  sp_contour_free(&c);
}

static void test_topology(void)
{
  enum { N = 41 };
  double x[N], y[N], z[N * N];
  for (int i = 0; i < N; i++)
    x[i] = y[i] = -2.0 + 4.0 * i / (N - 1);
  /* Two bumps -> two loops; a plane -> one open line across the grid. */
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double a = hypot(x[i] + 1.0, y[j]), b = hypot(x[i] - 1.0, y[j]);
      z[j * N + i] = fmin(a, b);
    }
  sp_contour c = {0, NULL};
  int s = sp_contour_lines(N, N, x, y, z, 0.5, NULL, NULL, &c);
  tap_ok(s == SP_OK && c.n == 2 && c.lines[0].closed && c.lines[1].closed,
         "two bumps give two closed curves");
  sp_contour_free(&c);

  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++)
      z[j * N + i] = x[i] + 0.5 * y[j];
  s = sp_contour_lines(N, N, x, y, z, 0.1, NULL, NULL, &c);
  int ok = s == SP_OK && c.n == 1 && !c.lines[0].closed;
  if (ok) {
    const sp_polyline *l = &c.lines[0];
    double e = 0.0;
    for (size_t k = 0; k < l->n; k++)
      e = fmax(e, fabs(l->x[k] + 0.5 * l->y[k] - 0.1));
    ok &= e < 1e-12 && fabs(fabs(l->y[0]) - 2.0) < 1e-12 && fabs(fabs(l->y[l->n - 1]) - 2.0) < 1e-12;
  }
  tap_ok(ok, "a plane gives one open line, exact, with ends on the border");
  sp_contour_free(&c);

  /* A NaN sample opens the loop around it. */
  circle_grid(N, -1.53, x, y, z);
  size_t hole = 0;
  for (size_t j = 0; j < N && !hole; j++)
    for (size_t i = 0; i < N; i++)
      if (x[i] > 0.9 && fabs(y[j]) < 0.05) {
        hole = j * N + i;
        break;
      }
  z[hole] = NAN;
  s = sp_contour_lines(N, N, x, y, z, 1.0, NULL, NULL, &c);
  tap_ok(s == SP_OK && c.n == 1 && !c.lines[0].closed, "a NaN sample on the curve opens it");
  sp_contour_free(&c);

  tap_ok(sp_contour_lines(N, N, x, y, z, NAN, NULL, NULL, &c) == SP_EDOM, "NaN level: EDOM");
  double xbad[3] = {0.0, 1.0, 1.0};
  tap_ok(sp_contour_lines(3, 2, xbad, y, z, 0.0, NULL, NULL, &c) == SP_EINVAL,
         "non-increasing coordinates: EINVAL");
  tap_ok(sp_contour_lines(1, 2, x, y, z, 0.0, NULL, NULL, &c) == SP_EINVAL,
         "one column: EINVAL");
}

static int half_plane(double x, double y, void *arg, double *v)
{
  (void)y;
  (void)arg;
  *v = x;
  return SP_OK;
}

static int failing(double x, double y, void *arg, double *v)
{
  (void)x;
  (void)y;
  (void)arg;
  *v = 0.0;
  return SP_ENOMEM;
}

static void test_clip(void)
{
  enum { N = 64 };
  double x[N], y[N], z[N * N];
  circle_grid(N, -1.41, x, y, z);
  sp_contour c = {0, NULL};
  int s = sp_contour_lines(N, N, x, y, z, 1.0, radius2, NULL, &c);
  s = s ? s : sp_contour_clip(&c, half_plane, NULL, 0.0);
  int ok = s == SP_OK && c.n == 1 && !c.lines[0].closed;
  if (ok) {
    const sp_polyline *l = &c.lines[0];
    ok &= fabs(l->x[0]) < 1e-12 && fabs(l->x[l->n - 1]) < 1e-12;
    ok &= fabs(fabs(l->y[0]) - 1.0) < 1e-3 && fabs(fabs(l->y[l->n - 1]) - 1.0) < 1e-3;
    for (size_t k = 0; k < l->n; k++)
      ok &= l->x[k] <= 1e-12;
  }
  tap_ok(ok, "clipping a circle to x <= 0 leaves one open half, cut exactly at x = 0");
  sp_contour_free(&c);

  s = sp_contour_lines(N, N, x, y, z, 1.0, failing, NULL, &c);
  tap_ok(s == SP_ENOMEM && c.n == 0 && c.lines == NULL,
         "a failing function aborts with its status and no output");
}

int main(void)
{
  gsl_set_error_handler_off();
  test_circle();
  test_saddle();
  test_topology();
  test_clip();
  return tap_done();
}
