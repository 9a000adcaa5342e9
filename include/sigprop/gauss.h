/* sigprop: Gaussian expectations of MLP nonlinearities (theory.md §5, §8).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_GAUSS_H
#define SIGPROP_GAUSS_H

#include "sigprop/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Normalised arc-cosine kernel of ReLU [PS]:
 * f(c) = (sqrt(1 - c^2) + c (pi - arccos c)) / pi, so that for a centred
 * Gaussian pair of variance q and correlation c, E[relu(u) relu(v)] =
 * (q/2) f(c).  c is clipped to [-1, 1]; sqrt(1 - c^2) is evaluated as
 * sqrt((1 - c)(1 + c)).  f(-1) = 0, f(0) = 1/pi, f(1) = 1.  NaN gives NaN. */
double sp_relu_kernel(double c);

/** Gaussian moments of phi: with (u, v) centred Gaussian, Var u = Var v = q1,
 * Cov(u, v) = p1 (|p1| <= q1), set *e_phi2 = E[phi(u)^2] and
 * *e_phiphi = E[phi(u) phi(v)] (either pointer may be NULL).
 * Closed forms (theory.md §5): relu (arc-cosine), erf(a u)
 * ((2/pi) asin(2 a^2 p1 / (1 + 2 a^2 q1))), linear.  Returns SP_EDOM for
 * q1 < 0, NaN or |p1| > q1 beyond rounding, SP_EUNSUP for an activation
 * without a closed form (gelu, tanh, silu: see the quadrature module). */
int sp_gauss_phi_moments(sp_activation act, double erf_scale, double q1, double p1,
                         double *e_phi2, double *e_phiphi);

/** E[phi'(u)^2] for u ~ N(0, q1), q1 >= 0, closed forms as above:
 * relu 1/2, erf (4 a^2 / pi) / sqrt(1 + 4 a^2 q1), linear 1.  Used by the
 * angle exponent (theory.md §7) and chi_1 (theory.md §8). */
int sp_gauss_dphi2(sp_activation act, double erf_scale, double q1, double *e_dphi2);

/** E[phi'(u) phi'(v)] for (u, v) centred Gaussian with Var u = Var v = q1
 * and Cov(u, v) = p1: relu 1/4 + asin(c)/(2 pi) with c = p1/q1 (c = 1 when
 * q1 = 0), erf (4 a^2/pi) / sqrt((1 + 2 a^2 q1)^2 - (2 a^2 p1)^2), linear 1;
 * equal to sp_gauss_dphi2() at p1 = q1.  The share of a perturbation common
 * to every token that an MLP keeps common (sp_grad_block_transfer).
 * SP_EDOM and SP_EUNSUP as sp_gauss_phi_moments. */
int sp_gauss_dphi_cross(sp_activation act, double erf_scale, double q1, double p1,
                        double *e_dphi_cross);

#ifdef __cplusplus
}
#endif
#endif
