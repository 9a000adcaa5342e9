/* The private Hermite (Mehler) expansion (src/hermite.c) against the
 * two-dimensional quadrature of sp_gauss_kernel_d() and
 * sp_gauss_dphi_pair(), and its refusals.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "hermite.h"
#include "tap.h"

#include <math.h>

static void versus_quadrature(sp_activation act)
{
  const double qs[] = {0.0071, 0.37, 1.9, 6.3, 15.8};
  const double xs[] = {-1.0, -0.83, -0.29, 0.0, 0.41, 0.93, 0.99991, 1.0 - 3e-10};
  double worst_gap = 0.0, worst_slope = 0.0;
  int fails = 0;
  for (int i = 0; i < 5; i++) {
    sp_hermite h;
    if (sp_hermite_compute(act, 1.0, qs[i], &h)) {
      fails++;
      continue;
    }
    for (int j = 0; j < 8; j++) {
      double q = qs[i], x = xs[j], d = q * (1.0 - x), pp;
      sp_kernel k;
      if (sp_gauss_kernel_d(act, 1.0, q, d, &k) || sp_gauss_dphi_pair(act, 1.0, q, q * x, &pp)) {
        fails++;
        continue;
      }
      /* the gap relative to itself, E phi'phi' relative to E phi'^2 */
      double g = sp_hermite_gap_ratio(&h, x) * (1.0 - x);
      worst_gap = fmax(worst_gap, fabs(g - k.gap) / (k.gap + 1e-11 * k.phi2));
      worst_slope = fmax(worst_slope, fabs(sp_hermite_slope(&h, x) / q - pp) / (h.price / q));
    }
    sp_hermite_free(&h);
  }
  tap_ok(!fails && worst_gap < 1e-9 && worst_slope < 1e-9, "%s: gap (relative to itself) and "
         "E phi' phi' (relative to E phi'^2) at q1 = 0.007 .. 15.8, x = -1 .. 1 - 3e-10 match "
         "the 2-D quadrature: %.1e, %.1e", sp_activation_name(act), worst_gap, worst_slope);
}

int main(void)
{
  versus_quadrature(SP_ACT_TANH);
  versus_quadrature(SP_ACT_GELU);
  versus_quadrature(SP_ACT_SILU);
  sp_hermite h;
  tap_ok(sp_hermite_compute(SP_ACT_RELU, 1.0, 1.0, &h) == SP_ENOCONV && h.a2 == NULL,
         "relu (a kink): ENOCONV, nothing to free");
  tap_ok(sp_hermite_compute(SP_ACT_TANH, 1.0, SP_HERMITE_QMAX * 1.01, &h) == SP_ENOCONV
         && sp_hermite_compute(SP_ACT_TANH, 1.0, 0.0, &h) == SP_ENOCONV
         && sp_hermite_compute(SP_ACT_TANH, 1.0, NAN, &h) == SP_ENOCONV,
         "q1 above SP_HERMITE_QMAX, 0 or NaN: ENOCONV");
  sp_hermite_free(&h);
  return tap_done();
}
