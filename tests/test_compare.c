/* Comparing simulation with theory (compare.h): deviations, the worst
 * index, the ratio of means and its delta-method error, the onset of a
 * swept curve; every error path.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static void deviation(void)
{
  double dev, z;
  tap_ok(sp_compare_deviation(0.7316, 0.0213, 0.6981, &dev, &z) == SP_OK, "deviation: SP_OK");
  tap_close(dev, 0.7316 - 0.6981, 1e-15, "dev = sim - theory");
  tap_close(z, (0.7316 - 0.6981) / 0.0213, 1e-12, "z = dev / se");
  sp_compare_deviation(0.4127, 0.0, 0.3894, &dev, &z);
  tap_ok(isnan(z) && fabs(dev - 0.0233) < 1e-12, "se = 0 (one network): z NaN, dev kept");
  sp_compare_deviation(0.4127, NAN, 0.3894, &dev, &z);
  tap_ok(isnan(z), "se NaN: z NaN");
  sp_compare_deviation(0.4127, INFINITY, 0.3894, &dev, &z);
  tap_ok(isnan(z), "se infinite: z NaN");
  sp_compare_deviation(NAN, 0.01, 0.3894, &dev, &z);
  tap_ok(isnan(dev) && isnan(z), "sim NaN: dev and z NaN");
  tap_ok(sp_compare_deviation(1.0, 1.0, 1.0, NULL, &z) == SP_EINVAL, "NULL dev: SP_EINVAL");
  tap_ok(sp_compare_deviation(1.0, 1.0, 1.0, &dev, NULL) == SP_EINVAL, "NULL z: SP_EINVAL");
}

static void worst(void)
{
  sp_compare_worst w;
  sp_compare_worst_init(&w);
  tap_ok(w.index_dev == -1 && w.index_z == -1, "worst: empty at start");
  static const double dev[6] = {0.0131, -0.0472, NAN, 0.0389, 0.0472, -0.0207};
  static const double z[6] = {0.83, -1.17, 2.94, NAN, 3.61, -3.61};
  for (long l = 0; l < 6; l++)
    sp_compare_worst_add(&w, l + 1, dev[l], z[l]);
  tap_ok(w.index_dev == 2 && w.dev == -0.0472 && w.dev_z == -1.17,
         "largest |dev| at index 2 (a tie keeps the earlier one), its z with it");
  tap_ok(w.index_z == 5 && w.z == 3.61 && w.z_dev == 0.0472,
         "largest |z| at index 5 (a tie later keeps it), its dev with it");
  sp_compare_worst_init(&w);
  sp_compare_worst_add(&w, 7, NAN, NAN);
  tap_ok(w.index_dev == -1 && w.index_z == -1, "non-finite values are skipped");
}

static void ratio(gsl_rng *rng)
{
  enum { N = 4000 };
  static double a[N], b[N];
  /* b ~ N(2.37, 0.31^2), a = 0.613 b + N(0, 0.097^2): r -> 0.613 */
  for (int k = 0; k < N; k++) {
    b[k] = 2.37 + gsl_ran_gaussian(rng, 0.31);
    a[k] = 0.613 * b[k] + gsl_ran_gaussian(rng, 0.097);
  }
  double r, se;
  tap_ok(sp_compare_ratio_of_means(a, b, N, &r, &se) == SP_OK, "ratio of means: SP_OK");
  double ma = 0.0, mb = 0.0;
  for (int k = 0; k < N; k++)
    ma += a[k], mb += b[k];
  tap_close(r, ma / mb, 1e-14, "r = sum a / sum b");
  /* delta method by hand: var(a - r b) / (n mean(b)^2) */
  double m = 0.0, v = 0.0;
  for (int k = 0; k < N; k++)
    m += a[k] - r * b[k];
  m /= N;
  for (int k = 0; k < N; k++)
    v += (a[k] - r * b[k] - m) * (a[k] - r * b[k] - m);
  v /= N - 1;
  tap_close(se, sqrt(v / N) / (mb / N), 1e-12, "se = sd(a - r b) / (sqrt(n) mean b)");
  tap_close(r, 0.613, 4.0 * se, "r within 4 standard errors of the true 0.613 (se %.2g)", se);
  /* Empirical check of the error: 400 repetitions of n = 25. */
  double sum = 0.0, sum2 = 0.0, mse = 0.0;
  for (int rep = 0; rep < 400; rep++) {
    for (int k = 0; k < 25; k++) {
      b[k] = 2.37 + gsl_ran_gaussian(rng, 0.31);
      a[k] = 0.613 * b[k] + gsl_ran_gaussian(rng, 0.097);
    }
    sp_compare_ratio_of_means(a, b, 25, &r, &se);
    sum += r;
    sum2 += r * r;
    mse += se * se;
  }
  double sd = sqrt((sum2 - sum * sum / 400.0) / 399.0), rms = sqrt(mse / 400.0);
  tap_ok(sd / rms > 0.85 && sd / rms < 1.15,
         "the spread of r over repetitions (%.4g) matches the delta-method se (%.4g)", sd, rms);
  double one[1] = {1.7}, zero[2] = {0.0, 0.0}, two[2] = {1.3, 2.9};
  sp_compare_ratio_of_means(one, one, 1, &r, &se);
  tap_ok(r == 1.0 && isnan(se), "one sample: r, se NaN");
  sp_compare_ratio_of_means(two, zero, 2, &r, &se);
  tap_ok(isnan(r) && isnan(se), "mean(b) = 0: r and se NaN");
  tap_ok(sp_compare_ratio_of_means(a, b, 0, &r, &se) == SP_EINVAL, "n = 0: SP_EINVAL");
  tap_ok(sp_compare_ratio_of_means(NULL, b, 3, &r, &se) == SP_EINVAL, "NULL a: SP_EINVAL");
  tap_ok(sp_compare_ratio_of_means(a, b, 3, &r, NULL) == SP_EINVAL, "NULL se: SP_EINVAL");
}

static void onset(void)
{
  /* y = x^3 on a log grid: frac 0.01 of the top at x = 0.01^(1/3) x_max */
  double x[9], y[9], xo;
  int first;
  for (int i = 0; i < 9; i++) {
    x[i] = 0.05 * pow(60.0, i / 8.0);
    y[i] = x[i] * x[i] * x[i];
  }
  tap_ok(sp_compare_onset(x, y, 9, 0.01, &xo, &first) == SP_OK && !first, "onset: SP_OK");
  tap_close(xo, cbrt(0.01) * x[8], 1e-12 * x[8], "a power law is interpolated exactly in logs");
  /* linear interpolation when the point below is zero */
  double xl[4] = {0.0, 0.5, 1.0, 1.5}, yl[4] = {0.0, 0.0, 0.36, 0.72};
  sp_compare_onset(xl, yl, 4, 0.25, &xo, &first);
  tap_close(xo, 0.5 + 0.5 * 0.18 / 0.36, 1e-15, "from y = 0: linear interpolation");
  double yf[3] = {0.9, 0.4, 0.2};
  sp_compare_onset(xl, yf, 3, 0.3, &xo, &first);
  tap_ok(first && xo == 0.0, "the first point already above: at_first, x[0]");
  double yz[3] = {0.0, -1.0, NAN};
  tap_ok(sp_compare_onset(xl, yz, 3, 0.3, &xo, &first) == SP_ENOROOT, "no positive y: SP_ENOROOT");
  tap_ok(sp_compare_onset(xl, yl, 4, 0.0, &xo, &first) == SP_EDOM, "frac 0: SP_EDOM");
  tap_ok(sp_compare_onset(xl, yl, 4, 1.0, &xo, &first) == SP_EDOM, "frac 1: SP_EDOM");
  tap_ok(sp_compare_onset(xl, yl, 4, NAN, &xo, &first) == SP_EDOM, "frac NaN: SP_EDOM");
  tap_ok(sp_compare_onset(xl, yl, 0, 0.5, &xo, &first) == SP_EINVAL, "n = 0: SP_EINVAL");
  tap_ok(sp_compare_onset(NULL, yl, 4, 0.5, &xo, &first) == SP_EINVAL, "NULL x: SP_EINVAL");
  tap_ok(sp_compare_onset(xl, yl, 4, 0.5, &xo, NULL) == SP_EINVAL, "NULL at_first: SP_EINVAL");
}

int main(void)
{
  gsl_set_error_handler_off();
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 8317);
  deviation();
  worst();
  ratio(rng);
  onset();
  gsl_rng_free(rng);
  return tap_done();
}
