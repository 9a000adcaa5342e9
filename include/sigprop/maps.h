/* sigprop: the order-parameter maps of one transformer block
 * (theory.md §3, §5, §6).  State: q = mean squared token norm per unit
 * width, p = mean off-diagonal token overlap per unit width.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_MAPS_H
#define SIGPROP_MAPS_H

#include "sigprop/export.h"
#include "sigprop/model.h"
#include "sigprop/rem.h"
#include "sigprop/workspace.h"

SP_BEGIN_DECLS

/** Attention statistics of a row whose input has order parameters (q, p),
 * under model `m`, with lambda = beta sqrt(q (q - p)):
 * - uniform attention: sp_rem_uniform(), or with m->causal the exact row
 *   means of sp_rem_finite_uniform_causal() (row t averages its t keys);
 * - softmax or centred with asymptotic statistics: sp_rem_asymptotic(),
 *   whatever m->causal (as T -> infinity almost every causal row has
 *   lambda_eff(t) -> lambda; the causal corrections are O(1/log T) like
 *   the finite-T ones that law drops);
 * - softmax or centred with finite statistics: the workspace's table for
 *   (m->tokens, m->causal) (sp_rem_table_eval), or sp_rem_finite() when
 *   `w` holds none (exact, about 1 ms a call); beta_c is set from (q, p).
 * `w` may be NULL when !sp_workspace_needed(m).  `what`: SP_REM_* flags.
 * Errors: SP_EDOM for an invalid (q, p) or beta, errors of the callees. */
int sp_maps_attention_stats(const sp_model *m, const sp_workspace *w, double q, double p,
                           unsigned what, sp_attn_stats *st);

/** Order parameters (q_S, p_S) of the attention output before the skip,
 * given the input (q, p) and its row statistics `st` (y2 and overlap used),
 * theory.md §3:
 *   softmax: q_S = sv [p + (q-p) Y2] + svb,  p_S = sv [p + (q-p) O] + svb
 *   centred: q_S = sv (q-p)(1 - 1/T)(Y2 - O), p_S = -q_S/(T-1) at finite T;
 *            q_S = sv (q-p) Y2, p_S = 0 under asymptotic statistics
 *   uniform: q_S = p_S = sv [p + (q-p)/T] + svb; with m->causal the
 *            softmax form with the causal row means of Y2 and O
 * with sv = var_v, svb the value-bias variance.  Under a causal mask the
 * rows differ; q_S is the mean over tokens and p_S the mean over pairs of
 * distinct tokens, for which these formulas hold with Y2 and O the row and
 * pair means. */
int sp_maps_attention_output(const sp_model *m, double q, double p, const sp_attn_stats *st,
                            double *qs, double *ps);

/** MLP output (q_f, p_f) for input (q, p), theory.md §5:
 * q_1 = sw_in q + sb, p_1 = sw_in p + sb, q_f = sw_out E[phi(u)^2] + sb,
 * p_f = sw_out E[phi(u) phi(v)] + sb.  Closed forms for relu, erf, linear;
 * for gelu, tanh, silu the workspace's sp_mlp_table when it holds one for
 * m's MLP and q == 1 (a LayerNorm'd input); for an MLP without LayerNorm
 * prepared in the workspace, the workspace's table of phi's Hermite
 * expansion over q_1 when q_1 <= 16 (gap = (1 - c_1) sum a_n^2 S_n(c_1),
 * 3 to 12 us, agreeing with the quadrature to 1e-14 of q_f); else
 * sp_gauss_kernel_d() (about 1.7 ms) with q_1 - p_1 = sw_in (q - p)
 * (p_f = q_f - sw_out gap, accurate as p -> q). */
int sp_maps_mlp(const sp_model *m, const sp_workspace *w, double q, double p,
               double *qf, double *pf);

/** Sub-block with gains: q <- a^2 q + g^2 qf, p <- a^2 p + g^2 pf (§5). */
void sp_maps_residual(double alpha, double gamma, double qf, double pf, double *q, double *p);

/** LayerNorm without affine parameters: p <- p/q, q <- 1 (§5).
 * SP_EUNDERFLOW when q is 0 (a zero stream cannot be normalised). */
int sp_maps_layernorm(double *q, double *p);

/** Token-mean removal x -> x - tau xbar over T tokens [YZ], theory.md §5:
 * with mbar = p + (q - p)/T, q <- q - (2 tau - tau^2) mbar and
 * p <- p - (2 tau - tau^2) mbar.  tau in [0, 2]. */
void sp_maps_mean_removal(double tau, long tokens, double *q, double *p);

/** One block of model `m` (post-LN, pre-LN or no-LN, theory.md §6) applied
 * in place to (*q, *p).  `st` (may be NULL) receives the statistics of the
 * block's attention input; `what` selects them (SP_REM_*).  The mean
 * removal, when tau > 0, acts on the residual stream right after the
 * attention sub-block's sum (before the LN in post-LN blocks).
 * Returns SP_EOVERFLOW / SP_EUNDERFLOW when q leaves the normal range of
 * double (no-LN and pre-LN stacks), SP_EDOM for an invalid state. */
int sp_maps_block(const sp_model *m, const sp_workspace *w, double *q, double *p, unsigned what,
             sp_attn_stats *st);

/** Intermediate order parameters of one block, recorded by
 * sp_block_trace() for the backward (gradient) recursions. */
typedef struct {
  double qa, pa;      /**< the attention's input (after LN in pre-LN blocks) */
  double qs, ps;      /**< the attention output before the skip */
  double q_attn_sum;  /**< stream q after the attention sub-block's sum and the
                           mean removal (divides the gradient in a post-LN LN) */
  double q_stream_sa; /**< stream q entering the attention sub-block */
  double qm, pm;      /**< the MLP's input (NaN without an MLP) */
  double q_stream_mlp;/**< stream q entering the MLP sub-block (NaN without one) */
  double q_mlp_sum;   /**< stream q after the MLP sub-block's sum, before any LN */
} sp_block_trace;

/** sp_maps_block() that also records the intermediate order parameters in
 * `*tr` (may be NULL). */
int sp_maps_block_traced(const sp_model *m, const sp_workspace *w, double *q, double *p,
                    unsigned what, sp_attn_stats *st, sp_block_trace *tr);

SP_END_DECLS
#endif
