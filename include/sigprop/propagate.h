/* sigprop: iteration of the block map across depth; depth scales.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_PROPAGATE_H
#define SIGPROP_PROPAGATE_H

#include "sigprop/export.h"
#include "sigprop/maps.h"

SP_BEGIN_DECLS

/** One row of a trajectory.  Row 0 is the input (q0, rho0 q0) and has NaN
 * attention statistics; row l >= 1 is the state after block l together with
 * the statistics of block l's attention input. */
typedef struct {
  long layer;
  double q, p, rho;    /**< rho = p / q */
  sp_attn_stats attn;
  sp_block_trace trace; /**< intermediate order parameters of block `layer`
                             (all NaN in row 0) */
} sp_layer;

/** Iterate m->depth blocks of model `m` from (q0, rho0 q0), writing
 * m->depth + 1 rows to `out` (caller-allocated).  `what`: SP_REM_* flags
 * for the attention statistics of every row.  On an error at block l
 * (e.g. SP_EOVERFLOW in a no-LN stack) rows 0..l-1 are valid and `*done`
 * (may be NULL) receives l; on success *done = depth + 1. */
int sp_propagate(const sp_model *m, const sp_workspace *w, unsigned what, sp_layer *out,
                 long *done);

/** What a sweep needs of one trajectory, without storing it. */
typedef struct {
  double q_final, p_final, rho_final; /**< state after block L */
  double y2_first;       /**< E Y2 of block 1's attention input */
  double y2_max;         /**< largest E Y2 over the blocks */
  long frozen_layers;    /**< blocks whose attention input is frozen (beta > beta_c) */
  long first_frozen;     /**< first frozen block, 0 if none */
  double beta_ratio;     /**< largest beta / beta_c over the blocks' attention
                              inputs (lambda / sqrt 2); 0 for uniform attention */
} sp_summary;

/** Iterate like sp_propagate but keep only the summary.  Errors as there. */
int sp_propagate_summary(const sp_model *m, const sp_workspace *w, sp_summary *s);

/** sp_propagate_summary for `n` independent models at once (a sweep):
 * out[i] and statuses[i] (arrays of n, the caller's) are the summary and the
 * status sp_propagate_summary(&models[i], w, &out[i]) would give, bit for
 * bit.  The trajectories are advanced in lockstep groups of
 * SP_SUMMARY_BATCH so that the processor overlaps their dependency chains
 * (a single trajectory is latency-bound); where the models of a group share
 * a block the vector path covers (any norm; softmax or centred attention
 * with asymptotic statistics, or uniform attention without the causal
 * mask; a ReLU or linear MLP, or none), eight trajectories share each SIMD
 * register (AVX-512, AVX2 or the generic build, chosen at run time, all
 * giving the same bits).  `w` serves every model (prepare it
 * for one of them; see sp_workspace_prepare for what may differ).  Returns
 * SP_EINVAL for NULL arrays, else SP_OK (per-model errors are in
 * statuses). */
int sp_propagate_summary_batch(const sp_model *models, size_t n, const sp_workspace *w,
                               sp_summary *out, int *statuses);

/** Trajectories advanced together by sp_propagate_summary_batch. */
#define SP_SUMMARY_BATCH 32

/** Angle exponent lambda_a = lim_{rho->1} log((1 - rho')/(1 - rho)) of one
 * block, closed form for post-LN blocks (theory.md §7), generalised to
 * branch gains g:
 *   e^lambda_a = a_SA^2 / (a_SA^2 + g_SA^2 q_S(1))
 *              x (a_MLP^2 + g_MLP^2 sw_in sw_out E[phi'(u)^2])
 *              / (a_MLP^2 + g_MLP^2 (sw_out E[phi(u)^2] + sb)),  u ~ N(0, sw_in + sb)
 * with q_S(1) = sv + svb (softmax, uniform) or 0 (centred) the attention
 * output of a collapsed input.  SP_EUNSUP for pre-LN, no-LN or mean removal
 * (use sp_propagate_angle_exponent_fd); -infinity when a skip gain is 0. */
int sp_propagate_angle_exponent(const sp_model *m, const sp_workspace *w, double *lambda_a);

/** lambda_a by finite differences of the block map at rho = 1 - eps,
 * valid for any block: f(eps) = log((1 - rho')/(1 - rho)) has an expansion
 * in powers of sqrt(eps) (the ReLU kernel's (1-c)^{3/2} term), which is
 * removed by Richardson extrapolation in sqrt(eps) over eps = 1e-4/4^k,
 * k = 0..3.  The block is linearised at q = 1 for post-LN and at q = q0
 * otherwise.  `*abserr` (may be NULL) estimates the error from the last
 * two extrapolation levels. */
int sp_propagate_angle_exponent_fd(const sp_model *m, const sp_workspace *w, double *lambda_a,
                         double *abserr);

SP_END_DECLS
#endif
