/* The library's own arccosine (the method and its error: vmath.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "vmath.h"

#include <math.h>

double sp_vmath_acos(double c)
{
  double x = fabs(c);
  int big = x > 0.5;
  double z = big ? (1.0 - x) * 0.5 : x * x;
  double s = big ? sqrt(z) : x, poly, z2, z4;
  SP_VMATH_ASIN_POLY(z, poly, z2, z4);
  double r = s + s * z * poly; /* asin(s) */
  if (!big)
    return SP_VMATH_PIO2_HI - (copysign(r, c) - SP_VMATH_PIO2_LO);
  if (c > 0.0)
    return 2.0 * r;
  return SP_VMATH_PI_HI - (2.0 * r - SP_VMATH_PI_LO);
}
