/* sigprop: comparing simulated estimates with the theory (theory.md §12):
 * deviations in standard errors, the worst layer, a ratio of means with its
 * delta-method standard error, and where a swept curve switches on.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_COMPARE_H
#define SIGPROP_COMPARE_H

#include "sigprop/export.h"
#include <stddef.h>

SP_BEGIN_DECLS

/** Deviation of a simulated mean from the theory, dev = sim - theory, and
 * the same in standard errors, z = dev / se.  *z is NaN when se is not
 * positive and finite (one network has no standard error); *dev is NaN
 * when sim or theory is.  SP_EINVAL for NULL outputs. */
int sp_compare_deviation(double sim, double se, double theory, double *dev, double *z);

/** The largest deviations over a series (e.g. the layers of a network):
 * the index with the largest |dev| (and the z there), and the index with
 * the largest |z| (and the dev there); an index is -1 while no finite value
 * has been seen.  Start with sp_compare_worst_init. */
typedef struct {
  long index_dev; /**< index of the largest |dev|, or -1 */
  long index_z;   /**< index of the largest |z|, or -1 */
  double dev;     /**< the largest-|dev| deviation */
  double dev_z;   /**< its z (NaN without a standard error) */
  double z;       /**< the largest-|z| z */
  double z_dev;   /**< its deviation */
} sp_compare_worst;

/** Empty: both indices -1, values 0. */
void sp_compare_worst_init(sp_compare_worst *w);

/** Take (dev, z) at `index` into account; non-finite values are skipped
 * (each on its own), and ties keep the earlier index. */
void sp_compare_worst_add(sp_compare_worst *w, long index, double dev, double z);

/** Ratio of means r = mean(a) / mean(b) over n paired samples (e.g. one
 * per network) and its delta-method standard error
 *   se^2 = [var(a) - 2 r cov(a, b) + r^2 var(b)] / (n mean(b)^2)
 * with the n - 1 sample (co)variances (a negative estimate counts as 0).
 * *r is NaN when mean(b) = 0, *se NaN for n = 1 or a ratio that is not
 * finite.  SP_EINVAL for NULL
 * pointers or n = 0. */
int sp_compare_ratio_of_means(const double *a, const double *b, size_t n, double *r,
                              double *se);

/** Where the values y[i] at increasing x[i] (i < n) first reach `frac`
 * times their largest value: *x_on interpolated between the two points that
 * straddle the threshold, in (log x, log y) when the point below has x > 0
 * and y > 0, else linearly.  *at_first = 1 (and *x_on = x[0]) when the
 * first point already reaches it.  SP_ENOROOT when no y is positive;
 * SP_EDOM for frac outside (0, 1); SP_EINVAL for NULL pointers or n = 0.
 * Used for the beta below which the query gradient is effectively zero. */
int sp_compare_onset(const double *x, const double *y, size_t n, double frac, double *x_on,
                     int *at_first);

SP_END_DECLS

#endif
