/* sigprop: Gaussian expectations of MLP nonlinearities (theory.md §5, §8).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_GAUSS_H
#define SIGPROP_GAUSS_H

#include "sigprop/export.h"
#include "sigprop/model.h"

SP_BEGIN_DECLS

/** Normalised arc-cosine kernel of ReLU [PS]:
 * f(c) = (sqrt(1 - c^2) + c (pi - arccos c)) / pi, so that for a centred
 * Gaussian pair of variance q and correlation c, E[relu(u) relu(v)] =
 * (q/2) f(c).  c is clipped to [-1, 1]; sqrt(1 - c^2) is evaluated as
 * sqrt((1 - c)(1 + c)), arccos c by the library's own routine (within
 * 1.5 ulp; the vector block map of sp_propagate_summary_batch repeats it
 * operation for operation, so both give the same bits), which keeps f
 * within 4.5e-16 of the form with libm's arccosine.  f(-1) = 0,
 * f(0) = 1/pi, f(1) = 1.  NaN gives NaN. */
double sp_gauss_relu_kernel(double c);

/** Relative tolerance of the quadrature's own error estimate for the
 * activations without a closed form (gelu, tanh, silu): the estimate is
 * the difference between the trapezoidal rule at step h and at 2 h, far
 * above the error of the rule at h.  The tests check 1e-9 against GSL's
 * adaptive integration. */
#define SP_GAUSS_TOL 1e-11

/** Gaussian kernel of phi at one pair: E[phi(u)^2], E[phi(u) phi(v)] and
 * their difference, for (u, v) centred Gaussian with Var u = Var v = q1 and
 * Cov(u, v) = p1. */
typedef struct {
  double phi2;   /**< E[phi(u)^2] */
  double phiphi; /**< E[phi(u) phi(v)] */
  double gap;    /**< phi2 - phiphi = E[(phi(u) - phi(v))^2] / 2, computed
                      without cancellation, so that its relative accuracy
                      survives p1 -> q1 (correlation -> 1) */
  double abserr; /**< estimated absolute error of phiphi and gap (0 for
                      closed forms) */
} sp_kernel;

/** Kernel of phi at (q1, p1), theory.md §5.  Closed forms: relu
 * (arc-cosine; gap (q1/2)((1 - c) - (sin t - t cos t)/pi), t = arccos c,
 * by a series for small t), erf(a u) ((2/pi) asin(2 a^2 p1 / (1 + 2 a^2 q1)),
 * gap from a difference of arcsines without cancellation), linear.  gelu,
 * tanh, silu: with p1 >= 0, u = sqrt(p1) w + sqrt(q1 - p1) z1 and v the
 * same with z2, so E[phi(u) phi(v)] = E_w[psi(w)^2] with
 * psi(w) = E_z phi(sqrt(p1) w + sqrt(q1 - p1) z), and the gap is
 * E_w[Var_z phi(...)]; with p1 < 0, v uses -w and the kernel is
 * E_w[psi(w) psi(-w)].  Both are two-dimensional trapezoidal sums on
 * |w|, |z| <= 9.5 with steps at most 0.35 and 0.2/sigma for an argument of
 * scale sigma (tanh has poles at distance pi/(2 sigma): the error of the
 * coarser rule is then about e^{-pi^2/0.4} ~ 2e-11), halved until the
 * rules at h and 2 h agree to SP_GAUSS_TOL; E[phi^2] is one-dimensional.
 * Large variances: once sigma exceeds 4 a variable's nodes are graded,
 * x = x0 + 3 asinh(sinh(t) / (3 sigma)) at equal steps in t (0.1 before
 * halving): spacing about h/sigma at the bend x0 (z at the kink of
 * phi(sqrt(p1) w + b z) for the given w; w = 0 for the outer variable,
 * whose integrand psi is phi smoothed on max(1, b), so its sigma is
 * sqrt(p1)/max(1, b)), geometric beyond, and 3 h once on the Gaussian's
 * scale.  A rule has about 2 (log(6 sigma) + 6.3) / h nodes, so the cost
 * grows like (log sigma)^2 instead of sigma^2; the error estimate (rules
 * at h and 2 h) and tolerance are unchanged.  Checked against adaptive
 * Gauss-Kronrod quadrature split at the bends for q1 = 1e-8 .. 1e12 and
 * c = -1 .. 1 (tests/test_gauss_domain.c: within 1e-9 of E[phi^2];
 * observed 3e-10 at worst).  Worst measured CPU time of one block map
 * without LayerNorm (q = 1e-8 .. 1e12, tests/bench_blockmap.c): tanh
 * 9 ms (at q1 ~ 20, where the uniform rule of up to 380 x 380 nodes is
 * still used), gelu and silu 2.5 ms (at q1 ~ 1e9 .. 1e12), median 0.2 ms;
 * relu, erf, linear under 0.03 ms.
 * Never Gauss-Hermite, and relu never by quadrature (its kink would make
 * any such rule converge like a power of the step).
 * Errors: SP_EDOM for q1 < 0, NaN or |p1| > q1 beyond rounding (p1 is then
 * clamped to [-q1, q1]); SP_EINVAL for an unknown activation or k == NULL;
 * SP_ENOCONV when the quadrature does not reach its tolerance; SP_ENOMEM. */
int sp_gauss_kernel(sp_activation act, double erf_scale, double q1, double p1, sp_kernel *k);

/** sp_gauss_kernel() for the pair given by q1 and d1 = q1 - p1 in
 * [0, 2 q1] (clamped when off by rounding): the gap then keeps its
 * relative accuracy when d1 << q1, which q1 - p1 recomputed from a rounded
 * p1 would lose (1e-4 of it at d1 = 1e-12 q1).  SP_EDOM for q1 < 0, d1
 * outside [0, 2 q1] beyond rounding, NaN or infinities. */
int sp_gauss_kernel_d(sp_activation act, double erf_scale, double q1, double d1, sp_kernel *k);

/** Gaussian moments of phi: *e_phi2 = E[phi(u)^2] and *e_phiphi =
 * E[phi(u) phi(v)] of sp_gauss_kernel() (either pointer may be NULL).
 * Same domain and errors. */
int sp_gauss_phi_moments(sp_activation act, double erf_scale, double q1, double p1,
                         double *e_phi2, double *e_phiphi);

/** E[phi'(u)^2] for u ~ N(0, q1), q1 >= 0: relu 1/2, erf
 * (4 a^2 / pi) / sqrt(1 + 4 a^2 q1), linear 1; gelu, tanh, silu by a
 * one-dimensional trapezoidal sum to SP_GAUSS_TOL.  Used by the angle
 * exponent (theory.md §7) and chi_1 (theory.md §8).  Errors as
 * sp_gauss_kernel(). */
int sp_gauss_dphi2(sp_activation act, double erf_scale, double q1, double *e_dphi2);

/** E[phi'(u) phi'(v)] for the pair (u, v) of sp_gauss_kernel(): relu
 * (pi - arccos c) / (2 pi), erf (4 a^2/pi) / sqrt((1 + 2 a^2 q1)^2 -
 * 4 a^4 p1^2), linear 1, else the two-dimensional rule.  The slope of the
 * correlation map at c (Price's theorem), theory.md §8 (xi_c); also the
 * share of a perturbation common to every token that an MLP keeps common
 * (sp_grad_block_transfer).  Equals sp_gauss_dphi2() at p1 = q1. */
int sp_gauss_dphi_pair(sp_activation act, double erf_scale, double q1, double p1, double *e);

/** E[phi(u) phi''(u)] for u ~ N(0, q1): 0 for relu and linear, else a
 * one-dimensional trapezoidal sum.  Enters the slope of the length map,
 * chi_1 + sigma_w^2 E[phi phi''] (theory.md §8, xi_q). */
int sp_gauss_phi_d2phi(sp_activation act, double erf_scale, double q1, double *e);

/** The MLP's kernel after LayerNorm as a table: for the input (q, p) =
 * (1, c), q_1 = sw_in + sb and p_1 = sw_in c + sb, the output
 * q_f = sw_out E[phi(u)^2] + sb is one number and
 * p_f(c) = q_f - (1 - c) R(c), R(c) = sw_out gap(q_1, p_1) / (1 - c)
 * (theory.md §5; R(1) = sw_in sw_out E[phi'(u)^2] by Price's theorem).
 * R is tabulated against theta = arccos c on SP_MLP_TABLE_NODES + 1
 * points of [0, pi] and interpolated by a periodic cubic spline (GSL) of
 * R(cos theta), a smooth even 2 pi-periodic function, so that neither end
 * of [-1, 1] needs a boundary condition.  Interpolating R rather than p_f
 * keeps the relative accuracy of 1 - c' (what rank collapse is measured
 * by) as c -> 1.  Read-only after allocation: thread-safe evaluation.
 * Construction: for gelu, tanh and silu with q_1 <= 16, from the Hermite
 * coefficients a_n of phi(sqrt(q_1) z) (Mehler's formula: E[phi(u)
 * phi(v)] = sum a_n^2 c_1^n, so R = sw_out (sw_in / q_1) sum a_n^2
 * (1 + c_1 + ... + c_1^(n-1)) with c_1 = p_1 / q_1, no cancellation), one
 * trapezoidal sum over z for all n: 64 + 240 q_1 terms for tanh (64 + 60
 * q_1 for gelu and silu), each coefficient checked against the rule at
 * twice the step and the last quarter of the terms checked negligible,
 * both to 1e-12 of sum n a_n^2.  It costs 0.1 to 15 ms a table instead of
 * SP_MLP_TABLE_NODES + 1 two-dimensional quadratures (0.1 to 1 s).  A
 * workspace (sp_workspace_prepare()) goes further: it tabulates the
 * expansion over log q_1 once per activation (to 3e-13) and builds each
 * table from it in about 0.1 ms, so a sweep over var-w or var-b computes
 * no expansion per point (a tanh diagram over var-w x alpha-sa at
 * 201 x 201 x 60: 0.43 s of CPU, from 1.15 s with an expansion a table
 * and 40 s with quadratures).
 * Otherwise (other activations, q_1 > 16, or a check failing) one
 * sp_gauss_kernel_d() per node as before. */
typedef struct sp_mlp_table sp_mlp_table;

/** Intervals of the MLP table's theta grid on [0, pi]: with 96 the table
 * reproduces p_f to 2e-8 of q_f and q_f - p_f to 5e-7 of itself for
 * tanh, gelu and silu with var-w up to 10 (the tests check 1e-7 and 1e-6
 * at var-w 0.2, 1, 4 and 9.7; the error grows with var-w as the kernel
 * sharpens: 5e-6 of the gap at var-w 25). */
#define SP_MLP_TABLE_NODES 96

/** Build the table (SP_MLP_TABLE_NODES + 1 kernel evaluations) into
 * `*out`, which the caller frees with sp_mlp_table_free().  Returns SP_OK,
 * or (with *out NULL) SP_EDOM (a negative or non-finite variance, q_1 = 0),
 * SP_EINVAL (unknown activation, NULL `out`), SP_ENOCONV or SP_ENOMEM.
 * Works for every activation; sigprop builds it for those without a
 * closed form. */
int sp_mlp_table_alloc(sp_activation act, double erf_scale, double var_w_in, double var_w_out,
                       double var_b, sp_mlp_table **out);

/** Release `t`; NULL is a no-op. */
void sp_mlp_table_free(sp_mlp_table *t);

/** 1 when `t` was built for exactly these parameters. */
int sp_mlp_table_matches(const sp_mlp_table *t, sp_activation act, double erf_scale,
                         double var_w_in, double var_w_out, double var_b);

/** (q_f, p_f) for the LayerNorm'd input (1, c), c in [-1, 1] (clamped
 * when off by rounding; SP_EDOM beyond 1e-12 or NaN); either output may be
 * NULL.  SP_EINVAL for t == NULL. */
int sp_mlp_table_eval(const sp_mlp_table *t, double c, double *qf, double *pf);

/** E[phi(u)^2] and E[phi'(u)^2] for u ~ N(0, q_1) at the table's
 * q_1 = var_w_in + var_b, as the table was built (the Hermite sums
 * sum a_n^2 and sum n a_n^2 / q_1, or sp_gauss_kernel() and
 * sp_gauss_dphi2()): what the angle exponent needs, without quadrature.
 * Either output may be NULL.  SP_EINVAL for t == NULL. */
int sp_mlp_table_moments(const sp_mlp_table *t, double *e_phi2, double *e_dphi2);

SP_END_DECLS
#endif
