/* sigprop: gradients at initialisation (theory.md §9): the query-weight
 * gradient, the query/key-to-value imbalance, and the gradient exponent.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_GRAD_H
#define SIGPROP_GRAD_H

#include "sigprop/export.h"
#include "sigprop/maps.h"

SP_BEGIN_DECLS

/** Query-weight gradient of one attention layer [GG Result 2], restated in
 * theory.md §9 and re-derived for this project (see sigprop-propagate(1)):
 *   T / (d^2 sqrt(log T)) E ||dL/dW_Q||_F^2 = C beta sv q (q - p)^2 G
 * with C = 1 (the synthetic loss L = (1/T) sum_t r_t . y_t, r_t ~ N(0, I)),
 * (q, p) the attention input, sv = var_v, and G = E Y2 - 2 E Y3 + E[(Y2)^2]
 * of the row statistics.  Under independent per-token loss gradients no
 * term in p E[(Y2)^2] appears: every p-dependent term cancels because the
 * rows of the softmax Jacobian sum to zero.  Zero for q = p.
 * Returns NaN for arguments outside beta >= 0, sv >= 0, q >= p, g >= 0. */
double sp_grad_wq(double beta, double var_v, double q, double p, double g);

/** Finite-width form of sp_grad_wq(): the same normalised gradient of a
 * network of width d = `width`,
 *   C beta sv q (q - p)^2 [G + E[(1 - Y2)^2] / d],
 *   E[(1 - Y2)^2] = 1 - 2 E Y2 + E[(Y2)^2]  (y2, y2sq: the row statistics).
 * Derivation (sigprop-validate(1)): averaged over the loss vectors, the key
 * and the value weights, the squared gradient of query row t is
 * proportional to S_t = || D^1/2 P X P^T D^1/2 ||_F^2, where X is the
 * tokens' Gram matrix, D = diag(A_t.) and P = I - 1 A_t.^T centres the
 * tokens on the row's attention-weighted mean.  The mean Gram
 * d [p 1 1^T + (q - p) I] gives d^2 (q - p)^2 G; its fluctuations, of
 * variance d (q - p)^2 between distinct tokens, add
 * d (q - p)^2 [(tr N)^2 + tr N^2 - 2 sum_k N_kk^2 + kappa sum_k N_kk^2] with
 * N = D - A A^T, tr N = 1 - Y2, tr N^2 = G and kappa the ratio of the
 * diagonal to the off-diagonal Gram variance (2 for Gaussian tokens, about
 * 0 for LayerNormed ones).  Only (tr N)^2 = (1 - Y2)^2 is kept: it is what
 * makes the gradient below beta_c/2 (G ~ 1/T) of order 1/d rather than 1/T,
 * about 1 + T/d times sp_grad_wq(); the rest is of relative order 1/d, as
 * are the neglected correlations of the attention weights with the key
 * weights (relative order log(T)/d).  Returns NaN outside beta >= 0,
 * sv >= 0, q >= p, g >= 0, 0 <= y2sq <= y2 <= 1, width >= 1. */
double sp_grad_wq_width(double beta, double var_v, double q, double p, double g, double y2,
                        double y2sq, long width);

/** Ratio E||dY/dW_Q||^2 / E||dY/dW_V||^2 of the attention output's
 * Jacobians at uniform attention over T tokens with query/key/value weight
 * entries of variance 1/d, theory.md §9 [NO]:
 *   q^2 (1 - rho)^2 (T - 1) / (T (1 + (T - 1) rho)),  rho = p/q,
 * for inputs (q, p).  It vanishes as rho -> 1: rank collapse starves the
 * query and key weights of gradient while the values still learn.  With
 * the model's own variances multiply by beta sqrt(log T) var_v.
 * SP_EDOM outside T >= 2, q > 0, -q/(T-1) <= p <= q. */
int sp_grad_qk_v_ratio(long tokens, double q, double p, double *ratio);

/** Growth factor chi = E||J u||^2 / ||u||^2 of one block's input-output
 * Jacobian J for an isotropic probe u, under the usual independence of
 * forward weights and backward signals, from the block's trace and the
 * statistics `st` of its attention input (q_a, p_a):
 *   sub-block x -> a x + g f(x):   a^2 + g^2 chi_f
 *   softmax attention:  chi_f = sv Y2 + sv (q_a - p_a)(2 q_a - p_a) beta^2 log T G
 *                       (value path + score path; the latter is why entropy
 *                       collapse makes input gradients grow like log T)
 *   centred attention:  the same times (1 - 1/T) at finite T
 *   uniform attention:  chi_f = sv / T
 *   MLP:                chi_f = sw_in sw_out E[phi'(u)^2],  u ~ N(0, sw_in q_m + sb)
 *   LayerNorm:          1 / q of its input [KE];  pre-LN branches include it
 *   mean removal tau:   1 - (2 tau - tau^2)/T
 * Returns SP_EUNSUP for an activation without E[phi'^2] available. */
int sp_grad_block_chi(const sp_model *m, const sp_attn_stats *st, const sp_block_trace *tr,
                      double *chi);

/** Two-channel energy transfer of one block's input-output Jacobian, for
 * the end-to-end growth (sp_grad_growth).  A tangent of the T x d stream
 * splits into its token mean (the same perturbation of every token,
 * energy share 1/T for an isotropic probe) and the rest, and the blocks
 * treat the two very differently: attention passes the token mean through
 * the value path whole (var_v, since every row of A sums to 1) but the
 * rest only in the share Y2; an MLP keeps a common perturbation common in
 * the share E[phi'(u) phi'(v)] / E[phi'(u)^2] (sp_gauss_dphi_cross).  So
 * below beta_c, and whenever the tokens have collapsed, the token mean
 * decays much more slowly than the rest and, after enough blocks,
 * dominates E||dx_L/dx_0||_F^2, which the product of the isotropic factors
 * of sp_grad_block_chi() then underestimates by orders of magnitude.
 * `t` receives, as energies per unit flowing from -> to: t[0] mean -> mean,
 * t[1] mean -> rest, t[2] rest -> mean, t[3] rest -> rest; per module
 * (same gains, LN factors and statistics as sp_grad_block_chi):
 *   softmax attention: mean -> mean sv, mean -> rest sv (q-p)^2 s2 G (the
 *     score path of a common perturbation moves the queries only),
 *     rest -> rest sv Y2 - leak + sv (q-p)(2q-p) s2 G, rest -> mean
 *     leak = sv (Y2 + (T-1) O - 1)/T (O the row overlap, at least 1/T),
 *     s2 = beta^2 log T;  centred: no mean output;  uniform: mean -> mean sv
 *   MLP: mean -> mean k', mean -> rest k - k', rest -> mean (k - k')/T,
 *     rest -> rest k - (k - k')/T, with k = sw_in sw_out E[phi'^2] and
 *     k' = sw_in sw_out E[phi'(u) phi'(v)] at the MLP input (q_m, p_m)
 *   mean removal tau: the mean channel times (1 - tau)^2.
 * A single block applied to an isotropic probe, (1/T, 1 - 1/T) t, gives
 * sp_grad_block_chi() up to O(1/T).  Errors as sp_grad_block_chi. */
int sp_grad_block_transfer(const sp_model *m, const sp_attn_stats *st, const sp_block_trace *tr,
                           double t[4]);

/** Predicted end-to-end growth growth[l] = E||(dx_l/dx_0) u||^2 / ||u||^2
 * for an isotropic probe u of the input, l = 0..L (growth[0] = 1), from
 * the two-channel recursion of sp_grad_block_transfer started at
 * (1/T, 1 - 1/T).  `growth` has m->depth + 1 entries.  Errors as
 * sp_propagate. */
int sp_grad_growth(const sp_model *m, const sp_workspace *w, double *growth);

/** Gradient exponent lambda_g = (1/L) log growth[L] (sp_grad_growth), the
 * growth per block of E||dx_L/dx_0||_F^2 over model m's L blocks;
 * xi_g = -1/lambda_g.  It differs from the mean of log chi over the
 * blocks wherever the token-mean channel takes over (see
 * sp_grad_block_transfer).  `chi` (may be NULL) receives the L isotropic
 * per-block factors of sp_grad_block_chi().  Errors as sp_propagate,
 * SP_ENOMEM. */
int sp_grad_exponent(const sp_model *m, const sp_workspace *w, double *lambda_g, double *chi);

SP_END_DECLS
#endif
