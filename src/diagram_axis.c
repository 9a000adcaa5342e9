/* The axes of a trainability diagram: checking an axis, its grid
 * coordinates (linear or geometric) and the parameter value at a coordinate.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/diagram.h"
#include "sigprop/status.h"

#include <math.h>

int sp_axis_check(const sp_axis *a)
{
  if (!a || !a->param || sp_param_lookup(a->param->name) != a->param)
    return SP_EINVAL;
  if (a->n < 2 || a->n > SP_AXIS_MAX)
    return SP_EINVAL;
  if (a->spacing != SP_SPACING_LINEAR && a->spacing != SP_SPACING_LOG)
    return SP_EINVAL;
  if (!isfinite(a->min) || !isfinite(a->max) || !(a->min < a->max))
    return SP_EDOM;
  if (a->min < a->param->min || a->max > a->param->max)
    return SP_EDOM;
  if (a->spacing == SP_SPACING_LOG && !(a->min > 0.0))
    return SP_EDOM;
  if (a->param->kind == SP_PARAM_INTEGER && (a->min != floor(a->min) || a->max != floor(a->max)))
    return SP_EDOM;
  return SP_OK;
}

/* Point k of n from lo to hi, linear or geometric, with exact ends. */
static double spaced(double lo, double hi, size_t k, size_t n, sp_spacing s)
{
  if (k == 0)
    return lo;
  if (k + 1 >= n)
    return hi;
  double f = (double)k / (double)(n - 1);
  if (s == SP_SPACING_LOG)
    return exp(log(lo) + (log(hi) - log(lo)) * f);
  return lo + (hi - lo) * f;
}

double sp_axis_coord(const sp_axis *a, size_t k)
{
  return spaced(a->min, a->max, k, a->n, a->spacing);
}

double sp_axis_value(const sp_axis *a, double c)
{
  return a->param->kind == SP_PARAM_INTEGER ? floor(c + 0.5) : c;
}
