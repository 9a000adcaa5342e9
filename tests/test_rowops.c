/* The private row operations (src/rowops.c) against direct sums in long
 * double: the softmax's Jacobian on a row (its masked tail zeroed, its
 * result orthogonal to the constant row when a sums to 1) and column sums
 * with a leading dimension wider than the columns, in both precisions.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "rowops.h"
#include "tap.h"

enum { N = 11, NCOLS = 14, ROWS = 7, LD = 9, COLS = 6 };

/* A softmax row over the first N entries of scores s. */
static void softmax(const double *s, double *a)
{
  double z = 0.0;
  for (int u = 0; u < N; u++)
    z += exp(s[u]);
  for (int u = 0; u < N; u++)
    a[u] = exp(s[u]) / z;
}

int main(void)
{
  double s[N], a[N], g[NCOLS], want[N];
  float af[N], gf[NCOLS];
  for (int u = 0; u < N; u++)
    s[u] = sin(1.37 * u + 0.29) * 2.3;
  softmax(s, a);
  long double dot = 0.0L;
  for (int u = 0; u < NCOLS; u++)
    g[u] = cos(0.83 * u - 1.1) * 1.7;
  for (int u = 0; u < N; u++)
    dot += (long double)a[u] * g[u];
  for (int u = 0; u < N; u++)
    want[u] = (double)((long double)a[u] * ((long double)g[u] - dot));
  for (int u = 0; u < NCOLS; u++) {
    gf[u] = (float)g[u];
    if (u < N)
      af[u] = (float)a[u];
  }
  sp_rows_softmax_jac(a, g, N, NCOLS);
  sp_rows_softmax_jac(af, gf, N, NCOLS);
  double err = 0.0, errf = 0.0, sum = 0.0;
  int tail = 1;
  for (int u = 0; u < N; u++) {
    err = fmax(err, fabs(g[u] - want[u]));
    errf = fmax(errf, fabs((double)gf[u] - want[u]));
    sum += g[u];
  }
  for (int u = N; u < NCOLS; u++)
    tail &= g[u] == 0.0 && gf[u] == 0.0f;
  tap_ok(err < 1e-15, "softmax Jacobian, double: max error %.3g", err);
  tap_ok(errf < 1e-6, "softmax Jacobian, float: max error %.3g", errf);
  tap_close(sum, 0.0, 1e-15, "softmax Jacobian: the result sums to 0 (a sums to 1)");
  tap_ok(tail, "entries n..ncols-1 zeroed in both precisions");

  double m[ROWS * LD], colsum[COLS], colsumf[COLS];
  float mf[ROWS * LD];
  for (int i = 0; i < ROWS * LD; i++)
    mf[i] = (float)(m[i] = tan(0.41 * i + 0.07));
  sp_rows_colsum(m, ROWS, LD, COLS, colsum);
  sp_rows_colsum(mf, ROWS, LD, COLS, colsumf);
  double cerr = 0.0, cerrf = 0.0;
  for (int j = 0; j < COLS; j++) {
    long double w = 0.0L, wf = 0.0L;
    for (int t = 0; t < ROWS; t++) {
      w += m[t * LD + j];
      wf += mf[t * LD + j];
    }
    cerr = fmax(cerr, fabs(colsum[j] - (double)w));
    cerrf = fmax(cerrf, fabs(colsumf[j] - (double)wf));
  }
  tap_ok(cerr < 1e-13, "column sums, double: max error %.3g", cerr);
  tap_ok(cerrf < 1e-13, "column sums, float rows summed in double: max error %.3g", cerrf);
  return tap_done();
}
