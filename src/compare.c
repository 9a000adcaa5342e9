/* Comparing simulated estimates with the theory: deviations, the worst
 * layer, a ratio of means, the onset of a swept curve.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/compare.h"
#include "sigprop/status.h"

#include <math.h>

int sp_compare_deviation(double sim, double se, double theory, double *dev, double *z)
{
  if (!dev || !z)
    return SP_EINVAL;
  *dev = sim - theory;
  *z = se > 0.0 && isfinite(se) ? *dev / se : NAN;
  return SP_OK;
}

void sp_compare_worst_init(sp_compare_worst *w)
{
  *w = (sp_compare_worst){-1, -1, 0.0, 0.0, 0.0, 0.0};
}

void sp_compare_worst_add(sp_compare_worst *w, long index, double dev, double z)
{
  if (isfinite(dev) && (w->index_dev < 0 || fabs(dev) > fabs(w->dev))) {
    w->index_dev = index;
    w->dev = dev;
    w->dev_z = z;
  }
  if (isfinite(z) && (w->index_z < 0 || fabs(z) > fabs(w->z))) {
    w->index_z = index;
    w->z = z;
    w->z_dev = dev;
  }
}

int sp_compare_ratio_of_means(const double *a, const double *b, size_t n, double *r,
                              double *se)
{
  if (!a || !b || !r || !se || n == 0)
    return SP_EINVAL;
  double ma = 0.0, mb = 0.0;
  for (size_t k = 0; k < n; k++) {
    ma += a[k];
    mb += b[k];
  }
  ma /= (double)n;
  mb /= (double)n;
  *r = mb != 0.0 ? ma / mb : NAN;
  *se = NAN;
  if (n < 2 || !isfinite(*r))
    return SP_OK;
  double saa = 0.0, sbb = 0.0, sab = 0.0;
  for (size_t k = 0; k < n; k++) {
    double da = a[k] - ma, db = b[k] - mb;
    saa += da * da;
    sbb += db * db;
    sab += da * db;
  }
  double v = (saa - 2.0 * *r * sab + *r * *r * sbb) / (double)(n - 1) / (mb * mb);
  *se = sqrt((v > 0.0 ? v : 0.0) / (double)n);
  return SP_OK;
}

int sp_compare_onset(const double *x, const double *y, size_t n, double frac, double *x_on,
                     int *at_first)
{
  if (!x || !y || !x_on || !at_first || n == 0)
    return SP_EINVAL;
  if (!(frac > 0.0 && frac < 1.0))
    return SP_EDOM;
  *at_first = 0;
  *x_on = NAN;
  double top = 0.0;
  for (size_t i = 0; i < n; i++)
    if (y[i] > top)
      top = y[i];
  if (!(top > 0.0))
    return SP_ENOROOT;
  double thr = frac * top;
  size_t i = 0;
  while (!(y[i] >= thr))
    i++;
  if (i == 0) {
    *at_first = 1;
    *x_on = x[0];
    return SP_OK;
  }
  double a = y[i - 1], b = y[i];
  if (a > 0.0 && x[i - 1] > 0.0) {
    double t = (log(thr) - log(a)) / (log(b) - log(a));
    *x_on = exp(log(x[i - 1]) + t * (log(x[i]) - log(x[i - 1])));
  } else {
    double a0 = a > 0.0 ? a : 0.0, t = (thr - a0) / (b - a0);
    *x_on = x[i - 1] + t * (x[i] - x[i - 1]);
  }
  return SP_OK;
}
