/* Gaussian expectations of the MLP nonlinearities.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/gauss.h"
#include "sigprop/status.h"

#include <float.h>
#include <math.h>

double sp_relu_kernel(double c)
{
  if (isnan(c))
    return NAN;
  if (c >= 1.0)
    return 1.0;
  if (c <= -1.0)
    return 0.0;
  return (sqrt((1.0 - c) * (1.0 + c)) + c * (M_PI - acos(c))) * M_1_PI;
}

int sp_gauss_phi_moments(sp_activation act, double a, double q1, double p1,
                         double *e_phi2, double *e_phiphi)
{
  if (!(q1 >= 0.0) || !isfinite(q1) || !isfinite(p1))
    return SP_EDOM;
  if (fabs(p1) > q1 * (1.0 + 16.0 * DBL_EPSILON))
    return SP_EDOM;
  double s2 = 0.0, s12 = 0.0;
  switch (act) {
  case SP_ACT_RELU: {
    double c = q1 > 0.0 ? p1 / q1 : 1.0;
    s2 = 0.5 * q1;
    s12 = 0.5 * q1 * sp_relu_kernel(c);
    break;
  }
  case SP_ACT_ERF: {
    double d = 1.0 + 2.0 * a * a * q1;
    double x = 2.0 * a * a * p1 / d;
    if (x > 1.0) x = 1.0;
    if (x < -1.0) x = -1.0;
    s2 = M_2_PI * asin(2.0 * a * a * q1 / d);
    s12 = M_2_PI * asin(x);
    break;
  }
  case SP_ACT_LINEAR:
    s2 = q1;
    s12 = p1 > q1 ? q1 : (p1 < -q1 ? -q1 : p1);
    break;
  case SP_ACT_GELU:
  case SP_ACT_TANH:
  case SP_ACT_SILU:
    return SP_EUNSUP;
  default:
    return SP_EINVAL;
  }
  if (e_phi2) *e_phi2 = s2;
  if (e_phiphi) *e_phiphi = s12;
  return SP_OK;
}

int sp_gauss_dphi_cross(sp_activation act, double a, double q1, double p1, double *e)
{
  if (!e || !(q1 >= 0.0) || !isfinite(q1) || !isfinite(p1) || fabs(p1) > q1 * (1.0 + 1e-12))
    return SP_EDOM;
  double c = q1 > 0.0 ? p1 / q1 : 1.0, k = 2.0 * a * a;
  c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
  switch (act) {
  case SP_ACT_RELU: *e = 0.25 + asin(c) / (2.0 * M_PI); return SP_OK;
  case SP_ACT_ERF: {
    double pc = c * q1, det = (1.0 + k * q1) * (1.0 + k * q1) - (k * pc) * (k * pc);
    *e = 2.0 * k / M_PI / sqrt(det);
    return SP_OK;
  }
  case SP_ACT_LINEAR: *e = 1.0; return SP_OK;
  case SP_ACT_GELU:
  case SP_ACT_TANH:
  case SP_ACT_SILU: return SP_EUNSUP;
  default: return SP_EINVAL;
  }
}

int sp_gauss_dphi2(sp_activation act, double a, double q1, double *e_dphi2)
{
  if (!(q1 >= 0.0) || !isfinite(q1) || !e_dphi2)
    return SP_EDOM;
  switch (act) {
  case SP_ACT_RELU: *e_dphi2 = 0.5; return SP_OK;
  case SP_ACT_ERF: *e_dphi2 = 4.0 * a * a / M_PI / sqrt(1.0 + 4.0 * a * a * q1); return SP_OK;
  case SP_ACT_LINEAR: *e_dphi2 = 1.0; return SP_OK;
  case SP_ACT_GELU:
  case SP_ACT_TANH:
  case SP_ACT_SILU: return SP_EUNSUP;
  default: return SP_EINVAL;
  }
}
