/* sigprop: MLP nonlinearities phi and their derivatives.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_ACTIVATION_H
#define SIGPROP_ACTIVATION_H

#include "sigprop/export.h"
#include "sigprop/model.h"

SP_BEGIN_DECLS

/** phi(u) for activation `act`: relu max(0,u); gelu u Phi(u) with the exact
 * normal CDF Phi; tanh; erf(a u) with a = `erf_scale` (used by SP_ACT_ERF
 * only); silu u / (1 + e^-u); linear u.  Total on the reals; NaN for an
 * unknown activation. */
double sp_activation_phi(sp_activation act, double erf_scale, double u);

/** phi'(u), with the convention phi'(0) = 1/2 for relu. */
double sp_activation_dphi(sp_activation act, double erf_scale, double u);

/** phi''(u): 0 for relu (away from the kink; its distributional part
 * delta(u) never contributes to sigprop's expectations, which multiply it
 * by phi(0) = 0) and linear; -2 t (1 - t^2) for tanh (t = tanh u);
 * (2 - u^2) phi_N(u) for gelu (phi_N the normal density);
 * s (1 - s) (2 + u (1 - 2 s)) for silu (s the logistic function);
 * -2 a^2 u phi'(u) for erf.  NaN for an unknown activation. */
double sp_activation_d2phi(sp_activation act, double erf_scale, double u);

/** 1 when phi has a closed-form Gaussian kernel (relu, erf, linear). */
int sp_activation_has_closed_form(sp_activation act);

SP_END_DECLS
#endif
