/* MLP nonlinearities.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/activation.h"

#include <math.h>

double sp_activation_phi(sp_activation act, double a, double u)
{
  switch (act) {
  case SP_ACT_RELU: return u > 0.0 ? u : 0.0;
  case SP_ACT_GELU: return 0.5 * u * erfc(-u / M_SQRT2);
  case SP_ACT_TANH: return tanh(u);
  case SP_ACT_ERF: return erf(a * u);
  case SP_ACT_SILU: return u / (1.0 + exp(-u));
  case SP_ACT_LINEAR: return u;
  default: return NAN;
  }
}

double sp_activation_dphi(sp_activation act, double a, double u)
{
  switch (act) {
  case SP_ACT_RELU: return u > 0.0 ? 1.0 : (u < 0.0 ? 0.0 : 0.5);
  case SP_ACT_GELU:
    return 0.5 * erfc(-u / M_SQRT2) + u * exp(-0.5 * u * u) / sqrt(2.0 * M_PI);
  case SP_ACT_TANH: {
    double t = tanh(u);
    return 1.0 - t * t;
  }
  case SP_ACT_ERF: return 2.0 * a / sqrt(M_PI) * exp(-a * a * u * u);
  case SP_ACT_SILU: {
    double s = 1.0 / (1.0 + exp(-u));
    return s * (1.0 + u * (1.0 - s));
  }
  case SP_ACT_LINEAR: return 1.0;
  default: return NAN;
  }
}

double sp_activation_d2phi(sp_activation act, double a, double u)
{
  switch (act) {
  case SP_ACT_RELU: return 0.0;
  case SP_ACT_GELU: return (2.0 - u * u) * exp(-0.5 * u * u) / sqrt(2.0 * M_PI);
  case SP_ACT_TANH: {
    double t = tanh(u);
    return -2.0 * t * (1.0 - t * t);
  }
  case SP_ACT_ERF: return -2.0 * a * a * u * (2.0 * a / sqrt(M_PI) * exp(-a * a * u * u));
  case SP_ACT_SILU: {
    double s = 1.0 / (1.0 + exp(-u));
    return s * (1.0 - s) * (2.0 + u * (1.0 - 2.0 * s));
  }
  case SP_ACT_LINEAR: return 0.0;
  default: return NAN;
  }
}

int sp_activation_has_closed_form(sp_activation act)
{
  return act == SP_ACT_RELU || act == SP_ACT_ERF || act == SP_ACT_LINEAR;
}
