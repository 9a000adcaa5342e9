/* sigprop: MLP nonlinearities phi and their derivatives.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_ACTIVATION_H
#define SIGPROP_ACTIVATION_H

#include "sigprop/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** phi(u) for activation `act`: relu max(0,u); gelu u Phi(u) with the exact
 * normal CDF Phi; tanh; erf(a u) with a = `erf_scale` (used by SP_ACT_ERF
 * only); silu u / (1 + e^-u); linear u.  Total on the reals; NaN for an
 * unknown activation. */
double sp_activation_phi(sp_activation act, double erf_scale, double u);

/** phi'(u), with the convention phi'(0) = 1/2 for relu. */
double sp_activation_dphi(sp_activation act, double erf_scale, double u);

/** 1 when phi has a closed-form Gaussian kernel (relu, erf, linear). */
int sp_activation_has_closed_form(sp_activation act);

#ifdef __cplusplus
}
#endif
#endif
